/// An output name taken from input data (a module, tensor, shard or index entry) that would not stay one
/// plain name inside the output directory: absolute, with `..` or `.` components, empty components or a NUL.
/// Refused rather than written, so nothing is ever written outside `-o` (`.badData`, exit 1).
public struct UnsafeOutputName: DF11Failure, Equatable {
    /// The name as the input gave it.
    public let name: String
    /// Where it came from, in words ("the unit file of module '…'", "an entry of df11.index.json").
    public let origin: String

    public init(name: String, origin: String) {
        self.name = name
        self.origin = origin
    }

    public var category: FailureCategory { .badData }

    public var description: String {
        let shown = name.unicodeScalars.map { $0 == "\u{0}" ? "\\u0000" : String($0) }.joined()
        return "\(origin) would be named '\(shown)', which is not a plain name inside the output directory "
            + "(absolute, '..', '.', an empty part or a NUL); refused so that nothing is written outside the output"
    }
}
