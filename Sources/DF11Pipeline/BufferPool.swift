import Foundation

/// A bounded set of reusable byte buffers shared between threads.
///
/// Pipelines take a buffer per job and give it back once the job's result is consumed, so that steady
/// state allocates nothing and at most `count` buffers of at most `capacity` bytes exist. Buffers are
/// allocated on first use and only as large as asked (`take(atLeast:)`, `grow`), so the memory in use
/// follows the data actually seen, not what a file's header declares. A job gets the smallest free buffer
/// that fits, so that one pool serves jobs of very different sizes (the writer's small segments).
public final class BufferPool: @unchecked Sendable {
    /// The most bytes one buffer of the pool may hold.
    public let capacity: Int
    private let count: Int
    private let condition = NSCondition()
    private var free: [UnsafeMutableRawBufferPointer] = []
    /// Every buffer the pool owns, given out or not (freed with the pool).
    private var all: [UnsafeMutableRawBufferPointer] = []

    /// A pool of up to `count` buffers of up to `capacity` bytes each, aligned to 64 bytes.
    public init(count: Int, capacity: Int) {
        self.count = max(0, count)
        self.capacity = max(1, capacity)
    }

    deinit {
        for buffer in all { buffer.deallocate() }
    }

    /// Bytes the pool holds now, given out or not; buffers never shrink, so this is also the most it held.
    public var allocatedBytes: Int {
        condition.lock()
        defer { condition.unlock() }
        return all.reduce(0) { $0 + $1.count }
    }

    /// Takes a buffer of `capacity` bytes, waiting until one is given back if all are in use.
    public func take() -> UnsafeMutableRawBufferPointer {
        take(atLeast: capacity)
    }

    /// Takes a buffer of at least `bytes` bytes (at most `capacity`), waiting until one is given back if all
    /// `count` exist and are in use.
    public func take(atLeast bytes: Int) -> UnsafeMutableRawBufferPointer {
        precondition(bytes <= capacity, "asked for \(bytes) bytes from a pool of \(capacity)-byte buffers")
        condition.lock()
        defer { condition.unlock() }
        while free.isEmpty && all.count >= count { condition.wait() }
        if !free.isEmpty {
            // The smallest free buffer that is large enough; else the largest, replaced by one at least twice its
            // size, so that a pool serving jobs of growing sizes replaces each buffer a few times, not every time
            // (each new buffer's pages are faulted in again).
            let fitting = free.indices.filter { free[$0].count >= bytes }
            if let best = fitting.min(by: { free[$0].count < free[$1].count }) { return free.remove(at: best) }
            let largest = free.indices.max { free[$0].count < free[$1].count }!
            let buffer = free.remove(at: largest)
            return replace(buffer, with: min(capacity, max(bytes, 2 * buffer.count)), keeping: 0)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes), alignment: 64)
        all.append(buffer)
        return buffer
    }

    /// Makes `buffer` (taken from this pool) hold at least `bytes` bytes, keeping its first `keeping` bytes:
    /// doubles it, at most up to `capacity`.
    public func grow(_ buffer: inout UnsafeMutableRawBufferPointer, toAtLeast bytes: Int, keeping: Int) {
        precondition(bytes <= capacity, "asked for \(bytes) bytes from a pool of \(capacity)-byte buffers")
        guard buffer.count < bytes else { return }
        condition.lock()
        defer { condition.unlock() }
        buffer = replace(buffer, with: min(capacity, max(bytes, 2 * buffer.count)), keeping: keeping)
    }

    /// Gives back a buffer obtained from `take` (as last grown).
    public func give(_ buffer: UnsafeMutableRawBufferPointer) {
        condition.lock()
        free.append(buffer)
        condition.signal()
        condition.unlock()
    }

    /// A larger buffer in place of `old` (which it frees), holding `old`'s first `keeping` bytes. Locked.
    private func replace(_ old: UnsafeMutableRawBufferPointer, with bytes: Int,
                         keeping: Int) -> UnsafeMutableRawBufferPointer {
        let new = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 64)
        if keeping > 0 { new.baseAddress!.copyMemory(from: old.baseAddress!, byteCount: keeping) }
        let index = all.firstIndex { $0.baseAddress == old.baseAddress }!
        all[index] = new
        old.deallocate()
        return new
    }
}
