import EntropyCoding
import Safetensors

// Every fixed structure of a container, in the order of docs/FORMAT.md: the file header, the frame header,
// then each frame's payload (SHDR, TENS, CODE, BLK, TEND, INDX) and the trailer. Each is a type with its named
// sizes, an `encode` and a throwing (or, for the trailer, failable) `init(parsing:)`; the writer, the
// streaming reader and random access all go through them.

// MARK: - 1. File header

/// The container's fixed file header.
struct FileHeader {
    /// Bytes of the header.
    static let size = ContainerFormat.fileHeaderSize
    /// Bytes the header's checksum covers: everything before it.
    static let checkedSize = 32

    let parameters: ContainerParameters
    let originalSize: UInt64
    /// The file's minor version (the writer's when encoding).
    var minorVersion: UInt16 = ContainerFormat.minorVersion
    /// The file's major version: 1 (level fast) or 2 (the structured coder).
    var majorVersion: UInt16 { parameters.level.majorVersion }

    init(parameters: ContainerParameters, originalSize: UInt64) {
        self.parameters = parameters
        self.originalSize = originalSize
    }

    /// Whether reserved fields (frame flag bits other than bit 0, `TENS` reserved bytes) must be zero: in a
    /// file of this reader's minor version or older they have no meaning yet, so anything else is corruption;
    /// a newer minor version may give them one that this reader can ignore.
    var reservedFieldsAreZero: Bool { minorVersion <= ContainerFormat.minorVersion }

    /// The 40 bytes of the header (docs/FORMAT.md, section 1).
    func encode() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.size)
        bytes.withUnsafeMutableBytes { buffer in
            var w = LittleEndianWriter(buffer)
            w.append(ContainerFormat.magic)
            w.append(majorVersion)
            w.append(ContainerFormat.minorVersion)
            w.append(UInt32(0))
            w.append(UInt32(parameters.blockWeights))
            w.append(UInt32(parameters.segmentBlocks))
            w.append(originalSize)
            w.append(Checksum.xxh3(UnsafeRawBufferPointer(rebasing: buffer[0..<Self.checkedSize])))
        }
        return bytes
    }

    init(parsing bytes: UnsafeRawBufferPointer, file: String) throws {
        let magicSize = ContainerFormat.magic.count
        guard bytes.count == Self.size, Array(bytes[0..<magicSize]) == ContainerFormat.magic else {
            throw ContainerError(file: file, .notAContainer)
        }
        let stored = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: Self.checkedSize, as: UInt64.self))
        guard Checksum.xxh3(UnsafeRawBufferPointer(rebasing: bytes[0..<Self.checkedSize])) == stored else {
            throw ContainerError(file: file, .frameChecksum(frame: "file header"))
        }
        var r = LittleEndianReader(UnsafeRawBufferPointer(rebasing: bytes[magicSize..<Self.checkedSize]))
        let major = r.read(UInt16.self)!, minor = r.read(UInt16.self)!
        guard ContainerFormat.readableMajorVersions.contains(major) else {
            throw ContainerError(file: file, .unsupportedVersion(major: major, minor: minor))
        }
        let flags = r.read(UInt32.self)!
        guard flags == 0 else { throw ContainerError(file: file, .unsupportedFlags(flags)) }
        var parameters = ContainerParameters.default
        // The level that writes this major version (a reader needs no more: 2.0 files carry their table logs).
        parameters.level = major == 1 ? .fast : .default
        parameters.blockWeights = Int(r.read(UInt32.self)!)
        parameters.segmentBlocks = Int(r.read(UInt32.self)!)
        if let problem = parameters.problem { throw ContainerError(file: file, .badParameters(problem)) }
        self.parameters = parameters
        originalSize = r.read(UInt64.self)!
        minorVersion = minor
    }
}

// MARK: - 2. Frames

/// The fixed fields in front of every frame: type, flags, payload length.
struct FrameHeader {
    /// Bytes of the fields.
    static let size = ContainerFormat.frameHeaderSize
    /// Offset of the payload length within the fields.
    static let lengthOffset = 8

    let type: UInt32
    let flags: UInt32
    let length: UInt64
    /// Offset of the frame in the file.
    let offset: UInt64

    var name: String { FrameType.name(of: type) }
    var known: FrameType? { FrameType(rawValue: type) }
    var skippable: Bool { flags & 1 != 0 }
    /// Bytes of the whole frame: header, payload, checksum.
    var totalSize: UInt64 { UInt64(Self.size + ContainerFormat.frameChecksumSize) + length }

    init(type: UInt32, flags: UInt32, length: UInt64, offset: UInt64) {
        self.type = type
        self.flags = flags
        self.length = length
        self.offset = offset
    }

    /// The fields at the start of `bytes` (at least `size` of them), of a frame at `offset` in the file.
    init(parsing bytes: UnsafeRawBufferPointer, offset: UInt64) {
        var r = LittleEndianReader(bytes)
        self.init(type: r.read()!, flags: r.read()!, length: r.read()!, offset: offset)
    }

    /// Writes the fields at the start of `buffer`.
    func encode(into buffer: UnsafeMutableRawBufferPointer) {
        var w = LittleEndianWriter(buffer)
        w.append(type)
        w.append(flags)
        w.append(length)
    }
}

// MARK: SHDR

/// The `SHDR` payload: the original file's length prefix and JSON header, verbatim.
struct HeaderPayload {
    /// Bytes of the length prefix in front of the JSON.
    static let lengthPrefixSize = 8

    let header: SafetensorsHeader

    var size: Int { Self.lengthPrefixSize + header.rawHeader.count }

    func encode(into w: inout LittleEndianWriter) {
        w.append(UInt64(header.rawHeader.count))
        w.append(header.rawHeader)
    }
}

extension HeaderPayload {
    /// Parses the payload with the strict safetensors parser.
    init(parsing shdr: [UInt8], file: String, originalSize: UInt64) throws {
        guard shdr.count >= Self.lengthPrefixSize else {
            throw ContainerError(file: file, .malformedFrame(frame: "SHDR", reason: "shorter than 8 bytes"))
        }
        let length = shdr.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard length == UInt64(shdr.count - Self.lengthPrefixSize), originalSize >= UInt64(shdr.count) else {
            throw ContainerError(file: file, .malformedFrame(frame: "SHDR", reason: "length prefix disagrees with the frame"))
        }
        header = try SafetensorsHeader.parse(Array(shdr[Self.lengthPrefixSize...]), fileName: file,
                                             dataSectionSize: originalSize - UInt64(shdr.count))
    }
}

// MARK: TENS

/// The `TENS` payload: a tensor begins.
struct TensorBeginPayload {
    static let size = 16
    /// Where the three reserved bytes are.
    static let reservedBytes = 5..<8

    let tensorIndex: UInt32
    let encoding: TensorEncoding
    let byteCount: UInt64

    func encode(into w: inout LittleEndianWriter) {
        w.append(tensorIndex)
        w.append(encoding.rawValue)
        for _ in Self.reservedBytes { w.append(UInt8(0)) }
        w.append(byteCount)
    }
}

extension TensorBeginPayload {
    /// Whether a tensor of `dtype` may be stored with `encoding` in a file of major version `major`: encoding 1
    /// only for BF16, 3 only for the float layouts and only in 2.0, 2 for anything.
    static func allows(_ encoding: TensorEncoding, for dtype: DType, major: UInt16) -> Bool {
        switch encoding {
        case .bf16Exponents: return dtype == .bf16
        case .bytes: return major >= 2 || dtype != .bf16
        case .structured: return major >= 2 && FloatLayout(dtype: dtype) != nil
        }
    }

    /// Parses `payload`; nonzero reserved bytes are refused when `reservedFieldsAreZero`.
    init(parsing payload: [UInt8], file: String, reservedFieldsAreZero: Bool) throws {
        guard payload.count == Self.size, let encoding = TensorEncoding(rawValue: payload[4]) else {
            throw ContainerError(file: file, .malformedFrame(frame: "TENS", reason: "bad fields"))
        }
        if reservedFieldsAreZero && payload[Self.reservedBytes].contains(where: { $0 != 0 }) {
            throw ContainerError(file: file, .malformedFrame(frame: "TENS", reason: "reserved bytes are not 0"))
        }
        self.encoding = encoding
        tensorIndex = payload.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        byteCount = payload.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) }
    }
}

// MARK: CODE

/// The `CODE` payload: the code length of each exponent value.
struct CodePayload {
    static let size = 256

    let lengths: [UInt8]

    func encode(into w: inout LittleEndianWriter) { w.append(lengths) }
}

extension CodePayload {
    init(parsing payload: [UInt8], file: String) throws {
        guard payload.count == Self.size else {
            throw ContainerError(file: file, .malformedFrame(frame: "CODE", reason: "\(payload.count) bytes, not 256"))
        }
        lengths = payload
    }
}

// MARK: BLK

/// The fixed fields at the start of a `BLK ` payload; the method's data follows them.
struct BlockFields {
    static let size = 12
    /// Offset of the method within the fields (a writer patches it once it knows whether zstd paid).
    static let methodOffset = 4
    /// Bytes of the four exponent-stream lengths that start a BF16 block's data.
    static let streamSizesSize = 4 * 4

    let index: UInt32
    let method: UInt32
    let byteCount: UInt32

    init(index: UInt32, method: BlockMethod, byteCount: UInt32) {
        self.index = index
        self.method = method.rawValue
        self.byteCount = byteCount
    }

    func encode(into w: inout LittleEndianWriter) {
        w.append(index)
        w.append(method)
        w.append(byteCount)
    }

    /// Reads the fields from the start of a payload; nil if it is shorter than they are.
    init?(parsing reader: inout LittleEndianReader) {
        guard let index = reader.read(UInt32.self), let method = reader.read(UInt32.self),
              let byteCount = reader.read(UInt32.self) else { return nil }
        self.index = index
        self.method = method
        self.byteCount = byteCount
    }
}

// MARK: TEND

/// The `TEND` payload: which tensor it closes, after how many blocks, and the checksum of the tensor's
/// original bytes. Read by the streaming reader and by `ContainerFile`.
struct TensorEndPayload {
    static let size = 16
    /// Bytes of a whole `TEND` frame: header, payload, checksum.
    static let frameSize = UInt64(ContainerFormat.frameHeaderSize + size + ContainerFormat.frameChecksumSize)

    let tensorIndex: UInt32
    let blocks: UInt32
    /// XXH3 over the tensor's block checksums (`TensorDigest`).
    let digest: UInt64

    func encode(into w: inout LittleEndianWriter) {
        w.append(tensorIndex)
        w.append(blocks)
        w.append(digest)
    }
}

extension TensorEndPayload {
    /// Parses `payload`; a payload of another size is a malformed frame.
    init(parsing payload: [UInt8], file: String) throws {
        guard payload.count == Self.size else {
            throw ContainerError(file: file, .malformedFrame(
                frame: "TEND", reason: "payload of \(payload.count) bytes, not \(Self.size)"))
        }
        (tensorIndex, blocks, digest) = payload.withUnsafeBytes { raw in
            (UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)),
             UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self)),
             UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
    }
}

// MARK: INDX

extension ContainerIndex {
    /// Bytes of the tensor count.
    static let countSize = 8
    /// Bytes of a tensor's entry: `TENS` offset, `TEND` offset, block count.
    static let tensorEntrySize = 8 + 8 + 4
    /// Bytes of a block's entry: `BLK ` offset, `CODE` offset.
    static let blockEntrySize = 8 + 8

    /// Bytes of the payload for `tensors` tensors of `blocks` blocks in all.
    static func payloadSize(tensors: Int, blocks: Int) -> Int {
        countSize + tensorEntrySize * tensors + blockEntrySize * blocks
    }

    /// The `INDX` payload.
    func encode() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.payloadSize(tensors: tensors.count,
                                               blocks: tensors.reduce(0) { $0 + $1.blockFrames.count }))
        func put<T: FixedWidthInteger>(_ v: T) {
            withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
        }
        put(UInt64(tensors.count))
        for t in tensors {
            put(t.beginFrame); put(t.endFrame); put(UInt32(t.blockFrames.count))
            for (b, c) in zip(t.blockFrames, t.codeFrames) { put(b); put(c) }
        }
        return bytes
    }

    /// Parses an `INDX` payload.
    init(parsing payload: UnsafeRawBufferPointer, file: String) throws {
        var reader = LittleEndianReader(payload)
        func malformed(_ why: String) -> ContainerError {
            ContainerError(file: file, .malformedFrame(frame: "INDX", reason: why))
        }
        guard let count = reader.read(UInt64.self), count <= UInt64(payload.count / Self.tensorEntrySize) else {
            throw malformed("tensor count does not fit the frame")
        }
        var tensors: [IndexedTensor] = []
        tensors.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let begin = reader.read(UInt64.self), let end = reader.read(UInt64.self),
                  let blocks = reader.read(UInt32.self), Int(blocks) <= reader.remaining / Self.blockEntrySize else {
                throw malformed("a tensor entry does not fit the frame")
            }
            var blockFrames: [UInt64] = []
            var codeFrames: [UInt64] = []
            blockFrames.reserveCapacity(Int(blocks))
            codeFrames.reserveCapacity(Int(blocks))
            for _ in 0..<blocks {
                blockFrames.append(reader.read(UInt64.self)!)
                codeFrames.append(reader.read(UInt64.self)!)
            }
            tensors.append(IndexedTensor(beginFrame: begin, endFrame: end,
                                         blockFrames: blockFrames, codeFrames: codeFrames))
        }
        guard reader.remaining == 0 else { throw malformed("\(reader.remaining) bytes left over") }
        self.init(tensors: tensors)
    }
}

// MARK: - 3. Trailer

/// The trailer: where the index frame starts, then `DF11INDX`.
struct Trailer {
    static let size = ContainerFormat.trailerSize

    let indexOffset: UInt64

    func encode(into w: inout LittleEndianWriter) {
        w.append(indexOffset)
        w.append(ContainerFormat.trailerMagic)
    }
}

extension Trailer {
    /// The trailer in `bytes` (`size` of them); nil when they do not end in the magic.
    init?(parsing bytes: [UInt8]) {
        guard bytes.count == Self.size, Array(bytes[8...]) == ContainerFormat.trailerMagic else { return nil }
        indexOffset = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }
}
