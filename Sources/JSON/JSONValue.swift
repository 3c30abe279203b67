/// A JSON value that keeps everything a strict reader needs: object members in their original order
/// (duplicates are rejected by `JSONParser`), integers exactly, and other numbers as their source text.
public indirect enum JSONValue: Equatable, Sendable {
    /// An object: members in document order.
    case object([JSONMember])
    /// An array.
    case array([JSONValue])
    /// A string (escapes already decoded).
    case string(String)
    /// A non-negative integer literal without fraction or exponent that fits in 64 bits.
    case integer(UInt64)
    /// Any other number (negative, fractional, exponent, or too large for 64 bits), as written.
    case number(String)
    /// `true` or `false`.
    case bool(Bool)
    /// `null`.
    case null

    /// The members of an object, nil for any other value.
    public var members: [JSONMember]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements of an array, nil for any other value.
    public var elements: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The text of a string, nil for any other value.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The value of a non-negative integer that fits in 64 bits, nil for any other value.
    public var uint64Value: UInt64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// The value of the first member named `key` of an object; nil if absent or not an object.
    public subscript(key: String) -> JSONValue? {
        members?.first(where: { $0.key == key })?.value
    }

    /// A short name of the value's kind for messages: "an object", "a string", "a negative number"…
    public var kindDescription: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .integer: return "an integer"
        case .number(let text):
            if text.hasPrefix("-") { return "a negative number" }
            if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return "a fractional number" }
            return "an integer too large for 64 bits"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }
}

/// One member of a JSON object.
public struct JSONMember: Equatable, Sendable {
    /// The member's key.
    public var key: String
    /// The member's value.
    public var value: JSONValue

    /// A member `key: value`.
    public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}
