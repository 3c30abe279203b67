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
