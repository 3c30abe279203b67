/// Whether a whole frame (type to checksum, at least 24 bytes) matches its stored checksum.
func frameIsIntact(_ frame: UnsafeRawBufferPointer) -> Bool {
    let checked = frame.count - ContainerFormat.frameChecksumSize
    guard checked >= ContainerFormat.frameHeaderSize else { return false }
    let stored = UInt64(littleEndian: frame.loadUnaligned(fromByteOffset: checked, as: UInt64.self))
    return Checksum.xxh3(UnsafeRawBufferPointer(rebasing: frame[0..<checked])) == stored
}

/// The payload of a whole frame.
func framePayload(_ frame: [UInt8]) -> [UInt8] {
    Array(frame[ContainerFormat.frameHeaderSize..<(frame.count - ContainerFormat.frameChecksumSize)])
}

/// Writes frames (type, flags, length, payload, checksum) into a caller-owned buffer.
struct FrameBuilder {
    var writer: LittleEndianWriter
    private var frameStart = 0

    init(_ buffer: UnsafeMutableRawBufferPointer) {
        writer = LittleEndianWriter(buffer)
    }

    /// Bytes written so far.
    var count: Int { writer.count }

    /// Starts a frame; append its payload through `writer`, then call `end()`.
    mutating func begin(_ type: FrameType, flags: UInt32 = 0) {
        frameStart = writer.count
        writer.append(type.rawValue)
        writer.append(flags)
        writer.append(UInt64(0))  // length, patched by end()
    }

    /// Ends the frame begun last: fills in its length and appends its checksum.
    mutating func end() {
        let payloadLength = writer.count - frameStart - ContainerFormat.frameHeaderSize
        writer.patch(UInt64(payloadLength), at: frameStart + FrameHeader.lengthOffset)
        let frame = UnsafeRawBufferPointer(start: writer.base + frameStart, count: writer.count - frameStart)
        writer.append(Checksum.xxh3(frame))
    }

    /// A whole small frame in one call.
    mutating func frame(_ type: FrameType, payload: (inout LittleEndianWriter) -> Void) {
        begin(type)
        payload(&writer)
        end()
    }
}
