import JSON
import Safetensors

/// Something with a stable JSON form for `--json` (schemas in docs/JSON.md).
public protocol JSONRepresentable {
    var json: JSONValue { get }
}

extension JSONValue {
    /// An object from ordered key/value pairs.
    static func object(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
        .object(pairs.map { JSONMember(key: $0.key, value: $0.value) })
    }

    static func int<T: BinaryInteger>(_ value: T) -> JSONValue {
        value < 0 ? .number(String(value)) : .integer(UInt64(value))
    }

    /// A double in its shortest round-tripping decimal form (non-finite values become null).
    static func double(_ value: Double) -> JSONValue {
        value.isFinite ? .number(String(value)) : .null
    }

    static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }

    /// The value as one line of compact JSON.
    public var text: String { String(decoding: encode(), as: UTF8.self) }
}
