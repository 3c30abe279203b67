#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// Temporary files and staging directories left by runs that died (SIGKILL, power loss): every one df11 makes
/// is named `.<name>.df11-<host>-<pid>-<random>.tmp` (`FileSystem.temporaryTag`), so that a later run writing
/// into the same directory removes those of this host whose process no longer exists. Names of other hosts
/// (a shared file system, where their process ids mean nothing here) and of live processes are left alone.
public enum TemporaryFiles {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var swept: Set<String> = []

    /// Removes the stale temporary entries directly in `directory`, once per directory and process.
    public static func removeStale(in directory: String) {
        lock.lock()
        let first = swept.insert(directory).inserted
        lock.unlock()
        guard first, let names = try? FileSystem.entries(of: directory) else { return }
        for name in names where isStale(name) {
            try? FileManager.default.removeItem(atPath: FileSystem.join(directory, name))
        }
    }

    /// Whether `name` is a temporary entry of a process of this host that no longer exists.
    public static func isStale(_ name: String) -> Bool {
        guard let pid = owner(of: name), pid != getpid() else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// The process id in a temporary entry's name made on this host, nil for any other name.
    static func owner(of name: String) -> pid_t? {
        guard name.hasPrefix("."), name.hasSuffix(".tmp"), let marker = name.range(of: ".df11-", options: .backwards)
        else { return nil }
        let tag = name[marker.upperBound...].dropLast(4)
        let parts = tag.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == FileSystem.hostName, let pid = pid_t(parts[1]), pid > 0,
              !parts[2].isEmpty, UInt64(parts[2], radix: 16) != nil else { return nil }
        return pid
    }
}
