import DF11IO

/// Recognises the Hugging Face hub cache layout: `models--org--name/{refs/main, snapshots/<rev>/, blobs/}`.
public enum HuggingFaceCache {
    /// `path` itself, or for a cache root `models--org--name` the snapshot its `refs/main` names.
    public static func resolvingCacheRoot(_ path: String) throws -> String {
        try snapshotForCacheRoot(path) ?? path
    }

    /// The snapshot directory `path` lies in (`…/snapshots/<rev>/transformer` → `…/snapshots/<rev>`), or nil.
    public static func snapshotContaining(_ path: String) -> String? {
        var current = path
        for _ in 0 ..< 8 {
            let parent = FileSystem.directoryName(of: current)
            if parent == current || parent.isEmpty { return nil }
            if isSnapshotDirectory(parent) { return parent }
            current = parent
        }
        return nil
    }

    /// Whether `path` looks like `…/models--org--name/snapshots/<rev>`.
    public static func isSnapshotDirectory(_ path: String) -> Bool {
        let parent = FileSystem.directoryName(of: path)
        let repo = FileSystem.directoryName(of: parent)
        return FileSystem.baseName(of: parent) == "snapshots"
            && FileSystem.baseName(of: repo).hasPrefix("models--")
    }

    /// For a cache root `models--org--name` (it has `snapshots/`), the snapshot named by `refs/main`;
    /// nil when `path` is not a cache root.
    static func snapshotForCacheRoot(_ path: String) throws -> String? {
        let snapshots = FileSystem.join(path, "snapshots")
        guard FileSystem.baseName(of: path).hasPrefix("models--"),
              FileSystem.kind(of: snapshots) == .directory else { return nil }
        let refPath = FileSystem.join(path, "refs/main")
        guard FileSystem.kind(of: refPath) == .regularFile else {
            throw CheckpointError(path: path, problem: .invalidCache("no refs/main; pass a snapshots/<revision> folder"))
        }
        let bytes = try FileSystem.readSmallFile(refPath, limit: 4096)
        let revision = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
        guard !revision.isEmpty, !revision.contains("/"), revision != ".", revision != ".." else {
            throw CheckpointError(path: path, problem: .invalidCache("refs/main does not name a revision"))
        }
        let snapshot = FileSystem.join(snapshots, revision)
        guard FileSystem.kind(of: snapshot) == .directory else {
            throw CheckpointError(path: path, problem: .invalidCache("refs/main names '\(revision)' but "
                + "snapshots/\(revision) does not exist"))
        }
        return snapshot
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first ... last])
    }
}
