#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import DF11IO

/// Opening inputs and outputs by the names users type: a path, or `-` for standard input and output.
enum Endpoints {
    static func source(_ path: String) throws -> ByteSource {
        path == "-" ? StandardInput() : try InputFile(path: path)
    }

    /// An output that appears only when `commit` succeeds: an atomic file, or standard output. A device or FIFO
    /// (`/dev/null`, a named pipe) is written through as it is, without a temporary file: there is nothing to
    /// rename into place. `attributes` (the input's mode and modification time) are given to a file output.
    static func sink(_ path: String, overwrite: Bool, attributes: FileAttributes? = nil) throws -> OutputTarget {
        if path == "-" { return OutputTarget(sink: StandardOutput(), atomic: nil) }
        if !FileSystem.isSymbolicLink(path) || (try? FileSystem.resolve(path)) != nil {
            switch FileSystem.kind(of: path) {
            case .other:
                let fd = open(path, O_WRONLY | O_CLOEXEC)
                if fd < 0 { throw IOFailure(path: path, operation: .open, errno: errno) }
                return OutputTarget(sink: FileDescriptorSink(fd: fd, name: path), atomic: nil, descriptor: fd)
            case .regularFile where !overwrite:
                throw OutputExistsError(path: path)
            default:
                break
            }
        }
        let file = try AtomicOutputFile(path: path, overwrite: overwrite)
        return OutputTarget(sink: file, atomic: file, attributes: attributes)
    }

    /// Refuses to write over an input: `--force` replaces outputs, never inputs.
    static func checkDistinct(input: String, output: String) throws {
        guard input != "-", output != "-", FileSystem.kind(of: output) != .missing else { return }
        if (try? FileSystem.resolve(input)) == (try? FileSystem.resolve(output)) {
            throw UsageError("the output '\(output)' is the input; df11 never modifies its inputs")
        }
    }
}

/// Where a command writes, and how it finishes or abandons that write.
struct OutputTarget {
    let sink: ByteSink
    let atomic: AtomicOutputFile?
    var attributes: FileAttributes?
    /// A device or FIFO opened for writing through, closed when done.
    var descriptor: Int32?

    init(sink: ByteSink, atomic: AtomicOutputFile?, attributes: FileAttributes? = nil, descriptor: Int32? = nil) {
        self.sink = sink
        self.atomic = atomic
        self.attributes = attributes
        self.descriptor = descriptor
    }

    /// Makes the output visible (rename into place, after fsync), with the input's mode (set before the rename,
    /// so a private input never has a readable output) and modification time.
    func commit() throws {
        guard let atomic else { return }
        attributes?.applyMode(to: atomic.temporaryPath)
        try atomic.commit()
        attributes?.applyTimes(to: atomic.destination)
    }

    /// Removes what was written so far; the destination is left as it was.
    func abort() { atomic?.abort() }

    /// Runs `body` writing to the sink, then commits; aborts if anything throws.
    func produce<T>(_ body: (ByteSink) throws -> T) throws -> T {
        defer { if let descriptor { close(descriptor) } }
        do {
            let result = try body(sink)
            try commit()
            return result
        } catch {
            abort()
            throw error
        }
    }
}
