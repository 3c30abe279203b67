import DF11TestSupport
import XCTest
import EntropyCoding

final class CanonicalCodeTests: XCTestCase {
    func testCodesArePrefixFreeAndCanonical() throws {
        var rng = SplitMix64(seed: 3)
        for round in 0..<300 {
            let shape = HistogramShape.allCases[round % HistogramShape.allCases.count]
            let counts = randomCounts(shape, rng: &rng)
            let lengths = try HuffmanCodeLengths.build(counts: counts, limit: 15)
            let code = try CanonicalCode(lengths: lengths)
            let used = (0..<256).filter { lengths[$0] > 0 }
            XCTAssertEqual(code.symbolCount, used.count)
            XCTAssertEqual(code.maxLength, Int(lengths.max()!))
            // Canonical order: sorted by (length, symbol), each code is the previous + 1 (shifted).
            let order = used.sorted { (lengths[$0], $0) < (lengths[$1], $1) }
            for (a, b) in zip(order, order.dropFirst()) {
                let expected = (UInt32(code.codes[a]) + 1) << UInt32(lengths[b] - lengths[a])
                XCTAssertEqual(UInt32(code.codes[b]), expected, "round \(round)")
            }
            if let first = order.first { XCTAssertEqual(code.codes[first], 0) }
            // Prefix-freeness, pairwise.
            for a in used {
                for b in used where a != b && lengths[a] <= lengths[b] {
                    let prefix = code.codes[b] >> UInt16(lengths[b] - lengths[a])
                    XCTAssertNotEqual(prefix, code.codes[a], "round \(round): \(a) is a prefix of \(b)")
                }
            }
            let reversed = code.reversedCodes
            for s in used {
                var r: UInt16 = 0
                for bit in 0..<Int(lengths[s]) { r = r << 1 | (code.codes[s] >> UInt16(bit) & 1) }
                XCTAssertEqual(reversed[s], r)
            }
        }
    }

    func testRejectsInvalidLengthSets() {
        let zero = [UInt8](repeating: 0, count: 256)
        func expectInvalid(_ lengths: [UInt8], _ why: String, line: UInt = #line) {
            XCTAssertThrowsError(try CanonicalCode(lengths: lengths), why, line: line) { error in
                guard case .invalidCodeLengths = error as? EntropyCodingError else {
                    return XCTFail("wrong error \(error)", line: line)
                }
                XCTAssertFalse("\(error)".isEmpty)
            }
        }
        var over = zero
        over[0] = 1; over[1] = 1; over[2] = 1
        expectInvalid(over, "Kraft above 1")
        var under = zero
        under[0] = 1; under[1] = 2
        expectInvalid(under, "Kraft below 1")
        var single = zero
        single[5] = 2
        expectInvalid(single, "one symbol must have length 1")
        var long = [UInt8](repeating: 8, count: 256)
        long[0] = 16
        expectInvalid(long, "length above 15")
        var tooLong = zero
        tooLong[0] = 1; tooLong[1] = 255
        expectInvalid(tooLong, "length 255")
        expectInvalid([1, 1], "wrong count")
        var manyOnes = zero
        for s in 0..<256 { manyOnes[s] = 1 }
        expectInvalid(manyOnes, "256 codes of one bit")
    }

    func testRandomLengthSetsEitherThrowOrFormACompleteCode() {
        var rng = SplitMix64(seed: 4)
        var accepted = 0
        for round in 0..<3000 {
            var lengths = [UInt8](repeating: 0, count: 256)
            let used = Int.random(in: 0...8, using: &rng)
            for _ in 0..<used {
                lengths[Int.random(in: 0..<256, using: &rng)] = UInt8.random(in: 0...(round % 2 == 0 ? 4 : 20), using: &rng)
            }
            if round % 3 == 0 {  // a complete code, perturbed by at most one length
                lengths = (try? HuffmanCodeLengths.build(counts: randomCounts(.bf16Like, rng: &rng), limit: 15)) ?? lengths
                if Bool.random(using: &rng) { lengths[Int.random(in: 0..<256, using: &rng)] &+= 1 }
            }
            guard let code = try? CanonicalCode(lengths: lengths) else { continue }
            accepted += 1
            XCTAssertLessThanOrEqual(code.maxLength, 15)
            if code.symbolCount >= 2 { XCTAssertEqual(kraftScaled(lengths), 1 << 62, "round \(round)") }
            if code.symbolCount == 1 { XCTAssertEqual(lengths.max(), 1) }
        }
        XCTAssertGreaterThan(accepted, 100)
    }

    func testAcceptsEdgeCodes() throws {
        let empty = try CanonicalCode(lengths: [UInt8](repeating: 0, count: 256))
        XCTAssertEqual(empty.maxLength, 0)
        XCTAssertEqual(empty.symbolCount, 0)
        var single = [UInt8](repeating: 0, count: 256)
        single[77] = 1
        let one = try CanonicalCode(lengths: single)
        XCTAssertEqual(one.codes[77], 0)
        XCTAssertEqual(one.maxLength, 1)
        var deep = [UInt8](repeating: 0, count: 256)
        for s in 0..<15 { deep[s] = UInt8(s + 1) }
        deep[15] = 15
        let longest = try CanonicalCode(lengths: deep)
        XCTAssertEqual(longest.maxLength, 15)
        XCTAssertEqual(longest.codes[15], 0x7FFF)
    }
}
