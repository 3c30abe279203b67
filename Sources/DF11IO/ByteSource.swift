/// Something bytes can be read from in order: a file, a pipe, standard input.
public protocol ByteSource: AnyObject {
    /// The name used in messages: the path as the user gave it, or "-" for standard input.
    var name: String { get }
    /// The total size in bytes when it is known before reading (a regular file), nil for pipes.
    var knownSize: UInt64? { get }
    /// Reads up to `buffer.count` bytes; returns how many were read, 0 at the end of the input.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension ByteSource {
    /// Unknown by default.
    public var knownSize: UInt64? { nil }

    /// Reads until `buffer` is full or the input ends; returns the number of bytes read.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if count == 0 { break }
            filled += count
        }
        return filled
    }

    /// Reads to the end in pieces of at most `pieceBytes` (one buffer, reused) and calls `body` with each.
    public func forEachPiece(pieceBytes: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: pieceBytes, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = try read(into: buffer)
            if n == 0 { break }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// Fills `buffer` completely or throws a `.badData` truncation error naming `what`.
    public func readExactly(into buffer: UnsafeMutableRawBufferPointer, what: String) throws {
        let count = try readFully(into: buffer)
        if count < buffer.count {
            throw IOFailure.truncated(path: name, what: what, expected: UInt64(buffer.count), got: UInt64(count))
        }
    }
}
