/// How a failure should be reported to the user. The exit status each maps to is process policy, decided at the
/// top (`DF11Kit.ProcessPolicy`): 1 for `.badData`, 2 for `.couldNotRun`.
public enum FailureCategory: Sendable {
    /// The input is malformed or a check failed (exit code 1).
    case badData
    /// The tool could not do its job: a missing file, a permission, a full disk, bad arguments (exit code 2).
    case couldNotRun

}

/// Every error type in df11 conforms: a message a user can act on (`description`) and a category.
public protocol DF11Failure: Error, CustomStringConvertible {
    /// Whether the input was bad or the tool could not run.
    var category: FailureCategory { get }
}
