#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// An input file's permission bits and modification time, kept on the outputs made from it as zstd and gzip
/// keep them: a model readable only by its owner stays so.
struct FileAttributes: Sendable {
    let mode: mode_t
    let modified: timespec

    /// The attributes of the file at `path` (links followed); nil for `-` or what cannot be read.
    init?(of path: String) {
        guard path != "-" else { return nil }
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        mode = info.st_mode & 0o7777
        modified = info.st_mtim
    }

    /// Sets the permission bits of `path` (a file not yet renamed into place).
    func applyMode(to path: String) {
        _ = chmod(path, mode)
    }

    /// Sets the modification time of `path` (its access time is left as it is: UTIME_OMIT).
    func applyTimes(to path: String) {
        let omit = (1 << 30) - 2  // UTIME_OMIT, a C macro Swift does not import
        var times = [timespec(tv_sec: 0, tv_nsec: omit), modified]
        _ = utimensat(AT_FDCWD, path, &times, 0)
    }

    /// The permission bits every one of `paths` grants (the most private of them), for an output made from
    /// several inputs; nil when there is none.
    static func commonMode(of paths: [String]) -> mode_t? {
        let modes = paths.compactMap { FileAttributes(of: $0)?.mode }
        return modes.isEmpty ? nil : modes.reduce(0o7777) { $0 & $1 }
    }

    /// Mode and modification time of an output file already in place.
    func apply(to path: String) {
        applyMode(to: path)
        applyTimes(to: path)
    }
}
