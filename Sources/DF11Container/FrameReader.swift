import DF11IO

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
        var bytes = [UInt8](repeating: 0, count: FileHeader.size)
        let got = try bytes.withUnsafeMutableBytes { try source.readFully(into: $0) }
        offset += UInt64(got)
        guard got == bytes.count else {
            if got >= ContainerFormat.magic.count, Array(bytes[0..<ContainerFormat.magic.count]) == ContainerFormat.magic {
                throw ContainerError(file: file, .truncated("in the file header"))
            }
            throw ContainerError(file: file, .notAContainer)
        }
        let header = try bytes.withUnsafeBytes { try FileHeader(parsing: $0, file: file) }
        reservedFieldsAreZero = header.reservedFieldsAreZero
        return header
    }

    /// Reads the 16 fixed bytes of the next frame.
    func readFrameHeader(expecting: String) throws -> FrameHeader {
        let start = offset
        var bytes = [UInt8](repeating: 0, count: FrameHeader.size)
        try bytes.withUnsafeMutableBytes { try readExactly($0, what: "before \(expecting)") }
        let header = bytes.withUnsafeBytes { FrameHeader(parsing: $0, offset: start) }
        // Before any arithmetic on it (fuzzing found `length + checksum` overflowing in skipFrame).
        guard header.length <= ContainerFormat.maxFrameLength else {
            throw ContainerError(file: file, .frameTooLarge(frame: header.name, length: header.length))
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
        header.encode(into: buffer)
        try readExactly(UnsafeMutableRawBufferPointer(rebasing: buffer[FrameHeader.size..<total]),
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
