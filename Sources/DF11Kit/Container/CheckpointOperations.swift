import JSON
import DF11Container
import DF11IO
import DF11Pipeline
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Safetensors

/// What `df11 compress`, `decompress` or `verify` did to a whole checkpoint. JSON schemas
/// `df11.compress/1`, `df11.decompress/1`, `df11.verify/1` (docs/JSON.md).
public struct CheckpointReport: OperationReport {
    public enum Operation: String, Sendable { case compress, decompress, verify }

    /// One weight file or container processed.
    public struct FileResult: Sendable {
        public var input: String
        public var output: String?
        public var tensors: Int
        public var blocks: Int
        public var originalBytes: UInt64
        public var containerBytes: UInt64
    }

    public var operation: Operation
    public var input: String
    public var output: String?
    public var files: [FileResult] = []
    public var copied: [String] = []
    /// verify: copied files checked against the checksums `df11.index.json` records; nil when it records none
    /// (a directory written before df11 recorded them).
    public var copiedChecked: Int?
    /// verify, decompress: files proven equal to the originals by the SHA-256 their provenance records (a batch
    /// output), and where they came from; nil without provenance.
    public var provenChecked: (files: Int, origin: String)?
    public var seconds: Double = 0
    public var threads: Int

    public var originalBytes: UInt64 { files.reduce(0) { $0 + $1.originalBytes } }
    public var containerBytes: UInt64 { files.reduce(0) { $0 + $1.containerBytes } }
    public var ratio: Double { originalBytes == 0 ? 1 : Double(containerBytes) / Double(originalBytes) }

    public var json: JSONValue {
        var members: [JSONMember] = [
            JSONMember(key: "schema", value: .string("df11.\(operation.rawValue)/1" + (operation == .verify ? ".1" : ""))),
            JSONMember(key: "status", value: .string("ok")),
            JSONMember(key: "input", value: .string(input)),
        ]
        if let output { members.append(JSONMember(key: "output", value: .string(output))) }
        members += [
            JSONMember(key: "files", value: .array(files.map { f in
                var m: [JSONMember] = [JSONMember(key: "input", value: .string(f.input))]
                if let o = f.output { m.append(JSONMember(key: "output", value: .string(o))) }
                m += [JSONMember(key: "tensors", value: .int(f.tensors)), JSONMember(key: "blocks", value: .int(f.blocks)),
                      JSONMember(key: "original_bytes", value: .int(f.originalBytes)),
                      JSONMember(key: "container_bytes", value: .int(f.containerBytes))]
                return .object(m)
            })),
            JSONMember(key: "copied", value: .strings(copied)),
        ]
        if let provenChecked {
            members += [JSONMember(key: "sha256_checked", value: .int(provenChecked.files)),
                        JSONMember(key: "provenance", value: .string(provenChecked.origin))]
        }
        if operation == .verify {
            members.append(JSONMember(key: "copied_checked", value: copiedChecked.map { .int($0) } ?? .null))
        }
        members += [
            JSONMember(key: "original_bytes", value: .int(originalBytes)),
            JSONMember(key: "container_bytes", value: .int(containerBytes)),
            JSONMember(key: "ratio", value: .double(ratio)),
            JSONMember(key: "seconds", value: .double(seconds)),
            JSONMember(key: "threads", value: .int(threads)),
            JSONMember(key: "original_mb_per_s", value: .double(seconds > 0 ? Double(originalBytes) / seconds / 1e6 : 0)),
        ]
        return .object(members)
    }

    public var textRole: ReportTextRole { .summary }

    public var details: [String] {
        files.map { f in
            "\(f.input)\(f.output.map { " → " + $0 } ?? ""): \(f.tensors) tensors, \(f.blocks) blocks, "
                + "\(ByteFormatting.bytes(f.originalBytes)) ↔ \(ByteFormatting.bytes(f.containerBytes)) "
                + "(\(Percent.text(Double(f.containerBytes), of: Double(f.originalBytes))))"
        } + copied.map { "copied \($0)" }
    }

    public var text: String {
        let time = "\(ByteFormatting.formatted(seconds, digits: 2)) s"
        let rate = ByteFormatting.rate(bytes: originalBytes, seconds: seconds)
        switch operation {
        case .compress:
            return "compressed \(ByteFormatting.bytes(originalBytes)) → \(ByteFormatting.bytes(containerBytes)) "
                + "(\(Percent.text(fraction: ratio))) in \(time), \(rate)"
                + (copied.isEmpty ? "" : "; copied \(copied.count) other files")
        case .decompress:
            return "restored \(ByteFormatting.bytes(originalBytes)) in \(time), \(rate)" + provenText
        case .verify:
            let tensors = files.reduce(0) { $0 + $1.tensors }
            let blocks = files.reduce(0) { $0 + $1.blocks }
            var text = "ok: \(files.count) container\(files.count == 1 ? "" : "s"), \(tensors) tensors, \(blocks) blocks, "
                + "\(ByteFormatting.bytes(originalBytes)) decoded losslessly in \(time) (\(rate))"
            if !copied.isEmpty {
                text += copiedChecked.map { "; \($0) copied file\($0 == 1 ? "" : "s") checked" }
                    ?? "; \(copied.count) copied file\(copied.count == 1 ? "" : "s") not checked (\(DirectoryManifest.fileName) "
                        + "records no checksums: written by an older df11)"
            }
            return text + provenText
        }
    }

    private var provenText: String {
        guard let provenChecked else { return "" }
        let plural = provenChecked.files == 1 ? "" : "s"
        return "; \(provenChecked.files) file\(plural) proven identical to the original\(plural) by SHA-256 "
            + "(provenance: \(provenChecked.origin))"
    }
}

/// Compress, decompress and verify whole checkpoints: a file or `-` (one container), or a directory
/// (one container per weight file, other files copied, `df11.index.json` written last).
public enum CheckpointOperations {
    /// `df11 compress INPUT -o OUTPUT`.
    public static func compress(input: String, output: String, options: RunOptions) throws -> CheckpointReport {
        try compress(checkpoint: try Checkpoint.open(path: input, followSymlinks: options.followSymlinks), input: input,
                     output: output, options: options)
    }

    /// `df11 compress INPUT -o OUTPUT` for a checkpoint already opened from `input`.
    static func compress(checkpoint: Checkpoint, input: String, output: String,
                         options: RunOptions) throws -> CheckpointReport {
        let clock = Stopwatch()
        var report = CheckpointReport(operation: .compress, input: input, output: output, threads: options.threads)
        switch checkpoint.kind {
        case .file, .standardInput:
            let s = try ContainerOperations.compress(input: input, output: output, options: options)
            report.files = [.init(input: input, output: output, tensors: s.tensors, blocks: s.blocks,
                                  originalBytes: s.originalBytes, containerBytes: s.containerBytes)]
        case .directory, .shardedDirectory, .huggingFaceSnapshot:
            guard output != "-" else { throw UsageError("a directory compresses into a directory; give -o DIR") }
            try intoDirectory(output, input: checkpoint.root, force: options.force) { directory in
                var manifest = DirectoryManifest(files: [], copied: [], weightMap: [], copiedChecksums: [])
                let meter = options.meter("compress", total: checkpoint.weightFiles.reduce(UInt64(0)) {
                    $0 + ((try? InputFile(path: $1.resolvedPath))?.size ?? 0)
                })
                defer { meter?.finish() }
                for file in checkpoint.weightFiles {
                    let container = file.displayPath + "." + ContainerFormat.fileExtension
                    let destination = try FileSystem.inside(directory, container, origin: "the container of '\(file.displayPath)'")
                    try FileSystem.createDirectories(FileSystem.directoryName(of: destination))
                    let s = try ContainerOperations.compress(input: file.resolvedPath, output: destination, options: options,
                                                             progress: meter)
                    report.files.append(.init(input: file.displayPath, output: container, tensors: s.tensors,
                                              blocks: s.blocks, originalBytes: s.originalBytes,
                                              containerBytes: s.containerBytes))
                    manifest.files.append(.init(original: file.displayPath, container: container,
                                                originalSize: s.originalBytes, containerSize: s.containerBytes))
                    for tensor in try SafetensorsFile(path: file.resolvedPath).header.tensors {
                        manifest.weightMap.append((tensor.name, container))
                    }
                }
                var copied = excludingOutput(checkpoint.otherFiles, root: checkpoint.root, output: output)
                if checkpoint.index != nil { copied.append(Checkpoint.indexFileName) }
                for name in copied {
                    let digest = try copyFile(FileSystem.join(checkpoint.root, name),
                                              to: FileSystem.inside(directory, name, origin: "a copied file"),
                                              force: options.force)
                    manifest.copiedChecksums.append((name, digest))
                }
                manifest.copied = copied
                report.copied = copied
                try AtomicOutputFile.write(contents: manifest.json.encode() + [0x0A],
                                           to: FileSystem.join(directory, DirectoryManifest.fileName), overwrite: options.force)
            }
        }
        report.seconds = clock.seconds
        return report
    }

    /// `df11 decompress INPUT -o OUTPUT`: a container (or `-`) back to its safetensors file, or a container
    /// directory back to the original checkpoint directory.
    public static func decompress(input: String, output: String, options: RunOptions) throws -> CheckpointReport {
        let clock = Stopwatch()
        var report = CheckpointReport(operation: .decompress, input: input, output: output, threads: options.threads)
        if input != "-" && FileSystem.kind(of: input) == .directory {
            guard output != "-" else { throw UsageError("a container directory decompresses into a directory; give -o DIR") }
            let manifest = try DirectoryManifest.read(directory: input)
            try Checkpoint.checkLinks(manifest.files.map(\.container) + manifest.copied, in: input,
                                      followSymlinks: options.followSymlinks)
            let provenance = SourceProvenance.beside(input)
            var proven = 0
            try intoDirectory(output, input: input, force: options.force) { directory in
                let meter = options.meter("decompress", total: manifest.files.reduce(0) { $0 + $1.originalSize })
                defer { meter?.finish() }
                for entry in manifest.files {
                    let destination = try FileSystem.inside(directory, entry.original, origin: "an original file of \(DirectoryManifest.fileName)")
                    try FileSystem.createDirectories(FileSystem.directoryName(of: destination))
                    let check = provenance?.proving(entry.original)
                    let s = try ContainerOperations.decompress(input: FileSystem.join(input, entry.container),
                                                               output: destination, options: options, progress: meter,
                                                               proving: check)
                    if check != nil { proven += 1 }
                    report.files.append(.init(input: entry.container, output: entry.original, tensors: s.tensors,
                                              blocks: s.blocks, originalBytes: s.originalBytes,
                                              containerBytes: s.containerBytes))
                }
                for name in manifest.copied {
                    let destination = try FileSystem.inside(directory, name, origin: "a copied file of \(DirectoryManifest.fileName)")
                    try copyFile(FileSystem.join(input, name), to: destination, force: options.force,
                                 expected: manifest.checksum(of: name))
                    if try provenance?.checkFile(destination, name: name) == true { proven += 1 }
                }
                report.copied = manifest.copied
            }
            if let provenance, proven > 0 { report.provenChecked = (proven, provenance.origin) }
        } else {
            let provenance = SourceProvenance.beside(input)
            let check = provenance.flatMap { $0.proving($0.onlyName) }
            let s = try ContainerOperations.decompress(input: input, output: output, options: options, progress: nil,
                                                       proving: check)
            if let check { report.provenChecked = (1, check.provenance.origin) }
            report.files = [.init(input: input, output: output, tensors: s.tensors, blocks: s.blocks,
                                  originalBytes: s.originalBytes, containerBytes: s.containerBytes)]
        }
        report.seconds = clock.seconds
        return report
    }

    /// `df11 verify INPUT`: decodes every container and checks every checksum; throws on the first failure.
    public static func verify(input: String, options: RunOptions) throws -> CheckpointReport {
        let clock = Stopwatch()
        var report = CheckpointReport(operation: .verify, input: input, output: nil, threads: options.threads)
        if input != "-" && FileSystem.kind(of: input) == .directory {
            let manifest = try DirectoryManifest.read(directory: input)
            try Checkpoint.checkLinks(manifest.files.map(\.container) + manifest.copied, in: input,
                                      followSymlinks: options.followSymlinks)
            let meter = options.meter("verify", total: manifest.files.reduce(0) { $0 + $1.originalSize })
            defer { meter?.finish() }
            let provenance = SourceProvenance.beside(input)
            var proven = 0
            for entry in manifest.files {
                let check = provenance?.proving(entry.original)
                let s = try ContainerOperations.verify(input: FileSystem.join(input, entry.container), options: options,
                                                       progress: meter, proving: check)
                if check != nil { proven += 1 }
                guard s.originalBytes == entry.originalSize, s.containerBytes == entry.containerSize else {
                    throw ContainerError(file: FileSystem.join(input, entry.container), .sizeMismatch(
                        "\(DirectoryManifest.fileName) records \(entry.originalSize) → \(entry.containerSize) bytes, "
                        + "the container holds \(s.originalBytes) → \(s.containerBytes)"))
                }
                report.files.append(.init(input: entry.container, output: nil, tensors: s.tensors, blocks: s.blocks,
                                          originalBytes: s.originalBytes, containerBytes: s.containerBytes))
            }
            for name in manifest.copied where FileSystem.kind(of: FileSystem.join(input, name)) != .regularFile {
                throw ContainerError(file: FileSystem.join(input, name), .truncated("a copied file listed in \(DirectoryManifest.fileName) is missing"))
            }
            if manifest.recordsChecksums {
                for name in manifest.copied {
                    let path = FileSystem.join(input, name)
                    try CopiedFileMismatch.check(path: path, name: name, digest: try digest(of: path),
                                                 expected: manifest.checksum(of: name))
                }
                report.copiedChecked = manifest.copied.count
            }
            if let provenance {
                for name in manifest.copied where try provenance.checkFile(FileSystem.join(input, name), name: name) {
                    proven += 1
                }
                if proven > 0 { report.provenChecked = (proven, provenance.origin) }
            }
            report.copied = manifest.copied
        } else {
            let provenance = SourceProvenance.beside(input)
            let check = provenance.flatMap { $0.proving($0.onlyName) }
            let s = try ContainerOperations.verify(input: input, options: options, progress: nil, proving: check)
            if let check { report.provenChecked = (1, check.provenance.origin) }
            report.files = [.init(input: input, output: nil, tensors: s.tensors, blocks: s.blocks,
                                  originalBytes: s.originalBytes, containerBytes: s.containerBytes)]
        }
        report.seconds = clock.seconds
        return report
    }

    /// Runs `body` writing into the directory `output`, or rather into the directory it is given.
    ///
    /// A new output (nothing at `output`) is claimed atomically: `body` writes into a staging directory
    /// `.<name>.df11-<host>-<pid>-<random>.tmp` beside it, which is moved into place at the end only if nothing
    /// is at `output` by then (`FileSystem.renameWithoutReplacing`). Of two runs into one new directory, exactly
    /// one wins; the other fails (exit 2) and removes only its own staging directory, never what the winner
    /// wrote. A failure or an interruption removes the staging directory, so a run that does not finish leaves
    /// no half-filled output directory behind. An existing directory (empty, or with `force`) is written into
    /// directly, one atomic file at a time, as before.
    static func intoDirectory<T>(_ output: String, input: String, force: Bool,
                                 _ body: (_ directory: String) throws -> T) throws -> T {
        guard FileSystem.kind(of: output) == .missing, !FileSystem.isSymbolicLink(output) else {
            try prepareDirectory(output, input: input, force: force)
            return try body(output)
        }
        let parent = FileSystem.directoryName(of: output)
        try FileSystem.createDirectories(parent)
        TemporaryFiles.removeStale(in: parent)
        let staging = FileSystem.join(parent, ".\(FileSystem.baseName(of: output)).df11-\(FileSystem.temporaryTag()).tmp")
        TemporaryPaths.register(staging)
        defer { TemporaryPaths.unregister(staging) }
        if mkdir(staging, 0o755) != 0 {
            throw IOFailure(path: output, operation: .create, errno: errno)
        }
        // A new output directory is as private as the input's.
        if let attributes = FileAttributes(of: input) { attributes.applyMode(to: staging) }
        do {
            let result = try body(staging)
            var code: Int32 = 0
            // Under the temporary paths' lock: an interrupt now either finds the staging directory gone (in place,
            // complete) or removes it before it is moved (nothing at `output`), never half of it.
            guard TemporaryPaths.moveIntoPlace(staging, { code = FileSystem.renameWithoutReplacing(staging, to: output) })
            else { throw UsageError("interrupted") }
            if code == EEXIST || code == ENOTEMPTY {
                throw UsageError("'\(output)' was created by another run while this one was writing; it is left as "
                                 + "that run wrote it and this run's output was discarded (use --force to replace "
                                 + "files in an existing directory)")
            }
            if code != 0 { throw IOFailure(path: output, operation: .rename, errno: code) }
            return result
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
    }

    /// `files` (paths relative to `root`) without those under `output` when the output directory lies inside
    /// `root`: otherwise a second run writing into its own input would copy the first run's output into the new
    /// one, a level deeper each time.
    static func excludingOutput(_ files: [String], root: String, output: String) -> [String] {
        guard output != "-", let rootPath = try? FileSystem.resolve(root),
              let outputPath = try? FileSystem.resolve(output), outputPath.hasPrefix(rootPath + "/") else { return files }
        let inside = String(outputPath.dropFirst(rootPath.count + 1)) + "/"
        return files.filter { !$0.hasPrefix(inside) }
    }

    /// Creates the output directory, refusing to write into the input or into a non-empty directory
    /// without `--force`.
    static func prepareDirectory(_ output: String, input: String, force: Bool) throws {
        switch FileSystem.kind(of: output) {
        case .missing:
            try FileSystem.createDirectories(output)
        case .directory:
            if (try? FileSystem.resolve(output)) == (try? FileSystem.resolve(input)) {
                throw UsageError("the output directory '\(output)' is the input; df11 never modifies its inputs")
            }
            if !force, !(try FileSystem.entries(of: output)).isEmpty {
                throw OutputExistsError(path: output, detail: "the output directory '\(output)' is not empty; "
                                        + "use --force (-f) to replace files in it")
            }
        default:
            throw UsageError("the output '\(output)' exists and is not a directory")
        }
    }

    /// Streams a file into place atomically, with its mode and modification time; returns the XXH3-64 of its
    /// bytes. With `expected` (the checksum `df11.index.json` records), a file that differs is not written.
    @discardableResult
    static func copyFile(_ source: String, to destination: String, force: Bool,
                         expected: UInt64? = nil) throws -> UInt64 {
        try FileSystem.createDirectories(FileSystem.directoryName(of: destination))
        let input = try InputFile(path: source)
        let target = try Endpoints.sink(destination, overwrite: force, attributes: FileAttributes(of: source))
        return try target.produce { sink in
            let checksum = StreamingChecksum()
            try input.forEachPiece { bytes in
                checksum.update(bytes)
                try sink.write(bytes)
            }
            if let expected {
                try CopiedFileMismatch.check(path: source, name: FileSystem.baseName(of: source), digest: checksum.digest,
                                             expected: expected)
            }
            return checksum.digest
        }
    }

    /// The XXH3-64 of the file at `path`, streamed.
    static func digest(of path: String) throws -> UInt64 {
        let checksum = StreamingChecksum()
        try InputFile(path: path).forEachPiece { checksum.update($0) }
        return checksum.digest
    }
}

/// A file copied into a container directory that no longer has the checksum `df11.index.json` records for it.
public struct CopiedFileMismatch: CodedFailure {
    public let path: String
    public var code: String { "copied-file-checksum" }
    public var category: FailureCategory { .badData }
    public var description: String {
        "'\(path)': its XXH3 checksum differs from the one \(DirectoryManifest.fileName) records: the file was changed "
            + "after df11 compress copied it"
    }

    /// Throws when `digest` is not `expected` (nil: nothing recorded, nothing to check).
    static func check(path: String, name: String, digest: UInt64, expected: UInt64?) throws {
        if let expected, expected != digest { throw CopiedFileMismatch(path: path) }
    }
}
