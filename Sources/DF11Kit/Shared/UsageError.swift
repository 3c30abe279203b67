import DF11IO

/// A command used wrongly: exit 2 with a message that says what to do instead.
public struct UsageError: DF11Failure {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var category: FailureCategory { .couldNotRun }
    public var description: String { message }
}
