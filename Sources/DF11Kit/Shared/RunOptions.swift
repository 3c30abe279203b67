import DF11Container
import DF11Pipeline

/// Settings shared by the operations that read or write checkpoints.
public struct RunOptions: Sendable {
    /// Worker threads.
    public var threads: Int
    /// Replace existing outputs.
    public var force: Bool
    /// Draw a progress bar on standard error.
    public var showProgress: Bool
    /// Container parameters for writing.
    public var parameters: ContainerParameters
    /// Read (and copy) files that symbolic links in an input directory point to outside that directory
    /// (`--follow-symlinks`); by default they are refused. Linked directories are never entered.
    public var followSymlinks: Bool

    public init(threads: Int, force: Bool = false, showProgress: Bool = false,
                parameters: ContainerParameters = .default, followSymlinks: Bool = false) {
        self.threads = max(1, threads)
        self.force = force
        self.showProgress = showProgress
        self.parameters = parameters
        self.followSymlinks = followSymlinks
    }

    /// A progress meter when one is shown; `total` is only computed then (it may open every input file).
    func meter(_ label: String, total: @autoclosure () -> UInt64) -> ProgressMeter? {
        showProgress ? ProgressMeter(label: label, total: total(), enabled: true) : nil
    }
}

/// How hard `compress` works (`--level`): format 1.0 (`fast`), or format 2.0 with tables of 2^12 (`default`) or
/// 2^14 (`max`) states.
public typealias CompressionLevel = DF11Container.CompressionLevel
