import DF11TestSupport
import XCTest
import Safetensors
@testable import DFloat11Layout

final class UnitEncoderTests: XCTestCase {
    /// bert-1layer's encoder.layer.0 weights (110,592) in unit order.
    func bertWords() throws -> [UInt16] {
        let goldenCase = GoldenCase.all.first { $0.name == "bert-1layer" }!
        let source = try goldenCase.openSource()
        let unit = try goldenCase.units(of: source).first { $0.module == "encoder.layer.0" }!
        return try sourceWords(unit, source)
    }

    /// Encodes `words` cut into `pieces` chunks (uneven sizes, encoded in reverse order to show independence)
    /// and returns (stream, gaps, output positions).
    func encode(_ words: [UInt16], pieces: Int) throws -> ([UInt8], [UInt8], [UInt8]) {
        var statistics = UnitStatistics()
        statistics.add(words: words)
        let encoder = try UnitEncoder(unit: "u", statistics: statistics)
        var cuts = (1..<pieces).map { words.count * $0 / pieces + ($0 % 2 == 0 ? 13 : -7) }
        cuts = [0] + cuts + [words.count]
        var starts: [UInt64] = [0]
        for i in 0..<pieces {
            let bits = words[cuts[i]..<cuts[i + 1]].withUnsafeBufferPointer { encoder.bitCount(of: $0) }
            starts.append(starts[i] + bits)
        }
        var chunks = [EncodedChunk?](repeating: nil, count: pieces)
        for i in (0..<pieces).reversed() {
            chunks[i] = try words[cuts[i]..<cuts[i + 1]].withUnsafeBufferPointer {
                try encoder.encodeChunk(words: $0, startingBit: starts[i], firstElementIndex: UInt64(cuts[i]))
            }
        }
        var stream: [UInt8] = []
        let assembler = UnitStreamAssembler(encoder: encoder) { bytes, _ in stream.append(contentsOf: bytes) }
        for chunk in chunks { try assembler.append(chunk!) }
        let indexes = try assembler.finish()
        return (stream, indexes.gaps, indexes.outputPositions)
    }

    func testOneTwoAndSevenChunksGiveTheOfficialBytes() throws {
        let words = try bertWords()
        let file = try SafetensorsFile(path: golden("bert-1layer/official/encoder_layer_0.safetensors"))
        func official(_ name: String) throws -> [UInt8] {
            let info = file.header.tensor(named: "encoder.layer.0." + name)!
            var bytes = [UInt8](repeating: 0, count: Int(info.byteCount))
            try bytes.withUnsafeMutableBytes { try file.read(tensor: info, range: 0..<info.byteCount, into: $0) }
            return bytes
        }
        let expected = (try official("encoded_exponent"), try official("gaps"), try official("output_positions"))
        for pieces in [1, 2, 7, 64, 500, 3001] {
            let got = try encode(words, pieces: pieces)
            XCTAssert(got.0 == expected.0, "stream, \(pieces) chunks")
            XCTAssert(got.1 == expected.1, "gaps, \(pieces) chunks")
            XCTAssert(got.2 == expected.2, "output positions, \(pieces) chunks")
        }
    }

    /// An input that changes between the statistics pass and the encoding pass is reported, never written
    /// past the chunk's buffers: here every weight gets the longest code instead of the counted ones.
    func testInputChangedBetweenPassesIsReported() throws {
        let words = try bertWords()
        var statistics = UnitStatistics()
        statistics.add(words: words)
        let encoder = try UnitEncoder(unit: "u", statistics: statistics)
        let longest = (0..<256).max { encoder.lengths[$0] < encoder.lengths[$1] }!
        let changed = [UInt16](repeating: UInt16(longest) << 7, count: words.count)
        let counted = words.withUnsafeBufferPointer { encoder.bitCount(of: $0) }
        XCTAssertThrowsError(try changed.withUnsafeBufferPointer {
            try encoder.encodeChunk(words: $0, startingBit: 5, firstElementIndex: 0, bitCount: counted)
        }) { error in
            XCTAssert("\(error)".contains("changed"), "\(error)")
        }
        // Without a bit count, an exponent the code lacks is named.
        let missing = (0..<240).first { encoder.lengths[$0] == 0 }!
        XCTAssertThrowsError(try [UInt16(missing) << 7].withUnsafeBufferPointer {
            try encoder.encodeChunk(words: $0, startingBit: 0, firstElementIndex: 0)
        }) { error in
            XCTAssert("\(error)".contains("exponent \(missing)"), "\(error)")
        }
    }

    func testWriterBytesDoNotDependOnChunkSizeOrThreads() throws {
        let goldenCase = GoldenCase.all.first { $0.name == "bert-1layer" }!
        let source = try goldenCase.openSource()
        for unit in try goldenCase.units(of: source) {
            let reference = MemorySink()
            try UnitFileWriter.write(unit: unit, from: source, to: reference)
            for (chunkWords, threads) in [(1000, 1), (4097, 2), (777, 3)] {
                let sink = MemorySink()
                try UnitFileWriter.write(unit: unit, from: source, to: sink, chunkWords: chunkWords, threads: threads)
                XCTAssert(sink.bytes == reference.bytes, "\(unit.module) chunkWords \(chunkWords) threads \(threads)")
            }
        }
    }

    /// Geometry and round trip on synthetic weights, including a stream that ends on a byte boundary.
    func testRoundTripThroughTheDecoderOnSyntheticUnits() throws {
        var generator = SystemRandomNumberGenerator()
        for size in [1, 2, 3, 100, 4096, 40_000, 70_001] {
            let words = (0..<size).map { _ -> UInt16 in
                let exponent = UInt16(118 + Int.random(in: 0..<8, using: &generator))
                return UInt16.random(in: 0...1, using: &generator) << 15 | exponent << 7 | UInt16.random(in: 0..<128, using: &generator)
            }
            var statistics = UnitStatistics()
            statistics.add(words: words)
            let encoder: UnitEncoder
            do { encoder = try UnitEncoder(unit: "synthetic", statistics: statistics) } catch let error as DFloat11LayoutError {
                XCTAssertEqual(error.problem, .firstTableStartsWithEndOfFile); continue
            }
            let (stream, gaps, positions) = try encode(words, pieces: size > 10 ? 3 : 1)
            let tensors = InMemoryTensors()
            tensors.set("m.luts", dtype: .u8, shape: [encoder.tables.tableCount + 1, 256], bytes: encoder.tables.bytes)
            tensors.set("m.encoded_exponent", dtype: .u8, shape: [stream.count], bytes: stream)
            tensors.set("m.sign_mantissa", dtype: .u8, shape: [size], bytes: words.map { UInt8(($0 >> 8) & 0x80 | $0 & 0x7F) })
            tensors.set("m.output_positions", dtype: .u8, shape: [positions.count], bytes: positions)
            tensors.set("m.gaps", dtype: .u8, shape: [gaps.count], bytes: gaps)
            tensors.set("m.split_positions", dtype: .i64, shape: [0], bytes: [])
            XCTAssertEqual(UInt64(positions.count), encoder.geometry.outputPositionsBytes)
            XCTAssertEqual(try UnitDecoder(module: "m", source: tensors).decodeAll(), words, "size \(size)")
        }
    }
}
