import DF11IO

/// Why a JSON text was rejected, with the byte offset where the problem was found.
public struct JSONParseError: DF11Failure, Equatable {
    /// The kinds of defects the parser reports.
    public enum Reason: Equatable, Sendable {
        /// The bytes are not valid UTF-8.
        case invalidUTF8
        /// The text does not follow the JSON grammar; the words say what was expected.
        case syntax(String)
        /// A string escape is malformed or a `\u` escape is an unpaired surrogate.
        case badEscape(String)
        /// An object has the same key twice; `objectPath` lists the keys leading to that object.
        case duplicateKey(key: String, objectPath: [String])
        /// Arrays and objects are nested deeper than the limit.
        case tooDeep(limit: Int)
    }

    /// What went wrong.
    public let reason: Reason
    /// The byte offset in the text where it was detected.
    public let offset: Int

    /// Always `.badData`.
    public var category: FailureCategory { .badData }

    /// The problem in words, with its byte offset.
    public var description: String {
        switch reason {
        case .invalidUTF8: return "invalid UTF-8 at byte \(offset)"
        case .syntax(let words): return "invalid JSON at byte \(offset): \(words)"
        case .badEscape(let words): return "invalid string escape at byte \(offset): \(words)"
        case .duplicateKey(let key, let path):
            let place = path.isEmpty ? "the top-level object" : "object '\(path.joined(separator: "."))'"
            return "duplicate key '\(key)' in \(place) at byte \(offset)"
        case .tooDeep(let limit): return "JSON nested deeper than \(limit) levels at byte \(offset)"
        }
    }
}
