import JSON

/// The report of `df11 verify` on a DFloat11 model: JSON schema `df11.verify-dfloat11/1` (docs/JSON.md).
public struct DFloat11VerifyReport: OperationReport {
    public struct Unit: Sendable {
        public var module: String
        public var file: String
        public var tensors: Int
        public var weights: UInt64
        public var blocks: Int
        public var blocksChecked: Int
        public var weightsChecked: UInt64
        /// Bytes of the unit's six tensors.
        public var storedBytes: UInt64
    }

    public var input: String
    public var layout: String
    public var version: String
    public var against: String?
    public var sampleBlocks: Int?
    public var seed: UInt64
    public var units: [Unit] = []
    public var remainderTensors = 0
    public var remainderCompared = 0
    /// With `against`: integer or boolean source tensors the model does not hold (such as `position_ids`, a
    /// buffer transformers does not save); listed, not a failure.
    public var sourceBuffersNotInModel: [String] = []
    /// A bare file (no config.json): the preset whose dictionary df11 inferred for it.
    public var inferredArchitecture: String?
    public var seconds: Double = 0
    public var threads: Int
    /// `df11-manifest.json`: "checked" (every tensor's checksum), "absent" (only the structure could be
    /// checked without --against), or "not-checked" (with --sample).
    public var manifest = "absent"
    /// Tensors whose checksum, dtype and shape matched the manifest.
    public var manifestTensorsChecked = 0

    public var weights: UInt64 { units.reduce(0) { $0 + $1.weights } }
    public var weightsChecked: UInt64 { units.reduce(0) { $0 + $1.weightsChecked } }
    public var blocks: Int { units.reduce(0) { $0 + $1.blocks } }
    public var blocksChecked: Int { units.reduce(0) { $0 + $1.blocksChecked } }
    public var storedBytes: UInt64 { units.reduce(0) { $0 + $1.storedBytes } }
    /// Bits of the units' six tensors per weight.
    public var bitsPerWeight: Double { weights == 0 ? 0 : Double(storedBytes) * 8 / Double(weights) }
    /// Bytes of bf16 decoded.
    public var decodedBytes: UInt64 { weightsChecked * 2 }
    public var megabytesPerSecond: Double { seconds > 0 ? Double(decodedBytes) / seconds / 1e6 : 0 }

    public var json: JSONValue {
        var members: [JSONMember] = [
            JSONMember(key: "schema", value: .string("df11.verify-dfloat11/1.1")),
            JSONMember(key: "status", value: .string("ok")),
            JSONMember(key: "input", value: .string(input)),
            JSONMember(key: "layout", value: .string(layout)),
            JSONMember(key: "dfloat11_version", value: .string(version)),
            JSONMember(key: "against", value: against.map { .string($0) } ?? .null),
            JSONMember(key: "sample", value: sampleBlocks.map {
                .object([JSONMember(key: "blocks_per_unit", value: .int($0)), JSONMember(key: "seed", value: .int(seed))])
            } ?? .null),
            JSONMember(key: "units", value: .int(units.count)),
            JSONMember(key: "weights", value: .int(weights)),
            JSONMember(key: "weights_checked", value: .int(weightsChecked)),
            JSONMember(key: "blocks", value: .int(blocks)),
            JSONMember(key: "blocks_checked", value: .int(blocksChecked)),
            JSONMember(key: "bits_per_weight", value: .double(bitsPerWeight)),
            JSONMember(key: "remainder_tensors", value: .int(remainderTensors)),
            JSONMember(key: "remainder_tensors_compared", value: .int(remainderCompared)),
            JSONMember(key: "source_buffers_not_in_model", value: .strings(sourceBuffersNotInModel)),
            JSONMember(key: "inferred_architecture", value: inferredArchitecture.map { .string($0) } ?? .null),
            JSONMember(key: "decoded_bytes", value: .int(decodedBytes)),
            JSONMember(key: "seconds", value: .double(seconds)),
            JSONMember(key: "threads", value: .int(threads)),
            JSONMember(key: "bf16_mb_per_s", value: .double(megabytesPerSecond)),
            JSONMember(key: "manifest", value: .string(manifest)),
            JSONMember(key: "manifest_tensors_checked", value: .int(manifestTensorsChecked)),
        ]
        members.append(JSONMember(key: "unit_list", value: .array(units.map { u in
            .object([
                JSONMember(key: "module", value: .string(u.module)),
                JSONMember(key: "file", value: .string(u.file)),
                JSONMember(key: "tensors", value: .int(u.tensors)),
                JSONMember(key: "weights", value: .int(u.weights)),
                JSONMember(key: "blocks", value: .int(u.blocks)),
                JSONMember(key: "blocks_checked", value: .int(u.blocksChecked)),
                JSONMember(key: "bits_per_weight", value: .double(u.weights == 0 ? 0 : Double(u.storedBytes) * 8 / Double(u.weights))),
            ])
        })))
        return .object(members)
    }

    public var textRole: ReportTextRole { .summary }

    public var details: [String] {
        units.map { u in
            "\(u.module) (\(u.file)): \(u.weights) weights, \(u.blocksChecked) of \(u.blocks) blocks decoded"
        }
    }

    public var text: String {
        let what = sampleBlocks == nil ? "all \(blocks) blocks" : "\(blocksChecked) of \(blocks) blocks (sample, seed \(seed))"
        let inferred = inferredArchitecture.map { " (no config.json: the dictionary of preset \($0))" } ?? ""
        var text = "ok: DFloat11 \(version) \(layout) layout\(inferred), \(units.count) units, \(weights) weights, \(what) decoded, "
            + "\(ByteFormatting.formatted(bitsPerWeight, digits: 2)) bits/weight; "
            + "\(ByteFormatting.bytes(decodedBytes)) of bf16 in \(ByteFormatting.formatted(seconds, digits: 2)) s "
            + "(\(ByteFormatting.rate(bytes: decodedBytes, seconds: seconds)))"
            + (manifest == "checked" ? "; all \(manifestTensorsChecked) tensors match the checksums of \(ReleaseManifest.fileName) (lossless)" : "")
            + (against.map { "; equal to \($0) (\(remainderCompared) other tensors byte for byte)" }
               ?? (manifest == "checked" ? ""
                   : manifest == "absent" ? "; no \(ReleaseManifest.fileName): only the structure was checked, the values were not "
                       + "(the layout has no checksums): add --against SRC, or write one with df11 manifest DIR --against SRC"
                   : "; values not compared (--sample skips the manifest's checksums): add --against SRC to prove them"))
        if !sourceBuffersNotInModel.isEmpty {
            text += "\nnote: integer buffers of the source that the model does not hold (transformers does not "
                + "save them): " + sourceBuffersNotInModel.joined(separator: ", ")
        }
        return text
    }
}
