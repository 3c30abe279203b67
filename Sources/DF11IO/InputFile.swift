#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A regular file opened read-only by path: sequential reads, plus positioned reads that are safe to
/// issue from many threads at once (they use `pread` and share no file position).
public final class InputFile: ByteSource {
    /// The path as given, used in messages.
    public let name: String
    /// The file's size in bytes when it was opened.
    public let size: UInt64
    private var fd: Int32
    /// The open file descriptor (for memory mappings); valid until `close()`.
    public var descriptor: Int32 { fd }
    private var position: UInt64 = 0

    /// Opens `path` read-only. Throws `.couldNotRun` if it is missing, unreadable or a directory.
    public init(path: String) throws {
        name = path
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        if opened < 0 {
            throw IOFailure(path: path, operation: .open, errno: currentErrno)
        }
        var info = stat()
        if fstat(opened, &info) != 0 {
            let code = currentErrno
            posixClose(opened)
            throw IOFailure(path: path, operation: .stat, errno: code)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            posixClose(opened)
            throw IOFailure(path: path, operation: .open,
                            detail: "cannot open '\(path)': it is a directory, not a file", category: .couldNotRun)
        }
        fd = opened
        size = UInt64(max(0, info.st_size))
    }

    deinit { close() }

    /// The size, known up front.
    public var knownSize: UInt64? { size }

    /// Reads up to `buffer.count` bytes from the current position; 0 at the end. Not thread-safe.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try readRetryingInterrupts(fd: fd, into: buffer, name: name)
        position += UInt64(count)
        return count
    }

    /// Reads exactly `buffer.count` bytes starting at byte `offset`, or throws a `.badData` truncation error.
    /// Thread-safe: concurrent positioned reads do not interfere.
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws {
        guard let base = buffer.baseAddress else { return }
        var done = 0
        while done < buffer.count {
            guard let start = off_t(exactly: offset + UInt64(done)) else {
                throw IOFailure.truncated(path: name, what: "data at offset \(offset)",
                                          expected: UInt64(buffer.count), got: UInt64(done))
            }
            let count = posixPRead(fd, base + done, buffer.count - done, start)
            if count < 0 {
                let code = currentErrno
                if code == EINTR { continue }
                throw IOFailure(path: name, operation: .read, errno: code)
            }
            if count == 0 {
                throw IOFailure.truncated(path: name, what: "data at offset \(offset)",
                                          expected: UInt64(buffer.count), got: UInt64(done))
            }
            done += count
        }
    }

    /// Closes the file; later reads fail. Calling it twice is harmless. Do not close while other threads read.
    public func close() {
        if fd >= 0 {
            posixClose(fd)
            fd = -1
        }
    }
}
