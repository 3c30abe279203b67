import DF11TestSupport
import XCTest
import Foundation
import DF11IO
@testable import Safetensors

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
