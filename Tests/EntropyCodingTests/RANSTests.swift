import DF11TestSupport
import XCTest
@testable import EntropyCoding

final class RANSTests: XCTestCase {
    private func encode(_ symbols: [UInt16], _ table: RANSTable) throws -> [UInt8] {
        var out = [UInt8](repeating: 0xA5, count: RANSEncoder.maxBytes(count: symbols.count))
        let size = try symbols.withUnsafeBufferPointer { s in
            try out.withUnsafeMutableBytes { try RANSEncoder(table: table).encode(s, into: $0) }
        }
        return Array(out.prefix(size))
    }

    private func decode(_ stream: [UInt8], count: Int, _ table: RANSTable) throws -> [UInt16] {
        var out = [UInt16](repeating: 0xFFFF, count: count)
        try stream.withUnsafeBytes { s in
            try out.withUnsafeMutableBufferPointer { try RANSDecoder(table: table).decode(s, count: count, into: $0) }
        }
        return out
    }

    /// Random alphabets (1...4096 symbols, flat, geometric, a 0.35-probability top symbol, many singletons),
    /// every precision, message lengths around the lane count and larger: the round trip is exact and the
    /// stream size is the table's coded size within the states and one word per lane.
    func testRoundTripProperty() throws {
        var rng = SplitMix64(seed: 0x7A45)
        for trial in 0..<72 {
            let alphabet = [1, 2, 3, 16, 256, 257, 1024, 4096][trial % 8]
            let precision = RANSTable.precisionRange.lowerBound + trial % RANSTable.precisionRange.count
            var counts = [UInt64](repeating: 0, count: alphabet)
            let usedCount = Swift.min(alphabet, Int.random(in: 1...Swift.min(alphabet, 1 << precision), using: &rng))
            let used = Array((0..<alphabet).shuffled(using: &rng).prefix(usedCount))
            switch trial % 4 {
            case 0: for s in used { counts[s] = UInt64.random(in: 1...1000, using: &rng) }
            case 1: var c: UInt64 = 1 << 30; for s in used { counts[s] = c; c = Swift.max(1, c / 2) }
            case 2: // skewed: one symbol near 0.35, the rest spread
                for s in used { counts[s] = UInt64.random(in: 1...100, using: &rng) }
                let rest = counts.reduce(0, +) - counts[used[0]]
                counts[used[0]] = Swift.max(1, rest * 35 / 65)
            default: for s in used { counts[s] = 1 }; counts[used[0]] = 1 << 20
            }
            let count = [0, 1, 2, 3, 4, 5, 7, 8, 9, 100, 4097, 65_536][Int.random(in: 0..<12, using: &rng)]
            var symbols = message(counts: counts, count: count, rng: &rng)
            // Every symbol of `used` must be codable, whatever the message draws; code the message's own
            // histogram half the time and the drawing distribution otherwise.
            let table = try RANSTable.build(counts: trial % 2 == 0 && count > 0 ? histogram(symbols, alphabet: alphabet) : counts,
                                            precisionBits: precision)
            XCTAssertEqual(table.frequencies.reduce(0, +), UInt32(1) << UInt32(precision))
            if count == 0 { symbols = [] }
            let stream = try encode(symbols, table)
            XCTAssertLessThanOrEqual(stream.count, RANSEncoder.maxBytes(count: count))
            XCTAssertEqual(try decode(stream, count: count, table), symbols, "trial \(trial)")
            if count > 0 {
                let predicted = table.codedBits(counts: histogram(symbols, alphabet: alphabet))!
                // The stream is the message's information plus, per lane, the 31 bits of the initial state
                // 2^31 and at most one partly filled word.
                let actual = Double(8 * stream.count)
                XCTAssertLessThanOrEqual(actual, predicted * 1.0001 + 4 * 64 + 1, "trial \(trial)")
                XCTAssertGreaterThanOrEqual(actual, predicted * 0.9999 + 4 * 31 - 1, "trial \(trial)")
            }
        }
    }

    func testNormalizationKeepsEveryUsedSymbolAndIsNearTheEntropy() throws {
        // A bf16-like exponent histogram: a top symbol near 0.35 and a long tail of singletons.
        var counts = [UInt64](repeating: 0, count: 256)
        for e in 90...126 { counts[e] = UInt64(1) << UInt64(Swift.max(0, 30 - 2 * abs(e - 122))) }
        counts[122] = counts.reduce(0, +) * 35 / 65
        let total = Double(counts.reduce(0, +))
        let entropy = counts.filter { $0 > 0 }.reduce(0.0) { $0 - Double($1) * log2(Double($1) / total) }
        for precision in RANSTable.precisionRange {
            let table = try RANSTable.build(counts: counts, precisionBits: precision)
            for s in 0..<256 { XCTAssertEqual(counts[s] > 0, table.frequencies[s] > 0, "symbol \(s)") }
            let bits = table.codedBits(counts: counts)!
            XCTAssertGreaterThanOrEqual(bits, entropy - 1e-6 * entropy)
            // The long tail of singletons, each held at frequency ≥ 1, costs at low precision; at 14 and 15
            // the table is within 0.2% of the entropy.
            if precision >= 14 { XCTAssertLessThan(bits, entropy * 1.002, "precision \(precision)") }
            // No single unit moved from one symbol to another makes the table cheaper.
            let used = (0..<256).filter { counts[$0] > 0 }
            let f = table.frequencies
            for a in used where f[a] > 1 {
                for b in used where b != a {
                    let delta = Double(counts[a]) * log2(Double(f[a]) / Double(f[a] - 1))
                        - Double(counts[b]) * log2(Double(f[b] + 1) / Double(f[b]))
                    XCTAssertGreaterThanOrEqual(delta, -1e-6 * bits, "precision \(precision): move \(a) → \(b)")
                }
            }
        }
        XCTAssertThrowsError(try RANSTable.build(counts: [UInt64](repeating: 1, count: 2048), precisionBits: 10))
        XCTAssertThrowsError(try RANSTable.build(counts: [0, 0], precisionBits: 12))
        XCTAssertThrowsError(try RANSTable.build(counts: [1], precisionBits: 16))
        XCTAssertThrowsError(try RANSTable(frequencies: [1, 2], precisionBits: 10))
    }

    func testSymbolWithoutFrequencyIsAnErrorNotAStream() throws {
        let table = try RANSTable.build(counts: [5, 0, 3], precisionBits: 12)
        for bad: UInt16 in [1, 3, 4095, 4096, 0xFFFF] {
            XCTAssertThrowsError(try encode([0, 2, bad, 0, 2], table)) { error in
                guard case EntropyCodingError.exponentWithoutCode = error else { return XCTFail("\(error)") }
            }
        }
    }

    /// Every truncation and every single-byte change of a stream is an error or decodes (never crashes); a
    /// truncation, an extension and a damaged state word are always errors.
    func testDamagedStreamsAreRejectedWithoutCrashing() throws {
        var rng = SplitMix64(seed: 99)
        let counts = damageTestCounts
        let table = try RANSTable.build(counts: counts, precisionBits: 12)
        let symbols = message(counts: counts, count: 1001, rng: &rng)
        let stream = try encode(symbols, table)
        for cut in 0..<stream.count {
            XCTAssertThrowsError(try decode(Array(stream.prefix(cut)), count: symbols.count, table), "cut \(cut)")
        }
        XCTAssertThrowsError(try decode(stream + [0, 0], count: symbols.count, table))
        XCTAssertThrowsError(try decode(stream, count: symbols.count + 1, table))
        XCTAssertEqual(try decode([], count: 0, table), [])
        XCTAssertThrowsError(try decode([0, 0, 0, 0], count: 0, table))
        var detected = 0
        for position in 0..<stream.count {
            var damaged = stream
            damaged[position] ^= UInt8(1 << (position % 8))
            if (try? decode(damaged, count: symbols.count, table)) == nil { detected += 1 }
        }
        // The final-state check catches almost every flip; a flip that still decodes gives other symbols,
        // which the container's block checksum catches.
        XCTAssertGreaterThan(detected, stream.count * 9 / 10)
    }
}
