import DF11TestSupport
import DF11Container
import DF11IO
import Foundation
import XCTest

/// Format 2.0's structured coder (FORMAT.md §5) on every float dtype it lists: every bit pattern of BF16, F16 and
/// both FP8 types and F32 / F64 specials (Fixtures/float-dtypes.safetensors) come back byte for byte, at every level,
/// through files and pipes, with any number of threads, streaming and by random access.
final class StructuredCoderTests: XCTestCase {
    func testEveryDtypeRoundTripsThroughFilesAndPipesAtEveryLevel() throws {
        let original = try FileSystem.readSmallFile(fixture("float-dtypes.safetensors"))
        let expected = sha256Hex(original)
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        for level in CompressionLevel.allCases {
            var parameters = ContainerParameters.default
            parameters.level = level
            // Small blocks too: several blocks and segments per tensor, short last blocks of every width.
            var small = ContainerParameters(blockWeights: 1024, segmentBlocks: 3, lengthLimit: 12, zstdLevel: 3)
            small.level = level
            // Small blocks at the default level only: the other levels differ in tables, not in block arithmetic.
            for (p, threads) in [(parameters, 2)] + (level == .default ? [(small, 1), (small, 3)] : []) {
                let name = "\(level) blockWeights \(p.blockWeights), \(threads) threads"
                // From a pipe (short reads) and from the file; the two containers are the same bytes.
                let fromPipe = MemorySink()
                _ = try ContainerWriter(parameters: p, threads: threads)
                    .compress(source: pipeSource(original, name: "pipe"), to: fromPipe)
                let path = directory + "/c.df11"
                let file = try AtomicOutputFile(path: path, overwrite: true)
                _ = try ContainerWriter(parameters: p, threads: threads)
                    .compress(source: try InputFile(path: fixture("float-dtypes.safetensors")), to: file)
                try file.commit()
                XCTAssertEqual(try FileSystem.readSmallFile(path), fromPipe.bytes, name)
                XCTAssertEqual(fromPipe.bytes[8], level == .fast ? 1 : 2, "major version, \(name)")
                // Back from a pipe and from the file (mapped, written at offsets).
                let viaPipe = MemorySink()
                _ = try ContainerReader(threads: threads).decompress(source: pipeSource(fromPipe.bytes, name: "c"), to: viaPipe)
                XCTAssertEqual(sha256Hex(viaPipe.bytes), expected, name)
                let viaFile = MemorySink()
                _ = try ContainerReader(threads: threads).decompress(source: try InputFile(path: path), to: viaFile)
                XCTAssertEqual(sha256Hex(viaFile.bytes), expected, name)
                // Each tensor alone.
                let container = try ContainerFile(path: path)
                for tensor in container.header.tensorsInFileOrder {
                    let sink = MemorySink()
                    try container.extract(tensor: tensor.name, to: sink, threads: threads)
                    let start = Int(container.header.dataStart + tensor.dataOffsets.lowerBound)
                    XCTAssertEqual(sink.bytes, Array(original[start ..< start + Int(tensor.byteCount)]), "\(name): \(tensor.name)")
                }
            }
        }
    }

    /// The default level beats format 1.0 on every float dtype of real-looking data, and max beats default on
    /// BF16 weights with per-block structure.
    func testEachLevelIsSmallerThanTheOneBefore() throws {
        var rng = SplitMix64(seed: 5)
        var words: [UInt16] = []
        for block in 0..<6 { words += gaussianBF16(count: 65_536, sigma: [0.02, 0.002, 0.05][block % 3], rng: &rng) }
        let original = try safetensorsFile([("w", .bf16, [words.count], bytes(of: words))])
        let sizes = try CompressionLevel.allCases.map { level -> Int in
            var p = ContainerParameters.default
            p.level = level
            let sink = MemorySink()
            _ = try ContainerWriter(parameters: p, threads: 2).compress(source: MemorySource(original), to: sink)
            XCTAssertEqual(try decodeStreaming(sink.bytes), original, "\(level)")
            return sink.bytes.count
        }
        XCTAssertLessThan(sizes[1], sizes[0], "default < fast: \(sizes)")
        XCTAssertLessThanOrEqual(sizes[2], sizes[1], "max ≤ default: \(sizes)")
    }
}
