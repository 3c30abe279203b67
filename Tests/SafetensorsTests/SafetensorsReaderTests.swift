import DF11TestSupport
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

    /// Regression (fuzzing): a pipe whose prefix claims a 90 MB header but which ends after 100 bytes was given
    /// a zeroed 90 MB buffer before the first read. The header is now read in pieces of at most 1 MiB.
    func testPipeClaimingAHugeHeaderCostsOnlyWhatArrives() throws {
        var bytes = withUnsafeBytes(of: UInt64(90_000_000).littleEndian) { Array($0) }
        bytes += Array(#"{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}"#.utf8)
        let source = MemorySource(bytes, name: "-")
        XCTAssertThrowsError(try SafetensorsReader(source: source)) { error in
            XCTAssertEqual((error as? SafetensorsError)?.code, "header-beyond-end")
        }
        XCTAssertLessThanOrEqual(source.largestRequest, 1 << 20)
    }
}

/// Fuzzing of the header parser as a property test: random bytes of a real header changed (and the length
/// prefix now and then), then parsed as a file and streamed as a pipe. Each either parses into a header whose
/// tensors lie inside the file, or fails with a typed error; it never traps (a trap fails the run).
final class HeaderFuzzTests: XCTestCase {
    func testMutatedHeadersParseOrFailCleanly() throws {
        let original = try FileSystem.readSmallFile(fixture("edge-cases.safetensors"))
        let headerLength = Int(original[0 ..< 8].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        var rng = SplitMix64(seed: 17)
        let interesting: [UInt8] = Array("{}[]\",:-0123456789eE.+ \\u".utf8) + [0, 0x7F, 0x80, 0xC3, 0xFF]
        var failures = 0
        for _ in 0..<2_000 {
            var bytes = original
            for _ in 0 ..< 1 + Int(rng.next() % 3) {
                let at = 8 + Int(rng.next() % UInt64(headerLength))
                bytes[at] = rng.next() % 2 == 0 ? interesting[Int(rng.next() % UInt64(interesting.count))]
                                               : UInt8(truncatingIfNeeded: rng.next())
            }
            if rng.next() % 10 == 0 {        // the length prefix, now and then
                bytes[Int(rng.next() % 8)] = UInt8(truncatingIfNeeded: rng.next())
            }
            if rng.next() % 10 == 0 {        // and truncation
                bytes.removeLast(Int(rng.next() % UInt64(bytes.count)))
            }
            do {
                let chunks = try readAllChunks(pipeSource(bytes, name: "fuzz"), bufferSize: 64)
                let total = chunks.reduce(0) { $0 + $1.1.count }
                XCTAssertLessThanOrEqual(total, bytes.count)
            } catch is DF11Failure {
                failures += 1
            }
        }
        XCTAssertGreaterThan(failures, 1_000)
    }
}
