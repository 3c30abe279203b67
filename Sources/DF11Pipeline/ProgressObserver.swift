/// What a long job reports its progress to, in bytes, from any thread. The pipelines below DF11Kit only
/// report; DF11Kit's `ProgressMeter` decides whether and how to draw it (a bar on a terminal's standard error).
public protocol ProgressObserver: AnyObject, Sendable {
    /// Sets the job's total once it becomes known (e.g. from a container's header), if it was unknown.
    func setTotalIfUnknown(_ bytes: UInt64)
    /// Records `bytes` more bytes done.
    func advance(by bytes: UInt64)
}
