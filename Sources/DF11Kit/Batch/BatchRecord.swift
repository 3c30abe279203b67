#if canImport(Glibc)
import Glibc
#endif
import DF11Container
import DF11IO
import DF11Pipeline
import Foundation
import JSON
import Safetensors

/// The record a finished checkpoint leaves beside its output, `OUT/NAME.df11-batch.json` (schema
/// `df11.batch-record/1`, docs/BATCH.md): what was read (each file's size, modification time and SHA-256), with
/// which df11 and options, and what was written (each file's size and XXH3-64). Written last, atomically: an
/// output without its record is unfinished and is redone. Nothing in it depends on the run (no times, hosts or
/// thread counts), so an interrupted and resumed batch leaves the same bytes as an uninterrupted one.
struct BatchRecord {
    struct Source: Sendable {
        var name: String
        var path: String
        var bytes: UInt64
        var modifiedNanoseconds: UInt64
    }

    struct Written {
        var name: String
        var bytes: UInt64
        var xxh3: String
    }

    static let suffix = ".df11-batch.json"

    /// What decides whether an earlier output is still good: df11's version, the options, and the inputs. The
    /// level counts for native containers only (the published layout has none): a container written at another
    /// level, or before levels existed, is converted again.
    static func identity(sources: [Source], format: String, requested: String, singleFile: Bool,
                         level: CompressionLevel) -> JSONValue {
        var members: [JSONMember] = [
            JSONMember(key: "df11_version", value: .string(DF11.version)),
            JSONMember(key: "format", value: .string(format)),
            JSONMember(key: "requested_format", value: .string(requested)),
            JSONMember(key: "single_file", value: .bool(singleFile)),
        ]
        if format == "native" { members.append(JSONMember(key: "level", value: .string(level.rawValue))) }
        members.append(JSONMember(key: "inputs", value: .array(sources.map {
            .object(["name": .string($0.name), "bytes": .int($0.bytes), "mtime_ns": .int($0.modifiedNanoseconds)])
        })))
        return .object(members)
    }

    /// Every file of the checkpoint at `item.input` (weights and others, the index included), with its size and
    /// modification time.
    static func sources(of checkpoint: Checkpoint) -> [Source] {
        var names: [(String, String)] = checkpoint.weightFiles.map { ($0.displayPath, $0.resolvedPath) }
        if checkpoint.kind != .file && checkpoint.kind != .standardInput {
            var others = checkpoint.otherFiles
            if checkpoint.index != nil { others.append(Checkpoint.indexFileName) }
            names += others.map { ($0, (try? FileSystem.resolve(FileSystem.join(checkpoint.root, $0))) ?? FileSystem.join(checkpoint.root, $0)) }
        } else {
            names = names.map { (FileSystem.baseName(of: $0.0), $0.1) }
        }
        return names.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }.map { name, path in
            var info = stat()
            let ok = stat(path, &info) == 0
            return Source(name: name, path: path, bytes: ok ? UInt64(info.st_size) : 0,
                          modifiedNanoseconds: ok ? UInt64(info.st_mtim.tv_sec) * 1_000_000_000 + UInt64(info.st_mtim.tv_nsec) : 0)
        }
    }

    /// A source file's SHA-256: free in a Hugging Face cache (a weight blob's file name is its SHA-256) and in a
    /// directory that `hf download --local-dir` filled (its download metadata records it), computed otherwise.
    static func sha256(of source: Source, checkpointRoot root: String) throws -> String {
        let base = FileSystem.baseName(of: source.path)
        if isSHA256(base), FileSystem.baseName(of: FileSystem.directoryName(of: source.path)) == "blobs" {
            return base
        }
        if let recorded = localDownloadSHA256(of: source, root: root) { return recorded }
        return try SHA256.hex(ofFile: source.path)
    }

    private static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// What `hf download --local-dir DIR` recorded for a file it downloaded: `DIR/.cache/huggingface/download/
    /// NAME.metadata` holds the commit, the ETag (for a file stored with Git LFS, its SHA-256; for others a Git
    /// hash, which is not used) and the time it was written. As huggingface_hub does, the record counts only if
    /// the file was not modified after it (one second of slack).
    static func localDownloadSHA256(of source: Source, root: String) -> String? {
        let path = FileSystem.join(root, ".cache/huggingface/download/" + source.name + ".metadata")
        guard let bytes = try? FileSystem.readSmallFile(path, limit: 4096) else { return nil }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3, isSHA256(String(lines[1])), let written = Double(lines[2]) else { return nil }
        guard Double(source.modifiedNanoseconds) / 1e9 - 1 <= written else { return nil }
        return String(lines[1])
    }

    /// Every regular file of the output (a file, or a directory walked in name order), with size and XXH3-64,
    /// the files hashed on `threads` workers (this read-back is the batch's main cost over `compress`).
    static func written(_ output: String, threads: Int) throws -> [Written] {
        var files: [(name: String, path: String)] = []
        if FileSystem.kind(of: output) == .regularFile {
            files = [(FileSystem.baseName(of: output), output)]
        } else {
            func walk(_ directory: String, _ prefix: String) throws {
                for name in try FileSystem.entries(of: directory) {
                    let full = FileSystem.join(directory, name)
                    let relative = prefix.isEmpty ? name : prefix + "/" + name
                    switch FileSystem.kind(of: full) {
                    case .directory: try walk(full, relative)
                    case .regularFile: files.append((relative, full))
                    default: continue
                    }
                }
            }
            try walk(output, "")
        }
        var result: [Written] = []
        try OrderedPipeline.forEach(files, threads: min(threads, files.count), work: { file in
            Written(name: file.name, bytes: BatchDiscovery.fileSize(file.path),
                    xxh3: hex(try CheckpointOperations.digest(of: file.path)))
        }, consume: { result.append($0) })
        return result
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    static func writtenJSON(_ files: [Written]) -> JSONValue {
        .array(files.map { .object(["name": .string($0.name), "bytes": .int($0.bytes), "xxh3": .string($0.xxh3)]) })
    }

    /// Whether the record at `path` describes a complete output made from these inputs with these options: its
    /// identity equal, and every file it lists present at `output` with its size.
    static func isComplete(recordPath: String, identity: JSONValue, output: String) -> JSONValue? {
        guard let bytes = try? FileSystem.readSmallFile(recordPath, limit: 64 << 20),
              let record = try? JSONParser().parse(bytes), record["identity"] == identity,
              let files = record["outputs"]?.elements, !files.isEmpty else { return nil }
        let isFile = FileSystem.kind(of: output) == .regularFile
        for file in files {
            guard let name = file["name"]?.stringValue, case .integer(let size)? = file["bytes"] else { return nil }
            let path = isFile ? output : FileSystem.join(output, name)
            if isFile && name != FileSystem.baseName(of: output) { return nil }
            guard FileSystem.kind(of: path) == .regularFile, BatchDiscovery.fileSize(path) == size else { return nil }
        }
        return record
    }
}
