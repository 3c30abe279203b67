import JSON
import DF11IO
import DFloat11Layout
import Safetensors

/// The parsed `MANIFEST.json` of the golden fixtures.
public let manifest: JSONValue = {
    try! JSONParser().parse(try! FileSystem.readSmallFile(golden("MANIFEST.json")))
}()

/// A JSON file under the golden fixtures.
public func goldenJSON(_ relative: String) throws -> JSONValue {
    try JSONParser().parse(try FileSystem.readSmallFile(golden(relative)))
}

/// The tensors of bert-1layer's `encoder.layer.0` unit file (110,592 weights, 10 blocks), in memory, so that a
/// test can corrupt them.
public func goldenBertLayer() throws -> InMemoryTensors {
    let file = try SafetensorsFile(path: golden("bert-1layer/official/encoder_layer_0.safetensors"))
    let tensors = InMemoryTensors()
    for info in file.header.tensors {
        var bytes = [UInt8](repeating: 0, count: Int(info.byteCount))
        try bytes.withUnsafeMutableBytes { try file.read(tensor: info, range: 0..<info.byteCount, into: $0) }
        tensors.set(info.name, dtype: info.dtype, shape: info.shape, bytes: bytes)
    }
    return tensors
}

/// One golden model case: where its source and official output are, and how to plan its units.
public struct GoldenCase {
    public let name: String
    public let sourceDirectory: String
    public let officialDirectory: String
    public let officialFiles: [String: String]   // file name → SHA-256

    public static var all: [GoldenCase] {
        manifest["cases"]!.members!.compactMap { member in
            guard let official = member.value["official"], let dir = official["dir"]?.stringValue,
                  let sourceDir = member.value["source"]?["dir"]?.stringValue else { return nil }
            var files: [String: String] = [:]
            for file in official["files"]?.members ?? [] {
                if let sha = file.value["sha256"]?.stringValue { files[file.key] = sha }
            }
            return GoldenCase(name: member.key, sourceDirectory: sourceDir, officialDirectory: dir, officialFiles: files)
        }
    }

    /// The source checkpoint.
    public func openSource() throws -> SafetensorsFile {
        try SafetensorsFile(path: golden(sourceDirectory + "/model.safetensors"))
    }

    /// The official pattern dictionary (from the official config.json).
    public func patterns() throws -> PatternDictionary {
        try PatternDictionary(configJSON: try goldenJSON(officialDirectory + "/config.json"))
    }

    /// The tied weights the source's architecture preset applies (`lm_head.weight → model.embed_tokens.weight`
    /// when a Llama config ties them).
    public func tiedWeights(tensorNames: Set<String>) throws -> [String: String] {
        let config = try goldenJSON(sourceDirectory + "/config.json")
        return ArchitecturePreset.select(config: config)?.tiedWeights(tensorNames: tensorNames, config: config) ?? [:]
    }

    /// The units the official tool built, planned from the source checkpoint.
    public func units(of source: SafetensorsFile) throws -> [DFloat11Unit] {
        let names = source.header.tensors.map(\.name)
        return try patterns().units(tensorNames: names, tiedWeights: try tiedWeights(tensorNames: Set(names)))
    }
}

/// Calls `body` with every unit of every golden case, its source checkpoint and a decoder of the official unit
/// file; returns how many units there were.
@discardableResult
public func forEachOfficialUnit(_ body: (GoldenCase, DFloat11Unit, SafetensorsFile, UnitDecoder) throws -> Void) throws -> Int {
    var count = 0
    for goldenCase in GoldenCase.all {
        let source = try goldenCase.openSource()
        for unit in try goldenCase.units(of: source) {
            let file = try SafetensorsFile(path: golden(goldenCase.officialDirectory + "/" + unit.fileName))
            try body(goldenCase, unit, source, try UnitDecoder(module: unit.module, source: file))
            count += 1
        }
    }
    return count
}

/// The source weights of `unit`, concatenated in unit order.
public func sourceWords(_ unit: DFloat11Unit, _ source: SafetensorsFile) throws -> [UInt16] {
    var all: [UInt16] = []
    for weight in unit.weights {
        let info = source.header.tensor(named: weight.source)!
        var words = [UInt16](repeating: 0, count: Int(info.elementCount))
        try words.withUnsafeMutableBytes { try source.read(tensor: info, range: 0..<info.byteCount, into: $0) }
        all += words
    }
    return all
}
