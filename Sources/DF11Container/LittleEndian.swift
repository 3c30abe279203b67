/// Appends little-endian integers and bytes to a caller-owned buffer. The caller sizes the buffer;
/// overruns are programming errors and trap.
struct LittleEndianWriter {
    let base: UnsafeMutableRawPointer
    let capacity: Int
    private(set) var count: Int = 0

    init(_ buffer: UnsafeMutableRawBufferPointer, at start: Int = 0) {
        self.base = buffer.baseAddress!
        self.capacity = buffer.count
        self.count = start
    }

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        precondition(count + MemoryLayout<T>.size <= capacity, "LittleEndianWriter overrun")
        base.storeBytes(of: value.littleEndian, toByteOffset: count, as: T.self)
        count += MemoryLayout<T>.size
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        precondition(count + bytes.count <= capacity, "LittleEndianWriter overrun")
        if let source = bytes.baseAddress, bytes.count > 0 {
            (base + count).copyMemory(from: source, byteCount: bytes.count)
        }
        count += bytes.count
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Writes a value at an earlier position (to fill in a length once it is known).
    func patch<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        precondition(offset + MemoryLayout<T>.size <= count, "LittleEndianWriter patch out of range")
        base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }

    /// Forgets everything written from `offset` on (a writer that tried one way of storing a block and
    /// chose another).
    mutating func rewind(to offset: Int) {
        precondition(offset <= count, "LittleEndianWriter rewind forward")
        count = offset
    }

    /// Advances over `n` bytes the caller has written directly at `base + count`.
    mutating func skip(_ n: Int) {
        precondition(count + n <= capacity, "LittleEndianWriter overrun")
        count += n
    }
}

/// Reads little-endian integers from untrusted bytes; running past the end is reported, never trapped.
struct LittleEndianReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) -> T? {
        guard remaining >= MemoryLayout<T>.size else { return nil }
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    mutating func read(count n: Int) -> UnsafeRawBufferPointer? {
        guard n >= 0, remaining >= n else { return nil }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n])
    }
}
