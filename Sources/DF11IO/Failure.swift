/// How a failure should be reported to the user and which exit code it maps to.
public enum FailureCategory: Sendable {
    /// The input is malformed or a check failed (exit code 1).
    case badData
    /// The tool could not do its job: a missing file, a permission, a full disk, bad arguments (exit code 2).
    case couldNotRun

    /// The process exit code for this category: 1 for `.badData`, 2 for `.couldNotRun`.
    public var exitCode: Int32 {
        switch self {
        case .badData: return 1
        case .couldNotRun: return 2
        }
    }
}

/// Every error type in df11 conforms: a message a user can act on (`description`) and a category.
public protocol DF11Failure: Error, CustomStringConvertible {
    /// Whether the input was bad or the tool could not run.
    var category: FailureCategory { get }
}
