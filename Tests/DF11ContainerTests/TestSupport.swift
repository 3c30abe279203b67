import DF11Pipeline
import DF11IO
import Foundation
import Safetensors
import XCTest

/// The repository root: three levels up from this file.
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

func fixture(_ relative: String) -> String { repositoryRoot + "/Fixtures/" + relative }

func readFile(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

/// A byte source over memory, handing out at most `step` bytes per read (to exercise short reads).
final class MemorySource: ByteSource {
    let name: String
    private let bytes: [UInt8]
    private var position = 0
    private let step: Int

    init(_ bytes: [UInt8], name: String = "memory", step: Int = .max) {
        self.bytes = bytes
        self.name = name
        self.step = step
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - position, step)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { raw in
            buffer.baseAddress!.copyMemory(from: raw.baseAddress! + position, byteCount: n)
        }
        position += n
        return n
    }
}

/// A sink collecting bytes in memory.
final class MemorySink: ByteSink {
    var bytes: [UInt8] = []
    func write(_ chunk: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: chunk) }
}

/// bf16 words of normal(0, sigma) weights, rounded to nearest even: what real checkpoints hold.
func gaussianBF16(count: Int, sigma: Float, rng: inout SplitMix64) -> [UInt16] {
    (0..<count).map { _ in
        let u1 = max(Float.leastNonzeroMagnitude, Float(rng.next() >> 40) / Float(1 << 24))
        let u2 = Float(rng.next() >> 40) / Float(1 << 24)
        let x = sigma * (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        let bits = x.bitPattern
        return UInt16((bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }
}

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

func bytes(of words: [UInt16]) -> [UInt8] { words.withUnsafeBytes { Array($0) } }
