import JSON
import Safetensors

/// A model family's `pattern_dict` for the published layout, chosen from a model's `config.json`.
///
/// The presets are data: one JSON file per family in `Sources/DFloat11Layout/Architectures/` (the source of
/// truth), embedded into the binary by `tools/gen_architectures.sh` (see that script for why not a SwiftPM
/// resource). Each file holds:
/// - `name`, `description`, `aliases` (other names `--arch` accepts);
/// - `architectures` and `model_types`: the `config.json` values that select it (`architectures[0]` first,
///   then `model_type`); optional `class_names`: a diffusers model's `config.json` `_class_name` (tried last);
/// - optional `tensor_names`: tensor names that, all present, identify a checkpoint that no `config.json`
///   names (a single-file ComfyUI model); the preset requiring the most of them wins;
/// - optional `source`: where the pattern comes from (a published release's config, the official
///   repository's examples, the community ComfyUI nodes), cited;
/// - `pattern_dict`: written to `dfloat11_config.pattern_dict` exactly as given (order kept);
/// - `standalone`: which of those entries are whole-tensor units (embeddings, `lm_head`). Published releases
///   from 8B up include them, smaller ones leave them raw to spare GPU memory for the decode buffers; df11
///   has no GPU budget to respect, so the presets always include them (pass `--pattern` to leave them out);
/// - `tied_weights`: `{weight: tensor}` — a weight the model has but the checkpoint may omit because it is
///   tied (e.g. `lm_head.weight` to `model.embed_tokens.weight`); applied only when the checkpoint lacks the
///   weight, holds the tensor, and `config.json` does not say `"tie_word_embeddings": false`.
public struct ArchitecturePreset: Sendable {
    public let name: String
    public let description: String
    public let aliases: [String]
    public let architectures: [String]
    public let modelTypes: [String]
    /// diffusers `_class_name` values that select it.
    public let classNames: [String]
    /// Where the pattern comes from.
    public let source: String
    /// Tensor names that identify a checkpoint of this family when no config.json selects a preset.
    public let tensorNames: [String]
    /// The `pattern_dict` object as written in the file (member order kept).
    public let patternDictJSON: JSONValue
    public let standalone: [String]
    public let tiedWeights: [(name: String, source: String)]

    /// The preset's pattern dictionary.
    public func patternDictionary() throws -> PatternDictionary { try PatternDictionary(json: patternDictJSON) }

    /// Every preset, in file-name order.
    public static let all: [ArchitecturePreset] = embeddedFiles.map { file in
        do {
            return try ArchitecturePreset(json: JSONParser().parse(file.json))
        } catch {
            preconditionFailure("embedded preset \(file.name) is invalid: \(error)")
        }
    }

    /// The preset called `name` (or one of its aliases), case-insensitively.
    public static func named(_ name: String) -> ArchitecturePreset? {
        let key = name.lowercased()
        return all.first { $0.name.lowercased() == key || $0.aliases.contains { $0.lowercased() == key } }
    }

    /// The preset selected by a model's `config.json`: by `architectures[0]`, else by `model_type`; nil if none.
    public static func select(config: JSONValue) -> ArchitecturePreset? {
        if let architecture = config["architectures"]?.elements?.first?.stringValue,
           let preset = all.first(where: { $0.architectures.contains(architecture) }) {
            return preset
        }
        if let type = config["model_type"]?.stringValue, let preset = all.first(where: { $0.modelTypes.contains(type) }) {
            return preset
        }
        if let className = config["_class_name"]?.stringValue {
            return all.first { $0.classNames.contains(className) }
        }
        return nil
    }

    /// The preset a checkpoint holding `names` is recognised as by its tensor names (every one of a preset's
    /// `tensor_names` present; the preset requiring the most wins); nil if none.
    public static func select(tensorNames names: Set<String>) -> ArchitecturePreset? {
        all.filter { !$0.tensorNames.isEmpty && $0.tensorNames.allSatisfy(names.contains) }
            .max { $0.tensorNames.count < $1.tensorNames.count }
    }

    /// The tied weights of the preset `config` selects, or of every preset when it selects none (a single-file
    /// DFloat11 model's config.json holds only `dfloat11_config`).
    public static func tiedWeights(config: JSONValue?) -> [(name: String, source: String)] {
        if let preset = config.flatMap(select(config:)) { return preset.tiedWeights }
        return all.flatMap(\.tiedWeights)
    }

    /// The tied weights that apply to a checkpoint holding `tensorNames` with `config` (see the type's notes).
    public func tiedWeights(tensorNames: Set<String>, config: JSONValue?) -> [String: String] {
        if case .bool(false)? = config?["tie_word_embeddings"] { return [:] }
        var result: [String: String] = [:]
        for tie in tiedWeights where !tensorNames.contains(tie.name) && tensorNames.contains(tie.source) {
            result[tie.name] = tie.source
        }
        return result
    }

    /// A preset from its JSON file.
    public init(json: JSONValue) throws {
        func bad(_ why: String) -> DFloat11LayoutError {
            DFloat11LayoutError(unit: "", .badUnitDescription("architecture preset: \(why)"))
        }
        func string(_ key: String) throws -> String {
            guard let text = json[key]?.stringValue else { throw bad("'\(key)' must be a string") }
            return text
        }
        func strings(_ key: String) throws -> [String] {
            guard let list = json[key]?.elements else { throw bad("'\(key)' must be a list of strings") }
            return try list.map { value in
                guard let text = value.stringValue else { throw bad("'\(key)' must be a list of strings") }
                return text
            }
        }
        name = try string("name")
        description = try string("description")
        aliases = try strings("aliases")
        architectures = try strings("architectures")
        modelTypes = try strings("model_types")
        classNames = json["class_names"] == nil ? [] : try strings("class_names")
        source = json["source"] == nil ? "" : try string("source")
        tensorNames = json["tensor_names"] == nil ? [] : try strings("tensor_names")
        guard let dict = json["pattern_dict"] else { throw bad("'pattern_dict' is missing") }
        patternDictJSON = dict
        standalone = try strings("standalone")
        guard let ties = json["tied_weights"]?.members else { throw bad("'tied_weights' must be an object") }
        tiedWeights = try ties.map { member in
            guard let source = member.value.stringValue else { throw bad("'tied_weights' values must be strings") }
            return (member.key, source)
        }
        // The patterns are compiled only for the preset in use (`patternDictionary()`); here only the keys count.
        guard let patterns = dict.members?.map(\.key) else { throw bad("'pattern_dict' must be an object") }
        for pattern in standalone where !patterns.contains(pattern) {
            throw bad("standalone entry '\(pattern)' is not in pattern_dict")
        }
    }
}
