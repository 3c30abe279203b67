import Safetensors

/// JSON text as Python's `json.dumps(value, indent=2[, sort_keys=True])` writes it, which is how the official
/// tool's config.json files are written (transformers: sorted keys plus a newline; the single-file layout:
/// insertion order, no newline).
///
/// Python's rules reproduced: `,` + newline between items, `": "` after keys, `[]` and `{}` for empty
/// containers, `ensure_ascii` (every non-ASCII character as `\uXXXX`, lower-case hex, UTF-16 surrogate pairs
/// above U+FFFF), `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`, other control characters as `\u00XX`; keys sorted by
/// code point. Numbers other than non-negative integers are written as their source text, so a value that
/// Python wrote (`1e-06`, `10000.0`) comes back unchanged.
enum PythonJSON {
    static func dumps(_ value: JSONValue, sortKeys: Bool) -> [UInt8] {
        var out: [UInt8] = []
        write(value, indent: 0, sortKeys: sortKeys, into: &out)
        return out
    }

    private static func newline(_ level: Int, _ out: inout [UInt8]) {
        out.append(0x0A)
        out.append(contentsOf: repeatElement(0x20, count: 2 * level))
    }

    private static func write(_ value: JSONValue, indent level: Int, sortKeys: Bool, into out: inout [UInt8]) {
        switch value {
        case .object(let members):
            if members.isEmpty { out += Array("{}".utf8); return }
            let ordered = sortKeys ? members.sorted { $0.key.unicodeScalars.map(\.value)
                .lexicographicallyPrecedes($1.key.unicodeScalars.map(\.value)) } : members
            out.append(UInt8(ascii: "{"))
            for (i, member) in ordered.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1, &out)
                writeString(member.key, into: &out)
                out += Array(": ".utf8)
                write(member.value, indent: level + 1, sortKeys: sortKeys, into: &out)
            }
            newline(level, &out)
            out.append(UInt8(ascii: "}"))
        case .array(let elements):
            if elements.isEmpty { out += Array("[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1, &out)
                write(element, indent: level + 1, sortKeys: sortKeys, into: &out)
            }
            newline(level, &out)
            out.append(UInt8(ascii: "]"))
        case .string(let text):
            writeString(text, into: &out)
        case .integer(let number):
            out += Array(String(number).utf8)
        case .number(let text):
            out += Array(text.utf8)
        case .bool(let flag):
            out += Array((flag ? "true" : "false").utf8)
        case .null:
            out += Array("null".utf8)
        }
    }

    private static func writeString(_ text: String, into out: inout [UInt8]) {
        func hex4(_ unit: UInt16) {
            let digits = Array("0123456789abcdef".utf8)
            out += Array("\\u".utf8)
            for shift in stride(from: 12, through: 0, by: -4) { out.append(digits[Int(unit >> UInt16(shift)) & 0xF]) }
        }
        out.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out += Array("\\\"".utf8)
            case 0x5C: out += Array("\\\\".utf8)
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0x08: out += Array("\\b".utf8)
            case 0x0C: out += Array("\\f".utf8)
            case 0x00 ..< 0x20, 0x80 ... 0xFFFF:
                hex4(UInt16(scalar.value))
            case 0x10000...:
                let v = scalar.value - 0x10000
                hex4(UInt16(0xD800 + (v >> 10)))
                hex4(UInt16(0xDC00 + (v & 0x3FF)))
            default:
                out.append(UInt8(scalar.value))
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
