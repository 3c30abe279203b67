import DF11TestSupport
import EntropyCoding
import XCTest
@testable import DFloat11Layout

/// `UnitStatistics.Chunk`: the sparse per-chunk counts that `SourceScan` keeps for a whole model.
final class UnitStatisticsTests: XCTestCase {
    /// A chunk keeps one entry per exponent present, gives back exactly the counts of its words, and pieces
    /// merged in order equal the whole chunk counted at once.
    func testAChunkKeepsOneEntryPerExponentAndMergesPiecesInOrder() {
        var rng = SplitMix64(seed: 7)
        var words = normalWords(count: 10_000, sigma: 0.02, rng: &rng)
        words += [0x0000, 0x7F80, 0xFFFF, 0x8001]        // zero, +Inf, a NaN, a negative subnormal
        let whole = words.withUnsafeBufferPointer { UnitStatistics.Chunk(words: $0) }
        var expected = ExponentHistogram()
        words.withUnsafeBufferPointer { expected.add(words: $0) }
        XCTAssertEqual(whole.histogram, expected)
        XCTAssertEqual(whole.exponentsPresent, expected.usedSymbols)
        XCTAssertLessThan(whole.exponentsPresent, 64, "normal weights use few exponents: the point of keeping them sparse")
        XCTAssertEqual(whole.lastExponent, BF16.exponent(0x8001))

        for cut in [0, 1, 4_999, words.count] {
            var merged = words[..<cut].withUnsafeBufferPointer { UnitStatistics.Chunk(words: $0) }
            merged.merge(words[cut...].withUnsafeBufferPointer { UnitStatistics.Chunk(words: $0) })
            XCTAssertEqual(merged, whole, "cut at \(cut)")
        }
        XCTAssertEqual(UnitStatistics.Chunk().histogram, ExponentHistogram())
        XCTAssertNil(UnitStatistics.Chunk().lastExponent)
    }
}
