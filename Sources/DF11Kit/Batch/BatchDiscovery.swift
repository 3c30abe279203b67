#if canImport(Glibc)
import Glibc
#endif
import DF11IO
import Foundation
import Safetensors

/// One checkpoint a batch will convert: where it is, the name its output gets under `OUT`, and where it came from.
public struct BatchItem: Sendable, Equatable {
    /// The path handed to the conversion: a snapshot directory, a checkpoint directory, or a `.safetensors` file.
    public var input: String
    /// The output's name relative to `OUT`: `ORG--NAME` for a cache entry (`ORG--NAME@REV` with
    /// `--all-revisions`), the path relative to a searched directory, or the input's own name.
    public var name: String
    /// The repository id (`org/name`) of a cache entry.
    public var repo: String?
    /// The commit a cache entry's snapshot is.
    public var revision: String?
    /// Bytes of the weight files (from `stat` only: the same in every task, for sharding).
    public var bytes: UInt64
    /// Why this input cannot be converted, found while looking for it (a cache entry without `refs/main`, an
    /// unknown repository id); the item is reported as failed, never dropped.
    public var problem: String?
    /// Whether `problem` is bad data (exit 1) rather than something that could not run (exit 2).
    public var problemIsBadData: Bool = true

    /// `repo` when known, else `name`: what `--include` and `--exclude` match.
    public var key: String { repo ?? name }
}

/// How a batch finds its checkpoints.
public struct BatchDiscoveryOptions: Sendable {
    /// Search directories that are not checkpoints themselves for checkpoints below them.
    public var recursive = false
    /// Cache entries: this ref (`refs/NAME`) or snapshot instead of `refs/main`.
    public var revision: String?
    /// Cache entries: every snapshot.
    public var allRevisions = false
    /// Shell patterns on repository ids (or names): only matching items, and none matching `exclude`.
    public var include: [String] = []
    public var exclude: [String] = []
    /// The environment (for `HF_HUB_CACHE`, `HF_HOME`, `HOME`).
    public var environment: [String: String] = ProcessInfo.processInfo.environment

    public init() {}

    /// The cache repository ids resolve in, as `hf` finds it: `HF_HUB_CACHE`, else `HF_HOME/hub`, else
    /// `~/.cache/huggingface/hub` (`XDG_CACHE_HOME` honoured).
    public var hubCache: String {
        if let hub = environment["HF_HUB_CACHE"], !hub.isEmpty { return hub }
        if let home = environment["HF_HOME"], !home.isEmpty { return FileSystem.join(home, "hub") }
        let cacheHome = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileSystem.join(environment["HOME"] ?? "/root", ".cache")
        return FileSystem.join(cacheHome, "huggingface/hub")
    }
}

/// Finds the checkpoints a batch names: directories, files, cache roots, repository ids, lists.
public enum BatchDiscovery {
    /// The items for `inputs` (in the order found, each input's items sorted), with those `--include`/`--exclude`
    /// leave out counted; two inputs that would write the same output name: the second is a failed item.
    public static func discover(_ inputs: [String], options: BatchDiscoveryOptions) -> (items: [BatchItem], excluded: Int) {
        var items: [BatchItem] = []
        for input in inputs { items += find(input, options: options) }
        var excluded = 0
        var seen: [String: String] = [:]
        var result: [BatchItem] = []
        for var item in items {
            if !options.include.isEmpty, !options.include.contains(where: { matches($0, item.key) }) { excluded += 1; continue }
            if options.exclude.contains(where: { matches($0, item.key) }) { excluded += 1; continue }
            if let earlier = seen[item.name] {
                item.problem = item.problem ?? "its output name '\(item.name)' is also that of '\(earlier)'; convert it in another batch"
                item.problemIsBadData = false
                item.name += "#\(result.count)"
            } else {
                seen[item.name] = item.input
            }
            result.append(item)
        }
        return (result, excluded)
    }

    /// The lines of a `--from` list: one input a line; blank lines and lines starting with `#` skipped.
    public static func listed(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    static func matches(_ pattern: String, _ key: String) -> Bool { fnmatch(pattern, key, 0) == 0 }

    private static func find(_ input: String, options: BatchDiscoveryOptions) -> [BatchItem] {
        let trimmed = OutputNames.trimmed(input)
        switch FileSystem.kind(of: trimmed) {
        case .regularFile:
            guard trimmed.hasSuffix(".safetensors") else {
                return [failed(trimmed, name: FileSystem.baseName(of: trimmed), "not a .safetensors file", badData: false)]
            }
            return [BatchItem(input: trimmed, name: FileSystem.baseName(of: trimmed), bytes: fileSize(trimmed))]
        case .directory:
            return directory(trimmed, name: FileSystem.baseName(of: trimmed == "." ? FileManager.default.currentDirectoryPath : trimmed),
                             searchRoot: nil, options: options)
        case .other:
            return [failed(trimmed, name: FileSystem.baseName(of: trimmed), "not a file or directory", badData: false)]
        case .missing:
            let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
            if parts.count == 2, !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }),
               !trimmed.hasPrefix(".") {
                let repo = FileSystem.join(options.hubCache, "models--\(parts[0])--\(parts[1])")
                if FileSystem.kind(of: repo) == .directory { return cacheRepository(repo, options: options) }
                return [failed(trimmed, name: "\(parts[0])--\(parts[1])",
                               "no such file, and no repository '\(trimmed)' in the cache \(options.hubCache) "
                               + "(HF_HUB_CACHE or HF_HOME name another)", badData: false, repo: trimmed)]
            }
            return [failed(trimmed, name: FileSystem.baseName(of: trimmed), "no such file or directory", badData: false)]
        }
    }

    /// A directory: a cache root (entries `models--*`), a cache repository, a snapshot, a checkpoint, or (with
    /// `--recursive`) a tree to search.
    private static func directory(_ path: String, name: String, searchRoot: String?,
                                  options: BatchDiscoveryOptions) -> [BatchItem] {
        let base = FileSystem.baseName(of: path)
        if base.hasPrefix("models--"), FileSystem.kind(of: FileSystem.join(path, "snapshots")) == .directory
            || FileSystem.kind(of: FileSystem.join(path, "refs")) == .directory
            || FileSystem.kind(of: FileSystem.join(path, "blobs")) == .directory {
            return cacheRepository(path, options: options)
        }
        let entries = (try? FileSystem.entries(of: path)) ?? []
        let repositories = entries.filter { $0.hasPrefix("models--") && FileSystem.kind(of: FileSystem.join(path, $0)) == .directory }
        if !repositories.isEmpty {
            return repositories.flatMap { cacheRepository(FileSystem.join(path, $0), options: options) }
        }
        if isCheckpoint(path, entries: entries) {
            var item = BatchItem(input: path, name: name, bytes: weightBytes(path, entries: entries))
            if HuggingFaceCache.isSnapshotDirectory(path) {
                let repoDirectory = FileSystem.directoryName(of: FileSystem.directoryName(of: path))
                item.repo = repositoryID(FileSystem.baseName(of: repoDirectory))
                item.revision = base
                if searchRoot == nil { item.name = FileSystem.baseName(of: repoDirectory).dropPrefix("models--") }
            }
            return [item]
        }
        if options.recursive {
            var found: [BatchItem] = []
            for entry in entries where !entry.hasPrefix(".") {
                let full = FileSystem.join(path, entry)
                guard FileSystem.kind(of: full) == .directory, !FileSystem.isSymbolicLink(full) else { continue }
                found += directory(full, name: FileSystem.join(name, entry), searchRoot: searchRoot ?? path, options: options)
            }
            return found
        }
        if searchRoot != nil { return [] }
        return [failed(path, name: name, "no .safetensors files in it (--recursive searches the directories below)",
                       badData: false)]
    }

    /// One cache repository `models--ORG--NAME`: the snapshot `refs/main` names, the one `--revision` names, or
    /// every snapshot.
    private static func cacheRepository(_ path: String, options: BatchDiscoveryOptions) -> [BatchItem] {
        let folder = FileSystem.baseName(of: path)
        let name = folder.dropPrefix("models--")
        let repo = repositoryID(folder)
        let snapshots = FileSystem.join(path, "snapshots")
        func item(_ revision: String, name: String) -> BatchItem {
            let snapshot = FileSystem.join(snapshots, revision)
            guard FileSystem.kind(of: snapshot) == .directory else {
                return failed(path, name: name, "the cache entry names revision '\(revision)' but snapshots/\(revision) "
                              + "does not exist", badData: true, repo: repo, revision: revision)
            }
            var found = BatchItem(input: snapshot, name: name, repo: repo, revision: revision,
                                  bytes: weightBytes(snapshot, entries: (try? FileSystem.entries(of: snapshot)) ?? []))
            if !isCheckpoint(snapshot, entries: (try? FileSystem.entries(of: snapshot)) ?? []) {
                found.problem = "snapshot \(revision) holds no .safetensors files"
            }
            return found
        }
        if options.allRevisions {
            let revisions = ((try? FileSystem.entries(of: snapshots)) ?? []).filter { !$0.hasPrefix(".") }
            if revisions.isEmpty { return [failed(path, name: name, "no snapshots in the cache entry", badData: true, repo: repo)] }
            return revisions.map { item($0, name: name + "@" + $0) }
        }
        let ref = options.revision ?? "main"
        let refPath = FileSystem.join(path, "refs/" + ref)
        if !ref.contains(".."), FileSystem.kind(of: refPath) == .regularFile {
            let commit = ((try? FileSystem.readSmallFile(refPath, limit: 4096)).map { String(decoding: $0, as: UTF8.self) } ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard !commit.isEmpty, FileSystem.isSafeComponent(commit) else {
                return [failed(path, name: name, "refs/\(ref) does not name a revision", badData: true, repo: repo)]
            }
            return [item(commit, name: name)]
        }
        if options.revision != nil, FileSystem.isSafeComponent(ref),
           FileSystem.kind(of: FileSystem.join(snapshots, ref)) == .directory {
            return [item(ref, name: name)]
        }
        return [failed(path, name: name, options.revision == nil
                       ? "no refs/main in the cache entry (--revision REV or --all-revisions choose a snapshot)"
                       : "no ref or snapshot '\(ref)' in the cache entry", badData: options.revision == nil, repo: repo)]
    }

    /// `models--org--name` → `org/name` (a repository without an organisation: `name`).
    static func repositoryID(_ folder: String) -> String {
        let rest = folder.dropPrefix("models--")
        guard let separator = rest.range(of: "--") else { return rest }
        return rest[..<separator.lowerBound] + "/" + rest[separator.upperBound...]
    }

    private static func isCheckpoint(_ path: String, entries: [String]) -> Bool {
        entries.contains { ($0.hasSuffix(".safetensors") && !$0.hasPrefix(".")) || $0 == Checkpoint.indexFileName }
    }

    private static func weightBytes(_ path: String, entries: [String]) -> UInt64 {
        entries.filter { $0.hasSuffix(".safetensors") && !$0.hasPrefix(".") }
            .reduce(0) { $0 + fileSize(FileSystem.join(path, $1)) }
    }

    static func fileSize(_ path: String) -> UInt64 {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_size) : 0
    }

    private static func failed(_ input: String, name: String, _ problem: String, badData: Bool,
                               repo: String? = nil, revision: String? = nil) -> BatchItem {
        BatchItem(input: input, name: name, repo: repo, revision: revision, bytes: 0, problem: problem,
                  problemIsBadData: badData)
    }
}

extension String {
    func dropPrefix(_ prefix: String) -> String { hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self }
}
