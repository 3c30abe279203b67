import JSON
import DF11TestSupport
@testable import DF11Container
import DF11IO
import Safetensors
import XCTest

final class ContainerRoundTripTests: XCTestCase {
    /// Small blocks and segments so that a test file has many of each.
    let small = ContainerParameters(blockWeights: 1024, segmentBlocks: 3, lengthLimit: 12, zstdLevel: 3)

    func compress(_ original: [UInt8], parameters: ContainerParameters = .default, threads: Int = 3,
                  step: Int = .max) throws -> (container: [UInt8], summary: CompressionSummary) {
        let sink = MemorySink()
        let summary = try ContainerWriter(parameters: parameters, threads: threads)
            .compress(source: MemorySource(original, step: step), to: sink)
        return (sink.bytes, summary)
    }

    func decompress(_ container: [UInt8], threads: Int = 3, step: Int = .max) throws -> [UInt8] {
        let sink = MemorySink()
        _ = try ContainerReader(threads: threads).decompress(source: MemorySource(container, step: step), to: sink)
        return sink.bytes
    }

    /// A file with multi-segment BF16 tensors, an empty tensor, compressible and incompressible others.
    func mixedFile(seed: UInt64 = 1) throws -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        let big = gaussianBF16(count: 1024 * 7 + 333, sigma: 0.02, rng: &rng)
        let small = gaussianBF16(count: 5, sigma: 1, rng: &rng)
        let noise = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let zeros = [UInt8](repeating: 0, count: 4 * 3000)
        return try safetensorsFile([
            ("big", .bf16, [big.count], bytes(of: big)),
            ("empty", .bf16, [0, 4], []),
            ("tiny", .bf16, [5], bytes(of: small)),
            ("noise", .u8, [noise.count], noise),
            ("zeros", .f32, [3000], zeros),
            ("constant", .bf16, [2048], bytes(of: [UInt16](repeating: 0x3F80, count: 2048))),
        ])
    }

    func testFixturesRoundTripByteForByte() throws {
        for name in ["tiny-llama/model-00001-of-00002.safetensors", "tiny-llama/model-00002-of-00002.safetensors",
                     "edge-cases.safetensors"] {
            let original = try readFile(fixture(name))
            let (container, summary) = try compress(original)
            XCTAssertEqual(try decompress(container), original, name)
            XCTAssertEqual(summary.originalBytes, UInt64(original.count))
            XCTAssertEqual(summary.containerBytes, UInt64(container.count))
        }
    }

    /// Regression (fuzzing): from a pipe, the reader gave itself `threads + 3` buffers of the header's segment size
    /// (here 256 MiB, the format's most) for input and as many for output before reading a block. Its buffers now
    /// follow the segments actually read.
    func testPipeReaderBuffersFollowTheDataNotTheDeclaredSegmentSize() throws {
        let largest = ContainerParameters(blockWeights: 1 << 20, segmentBlocks: 128, lengthLimit: 12, zstdLevel: 3)
        XCTAssertEqual(largest.segmentBytes, 1 << 28)
        let original = try mixedFile()
        let (container, _) = try compress(original, parameters: largest, threads: 1)
        let sink = MemorySink()
        let summary = try ContainerReader(threads: 2).decompress(source: MemorySource(container, step: 4093), to: sink)
        XCTAssertEqual(sink.bytes, original)
        XCTAssertGreaterThan(summary.bufferBytes, 0)
        XCTAssertLessThan(summary.bufferBytes, 8 * original.count)
    }

    func testManyBlocksAndSegmentsWithEveryThreadCount() throws {
        let original = try mixedFile()
        var reference: [UInt8]?
        for threads in [1, 2, 5] {
            let (container, summary) = try compress(original, parameters: small, threads: threads)
            XCTAssertGreaterThan(summary.blocks, 10)
            // Output does not depend on the thread count.
            if let reference { XCTAssertEqual(container, reference) } else { reference = container }
            XCTAssertEqual(try decompress(container, threads: threads), original)
        }
    }

    /// From a file, small segments go ahead of large ones (weighted in flight) and the reader keeps many jobs in
    /// flight: a large tensor followed by many small ones still gives the same container with any thread count, and
    /// comes back through files and verify.
    func testSmallTensorsBehindALargeOneGiveTheSameBytesWithAnyThreadCount() throws {
        // 32 KiB blocks, 64 per segment: the large tensor is a full segment and a half; each small tensor's one
        // segment needs under a quarter of a full one's output room, so it takes a buffer of its own.
        let parameters = ContainerParameters(blockWeights: 1 << 14, segmentBlocks: 64, lengthLimit: 12, zstdLevel: 3)
        XCTAssertLessThanOrEqual(4 * SegmentEncoder.maxOutputBytes(parameters, count: 2 * 2500), SegmentEncoder.maxOutputBytes(parameters))
        var rng = SplitMix64(seed: 7)
        let large = 3 << 19
        var tensors: [(String, DType, [Int], [UInt8])] = [
            ("large", .bf16, [large], bytes(of: gaussianBF16(count: large, sigma: 0.02, rng: &rng)))]
        for t in 0..<40 {
            let words = gaussianBF16(count: 1000 + 37 * t, sigma: 0.05, rng: &rng)
            tensors.append(t % 3 == 0 ? ("small.\(t)", .f16, [words.count], bytes(of: words))
                                      : ("small.\(t)", .bf16, [words.count], bytes(of: words)))
        }
        let original = try safetensorsFile(tensors)
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        let input = directory + "/in.safetensors"
        try Data(original).write(to: URL(fileURLWithPath: input))
        var reference: [UInt8]?
        for threads in [1, 3] {
            let path = directory + "/c\(threads).df11"
            let output = try AtomicOutputFile(path: path, overwrite: true)
            _ = try ContainerWriter(parameters: parameters, threads: threads).compress(source: try InputFile(path: input), to: output)
            try output.commit()
            let container = try readFile(path)
            if let reference { XCTAssertEqual(container, reference, "\(threads) threads") } else { reference = container }
            let restored = try AtomicOutputFile(path: directory + "/out\(threads)", overwrite: true)
            _ = try ContainerReader(threads: threads).decompress(source: try InputFile(path: path), to: restored)
            try restored.commit()
            XCTAssertEqual(try readFile(directory + "/out\(threads)"), original, "\(threads) threads")
            _ = try ContainerReader(threads: threads).decompress(source: try InputFile(path: path), to: nil)
        }
        // A slow output: the background writer's queue holds the small buffers while it waits, so the workers run
        // into the small pool's bound and must wait for buffers written and given back (never a deadlock).
        let slow = SlowSink()
        _ = try ContainerWriter(parameters: parameters, threads: 3).compress(source: try InputFile(path: input), to: slow)
        XCTAssertEqual(slow.bytes, reference, "through a slow sink")
        XCTAssertGreaterThan(slow.writes, 4 * (3 + 2), "the writes outnumber the small pool's buffers")
    }

    func testShortReadsFromAPipeLikeSource() throws {
        let original = try mixedFile(seed: 2)
        let (container, _) = try compress(original, parameters: small, step: 777)
        XCTAssertEqual(try decompress(container, step: 333), original)
    }

    func testRandomAccessExtractsEachTensor() throws {
        let original = try mixedFile(seed: 3)
        let (container, _) = try compress(original, parameters: small)
        let path = NSTemporaryDirectory() + "df11-ra-\(UInt64.random(in: 0 ... .max)).df11"
        try Data(container).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try ContainerFile(path: path)
        let header = try SafetensorsHeader.parse(Array(original[8..<Int(file.header.dataStart)]), fileName: "x",
                                                 dataSectionSize: UInt64(original.count) - file.header.dataStart)
        for tensor in header.tensorsInFileOrder {
            let sink = MemorySink()
            try file.extract(tensor: tensor.name, to: sink, threads: 2)
            let start = Int(header.dataStart + tensor.dataOffsets.lowerBound)
            XCTAssertEqual(sink.bytes, Array(original[start..<start + Int(tensor.byteCount)]), tensor.name)
        }
        XCTAssertThrowsError(try file.extract(tensor: "missing", to: MemorySink(), threads: 1)) { error in
            XCTAssertEqual((error as? ContainerError)?.code, "no-such-tensor", "\(error)")
        }
    }

    func testSizeStaysWithinTheEntropyBound() throws {
        var rng = SplitMix64(seed: 4)
        let words = gaussianBF16(count: 600_000, sigma: 0.03, rng: &rng)
        let original = try safetensorsFile([("w", .bf16, [words.count], bytes(of: words))])
        let (container, _) = try compress(original)
        var counts = [Int](repeating: 0, count: 256)
        for w in words { counts[Int((w >> 7) & 0xFF)] += 1 }
        let entropy = counts.filter { $0 > 0 }.reduce(0.0) {
            let p = Double($1) / Double(words.count)
            return $0 - p * log2(p)
        }
        let bound = Double(words.count) * (8 + entropy) / 8 + Double(original.count - 2 * words.count)
        XCTAssertLessThanOrEqual(Double(container.count), bound + 0.005 * Double(original.count))
    }

    func testRefusesWhatIsNotAContainer() throws {
        let original = try readFile(fixture("edge-cases.safetensors"))
        XCTAssertThrowsError(try decompress(original)) { error in
            XCTAssertEqual((error as? ContainerError)?.code, "not-a-container")
        }
        XCTAssertThrowsError(try decompress([])) { error in
            XCTAssertEqual((error as? ContainerError)?.code, "not-a-container", "\(error)")
        }
    }

    func testMalformedSafetensorsInputIsRefused() throws {
        let manifest = try JSONParser().parse(try readFile(fixture("malformed/manifest.json")))
        let entries = manifest.members ?? []
        XCTAssertGreaterThanOrEqual(entries.count, 15)
        for member in entries {
            let bytes = try readFile(fixture("malformed/" + member.key))
            let expected = member.value["code"]?.stringValue ?? "?"
            XCTAssertThrowsError(try compress(bytes), member.key) { error in
                // The writer reads a stream: its length is unknown up front, as over a pipe.
                XCTAssertEqual((error as? SafetensorsError)?.code, expected, "\(member.key): \(error)")
                XCTAssertEqual((error as? DF11Failure)?.category, .badData, "\(member.key): \(error)")
            }
        }
    }
}

/// An output that takes a millisecond per write, in order.
private final class SlowSink: ByteSink {
    private(set) var bytes: [UInt8] = []
    private(set) var writes = 0

    func write(_ buffer: UnsafeRawBufferPointer) throws {
        usleep(1000)
        writes += 1
        bytes.append(contentsOf: buffer)
    }
}
