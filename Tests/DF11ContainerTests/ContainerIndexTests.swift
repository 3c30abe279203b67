import DF11TestSupport
import DF11Container
import DF11IO
import Foundation
import XCTest

/// The little-endian `UInt64` at `offset` of `bytes`.
func littleEndian64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
    bytes[offset ..< offset + 8].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
}

/// Recomputes the checksum of the frame at `offset`, whose payload is `length` bytes (the checksum follows it).
func resealFrame(_ bytes: inout [UInt8], at offset: Int, payloadLength length: Int) {
    let end = offset + 16 + length
    let checksum = bytes[offset ..< end].withUnsafeBytes { Checksum.xxh3($0) }
    withUnsafeBytes(of: checksum.littleEndian) { bytes.replaceSubrange(end ..< end + 8, with: $0) }
}

/// The footer index as random readers (`ls`, `cat`) use it: a checksummed but inconsistent index is refused
/// before any frame it points to is read, and stored sizes add up to the frames.
final class ContainerIndexTests: XCTestCase {
    /// The small test container with its `INDX` payload replaced by `change(payload)` (frame length and
    /// checksum recomputed, so only the index's consistency checks can catch it), written to a file.
    func containerWithIndex(_ change: (inout [UInt8]) -> Void) throws -> String {
        var bytes = try makeSmallContainer().container
        let trailer = bytes.count - 16
        let indexOffset = Int(littleEndian64(bytes, at: trailer))
        var payload = Array(bytes[(indexOffset + 16) ..< (trailer - 8)])
        change(&payload)
        var frame = Array(bytes[indexOffset ..< indexOffset + 8])
        withUnsafeBytes(of: UInt64(payload.count).littleEndian) { frame.append(contentsOf: $0) }
        frame += payload + [UInt8](repeating: 0, count: 8)
        resealFrame(&frame, at: 0, payloadLength: payload.count)
        bytes.replaceSubrange(indexOffset ..< trailer, with: frame)
        let path = NSTemporaryDirectory() + "df11-index-\(UInt64.random(in: 0 ... .max)).df11"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func u64(_ payload: [UInt8], _ at: Int) -> UInt64 { littleEndian64(payload, at: at) }

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
    func decode(_ bytes: [UInt8]) throws -> [UInt8] { try decodeStreaming(bytes) }

    func testReservedFieldsAreCheckedUnlessTheMinorVersionIsNewer() throws {
        let (original, container) = try makeSmallContainer()
        let shdrLength = Int(littleEndian64(container, at: 48))
        let tens = 40 + 16 + shdrLength + 8
        XCTAssertEqual(Array(container[tens ..< tens + 4]), Array("TENS".utf8))
        var reservedByte = container
        reservedByte[tens + 16 + 5] = 1
        resealFrame(&reservedByte, at: tens, payloadLength: 16)
        var flagBit = container
        flagBit[tens + 4] |= 2
        resealFrame(&flagBit, at: tens, payloadLength: 16)
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

/// Structural fuzzing of containers as a property test: a random field of a random frame set to a random or
/// boundary value, and the frame's checksum recomputed, so that only the structural checks can catch it.
/// Whatever the change, the streaming reader and the random-access reader (`ls`, `cat`) either reject the file
/// as bad data (a `ContainerError`, or a `SafetensorsError` for a changed original header) or give back the
/// original tensor bytes; they never trap (a trap fails the run). (The original header is stored verbatim and
/// covered by its frame's checksum only, which the change recomputes: a new `__metadata__` value in it is a
/// different, valid container, not a corrupt one.)
final class StructuralFuzzTests: XCTestCase {
    /// (offset, payload length) of every frame.
    func frames(_ bytes: [UInt8]) -> [(offset: Int, length: Int)] {
        var result: [(Int, Int)] = []
        var at = 40
        while at + 16 <= bytes.count - 16 {
            let length = Int(littleEndian64(bytes, at: at + 8))
            result.append((at, length))
            at += 16 + length + 8
        }
        return result
    }

    /// The data section of a safetensors file (what follows its header).
    func dataSection(_ file: [UInt8]) -> ArraySlice<UInt8> {
        let n = Int(littleEndian64(file, at: 0))
        return file[(8 + n)...]
    }

    func testChecksummedStructuralChangesAreRejectedOrHarmless() throws {
        let (original, container) = try makeSmallContainer()
        let all = frames(container)
        XCTAssertGreaterThan(all.count, 8)
        let boundary: [UInt64] = [0, 1, 2, 3, 7, 8, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, 0xFFFF_FFFF,
                                  0x1_0000_0000, UInt64(Int64.max), UInt64.max, UInt64.max - 7]
        var rng = SplitMix64(seed: 23)
        let directory = NSTemporaryDirectory() + "df11-fuzz-\(UInt64.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var rejected = 0, harmless = 0
        for trial in 0..<400 {
            var bytes = container
            let frame = all[Int(rng.next() % UInt64(all.count))]
            // A field inside the frame's header (flags, length) or payload, 1, 2, 4 or 8 bytes wide.
            let width = [1, 2, 4, 8][Int(rng.next() % 4)]
            let span = 12 + frame.length
            guard span >= width else { continue }
            let at = frame.offset + 4 + Int(rng.next() % UInt64(span - width + 1))
            let value = rng.next() % 2 == 0 ? boundary[Int(rng.next() % UInt64(boundary.count))] : rng.next()
            withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(at ..< at + width, with: $0.prefix(width)) }
            // Reseal the frame (its length may have changed: the checksum goes where the new length says, if inside).
            let length = Int(truncatingIfNeeded: littleEndian64(bytes, at: frame.offset + 8))
            if length >= 0, length <= bytes.count, frame.offset + 16 + length + 8 <= bytes.count {
                resealFrame(&bytes, at: frame.offset, payloadLength: length)
            }
            if bytes == container { continue }

            // Streaming (verify and decompress, from a pipe).
            do {
                let decoded = try decodeStreaming(bytes)
                XCTAssert(dataSection(decoded) == dataSection(original),
                          "trial \(trial): decoded to other tensor bytes without an error")
                harmless += 1
            } catch let error as DF11Failure where error.category == .badData {
                rejected += 1
            }
            // Random access (ls, cat).
            let path = directory + "/t\(trial).df11"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            if let file = try? ContainerFile(path: path) {
                _ = file.storedBytes
                let originalData = dataSection(original)
                for tensor in file.header.tensorsInFileOrder {
                    let out = MemorySink()
                    do {
                        try file.extract(tensor: tensor.name, to: out, threads: 2)
                        let start = originalData.startIndex + Int(tensor.dataOffsets.lowerBound)
                        XCTAssert(out.bytes[...] == originalData[start ..< start + Int(tensor.byteCount)],
                                  "trial \(trial): cat gave other bytes for \(tensor.name)")
                    } catch let error as DF11Failure where error.category == .badData {
                    }
                }
            }
            try? FileManager.default.removeItem(atPath: path)
        }
        XCTAssertGreaterThan(rejected, 200)
        _ = harmless
    }
}
