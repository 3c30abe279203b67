#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// An output file that appears at its destination only when complete.
///
/// Bytes go to a temporary file `.<name>.df11-<host>-<pid>-<random>.tmp` in the destination's directory. `commit()`
/// flushes, fsyncs, renames it over the destination and fsyncs the directory; `abort()` (or deinit without
/// commit) deletes it, so a failed run never leaves a partial file behind.
///
/// A symbolic link as the destination is followed: the file it points to is replaced and the link stays.
/// A destination that exists and is not a regular file (a device such as `/dev/null`, a FIFO, a socket) is
/// refused even with `overwrite`: the rename would replace the device node or FIFO itself.
public final class AtomicOutputFile: PositionedByteSink {
    /// The destination path as given.
    public let path: String
    /// Where the file goes: `path`, or the file a symbolic link at `path` points to.
    public let destination: String
    /// The temporary file's path while writing.
    public let temporaryPath: String
    /// Bytes written so far through the sequential `write(_:)`.
    public private(set) var bytesWritten: UInt64 = 0

    private var fd: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    private var buffered = 0
    private var finished = false
    private let overwrite: Bool
    private static let bufferSize = 1 << 20

    /// Starts writing to `path`. Refuses an existing destination unless `overwrite` is true.
    public init(path: String, overwrite: Bool) throws {
        self.path = path
        self.overwrite = overwrite
        if FileSystem.isSymbolicLink(path) {
            guard let target = try? FileSystem.resolve(path) else {
                throw IOFailure(path: path, operation: .create, detail: "'\(path)' is a symbolic link to nothing; "
                                + "remove it or give the path it should point to", category: .couldNotRun)
            }
            destination = target
        } else {
            destination = path
        }
        // A link's target exists here (resolving it succeeded), so `kind` is not `.missing` for a link.
        let kind = FileSystem.kind(of: destination)
        switch kind {
        case .directory:
            throw IOFailure(path: path, operation: .create,
                            detail: "cannot write '\(path)': it is a directory", category: .couldNotRun)
        case .other:
            throw IOFailure(path: path, operation: .create, detail: "'\(path)' is not a regular file (a device, FIFO "
                            + "or socket); df11 writes a temporary file and renames it into place, which would "
                            + "replace it. To stream the output, use -o - and redirect standard output",
                            category: .couldNotRun)
        case .missing, .regularFile:
            break
        }
        if !overwrite && kind != .missing {
            throw IOFailure(path: path, operation: .create,
                            detail: "'\(path)' already exists; use --force to overwrite it", category: .couldNotRun)
        }
        let directory = FileSystem.directoryName(of: destination)
        TemporaryFiles.removeStale(in: directory)
        temporaryPath = FileSystem.join(directory, ".\(FileSystem.baseName(of: destination)).df11-\(FileSystem.temporaryTag()).tmp")
        // Registered before it exists: an interrupt between the two would otherwise leave it behind.
        TemporaryPaths.register(temporaryPath)
        let opened = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if opened < 0 {
            let code = currentErrno
            TemporaryPaths.unregister(temporaryPath)
            throw IOFailure(path: path, operation: .create, errno: code)
        }
        fd = opened
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 64)
    }

    deinit {
        abort()
        buffer.deallocate()
    }

    private var diskFullNote: String { "nothing was written to \(path)" }

    private func failIfFinished() throws {
        if finished {
            throw IOFailure(path: path, operation: .write,
                            detail: "'\(path)' was already committed or aborted", category: .couldNotRun)
        }
    }

    /// Appends `bytes` (buffered internally in 1 MiB pieces to avoid small system calls).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try failIfFinished()
        guard let source = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            if bytes.count - done >= buffer.count {
                // Large writes go straight to the file: copying them through the buffer costs more than
                // the one extra system call that flushing the buffer first takes.
                try flush()
                try writeOrAbort(UnsafeRawBufferPointer(start: source + done, count: bytes.count - done), at: nil)
                done = bytes.count
                break
            }
            let take = min(buffer.count - buffered, bytes.count - done)
            if let target = buffer.baseAddress {
                (target + buffered).copyMemory(from: source + done, byteCount: take)
            }
            buffered += take
            done += take
            if buffered == buffer.count { try flush() }
        }
        bytesWritten += UInt64(bytes.count)
    }

    /// Writes `bytes` at byte `offset` of the file (e.g. to patch a header once sizes are known).
    /// Buffered sequential bytes are flushed first; the sequential position is unchanged.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        try failIfFinished()
        try flush()
        try writeOrAbort(bytes, at: offset)
    }

    /// Writes `bytes` at byte `offset` from any thread, without touching the append buffer (which must be
    /// empty: append nothing in the same phase). A failure throws and leaves the abort to the owner.
    public func write(_ bytes: UnsafeRawBufferPointer, concurrentlyAt offset: UInt64) throws {
        precondition(buffered == 0, "appended bytes are still buffered")
        try writeAll(fd: fd, bytes, at: offset, name: path, note: diskFullNote)
    }

    /// Writes the buffered bytes to the temporary file.
    private func flush() throws {
        if buffered == 0 { return }
        let pending = UnsafeRawBufferPointer(rebasing: buffer[0 ..< buffered])
        buffered = 0
        try writeOrAbort(pending, at: nil)
    }

    private func writeOrAbort(_ bytes: UnsafeRawBufferPointer, at offset: UInt64?) throws {
        do {
            try writeAll(fd: fd, bytes, at: offset, name: path, note: diskFullNote)
        } catch {
            abort()
            throw error
        }
    }

    /// Flushes, fsyncs, renames the temporary file to the destination and fsyncs the directory.
    public func commit() throws {
        try failIfFinished()
        try flush()
        if fsync(fd) != 0 {
            let code = currentErrno
            abort()
            throw IOFailure(path: path, operation: .sync, errno: code, note: diskFullNote)
        }
        posixClose(fd)
        fd = -1
        let kind = FileSystem.kind(of: destination)
        if !overwrite && kind != .missing {
            abort()
            throw IOFailure(path: path, operation: .create,
                            detail: "'\(path)' appeared while writing; use --force to overwrite it",
                            category: .couldNotRun)
        }
        if kind == .other {
            abort()
            throw IOFailure(path: path, operation: .create, detail: "'\(path)' became a device, FIFO or socket "
                            + "while writing; nothing was replaced", category: .couldNotRun)
        }
        // Without overwrite, the check above is only a courtesy: the move itself refuses an existing destination,
        // so of two runs writing one new file exactly one wins and the other's file never replaces it.
        let code = overwrite ? (rename(temporaryPath, destination) == 0 ? 0 : currentErrno)
            : FileSystem.renameWithoutReplacing(temporaryPath, to: destination)
        if code == EEXIST || code == ENOTEMPTY {
            abort()
            throw IOFailure(path: path, operation: .create,
                            detail: "'\(path)' appeared while writing; use --force to overwrite it",
                            category: .couldNotRun)
        }
        if code != 0 {
            abort()
            throw IOFailure(path: path, operation: .rename, errno: code)
        }
        finished = true
        TemporaryPaths.unregister(temporaryPath)
        syncDirectory(FileSystem.directoryName(of: destination))
    }

    /// Deletes the temporary file; the destination is untouched. Harmless after commit or a second call.
    public func abort() {
        if finished { return }
        finished = true
        if fd >= 0 {
            posixClose(fd)
            fd = -1
        }
        unlink(temporaryPath)
        TemporaryPaths.unregister(temporaryPath)
    }

    private func syncDirectory(_ directory: String) {
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            posixClose(dirFD)
        }
    }

    /// Atomically writes a small file whole (configs, indexes), creating missing parent directories.
    public static func write(contents: [UInt8], to path: String, overwrite: Bool) throws {
        try FileSystem.createDirectories(FileSystem.directoryName(of: path))
        let file = try AtomicOutputFile(path: path, overwrite: overwrite)
        try file.write(contents)
        try file.commit()
    }
}

