import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The temporary files and staging directories of outputs not yet in place, process-wide: writers register
/// them while they exist, so that whoever handles an interruption can remove them. This layer only keeps the
/// list; the signal handling and the exit belong to the process policy at the top (`DF11Kit`'s
/// `InterruptHandling`).
public enum TemporaryPaths {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var pending: Set<String> = []

    /// Registers a temporary file, or a staging directory (removed with its contents).
    public static func register(_ path: String) {
        lock.lock()
        pending.insert(path)
        lock.unlock()
    }

    /// Forgets a temporary path once it is renamed into place or deleted.
    public static func unregister(_ path: String) {
        lock.lock()
        pending.remove(path)
        lock.unlock()
    }

    /// Removes every registered path, for a process about to exit, and keeps the list locked so that nothing
    /// registers afterwards. Workers may still be running and create a file in a staging directory while it is
    /// being removed: it sweeps three times, 20 ms apart.
    public static func removeAllBeforeExit() {
        lock.lock()
        for sweep in 0..<3 {
            for path in pending { try? FileManager.default.removeItem(atPath: path) }
            if sweep < 2 { usleep(20_000) }
        }
        pending.removeAll()
    }

    /// The same from a signal handler on a thread that may hold the lock: tries it for about 100 ms, and
    /// returns whether it could remove the paths.
    public static func tryRemoveAllBeforeExit() -> Bool {
        var locked = false
        for _ in 0..<50 where !locked {
            locked = lock.try()
            if !locked { usleep(2_000) }
        }
        guard locked else { return false }
        for path in pending { try? FileManager.default.removeItem(atPath: path) }
        pending.removeAll()
        return true
    }
}
