import JSON
import Foundation
import Safetensors

/// How a checkpoint's tensors are split into weight files of at most a given size, as Hugging Face tools shard
/// (`huggingface_hub.split_torch_state_dict_into_shards`, which `save_pretrained(max_shard_size=…)` uses).
///
/// Tensors are taken in order and added to the current shard until the next one would pass the limit, which
/// then starts a new shard; a tensor larger than the limit gets a shard of its own (placed when it is met). One
/// shard is written as `model.safetensors`; several as `model-00001-of-0000N.safetensors` with
/// `model.safetensors.index.json` mapping each tensor to its file. A diffusers model's files are named the same
/// way after `diffusion_pytorch_model` (`baseName`).
public struct ShardPlan: Sendable {
    /// The file names, and the tensors of each in the order they were taken.
    public let shards: [(fileName: String, tensors: [TensorDescription])]
    /// `model`, or `diffusion_pytorch_model` for a diffusers model.
    public let baseName: String

    /// `tensors` in order, in shards of at most `maxBytes` bytes of tensor data (nil: one shard).
    public init(tensors: [TensorDescription], maxBytes: UInt64?, baseName: String = "model") {
        self.baseName = baseName
        guard let maxBytes else {
            shards = [(baseName + ".safetensors", tensors)]
            return
        }
        var groups: [[TensorDescription]] = []
        var current: [TensorDescription] = []
        var currentBytes: UInt64 = 0
        for tensor in tensors {
            let bytes = tensor.byteCount ?? 0     // invalid sizes are refused when the file is laid out
            if bytes > maxBytes {
                groups.append([tensor])
                continue
            }
            if currentBytes + bytes > maxBytes && !current.isEmpty {
                groups.append(current)
                current = []
                currentBytes = 0
            }
            current.append(tensor)
            currentBytes += bytes
        }
        if !current.isEmpty || groups.isEmpty { groups.append(current) }
        if groups.count == 1 {
            shards = [(baseName + ".safetensors", groups[0])]
        } else {
            let n = groups.count
            shards = groups.enumerated().map { i, group in (Self.shardName(i + 1, of: n, baseName: baseName), group) }
        }
    }

    /// `model.safetensors.index.json` (after `baseName`).
    public var indexFileName: String { baseName + ".safetensors.index.json" }

    /// Whether the plan has more than one file (and so an index).
    public var isSharded: Bool { shards.count > 1 }

    /// `model-00002-of-00004.safetensors`.
    public static func shardName(_ index: Int, of count: Int, baseName: String = "model") -> String {
        func five(_ n: Int) -> String { String(repeating: "0", count: max(0, 5 - String(n).count)) + String(n) }
        return "\(baseName)-\(five(index))-of-\(five(count)).safetensors"
    }

    /// `model.safetensors.index.json` as transformers writes it (`json.dumps(index, indent=2, sort_keys=True)`
    /// and a newline, `ensure_ascii` included: `JSONStyle.python`): `metadata.total_size` (bytes of tensor data) and
    /// `weight_map`.
    public var indexJSON: [UInt8] {
        var map: [JSONMember] = []
        var total: UInt64 = 0
        for shard in shards {
            for tensor in shard.tensors {
                map.append(JSONMember(key: tensor.name, value: .string(shard.fileName)))
                total += tensor.byteCount ?? 0
            }
        }
        let index = JSONValue.object([
            JSONMember(key: "metadata", value: .object([JSONMember(key: "total_size", value: .int(total))])),
            JSONMember(key: "weight_map", value: .object(map)),
        ])
        return index.encode(.python(sortKeys: true)) + [0x0A]
    }

    /// Bytes from a size such as `5GB` (10^9), `500MiB` (2^20), `1.5GB` or `123456` (bytes); nil if malformed
    /// or not positive. Units are case-insensitive: KB MB GB TB (powers of 1000), KiB MiB GiB TiB (of 1024), B.
    public static func parseSize(_ text: String) -> UInt64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(suffix: String, factor: Double)] = [
            ("kib", 1024), ("mib", 1024 * 1024), ("gib", 1024 * 1024 * 1024), ("tib", 1024 * 1024 * 1024 * 1024),
            ("kb", 1e3), ("mb", 1e6), ("gb", 1e9), ("tb", 1e12), ("b", 1),
        ]
        var number = Substring(trimmed)
        var factor = 1.0
        for unit in units where trimmed.lowercased().hasSuffix(unit.suffix) {
            number = number.dropLast(unit.suffix.count)
            factor = unit.factor
            break
        }
        let digits = number.trimmingCharacters(in: .whitespaces)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let value = Double(digits) else { return nil }
        let bytes = (value * factor).rounded(.down)
        guard bytes >= 1, bytes < 1.8e19 else { return nil }
        return UInt64(bytes)
    }
}
