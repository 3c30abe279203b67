import DF11Container
import DF11IO
import Foundation
import XCTest

/// The footer index as random readers (`ls`, `cat`) use it: a checksummed but inconsistent index is refused
/// before any frame it points to is read, and stored sizes add up to the frames.
final class ContainerIndexTests: XCTestCase {
    /// The small test container with its `INDX` payload replaced by `change(payload)` (frame length and
    /// checksum recomputed, so only the index's consistency checks can catch it), written to a file.
    func containerWithIndex(_ change: (inout [UInt8]) -> Void) throws -> String {
        var bytes = try makeSmallContainer().container
        let trailer = bytes.count - 16
        let indexOffset = Int(bytes[trailer ..< trailer + 8].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        var payload = Array(bytes[(indexOffset + 16) ..< (trailer - 8)])
        change(&payload)
        var frame = Array(bytes[indexOffset ..< indexOffset + 8])
        withUnsafeBytes(of: UInt64(payload.count).littleEndian) { frame.append(contentsOf: $0) }
        frame += payload
        let checksum = frame.withUnsafeBytes { Checksum.xxh3($0) }
        withUnsafeBytes(of: checksum.littleEndian) { frame.append(contentsOf: $0) }
        bytes.replaceSubrange(indexOffset ..< trailer, with: frame)
        let path = NSTemporaryDirectory() + "df11-index-\(UInt64.random(in: 0 ... .max)).df11"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func u64(_ payload: [UInt8], _ at: Int) -> UInt64 {
        payload[at ..< at + 8].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }

    func put(_ value: UInt64, _ payload: inout [UInt8], _ at: Int) {
        withUnsafeBytes(of: value.littleEndian) { payload.replaceSubrange(at ..< at + 8, with: $0) }
    }

    func testUnchangedIndexOpensAndStoredBytesCoverTheTensorFrames() throws {
        let path = try containerWithIndex { _ in }
        let container = try ContainerFile(path: path)
        // First tensor entry: count (8), begin (8), end (8), blocks (4), then 16 bytes per block.
        let first = container.index.tensors[0].beginFrame
        let last = container.index.tensors.last!
        XCTAssertEqual(container.storedBytes.reduce(0, +), last.endFrame + 40 - first)
    }

    func testInconsistentIndexesAreRefusedNotTrapped() throws {
        // Entry 0 starts at byte 8: begin, end, block count, blocks.
        let mutations: [(String, (inout [UInt8]) -> Void)] = [
            ("TEND before TENS", { p in self.put(self.u64(p, 8) - 1, &p, 16) }),
            ("block before TENS", { p in self.put(self.u64(p, 8) - 1, &p, 28) }),
            ("CODE after its block", { p in self.put(self.u64(p, 28) + 1, &p, 36) }),
            ("TEND past the index", { p in self.put(UInt64.max - 8, &p, 16) }),
            ("one block too many", { p in
                p[24] &+= 1
                p.insert(contentsOf: p[28 ..< 44], at: 44)
            }),
        ]
        for (name, change) in mutations {
            let path = try containerWithIndex(change)
            XCTAssertThrowsError(try ContainerFile(path: path), name) { error in
                XCTAssertEqual((error as? ContainerError)?.code, "index-mismatch", "\(name): \(error)")
            }
        }
    }
}

/// Reserved fields: zero in a file of this reader's minor version or older (found by fuzzing: a set `TENS`
/// reserved byte or frame flag bit passed verify); ignored in a file of a newer minor version.
final class ReservedFieldTests: XCTestCase {
    func decode(_ bytes: [UInt8]) throws -> [UInt8] {
        let sink = MemorySink()
        _ = try ContainerReader(threads: 2).decompress(source: MemorySource(bytes), to: sink)
        return sink.bytes
    }

    /// Recomputes the checksum of the frame at `offset` (payload `length` bytes).
    func reseal(_ bytes: inout [UInt8], frameAt offset: Int, payload length: Int) {
        let end = offset + 16 + length
        let checksum = bytes[offset ..< end].withUnsafeBytes { Checksum.xxh3($0) }
        withUnsafeBytes(of: checksum.littleEndian) { bytes.replaceSubrange(end ..< end + 8, with: $0) }
    }

    func testReservedFieldsAreCheckedUnlessTheMinorVersionIsNewer() throws {
        let (original, container) = try makeSmallContainer()
        let shdrLength = Int(container[48 ..< 56].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        let tens = 40 + 16 + shdrLength + 8
        XCTAssertEqual(Array(container[tens ..< tens + 4]), Array("TENS".utf8))
        var reservedByte = container
        reservedByte[tens + 16 + 5] = 1
        reseal(&reservedByte, frameAt: tens, payload: 16)
        var flagBit = container
        flagBit[tens + 4] |= 2
        reseal(&flagBit, frameAt: tens, payload: 16)
        for (name, bytes) in [("TENS reserved byte", reservedByte), ("frame flag bit 1", flagBit)] {
            XCTAssertThrowsError(try decode(bytes), name) { error in
                XCTAssertEqual((error as? ContainerError)?.code, "malformed-frame", "\(name): \(error)")
            }
            // The same file declaring minor version 1: the fields may mean something there; ignored.
            var newer = bytes
            newer[10] = 1
            let checksum = newer[0 ..< 32].withUnsafeBytes { Checksum.xxh3($0) }
            withUnsafeBytes(of: checksum.littleEndian) { newer.replaceSubrange(32 ..< 40, with: $0) }
            XCTAssertEqual(try decode(newer), original, name)
        }
    }
}
