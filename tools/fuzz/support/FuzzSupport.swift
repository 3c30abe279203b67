// Shared by every fuzz target (compiled into each): in-memory sources and sinks, a scratch file.
#if canImport(Glibc)
import Glibc
#endif
@testable import DF11IO
@testable import DF11Pipeline
import Safetensors

/// Once per process, before the first input: pipelines and background writers run on the calling thread.
/// Every target is single-threaded (threads: 1); handing each tiny job to a worker thread costs more than the
/// job on a busy machine (measured: 21 container inputs a second with worker threads).
let fuzzSetUp: Void = {
    OrderedPipeline.runsSingleThreadInline = true
    BackgroundSink.writesInline = true
}()

/// The fuzzer's input as a byte source: a regular file of known size, or a pipe (size unknown) that returns
/// at most `maxRead` bytes per read, as a pipe does.
final class MemorySource: ByteSource {
    let name = "fuzz-input"
    let bytes: UnsafeRawBufferPointer
    let isFile: Bool
    let maxRead: Int
    private var position = 0

    init(_ bytes: UnsafeRawBufferPointer, isFile: Bool, maxRead: Int = Int.max) {
        self.bytes = bytes
        self.isFile = isFile
        self.maxRead = max(1, maxRead)
    }

    var knownSize: UInt64? { isFile ? UInt64(bytes.count) : nil }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - position, maxRead)
        if count > 0 {
            buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + position, byteCount: count)
            position += count
        }
        return count
    }
}

/// Discards what it is given, counting bytes; takes positioned writes too (as an output file does), and checks
/// they stay inside `limit` when one is set.
final class CountingSink: PositionedByteSink {
    private(set) var bytes: UInt64 = 0
    var limit: UInt64?

    func write(_ bytes: UnsafeRawBufferPointer) throws { self.bytes += UInt64(bytes.count) }

    func write(_ bytes: UnsafeRawBufferPointer, concurrentlyAt offset: UInt64) throws {
        if let limit, offset + UInt64(bytes.count) > limit {
            fatalError("positioned write \(offset)+\(bytes.count) past the declared size \(limit)")
        }
    }
}

/// One file in /dev/shm (else the temporary directory) per fuzzing process, rewritten with each input, for the
/// code paths that open a path (positioned reads, mappings). Removed at exit.
enum ScratchFile {
    static let path: String = {
        let directory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        let path = "\(directory)/df11-fuzz-\(getpid())"
        atexit { unlink(ScratchFile.path) }
        return path
    }()

    /// Writes `bytes` as the scratch file's whole content and returns its path.
    static func write(_ bytes: UnsafeRawBufferPointer) -> String {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(fd >= 0, "cannot create \(path)")
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            precondition(n > 0, "cannot write \(path)")
            done += n
        }
        close(fd)
        return path
    }
}

/// A failed invariant: a bug in df11 even though no memory error happened. libFuzzer records the input.
func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
               file: StaticString = #file, line: UInt = #line) {
    if !condition() { fatalError("invariant: " + message(), file: file, line: line) }
}

/// Every thrown error must be a typed `DF11Failure` (a message and an exit category), never anything else.
func checkTyped(_ error: Error) {
    invariant(error is DF11Failure, "untyped error \(type(of: error)): \(error)")
}
