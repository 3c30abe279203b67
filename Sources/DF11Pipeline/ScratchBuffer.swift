/// A growable, never-shrinking buffer that one worker reuses from call to call: no copy-on-write or bounds
/// checks in the loops that fill it. Not thread-safe; give each thread its own (`ResourcePool`).
public final class ScratchBuffer<T> {
    private var base = UnsafeMutablePointer<T>.allocate(capacity: 1)
    private var capacity = 1

    public init() {}

    /// Room for at least `count` elements, uninitialised; valid until the next call.
    public func reserve(_ count: Int) -> UnsafeMutablePointer<T> {
        if count > capacity {
            base.deallocate()
            capacity = max(count, capacity * 2)
            base = UnsafeMutablePointer<T>.allocate(capacity: capacity)
        }
        return base
    }

    deinit { base.deallocate() }
}
