/// How `JSONValue.encode` lays JSON text out. Three styles serve the whole program:
///
/// - `compact`: no whitespace, as Rust's `serde_json` writes safetensors headers (and df11 its `--json` reports).
/// - `indented`: two-space indentation, `": "` after keys, members in their order, non-ASCII as raw UTF-8 (a
///   config.json as transformers writes it, less the key sort).
/// - `python(sortKeys:)`: Python's `json.dumps(value, indent=2[, sort_keys=True])`, which writes the official
///   DFloat11 tool's config files (transformers: sorted keys plus a newline; the single-file layout: insertion
///   order, no newline). `ensure_ascii`: every non-ASCII character as `\uXXXX`, lower-case hex, UTF-16 surrogate
///   pairs above U+FFFF; keys sorted by code point.
///
/// Every style escapes `"` and `\`, writes `\b \t \n \f \r`, and other control characters as `\u00xx` (lower-case
/// hex), `[]` and `{}` for empty containers. Numbers other than non-negative integers are written as their source
/// text, so a value that Python wrote (`1e-06`, `10000.0`) comes back unchanged.
public struct JSONStyle: Sendable {
    /// Spaces per level; nil for one compact line.
    public var indent: Int?
    /// Members sorted by the code points of their keys.
    public var sortKeys: Bool
    /// Non-ASCII characters as `\uXXXX` escapes.
    public var asciiOnly: Bool

    public static let compact = JSONStyle(indent: nil, sortKeys: false, asciiOnly: false)
    public static let indented = JSONStyle(indent: 2, sortKeys: false, asciiOnly: false)
    public static func python(sortKeys: Bool) -> JSONStyle { JSONStyle(indent: 2, sortKeys: sortKeys, asciiOnly: true) }
}

extension JSONValue {
    /// The value as JSON bytes (compact unless another style is given).
    public func encode(_ style: JSONStyle = .compact) -> [UInt8] {
        var out: [UInt8] = []
        encode(into: &out, style: style)
        return out
    }

    /// Appends the value as JSON to `out`.
    public func encode(into out: inout [UInt8], style: JSONStyle = .compact) {
        write(into: &out, style: style, level: 0)
    }

    private static func newline(_ style: JSONStyle, _ level: Int, _ out: inout [UInt8]) {
        guard let indent = style.indent else { return }
        out.append(0x0A)
        out.append(contentsOf: repeatElement(0x20, count: indent * level))
    }

    private func write(into out: inout [UInt8], style: JSONStyle, level: Int) {
        switch self {
        case .object(let members):
            if members.isEmpty { out += Array("{}".utf8); return }
            let ordered = style.sortKeys ? members.sorted { $0.key.unicodeScalars.map(\.value)
                .lexicographicallyPrecedes($1.key.unicodeScalars.map(\.value)) } : members
            out.append(UInt8(ascii: "{"))
            for (index, member) in ordered.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.newline(style, level + 1, &out)
                JSONValue.encodeString(member.key, into: &out, asciiOnly: style.asciiOnly)
                out += style.indent == nil ? [UInt8(ascii: ":")] : Array(": ".utf8)
                member.value.write(into: &out, style: style, level: level + 1)
            }
            JSONValue.newline(style, level, &out)
            out.append(UInt8(ascii: "}"))
        case .array(let elements):
            if elements.isEmpty { out += Array("[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.newline(style, level + 1, &out)
                element.write(into: &out, style: style, level: level + 1)
            }
            JSONValue.newline(style, level, &out)
            out.append(UInt8(ascii: "]"))
        case .string(let text):
            JSONValue.encodeString(text, into: &out, asciiOnly: style.asciiOnly)
        case .integer(let value):
            out.append(contentsOf: String(value).utf8)
        case .number(let text):
            out.append(contentsOf: text.utf8)
        case .bool(let flag):
            out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .null:
            out.append(contentsOf: "null".utf8)
        }
    }

    /// Appends `text` as a quoted, escaped JSON string; with `asciiOnly`, non-ASCII as `\uXXXX` escapes.
    public static func encodeString(_ text: String, into out: inout [UInt8], asciiOnly: Bool = false) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        func escape(_ unit: UInt16) {
            out += Array("\\u".utf8)
            for shift in stride(from: 12, through: 0, by: -4) { out.append(hex[Int(unit >> UInt16(shift)) & 0xF]) }
        }
        func escapeASCII(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x00 ..< 0x20: escape(UInt16(byte))
            default: return false
            }
            return true
        }
        out.append(UInt8(ascii: "\""))
        if asciiOnly {
            for scalar in text.unicodeScalars {
                if scalar.value < 0x80 {
                    if !escapeASCII(UInt8(scalar.value)) { out.append(UInt8(scalar.value)) }
                } else if scalar.value <= 0xFFFF {
                    escape(UInt16(scalar.value))
                } else {
                    let v = scalar.value - 0x10000
                    escape(UInt16(0xD800 + (v >> 10)))
                    escape(UInt16(0xDC00 + (v & 0x3FF)))
                }
            }
        } else {
            for byte in text.utf8 where !escapeASCII(byte) { out.append(byte) }
        }
        out.append(UInt8(ascii: "\""))
    }
}
