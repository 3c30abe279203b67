import DF11IO

/// A tensor list that cannot be written as safetensors, or data that does not match it.
public struct SafetensorsWriterError: DF11Failure, Equatable {
    /// What is wrong.
    public enum Problem: Equatable, Sendable {
        /// Two tensors share a name.
        case duplicateName
        /// A tensor has an empty name (or is named `__metadata__`).
        case invalidName
        /// A shape has a negative dimension.
        case negativeDimension
        /// The tensor's byte size overflows 64 bits.
        case sizeOverflow
        /// A sub-byte dtype whose elements do not fill whole bytes.
        case partialByte
        /// The header would exceed the 100 MB limit.
        case headerTooLarge(UInt64)
        /// Data arrived for `got` while `expected` was next (nil when all tensors were written).
        case unexpectedTensor(expected: String?, got: String)
        /// Bytes were written before any `beginTensor`.
        case noTensorStarted
        /// More bytes than the tensor holds.
        case tooManyBytes(expected: UInt64)
        /// The tensor ended with fewer bytes than it holds.
        case tooFewBytes(expected: UInt64, got: UInt64)
        /// `finish()` was called before every tensor was written.
        case missingTensors(count: Int)
    }

    /// The output's name, for messages.
    public let file: String
    /// The tensor concerned, if any.
    public let tensor: String?
    /// What is wrong.
    public let problem: Problem

    /// Always `.badData`: the tensors or their data are inconsistent.
    public var category: FailureCategory { .badData }

    /// "file: tensor 'name': problem".
    public var description: String {
        let words: String
        switch problem {
        case .duplicateName: words = "the name is used twice"
        case .invalidName: words = "tensor names must be non-empty and not '__metadata__'"
        case .negativeDimension: words = "the shape has a negative dimension"
        case .sizeOverflow: words = "the byte size overflows 64 bits"
        case .partialByte: words = "the elements do not fill a whole number of bytes"
        case .headerTooLarge(let length): words = "the header would take \(length) bytes, over the 100 MB limit"
        case .unexpectedTensor(let expected, let got):
            words = expected.map { "data for '\(got)' arrived while '\($0)' was expected next" }
                ?? "data for '\(got)' arrived after every tensor was written"
        case .noTensorStarted: words = "data was written before any tensor was started"
        case .tooManyBytes(let expected): words = "more than its \(expected) bytes were written"
        case .tooFewBytes(let expected, let got): words = "only \(got) of its \(expected) bytes were written"
        case .missingTensors(let count): words = "\(count) tensor(s) were never written"
        }
        if let tensor = tensor { return "\(file): tensor '\(tensor)': \(words)" }
        return "\(file): \(words)"
    }
}
