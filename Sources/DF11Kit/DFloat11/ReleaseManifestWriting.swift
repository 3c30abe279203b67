import DF11IO
import DFloat11Layout
import JSON
import Safetensors

/// `df11 manifest DIR --against SRC`: writes `df11-manifest.json` for an existing DFloat11 release (made by
/// df11 or by the official tool) after proving it lossless against its source, so that the release proves
/// itself from then on. The unit files are not touched.
enum ReleaseManifestWriting {
    static func write(release: String, against source: String, options: RunOptions) throws -> ManifestReport {
        let clock = Stopwatch()
        if FileSystem.kind(of: release) == .regularFile {
            throw UsageError("\(release) is a bare DFloat11 file: a manifest lives beside a release's config.json; put "
                             + "the file as model.safetensors in a folder with its config.json ({\"dfloat11_config\": …}) "
                             + "and give that folder")
        }
        guard DFloat11Model.isDFloat11Directory(release) else {
            throw UsageError("\(release) is not a DFloat11 model directory (config.json with dfloat11_config)")
        }
        let model = try DFloat11Model(directory: release)
        let target = FileSystem.join(model.directory, ReleaseManifest.fileName)
        if model.manifestPath != nil && !options.force {
            throw OutputExistsError(path: target)
        }
        // The proof: every decoded weight and every other tensor equal to the source (an existing manifest,
        // being replaced, is not consulted).
        let verified = try DFloat11Verification.verify(input: release, options: options,
                                                       verify: DFloat11VerifyOptions(against: source, ignoreManifest: true))
        let checkpoint = try Checkpoint.open(path: source, followSymlinks: true)
        guard checkpoint.kind != .standardInput else { throw UsageError("--against needs a file or a directory, not '-'") }
        let root = checkpoint.kind == .file ? FileSystem.directoryName(of: source) : checkpoint.root
        var others: [(name: String, path: String)] = []
        let config = FileSystem.join(root, "config.json")
        if FileSystem.kind(of: config) == .regularFile { others.append(("config.json", config)) }
        // In the order compress lists them: the copied files, then the indexes (a diffusers index is not copied).
        for name in checkpoint.otherFiles where name != "config.json" && !name.hasSuffix(".safetensors")
            && !name.hasSuffix(".safetensors.index.json") {
            others.append((name, FileSystem.join(root, name)))
        }
        if checkpoint.index != nil { others.append((Checkpoint.indexFileName, FileSystem.join(root, Checkpoint.indexFileName))) }
        if checkpoint.otherFiles.contains(ReleaseManifest.diffusersIndexName) {
            others.append((ReleaseManifest.diffusersIndexName, FileSystem.join(root, ReleaseManifest.diffusersIndexName)))
        }
        let sourceNames = Set(try checkpoint.weightFiles.flatMap { try SafetensorsFile(path: $0.resolvedPath).header.tensors.map(\.name) })
        let tied = ArchitecturePreset.tiedWeights(config: model.config)
            .filter { !sourceNames.contains($0.name) && sourceNames.contains($0.source) }
            .map { (name: $0.name, source: $0.source) }
        let manifest = try ReleaseManifest.of(weightFiles: ReleaseManifest.weightFileNames(checkpoint),
                                              otherFiles: others, tied: tied)
        try AtomicOutputFile.write(contents: manifest.bytes, to: target, overwrite: options.force)
        return ManifestReport(release: release, against: source, path: target, tensors: manifest.tensors.count,
                              sourceFiles: manifest.sourceFiles.count, weightsProved: verified.weightsChecked,
                              seconds: clock.seconds)
    }
}

/// The report of `df11 manifest`: JSON schema `df11.manifest/1` (docs/JSON.md).
public struct ManifestReport: OperationReport {
    public var release: String
    public var against: String
    public var path: String
    public var tensors: Int
    public var sourceFiles: Int
    public var weightsProved: UInt64
    public var seconds: Double

    public var json: JSONValue {
        .object([
            "schema": .string("df11.manifest/1"), "status": .string("ok"), "release": .string(release),
            "against": .string(against), "manifest": .string(path), "tensors": .int(tensors),
            "source_files": .int(sourceFiles), "weights_proved": .int(weightsProved), "seconds": .double(seconds),
        ])
    }

    public var textRole: ReportTextRole { .summary }

    public var text: String {
        "ok: \(release) is equal to \(against) (\(weightsProved) weights decoded and compared); wrote \(path) "
            + "(\(tensors) tensors, \(sourceFiles) source files): df11 verify \(release) now proves it without the source"
    }
}
