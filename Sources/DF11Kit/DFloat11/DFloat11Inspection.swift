import JSON
import DF11IO
import DF11Pipeline
import DFloat11Layout
import Safetensors

/// `df11 inspect DIR` on a model in the published DFloat11 layout: what it holds, read from the headers and
/// the small unit tensors only (each unit's structure is checked as `verify` checks it; no block is decoded).
/// JSON schema `df11.inspect-dfloat11/1`.
public struct DFloat11InspectReport: OperationReport {
    public var textRole: ReportTextRole { .result }

    /// One unit.
    public struct Unit: Sendable {
        public var module: String
        /// The file holding its tensors.
        public var file: String
        /// The weights the unit concatenates, by name as `decompress` gives them.
        public var weightNames: [String]
        public var weights: UInt64
        public var blocks: Int
        /// Bytes of its six tensors.
        public var storedBytes: UInt64
        public var bitsPerWeight: Double { weights == 0 ? 0 : Double(storedBytes) * 8 / Double(weights) }
    }

    public var input: String
    public var layout: String
    public var version: String
    /// `dfloat11_config.pattern_dict`, as the config gives it.
    public var patternDict: JSONValue
    public var units: [Unit] = []
    /// Tensors outside the units, and their bytes.
    public var remainderTensors = 0
    public var remainderBytes: UInt64 = 0

    public var weights: UInt64 { units.reduce(0) { $0 + $1.weights } }
    public var storedBytes: UInt64 { units.reduce(0) { $0 + $1.storedBytes } }
    /// Bits of the units' six tensors per weight.
    public var bitsPerWeight: Double { weights == 0 ? 0 : Double(storedBytes) * 8 / Double(weights) }
    /// The bf16 checkpoint's size: the units' weights at 2 bytes plus the rest as stored.
    public var bf16Bytes: UInt64 { weights * 2 + remainderBytes }
    /// The model's size as stored against the bf16 checkpoint's.
    public var ratio: Double { bf16Bytes == 0 ? 1 : Double(storedBytes + remainderBytes) / Double(bf16Bytes) }

    public var json: JSONValue {
        .object([
            JSONMember(key: "schema", value: .string("df11.inspect-dfloat11/1")),
            JSONMember(key: "input", value: .string(input)),
            JSONMember(key: "layout", value: .string(layout)),
            JSONMember(key: "dfloat11_version", value: .string(version)),
            JSONMember(key: "pattern_dict", value: patternDict),
            JSONMember(key: "units", value: .int(units.count)),
            JSONMember(key: "weights", value: .int(weights)),
            JSONMember(key: "unit_bytes", value: .int(storedBytes)),
            JSONMember(key: "bits_per_weight", value: .double(bitsPerWeight)),
            JSONMember(key: "remainder_tensors", value: .int(remainderTensors)),
            JSONMember(key: "remainder_bytes", value: .int(remainderBytes)),
            JSONMember(key: "bf16_bytes", value: .int(bf16Bytes)),
            JSONMember(key: "ratio", value: .double(ratio)),
            JSONMember(key: "unit_list", value: .array(units.map { u in
                .object([
                    JSONMember(key: "module", value: .string(u.module)),
                    JSONMember(key: "file", value: .string(u.file)),
                    JSONMember(key: "weight_names", value: .strings(u.weightNames)),
                    JSONMember(key: "weights", value: .int(u.weights)),
                    JSONMember(key: "blocks", value: .int(u.blocks)),
                    JSONMember(key: "bits_per_weight", value: .double(u.bitsPerWeight)),
                ])
            })),
        ])
    }

    /// A table for people: a summary line, then one line per unit.
    public var text: String {
        var lines = ["\(input): DFloat11 \(version), \(layout) layout, \(units.count) units, \(weights) weights, "
                     + "\(ByteFormatting.formatted(bitsPerWeight, digits: 2)) "
                     + "bits/weight; \(ByteFormatting.bytes(storedBytes + remainderBytes)) stored for "
                     + "\(ByteFormatting.bytes(bf16Bytes)) of bf16 (\(Percent.text(fraction: ratio)))"]
        let width = max(6, units.map(\.module.count).max() ?? 0)
        lines.append("unit".padding(toLength: width, withPad: " ", startingAt: 0)
                     + "      weights  blocks  bits/w  holds (<unit>.….weight)")
        for u in units {
            // `model.layers.0.mlp.up_proj.weight` shows as `mlp.up_proj`; the module's own weight as `weight`.
            let holds = u.weightNames.map { name -> String in
                guard name.hasPrefix(u.module + "."), name.hasSuffix(".weight"), name != u.module + ".weight" else {
                    return name == u.module + ".weight" ? "weight" : name
                }
                return String(name.dropFirst(u.module.count + 1).dropLast(7))
            }
            lines.append(u.module.padding(toLength: width, withPad: " ", startingAt: 0)
                + "  " + String(u.weights).leftPadded(11) + "  " + String(u.blocks).leftPadded(6)
                + "  " + ByteFormatting.formatted(u.bitsPerWeight, digits: 2).leftPadded(6)
                + "  " + holds.joined(separator: ", "))
        }
        lines.append("other tensors  \(remainderTensors), \(ByteFormatting.bytes(remainderBytes))")
        return lines.joined(separator: "\n")
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

/// Builds `DFloat11InspectReport`s.
public enum DFloat11Inspection {
    /// Inspects the DFloat11 model in `directory` (or a Hugging Face cache root). Throws what `verify` would for
    /// a unit whose structure is broken.
    public static func inspect(directory: String) throws -> DFloat11InspectReport {
        let model = try DFloat11Model(directory: directory)
        var report = DFloat11InspectReport(input: directory,
                                           layout: model.fileNames.count == 1 ? "single-file" : "directory",
                                           version: model.version,
                                           patternDict: model.config["dfloat11_config"]?["pattern_dict"] ?? .null)
        let decoders = try model.units.map { try UnitDecoder(module: $0, source: model.tensors) }
        let shapes = WeightShapes(config: model.config, configName: FileSystem.join(model.directory, "config.json"),
                                  recorded: (try? model.recordedShapes()) ?? [:])
        let names = try DFloat11Decompression.unitWeightNames(decoders: decoders, model: model, shapes: shapes)
        for (decoder, weightNames) in zip(decoders, names) {
            let stored = model.storedBytes(ofUnit: decoder.module)
            report.units.append(.init(module: decoder.module, file: model.file(of: decoder.module + ".luts"),
                                      weightNames: weightNames, weights: decoder.elementCount,
                                      blocks: decoder.blockCount, storedBytes: stored))
        }
        report.remainderTensors = model.remainder.count
        report.remainderBytes = model.remainder.reduce(0) { $0 + (model.tensors.tensor(named: $1)?.byteCount ?? 0) }
        return report
    }
}
