import JSON
import DF11IO
import DFloat11Layout
import Foundation
import Safetensors

/// A model in the published DFloat11 layout, opened for reading: a directory whose `config.json` has
/// `dfloat11_config` (directory layout: one file per unit plus `model.safetensors`; single-file layout: all in
/// `model.safetensors`). Units are found by name (`<module>.luts`), as the official loader finds them.
/// Nothing pickled is ever read.
struct DFloat11Model {
    /// Versions of `dfloat11_config.version` whose tensor layout df11 reads.
    static let supportedVersions = ["0.2.0", "0.5.0"]

    let directory: String
    /// `config.json` as parsed.
    let config: JSONValue
    let version: String
    let patterns: PatternDictionary
    /// The `*.safetensors` files, sorted by name.
    let fileNames: [String]
    let files: [SafetensorsFile]
    let tensors: TensorSourceSet
    /// Unit module names, in natural order.
    let units: [String]
    /// Every tensor that is not one of the units' six, in natural order.
    let remainder: [String]
    /// Files of the directory that are neither safetensors nor config.json (tokenizer, generation config…).
    let otherFiles: [String]
    /// `df11-manifest.json`, when the release has one (not among `otherFiles`: decompress does not copy it).
    let manifestPath: String?

    /// Whether `path` is a directory with a `config.json` that has `dfloat11_config` (a Hugging Face cache root
    /// `models--org--name` counts by its `refs/main` snapshot).
    /// A bare `.safetensors` file holding units, with no config.json (a ComfyUI file), counts too: its dictionary
    /// is inferred (`BareFileDictionary`).
    static func isDFloat11Directory(_ path: String) -> Bool {
        if path != "-", FileSystem.kind(of: path) == .regularFile { return BareFileDictionary.isBareDFloat11File(path) }
        guard path != "-", FileSystem.kind(of: path) == .directory,
              let path = try? HuggingFaceCache.resolvingCacheRoot(path) else { return false }
        let configPath = FileSystem.join(path, "config.json")
        guard FileSystem.kind(of: configPath) == .regularFile,
              let bytes = try? FileSystem.readSmallFile(configPath, limit: 16 << 20),
              let json = try? JSONParser().parse(bytes) else { return false }
        return json["dfloat11_config"] != nil
    }

    static func refuse(_ why: String) -> DFloat11MismatchError {
        DFloat11MismatchError("unsupported-dfloat11", why, category: .couldNotRun)
    }

    /// The preset(s) whose dictionary was inferred for a bare file (nil for a directory).
    let inferredArchitecture: String?

    /// Opens the DFloat11 model in `directory` (or, for a Hugging Face cache root, in its `refs/main` snapshot), or
    /// a bare DFloat11 `.safetensors` file alone (its dictionary inferred; nothing beside it is read).
    init(directory given: String) throws {
        let names: [String]
        let directory: String
        if FileSystem.kind(of: given) == .regularFile {
            let (inferred, architecture) = try BareFileDictionary.config(for: given)
            directory = FileSystem.directoryName(of: given)
            config = inferred
            inferredArchitecture = architecture
            names = [FileSystem.baseName(of: given)]
        } else {
            directory = try HuggingFaceCache.resolvingCacheRoot(given)
            let configPath = FileSystem.join(directory, "config.json")
            config = try JSONParser().parse(try FileSystem.readSmallFile(configPath, limit: 16 << 20))
            inferredArchitecture = nil
            names = try FileSystem.entries(of: directory).filter { !$0.hasPrefix(".") }.sorted()
        }
        self.directory = directory
        let configPath = FileSystem.join(directory, "config.json")
        guard let dfConfig = config["dfloat11_config"], dfConfig.members != nil else {
            throw Self.refuse("\(configPath) has no dfloat11_config object: not a DFloat11 model")
        }
        let pickled = names.filter { name in [".bin", ".pt", ".pth", ".pkl", ".ckpt"].contains { name.hasSuffix($0) } }
        version = dfConfig["version"]?.stringValue ?? "(none)"
        guard Self.supportedVersions.contains(version) else {
            let pickleNote = pickled.isEmpty ? "" : " (it ships pickled files: \(pickled.joined(separator: ", ")))"
            throw Self.refuse("dfloat11_config.version is \(version)\(pickleNote); df11 reads the safetensors layout of "
                              + "versions \(Self.supportedVersions.joined(separator: " and ")) and never unpickles "
                              + "anything (0.1.x releases are pickled)")
        }
        if let threads = dfConfig["threads_per_block"], threads != .array([.integer(UInt64(UnitGeometry.threadsPerBlock))]),
           threads != .integer(UInt64(UnitGeometry.threadsPerBlock)) {
            throw Self.refuse("dfloat11_config.threads_per_block is \(threads.text), df11 reads [\(UnitGeometry.threadsPerBlock)] only")
        }
        if let bytes = dfConfig["bytes_per_thread"], bytes != .integer(UInt64(UnitGeometry.bytesPerThread)) {
            throw Self.refuse("dfloat11_config.bytes_per_thread is \(bytes.text), df11 reads \(UnitGeometry.bytesPerThread) only")
        }
        let patterns = try PatternDictionary(configJSON: config)
        self.patterns = patterns
        fileNames = names.filter { $0.hasSuffix(".safetensors") }
        guard !fileNames.isEmpty else {
            let pickleNote = pickled.isEmpty ? "" : "; it holds \(pickled.joined(separator: ", ")), which df11 never unpickles"
            throw Self.refuse("\(directory) has dfloat11_config but no .safetensors file\(pickleNote)")
        }
        manifestPath = names.contains(ReleaseManifest.fileName) ? FileSystem.join(directory, ReleaseManifest.fileName) : nil
        otherFiles = names.filter { !$0.hasSuffix(".safetensors") && $0 != "config.json" && $0 != ReleaseManifest.fileName
            && FileSystem.kind(of: FileSystem.join(directory, $0)) == .regularFile }
        files = try fileNames.map { try SafetensorsFile(path: FileSystem.join(directory, $0)) }
        var seen: [String: String] = [:]
        for (name, file) in zip(fileNames, files) {
            for tensor in file.header.tensors {
                if let other = seen[tensor.name] {
                    throw DFloat11LayoutError(unit: tensor.name, .badTensor(
                        name: tensor.name, reason: "present in both \(other) and \(name)"))
                }
                seen[tensor.name] = name
            }
        }
        tensors = TensorSourceSet(files: files)
        let all = tensors.tensorNames
        let suffix = "." + UnitTensor.luts.rawValue
        units = PatternDictionary.naturallySorted(all.filter { $0.hasSuffix(suffix) }.map { String($0.dropLast(suffix.count)) })
        guard !units.isEmpty else { throw Self.refuse("\(directory): no unit (no tensor named '<module>.luts')") }
        for unit in units where !patterns.entries.indices.contains(where: { patterns.fullMatch(entry: $0, unit) }) {
            throw DFloat11LayoutError(unit: unit, .badTensor(
                name: unit + suffix, reason: "module '\(unit)' matches no pattern of dfloat11_config.pattern_dict, "
                    + "the official loader would not decode it"))
        }
        let unitTensors = Set(units.flatMap { unit in UnitTensor.allCases.map { unit + "." + $0.rawValue } })
        remainder = PatternDictionary.naturallySorted(all.filter { !unitTensors.contains($0) })
    }

    /// The shapes the release's manifest records (empty without one); a manifest that cannot be read throws.
    func recordedShapes() throws -> [String: [Int]] {
        try manifestPath.map { try ReleaseManifest(path: $0).shapes } ?? [:]
    }

    /// The file a tensor is stored in (for messages).
    func file(of tensor: String) -> String {
        for (name, file) in zip(fileNames, files) where file.header.tensor(named: tensor) != nil { return name }
        return "?"
    }

    /// Bytes of the six tensors of the unit `module`.
    func storedBytes(ofUnit module: String) -> UInt64 {
        UnitTensor.allCases.reduce(UInt64(0)) { $0 + (tensors.tensor(named: module + "." + $1.rawValue)?.byteCount ?? 0) }
    }
}
