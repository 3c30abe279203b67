import Foundation

/// Reusable objects that are expensive to create and not thread-safe (compression contexts, scratch
/// tables): a worker takes one, uses it alone, and gives it back.
public final class ResourcePool<Resource>: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [Resource] = []
    private let make: () -> Resource

    /// - Parameter make: creates a new resource when none is idle.
    public init(make: @escaping () -> Resource) { self.make = make }

    /// Runs `body` with a resource that no other thread uses meanwhile.
    public func withResource<T>(_ body: (Resource) throws -> T) rethrows -> T {
        lock.lock()
        let resource = idle.popLast() ?? make()
        lock.unlock()
        defer {
            lock.lock()
            idle.append(resource)
            lock.unlock()
        }
        return try body(resource)
    }

    /// Hands every idle resource to `body` (to release it) and forgets it; call when no worker uses the pool.
    public func drain(_ body: (Resource) -> Void) {
        lock.lock()
        let resources = idle
        idle.removeAll()
        lock.unlock()
        resources.forEach(body)
    }
}
