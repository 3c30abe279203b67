import DF11IO

/// A DFloat11 model that does not match its source checkpoint (`--against`), or a source that cannot be
/// matched to it. Names the unit and block (decoded weights) or the tensor (remainder).
public struct DFloat11MismatchError: CodedFailure {
    public let code: String
    public let message: String
    public let category: FailureCategory
    public var description: String { message }

    init(_ code: String, _ message: String, category: FailureCategory = .badData) {
        self.code = code
        self.message = message
        self.category = category
    }
}
