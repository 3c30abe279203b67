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
}
