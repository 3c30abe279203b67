import JSON
import DF11TestSupport
import DFloat11Layout
import Foundation
import Safetensors
import XCTest

final class ArchitecturePresetTests: XCTestCase {
    private var presetDirectory: String { repositoryRoot + "/Sources/DFloat11Layout/Architectures" }

    /// The embedded copy is generated from the JSON files; run tools/gen_architectures.sh when this fails.
    func testEmbeddedPresetsMatchTheJSONFiles() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: presetDirectory)
            .filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertEqual(ArchitecturePreset.all.count, names.count, "run tools/gen_architectures.sh")
        for name in names {
            let file = try JSONParser().parse(Array(try Data(contentsOf: URL(fileURLWithPath: presetDirectory + "/" + name))))
            let preset = try ArchitecturePreset(json: file)
            XCTAssertEqual(ArchitecturePreset.named(preset.name)?.patternDictJSON, preset.patternDictJSON,
                           "\(name) differs from the embedded copy: run tools/gen_architectures.sh")
            XCTAssertEqual(ArchitecturePreset.named(preset.name)?.description, preset.description, name)
            XCTAssertEqual(ArchitecturePreset.named(preset.name)?.architectures, preset.architectures, name)
            XCTAssertEqual(name, preset.name + ".json")
        }
    }

    func testEveryPresetCompilesAndNamesAreUnique() throws {
        var seen = Set<String>()
        for preset in ArchitecturePreset.all {
            XCTAssertFalse(try preset.patternDictionary().entries.isEmpty)
            for name in [preset.name] + preset.aliases { XCTAssertTrue(seen.insert(name.lowercased()).inserted, name) }
        }
        var architectures = Set<String>()
        for preset in ArchitecturePreset.all {
            for a in preset.architectures { XCTAssertTrue(architectures.insert(a).inserted, a) }
        }
    }

    func testSelectionFromConfig() throws {
        func select(_ text: String) throws -> String? { ArchitecturePreset.select(config: try JSONParser().parse(text))?.name }
        XCTAssertEqual(try select(#"{"architectures": ["LlamaForCausalLM"], "model_type": "llama"}"#), "llama")
        XCTAssertEqual(try select(#"{"architectures": ["Qwen2ForCausalLM"]}"#), "qwen2")
        XCTAssertEqual(try select(#"{"architectures": ["Qwen3ForCausalLM"]}"#), "qwen3")
        XCTAssertEqual(try select(#"{"architectures": ["Gemma3ForCausalLM"]}"#), "gemma")
        XCTAssertEqual(try select(#"{"architectures": ["Phi3ForCausalLM"]}"#), "phi3")
        XCTAssertEqual(try select(#"{"architectures": ["MistralForCausalLM"]}"#), "mistral")
        XCTAssertEqual(try select(#"{"architectures": ["BertForMaskedLM"], "model_type": "bert"}"#), "bert-head")
        XCTAssertEqual(try select(#"{"architectures": ["SomethingElse"], "model_type": "bert"}"#), "bert")
        XCTAssertNil(try select(#"{"architectures": ["T5ForConditionalGeneration"], "model_type": "t5"}"#))
        XCTAssertEqual(ArchitecturePreset.named("DeepSeek-R1-Distill-Qwen")?.name, "qwen2")
        XCTAssertEqual(ArchitecturePreset.named("deepseek-r1-distill-llama")?.name, "llama")
    }

    /// The llama and bert presets are exactly the dictionaries of the golden official outputs.
    func testPresetsEqualTheGoldenPatternDictionaries() throws {
        for (preset, case_) in [("llama", "llama-untied"), ("bert", "bert-1layer")] {
            let official = try goldenJSON(case_ + "/official-single/config.json")["dfloat11_config"]?["pattern_dict"]
            XCTAssertEqual(ArchitecturePreset.named(preset)?.patternDictJSON, official, preset)
        }
    }

    func testTiedWeightsApplyOnlyWhenTheCheckpointOmitsThem() throws {
        let llama = try XCTUnwrap(ArchitecturePreset.named("llama"))
        XCTAssertEqual(llama.tiedWeights(tensorNames: ["model.embed_tokens.weight"], config: nil),
                       ["lm_head.weight": "model.embed_tokens.weight"])
        XCTAssertEqual(llama.tiedWeights(tensorNames: ["model.embed_tokens.weight", "lm_head.weight"], config: nil), [:])
        XCTAssertEqual(llama.tiedWeights(tensorNames: ["model.embed_tokens.weight"],
                                         config: try JSONParser().parse(#"{"tie_word_embeddings": false}"#)), [:])
    }

    /// Patterns beyond literals and \d, as published: SD3.5 Large's alternation splits its 38 blocks 37 + 1, the
    /// possessive \d++ of ACE-Step's lyric encoder, and BAGEL's and Phi-4's unescaped dots.
    func testPublishedPatternsMatchAsPythonsRegexWould() throws {
        let sd35 = try XCTUnwrap(ArchitecturePreset.named("sd3.5-large")).patternDictionary()
        for block in 0 ... 37 {
            let matched = sd35.entries.indices.filter { sd35.fullMatch(entry: $0, "transformer_blocks.\(block)") }
            XCTAssertEqual(matched, [block == 37 ? 1 : 0], "block \(block)")
        }
        XCTAssertFalse(sd35.entries.indices.contains { sd35.fullMatch(entry: $0, "transformer_blocks.38") })
        let ace = try XCTUnwrap(ArchitecturePreset.named("ace-step-1.5")).patternDictionary()
        let lyric = try XCTUnwrap(ace.entries.firstIndex { $0.pattern.contains("lyric") })
        XCTAssertTrue(ace.fullMatch(entry: lyric, "encoder.lyric_encoder.layers.12"))
        XCTAssertFalse(ace.fullMatch(entry: lyric, "encoder.lyric_encoder.layers.x"))
        let phi4 = try XCTUnwrap(ArchitecturePreset.named("phi4")).patternDictionary()
        XCTAssertTrue(phi4.fullMatch(entry: 2, "model.layers.39"))
        XCTAssertFalse(phi4.fullMatch(entry: 2, "model.layers.39.mlp"))
        let bagel = try XCTUnwrap(ArchitecturePreset.named("bagel")).patternDictionary()
        XCTAssertTrue(bagel.fullMatch(entry: 1, "language_model.model.layers.27"))
        XCTAssertTrue(bagel.fullMatch(entry: 3, "vit_model"))
    }
}
