/// The parsed, fully validated header of one safetensors file.
///
/// Parsing follows the Rust `safetensors` crate (0.8) and is stricter where the crate is lax:
/// - the 8-byte little-endian length N is capped at 100,000,000 bytes and must fit in the input;
/// - the N bytes must be UTF-8 JSON; JSON whitespace before and after the object is accepted (the crate's
///   writer pads with spaces to a multiple of 8; `serde_json` accepts any whitespace);
/// - the top level is an object; `__metadata__`, if present, maps strings to strings;
/// - every other key is a tensor: an object with `dtype`, `shape` and `data_offsets`. Unknown extra keys
///   are ignored, as the crate's `serde` deserializer ignores them (they survive in `rawHeader`);
/// - duplicate keys anywhere are rejected (the crate silently keeps one), and so are empty tensor names;
/// - shape × element bits / 8 must equal `end - begin`, with overflow and whole-byte checks;
/// - sorted by offsets, tensors must tile the data section exactly from 0 to its end: no overlap,
///   no hole, no trailing bytes (the crate's `MetadataIncompleteBuffer`).
public struct SafetensorsHeader {
    /// The largest header length accepted (the Rust crate's `MAX_HEADER_SIZE`).
    public static let maxHeaderLength: UInt64 = 100_000_000

    /// The file's name as used in messages.
    public let fileName: String
    /// The tensors in header (JSON) order.
    public let tensors: [TensorInfo]
    /// The tensors sorted by data offset: the order of their bytes in the file.
    public let tensorsInFileOrder: [TensorInfo]
    /// `__metadata__` in header order, or nil when the header has none.
    public let metadata: [(key: String, value: String)]?
    /// The N header bytes exactly as stored, padding included.
    public let rawHeader: [UInt8]
    /// N, the header length in bytes.
    public var headerLength: UInt64 { UInt64(rawHeader.count) }
    /// Where the data section starts in the file: 8 + N.
    public var dataStart: UInt64 { 8 + headerLength }
    /// The size of the data section: from the file size when known, else the end of the last tensor.
    public let dataSectionSize: UInt64
    /// Whether `dataSectionSize` came from the input's real size (false for pipes).
    public let dataSectionSizeIsKnown: Bool

    private let indexByName: [String: Int]

    /// The tensor called `name`, if any.
    public func tensor(named name: String) -> TensorInfo? {
        indexByName[name].map { tensors[$0] }
    }

    /// Checks the 8-byte length prefix: returns N if it is within the cap and, when `available` (the bytes
    /// after the prefix) is known, within the input.
    public static func headerLength(prefix: UInt64, fileName: String, available: UInt64?) throws -> UInt64 {
        if prefix > maxHeaderLength {
            throw SafetensorsError(file: fileName, problem: .headerTooLarge(length: prefix, limit: maxHeaderLength))
        }
        if let available = available, prefix > available {
            throw SafetensorsError(file: fileName, problem: .headerBeyondEnd(length: prefix, available: available))
        }
        return prefix
    }

    /// Parses and validates the N header bytes (without the 8-byte prefix). `dataSectionSize` is the number
    /// of bytes after the header when known (a regular file), nil for a pipe: the data size is then the end of
    /// the last tensor and truncation is detected while reading.
    public static func parse(_ bytes: [UInt8], fileName: String, dataSectionSize: UInt64?) throws -> SafetensorsHeader {
        let decoded = try HeaderDecoder(fileName: fileName).decode(bytes)
        let layout = try HeaderLayout.check(decoded.tensors, fileName: fileName, dataSectionSize: dataSectionSize)
        var indexByName: [String: Int] = [:]
        for (index, tensor) in decoded.tensors.enumerated() { indexByName[tensor.name] = index }
        return SafetensorsHeader(fileName: fileName, tensors: decoded.tensors, tensorsInFileOrder: layout.fileOrder,
                                 metadata: decoded.metadata, rawHeader: bytes,
                                 dataSectionSize: dataSectionSize ?? layout.end,
                                 dataSectionSizeIsKnown: dataSectionSize != nil, indexByName: indexByName)
    }

    /// Parses and validates the N header bytes; see `parse(_:fileName:dataSectionSize:)`.
    public static func parse(_ bytes: UnsafeRawBufferPointer, fileName: String,
                             dataSectionSize: UInt64?) throws -> SafetensorsHeader {
        try parse(Array(bytes), fileName: fileName, dataSectionSize: dataSectionSize)
    }
}
