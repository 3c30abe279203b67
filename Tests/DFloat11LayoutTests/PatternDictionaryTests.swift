import XCTest
@testable import DFloat11Layout

final class PatternDictionaryTests: XCTestCase {
    func testFullMatchSemantics() throws {
        let dict = try PatternDictionary(entries: [(#"model\.layers\.\d+"#, []), ("lm_head|model\\.norm", []),
                                                  (#"blocks\.[0-9]+\.attn"#, [])])
        XCTAssert(dict.fullMatch(entry: 0, "model.layers.12"))
        XCTAssertFalse(dict.fullMatch(entry: 0, "model.layers.12.mlp"))
        XCTAssertFalse(dict.fullMatch(entry: 0, "xmodel.layers.1"))
        XCTAssertFalse(dict.fullMatch(entry: 0, "model.layers.1\n"))   // Python fullmatch: no newline before the end
        XCTAssert(dict.fullMatch(entry: 1, "lm_head"))
        XCTAssert(dict.fullMatch(entry: 1, "model.norm"))            // alternation covers the whole name
        XCTAssertFalse(dict.fullMatch(entry: 1, "lm_head.x"))
        XCTAssert(dict.fullMatch(entry: 2, "blocks.3.attn"))
        XCTAssertThrowsError(try PatternDictionary(entries: [("(?P<n>a)", [])]))
        XCTAssertThrowsError(try PatternDictionary(entries: [("a(", [])]))
    }

    func testUnitsFromTensorNames() throws {
        let dict = try PatternDictionary(entries: [("lm_head", []), (#"model\.layers\.\d+"#, ["mlp.up", "mlp.down"])])
        let names = ["model.layers.10.mlp.up.weight", "model.layers.10.mlp.down.weight", "model.layers.2.mlp.up.weight",
                     "model.layers.2.mlp.down.weight", "model.layers.2.norm.weight", "model.embed.weight"]
        let units = try dict.units(tensorNames: names, tiedWeights: ["lm_head.weight": "model.embed.weight"])
        XCTAssertEqual(units.map(\.module), ["lm_head", "model.layers.2", "model.layers.10"])
        XCTAssertEqual(units[0].weights.map(\.source), ["model.embed.weight"])
        XCTAssertEqual(units[1].weights.map(\.name), ["model.layers.2.mlp.up.weight", "model.layers.2.mlp.down.weight"])
        XCTAssertEqual(units[1].otherTensors, ["model.layers.2.norm.weight"])
        XCTAssertEqual(units[2].fileName, "model_layers_10.safetensors")
        XCTAssertThrowsError(try dict.units(tensorNames: ["model.layers.0.mlp.up.weight"]))   // down missing
    }
}
