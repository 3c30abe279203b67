import DF11TestSupport
import XCTest
import DF11IO
@testable import Safetensors

final class SafetensorsWriterTests: XCTestCase {
    /// Rewrites a fixture (made in the official library's layout) and expects identical bytes.
    func rewrite(_ path: String) throws -> [UInt8] {
        let original = try SafetensorsFile(path: path)
        let descriptions = original.header.tensors.map { TensorDescription(name: $0.name, dtype: $0.dtype, shape: $0.shape) }
        let writer = try SafetensorsWriter(tensors: descriptions, metadata: original.header.metadata,
                                           order: .safetensorsLibrary)
        let sink = MemorySink()
        let stream = try writer.start(sink: sink)
        for tensor in writer.tensors {
            try stream.beginTensor(tensor.name)
            guard let source = original.header.tensor(named: tensor.name) else { throw XCTSkip("missing") }
            var buffer = [UInt8](repeating: 0, count: Int(source.byteCount))
            try buffer.withUnsafeMutableBytes { try original.read(tensor: source, range: 0 ..< source.byteCount, into: $0) }
            // Write in two pieces to exercise partial writes.
            let half = buffer.count / 2
            try buffer[..<half].withUnsafeBytes { try stream.write($0) }
            try buffer[half...].withUnsafeBytes { try stream.write($0) }
        }
        try stream.finish()
        XCTAssertEqual(UInt64(sink.bytes.count), writer.fileSize)
        return sink.bytes
    }

    func testLibraryOrderReproducesOfficialFilesByteForByte() throws {
        for name in ["edge-cases.safetensors", "tiny-llama/model-00001-of-00002.safetensors",
                     "tiny-llama/model-00002-of-00002.safetensors"] {
            let expected = try FileSystem.readSmallFile(fixture(name))
            XCTAssertTrue(try rewrite(fixture(name)) == expected, "\(name) differs")
        }
    }

    func testLibraryOrderIsDtypeDescendingThenName() {
        let order = SafetensorsWriter.libraryOrder([
            TensorDescription(name: "b", dtype: .bf16, shape: [1]),
            TensorDescription(name: "a", dtype: .bf16, shape: [1]),
            TensorDescription(name: "z", dtype: .u8, shape: [1]),
            TensorDescription(name: "B", dtype: .i64, shape: [1]),
            TensorDescription(name: "c", dtype: .f32, shape: [1]),
        ])
        XCTAssertEqual(order.map(\.name), ["B", "c", "a", "b", "z"])
    }

    func testAsGivenRoundTripThroughAFile() throws {
        let directory = makeTemporaryDirectory()
        let path = directory + "/out.safetensors"
        let descriptions = [TensorDescription(name: "w", dtype: .bf16, shape: [2, 3]),
                            TensorDescription(name: "e", dtype: .f32, shape: [0]),
                            TensorDescription(name: "q\"\n", dtype: .u8, shape: [3])]
        let writer = try SafetensorsWriter(tensors: descriptions, metadata: [(key: "format", value: "pt")],
                                           order: .asGiven)
        XCTAssertEqual(String(decoding: writer.headerBytes[8...], as: UTF8.self),
                       #"{"__metadata__":{"format":"pt"},"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12]},"#
                       + #""e":{"dtype":"F32","shape":[0],"data_offsets":[12,12]},"#
                       + #""q\"\n":{"dtype":"U8","shape":[3],"data_offsets":[12,15]}}"# + "      ")
        let output = try AtomicOutputFile(path: path, overwrite: false)
        let stream = try writer.start(sink: output)
        try stream.beginTensor("w")
        try Array(repeating: UInt8(1), count: 12).withUnsafeBytes { try stream.write($0) }
        try stream.beginTensor("e")
        try stream.beginTensor("q\"\n")
        try ([7, 8, 9] as [UInt8]).withUnsafeBytes { try stream.write($0) }
        try stream.finish()
        try output.commit()
        let chunks = try readAllChunks(try InputFile(path: path), bufferSize: 1024)
        XCTAssertEqual(chunks.map(\.0.tensor.name), ["w", "e", "q\"\n"])
        XCTAssertEqual(chunks[2].1, [7, 8, 9])
    }

    func testStreamRejectsWrongCounts() throws {
        let writer = try SafetensorsWriter(tensors: [TensorDescription(name: "a", dtype: .u8, shape: [2]),
                                                     TensorDescription(name: "b", dtype: .u8, shape: [1])],
                                           metadata: nil, order: .asGiven)
        let stream = try writer.start(sink: MemorySink())
        XCTAssertThrowsError(try stream.beginTensor("b"))
        try stream.beginTensor("a")
        XCTAssertThrowsError(try ([1, 2, 3] as [UInt8]).withUnsafeBytes { try stream.write($0) })
        try ([1] as [UInt8]).withUnsafeBytes { try stream.write($0) }
        XCTAssertThrowsError(try stream.beginTensor("b")) {
            XCTAssertEqual(($0 as? SafetensorsWriterError)?.problem, .tooFewBytes(expected: 2, got: 1))
        }
        XCTAssertThrowsError(try SafetensorsWriter(tensors: [TensorDescription(name: "x", dtype: .f4, shape: [3])],
                                                   metadata: nil, order: .asGiven))
    }
}
