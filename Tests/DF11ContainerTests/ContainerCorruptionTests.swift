import DF11Container
import DF11IO
import XCTest

/// Every single-bit flip and every truncation must be reported as a container error, never crash, never
/// decode to different bytes.
final class ContainerCorruptionTests: XCTestCase {
    func makeContainer() throws -> (original: [UInt8], container: [UInt8]) {
        var rng = SplitMix64(seed: 9)
        let words = gaussianBF16(count: 3000, sigma: 0.02, rng: &rng)
        let other = (0..<600).map { UInt8($0 % 7) }
        let original = try safetensorsFile([("w", .bf16, [words.count], bytes(of: words)),
                                            ("o", .u8, [other.count], other)])
        let sink = MemorySink()
        _ = try ContainerWriter(parameters: ContainerParameters(blockWeights: 1024, segmentBlocks: 2,
                                                                lengthLimit: 12, zstdLevel: 3), threads: 2)
            .compress(source: MemorySource(original), to: sink)
        return (original, sink.bytes)
    }

    func verify(_ bytes: [UInt8]) throws -> [UInt8] {
        let sink = MemorySink()
        _ = try ContainerReader(threads: 2).decompress(source: MemorySource(bytes), to: sink)
        return sink.bytes
    }

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
        XCTAssertThrowsError(try verify(container + [0]))
    }
}
