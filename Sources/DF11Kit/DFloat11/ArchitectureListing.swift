import JSON
import DFloat11Layout
import Safetensors

/// `df11 architectures`: the DFloat11 presets. JSON schema `df11.architectures/1` (docs/JSON.md).
public struct ArchitectureListing: OperationReport {
    public var textRole: ReportTextRole { .result }

    public let presets = ArchitecturePreset.all

    public init() {}

    public var json: JSONValue {
        .object([
            "schema": .string("df11.architectures/1.1"),
            "architectures": .array(presets.map { p in
                .object([
                    "name": .string(p.name),
                    "description": .string(p.description),
                    "aliases": .strings(p.aliases),
                    "architectures": .strings(p.architectures),
                    "model_types": .strings(p.modelTypes),
                    "class_names": .strings(p.classNames),
                    "source": .string(p.source),
                    "tensor_names": .strings(p.tensorNames),
                    "pattern_dict": p.patternDictJSON,
                    "standalone": .strings(p.standalone),
                    "tied_weights": .object(p.tiedWeights.map { JSONMember(key: $0.name, value: .string($0.source)) }),
                ])
            }),
        ])
    }

    /// One paragraph per preset, a blank line after each.
    public var text: String {
        var out = ""
        for p in presets {
            out += p.name + (p.aliases.isEmpty ? "" : " (also: " + p.aliases.joined(separator: ", ") + ")") + "\n"
            let selectors = p.architectures + p.modelTypes.map { "model_type=" + $0 }
                + p.classNames.map { "_class_name=" + $0 }
                + (p.tensorNames.isEmpty ? [] : ["tensors " + p.tensorNames.joined(separator: " + ")])
            out += "  selected by: " + (selectors.isEmpty ? "--arch " + p.name + " only" : selectors.joined(separator: ", ")) + "\n"
            if let entries = try? p.patternDictionary().entries {
                for entry in entries {
                    let standalone = p.standalone.contains(entry.pattern) ? "  (standalone)" : ""
                    out += "  " + entry.pattern + ": [" + entry.attributes.joined(separator: ", ") + "]" + standalone + "\n"
                }
            }
            out += "  " + p.description + "\n"
            if !p.source.isEmpty { out += "  source: " + p.source + "\n" }
            out += "\n"
        }
        return String(out.dropLast())
    }
}
