import JSON
import DF11Container
import DF11IO
import DF11Pipeline
import Foundation
import Safetensors

/// What `df11 compress`, `decompress` or `verify` did to a whole checkpoint. JSON schemas
/// `df11.compress/1`, `df11.decompress/1`, `df11.verify/1` (docs/JSON.md).
public struct CheckpointReport: JSONRepresentable, Sendable {
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
    public var seconds: Double = 0
    public var threads: Int

    public var originalBytes: UInt64 { files.reduce(0) { $0 + $1.originalBytes } }
    public var containerBytes: UInt64 { files.reduce(0) { $0 + $1.containerBytes } }
    public var ratio: Double { originalBytes == 0 ? 1 : Double(containerBytes) / Double(originalBytes) }

    public var json: JSONValue {
        var members: [JSONMember] = [
            JSONMember(key: "schema", value: .string("df11.\(operation.rawValue)/1")),
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
            JSONMember(key: "original_bytes", value: .int(originalBytes)),
            JSONMember(key: "container_bytes", value: .int(containerBytes)),
            JSONMember(key: "ratio", value: .double(ratio)),
            JSONMember(key: "seconds", value: .double(seconds)),
            JSONMember(key: "threads", value: .int(threads)),
            JSONMember(key: "original_mb_per_s", value: .double(seconds > 0 ? Double(originalBytes) / seconds / 1e6 : 0)),
        ]
        return .object(members)
    }
}

/// Compress, decompress and verify whole checkpoints: a file or `-` (one container), or a directory
/// (one container per weight file, other files copied, `df11.index.json` written last).
public enum CheckpointOperations {
    /// `df11 compress INPUT -o OUTPUT`.
    public static func compress(input: String, output: String, options: RunOptions) throws -> CheckpointReport {
        let clock = Stopwatch()
        var report = CheckpointReport(operation: .compress, input: input, output: output, threads: options.threads)
        let checkpoint = try Checkpoint.open(path: input)
        switch checkpoint.kind {
        case .file, .standardInput:
            let s = try ContainerOperations.compress(input: input, output: output, options: options)
            report.files = [.init(input: input, output: output, tensors: s.tensors, blocks: s.blocks,
                                  originalBytes: s.originalBytes, containerBytes: s.containerBytes)]
        case .directory, .shardedDirectory, .huggingFaceSnapshot:
            guard output != "-" else { throw UsageError("a directory compresses into a directory; give -o DIR") }
            try intoDirectory(output, input: checkpoint.root, force: options.force) {
                var manifest = DirectoryManifest(files: [], copied: [], weightMap: [])
                let meter = options.meter("compress", total: checkpoint.weightFiles.reduce(UInt64(0)) {
                    $0 + ((try? InputFile(path: $1.resolvedPath))?.size ?? 0)
                })
                defer { meter?.finish() }
                for file in checkpoint.weightFiles {
                    let container = file.displayPath + "." + ContainerFormat.fileExtension
                    let destination = FileSystem.join(output, container)
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
                    try copyFile(FileSystem.join(checkpoint.root, name), to: FileSystem.join(output, name),
                                 force: options.force)
                }
                manifest.copied = copied
                report.copied = copied
                try AtomicOutputFile.write(contents: manifest.json.encode() + [0x0A],
                                           to: FileSystem.join(output, DirectoryManifest.fileName), overwrite: options.force)
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
            try intoDirectory(output, input: input, force: options.force) {
                let meter = options.meter("decompress", total: manifest.files.reduce(0) { $0 + $1.originalSize })
                defer { meter?.finish() }
                for entry in manifest.files {
                    let destination = FileSystem.join(output, entry.original)
                    try FileSystem.createDirectories(FileSystem.directoryName(of: destination))
                    let s = try ContainerOperations.decompress(input: FileSystem.join(input, entry.container),
                                                               output: destination, options: options, progress: meter)
                    report.files.append(.init(input: entry.container, output: entry.original, tensors: s.tensors,
                                              blocks: s.blocks, originalBytes: s.originalBytes,
                                              containerBytes: s.containerBytes))
                }
                for name in manifest.copied {
                    try copyFile(FileSystem.join(input, name), to: FileSystem.join(output, name), force: options.force)
                }
                report.copied = manifest.copied
            }
        } else {
            let s = try ContainerOperations.decompress(input: input, output: output, options: options)
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
            let meter = options.meter("verify", total: manifest.files.reduce(0) { $0 + $1.originalSize })
            defer { meter?.finish() }
            for entry in manifest.files {
                let s = try ContainerOperations.verify(input: FileSystem.join(input, entry.container), options: options,
                                                       progress: meter)
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
            report.copied = manifest.copied
        } else {
            let s = try ContainerOperations.verify(input: input, options: options)
            report.files = [.init(input: input, output: nil, tensors: s.tensors, blocks: s.blocks,
                                  originalBytes: s.originalBytes, containerBytes: s.containerBytes)]
        }
        report.seconds = clock.seconds
        return report
    }

    /// Runs `body` writing into the directory `output` (made ready by `prepareDirectory`). If this call creates
    /// the directory, a failure or an interruption removes it again with whatever `body` wrote, so a run that
    /// does not finish leaves no half-filled output directory behind.
    static func intoDirectory<T>(_ output: String, input: String, force: Bool, _ body: () throws -> T) throws -> T {
        let created = FileSystem.kind(of: output) == .missing
        try prepareDirectory(output, input: input, force: force)
        if created { InterruptCleanup.register(output) }
        defer { if created { InterruptCleanup.unregister(output) } }
        do {
            return try body()
        } catch {
            if created { try? FileManager.default.removeItem(atPath: output) }
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
                throw UsageError("the output directory '\(output)' is not empty; use --force to replace files in it")
            }
        default:
            throw UsageError("the output '\(output)' exists and is not a directory")
        }
    }

    /// Streams a file into place atomically.
    static func copyFile(_ source: String, to destination: String, force: Bool) throws {
        try FileSystem.createDirectories(FileSystem.directoryName(of: destination))
        let input = try InputFile(path: source)
        let target = try Endpoints.sink(destination, overwrite: force)
        try target.produce { sink in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let n = try input.read(into: buffer)
                if n == 0 { break }
                try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            }
        }
    }
}
