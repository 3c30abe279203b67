import DF11TestSupport
import XCTest
@testable import EntropyCoding

final class HuffmanCodeLengthsTests: XCTestCase {
    private func minimalLimit(_ n: Int) -> Int {
        var limit = 1
        while (1 << limit) < n { limit += 1 }
        return limit
    }

    /// Checks the invariants every result must satisfy.
    private func checkValid(_ counts: [UInt64], _ lengths: [UInt8], limit: Int, _ context: String) {
        XCTAssertEqual(lengths.count, 256, context)
        let used = counts.filter { $0 > 0 }.count
        for s in 0..<256 {
            XCTAssertEqual(counts[s] == 0, lengths[s] == 0, "symbol \(s) used iff coded, \(context)")
            XCTAssertLessThanOrEqual(Int(lengths[s]), limit, context)
        }
        if used >= 2 { XCTAssertEqual(kraftScaled(lengths), 1 << 62, "Kraft equality, \(context)") }
        if used == 1 { XCTAssertEqual(lengths.max(), 1, context) }
    }

    func testPropertiesOnThousandsOfHistograms() throws {
        var rng = SplitMix64(seed: 0xDF11)
        for round in 0..<2100 {
            let shape = HistogramShape.allCases[round % HistogramShape.allCases.count]
            let counts = randomCounts(shape, rng: &rng)
            let used = counts.filter { $0 > 0 }.count
            let plain = try HuffmanCodeLengths.unlimited(counts: counts)
            checkValid(counts, plain, limit: 255, "unlimited \(shape) round \(round)")
            let plainCost = cost(counts, plain)
            let lowest = minimalLimit(Swift.max(used, 1))
            let limit = Int.random(in: lowest...Swift.max(lowest, 16), using: &rng)
            let context = "\(shape) round \(round), \(used) symbols, limit \(limit)"
            let limited = try HuffmanCodeLengths.build(counts: counts, limit: limit)
            checkValid(counts, limited, limit: limit, context)
            let limitedCost = cost(counts, limited)
            XCTAssertGreaterThanOrEqual(limitedCost, plainCost, context)
            if Int(plain.max() ?? 0) <= limit { XCTAssertEqual(limitedCost, plainCost, context) }
            // Package-merge itself (not the Huffman shortcut) must also reach the Huffman cost when the
            // limit does not bind, and must not lose to a looser limit.
            if used >= 2 {
                let symbols = try HuffmanCodeLengths.usedSymbolsByCount(counts)
                let merged = HuffmanCodeLengths.packageMerge(counts, symbols, limit: limit)
                checkValid(counts, merged, limit: limit, "package-merge " + context)
                XCTAssertEqual(cost(counts, merged), limitedCost, "package-merge " + context)
                let loose = HuffmanCodeLengths.packageMerge(counts, symbols, limit: 255)
                XCTAssertEqual(cost(counts, loose), plainCost, "package-merge without a binding limit, " + context)
                if limit > lowest {
                    let tighter = try HuffmanCodeLengths.build(counts: counts, limit: limit - 1)
                    XCTAssertGreaterThanOrEqual(cost(counts, tighter), limitedCost, context)
                }
            }
        }
    }

    /// The optimum over every length assignment with Kraft sum ≤ 1, by exhaustive search.
    private func bruteForceOptimum(_ weights: [UInt64], limit: Int) -> UInt64 {
        var best = UInt64.max
        let one = 1 << limit
        func search(_ i: Int, _ kraft: Int, _ cost: UInt64) {
            if cost >= best { return }
            if i == weights.count { best = cost; return }
            for length in 1...limit where kraft + (one >> length) <= one {
                search(i + 1, kraft + (one >> length), cost + weights[i] * UInt64(length))
            }
        }
        search(0, 0, 0)
        return best
    }

    func testOptimalAgainstBruteForceOnSmallAlphabets() throws {
        var rng = SplitMix64(seed: 6)
        for round in 0..<400 {
            let n = Int.random(in: 2...6, using: &rng)
            let limit = Int.random(in: minimalLimit(n)...5, using: &rng)
            var counts = [UInt64](repeating: 0, count: 256)
            let symbols = (0..<256).shuffled(using: &rng).prefix(n)
            let skewed = round % 2 == 0
            for (i, s) in symbols.enumerated() {
                counts[s] = skewed ? UInt64(1) << UInt64(Int.random(in: 0...(3 * i + 1), using: &rng))
                                   : UInt64.random(in: 1...100, using: &rng)
            }
            let lengths = try HuffmanCodeLengths.build(counts: counts, limit: limit)
            let expected = bruteForceOptimum(symbols.map { counts[$0] }, limit: limit)
            XCTAssertEqual(cost(counts, lengths), expected, "round \(round): \(symbols.map { counts[$0] }) limit \(limit)")
        }
    }

    func testEdgeCases() throws {
        let none = [UInt64](repeating: 0, count: 256)
        XCTAssertEqual(try HuffmanCodeLengths.build(counts: none, limit: 15), [UInt8](repeating: 0, count: 256))
        XCTAssertEqual(try HuffmanCodeLengths.unlimited(counts: none), [UInt8](repeating: 0, count: 256))

        var one = none
        one[200] = 1 << 40
        let oneLengths = try HuffmanCodeLengths.build(counts: one, limit: 1)
        XCTAssertEqual(oneLengths[200], 1)
        XCTAssertEqual(oneLengths.reduce(0) { $0 + Int($1) }, 1)

        var two = one
        two[0] = 1
        let twoLengths = try HuffmanCodeLengths.build(counts: two, limit: 1)
        XCTAssertEqual(twoLengths[0], 1)
        XCTAssertEqual(twoLengths[200], 1)

        let all = [UInt64](repeating: 1 << 40, count: 256)
        XCTAssertEqual(try HuffmanCodeLengths.build(counts: all, limit: 8), [UInt8](repeating: 8, count: 256))
        XCTAssertThrowsError(try HuffmanCodeLengths.build(counts: all, limit: 7))
        XCTAssertThrowsError(try HuffmanCodeLengths.build(counts: one, limit: 0))
        XCTAssertThrowsError(try HuffmanCodeLengths.build(counts: [1, 2, 3], limit: 15))
        XCTAssertThrowsError(try HuffmanCodeLengths.unlimited(counts: [UInt64](repeating: .max / 4, count: 256)))
        XCTAssertNoThrow(try HuffmanCodeLengths.build(counts: all, limit: 1000))
    }

    func testFibonacciCountsForceLongCodes() throws {
        var counts = [UInt64](repeating: 0, count: 256)
        var a: UInt64 = 1, b: UInt64 = 1
        for s in 0..<50 { counts[s] = a; (a, b) = (b, a + b) }
        let plain = try HuffmanCodeLengths.unlimited(counts: counts)
        XCTAssertEqual(plain.max(), 49, "Fibonacci weights give a maximally deep Huffman tree")
        var previous = UInt64.max
        for limit in 6...49 {
            let lengths = try HuffmanCodeLengths.build(counts: counts, limit: limit)
            checkValid(counts, lengths, limit: limit, "limit \(limit)")
            let c = cost(counts, lengths)
            XCTAssertLessThanOrEqual(c, previous, "cost never rises as the limit loosens")
            previous = c
        }
        XCTAssertEqual(previous, cost(counts, plain))
    }

    func testDeterministic() throws {
        var rng = SplitMix64(seed: 9)
        let counts = randomCounts(.bf16Like, rng: &rng)
        XCTAssertEqual(try HuffmanCodeLengths.build(counts: counts, limit: 12),
                       try HuffmanCodeLengths.build(counts: counts, limit: 12))
    }
}
