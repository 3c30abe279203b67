import JSON
import DF11Pipeline
import Safetensors

/// What `df11 inspect` reports for a checkpoint. JSON schema `df11.inspect/1` (docs/JSON.md).
public struct InspectReport: OperationReport {
    public var textRole: ReportTextRole { .result }

    public let path: String
    public let kind: Checkpoint.Kind
    public let files: [FileSummary]
    public let otherFiles: [String]
    public let tensors: [TensorReport]
    public let lengthLimit: Int

    /// One weight file.
    public struct FileSummary: Sendable {
        public let path: String
        public let bytes: UInt64
        public let headerBytes: UInt64
        public let tensors: Int
    }

    public var totalBytes: UInt64 { files.reduce(0) { $0 + $1.bytes } }
    public var headerBytes: UInt64 { files.reduce(0) { $0 + $1.headerBytes } }
    public var bf16Tensors: [TensorReport] { tensors.filter { $0.bf16 != nil } }
    public var bf16Bytes: UInt64 { bf16Tensors.reduce(0) { $0 + $1.bytes } }
    public var otherTensorBytes: UInt64 { tensors.filter { $0.bf16 == nil }.reduce(0) { $0 + $1.bytes } }
    /// Σ (8 + H)/8 bytes per BF16 weight, plus every other byte as is.
    public var entropyBoundBytes: Double {
        bf16Tensors.reduce(0.0) { $0 + $1.bf16!.entropyBoundBytes } + Double(otherTensorBytes + headerBytes)
    }
    /// Per-tensor Huffman coding of BF16 exponents, everything else as is.
    public var predictedBytes: UInt64 {
        bf16Tensors.reduce(0) { $0 + $1.bf16!.huffmanBytes } + otherTensorBytes + headerBytes
    }
    public var predictedPercent: Double { totalBytes == 0 ? 100 : 100 * Double(predictedBytes) / Double(totalBytes) }
    /// Format 2.0 (the default level): every float tensor as its prediction, everything else as is.
    public var predictedStructuredBytes: UInt64 {
        UInt64(tensors.reduce(0.0) { $0 + ($1.structured?.predictedBytes ?? Double($1.bytes)) }.rounded(.up)) + headerBytes
    }
    public var predictedStructuredPercent: Double {
        totalBytes == 0 ? 100 : 100 * Double(predictedStructuredBytes) / Double(totalBytes)
    }
    /// Weighted mean exponent entropy over all BF16 weights.
    public var meanEntropyBits: Double {
        let weights = bf16Tensors.reduce(UInt64(0)) { $0 + $1.bf16!.weights }
        guard weights > 0 else { return 0 }
        return bf16Tensors.reduce(0.0) { $0 + $1.bf16!.entropyBits * Double($1.bf16!.weights) } / Double(weights)
    }

    public var json: JSONValue {
        .object([
            "schema": .string("df11.inspect/1"),
            "path": .string(path),
            "kind": .string(kindName),
            "files": .array(files.map { f in
                .object(["path": .string(f.path), "bytes": .int(f.bytes), "header_bytes": .int(f.headerBytes),
                         "tensors": .int(f.tensors)])
            }),
            "other_files": .strings(otherFiles),
            "tensors": .array(tensors.map(\.json)),
            "totals": .object([
                "tensors": .int(tensors.count),
                "bytes": .int(totalBytes),
                "bf16_tensors": .int(bf16Tensors.count),
                "bf16_bytes": .int(bf16Bytes),
                "other_tensor_bytes": .int(otherTensorBytes),
                "header_bytes": .int(headerBytes),
                "mean_entropy_bits": .double(meanEntropyBits),
                "entropy_bound_bytes": .double(entropyBoundBytes),
                "huffman_length_limit": .int(lengthLimit),
                "predicted_df11_bytes": .int(predictedBytes),
                "predicted_df11_percent": .double(predictedPercent),
                "predicted_v2_bytes": .int(predictedStructuredBytes),
                "predicted_v2_percent": .double(predictedStructuredPercent),
            ]),
        ])
    }

    var kindName: String {
        switch kind {
        case .file: return "file"
        case .standardInput: return "stdin"
        case .shardedDirectory: return "sharded"
        case .directory: return "directory"
        case .huggingFaceSnapshot: return "hf-snapshot"
        }
    }

    /// A readable table: one line per tensor, then totals.
    public var text: String {
        var lines: [String] = []
        let nameWidth = min(60, max(6, tensors.map(\.name.count).max() ?? 6))
        func pad(_ s: String, _ w: Int, right: Bool = false) -> String {
            s.count >= w ? s : (right ? String(repeating: " ", count: w - s.count) + s
                                      : s + String(repeating: " ", count: w - s.count))
        }
        lines.append("\(path) (\(kindName), \(files.count) weight file\(files.count == 1 ? "" : "s"))")
        lines.append(pad("tensor", nameWidth) + "  " + pad("dtype", 7) + pad("shape", 18) + pad("size", 10, right: true)
                     + pad("H bits", 9, right: true) + pad("Huff", 8, right: true) + pad("1.0", 10, right: true)
                     + pad("2.0", 10, right: true))
        for t in tensors {
            let shape = "[" + t.shape.map(String.init).joined(separator: ", ") + "]"
            var line = pad(t.name, nameWidth) + "  " + pad(t.dtype.rawValue, 7) + pad(shape, 18)
                + pad(ByteFormatting.bytes(t.bytes), 10, right: true)
            if let s = t.bf16, s.weights > 0 {
                line += pad(ByteFormatting.formatted(s.entropyBits, digits: 3), 9, right: true)
                line += pad(ByteFormatting.formatted(Double(s.huffmanBits) / Double(s.weights), digits: 3), 8, right: true)
                line += pad(Percent.text(Double(s.huffmanBytes), of: Double(t.bytes)), 10, right: true)
            } else if t.structured != nil {
                line += String(repeating: " ", count: 27)
            }
            if let s = t.structured, t.bytes > 0 {
                line += pad(Percent.text(s.predictedBytes, of: Double(t.bytes)), 10, right: true)
            }
            lines.append(line)
        }
        lines.append("")
        lines.append("tensors        \(tensors.count) (\(bf16Tensors.count) BF16)")
        lines.append("size           \(ByteFormatting.bytes(totalBytes)) (BF16 \(ByteFormatting.bytes(bf16Bytes)))")
        lines.append("exponent H     \(ByteFormatting.formatted(meanEntropyBits, digits: 3)) bits per BF16 weight")
        lines.append("entropy bound  \(ByteFormatting.bytes(UInt64(entropyBoundBytes)))")
        lines.append("predicted DF11 \(ByteFormatting.bytes(predictedBytes)) = \(ByteFormatting.formatted(predictedPercent, digits: 2)) % of the input (format 1.0, --level fast)")
        lines.append("predicted 2.0  \(ByteFormatting.bytes(predictedStructuredBytes)) = \(ByteFormatting.formatted(predictedStructuredPercent, digits: 2)) % (the default level, every float dtype)")
        if !otherFiles.isEmpty { lines.append("other files    " + otherFiles.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}
