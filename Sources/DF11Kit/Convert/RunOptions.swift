import DF11Container

/// Settings shared by the commands that read or write containers.
public struct RunOptions: Sendable {
    /// Worker threads.
    public var threads: Int
    /// Replace existing outputs.
    public var force: Bool
    /// Draw a progress bar on standard error.
    public var showProgress: Bool
    /// Container parameters for writing.
    public var parameters: ContainerParameters

    public init(threads: Int, force: Bool = false, showProgress: Bool = false,
                parameters: ContainerParameters = .default) {
        self.threads = max(1, threads)
        self.force = force
        self.showProgress = showProgress
        self.parameters = parameters
    }

    /// A progress meter when one is shown; `total` is only computed then (it may open every input file).
    func meter(_ label: String, total: @autoclosure () -> UInt64) -> ProgressMeter? {
        showProgress ? ProgressMeter(label: label, total: total(), enabled: true) : nil
    }
}
