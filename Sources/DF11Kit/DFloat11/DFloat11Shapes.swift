import JSON
import DFloat11Layout
import DF11IO
import Safetensors

/// The shape of a unit weight, which the published layout does not store (units are flat streams): derived
/// from the tensor's name and the model's `config.json`, as transformers would build the module.
///
/// Known names (the last components of the tensor name):
/// - Llama-style attention `self_attn.{q,k,v,o}_proj.weight`: q `[heads·head_dim, hidden]`, k and v
///   `[kv_heads·head_dim, hidden]`, o `[hidden, heads·head_dim]` (`head_dim` defaults to hidden / heads,
///   `num_key_value_heads` to `num_attention_heads`);
/// - Llama-style MLP `mlp.{gate,up}_proj.weight` `[intermediate, hidden]`, `mlp.down_proj.weight`
///   `[hidden, intermediate]`;
/// - Phi-3's fused `self_attn.qkv_proj.weight` `[(heads + 2·kv_heads)·head_dim, hidden]` and
///   `mlp.gate_up_proj.weight` `[2·intermediate, hidden]`;
/// - `embed_tokens.weight`, `lm_head.weight`, `word_embeddings.weight` `[vocab, hidden]`;
///   `position_embeddings.weight` `[max_position_embeddings, hidden]`, `token_type_embeddings.weight`
///   `[type_vocab_size, hidden]`;
/// - BERT `attention.self.{query,key,value}.weight` and `attention.output.dense.weight` `[hidden, hidden]`,
///   `intermediate.dense.weight` `[intermediate, hidden]`, `output.dense.weight` `[hidden, intermediate]`.
///
/// Values come from the top level of `config.json`, else from its `text_config` (multimodal wrappers).
///
/// A shape the release's `df11-manifest.json` records (`recorded`: every source tensor's shape, a tied weight
/// under its own name) comes first: it is the original's, of any rank (4-D convolution kernels, 3-D expert
/// stacks), for any name. Anything neither gives is refused, naming the tensor; so is a shape whose size
/// differs from the unit's.
struct WeightShapes {
    let config: JSONValue
    let configName: String
    /// Shapes from the release's manifest, by weight name.
    var recorded: [String: [Int]] = [:]

    init(config: JSONValue, configName: String, recorded: [String: [Int]] = [:]) {
        self.config = config
        self.configName = configName
        self.recorded = recorded
    }

    /// Largest dimension taken from a config; larger values (or products of them) are refused, not trusted.
    static let maxDimension: UInt64 = 1 << 40

    /// The config's `key`; nil if absent, not a whole number, or above `maxDimension`.
    func value(_ key: String) -> Int? {
        guard let v = (config[key] ?? config["text_config"]?[key])?.uint64Value, v <= Self.maxDimension else { return nil }
        return Int(v)
    }

    func refuse(_ tensor: String, _ why: String) -> ShapeUnknownError {
        ShapeUnknownError(tensor: tensor, why: why)
    }

    /// The shape of weight `name` holding `elements` values.
    func shape(of name: String, elements: UInt64) throws -> [Int] {
        let shape = try derivedShape(of: name)
        var size: UInt64 = 1
        for dimension in shape {
            let (p, overflow) = size.multipliedReportingOverflow(by: UInt64(dimension))
            guard !overflow else { throw refuse(name, "\(configName) gives \(shape), more weights than 2^64") }
            size = p
        }
        guard size == elements else {
            let from = recorded[name] != nil ? ReleaseManifest.fileName + " records" : configName + " gives"
            throw refuse(name, "\(from) \(shape) = \(size) weights, the unit holds \(elements)")
        }
        return shape
    }

    /// The number of weights config.json gives `name`, or nil when it gives none (no rule, a missing value).
    func derivedElements(of name: String) -> UInt64? {
        guard let shape = try? derivedShape(of: name) else { return nil }
        var size: UInt64 = 1
        for dimension in shape {
            let (p, overflow) = size.multipliedReportingOverflow(by: UInt64(dimension))
            if overflow { return nil }
            size = p
        }
        return size
    }

    /// The shape config.json gives `name`, whatever the unit holds.
    func derivedShape(of name: String) throws -> [Int] {
        if let shape = recorded[name] { return shape }
        func need(_ key: String) throws -> Int {
            guard let v = value(key), v > 0 else {
                throw refuse(name, "\(configName) has no positive '\(key)' of at most \(Self.maxDimension)")
            }
            return v
        }
        /// `a · b`, refused when it passes `maxDimension` (a corrupt or hostile config).
        func times(_ a: Int, _ b: Int) throws -> Int {
            let (p, overflow) = a.multipliedReportingOverflow(by: b)
            guard !overflow, p >= 0, UInt64(p) <= Self.maxDimension else {
                throw refuse(name, "\(configName) gives a dimension of \(a) × \(b), beyond \(Self.maxDimension)")
            }
            return p
        }
        let parts = name.split(separator: ".").map(String.init)
        func ends(_ suffix: String...) -> Bool { parts.count >= suffix.count && Array(parts.suffix(suffix.count)) == suffix }
        var shape: [Int]?
        if ends("weight") {
            let hidden = { try need("hidden_size") }
            let heads = { try need("num_attention_heads") }
            let headDim = { try value("head_dim") ?? (try hidden() / heads()) }
            let kvHeads = { try value("num_key_value_heads") ?? heads() }
            let intermediate = { try need("intermediate_size") }
            if ends("self_attn", "q_proj", "weight") { shape = [try times(heads(), headDim()), try hidden()] }
            else if ends("self_attn", "k_proj", "weight") || ends("self_attn", "v_proj", "weight") {
                shape = [try times(kvHeads(), headDim()), try hidden()]
            } else if ends("self_attn", "o_proj", "weight") { shape = [try hidden(), try times(heads(), headDim())] }
            else if ends("self_attn", "qkv_proj", "weight") {
                shape = try [times(heads() + times(2, kvHeads()), headDim()), hidden()]
            } else if ends("mlp", "gate_up_proj", "weight") { shape = try [times(2, intermediate()), hidden()] }
            else if ends("mlp", "gate_proj", "weight") || ends("mlp", "up_proj", "weight") { shape = [try intermediate(), try hidden()] }
            else if ends("mlp", "down_proj", "weight") { shape = [try hidden(), try intermediate()] }
            else if ends("embed_tokens", "weight") || ends("lm_head", "weight") || ends("word_embeddings", "weight") {
                shape = [try need("vocab_size"), try hidden()]
            } else if ends("position_embeddings", "weight") { shape = [try need("max_position_embeddings"), try hidden()] }
            else if ends("token_type_embeddings", "weight") { shape = [try need("type_vocab_size"), try hidden()] }
            else if ends("attention", "self", "query", "weight") || ends("attention", "self", "key", "weight")
                        || ends("attention", "self", "value", "weight") || ends("attention", "output", "dense", "weight") {
                shape = [try hidden(), try hidden()]
            } else if ends("intermediate", "dense", "weight") { shape = [try intermediate(), try hidden()] }
            else if ends("output", "dense", "weight") { shape = [try hidden(), try intermediate()] }
        }
        guard let shape else {
            throw refuse(name, "df11 knows no rule for this tensor name, and the release has no "
                         + "\(ReleaseManifest.fileName) recording its shape")
        }
        return shape
    }
}

/// A unit weight whose shape cannot be derived from config.json (exit 2: the data is fine, the tool lacks a fact).
struct ShapeUnknownError: CodedFailure {
    let tensor: String
    /// What is missing or inconsistent, without the tensor's name.
    let why: String
    var code: String { "shape-unknown" }
    var category: FailureCategory { .couldNotRun }
    var description: String {
        "cannot derive the shape of '\(tensor)': \(why); df11 decompress needs it to write a checkpoint transformers loads"
    }
}
