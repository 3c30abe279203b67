#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Small, typed helpers around the file system used by checkpoint discovery and output.
public enum FileSystem {
    /// What a path is (after following symbolic links).
    public enum Kind: Sendable, Equatable {
        case missing, regularFile, directory, other
    }

    /// The kind of `path`, following symbolic links; `.missing` if it (or its link target) does not exist.
    public static func kind(of path: String) -> Kind {
        var info = stat()
        if stat(path, &info) != 0 { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regularFile
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// Whether `path` itself is a symbolic link (not followed).
    public static func isSymbolicLink(_ path: String) -> Bool {
        var info = stat()
        if lstat(path, &info) != 0 { return false }
        return (info.st_mode & S_IFMT) == S_IFLNK
    }

    /// The entry names of directory `path` (without "." and ".."), sorted bytewise.
    public static func entries(of path: String) throws -> [String] {
        guard let dir = opendir(path) else {
            throw IOFailure(path: path, operation: .list, errno: currentErrno)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> String in
                let bytes = raw.prefix(while: { $0 != 0 })
                return String(decoding: bytes, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// The canonical absolute path of `path` with every symbolic link resolved.
    public static func resolve(_ path: String) throws -> String {
        guard let resolved = realpath(path, nil) else {
            throw IOFailure(path: path, operation: .open, errno: currentErrno)
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Reads a small file whole (headers, indexes, configs), refusing anything larger than `limit` bytes.
    public static func readSmallFile(_ path: String, limit: UInt64 = 256 << 20) throws -> [UInt8] {
        let file = try InputFile(path: path)
        defer { file.close() }
        if file.size > limit {
            throw IOFailure(path: path, operation: .read,
                            detail: "'\(path)' is too large (\(file.size) bytes; at most \(limit) expected)",
                            category: .badData)
        }
        var bytes = [UInt8](repeating: 0, count: Int(file.size))
        try bytes.withUnsafeMutableBytes { try file.read(at: 0, into: $0) }
        return bytes
    }

    /// Creates directory `path` and any missing parents (like `mkdir -p`).
    public static func createDirectories(_ path: String) throws {
        if path.isEmpty || kind(of: path) == .directory { return }
        let parent = directoryName(of: path)
        if parent != path && parent != "." && parent != "/" { try createDirectories(parent) }
        if mkdir(path, 0o755) != 0 {
            let code = currentErrno
            if code == EEXIST && kind(of: path) == .directory { return }
            throw IOFailure(path: path, operation: .create, errno: code)
        }
    }

    /// The directory part of `path` ("." when there is none).
    public static func directoryName(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }

    /// The last component of `path`.
    public static func baseName(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return String(trimmed) }
        return String(trimmed[trimmed.index(after: slash)...])
    }

    /// Removes the file (or link) at `path`.
    public static func removeFile(_ path: String) throws {
        if unlink(path) != 0 { throw IOFailure(path: path, operation: .remove, errno: currentErrno) }
    }

    /// Joins two path parts with exactly one "/".
    public static func join(_ base: String, _ name: String) -> String {
        if base.isEmpty || name.hasPrefix("/") { return name }
        return base.hasSuffix("/") ? base + name : base + "/" + name
    }
}
