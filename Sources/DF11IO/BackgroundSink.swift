import Dispatch
import Foundation

/// Writes to another sink on a background thread, in order, so that the thread producing the bytes does
/// not wait for the kernel to copy them.
///
/// Large writes are passed by reference with a `release` callback, called once the bytes are written, so
/// nothing is copied; small writes through `write(_:)` are copied. A write error is rethrown by the next
/// call and by `finish()`; after an error nothing more is written.
public final class BackgroundSink: ByteSink, @unchecked Sendable {
    private let sink: ByteSink
    private let queue = DispatchQueue(label: "df11.background-sink")
    private let lock = NSLock()
    private var failure: Error?

    public init(_ sink: ByteSink) { self.sink = sink }

    /// Queues a copy of `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        let copy = [UInt8](bytes)
        try write(borrowing: nil) { sink in try copy.withUnsafeBytes { try sink.write($0) } }
    }

    /// Queues `bytes` without copying; `release` runs after they are written (or dropped after an error).
    public func write(_ bytes: UnsafeRawBufferPointer, release: @escaping () -> Void) throws {
        let address = bytes
        try write(borrowing: release) { sink in try sink.write(address) }
    }

    /// Waits until everything queued is written; rethrows the first write error.
    public func finish() throws {
        queue.sync {}
        try rethrowFailure()
    }

    /// Waits until nothing queued is still running, ignoring errors: call before abandoning the sink (on
    /// an error path), so that no write reaches the underlying sink after its owner closes it.
    public func drain() {
        queue.sync {}
    }

    /// When true, every write happens on the calling thread before `write` returns (errors are still reported
    /// by the next call and `finish()`): for in-process harnesses, as `OrderedPipeline.runsSingleThreadInline`.
    nonisolated(unsafe) static var writesInline = false

    private func write(borrowing release: (() -> Void)?, _ body: @escaping (ByteSink) throws -> Void) throws {
        try rethrowFailure()
        if Self.writesInline {
            defer { release?() }
            do { try body(sink) } catch { failure = error }
            return
        }
        queue.async { [self] in
            defer { release?() }
            lock.lock()
            let failed = failure != nil
            lock.unlock()
            guard !failed else { return }
            do { try body(sink) } catch {
                lock.lock()
                failure = error
                lock.unlock()
            }
        }
    }

    private func rethrowFailure() throws {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
    }
}
