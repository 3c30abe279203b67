#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Reads `fd` into `buffer` once, retrying on EINTR; returns the count (0 at end).
func readRetryingInterrupts(fd: Int32, into buffer: UnsafeMutableRawBufferPointer, name: String) throws -> Int {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
    while true {
        let count = posixRead(fd, base, buffer.count)
        if count >= 0 { return count }
        let code = currentErrno
        if code == EINTR { continue }
        throw IOFailure(path: name, operation: .read, errno: code)
    }
}

/// A sequential source over an already open file descriptor (a pipe, a socket, a terminal).
/// The descriptor is not closed by this object unless `closeOnDeinit` is true.
public final class FileDescriptorSource: ByteSource {
    /// The name used in messages.
    public let name: String
    /// The descriptor read from.
    public let fd: Int32
    private let closeOnDeinit: Bool

    /// Wraps `fd`; `name` is used in messages. Closes `fd` on deinit only when `closeOnDeinit` is true.
    public init(fd: Int32, name: String, closeOnDeinit: Bool = false) {
        self.fd = fd
        self.name = name
        self.closeOnDeinit = closeOnDeinit
    }

    deinit {
        if closeOnDeinit { posixClose(fd) }
    }

    /// Reads up to `buffer.count` bytes; 0 at the end of the input.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try readRetryingInterrupts(fd: fd, into: buffer, name: name)
    }
}

/// Standard input (descriptor 0), named "-" in messages. Not seekable; never closed.
public final class StandardInput: ByteSource {
    /// Always "-".
    public let name = "-"

    /// Standard input of this process.
    public init() {}

    /// Reads up to `buffer.count` bytes; 0 at the end of the input.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try readRetryingInterrupts(fd: 0, into: buffer, name: name)
    }
}
