/// What can go wrong while building codes or decoding blocks.
///
/// Every case carries enough detail for a user-facing message; the container layer wraps these errors with
/// the file, tensor and block they concern.
public enum EntropyCodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A set of code lengths that is not a usable prefix code: wrong number of entries, a length above the
    /// supported maximum, an over-subscribed code (Kraft sum above 1), an incomplete code with two or more
    /// symbols (Kraft sum below 1), or a single symbol whose length is not 1.
    case invalidCodeLengths(String)
    /// An argument outside what the operation supports (for example a length limit too small for the
    /// number of symbols in use, or a block larger than the format allows).
    case invalidArgument(String)
    /// Encoded bits that do not decode to exactly the expected block: a stream ran out early, decoded to an
    /// unused code, left bits over, had non-zero padding, or the stream sizes do not match the data.
    case corruptStream(String)
    /// A word to encode whose exponent has no code: the words are not those the code's histogram counted
    /// (they changed in between).
    case exponentWithoutCode(String)

    public var description: String {
        switch self {
        case .invalidCodeLengths(let detail): return "invalid Huffman code lengths: \(detail)"
        case .invalidArgument(let detail): return "invalid argument: \(detail)"
        case .corruptStream(let detail): return "corrupt exponent stream: \(detail)"
        case .exponentWithoutCode(let detail): return "exponent without a code: \(detail)"
        }
    }
}
