import DF11IO

/// The fixed fields in front of every frame.
struct FrameHeader {
    let type: UInt32
    let flags: UInt32
    let length: UInt64
    /// Offset of the frame in the file.
    let offset: UInt64

    var name: String { FrameType.name(of: type) }
    var known: FrameType? { FrameType(rawValue: type) }
    var skippable: Bool { flags & 1 != 0 }
    /// Bytes of the whole frame: header, payload, checksum.
    var totalSize: UInt64 { UInt64(ContainerFormat.frameHeaderSize + ContainerFormat.frameChecksumSize) + length }
}

/// Reads a container's frames front to back from any byte source (a pipe too), tracking offsets.
///
/// From a regular file it reads with positioned reads and can skip frame bodies, which workers then map
/// from the file themselves (`positionedFile`).
final class FrameReader {
    let source: ByteSource
    let file: String
    /// The file, when the source is one: frame bodies can then be skipped here and read elsewhere.
    let positionedFile: InputFile?
    private(set) var offset: UInt64 = 0
    /// Whether reserved fields must be zero (`FileHeader.reservedFieldsAreZero`); set by `readFileHeader`.
    private(set) var reservedFieldsAreZero = true

    init(source: ByteSource) {
        self.source = source
        self.file = source.name
        self.positionedFile = source as? InputFile
    }

    /// Reads exactly `buffer.count` bytes or throws a truncation error describing `what`.
    func readExactly(_ buffer: UnsafeMutableRawBufferPointer, what: String) throws {
        if let positionedFile {
            guard positionedFile.size >= offset, positionedFile.size - offset >= UInt64(buffer.count) else {
                offset = positionedFile.size
                throw ContainerError(file: file, .truncated(what))
            }
            try positionedFile.read(at: offset, into: buffer)
            offset += UInt64(buffer.count)
            return
        }
        let got = try source.readFully(into: buffer)
        offset += UInt64(got)
        guard got == buffer.count else { throw ContainerError(file: file, .truncated(what)) }
    }

    /// Moves past the rest of a frame (payload and checksum) without reading it; positioned files only.
    /// Returns the frame's whole extent in the file.
    func skipFrameBody(_ header: FrameHeader) throws -> Range<UInt64> {
        guard let positionedFile else { preconditionFailure("skipFrameBody needs a positioned file") }
        let end = header.offset + header.totalSize
        guard end <= positionedFile.size else {
            offset = positionedFile.size
            throw ContainerError(file: file, .truncated("inside a \(header.name) frame at offset \(header.offset)"))
        }
        offset = end
        return header.offset..<end
    }

    func readFileHeader() throws -> FileHeader {
        var bytes = [UInt8](repeating: 0, count: ContainerFormat.fileHeaderSize)
        let got = try bytes.withUnsafeMutableBytes { try source.readFully(into: $0) }
        offset += UInt64(got)
        guard got == bytes.count else {
            if got >= 8, Array(bytes[0..<8]) == ContainerFormat.magic {
                throw ContainerError(file: file, .truncated("in the file header"))
            }
            throw ContainerError(file: file, .notAContainer)
        }
        let header = try bytes.withUnsafeBytes { try FileHeader.parse($0, file: file) }
        reservedFieldsAreZero = header.reservedFieldsAreZero
        return header
    }

    /// Reads the 16 fixed bytes of the next frame.
    func readFrameHeader(expecting: String) throws -> FrameHeader {
        let start = offset
        var bytes = [UInt8](repeating: 0, count: ContainerFormat.frameHeaderSize)
        try bytes.withUnsafeMutableBytes { try readExactly($0, what: "before \(expecting)") }
        let header = bytes.withUnsafeBytes { raw in
            var r = LittleEndianReader(raw)
            return FrameHeader(type: r.read()!, flags: r.read()!, length: r.read()!, offset: start)
        }
        if reservedFieldsAreZero && header.flags & ~1 != 0 {
            throw ContainerError(file: file, .malformedFrame(
                frame: header.name, reason: "flags 0x\(String(header.flags, radix: 16)) at offset \(start) set bits "
                    + "that format 1.\(ContainerFormat.minorVersion) reserves (only bit 0, skippable, is defined)"))
        }
        return header
    }

    /// Reads the rest of a frame (payload and checksum) after its header into `buffer`, which receives
    /// the whole frame; returns the frame's byte count. The caller bounds `header.length` first.
    func readFrameBody(_ header: FrameHeader, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let total = Int(header.totalSize)
        precondition(total <= buffer.count)
        buffer.storeBytes(of: header.type.littleEndian, toByteOffset: 0, as: UInt32.self)
        buffer.storeBytes(of: header.flags.littleEndian, toByteOffset: 4, as: UInt32.self)
        buffer.storeBytes(of: header.length.littleEndian, toByteOffset: 8, as: UInt64.self)
        try readExactly(UnsafeMutableRawBufferPointer(rebasing: buffer[ContainerFormat.frameHeaderSize..<total]),
                        what: "inside a \(header.name) frame at offset \(header.offset)")
        return total
    }

    /// Reads a small frame whole, checks its checksum and returns its payload.
    func readSmallFrame(_ header: FrameHeader, limit: UInt64) throws -> [UInt8] {
        guard header.length <= limit else {
            throw ContainerError(file: file, .frameTooLarge(frame: header.name, length: header.length))
        }
        var frame = [UInt8](repeating: 0, count: Int(header.totalSize))
        _ = try frame.withUnsafeMutableBytes { try readFrameBody(header, into: $0) }
        guard frame.withUnsafeBytes(frameIsIntact) else {
            throw ContainerError(file: file, .frameChecksum(frame: header.name))
        }
        return framePayload(frame)
    }

    /// Skips a frame this reader does not know but may ignore.
    func skipFrame(_ header: FrameHeader) throws {
        var remaining = header.length + UInt64(ContainerFormat.frameChecksumSize)
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        while remaining > 0 {
            let n = Int(min(remaining, UInt64(scratch.count)))
            try scratch.withUnsafeMutableBytes {
                try readExactly(UnsafeMutableRawBufferPointer(rebasing: $0[0..<n]), what: "inside a skipped frame")
            }
            remaining -= UInt64(n)
        }
    }

    /// After the trailer: the source must be exhausted.
    func expectEnd() throws {
        if let positionedFile {
            if offset != positionedFile.size {
                throw ContainerError(file: file, .malformedFrame(frame: "trailer", reason: "bytes after the end of the container"))
            }
            return
        }
        var byte: UInt8 = 0
        let got = try withUnsafeMutableBytes(of: &byte) { try source.read(into: $0) }
        if got != 0 { throw ContainerError(file: file, .malformedFrame(frame: "trailer", reason: "bytes after the end of the container")) }
    }
}
