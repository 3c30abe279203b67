import JSON
@testable import DF11Kit
import DF11TestSupport
import Safetensors
import XCTest

/// The unit weight shapes `df11 decompress` derives from config.json, on the published configs of the preset
/// families (values as in their Hugging Face config.json files).
final class DFloat11ShapesTests: XCTestCase {
    func shapes(_ json: String) throws -> WeightShapes {
        WeightShapes(config: try JSONParser().parse(Array(json.utf8)), configName: "config.json")
    }

    func size(_ shape: [Int]) -> UInt64 { shape.reduce(1) { $0 * UInt64($1) } }

    func check(_ s: WeightShapes, _ name: String, _ expected: [Int], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(try s.shape(of: name, elements: size(expected)), expected, name, file: file, line: line)
    }

    func testPhi3FusedProjections() throws {
        // microsoft/Phi-3-mini-4k-instruct
        let s = try shapes(#"{"hidden_size": 3072, "num_attention_heads": 32, "num_key_value_heads": 32, "#
                           + #""intermediate_size": 8192, "vocab_size": 32064}"#)
        check(s, "model.layers.0.self_attn.qkv_proj.weight", [9216, 3072])
        check(s, "model.layers.0.self_attn.o_proj.weight", [3072, 3072])
        check(s, "model.layers.0.mlp.gate_up_proj.weight", [16384, 3072])
        check(s, "model.layers.0.mlp.down_proj.weight", [3072, 8192])
        check(s, "model.embed_tokens.weight", [32064, 3072])
    }

    func testGroupedQueryAttentionAndExplicitHeadDim() throws {
        // google/gemma-2-2b: head_dim 256 is not hidden / heads (288).
        let gemma = try shapes(#"{"hidden_size": 2304, "num_attention_heads": 8, "num_key_value_heads": 4, "#
                               + #""head_dim": 256, "intermediate_size": 9216, "vocab_size": 256000}"#)
        check(gemma, "model.layers.3.self_attn.q_proj.weight", [2048, 2304])
        check(gemma, "model.layers.3.self_attn.k_proj.weight", [1024, 2304])
        check(gemma, "model.layers.3.self_attn.o_proj.weight", [2304, 2048])
        // Phi-3-medium: grouped fused attention (40 heads, 10 key-value heads, head_dim 128).
        let medium = try shapes(#"{"hidden_size": 5120, "num_attention_heads": 40, "num_key_value_heads": 10, "#
                                + #""intermediate_size": 17920, "vocab_size": 32064}"#)
        check(medium, "model.layers.0.self_attn.qkv_proj.weight", [7680, 5120])
    }

    func testValuesFromTextConfig() throws {
        let s = try shapes(#"{"model_type": "wrapper", "text_config": {"hidden_size": 64, "num_attention_heads": 4, "#
                           + #""intermediate_size": 128, "vocab_size": 100}}"#)
        check(s, "model.layers.0.mlp.up_proj.weight", [128, 64])
    }

    func testRefusals() throws {
        let s = try shapes(#"{"hidden_size": 64, "num_attention_heads": 4, "intermediate_size": 128}"#)
        XCTAssertThrowsError(try s.shape(of: "model.layers.0.mlp.fc1.weight", elements: 8192)) { error in
            XCTAssert("\(error)".contains("no rule for this tensor name"), "\(error)")
        }
        XCTAssertThrowsError(try s.shape(of: "model.layers.0.mlp.up_proj.weight", elements: 8000)) { error in
            XCTAssert("\(error)".contains("the unit holds 8000"), "\(error)")
        }
        XCTAssertThrowsError(try s.shape(of: "model.embed_tokens.weight", elements: 6400)) { error in
            XCTAssert("\(error)".contains("no positive 'vocab_size'"), "\(error)")
        }
    }

    /// Hostile or corrupt configs (found by fuzzing: 2^62 trapped on overflow) are refused, never trusted.
    func testHugeValuesAreRefusedNotTrapped() throws {
        let cases: [(String, String)] = [
            (#"{"hidden_size": 64, "num_attention_heads": 4, "intermediate_size": 4611686018427387904}"#,
             "model.layers.0.mlp.gate_up_proj.weight"),
            (#"{"hidden_size": 64, "num_attention_heads": 4, "intermediate_size": 18446744073709551615}"#,
             "model.layers.0.mlp.up_proj.weight"),
            (#"{"hidden_size": 1099511627776, "num_attention_heads": 1, "num_key_value_heads": 1099511627776}"#,
             "model.layers.0.self_attn.qkv_proj.weight"),
            (#"{"hidden_size": 1099511627776, "num_attention_heads": 1, "vocab_size": 1099511627776}"#,
             "model.embed_tokens.weight"),
            (#"{"hidden_size": 64, "num_attention_heads": 4, "head_dim": 1099511627776}"#,
             "model.layers.0.self_attn.q_proj.weight"),
        ]
        for (json, name) in cases {
            XCTAssertThrowsError(try shapes(json).shape(of: name, elements: 8192), json) { error in
                XCTAssertEqual((error as? CodedFailure)?.code, "shape-unknown", "\(error)")
            }
        }
    }
}
