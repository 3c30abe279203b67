import DF11TestSupport
import XCTest
@testable import EntropyCoding

final class ExponentHistogramTests: XCTestCase {
    func testAddMatchesNaiveCountAtEveryLengthAndAlignment() {
        var rng = SplitMix64(seed: 1)
        let words = (0..<1100).map { _ in UInt16.random(in: 0...UInt16.max, using: &rng) }
        for length in [0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000] {
            for start in 0..<4 {
                let slice = Array(words[start..<(start + length)])
                var histogram = ExponentHistogram()
                words.withUnsafeBufferPointer {
                    histogram.add(words: UnsafeBufferPointer(rebasing: $0[start..<(start + length)]))
                }
                XCTAssertEqual(histogram.counts, naiveCounts(slice), "length \(length) start \(start)")
                XCTAssertEqual(histogram.total, UInt64(length))
            }
        }
    }

    func testFlushingBetweenChunksKeepsEveryCount() {
        var rng = SplitMix64(seed: 5)
        let words = normalWords(count: 777, sigma: 0.02, rng: &rng)
        for flush in [1, 7, 8, 9, 64, 776, 777, 1000] {
            var histogram = ExponentHistogram()
            words.withUnsafeBufferPointer { histogram.add(words: $0, flushEvery: flush) }
            XCTAssertEqual(histogram.counts, naiveCounts(words), "flush every \(flush)")
        }
    }

    func testAddAccumulatesAndMergeAdds() {
        var rng = SplitMix64(seed: 2)
        let a = normalWords(count: 5000, sigma: 0.02, rng: &rng)
        let b = normalWords(count: 3001, sigma: 0.05, rng: &rng)
        var ha = ExponentHistogram(), hb = ExponentHistogram(), both = ExponentHistogram()
        a.withUnsafeBufferPointer { ha.add(words: $0); both.add(words: $0) }
        b.withUnsafeBufferPointer { hb.add(words: $0); both.add(words: $0) }
        ha.merge(hb)
        XCTAssertEqual(ha, both)
        XCTAssertEqual(both.counts, naiveCounts(a + b))
        XCTAssertEqual(both.total, 8001)
    }

    func testEntropy() {
        XCTAssertEqual(ExponentHistogram().entropyBits, 0)
        var counts = [UInt64](repeating: 0, count: 256)
        counts[3] = 1 << 40
        XCTAssertEqual(ExponentHistogram(counts: counts).entropyBits, 0)
        counts[9] = 1 << 40
        XCTAssertEqual(ExponentHistogram(counts: counts).entropyBits, 1, accuracy: 1e-12)
        XCTAssertEqual(ExponentHistogram(counts: [UInt64](repeating: 7, count: 256)).entropyBits, 8,
                       accuracy: 1e-12)
        counts[10] = 2 << 40  // p = 1/4, 1/4, 1/2
        XCTAssertEqual(ExponentHistogram(counts: counts).entropyBits, 1.5, accuracy: 1e-12)
    }

    func testCodedBits() throws {
        var counts = [UInt64](repeating: 0, count: 256)
        counts[1] = 10; counts[2] = 5; counts[3] = 5
        var lengths = [UInt8](repeating: 0, count: 256)
        lengths[1] = 1; lengths[2] = 2; lengths[3] = 2
        XCTAssertEqual(ExponentHistogram(counts: counts).codedBits(lengths: lengths), 30)
        counts[1] = .max
        XCTAssertEqual(ExponentHistogram(counts: counts).codedBits(lengths: lengths), .max, "saturates")
    }
}
