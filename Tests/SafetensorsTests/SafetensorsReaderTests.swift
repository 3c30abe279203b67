import XCTest
import DF11IO
@testable import Safetensors

final class SafetensorsReaderTests: XCTestCase {
    let shard = fixture("tiny-llama/model-00001-of-00002.safetensors")

    func testPipeAndPathYieldTheSameChunks() throws {
        let byPath = try readAllChunks(try InputFile(path: shard), bufferSize: 4096)
        let viaPipe = try readAllChunks(pipeSource(try FileSystem.readSmallFile(shard), name: "-"), bufferSize: 4096)
        XCTAssertEqual(byPath.count, viaPipe.count)
        for (a, b) in zip(byPath, viaPipe) {
            XCTAssertEqual(a.0, b.0)
            XCTAssertEqual(a.1, b.1)
        }
    }

    func testSmallBuffersStayInsideTensorsAndCoverTheData() throws {
        let whole = try FileSystem.readSmallFile(fixture("edge-cases.safetensors"))
        let chunks = try readAllChunks(try InputFile(path: fixture("edge-cases.safetensors")), bufferSize: 7)
        let header = try SafetensorsFile(path: fixture("edge-cases.safetensors")).header
        var data: [UInt8] = []
        var expectedOffset: [Int: UInt64] = [:]
        for (chunk, bytes) in chunks {
            XCTAssertLessThanOrEqual(chunk.count, 7)
            XCTAssertEqual(chunk.offsetInTensor, expectedOffset[chunk.tensorIndex, default: 0])
            XCTAssertLessThanOrEqual(chunk.offsetInTensor + UInt64(chunk.count), chunk.tensor.byteCount)
            XCTAssertEqual(chunk.isLastOfTensor, chunk.offsetInTensor + UInt64(chunk.count) == chunk.tensor.byteCount)
            XCTAssertEqual(header.tensorsInFileOrder[chunk.tensorIndex], chunk.tensor)
            expectedOffset[chunk.tensorIndex] = chunk.offsetInTensor + UInt64(chunk.count)
            data += bytes
        }
        XCTAssertEqual(data, Array(whole[Int(header.dataStart)...]))
        let empties = chunks.filter { $0.0.tensor.byteCount == 0 }
        XCTAssertEqual(empties.count, 2, "one empty chunk per zero-size tensor")
        XCTAssertTrue(empties.allSatisfy { $0.0.count == 0 && $0.0.isLastOfTensor })
    }

    func testTruncatedPipeNamesTheTensor() throws {
        var bytes = try FileSystem.readSmallFile(shard)
        bytes.removeLast(100)
        XCTAssertThrowsError(try readAllChunks(pipeSource(bytes, name: "-"), bufferSize: 1 << 20)) { error in
            let failure = error as? SafetensorsError
            XCTAssertEqual(failure?.code, "truncated-data")
            XCTAssertNotNil(failure?.tensor)
        }
    }
}
