import DF11IO
import Foundation
import Safetensors
import DF11TestSupport
import XCTest

/// A safetensors file holding `tensors` (name, dtype, shape, raw bytes) in the order given.
func safetensorsFile(_ tensors: [(String, DType, [Int], [UInt8])]) throws -> [UInt8] {
    let writer = try SafetensorsWriter(tensors: tensors.map { TensorDescription(name: $0.0, dtype: $0.1, shape: $0.2) },
                                       metadata: [(key: "format", value: "pt")], order: .asGiven, fileName: "test")
    let sink = MemorySink()
    let stream = try writer.start(sink: sink)
    for (name, _, _, bytes) in tensors {
        try stream.beginTensor(name)
        try bytes.withUnsafeBytes { try stream.write($0) }
    }
    try stream.finish()
    return sink.bytes
}

