import JSON
import DF11TestSupport
import DF11Kit
import Safetensors
import XCTest

/// `ShardPlan`: the grouping of huggingface_hub's `split_torch_state_dict_into_shards`, names, index and sizes.
final class ShardPlanTests: XCTestCase {
    func bf16(_ name: String, _ elements: Int) -> TensorDescription {
        TensorDescription(name: name, dtype: .bf16, shape: [elements])
    }

    func testGroupsInOrderAndGivesOversizedTensorsTheirOwnShard() {
        // Sizes 40, 40, 300 (over the limit), 30, 50 bytes with a limit of 100.
        let tensors = [bf16("a", 20), bf16("b", 20), bf16("big", 150), bf16("c", 15), bf16("d", 25)]
        let plan = ShardPlan(tensors: tensors, maxBytes: 100)
        XCTAssertEqual(plan.shards.map { $0.tensors.map(\.name) }, [["big"], ["a", "b"], ["c", "d"]])
        XCTAssertEqual(plan.shards.map(\.fileName), ["model-00001-of-00003.safetensors",
                                                     "model-00002-of-00003.safetensors",
                                                     "model-00003-of-00003.safetensors"])
        XCTAssert(plan.isSharded)
        // The limit is inclusive: 40 + 40 + 20 = 100 bytes fits one shard.
        XCTAssertEqual(ShardPlan(tensors: [bf16("a", 20), bf16("b", 20), bf16("c", 10)], maxBytes: 100).shards.count, 1)
    }

    func testOneShardIsModelSafetensors() {
        for limit in [nil, UInt64(1_000)] {
            let plan = ShardPlan(tensors: [bf16("a", 20), bf16("b", 20)], maxBytes: limit)
            XCTAssertEqual(plan.shards.map(\.fileName), ["model.safetensors"])
            XCTAssertFalse(plan.isSharded)
        }
    }

    func testIndexAsTransformersWritesIt() throws {
        // 60 + 60 bytes pass the limit: a.w starts the second shard. The map is sorted by name, not by shard.
        let plan = ShardPlan(tensors: [bf16("z.w", 30), bf16("a.w", 30), bf16("m\"q", 1)], maxBytes: 70)
        let text = String(decoding: plan.indexJSON, as: UTF8.self)
        XCTAssertEqual(text, """
            {
              "metadata": {
                "total_size": 122
              },
              "weight_map": {
                "a.w": "model-00002-of-00002.safetensors",
                "m\\"q": "model-00002-of-00002.safetensors",
                "z.w": "model-00001-of-00002.safetensors"
              }
            }

            """)
        XCTAssertNotNil(try JSONParser().parse(text))
        // Non-ASCII names escaped as Python's json.dumps escapes them (ensure_ascii).
        let accented = ShardPlan(tensors: [bf16("é.w", 1)], maxBytes: 1).indexJSON
        XCTAssert(String(decoding: accented, as: UTF8.self).contains(#""\u00e9.w": "model.safetensors""#))
    }

    func testParseSize() {
        XCTAssertEqual(ShardPlan.parseSize("5GB"), 5_000_000_000)
        XCTAssertEqual(ShardPlan.parseSize("5gb"), 5_000_000_000)
        XCTAssertEqual(ShardPlan.parseSize("1.5 GB"), 1_500_000_000)
        XCTAssertEqual(ShardPlan.parseSize("500MiB"), 500 << 20)
        XCTAssertEqual(ShardPlan.parseSize("2KiB"), 2048)
        XCTAssertEqual(ShardPlan.parseSize("123456"), 123_456)
        XCTAssertEqual(ShardPlan.parseSize("100B"), 100)
        for bad in ["", "GB", "5XB", "-5GB", "0", "0.1B", "1e3MB", "five", "5 G B", "99999999TB"] {
            XCTAssertNil(ShardPlan.parseSize(bad), bad)
        }
    }
}
