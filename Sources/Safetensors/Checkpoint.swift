import DF11IO

/// A model checkpoint located by one path: its weight files, its other files, and its index if sharded.
/// Opening reads only directory listings, the index and (for sharded checkpoints) the shards' headers.
public struct Checkpoint {
    /// The shape of what the path names.
    public enum Kind: Equatable, Sendable {
        /// One `.safetensors` file.
        case file
        /// `-`: one safetensors stream on standard input.
        case standardInput
        /// A directory with `model.safetensors.index.json` and its shards.
        case shardedDirectory
        /// A directory of `*.safetensors` files without an index.
        case directory
        /// A Hugging Face cache snapshot (`models--org--name/snapshots/<rev>`, entries linking into `blobs/`).
        case huggingFaceSnapshot
    }

    /// A weight file: how to show it and where its bytes are.
    public struct WeightFile: Equatable, Sendable {
        /// The path relative to the checkpoint directory (or the path as given for a single file, "-").
        public let displayPath: String
        /// The real path with symbolic links resolved ("-" for standard input).
        public let resolvedPath: String
    }

    /// The name of a sharded checkpoint's index file.
    public static let indexFileName = "model.safetensors.index.json"

    /// What the path names.
    public let kind: Kind
    /// The path as given (for a cache root, the snapshot directory chosen).
    public let root: String
    /// The weight files, sorted bytewise by display path.
    public let weightFiles: [WeightFile]
    /// Every other file (config.json, tokenizer files…), relative to `root`, sorted; the index file and
    /// hidden entries (names starting with ".") are left out. Empty for a single file or standard input.
    public let otherFiles: [String]
    /// The parsed index of a sharded checkpoint.
    public let index: CheckpointIndex?

    /// Opens `path`: "-", a `.safetensors` file, a directory (sharded or not), a Hugging Face cache snapshot,
    /// or a cache root `models--org--name` (its `refs/main` snapshot). Validates a sharded checkpoint's index
    /// against the shards' headers in both directions.
    ///
    /// Symbolic links inside a directory: linked directories are never entered (a `self -> .` link would
    /// otherwise repeat the tree without end, a link to `/` walk the file system); a linked file counts when it
    /// resolves inside the checkpoint directory (or, for a Hugging Face snapshot, inside its repository's
    /// `blobs/`), and one that resolves elsewhere (a secret copied into an output that gets published) is
    /// refused (`.linkOutside`) unless `followSymlinks`.
    public static func open(path: String, followSymlinks: Bool = false) throws -> Checkpoint {
        if path == "-" {
            return Checkpoint(kind: .standardInput, root: "-",
                              weightFiles: [WeightFile(displayPath: "-", resolvedPath: "-")],
                              otherFiles: [], index: nil)
        }
        switch FileSystem.kind(of: path) {
        case .missing:
            throw CheckpointError(path: path, problem: .notFound)
        case .regularFile:
            guard path.hasSuffix(".safetensors") else { throw CheckpointError(path: path, problem: .notSafetensors) }
            return Checkpoint(kind: .file, root: path,
                              weightFiles: [WeightFile(displayPath: path, resolvedPath: try FileSystem.resolve(path))],
                              otherFiles: [], index: nil)
        case .other:
            throw CheckpointError(path: path, problem: .notSafetensors)
        case .directory:
            if let snapshot = try HuggingFaceCache.snapshotForCacheRoot(path) {
                return try openDirectory(snapshot, isSnapshot: true, followSymlinks: followSymlinks)
            }
            return try openDirectory(path, isSnapshot: HuggingFaceCache.isSnapshotDirectory(path),
                                     followSymlinks: followSymlinks)
        }
    }

    private static func openDirectory(_ directory: String, isSnapshot: Bool, followSymlinks: Bool) throws -> Checkpoint {
        let files = try listFiles(directory, relativeTo: "")
        let roots = try linkRoots(directory, isSnapshot: isSnapshot)
        func checked(_ name: String) throws -> String {
            let full = FileSystem.join(directory, name)
            let resolved = try FileSystem.resolve(full)
            if !followSymlinks, !isInside(resolved, roots) {
                throw CheckpointError(path: full, problem: .linkOutside(target: resolved))
            }
            return resolved
        }
        for name in files { _ = try checked(name) }
        let indexPath = FileSystem.join(directory, indexFileName)
        var index: CheckpointIndex?
        var weightNames: [String]
        if files.contains(indexFileName) {
            let parsed = try CheckpointIndex.parse(try FileSystem.readSmallFile(indexPath), path: indexPath)
            for name in parsed.files where FileSystem.kind(of: FileSystem.join(directory, name)) != .missing {
                _ = try checked(name)
            }
            try verify(parsed, directory: directory, indexPath: indexPath)
            index = parsed
            weightNames = parsed.files
        } else {
            weightNames = files.filter { !$0.contains("/") && $0.hasSuffix(".safetensors") }
            if weightNames.isEmpty { throw CheckpointError(path: directory, problem: .noWeightFiles) }
        }
        let weightSet = Set(weightNames)
        let weights = try weightNames.map { name in
            WeightFile(displayPath: name, resolvedPath: try checked(name))
        }
        let others = files.filter { !weightSet.contains($0) && $0 != indexFileName }
        let kind: Kind = isSnapshot ? .huggingFaceSnapshot : (index != nil ? .shardedDirectory : .directory)
        return Checkpoint(kind: kind, root: directory, weightFiles: weights, otherFiles: others, index: index)
    }

    /// Refuses (`.linkOutside`) any of `names` (relative to `directory`) that resolves outside `directory`, unless
    /// `followSymlinks`: for the files of a df11 container directory or a DFloat11 model about to be read or copied.
    public static func checkLinks(_ names: [String], in directory: String, followSymlinks: Bool) throws {
        guard !followSymlinks else { return }
        let roots = try linkRoots(directory, isSnapshot: HuggingFaceCache.isSnapshotDirectory(directory))
        for name in names {
            let full = FileSystem.join(directory, name)
            guard let resolved = try? FileSystem.resolve(full) else { continue }   // missing: reported where read
            if !isInside(resolved, roots) {
                throw CheckpointError(path: full, problem: .linkOutside(target: resolved))
            }
        }
    }

    /// Where linked files of `directory` may point: the directory itself, and the repository's `blobs/` for a
    /// snapshot or a folder inside one (a diffusers pipeline's `snapshots/<rev>/transformer/`).
    private static func linkRoots(_ directory: String, isSnapshot: Bool) throws -> [String] {
        var roots = [try FileSystem.resolve(directory)]
        if let snapshot = isSnapshot ? directory : HuggingFaceCache.snapshotContaining(directory),
           let blobs = try? FileSystem.resolve(
            FileSystem.join(FileSystem.directoryName(of: FileSystem.directoryName(of: snapshot)), "blobs")) {
            roots.append(blobs)
        }
        return roots
    }

    private static func isInside(_ resolved: String, _ roots: [String]) -> Bool {
        roots.contains { resolved == $0 || resolved.hasPrefix($0 == "/" ? "/" : $0 + "/") }
    }

    /// Every non-hidden file under `directory`, as sorted relative paths: real subdirectories are entered,
    /// linked ones never (no loops, no walk outside); linked files are listed (checked by the caller).
    private static func listFiles(_ directory: String, relativeTo prefix: String) throws -> [String] {
        var result: [String] = []
        for name in try FileSystem.entries(of: directory) where !name.hasPrefix(".") {
            let full = FileSystem.join(directory, name)
            let relative = prefix.isEmpty ? name : prefix + "/" + name
            switch FileSystem.kind(of: full) {
            case .directory where !FileSystem.isSymbolicLink(full): result += try listFiles(full, relativeTo: relative)
            case .regularFile: result.append(relative)
            default: continue
            }
        }
        return result.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Checks that every shard exists and that the map and the shards' headers agree in both directions.
    private static func verify(_ index: CheckpointIndex, directory: String, indexPath: String) throws {
        var expected: [String: Set<String>] = [:]
        for entry in index.weightMap { expected[entry.file, default: []].insert(entry.tensor) }
        for file in index.files {
            let shardPath = FileSystem.join(directory, file)
            if FileSystem.kind(of: shardPath) != .regularFile {
                throw CheckpointError(path: indexPath, problem: .missingShard(file: file))
            }
            let header = try SafetensorsFile(path: shardPath).header
            let present = Set(header.tensors.map(\.name))
            let wanted = expected[file] ?? []
            if let missing = index.weightMap.first(where: { $0.file == file && !present.contains($0.tensor) }) {
                throw CheckpointError(path: indexPath, problem: .tensorNotInShard(tensor: missing.tensor, file: file))
            }
            if let extra = header.tensors.first(where: { !wanted.contains($0.name) }) {
                throw CheckpointError(path: indexPath, problem: .tensorNotInIndex(tensor: extra.name, file: file))
            }
        }
    }
}
