import DF11IO
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Removes the temporary files of unfinished outputs (`TemporaryPaths`) when the process is interrupted
/// (SIGINT, SIGTERM, SIGHUP), then exits with status 130 (interrupt) or 128 + signal: an interrupted run leaves
/// neither a half-written output (outputs only appear by rename when complete) nor temporary files behind.
///
/// Also SIGBUS, which is how the system reports a read of a mapped input file that another process has
/// truncated meanwhile: the same cleanup, a message that says so, and exit status 1 (bad data) instead of
/// a crash.
enum InterruptHandling {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var installed = false

    /// Installs the handlers; the CLI calls this once (through `ProcessPolicy`), first thing at start.
    ///
    /// SIGINT, SIGTERM and SIGHUP are blocked on the calling thread before anything else happens, so every thread
    /// started later inherits the block, and one thread takes them with `sigwait`. A signal that arrives at any
    /// moment after the block stays pending until that thread takes it: none is ever ignored. (Before, the signals
    /// were set to be ignored and a Dispatch source installed afterwards: one arriving in between, in the first
    /// milliseconds of a run, was lost, and the run went on.)
    static func install() {
        lock.lock()
        defer { lock.unlock() }
        guard !installed else { return }
        installed = true
        var blocked = interruptSignals
        pthread_sigmask(SIG_BLOCK, &blocked, nil)
        // Blocked signals with the default action stay pending; ignored ones (a shell's background job inherits
        // SIGINT ignored) would be discarded before sigwait could take them.
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] { signal(signalNumber, SIG_DFL) }
        let waiter = Thread {
            var set = interruptSignals
            var received: Int32 = 0
            while sigwait(&set, &received) != 0 {}
            interrupted(by: received)
        }
        waiter.name = "df11-signals"
        waiter.start()
        // SIGBUS arrives on the thread that touched the missing page, which cannot go on: handled there.
        signal(SIGBUS) { _ in InterruptHandling.inputTruncated() }
    }

    /// SIGINT, SIGTERM and SIGHUP.
    private static var interruptSignals: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, signalNumber) }
        return set
    }

    /// The SIGBUS handler. Not async-signal-safe in theory; in practice the faulting thread was reading
    /// mapped weights and holds none of the locks used here (the registry's lock is only tried, for a while).
    private static func inputTruncated() -> Never {
        let removed = TemporaryPaths.tryRemoveAllBeforeExit()
        let message = "\ndf11: an input file was truncated or replaced while df11 was reading it (SIGBUS); "
            + (removed ? "unfinished outputs were removed\n" : "unfinished outputs may remain as .*.df11-*.tmp files\n")
        message.utf8CString.withUnsafeBufferPointer { _ = write(2, $0.baseAddress, $0.count - 1) }
        _exit(1)
    }

    private static func interrupted(by signalNumber: Int32) -> Never {
        TemporaryPaths.removeAllBeforeExit()  // leaves the registry locked: nothing registers now
        let name = signalNumber == SIGINT ? "interrupted" : "terminated"
        FileHandle.standardError.write("\ndf11: \(name); unfinished outputs were removed\n".data(using: .utf8)!)
        // What was printed before (a batch's JSON lines) goes out; then the process ends without running exit
        // handlers and static destructors while the workers are still running (and without LeakSanitizer
        // counting their buffers in flight as leaks).
        fflush(stdout)
        _exit(signalNumber == SIGINT ? 130 : 128 + signalNumber)
    }
}
