import Dispatch
import Foundation

/// Removes the temporary files of unfinished outputs when the process is interrupted (SIGINT, SIGTERM,
/// SIGHUP), then exits with status 130 (interrupt) or 128 + signal: an interrupted run leaves neither a
/// half-written output (outputs only appear by rename when complete) nor temporary files behind.
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
    }

    /// Registers a temporary file to delete on interruption.
    static func register(_ path: String) {
        lock.lock()
        pending.insert(path)
        lock.unlock()
    }

    /// Forgets a temporary file once it is renamed into place or deleted.
    static func unregister(_ path: String) {
        lock.lock()
        pending.remove(path)
        lock.unlock()
    }

    private static func interrupted(by signalNumber: Int32) {
        lock.lock()
        for path in pending { unlink(path) }
        pending.removeAll()
        lock.unlock()
        let name = signalNumber == SIGINT ? "interrupted" : "terminated"
        FileHandle.standardError.write("\ndf11: \(name); unfinished outputs were removed\n".data(using: .utf8)!)
        exit(signalNumber == SIGINT ? 130 : 128 + signalNumber)
    }
}
