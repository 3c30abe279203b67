import DF11IO

/// A defect in a safetensors file: which file, which tensor (when one is concerned), and what is wrong.
public struct SafetensorsError: DF11Failure, Equatable {
    /// Each kind of defect, with a stable `code` for scripts and tests.
    public enum Problem: Equatable, Sendable {
        /// Fewer than 8 bytes: the header length prefix itself is cut.
        case truncatedLengthPrefix(available: UInt64)
        /// The header length exceeds the 100 MB cap.
        case headerTooLarge(length: UInt64, limit: UInt64)
        /// The header length points past the end of the input.
        case headerBeyondEnd(length: UInt64, available: UInt64)
        /// The header is not valid UTF-8.
        case invalidUTF8(offset: Int)
        /// The header is not well-formed JSON.
        case invalidJSON(String)
        /// The header's top-level value is not an object.
        case headerNotObject(found: String)
        /// `__metadata__` is not an object.
        case metadataNotObject(found: String)
        /// A `__metadata__` value is not a string.
        case metadataValueNotString(key: String, found: String)
        /// A tensor entry is not an object.
        case tensorNotObject(found: String)
        /// A tensor entry lacks `dtype`, `shape` or `data_offsets`.
        case missingKey(String)
        /// The same key appears twice inside a tensor entry.
        case duplicateKey(String)
        /// Two tensors have the same name.
        case duplicateTensor
        /// A tensor's name is the empty string.
        case emptyTensorName
        /// `dtype` is not one of the format's types.
        case unknownDType(String)
        /// `shape` is not an array of non-negative integers.
        case invalidShape(String)
        /// `data_offsets` is not a pair of non-negative integers.
        case invalidOffsets(String)
        /// `data_offsets` has begin > end.
        case offsetsReversed(begin: UInt64, end: UInt64)
        /// The shape's element count times the element size overflows 64 bits.
        case sizeOverflow(shape: [Int], dtype: DType)
        /// A sub-byte dtype whose elements do not fill whole bytes.
        case partialByte(shape: [Int], dtype: DType, bits: UInt64)
        /// The shape and dtype need `expected` bytes but the offsets give `actual`.
        case shapeSizeMismatch(shape: [Int], dtype: DType, expected: UInt64, begin: UInt64, end: UInt64)
        /// An offset so large that the file position would not fit a signed 64-bit file offset.
        case offsetsOutOfRange(begin: UInt64, end: UInt64)
        /// Two tensors' byte ranges overlap.
        case offsetsOverlap(other: String, begin: UInt64, end: UInt64)
        /// Bytes between two tensors (or before the first) belong to no tensor.
        case offsetsHole(from: UInt64, to: UInt64)
        /// The data ends before the header's tensors do.
        case truncatedData(offset: UInt64, expectedEnd: UInt64, available: UInt64)
        /// Bytes follow the end of the last tensor.
        case trailingData(declaredEnd: UInt64, actual: UInt64?)

        /// A stable kebab-case identifier of the defect.
        public var code: String {
            switch self {
            case .truncatedLengthPrefix: return "truncated-length-prefix"
            case .headerTooLarge: return "header-too-large"
            case .headerBeyondEnd: return "header-beyond-end"
            case .invalidUTF8: return "invalid-utf8"
            case .invalidJSON: return "invalid-json"
            case .headerNotObject: return "header-not-object"
            case .metadataNotObject: return "metadata-not-object"
            case .metadataValueNotString: return "metadata-not-string"
            case .tensorNotObject: return "tensor-not-object"
            case .missingKey: return "missing-key"
            case .duplicateKey: return "duplicate-key"
            case .duplicateTensor: return "duplicate-tensor"
            case .emptyTensorName: return "empty-tensor-name"
            case .unknownDType: return "unknown-dtype"
            case .invalidShape: return "invalid-shape"
            case .invalidOffsets: return "invalid-offsets"
            case .offsetsReversed: return "offsets-reversed"
            case .sizeOverflow: return "size-overflow"
            case .partialByte: return "partial-byte"
            case .shapeSizeMismatch: return "shape-size-mismatch"
            case .offsetsOutOfRange: return "offsets-out-of-range"
            case .offsetsOverlap: return "offsets-overlap"
            case .offsetsHole: return "offsets-hole"
            case .truncatedData: return "truncated-data"
            case .trailingData: return "trailing-data"
            }
        }

        /// The defect in words (without the file and tensor names).
        public var words: String {
            switch self {
            case .truncatedLengthPrefix(let available):
                return "the file is too short to be safetensors: it has \(available) bytes, "
                    + "fewer than the 8-byte header length"
            case .headerTooLarge(let length, let limit):
                return "the header length \(length) exceeds the \(limit)-byte limit (not a safetensors file?)"
            case .headerBeyondEnd(let length, let available):
                return "the header length \(length) runs past the end of the input "
                    + "(only \(available) bytes follow the length)"
            case .invalidUTF8(let offset):
                return "the header is not valid UTF-8 (byte \(offset) of the header)"
            case .invalidJSON(let words):
                return "the header is not valid JSON: \(words)"
            case .headerNotObject(let found):
                return "the header must be a JSON object but is \(found)"
            case .metadataNotObject(let found):
                return "__metadata__ must be an object of strings but is \(found)"
            case .metadataValueNotString(let key, let found):
                return "__metadata__ value '\(key)' must be a string but is \(found)"
            case .tensorNotObject(let found):
                return "the entry must be an object with dtype, shape and data_offsets but is \(found)"
            case .missingKey(let key):
                return "the entry has no '\(key)'"
            case .duplicateKey(let key):
                return "the entry has '\(key)' twice"
            case .duplicateTensor:
                return "the name appears twice in the header"
            case .emptyTensorName:
                return "a tensor has an empty name"
            case .unknownDType(let value):
                return "unknown dtype \(value) (known: \(DType.allCases.map(\.rawValue).joined(separator: ", ")))"
            case .invalidShape(let words):
                return "invalid shape: \(words)"
            case .invalidOffsets(let words):
                return "invalid data_offsets: \(words)"
            case .offsetsReversed(let begin, let end):
                return "data_offsets [\(begin), \(end)] end before they begin"
            case .sizeOverflow(let shape, let dtype):
                return "shape \(shape) of \(dtype.rawValue) is too large: its byte size overflows 64 bits"
            case .partialByte(let shape, let dtype, let bits):
                return "shape \(shape) of \(dtype.rawValue) takes \(bits) bits, not a whole number of bytes"
            case .shapeSizeMismatch(let shape, let dtype, let expected, let begin, let end):
                return "shape \(shape) of \(dtype.rawValue) needs \(expected) bytes "
                    + "but data_offsets [\(begin), \(end)] give \(end - begin)"
            case .offsetsOutOfRange(let begin, let end):
                return "data_offsets [\(begin), \(end)] are beyond any possible file size"
            case .offsetsOverlap(let other, let begin, let end):
                return "data_offsets [\(begin), \(end)] overlap those of tensor '\(other)'"
            case .offsetsHole(let from, let to):
                return "bytes \(from) to \(to) of the data section belong to no tensor (a hole)"
            case .truncatedData(let offset, let expectedEnd, let available):
                return "the data is truncated at data offset \(offset): the header needs \(expectedEnd) bytes "
                    + "of tensor data but only \(available) are present"
            case .trailingData(let declaredEnd, let actual):
                let found = actual.map { "\($0) bytes" } ?? "more bytes"
                return "the tensors end at data offset \(declaredEnd) but the data section has \(found) "
                    + "(unexpected trailing data)"
            }
        }
    }

    /// The file's name as given by the user ("-" for standard input).
    public let file: String
    /// The tensor concerned, if any.
    public let tensor: String?
    /// What is wrong.
    public let problem: Problem

    /// A defect of `file`, concerning `tensor` when given.
    public init(file: String, tensor: String? = nil, problem: Problem) {
        self.file = file
        self.tensor = tensor
        self.problem = problem
    }

    /// The stable identifier of the problem, e.g. "offsets-overlap".
    public var code: String { problem.code }

    /// Always `.badData`: the input is malformed.
    public var category: FailureCategory { .badData }

    /// "file: tensor 'name': problem".
    public var description: String {
        if let tensor = tensor {
            return "\(file): tensor '\(tensor)': \(problem.words)"
        }
        return "\(file): \(problem.words)"
    }
}
