import Foundation

/// A piece of work that runs on its own thread beside the caller's, joined with `wait()`.
///
/// For small jobs that do not depend on the main work (copying side files while weights encode): they fill
/// the gaps the main work leaves on the cores instead of running alone after it.
///
/// ```swift
/// let side = SideJob { try copyTheSmallFiles() }
/// let result: Result
/// do { result = try encodeEverything() } catch { side.waitIgnoringErrors(); throw error }
/// try side.wait()
/// ```
public final class SideJob: @unchecked Sendable {
    private let queue = DispatchQueue(label: "df11.side-job")
    private var failure: Error?

    /// Starts `body` at once on another thread.
    public init(_ body: @escaping () throws -> Void) {
        queue.async { [self] in
            do { try body() } catch { failure = error }
        }
    }

    /// Waits until the job has finished; rethrows its error.
    public func wait() throws {
        queue.sync {}
        if let failure { throw failure }
    }

    /// Waits until the job has finished, ignoring its error (on a path that already throws another one).
    public func waitIgnoringErrors() {
        queue.sync {}
    }
}
