import DF11TestSupport
import XCTest
@testable import DFloat11Layout

/// `DecodeTableStructure`: the decode tables must be exactly a prefix code's tables (issue #11, point 5).
final class DecodeTableStructureTests: XCTestCase {
    let module = "encoder.layer.0"

    func goldenLuts() throws -> (luts: [UInt8], k: Int) {
        let luts = try goldenBertLayer().bytes(of: module + ".luts")!
        return (luts, luts.count / 256 - 1)
    }

    /// Where the end-of-file code's run is in the tables of `code`.
    func endOfFileRun(_ code: DahuffmanCode, _ tables: DecodeTables) -> Range<Int> {
        let end = code.endOfFile
        let m = (end.length - 1) / 8
        let rest = end.length - 8 * m
        let value = UInt32(truncatingIfNeeded: end.value)
        let prefix = DecodeTables.Prefix(byteCount: m, bits: m == 0 ? 0 : value >> UInt32(end.length - 8 * m))
        let t = tables.prefixes.firstIndex(of: prefix)!
        let first = Int((value & ((1 << UInt32(rest)) - 1)) << UInt32(8 - rest))
        return (t * 256 + first) ..< (t * 256 + first + (1 << (8 - rest)))
    }

    /// The tables df11 (and the official tool) build pass, for codes of every shape: few and many exponents,
    /// flat and steep counts, codes limited to 32 bits; so do the same tables with the end-of-file run zeroed.
    func testTablesOfEveryCodePass() throws {
        var random = SplitMix64Test(seed: 11)
        var checked = 0
        for round in 0 ..< 300 {
            let present = 2 + Int(random.next() % 60)
            var exponents = Array(0 ..< 240).map { UInt8($0) }
            exponents.shuffle(using: &random)
            let steep = round % 3 == 0
            var counts: [(exponent: UInt8, count: UInt64)] = exponents.prefix(present).enumerated().map { i, e in
                (e, steep ? (UInt64(1) << UInt64(min(i, 45))) + random.next() % 3 : 1 + random.next() % 5000)
            }
            counts.sort { $0.exponent < $1.exponent }
            guard let limited = try? LengthLimiter32.limit(counts: counts, unit: "u"),
                  let tables = try? DecodeTables(code: limited.code, unit: "u") else { continue }
            XCTAssertNil(DecodeTableStructure.problem(tables.bytes, tableCount: tables.tableCount), "round \(round)")
            var zeroed = tables.bytes
            for i in endOfFileRun(limited.code, tables) { zeroed[i] = 0 }
            XCTAssertNil(DecodeTableStructure.problem(zeroed, tableCount: tables.tableCount), "round \(round), zeroed")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 250)
    }

    /// The case: one first-level entry changed to another exponent of the same code length. Before the
    /// strict check this passed `UnitDecoder`'s checks and decoded (to other weights) without an error.
    func testSameLengthExponentInTheFirstTableIsRefusedNamingUnitAndTable() throws {
        let tensors = try goldenBertLayer()
        let (luts, k) = try goldenLuts()
        let lengths = Array(luts[(k * 256)...])
        let entry = try XCTUnwrap((0 ..< 256).first { i in
            let e = Int(luts[i])
            return e < 240 && lengths[e] <= 8
                && (0 ..< 240).contains { $0 != e && lengths[$0] == lengths[e] }
        })
        let old = Int(luts[entry])
        let other = (0 ..< 240).first { $0 != old && lengths[$0] == lengths[old] }!
        var changed = luts
        changed[entry] = UInt8(other)
        tensors.set(module + ".luts", dtype: .u8, shape: [k + 1, 256], bytes: changed)
        XCTAssertThrowsError(try UnitDecoder(module: module, source: tensors)) { error in
            let error = error as? DFloat11LayoutError
            XCTAssertEqual(error?.unit, module)
            XCTAssertNil(error?.block)
            XCTAssertEqual(error?.code, "bad-decode-tables")
            let text = error?.description ?? ""
            XCTAssert(text.hasPrefix("DFloat11 unit '\(module)': invalid decode tables (luts): table 0"), text)
        }
    }

    /// Every entry of every table, and every code length, changed by each single-bit flip, is refused — except
    /// a change inside the end-of-file run that leaves it uniform and zero (the other accepted fill; never read).
    func testEverySingleBitChangeOfTheTablesIsRefused() throws {
        let (luts, k) = try goldenLuts()
        XCTAssertNil(DecodeTableStructure.problem(luts, tableCount: k))
        var accepted = 0
        for i in 0 ..< luts.count {
            for bit in 0 ..< 8 {
                var changed = luts
                changed[i] ^= UInt8(1 << bit)
                if DecodeTableStructure.problem(changed, tableCount: k) == nil {
                    accepted += 1
                    XCTAssertEqual(changed[i], 0, "byte \(i) bit \(bit) accepted")
                }
            }
        }
        XCTAssertLessThanOrEqual(accepted, 1)
    }

    /// Runs of two exponents of the same length swapped: a valid prefix code, other weights; only checksums of
    /// the decoded weights (a manifest, or the source) can see it.
    func testSwappedRunsOfEqualSizeAreAValidCode() throws {
        let (luts, k) = try goldenLuts()
        let lengths = Array(luts[(k * 256)...])
        let (a, b) = try XCTUnwrap((0 ..< 240).lazy.compactMap { a -> (Int, Int)? in
            guard lengths[a] > 0, lengths[a] <= 8 else { return nil }
            return (a + 1 ..< 240).first { lengths[$0] == lengths[a] }.map { (a, $0) }
        }.first)
        var swapped = luts
        for i in 0 ..< 256 where luts[i] == UInt8(a) { swapped[i] = UInt8(b) }
        for i in 0 ..< 256 where luts[i] == UInt8(b) { swapped[i] = UInt8(a) }
        XCTAssertNil(DecodeTableStructure.problem(swapped, tableCount: k))
    }

    func testPointerAndKraftProblemsAreNamed() throws {
        let (luts, k) = try goldenLuts()
        try XCTSkipIf(k < 2, "the golden unit has one table")
        let pointer = try XCTUnwrap((0 ..< 256).first { luts[$0] >= 240 })
        var twice = luts
        // A second entry pointing to the same table: take the entry after the pointer (part of another run).
        let next = pointer == 255 ? pointer - 1 : pointer + 1
        twice[next] = luts[pointer]
        XCTAssertNotNil(DecodeTableStructure.problem(twice, tableCount: k))

        var kraft = luts
        let e = (0 ..< 240).first { luts[k * 256 + $0] > 1 }!
        kraft[k * 256 + e] -= 1
        let problem = DecodeTableStructure.problem(kraft, tableCount: k) ?? ""
        XCTAssert(problem.contains("Kraft") || problem.contains("table"), problem)
    }
}

/// A small deterministic generator for these tests.
struct SplitMix64Test: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
