import DF11IO
import Foundation

/// A byte source over memory, handing out at most `step` bytes per read (to exercise short reads).
public final class MemorySource: ByteSource {
    public let name: String
    private let bytes: [UInt8]
    private var position = 0
    private let step: Int
    /// The largest buffer a reader has asked to fill: what it allocated for one read.
    public private(set) var largestRequest = 0

    public init(_ bytes: [UInt8], name: String = "memory", step: Int = .max) {
        self.bytes = bytes
        self.name = name
        self.step = step
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        largestRequest = max(largestRequest, buffer.count)
        let n = min(buffer.count, bytes.count - position, step)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { raw in
            buffer.baseAddress!.copyMemory(from: raw.baseAddress! + position, byteCount: n)
        }
        position += n
        return n
    }
}

/// A sink that keeps everything in memory; positioned writes may come from several threads.
public final class MemorySink: PositionedByteSink {
    public var bytes: [UInt8] = []
    private let lock = NSLock()

    public init() {}

    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        lock.lock(); defer { lock.unlock() }
        bytes.append(contentsOf: buffer)
    }

    public func write(_ buffer: UnsafeRawBufferPointer, concurrentlyAt offset: UInt64) throws {
        lock.lock(); defer { lock.unlock() }
        let end = Int(offset) + buffer.count
        if bytes.count < end { bytes += [UInt8](repeating: 0, count: end - bytes.count) }
        guard let source = buffer.baseAddress, !buffer.isEmpty else { return }
        bytes.withUnsafeMutableBytes { ($0.baseAddress! + Int(offset)).copyMemory(from: source, byteCount: buffer.count) }
    }
}

/// A source over a pipe fed with `bytes` from a background thread.
public func pipeSource(_ bytes: [UInt8], name: String) -> FileDescriptorSource {
    var fds: [Int32] = [0, 0]
    precondition(pipe(&fds) == 0)
    let writeEnd = fds[1]
    let writer = Thread {
        let sink = FileDescriptorSink(fd: writeEnd, name: "pipe")
        try? bytes.withUnsafeBytes { try sink.write($0) }
        close(writeEnd)
    }
    writer.start()
    return FileDescriptorSource(fd: fds[0], name: name, closeOnDeinit: true)
}
