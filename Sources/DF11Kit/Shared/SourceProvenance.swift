import DF11Container
import DF11IO
import JSON

/// Where an output's checkpoint came from, as `df11 batch` records it beside the output
/// (`OUT/NAME.df11-batch.json`, docs/BATCH.md): the repository and revision, and each source file's SHA-256.
/// `verify` and `decompress` of that output use it to prove the restored files equal to the originals.
struct SourceProvenance {
    var repo: String?
    var revision: String?
    /// Source file name (its path inside the checkpoint) → SHA-256, 64 lowercase hex digits.
    var sha256: [String: String]

    /// The provenance recorded beside `output` (a container file or a directory of them), nil if there is none,
    /// it cannot be read, or it was written for another output.
    static func beside(_ output: String) -> SourceProvenance? {
        guard output != "-" else { return nil }
        var trimmed = output
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        // `OUT/NAME.df11-batch.json` beside `OUT/NAME` (a directory) or `OUT/NAME.df11` (a single container).
        let dotted = "." + ContainerFormat.fileExtension
        let name = trimmed.hasSuffix(dotted) ? String(trimmed.dropLast(dotted.count)) : trimmed
        guard let bytes = try? FileSystem.readSmallFile(name + BatchRecord.suffix, limit: 64 << 20),
              let record = try? JSONParser().parse(bytes),
              record["output"]?.stringValue == FileSystem.baseName(of: trimmed),
              let sources = record["sources"]?.elements else { return nil }
        var sha256: [String: String] = [:]
        for source in sources {
            guard let name = source["name"]?.stringValue, let hash = source["sha256"]?.stringValue else { return nil }
            sha256[name] = hash
        }
        return SourceProvenance(repo: record["repo"]?.stringValue, revision: record["revision"]?.stringValue,
                                sha256: sha256)
    }

    /// Where the files came from, in words: `org/name@revision`, or the record.
    var origin: String {
        guard let repo else { return "the batch record" }
        return repo + (revision.map { "@" + $0 } ?? "")
    }

    /// The one source file of a checkpoint that was a single file.
    var onlyName: String? { sha256.count == 1 ? sha256.keys.first : nil }

    /// This provenance with `name`, for a reader to prove that file by, when a SHA-256 is recorded for it.
    func proving(_ name: String?) -> (provenance: SourceProvenance, name: String)? {
        guard let name, sha256[name] != nil else { return nil }
        return (self, name)
    }

    /// Hashes the file at `path` and checks it as the original `name`; false, without reading, when nothing is
    /// recorded for `name`.
    func checkFile(_ path: String, name: String) throws -> Bool {
        guard sha256[name] != nil else { return false }
        try check(name: name, digest: try SHA256.hex(ofFile: path), path: path)
        return true
    }

    /// Throws when `digest` is not the SHA-256 recorded for `name`.
    func check(name: String, digest: String, path: String) throws {
        guard let expected = sha256[name], expected != digest else { return }
        throw ProvenanceMismatch(path: path, name: name, origin: origin, expected: expected, found: digest)
    }
}

/// A restored file whose SHA-256 differs from the one its provenance records.
public struct ProvenanceMismatch: CodedFailure {
    public let path: String
    public let name: String
    public let origin: String
    public let expected: String
    public let found: String
    public var code: String { "source-sha256-differs" }
    public var category: FailureCategory { .badData }
    public var description: String {
        "'\(path)': the restored '\(name)' has SHA-256 \(found), but \(origin) recorded \(expected) for the original"
    }
}
