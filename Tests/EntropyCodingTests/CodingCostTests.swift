import DF11TestSupport
import Foundation
import XCTest
@testable import EntropyCoding

/// `CodingCost` and `CodingChoices` against tools/bench/coder_bounds.py's numbers on the histograms of
/// Fixtures/coder-costs.json (made by tools/bench/coder_costs_fixture.py): the same costs to 1e-9 (relative,
/// at least 1e-9 absolute) and the same choices.
final class CodingCostTests: XCTestCase {
    private var fixtureJSON: [String: Any] {
        get throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: fixture("coder-costs.json")))
            return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
    }

    private func counts(_ value: Any?) throws -> [UInt64] {
        try XCTUnwrap(value as? [NSNumber]).map { $0.uint64Value }
    }

    private func double(_ value: Any?) throws -> Double { try XCTUnwrap(value as? NSNumber).doubleValue }

    private func assertClose(_ actual: Double?, _ expected: Double, _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        guard let actual else { return XCTFail("nil, expected \(expected): \(message)", file: file, line: line) }
        XCTAssertLessThanOrEqual(abs(actual - expected), 1e-9 * Swift.max(1, abs(expected)),
                                 "\(actual) against \(expected): \(message)", file: file, line: line)
    }

    func testHistogramCostsAreCoderBounds() throws {
        let histograms = try XCTUnwrap(try fixtureJSON["histograms"] as? [[String: Any]])
        XCTAssertEqual(histograms.count, 6)
        for h in histograms {
            let name = try XCTUnwrap(h["name"] as? String)
            let c = try counts(h["counts"])
            assertClose(CodingCost.entropyBits(c), try double(h["entropy"]), "\(name): entropy")
            let ans = try XCTUnwrap(h["ans"] as? [String: Any]), table = try XCTUnwrap(h["table"] as? [String: Any])
            for (log, expected) in ans {
                assertClose(CodingCost.ansBits(c, tableLog: Int(log)!), try double(expected), "\(name): ANS at 2^\(log)")
            }
            for (log, expected) in table {
                assertClose(CodingCost.ansTableBits(c, tableLog: Int(log)!), try double(expected), "\(name): table at 2^\(log)")
            }
        }
    }

    func testMantissaBitsChoiceIsCoderBounds() throws {
        let k = try XCTUnwrap(try fixtureJSON["k"] as? [String: Any])
        let candidates = try (0...4).map { try ElementSplit(layout: .bf16, symbolMantissaBits: $0) }
        XCTAssertEqual(candidates.map(\.rawBits), try XCTUnwrap(k["rawBitsAtK"] as? [Int]))
        let choice = try CodingChoices.symbolMantissaBits(countsAtLargest: counts(k["countsAtK4"]), candidates: candidates,
                                                          tableLog: try XCTUnwrap(k["tableLog"] as? Int))
        let expected = try XCTUnwrap(k["bits"] as? [NSNumber]).map(\.doubleValue)
        for (i, bits) in choice.bits.enumerated() { assertClose(bits, expected[i], "k = \(i)") }
        XCTAssertEqual(choice.best.symbolMantissaBits, try XCTUnwrap(k["best"] as? Int))
        // Candidates in any order give the same choice.
        let reversed = try CodingChoices.symbolMantissaBits(countsAtLargest: counts(k["countsAtK4"]),
                                                            candidates: candidates.reversed(), tableLog: 12)
        XCTAssertEqual(reversed.best, choice.best)
    }

    func testTablePlansAreCoderBounds() throws {
        let cases = try XCTUnwrap(try fixtureJSON["blocks"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 2)
        var seen = Set<String>()
        for (index, plan) in cases.enumerated() {
            let blocks = try XCTUnwrap(plan["blocks"] as? [Any]).map { try counts($0) }
            let result = CodingChoices.planTables(blocks: blocks, tableLog: try XCTUnwrap(plan["tableLog"] as? Int),
                                                  rawSymbolBits: try XCTUnwrap(plan["rawSymbolBits"] as? Int),
                                                  overheadBits: try double(plan["overheadBits"]))
            assertClose(result.segmentTableBits, try double(plan["segmentTableBits"]), "case \(index): segment table")
            let rows = try XCTUnwrap(plan["rows"] as? [[String: Any]])
            for (b, row) in rows.enumerated() {
                assertClose(result.costs[b].own, try double(row["own"]), "case \(index) block \(b): own table")
                assertClose(result.costs[b].segment, try double(row["segment"]), "case \(index) block \(b): segment table")
                assertClose(result.costs[b].raw, try double(row["raw"]), "case \(index) block \(b): raw")
            }
            XCTAssertEqual(result.useSegmentTable, try XCTUnwrap(plan["useSegmentTable"] as? Bool), "case \(index)")
            XCTAssertEqual(result.blocks.map(\.rawValue), try XCTUnwrap(plan["choice"] as? [String]), "case \(index)")
            assertClose(result.bits, try double(plan["bits"]), "case \(index): total")
            seen.formUnion(result.blocks.map(\.rawValue))
        }
        // The fixture exercises every choice.
        XCTAssertEqual(seen, ["segment", "own", "raw"])
    }

    /// A flat byte plane stays raw, a skewed one is coded; one symbol costs no coded bits, only its table.
    func testPlaneCodedOrRaw() throws {
        let histograms = try XCTUnwrap(try fixtureJSON["histograms"] as? [[String: Any]])
        let flat = try counts(histograms.first { $0["name"] as? String == "flat byte plane" }?["counts"])
        let flatChoice = CodingChoices.codedOrRaw(flat, tableLog: 12, rawSymbolBits: 8, overheadBits: 128)
        XCTAssertEqual(flatChoice.table, .raw)
        XCTAssertEqual(flatChoice.bits, Double(8 * CodingCost.total(flat)))
        let skewed = try counts(histograms.first { $0["name"] as? String == "skewed, top symbol 0.35" }?["counts"])
        let skewedChoice = CodingChoices.codedOrRaw(skewed, tableLog: 12, rawSymbolBits: 6, overheadBits: 128)
        XCTAssertEqual(skewedChoice.table, .own)
        XCTAssertLessThan(skewedChoice.bits, Double(6 * CodingCost.total(skewed)))
        let one: [UInt64] = [0, 0, 12345, 0]
        XCTAssertEqual(CodingCost.ansBits(one, tableLog: 12), 0)
        XCTAssertEqual(CodingChoices.codedOrRaw(one, tableLog: 12, rawSymbolBits: 2, overheadBits: 128).bits, 16 + 128)
        XCTAssertNil(CodingCost.ansBits([UInt64](repeating: 1, count: 2048), tableLog: 10))
    }

    /// With the exact table sizes of `TANSCounts` (within a few hundred bits of the model per table here) the
    /// choices on the fixture stay the same.
    func testChoicesWithExactTableSizes() throws {
        let json = try fixtureJSON
        let k = try XCTUnwrap(json["k"] as? [String: Any])
        let candidates = try (0...4).map { try ElementSplit(layout: .bf16, symbolMantissaBits: $0) }
        let model = try CodingChoices.symbolMantissaBits(countsAtLargest: counts(k["countsAtK4"]), candidates: candidates, tableLog: 12)
        let exact = try CodingChoices.symbolMantissaBits(countsAtLargest: counts(k["countsAtK4"]), candidates: candidates,
                                                         tableLog: 12, tableCost: CodingCost.countsBits)
        XCTAssertEqual(exact.best, model.best)
        for (m, e) in zip(model.bits, exact.bits) { XCTAssertLessThan(abs(e! - m!), 1000) }
        for plan in try XCTUnwrap(json["blocks"] as? [[String: Any]]) {
            let blocks = try XCTUnwrap(plan["blocks"] as? [Any]).map { try counts($0) }
            let exactPlan = CodingChoices.planTables(blocks: blocks, tableLog: 12, rawSymbolBits: 10, overheadBits: 128,
                                                     tableCost: CodingCost.countsBits)
            XCTAssertEqual(exactPlan.blocks.map(\.rawValue), try XCTUnwrap(plan["choice"] as? [String]))
        }
    }

    func testImpossibleMantissaChoicesAreRefused() throws {
        XCTAssertThrowsError(try CodingChoices.symbolMantissaBits(countsAtLargest: [1], candidates: [], tableLog: 12))
        let bf16 = try ElementSplit(layout: .bf16, symbolMantissaBits: 1)
        let f16 = try ElementSplit(layout: .f16, symbolMantissaBits: 0)
        XCTAssertThrowsError(try CodingChoices.symbolMantissaBits(countsAtLargest: [UInt64](repeating: 1, count: 512),
                                                                  candidates: [bf16, f16], tableLog: 12))
        XCTAssertThrowsError(try CodingChoices.symbolMantissaBits(countsAtLargest: [1, 2], candidates: [bf16], tableLog: 12))
        // 4096 used symbols do not fit a table of 2^10 states.
        let wide = try ElementSplit(layout: .bf16, symbolMantissaBits: 4)
        XCTAssertThrowsError(try CodingChoices.symbolMantissaBits(countsAtLargest: [UInt64](repeating: 1, count: 4096),
                                                                  candidates: [wide], tableLog: 10))
    }
}
