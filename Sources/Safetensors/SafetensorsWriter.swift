import JSON
import DF11IO

// How the official `safetensors` library (Rust crate 0.8, used by the Python package) serializes a file;
// `.safetensorsLibrary` reproduces it byte for byte:
//
// - Order: tensors are sorted by dtype DEscending in the crate's `Dtype` declaration order (BOOL, F4,
//   F6_E2M3, F6_E3M2, U8, I8, F8_E5M2, F8_E4M3, F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ, I16, U16, F16, BF16, I32,
//   U32, F32, C64, F64, I64, U64 — so U64 first, BOOL last), then by name ascending, compared bytewise
//   (Rust `String` order). Data offsets are assigned contiguously from 0 in that order.
// - JSON: `serde_json` compact output, no whitespace. `"__metadata__"` comes first when metadata is given
//   (omitted when None; an empty map is written as `{}`), then each tensor in file order as
//   `"name":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12]}`.
// - The metadata is a Rust `HashMap`, so with two or more keys the crate's key order is unpredictable; we
//   keep the order we are given (which matches whenever there is at most one key).
// - Strings escape `"` and `\`, write \b \t \n \f \r and other bytes below 0x20 as `\u00xx`, and keep
//   non-ASCII as raw UTF-8.
// - Padding: the JSON is padded with ASCII spaces (0x20) to a multiple of 8 bytes; N (little-endian u64)
//   counts the padding. The data follows immediately.
// - Headers over 100,000,000 bytes are refused.

/// In which order tensors are laid out in a written file.
public enum TensorOrder: Sendable {
    /// Header order and data order exactly as given.
    case asGiven
    /// The official library's order: dtype descending, then name (see the notes at the top of this file).
    case safetensorsLibrary
}

/// What the writer needs to know about a tensor before its data arrives.
public struct TensorDescription: Equatable, Sendable {
    /// The tensor's name.
    public var name: String
    /// The element type.
    public var dtype: DType
    /// The dimensions; empty for a scalar.
    public var shape: [Int]

    /// A tensor `name` of `dtype` with `shape`.
    public init(name: String, dtype: DType, shape: [Int]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }

    /// The size of its data in bytes; nil when the shape is invalid or the size overflows or is not whole
    /// bytes (`SafetensorsWriter` refuses such a tensor).
    public var byteCount: UInt64? {
        guard let elements = DType.elementCount(of: shape),
              case .success(let bytes) = dtype.byteCount(forElementCount: elements) else { return nil }
        return bytes
    }
}

/// Plans a safetensors file: the tensors' order and offsets and the exact header bytes. `start(sink:)` then
/// streams the file.
public struct SafetensorsWriter {
    /// The name used in messages.
    public let fileName: String
    /// The tensors in file order, with their data offsets.
    public let tensors: [TensorInfo]
    /// The 8-byte length followed by the padded JSON header: the first bytes of the file.
    public let headerBytes: [UInt8]
    /// The size of the data section (the sum of all tensor sizes).
    public let dataSectionSize: UInt64
    /// The size of the whole file.
    public var fileSize: UInt64 { UInt64(headerBytes.count) + dataSectionSize }

    /// Lays out `tensors` in `order` with optional `metadata`; throws on duplicate or empty names, negative
    /// dimensions, sizes that overflow or do not fill whole bytes, and oversized headers.
    public init(tensors descriptions: [TensorDescription], metadata: [(key: String, value: String)]?,
                order: TensorOrder, fileName: String = "output") throws {
        self.fileName = fileName
        func fail(_ problem: SafetensorsWriterError.Problem, _ tensor: String?) -> SafetensorsWriterError {
            SafetensorsWriterError(file: fileName, tensor: tensor, problem: problem)
        }
        let ordered = order == .asGiven ? descriptions : SafetensorsWriter.libraryOrder(descriptions)
        var names = Set<String>()
        var offset: UInt64 = 0
        var infos: [TensorInfo] = []
        infos.reserveCapacity(ordered.count)
        for tensor in ordered {
            if tensor.name.isEmpty || tensor.name == "__metadata__" { throw fail(.invalidName, tensor.name) }
            if !names.insert(tensor.name).inserted { throw fail(.duplicateName, tensor.name) }
            if tensor.shape.contains(where: { $0 < 0 }) { throw fail(.negativeDimension, tensor.name) }
            guard let elements = DType.elementCount(of: tensor.shape) else { throw fail(.sizeOverflow, tensor.name) }
            let size: UInt64
            switch tensor.dtype.byteCount(forElementCount: elements) {
            case .success(let bytes): size = bytes
            case .failure(.overflow): throw fail(.sizeOverflow, tensor.name)
            case .failure(.partialByte): throw fail(.partialByte, tensor.name)
            }
            let (end, overflow) = offset.addingReportingOverflow(size)
            if overflow { throw fail(.sizeOverflow, tensor.name) }
            infos.append(TensorInfo(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape,
                                    dataOffsets: offset ..< end))
            offset = end
        }
        let json = SafetensorsWriter.headerJSON(tensors: infos, metadata: metadata)
        if UInt64(json.count) > SafetensorsHeader.maxHeaderLength {
            throw fail(.headerTooLarge(UInt64(json.count)), nil)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + json.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: json)
        tensors = infos
        headerBytes = bytes
        dataSectionSize = offset
    }

    /// Plans the file whose header `header` was read from: the same header bytes (the JSON exactly as it was,
    /// padding included), the same tensors at the same offsets, so that writing every tensor's bytes reproduces
    /// that file byte for byte.
    public init(reproducing header: SafetensorsHeader, fileName: String) {
        self.fileName = fileName
        tensors = header.tensorsInFileOrder
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.rawHeader.count)
        withUnsafeBytes(of: UInt64(header.rawHeader.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header.rawHeader)
        headerBytes = bytes
        dataSectionSize = header.dataSectionSize
    }

    /// `descriptions` sorted as the official library sorts them: dtype descending, then name bytewise.
    public static func libraryOrder(_ descriptions: [TensorDescription]) -> [TensorDescription] {
        descriptions.sorted { left, right in
            if left.dtype != right.dtype { return left.dtype > right.dtype }
            return left.name.utf8.lexicographicallyPrecedes(right.name.utf8)
        }
    }

    /// The compact JSON header for `tensors` (in the given order) padded with spaces to a multiple of 8.
    public static func headerJSON(tensors: [TensorInfo], metadata: [(key: String, value: String)]?) -> [UInt8] {
        var members: [JSONMember] = []
        if let metadata = metadata {
            members.append(JSONMember(key: "__metadata__",
                                      value: .object(metadata.map { JSONMember(key: $0.key, value: .string($0.value)) })))
        }
        for tensor in tensors {
            let entry: JSONValue = .object([
                JSONMember(key: "dtype", value: .string(tensor.dtype.rawValue)),
                JSONMember(key: "shape", value: .array(tensor.shape.map { .integer(UInt64($0)) })),
                JSONMember(key: "data_offsets", value: .array([.integer(tensor.dataOffsets.lowerBound),
                                                                .integer(tensor.dataOffsets.upperBound)])),
            ])
            members.append(JSONMember(key: tensor.name, value: entry))
        }
        var json = JSONValue.object(members).encode()
        while json.count % 8 != 0 { json.append(0x20) }
        return json
    }

    /// Writes the header to `sink` and returns a stream that accepts the tensors' data in file order.
    public func start(sink: ByteSink) throws -> SafetensorsStream {
        try sink.write(headerBytes)
        return SafetensorsStream(fileName: fileName, tensors: tensors, sink: sink)
    }
}
