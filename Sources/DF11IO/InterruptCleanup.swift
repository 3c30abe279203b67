import Dispatch
import Foundation

/// Removes the temporary files of unfinished outputs when the process is interrupted (SIGINT, SIGTERM,
/// SIGHUP), then exits with status 130 (interrupt) or 128 + signal: an interrupted run leaves neither a
/// half-written output (outputs only appear by rename when complete) nor temporary files behind.
///
/// Also SIGBUS, which is how the system reports a read of a mapped input file that another process has
/// truncated meanwhile: the same cleanup, a message that says so, and exit status 1 (bad data) instead of
/// a crash.
public enum InterruptCleanup {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var pending: Set<String> = []
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Installs the handlers; the CLI calls this once at start.
    public static func install() {
        lock.lock()
        defer { lock.unlock() }
        guard sources.isEmpty else { return }
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { interrupted(by: signalNumber) }
            source.resume()
            sources.append(source)
        }
        // SIGBUS arrives on the thread that touched the missing page, which cannot go on: handled there.
        signal(SIGBUS) { _ in InterruptCleanup.inputTruncated() }
    }

    /// The SIGBUS handler. Not async-signal-safe in theory; in practice the faulting thread was reading
    /// mapped weights and holds none of the locks used here (the lock below is only tried, for a while).
    private static func inputTruncated() -> Never {
        var locked = false
        for _ in 0..<50 where !locked {
            locked = lock.try()
            if !locked { usleep(2_000) }
        }
        if locked {
            for path in pending { try? FileManager.default.removeItem(atPath: path) }
        }
        let message = "\ndf11: an input file was truncated or replaced while df11 was reading it (SIGBUS); "
            + (locked ? "unfinished outputs were removed\n" : "unfinished outputs may remain as .*.df11-*.tmp files\n")
        message.utf8CString.withUnsafeBufferPointer { _ = write(2, $0.baseAddress, $0.count - 1) }
        _exit(1)
    }

    /// Registers a temporary file, or a staging directory (removed with its contents), to delete on
    /// interruption.
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

    private static func interrupted(by signalNumber: Int32) {
        lock.lock()
        // Workers are still running and may create a file in a staging directory while it is being removed:
        // sweep three times, 20 ms apart. The lock stays held, so no new path is registered meanwhile.
        for sweep in 0..<3 {
            for path in pending { try? FileManager.default.removeItem(atPath: path) }
            if sweep < 2 { usleep(20_000) }
        }
        pending.removeAll()
        let name = signalNumber == SIGINT ? "interrupted" : "terminated"
        FileHandle.standardError.write("\ndf11: \(name); unfinished outputs were removed\n".data(using: .utf8)!)
        exit(signalNumber == SIGINT ? 130 : 128 + signalNumber)  // with the lock held: nothing registers now
    }
}
