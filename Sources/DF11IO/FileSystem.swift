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
        // The name is read in place, up to its NUL: a record can be shorter than `dirent` (the last one of the
        // buffer readdir fills may end right after its name), so copying the struct, `d_name`'s 256 bytes
        // included, reads past the buffer (AddressSanitizer found it).
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        while let entry = readdir(dir) {
            let name = String(cString: UnsafeRawPointer(entry).advanced(by: nameOffset).assumingMemoryBound(to: CChar.self))
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

    /// Whether `name` is one path component that names an entry inside a directory: not empty, not `.` or
    /// `..`, without `/` or NUL.
    public static func isSafeComponent(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.utf8.contains(0x2F) && !name.utf8.contains(0)
    }

    /// Whether `path` is a relative path that stays inside its directory: one or more safe components
    /// (`isSafeComponent`) separated by single `/`.
    public static func isSafeRelativePath(_ path: String) -> Bool {
        !path.isEmpty && path.split(separator: "/", omittingEmptySubsequences: false)
            .allSatisfy { isSafeComponent(String($0)) }
    }

    /// `directory` joined with `relative`, a name derived from input data, after checking that it stays
    /// inside `directory` (`isSafeRelativePath`); `origin` says where the name came from for the error.
    public static func inside(_ directory: String, _ relative: String, origin: String) throws -> String {
        guard isSafeRelativePath(relative) else { throw UnsafeOutputName(name: relative, origin: origin) }
        return join(directory, relative)
    }

    /// Moves `source` (a file or a directory) to `destination` only if nothing is there, atomically: of two
    /// processes moving onto one name, exactly one succeeds and the other fails with `EEXIST`, and nothing at
    /// `destination` is ever replaced. Linux's `renameat2(RENAME_NOREPLACE)`; where the file system does not
    /// support it, `link` + `unlink` for a file, and for a directory `mkdir` (the claim) + `rename` over the
    /// claimed empty directory. Returns 0 or an errno value.
    public static func renameWithoutReplacing(_ source: String, to destination: String) -> Int32 {
        if let renameat2 = renameat2Function {
            if renameat2(AT_FDCWD, source, AT_FDCWD, destination, 1 /* RENAME_NOREPLACE */) == 0 { return 0 }
            let code = currentErrno
            if code != EINVAL && code != ENOSYS && code != ENOTSUP { return code }
        }
        if kind(of: source) == .directory {
            if mkdir(destination, 0o700) != 0 { return currentErrno }
            if rename(source, destination) != 0 {
                let code = currentErrno
                rmdir(destination)      // ours, and empty unless someone wrote into it: then it stays
                return code
            }
            return 0
        }
        if link(source, destination) != 0 { return currentErrno }
        unlink(source)
        return 0
    }

    private typealias Renameat2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    private static let renameat2Function: Renameat2? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: Renameat2.self)
    }()

    /// This host's name, for naming temporary files so that stale ones can be told apart on shared file systems.
    public static let hostName: String = {
        var bytes = [CChar](repeating: 0, count: 256)
        guard gethostname(&bytes, bytes.count - 1) == 0 else { return "localhost" }
        let name = String(cString: bytes).map { $0 == "/" || $0 == "-" ? "_" : $0 }
        return name.isEmpty ? "localhost" : String(name)
    }()

    /// A tag for temporary names: `<host>-<pid>-<random hex>`; `isStaleTemporaryTag` recognises one left by a
    /// dead process of this host.
    public static func temporaryTag() -> String {
        "\(hostName)-\(getpid())-" + String(UInt64.random(in: 0 ... UInt64.max), radix: 16)
    }

    /// Joins two path parts with exactly one "/".
    public static func join(_ base: String, _ name: String) -> String {
        if base.isEmpty || name.hasPrefix("/") { return name }
        return base.hasSuffix("/") ? base + name : base + "/" + name
    }
}
