/// A strict JSON parser (RFC 8259) for headers, indexes and configs.
///
/// It keeps object members in order, rejects duplicate keys, invalid UTF-8, unpaired surrogates and
/// control characters in strings, parses non-negative integers exactly (others are kept as text), limits
/// nesting depth, and reports the byte offset of every problem. Whitespace (space, tab, CR, LF) is allowed
/// before and after the value; anything else after it is an error.
public struct JSONParser {
    /// The deepest nesting of arrays and objects accepted.
    public var maxDepth: Int

    /// A parser accepting nesting up to `maxDepth` levels.
    public init(maxDepth: Int = 64) {
        self.maxDepth = maxDepth
    }

    /// Parses `text` as one JSON value.
    public func parse(_ text: [UInt8]) throws -> JSONValue {
        try text.withUnsafeBytes { try parse($0) }
    }

    /// Parses the bytes of `text` as one JSON value.
    public func parse(_ text: String) throws -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Parses `bytes` as one JSON value.
    public func parse(_ bytes: UnsafeRawBufferPointer) throws -> JSONValue {
        if let bad = firstInvalidUTF8Offset(bytes) {
            throw JSONParseError(reason: .invalidUTF8, offset: bad)
        }
        var cursor = JSONCursor(bytes: bytes, maxDepth: maxDepth)
        cursor.skipWhitespace()
        let value = try cursor.parseValue(path: [])
        cursor.skipWhitespace()
        if cursor.index < bytes.count {
            throw cursor.error("unexpected text after the end of the JSON value")
        }
        return value
    }
}

/// The parser's position in the text; one value per call to `parseValue`.
struct JSONCursor {
    let bytes: UnsafeRawBufferPointer
    let maxDepth: Int
    var index = 0
    var depth = 0

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    func error(_ words: String, at offset: Int? = nil) -> JSONParseError {
        JSONParseError(reason: .syntax(words), offset: offset ?? index)
    }

    var atEnd: Bool { index >= bytes.count }
    var current: UInt8 { bytes[index] }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func expect(_ byte: UInt8, _ words: String) throws {
        guard !atEnd, current == byte else {
            throw error(atEnd ? "unexpected end of text, expected \(words)" : "expected \(words)")
        }
        index += 1
    }

    mutating func parseValue(path: [String]) throws -> JSONValue {
        guard !atEnd else { throw error("unexpected end of text, expected a value") }
        switch current {
        case UInt8(ascii: "{"): return try parseObject(path: path)
        case UInt8(ascii: "["): return try parseArray(path: path)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): return try parseNumber()
        default: throw error("expected a value")
        }
    }

    mutating func enter() throws {
        depth += 1
        if depth > maxDepth { throw JSONParseError(reason: .tooDeep(limit: maxDepth), offset: index) }
    }

    mutating func parseObject(path: [String]) throws -> JSONValue {
        try enter()
        index += 1
        var members: [JSONMember] = []
        var seen = Set<String>()
        skipWhitespace()
        if !atEnd && current == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            let keyOffset = index
            guard !atEnd, current == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            if !seen.insert(key).inserted {
                throw JSONParseError(reason: .duplicateKey(key: key, objectPath: path), offset: keyOffset)
            }
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after an object key")
            skipWhitespace()
            let value = try parseValue(path: path + [key])
            members.append(JSONMember(key: key, value: value))
            skipWhitespace()
            guard !atEnd else { throw error("unexpected end of text, expected ',' or '}'") }
            if current == UInt8(ascii: ",") { index += 1; continue }
            if current == UInt8(ascii: "}") { index += 1; break }
            throw error("expected ',' or '}'")
        }
        depth -= 1
        return .object(members)
    }

    mutating func parseArray(path: [String]) throws -> JSONValue {
        try enter()
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if !atEnd && current == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(path: path))
            skipWhitespace()
            guard !atEnd else { throw error("unexpected end of text, expected ',' or ']'") }
            if current == UInt8(ascii: ",") { index += 1; continue }
            if current == UInt8(ascii: "]") { index += 1; break }
            throw error("expected ',' or ']'")
        }
        depth -= 1
        return .array(elements)
    }

    mutating func parseLiteral(_ word: String) throws {
        for byte in word.utf8 {
            guard !atEnd, current == byte else { throw error("expected '\(word)'") }
            index += 1
        }
    }

    mutating func parseNumber() throws -> JSONValue {
        let start = index
        var isPlainInteger = true
        if current == UInt8(ascii: "-") { index += 1; isPlainInteger = false }
        guard !atEnd, isDigit(current) else { throw error("expected a digit") }
        if current == UInt8(ascii: "0") {
            index += 1
            if !atEnd && isDigit(current) { throw error("numbers must not have leading zeros") }
        } else {
            while !atEnd && isDigit(current) { index += 1 }
        }
        if !atEnd && current == UInt8(ascii: ".") {
            isPlainInteger = false
            index += 1
            guard !atEnd, isDigit(current) else { throw error("expected a digit after '.'") }
            while !atEnd && isDigit(current) { index += 1 }
        }
        if !atEnd && (current == UInt8(ascii: "e") || current == UInt8(ascii: "E")) {
            isPlainInteger = false
            index += 1
            if !atEnd && (current == UInt8(ascii: "+") || current == UInt8(ascii: "-")) { index += 1 }
            guard !atEnd, isDigit(current) else { throw error("expected a digit in the exponent") }
            while !atEnd && isDigit(current) { index += 1 }
        }
        let text = UnsafeRawBufferPointer(rebasing: bytes[start ..< index])
        if isPlainInteger, let value = exactUInt64(text) { return .integer(value) }
        return .number(String(decoding: text, as: UTF8.self))
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// The digits as a UInt64, nil on overflow.
    func exactUInt64(_ digits: UnsafeRawBufferPointer) -> UInt64? {
        var value: UInt64 = 0
        for byte in digits {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return value
    }

    /// Parses a string starting at the opening quote. The text is already known to be valid UTF-8.
    mutating func parseString() throws -> String {
        index += 1
        let start = index
        // Fast path: no escapes.
        while !atEnd {
            let byte = current
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start ..< index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("control character in a string must be escaped") }
            index += 1
        }
        var buffer = Array(UnsafeRawBufferPointer(rebasing: bytes[start ..< index]))
        while true {
            guard !atEnd else { throw error("unterminated string") }
            let byte = current
            if byte == UInt8(ascii: "\"") { index += 1; break }
            if byte < 0x20 { throw error("control character in a string must be escaped") }
            if byte != UInt8(ascii: "\\") {
                buffer.append(byte)
                index += 1
                continue
            }
            try parseEscape(into: &buffer)
        }
        return String(decoding: buffer, as: UTF8.self)
    }

    mutating func parseEscape(into buffer: inout [UInt8]) throws {
        let escapeStart = index
        index += 1
        guard !atEnd else { throw error("unterminated string") }
        let letter = current
        index += 1
        switch letter {
        case UInt8(ascii: "\""): buffer.append(0x22)
        case UInt8(ascii: "\\"): buffer.append(0x5C)
        case UInt8(ascii: "/"): buffer.append(0x2F)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4(escapeStart)
            if (0xDC00 ... 0xDFFF).contains(scalar) {
                throw JSONParseError(reason: .badEscape("unpaired low surrogate"), offset: escapeStart)
            }
            if (0xD800 ... 0xDBFF).contains(scalar) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                      bytes[index + 1] == UInt8(ascii: "u") else {
                    throw JSONParseError(reason: .badEscape("unpaired high surrogate"), offset: escapeStart)
                }
                index += 2
                let low = try parseHex4(escapeStart)
                guard (0xDC00 ... 0xDFFF).contains(low) else {
                    throw JSONParseError(reason: .badEscape("high surrogate not followed by a low one"),
                                         offset: escapeStart)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else {
                throw JSONParseError(reason: .badEscape("invalid code point"), offset: escapeStart)
            }
            buffer.append(contentsOf: Array(String(Character(unicode)).utf8))
        default:
            throw JSONParseError(reason: .badEscape("unknown escape '\\\(Character(Unicode.Scalar(letter)))'"),
                                 offset: escapeStart)
        }
    }

    mutating func parseHex4(_ escapeStart: Int) throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0 ..< 4 {
            guard !atEnd else { throw JSONParseError(reason: .badEscape("truncated \\u escape"), offset: escapeStart) }
            let byte = current
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a") ... UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A") ... UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONParseError(reason: .badEscape("\\u needs four hex digits"), offset: escapeStart)
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
