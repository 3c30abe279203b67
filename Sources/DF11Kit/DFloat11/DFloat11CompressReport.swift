import JSON
import DFloat11Layout
import Safetensors

/// What `df11 compress --format dfloat11` wrote. JSON schema `df11.compress-dfloat11/1` (docs/JSON.md).
public struct DFloat11CompressReport: OperationReport {
    /// One unit written.
    public struct UnitResult: Sendable {
        public var module: String
        /// The unit file (directory layout); nil in the single-file layout.
        public var file: String?
        public var tensors: Int
        public var weights: UInt64
        public var encodedBytes: UInt64
        /// Bytes of the unit's tensors: its file, or its share of the single file (header excluded).
        public var bytes: UInt64
        public var maxCodeLength: Int
        public var limiterFinalK: Int?
        public var maxWeightsPerBlock: UInt32
        /// Shared memory the official GPU kernel requests per block for this unit.
        public var sharedMemoryBytes: UInt64 { UnitGeometry.sharedMemoryBytes(maxWeightsPerBlock: maxWeightsPerBlock) }
        /// Bits per weight of the unit's tensors (unit files include biases and norms).
        public var bitsPerWeight: Double { weights == 0 ? 0 : Double(bytes) * 8 / Double(weights) }
    }

    /// A condition the output is valid under, but worth knowing.
    public struct Warning: Sendable {
        public var code: String
        public var unit: String?
        public var message: String
    }

    public var input: String
    public var output: String
    public var layout: String
    /// The preset used (nil when a pattern file or dictionary was given).
    public var architecture: String?
    /// "config" (automatic), "arch", "pattern-file" or "given".
    public var patternSource: String
    public var patternDict: JSONValue
    public var units: [UnitResult] = []
    /// Files written into the output directory, with their sizes, in name order.
    public var files: [(name: String, bytes: UInt64)] = []
    public var copied: [String] = []
    public var warnings: [Warning] = []
    /// Bytes of the input's weight files.
    public var inputBytes: UInt64 = 0
    public var seconds: Double = 0
    public var threads: Int

    public var outputBytes: UInt64 { files.reduce(0) { $0 + $1.bytes } }
    public var unitWeights: UInt64 { units.reduce(0) { $0 + $1.weights } }
    /// Bytes of the `.safetensors` files written (what replaces the input's weight files).
    public var safetensorsBytes: UInt64 { files.filter { $0.name.hasSuffix(".safetensors") }.reduce(0) { $0 + $1.bytes } }
    /// `safetensorsBytes` over the input's weight-file bytes.
    public var ratio: Double { inputBytes == 0 ? 1 : Double(safetensorsBytes) / Double(inputBytes) }

    public var json: JSONValue {
        .object([
            "schema": .string("df11.compress-dfloat11/1"),
            "status": .string("ok"),
            "input": .string(input),
            "output": .string(output),
            "layout": .string(layout),
            "architecture": architecture.map { .string($0) } ?? .null,
            "pattern_source": .string(patternSource),
            "pattern_dict": patternDict,
            "units": .array(units.map { u in
                .object([
                    "module": .string(u.module),
                    "file": u.file.map { .string($0) } ?? .null,
                    "tensors": .int(u.tensors),
                    "weights": .int(u.weights),
                    "encoded_exponent_bytes": .int(u.encodedBytes),
                    "bytes": .int(u.bytes),
                    "bits_per_weight": .double(u.bitsPerWeight),
                    "max_code_length": .int(u.maxCodeLength),
                    "limiter_k": u.limiterFinalK.map { .int($0) } ?? .null,
                    "max_weights_per_block": .int(u.maxWeightsPerBlock),
                    "shared_memory_bytes": .int(u.sharedMemoryBytes),
                ])
            }),
            "files": .array(files.map { .object(["name": .string($0.name), "bytes": .int($0.bytes)]) }),
            "copied": .strings(copied),
            "warnings": .array(warnings.map { w in
                .object(["code": .string(w.code), "unit": w.unit.map { .string($0) } ?? .null,
                         "message": .string(w.message)])
            }),
            "unit_weights": .int(unitWeights),
            "input_bytes": .int(inputBytes),
            "output_bytes": .int(outputBytes),
            "safetensors_bytes": .int(safetensorsBytes),
            "ratio": .double(ratio),
            "seconds": .double(seconds),
            "threads": .int(threads),
            "input_mb_per_s": .double(seconds > 0 ? Double(inputBytes) / seconds / 1e6 : 0),
        ])
    }

    public var textRole: ReportTextRole { .summary }

    public var details: [String] {
        units.map { u in
            "\(u.module)\(u.file.map { " → " + $0 } ?? ""): \(u.tensors) tensors, \(u.weights) weights, "
                + "\(ByteFormatting.bytes(u.bytes)), \(ByteFormatting.formatted(u.bitsPerWeight, digits: 2)) bits/weight"
        } + copied.map { "copied \($0)" }
    }

    public var text: String {
        "DFloat11 (\(layout), \(architecture.map { "preset " + $0 } ?? patternSource)): "
            + "\(units.count) units, \(unitWeights) weights; "
            + "\(ByteFormatting.bytes(inputBytes)) → \(ByteFormatting.bytes(safetensorsBytes)) "
            + "(\(Percent.text(fraction: ratio))) in "
            + "\(ByteFormatting.formatted(seconds, digits: 2)) s, "
            + ByteFormatting.rate(bytes: inputBytes, seconds: seconds)
    }
}
