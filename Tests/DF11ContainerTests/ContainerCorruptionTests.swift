import DF11TestSupport
import DF11Container
import DF11IO
import Foundation
import XCTest

/// Decodes a container held in memory as the streaming reader does (from a pipe); returns the original bytes.
func decodeStreaming(_ container: [UInt8]) throws -> [UInt8] {
    let sink = MemorySink()
    _ = try ContainerReader(threads: 2).decompress(source: MemorySource(container), to: sink)
    return sink.bytes
}

/// A container of about 7 kB with several blocks, segments and both tensor encodings of format 1.0 (`level`
/// fast, the default here, as the committed golden `small.df11`), or of 2.0 (BF16 structured, U8 bytes).
func makeSmallContainer(level: CompressionLevel = .fast) throws -> (original: [UInt8], container: [UInt8]) {
    var rng = SplitMix64(seed: 9)
    let words = gaussianBF16(count: 3000, sigma: 0.02, rng: &rng)
    let other = (0..<600).map { UInt8($0 % 7) }
    let original = try safetensorsFile([("w", .bf16, [words.count], bytes(of: words)),
                                        ("o", .u8, [other.count], other)])
    return (original, try compressInMemory(original, level: level))
}

/// Compresses `original` with small blocks (1,024 weights, 2 per segment) at `level`.
func compressInMemory(_ original: [UInt8], level: CompressionLevel) throws -> [UInt8] {
    let sink = MemorySink()
    _ = try ContainerWriter(parameters: ContainerParameters(blockWeights: 1024, segmentBlocks: 2, lengthLimit: 12,
                                                            zstdLevel: 3, level: level), threads: 2)
        .compress(source: MemorySource(original), to: sink)
    return sink.bytes
}

/// A format 2.0 container of about 6 kB with every structured layout (BF16 over several segments, F16, F32 with
/// its planes, F64, both FP8 types) beside a tensor of integers.
func makeStructuredContainer(level: CompressionLevel = .default) throws -> (original: [UInt8], container: [UInt8]) {
    var rng = SplitMix64(seed: 21)
    let words = gaussianBF16(count: 2100, sigma: 0.02, rng: &rng)
    func floats<T: BinaryFloatingPoint>(_ count: Int, _: T.Type) -> [UInt8] {
        var out: [UInt8] = []
        for _ in 0..<count {
            let u1 = Double(rng.next() >> 11) / Double(1 << 53) + 1e-12, u2 = Double(rng.next() >> 11) / Double(1 << 53)
            var value = T((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2) * 0.05)
            withUnsafeBytes(of: &value) { out += $0 }
        }
        return out
    }
    let fp8 = (0..<250).map { _ in UInt8(truncatingIfNeeded: 0x30 + Int(rng.next() % 24)) }
    let original = try safetensorsFile([("w", .bf16, [words.count], bytes(of: words)),
                                        ("h", .f16, [200], floats(200, Float16.self)),
                                        ("f", .f32, [120], floats(120, Float.self)),
                                        ("d", .f64, [40], floats(40, Double.self)),
                                        ("e4", .f8E4M3, [fp8.count], fp8),
                                        ("e5", .f8E5M2, [fp8.count], fp8.reversed()),
                                        ("i", .i32, [10], (0..<40).map { UInt8($0 % 5) })])
    return (original, try compressInMemory(original, level: level))
}

/// Every single-bit flip and every truncation must be reported as a container error, never crash, never
/// decode to different bytes.
class ContainerCorruptionTests: XCTestCase {
    func makeContainer() throws -> (original: [UInt8], container: [UInt8]) { try makeSmallContainer() }

    func verify(_ bytes: [UInt8]) throws -> [UInt8] { try decodeStreaming(bytes) }

    func testEveryBitFlipIsDetected() throws {
        let (_, container) = try makeContainer()
        var undetected: [Int] = []
        for bit in 0..<(container.count * 8) {
            var damaged = container
            damaged[bit / 8] ^= UInt8(1 << (bit % 8))
            do {
                _ = try verify(damaged)
                undetected.append(bit)
            } catch is ContainerError {
            } catch {
                XCTFail("bit \(bit): \(error) is not a ContainerError")
            }
        }
        XCTAssertEqual(undetected, [], "flips not detected")
    }

    func testFlipsInBlocksNameTheTensorAndBlock() throws {
        let (_, container) = try makeContainer()
        var damaged = container
        damaged[container.count / 3] ^= 0x10
        XCTAssertThrowsError(try verify(damaged)) { error in
            let failure = error as? ContainerError
            XCTAssertNotNil(failure?.tensor, "\(error)")
            XCTAssertNotNil(failure?.block, "\(error)")
            XCTAssertEqual(failure?.category, .badData)
        }
    }

    func testEveryTruncationIsDetected() throws {
        let (_, container) = try makeContainer()
        for length in 0..<container.count {
            XCTAssertThrowsError(try verify(Array(container[0..<length])), "length \(length)") { error in
                XCTAssertTrue(error is ContainerError, "length \(length): \(error)")
            }
        }
    }

    func testTrailingBytesAreRejected() throws {
        let (_, container) = try makeContainer()
        XCTAssertThrowsError(try verify(container + [0])) { error in
            XCTAssertEqual((error as? ContainerError)?.code, "malformed-frame", "\(error)")
        }
    }
}

/// The same checks on format 2.0: every structured layout, raw and coded streams, segment and own tables.
final class StructuredContainerCorruptionTests: ContainerCorruptionTests {
    override func makeContainer() throws -> (original: [UInt8], container: [UInt8]) { try makeStructuredContainer() }

    func testTheContainerIsFormat2AndDecodes() throws {
        let (original, container) = try makeContainer()
        XCTAssertEqual(container[8], 2, "major version")
        XCTAssertEqual(try verify(container), original)
    }
}

/// The same checks when the container is a regular file, which the reader maps instead of streaming.
final class FileContainerCorruptionTests: XCTestCase {
    func testRandomBitFlipsAndTruncationsInAFileAreDetected() throws {
        let (original, container) = try makeSmallContainer()
        let directory = NSTemporaryDirectory() + "df11-corrupt-\(UInt64.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/c.df11"

        func decode(_ bytes: [UInt8]) throws -> [UInt8] {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let sink = MemorySink()
            _ = try ContainerReader(threads: 2).decompress(source: try InputFile(path: path), to: sink)
            return sink.bytes
        }

        XCTAssertEqual(try decode(container), original)
        var rng = SplitMix64(seed: 77)
        for _ in 0..<400 {
            let bit = Int.random(in: 0..<container.count * 8, using: &rng)
            var damaged = container
            damaged[bit / 8] ^= UInt8(1 << (bit % 8))
            XCTAssertThrowsError(try decode(damaged), "bit \(bit)") { error in
                XCTAssertTrue(error is ContainerError, "bit \(bit): \(error)")
            }
        }
        for _ in 0..<100 {
            let length = Int.random(in: 0..<container.count, using: &rng)
            XCTAssertThrowsError(try decode(Array(container[0..<length])), "length \(length)") { error in
                XCTAssertTrue(error is ContainerError, "length \(length): \(error)")
            }
        }
    }
}
