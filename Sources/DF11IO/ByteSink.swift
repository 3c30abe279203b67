#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Something bytes can be written to in order: an output file, standard output.
public protocol ByteSink: AnyObject {
    /// Writes all of `bytes` or throws.
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// A sink that is a regular file: besides appending, it takes writes at given offsets from several threads at
/// once, so that workers can each write their own pieces (the kernel's share of writing then runs in parallel
/// too, which a single writer thread cannot do).
public protocol PositionedByteSink: ByteSink {
    /// Writes all of `bytes` at byte `offset` of the file, or throws. Safe to call from several threads at
    /// once for disjoint ranges; not to be mixed with appends (`write(_:)`) in the same phase.
    func write(_ bytes: UnsafeRawBufferPointer, concurrentlyAt offset: UInt64) throws
}

extension ByteSink {
    /// Writes all of `bytes` or throws.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

/// Standard output (descriptor 1), named "-" in messages. Partial writes and EINTR are retried;
/// a closed pipe (EPIPE) becomes a clear `.couldNotRun` error.
public final class StandardOutput: ByteSink {
    /// Standard output of this process.
    public init() {}

    /// Writes all of `bytes` to standard output.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try writeAll(fd: 1, bytes, name: "standard output")
    }
}

/// A sink over an already open descriptor (a pipe in tests, for instance); never closes it.
public final class FileDescriptorSink: ByteSink {
    /// The descriptor written to.
    public let fd: Int32
    /// The name used in messages.
    public let name: String

    /// Wraps `fd`; `name` is used in messages.
    public init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
    }

    /// Writes all of `bytes` to the descriptor.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try writeAll(fd: fd, bytes, name: name)
    }
}
