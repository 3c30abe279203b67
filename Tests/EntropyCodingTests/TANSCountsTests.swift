import DF11TestSupport
import Foundation
import XCTest
@testable import EntropyCoding

final class TANSCountsTests: XCTestCase {
    private func decode(_ bytes: [UInt8], tableLog: Int, alphabet: Int) throws -> ([UInt32], Int) {
        try bytes.withUnsafeBytes { b throws -> ([UInt32], Int) in
            let r = try TANSCounts.decode(b, tableLog: tableLog, alphabetSize: alphabet)
            return (r.frequencies, r.byteCount)
        }
    }

    /// Tables of every histogram shape, alphabet size and table log round-trip, with bytes after them left
    /// alone; a one-symbol table is 10 bytes.
    func testRoundTrip() throws {
        var rng = SplitMix64(seed: 0xC0_0175)
        for trial in 0..<140 {
            let shape = HistogramShape.allCases[trial % HistogramShape.allCases.count]
            var counts = randomCounts(shape, rng: &rng, maxSymbols: 256)
            if !counts.contains(where: { $0 > 0 }) { counts[Int.random(in: 0..<256, using: &rng)] = 5 }
            let alphabet = [256, 1024, 4096][trial % 3]
            counts += [UInt64](repeating: 0, count: alphabet - 256)
            if alphabet > 256 { counts.shuffle(using: &rng) }
            let tableLog = TANSTable.tableLogRange.lowerBound + trial % TANSTable.tableLogRange.count
            let frequencies = try ANSFrequencies.normalize(counts: counts, precisionBits: tableLog)
            let bytes = TANSCounts.encode(frequencies: frequencies)
            XCTAssertEqual(TANSCounts.encodedSize(frequencies: frequencies), bytes.count)
            let (decoded, used) = try decode(bytes + [0xEE, 0x11], tableLog: tableLog, alphabet: alphabet)
            XCTAssertEqual(decoded, frequencies, "trial \(trial)")
            XCTAssertEqual(used, bytes.count)
        }
        var single = [UInt32](repeating: 0, count: 300)
        single[299] = 1 << 15
        XCTAssertEqual(TANSCounts.encode(frequencies: single).count, 6 + 4)  // class 16: 11 bits of gamma, 15 of count
        XCTAssertEqual(TANSCounts.encodedSize(frequencies: single), 6 + 4)
        XCTAssertEqual(try decode(TANSCounts.encode(frequencies: single), tableLog: 15, alphabet: 300).0, single)
    }

    /// The sizes are what tools/bench/table_header_cost.py measures (Fixtures/coder-costs.json, `countsBytes`).
    func testSizesAreTheMeasuredOnes() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture("coder-costs.json")))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let histograms = try XCTUnwrap(json["histograms"] as? [[String: Any]])
        for h in histograms {
            let counts = try XCTUnwrap(h["counts"] as? [NSNumber]).map(\.uint64Value)
            let expected = try XCTUnwrap(h["countsBytes"] as? [String: NSNumber])
            for (log, bytes) in expected {
                let frequencies = try ANSFrequencies.normalize(counts: counts, precisionBits: Int(log)!)
                XCTAssertEqual(TANSCounts.encodedSize(frequencies: frequencies), bytes.intValue, "\(h["name"]!) at 2^\(log)")
            }
        }
    }

    /// Every truncation is refused; every single-bit flip is refused or gives other counts; random bytes never
    /// crash the reader.
    func testDamageIsRefused() throws {
        var counts = [UInt64](repeating: 0, count: 1024)
        for s in 300...700 { counts[s] = UInt64(1 + (s * 7919) % 1000) }
        let frequencies = try ANSFrequencies.normalize(counts: counts, precisionBits: 12)
        let bytes = TANSCounts.encode(frequencies: frequencies)
        for cut in 0..<bytes.count { XCTAssertThrowsError(try decode(Array(bytes.prefix(cut)), tableLog: 12, alphabet: 1024)) }
        XCTAssertThrowsError(try decode(bytes, tableLog: 11, alphabet: 1024))
        XCTAssertThrowsError(try decode(bytes, tableLog: 12, alphabet: 700))
        for position in 0..<(8 * bytes.count) {
            var damaged = bytes
            damaged[position / 8] ^= UInt8(1 << (position % 8))
            if let (decoded, _) = try? decode(damaged, tableLog: 12, alphabet: 1024) {
                XCTAssertNotEqual(decoded, frequencies, "flip \(position)")
            }
        }
        var rng = SplitMix64(seed: 77)
        for _ in 0..<2000 {
            let random = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = try? decode(random, tableLog: 10 + Int.random(in: 0...5, using: &rng), alphabet: Int.random(in: 1...4096, using: &rng))
        }
    }
}
