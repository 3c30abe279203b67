import Foundation

/// A fixed set of reusable, equally sized byte buffers shared between threads.
///
/// Pipelines take a buffer per job and give it back once the job's result is consumed, so that steady
/// state allocates nothing and the memory in use is `count × capacity` bytes at most.
public final class BufferPool: @unchecked Sendable {
    /// Size in bytes of every buffer in the pool.
    public let capacity: Int
    private let condition = NSCondition()
    private var free: [UnsafeMutableRawBufferPointer]
    private var all: [UnsafeMutableRawBufferPointer]

    /// Creates `count` buffers of `capacity` bytes each, aligned to 64 bytes.
    public init(count: Int, capacity: Int) {
        self.capacity = capacity
        let buffers = (0..<max(0, count)).map { _ in
            UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, capacity), alignment: 64)
        }
        self.free = buffers
        self.all = buffers
    }

    deinit {
        for buffer in all { buffer.deallocate() }
    }

    /// Takes a buffer, waiting until one is given back if all are in use.
    public func take() -> UnsafeMutableRawBufferPointer {
        condition.lock()
        defer { condition.unlock() }
        while free.isEmpty { condition.wait() }
        return free.removeLast()
    }

    /// Gives back a buffer obtained from `take()`.
    public func give(_ buffer: UnsafeMutableRawBufferPointer) {
        condition.lock()
        free.append(buffer)
        condition.signal()
        condition.unlock()
    }
}
