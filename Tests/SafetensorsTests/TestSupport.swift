import XCTest
import Foundation
import DF11IO
@testable import Safetensors

/// The repository root: three levels up from this file.
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0 ..< 3 { url.deleteLastPathComponent() }
    return url.path
}()

/// The path of a fixture under `Fixtures/`.
func fixture(_ relative: String) -> String { repositoryRoot + "/Fixtures/" + relative }

/// A fresh temporary directory.
func makeTemporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "df11-st-test-" + String(UInt64.random(in: 0 ... .max), radix: 16)
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Every chunk and its bytes, reading `source` with a buffer of `bufferSize` bytes.
func readAllChunks(_ source: ByteSource, bufferSize: Int) throws -> [(TensorChunk, [UInt8])] {
    let reader = try SafetensorsReader(source: source)
    var buffer = [UInt8](repeating: 0, count: bufferSize)
    var result: [(TensorChunk, [UInt8])] = []
    while let chunk = try buffer.withUnsafeMutableBytes({ try reader.nextChunk(into: $0) }) {
        result.append((chunk, Array(buffer[0 ..< chunk.count])))
    }
    return result
}

/// A source over a pipe fed with `bytes` from a background thread.
func pipeSource(_ bytes: [UInt8], name: String) -> FileDescriptorSource {
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

/// A sink collecting bytes in memory.
final class MemorySink: ByteSink {
    var bytes: [UInt8] = []
    func write(_ chunk: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: chunk) }
}
