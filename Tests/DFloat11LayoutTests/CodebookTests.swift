import JSON
import DF11TestSupport
import XCTest
import Safetensors
import DF11IO
@testable import DFloat11Layout

final class CodebookTests: XCTestCase {
    func counts(_ json: JSONValue) -> [(exponent: UInt8, count: UInt64)] {
        json.members!.map { (UInt8($0.key)!, $0.value.uint64Value!) }
    }

    func codes(_ code: DahuffmanCode) -> [String: String] {
        var result: [String: String] = [:]
        for entry in code.entries { if case .exponent(let e) = entry.symbol { result[String(e)] = entry.bitString } }
        return result
    }

    /// Codes, EOF code, table count, prefixes and carried entries of every unit in MANIFEST.
    func testManifestUnitCodebooks() throws {
        var checked = 0
        for member in manifest["cases"]!.members! {
            for unit in member.value["units"]?.elements ?? [] {
                guard let countsJSON = unit["exponent_counts"] else { continue }
                let name = unit["module"]!.stringValue!
                let result = try LengthLimiter32.limit(counts: counts(countsJSON), unit: name)
                XCTAssertNil(result.finalK)
                let expected = unit["codes"]!.members!.reduce(into: [String: String]()) { $0[$1.key] = $1.value.stringValue! }
                XCTAssertEqual(codes(result.code), expected, name)
                XCTAssertEqual(result.code.endOfFile.bitString, unit["eof_code"]!.stringValue!, name)
                // The code table's order of appearance is ascending code bits (tree order).
                let bits = result.code.entries.map(\.bitString)
                XCTAssertEqual(bits, bits.sorted(), name)
                let tables = try DecodeTables(code: result.code, unit: name)
                XCTAssertEqual(UInt64(tables.tableCount), unit["n_decode_tables"]!.uint64Value!, name)
                XCTAssertEqual(tables.tablesWithCarriedEntry0.map(UInt64.init),
                               unit["luts_with_carried_entry0"]!.elements!.map { $0.uint64Value! }, name)
                checked += 1
            }
        }
        XCTAssertEqual(checked, 12)
    }

    /// The limiter codebooks: fib34 and fib40 reproduced (codes, EOF, tables byte for byte); fib36_tie refused.
    func testLimiterCodebooks() throws {
        let books = try goldenJSON("limiter-codebook/codebooks.json")
        for name in ["fib34", "fib40"] {
            let book = books[name]!
            let result = try LengthLimiter32.limit(counts: counts(book["counts"]!), unit: name)
            XCTAssertEqual(UInt64(result.finalK!), book["final_k"]!.uint64Value!, name)
            XCTAssertEqual(result.changedExponents.map(UInt64.init),
                           book["final_counts_changed"]!.elements!.map { $0.uint64Value! }, name)
            XCTAssertEqual(result.code.maxLength, 32)
            let expected = book["codes"]!.members!.reduce(into: [String: String]()) { $0[$1.key] = $1.value.stringValue! }
            XCTAssertEqual(codes(result.code), expected, name)
            XCTAssertEqual(result.code.endOfFile.bitString, book["eof_code"]!.stringValue!, name)
            let tables = try DecodeTables(code: result.code, unit: name)
            let official = try DF11IOFiles.read(golden("limiter-codebook/" + book["luts_file"]!.stringValue!))
            XCTAssertEqual(tables.bytes, official, name)
            XCTAssertEqual(sha256Hex(tables.bytes), book["luts_sha256"]!.stringValue!, name)
        }
        let tie = books["fib36_tie"]!
        XCTAssertThrowsError(try LengthLimiter32.limit(counts: counts(tie["counts"]!), unit: "fib36_tie")) { error in
            let error = error as! DFloat11LayoutError
            XCTAssertEqual(error.problem, .limiterTie(k: 7, count: 13))
            XCTAssertEqual(error.category, .couldNotRun)
            XCTAssert(error.description.contains("use `df11 compress` without --format dfloat11"), error.description)
            XCTAssert(error.description.contains("'fib36_tie'"))
        }
        // The two official outputs for the tie case differ: the reason for the refusal.
        let avx = try DF11IOFiles.read(golden("limiter-codebook/fib36_tie.luts.u8"))
        let scalar = try DF11IOFiles.read(golden("limiter-codebook/fib36_tie.no-avx2.luts.u8"))
        XCTAssertNotEqual(avx, scalar)
    }

    /// A tie at the boundary between counts of 1 is harmless (the pick does not change the counts): counts
    /// 1, 1, 1, 3, then Fibonacci sums (60 exponents) tie among ones at k = 2 and stop at k = 34. Expected
    /// values computed by hand with the official `get_32bit_codec` + `get_luts` (dfloat11 0.5.0).
    func testTieAmongOnesIsReproduced() throws {
        var fib: [UInt64] = [1, 1, 1, 3]
        while fib.count < 60 { fib.append(fib[fib.count - 1] + fib[fib.count - 2]) }
        let counts = fib.enumerated().map { (UInt8($0.offset), $0.element) }
        XCTAssertEqual(DahuffmanCode(counts: counts).maxLength, 59)
        let result = try LengthLimiter32.limit(counts: counts, unit: "ones")
        XCTAssertEqual(result.finalK, 34)
        XCTAssertEqual(result.code.endOfFile.length, 32)
        XCTAssertEqual(result.code.endOfFile.value, 4_294_967_098)
        let tables = try DecodeTables(code: result.code, unit: "ones")
        XCTAssertEqual(sha256Hex(tables.bytes), "35c984b0f37bded63ba6ab198cee982c3258de28ac8177489c416a0d1376a523")
    }

    /// dahuffman's tie-breaking, checked by hand against dahuffman 0.4.2.
    func testDahuffmanTieBreakingOnSmallTables() {
        // EOF (1) and 7 (1) merge first (EOF left); the merged node (2, first symbol EOF) then sorts before
        // exponent 3 (2) and goes left: dahuffman gives {EOF: 00, 7: 01, 3: 1}.
        let code = DahuffmanCode(counts: [(7, 1), (3, 2)])
        XCTAssertEqual(code.entries.map(\.symbol), [.endOfFile, .exponent(7), .exponent(3)])
        XCTAssertEqual(code.entries.map(\.bitString), ["00", "01", "1"])
        // One symbol: EOF and the symbol; the smaller key (EOF) goes left.
        let single = DahuffmanCode(counts: [(120, 5)])
        XCTAssertEqual(single.entries.map(\.bitString), ["0", "1"])
        XCTAssertEqual(single.entries.map(\.symbol), [.endOfFile, .exponent(120)])
    }

    func testRefusals() {
        // EOF owns the all-zero code of length ≤ 8: the official tool crashes; we refuse.
        let single = DahuffmanCode(counts: [(120, 5)])
        XCTAssertThrowsError(try DecodeTables(code: single, unit: "tiny")) { error in
            XCTAssertEqual((error as? DFloat11LayoutError)?.problem, .firstTableStartsWithEndOfFile)
        }
        var statistics = UnitStatistics()
        statistics.add(words: [0x7F80, 0x3F80])   // +inf (exponent 255) and 1.0
        XCTAssertThrowsError(try UnitEncoder(unit: "inf", statistics: statistics)) { error in
            XCTAssertEqual((error as? DFloat11LayoutError)?.problem, .exponentNotRepresentable(255))
            XCTAssert("\(error)".contains("use `df11 compress` without --format dfloat11"))
        }
        XCTAssertThrowsError(try UnitEncoder(unit: "empty", statistics: UnitStatistics()))
    }
}

enum DF11IOFiles {
    static func read(_ path: String) throws -> [UInt8] { try DF11IO.FileSystem.readSmallFile(path) }
}
