import DF11TestSupport
import DF11Container
import DF11IO
import Foundation
import XCTest

/// Committed containers (Fixtures/containers) with their expected bytes, read against docs/FORMAT.md by a
/// walker written from the document rather than from the reader, and the format's evolution rules: a newer major
/// version is refused, an unknown required frame is refused, an unknown skippable frame is skipped.
///
/// Format 1.0 (`--level fast`): `small.df11` is `small.safetensors` (a BF16 tensor of 3,000 weights and a U8
/// tensor of 600 bytes) written with blockWeights 1024, segmentBlocks 2, length limit 12, zstd level 3;
/// `edge-cases.df11` is Fixtures/edge-cases.safetensors with the default parameters. Format 2.0: `small-2.df11`
/// the same small file at the default level, `float-dtypes.df11` and `float-dtypes-max.df11`
/// Fixtures/float-dtypes.safetensors (every BF16, F16 and FP8 bit pattern, F32 and F64 specials) at the default
/// and max levels. Regenerate (after a deliberate format change only) with
/// `DF11_WRITE_GOLDEN=1 swift test --filter ContainerGoldenTests`.
///
/// Written by an earlier writer, kept to be read, never rewritten: `float-dtypes-max-log15.df11`, the same file at
/// max when max used tables of 2^15 states (it uses 2^14 now).
final class ContainerGoldenTests: XCTestCase {
    let small = ContainerParameters(blockWeights: 1024, segmentBlocks: 2, lengthLimit: 12, zstdLevel: 3, level: .fast)
    var fast: ContainerParameters { var p = ContainerParameters.default; p.level = .fast; return p }
    var max: ContainerParameters { var p = ContainerParameters.default; p.level = .max; return p }

    func compress(_ original: [UInt8], _ parameters: ContainerParameters) throws -> [UInt8] {
        let sink = MemorySink()
        _ = try ContainerWriter(parameters: parameters, threads: 2).compress(source: MemorySource(original), to: sink)
        return sink.bytes
    }

    func read(_ path: String) throws -> [UInt8] { try FileSystem.readSmallFile(path) }

    /// Each committed container, its original, and the parameters today's writer gives its bytes with (nil: an
    /// earlier writer's, only read).
    func goldens() throws -> [(name: String, original: [UInt8], parameters: ContainerParameters?)] {
        if ProcessInfo.processInfo.environment["DF11_WRITE_GOLDEN"] == "1" {
            let (original, container) = try makeSmallContainer()
            try FileSystem.createDirectories(fixture("containers"))
            try AtomicOutputFile.write(contents: original, to: fixture("containers/small.safetensors"), overwrite: true)
            try AtomicOutputFile.write(contents: container, to: fixture("containers/small.df11"), overwrite: true)
            let edge = try read(fixture("edge-cases.safetensors"))
            try AtomicOutputFile.write(contents: try compress(edge, fast), to: fixture("containers/edge-cases.df11"),
                                       overwrite: true)
            var small2 = small
            small2.level = .default
            try AtomicOutputFile.write(contents: try compress(original, small2), to: fixture("containers/small-2.df11"),
                                       overwrite: true)
            let floats = try read(fixture("float-dtypes.safetensors"))
            try AtomicOutputFile.write(contents: try compress(floats, .default),
                                       to: fixture("containers/float-dtypes.df11"), overwrite: true)
            try AtomicOutputFile.write(contents: try compress(floats, max),
                                       to: fixture("containers/float-dtypes-max.df11"), overwrite: true)
        }
        var small2 = small
        small2.level = .default
        return [("small", try read(fixture("containers/small.safetensors")), small),
                ("edge-cases", try read(fixture("edge-cases.safetensors")), fast),
                ("small-2", try read(fixture("containers/small.safetensors")), small2),
                ("float-dtypes", try read(fixture("float-dtypes.safetensors")), .default),
                ("float-dtypes-max", try read(fixture("float-dtypes.safetensors")), max),
                ("float-dtypes-max-log15", try read(fixture("float-dtypes.safetensors")), nil)]
    }

    /// Today's writer gives the committed bytes, and the committed bytes (an earlier writer's too) decode
    /// (streaming and random access) to the original: a change of either side of the format shows here, not
    /// only in round trips.
    func testTheWriterGivesTheCommittedBytesAndTheyDecode() throws {
        for golden in try goldens() {
            let committed = try read(fixture("containers/\(golden.name).df11"))
            if let parameters = golden.parameters {
                XCTAssertEqual(try compress(golden.original, parameters), committed, golden.name)
            }
            XCTAssertEqual(try decodeStreaming(committed), golden.original, golden.name)
            let file = try ContainerFile(path: fixture("containers/\(golden.name).df11"))
            XCTAssertEqual(file.header.tensors.count, try walk(committed).filter { $0.type == "TENS" }.count)
            // Random access: every tensor alone, equal to its bytes in the original.
            for tensor in file.header.tensorsInFileOrder {
                let sink = MemorySink()
                try file.extract(tensor: tensor.name, to: sink, threads: 2)
                let start = Int(file.header.dataStart + tensor.dataOffsets.lowerBound)
                XCTAssertEqual(sink.bytes, Array(golden.original[start ..< start + Int(tensor.byteCount)]),
                               "\(golden.name): \(tensor.name)")
            }
        }
    }

    // MARK: - An independent reading of docs/FORMAT.md

    struct Frame { let offset: Int; let type: String; let flags: UInt32; let payload: [UInt8] }

    func u16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) | UInt16(b[at + 1]) << 8 }
    func u32(_ b: [UInt8], _ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[at + $1]) << (8 * $1) } }
    func u64(_ b: [UInt8], _ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(b[at + $1]) << (8 * $1) } }

    /// Section 1 (header), 2 (frames with their checksums) and 3 (trailer), checked field by field.
    func walk(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> [Frame] {
        XCTAssertEqual(Array(bytes[0..<8]), [0x89, 0x44, 0x46, 0x31, 0x31, 0x0D, 0x0A, 0x1A], "magic", file: file, line: line)
        XCTAssertTrue([1, 2].contains(u16(bytes, 8)), "major version", file: file, line: line)
        XCTAssertEqual(u16(bytes, 10), 0, "minor version", file: file, line: line)
        XCTAssertEqual(u32(bytes, 12), 0, "flags", file: file, line: line)
        let blockWeights = u32(bytes, 16)
        XCTAssertTrue(blockWeights.nonzeroBitCount == 1 && (1 << 10 ... 1 << 20).contains(blockWeights), file: file, line: line)
        XCTAssertEqual(u64(bytes, 32), bytes[0..<32].withUnsafeBytes { Checksum.xxh3($0) }, "header checksum", file: file, line: line)
        // Trailer: the INDX offset and the magic.
        let end = bytes.count - 16
        XCTAssertEqual(Array(bytes[end + 8 ..< end + 16]), Array("DF11INDX".utf8), file: file, line: line)
        let indexOffset = Int(u64(bytes, end))
        var frames: [Frame] = []
        var at = 40
        while at < end {
            let length = Int(u64(bytes, at + 8))
            let payloadEnd = at + 16 + length
            XCTAssertLessThanOrEqual(payloadEnd + 8, end, "frame at \(at) runs into the trailer", file: file, line: line)
            XCTAssertEqual(u64(bytes, payloadEnd), bytes[at..<payloadEnd].withUnsafeBytes { Checksum.xxh3($0) },
                           "checksum of the frame at \(at)", file: file, line: line)
            frames.append(Frame(offset: at, type: String(decoding: bytes[at..<at + 4], as: UTF8.self),
                                flags: u32(bytes, at + 4), payload: Array(bytes[at + 16 ..< payloadEnd])))
            at = payloadEnd + 8
        }
        XCTAssertEqual(at, end, file: file, line: line)
        XCTAssertEqual(frames.last?.offset, indexOffset, "the trailer points to the last frame, INDX", file: file, line: line)
        return frames
    }

    /// The frame sequence of FORMAT.md section 2: SHDR, then per tensor TENS (CODE BLK…)… or BLK…, TEND, then INDX;
    /// the SHDR payload is the original's first 8 + N bytes; TEND counts the blocks; INDX points at the frames.
    func testTheCommittedContainersFollowTheDocument() throws {
        for golden in try goldens() {
            let bytes = try read(fixture("containers/\(golden.name).df11"))
            let frames = try walk(bytes)
            XCTAssertEqual(u64(bytes, 24), UInt64(golden.original.count), "originalSize")
            XCTAssertEqual(frames.first?.type, "SHDR")
            let headerLength = Int(u64(golden.original, 0))
            XCTAssertEqual(frames.first?.payload, Array(golden.original[0 ..< 8 + headerLength]))
            XCTAssertEqual(frames.last?.type, "INDX")
            let major = u16(bytes, 8)
            var tensor = 0, blocks = 0, codeSeen = false, encoding: UInt8 = 0
            var indexed: [(tens: UInt64, tend: UInt64, blocks: UInt32)] = []
            for frame in frames.dropFirst().dropLast() {
                XCTAssertEqual(frame.flags, 0, "\(frame.type) at \(frame.offset)")
                switch frame.type {
                case "TENS":
                    XCTAssertEqual(u32(frame.payload, 0), UInt32(tensor))
                    encoding = frame.payload[4]
                    XCTAssertTrue((major == 1 ? [1, 2] : [2, 3]).contains(encoding), "encoding \(encoding) in \(major).0")
                    XCTAssertEqual(Array(frame.payload[5..<8]), [0, 0, 0])
                    indexed.append((UInt64(frame.offset), 0, 0))
                    blocks = 0
                    codeSeen = false
                case "CODE":
                    XCTAssertEqual(frame.payload.count, 256)
                    XCTAssertEqual(encoding, 1)
                    codeSeen = true
                case "CDE2":
                    // Coder 1 (tANS), k, p, flags (bit 0: sign in the symbol), then a table log (or 0) per stream.
                    XCTAssertEqual(encoding, 3)
                    XCTAssertEqual(frame.payload[0], 1, "coder")
                    XCTAssertLessThanOrEqual(frame.payload[3], 1, "flags")
                    XCTAssertTrue([0, 10, 11, 12, 13, 14, 15].contains(frame.payload[4]), "the symbols' table log")
                    codeSeen = true
                case "BLK ":
                    XCTAssertEqual(u32(frame.payload, 0), UInt32(blocks), "block index")
                    let method = u32(frame.payload, 4)
                    XCTAssertTrue((encoding == 1 ? [2] : encoding == 2 ? [0, 1] : [0, 1, 3]).contains(method),
                                  "method \(method) in a tensor of encoding \(encoding)")
                    if method >= 2 { XCTAssertTrue(codeSeen, "a coded block after its code frame") }
                    blocks += 1
                case "TEND":
                    XCTAssertEqual(u32(frame.payload, 0), UInt32(tensor))
                    XCTAssertEqual(u32(frame.payload, 4), UInt32(blocks))
                    indexed[tensor].tend = UInt64(frame.offset)
                    indexed[tensor].blocks = UInt32(blocks)
                    tensor += 1
                default:
                    XCTFail("unexpected frame \(frame.type) at \(frame.offset)")
                }
            }
            let index = frames.last!.payload
            XCTAssertEqual(u64(index, 0), UInt64(tensor), "tensor count")
            var at = 8
            for entry in indexed {
                XCTAssertEqual(u64(index, at), entry.tens)
                XCTAssertEqual(u64(index, at + 8), entry.tend)
                XCTAssertEqual(u32(index, at + 16), entry.blocks)
                at += 20 + 16 * Int(entry.blocks)
            }
            XCTAssertEqual(at, index.count)
        }
    }

    // MARK: - Evolution rules

    func withHeader(_ bytes: [UInt8], _ change: (inout [UInt8]) -> Void) -> [UInt8] {
        var changed = bytes
        change(&changed)
        let checksum = changed[0 ..< 32].withUnsafeBytes { Checksum.xxh3($0) }
        withUnsafeBytes(of: checksum.littleEndian) { changed.replaceSubrange(32 ..< 40, with: $0) }
        return changed
    }

    func testANewerMajorVersionIsRefusedByBothReaders() throws {
        let bytes = try read(fixture("containers/small.df11"))
        let newer = withHeader(bytes) { $0[8] = 3 }
        XCTAssertThrowsError(try decodeStreaming(newer)) { error in
            XCTAssertEqual((error as? ContainerError)?.problem, .unsupportedVersion(major: 3, minor: 0), "\(error)")
            XCTAssertTrue("\(error)".contains("upgrade df11"), "\(error)")
        }
        let path = NSTemporaryDirectory() + "df11-golden-\(getpid()).df11"
        defer { unlink(path) }
        try AtomicOutputFile.write(contents: newer, to: path, overwrite: true)
        XCTAssertThrowsError(try ContainerFile(path: path)) { error in
            XCTAssertEqual((error as? ContainerError)?.problem, .unsupportedVersion(major: 3, minor: 0), "\(error)")
        }
        // A newer minor version of the same major is read.
        XCTAssertEqual(try decodeStreaming(withHeader(bytes) { $0[10] = 7 }), try read(fixture("containers/small.safetensors")))
    }

    /// A frame `type` with `flags` inserted after the first TENS frame, the index and trailer moved to match (as a
    /// writer of a newer minor version that adds such a frame would write them).
    /// `declaredLength` replaces the payload length the frame header states (the payload stays 5 bytes).
    func inserting(_ type: String, flags: UInt32, into bytes: [UInt8], declaredLength: UInt64? = nil) throws -> [UInt8] {
        let frames = try walk(bytes)
        let after = frames.first { $0.type == "TENS" }!
        let at = after.offset + 16 + after.payload.count + 8
        var frame = Array(type.utf8)
        withUnsafeBytes(of: flags.littleEndian) { frame += $0 }
        let payload: [UInt8] = [1, 2, 3, 4, 5]
        withUnsafeBytes(of: (declaredLength ?? UInt64(payload.count)).littleEndian) { frame += $0 }
        frame += payload
        let checksum = frame.withUnsafeBytes { Checksum.xxh3($0) }
        withUnsafeBytes(of: checksum.littleEndian) { frame += $0 }
        let delta = UInt64(frame.count)
        // The index with every offset past the insertion moved by `delta`.
        var index = frames.last!.payload
        func shift(_ position: Int) {
            let value = u64(index, position)
            if value >= UInt64(at) {
                withUnsafeBytes(of: (value + delta).littleEndian) { index.replaceSubrange(position ..< position + 8, with: $0) }
            }
        }
        var position = 8
        for _ in 0 ..< Int(u64(index, 0)) {
            shift(position); shift(position + 8)
            let blocks = Int(u32(index, position + 16))
            position += 20
            for _ in 0 ..< blocks { shift(position); shift(position + 8); position += 16 }
        }
        var changed = Array(bytes[0 ..< frames.last!.offset])
        changed.insert(contentsOf: frame, at: at)
        let indexOffset = UInt64(changed.count)
        var indexFrame = Array("INDX".utf8) + [0, 0, 0, 0]
        withUnsafeBytes(of: UInt64(index.count).littleEndian) { indexFrame += $0 }
        indexFrame += index
        let indexChecksum = indexFrame.withUnsafeBytes { Checksum.xxh3($0) }
        withUnsafeBytes(of: indexChecksum.littleEndian) { indexFrame += $0 }
        changed += indexFrame
        withUnsafeBytes(of: indexOffset.littleEndian) { changed += $0 }
        changed += Array("DF11INDX".utf8)
        return changed
    }

    func testUnknownFramesAreRefusedUnlessSkippable() throws {
        let bytes = try read(fixture("containers/small.df11"))
        let original = try read(fixture("containers/small.safetensors"))
        let path = NSTemporaryDirectory() + "df11-golden-frames-\(getpid()).df11"
        defer { unlink(path) }
        let required = try inserting("ZZZZ", flags: 0, into: bytes)
        XCTAssertThrowsError(try decodeStreaming(required)) { error in
            XCTAssertEqual((error as? ContainerError)?.problem, .unknownFrame("ZZZZ"), "\(error)")
        }
        // Skippable (flag bit 0): both readers go past it and give back the original bytes.
        let skippable = try inserting("ZZZZ", flags: 1, into: bytes)
        XCTAssertEqual(try decodeStreaming(skippable), original)
        try AtomicOutputFile.write(contents: skippable, to: path, overwrite: true)
        let file = try ContainerFile(path: path)
        for tensor in file.header.tensorsInFileOrder {
            let sink = MemorySink()
            try file.extract(tensor: tensor.name, to: sink, threads: 1)
            let start = Int(file.header.dataStart + tensor.dataOffsets.lowerBound)
            XCTAssertEqual(sink.bytes, Array(original[start ..< start + Int(tensor.byteCount)]), tensor.name)
        }
    }

    /// Regression (fuzzing, `container` target): a skippable frame declaring a payload of nearly 2^64 bytes made the
    /// reader overflow computing its extent and trap. Any frame declaring more than 2^48 bytes is refused as too
    /// large, by both readers, before any arithmetic on its length.
    func testAFrameDeclaringAnImpossibleLengthIsRefused() throws {
        let bytes = try read(fixture("containers/small.df11"))
        let path = NSTemporaryDirectory() + "df11-golden-huge-frame-\(getpid()).df11"
        defer { unlink(path) }
        for length: UInt64 in [.max, .max - 7, (1 << 48) + 1] {
            let huge = try inserting("ZZZZ", flags: 1, into: bytes, declaredLength: length)
            XCTAssertThrowsError(try decodeStreaming(huge)) { error in
                XCTAssertEqual((error as? ContainerError)?.problem, .frameTooLarge(frame: "ZZZZ", length: length), "\(error)")
            }
            try AtomicOutputFile.write(contents: huge, to: path, overwrite: true)
            XCTAssertThrowsError(try ContainerReader(threads: 2).decompress(source: try InputFile(path: path), to: nil)) { error in
                XCTAssertEqual((error as? ContainerError)?.problem, .frameTooLarge(frame: "ZZZZ", length: length), "\(error)")
            }
        }
    }
}
