import JSON

/// What `df11 compress --format dfloat11`, `decompress` or `verify` did to a diffusers pipeline folder: the
/// report of each component in or out of the DFloat11 layout, and the files copied as they were. JSON schemas
/// `df11.compress-dfloat11-pipeline/1`, `df11.decompress-dfloat11-pipeline/1`, `df11.verify-dfloat11-pipeline/1`
/// (docs/JSON.md): the component reports are the single-model ones.
public struct DFloat11PipelineReport: OperationReport {
    /// "compress", "decompress" or "verify".
    public var operation: String
    public var input: String
    /// nil for verify.
    public var output: String?
    /// Each converted (or verified) component and its report.
    public var components: [(name: String, report: any OperationReport)] = []
    /// Files copied unchanged, relative to the pipeline folder.
    public var copied: [String] = []
    /// Components with a preset that were copied instead, and why.
    public var warnings: [String] = []
    public var seconds: Double = 0

    public var json: JSONValue {
        var members: [JSONMember] = [
            JSONMember(key: "schema", value: .string("df11.\(operation)-dfloat11-pipeline/1")),
            JSONMember(key: "status", value: .string("ok")),
            JSONMember(key: "input", value: .string(input)),
        ]
        if let output { members.append(JSONMember(key: "output", value: .string(output))) }
        members += [
            JSONMember(key: "components", value: .object(components.map { JSONMember(key: $0.name, value: $0.report.json) })),
            JSONMember(key: "copied", value: .strings(copied)),
            JSONMember(key: "warnings", value: .strings(warnings)),
            JSONMember(key: "seconds", value: .double(seconds)),
        ]
        return .object(members)
    }

    public var textRole: ReportTextRole { .summary }

    public var details: [String] {
        components.flatMap { component in component.report.details.map { component.name + "/" + $0 } }
            + copied.map { "copied \($0)" }
    }

    public var text: String {
        let verb = ["compress": "converted", "decompress": "restored", "verify": "verified"][operation] ?? operation
        var lines = components.map { "\($0.name): \($0.report.text)" }
        let copiedNote = operation == "verify" ? "" : ", \(copied.count) other files copied"
        lines.append("diffusers pipeline \(input): \(verb) \(components.count) component"
                     + (components.count == 1 ? "" : "s") + " (" + components.map(\.name).joined(separator: ", ") + ")"
                     + copiedNote)
        return lines.joined(separator: "\n")
    }
}
