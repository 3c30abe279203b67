import DF11TestSupport
import XCTest
import DF11IO
import Safetensors
@testable import DFloat11Layout

final class UnitDecoderTests: XCTestCase {
    /// Decoding every official unit file gives back the source weights bit for bit.
    func testEveryOfficialUnitDecodesToTheSourceWeights() throws {
        let checked = try forEachOfficialUnit { goldenCase, unit, source, decoder in
            let expected = try sourceWords(unit, source)
            XCTAssert(try decoder.decodeAll() == expected, "\(goldenCase.name)/\(unit.module)")
            var splits: [Int64] = []
            var total: Int64 = 0
            for weight in unit.weights.dropLast() {
                total += Int64(source.header.tensor(named: weight.source)!.elementCount)
                splits.append(total)
            }
            XCTAssertEqual(decoder.splitPositions, splits)
        }
        XCTAssertEqual(checked, 12)
    }

    // MARK: - Corruption

    /// The six tensors of bert-1layer's `encoder.layer.0` (110,592 weights, 10 blocks) in memory.
    func bertLayer() throws -> (InMemoryTensors, String) { (try goldenBertLayer(), "encoder.layer.0") }

    func modify(_ tensors: InMemoryTensors, _ name: String, shape: [Int]? = nil, _ change: (inout [UInt8]) -> Void) {
        let info = tensors.tensor(named: name)!
        var bytes = tensors.bytes(of: name)!
        change(&bytes)
        tensors.set(name, dtype: info.dtype, shape: shape ?? [bytes.count], bytes: bytes)
    }

    /// Runs the decoder and returns its error (failing the test if there is none).
    func decodeError(_ tensors: InMemoryTensors, _ module: String, file: StaticString = #filePath, line: UInt = #line) -> DFloat11LayoutError? {
        do {
            let decoder = try UnitDecoder(module: module, source: tensors)
            _ = try decoder.decodeAll()
            XCTFail("decoded without an error", file: file, line: line)
            return nil
        } catch let error as DFloat11LayoutError {
            XCTAssertEqual(error.unit, module, file: file, line: line)
            XCTAssert(error.description.contains("'\(module)'"), error.description, file: file, line: line)
            return error
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return nil
        }
    }

    func testUntouchedCopyDecodes() throws {
        let (tensors, module) = try bertLayer()
        XCTAssertEqual(try UnitDecoder(module: module, source: tensors).decodeAll().count, 110_592)
    }

    /// A flipped bit in block 1 that the checks catch is reported in block 1. (Huffman codes resynchronise, so
    /// not every flip moves a code start; see the next test.)
    func testFlippedBitstreamBitIsDetectedInItsBlock() throws {
        var found = false
        for bit in (5000 * 8)..<(5100 * 8) {
            let (tensors, module) = try bertLayer()
            modify(tensors, module + ".encoded_exponent") { $0[bit / 8] ^= UInt8(0x80 >> (bit % 8)) }
            do {
                _ = try UnitDecoder(module: module, source: tensors).decodeAll()
            } catch let error as DFloat11LayoutError {
                XCTAssertEqual(error.block, 1, error.description)
                XCTAssertEqual(error.code, "corrupt-bitstream")
                XCTAssert(error.description.hasPrefix("DFloat11 unit 'encoder.layer.0', block 1: "), error.description)
                found = true
                break
            }
        }
        XCTAssert(found)
    }

    /// Every single-bit flip in the first 32 bytes: most are detected; the ones that are not turn one code into
    /// another of the same length, which still changes the weights (the layout has no checksum).
    func testBitFlipsAreDetectedOrChangeTheWeights() throws {
        let (clean, module) = try bertLayer()
        let original = try UnitDecoder(module: module, source: clean).decodeAll()
        var detected = 0
        for bit in 0..<(32 * 8) {
            let (tensors, _) = try bertLayer()
            modify(tensors, module + ".encoded_exponent") { $0[bit / 8] ^= UInt8(0x80 >> (bit % 8)) }
            do {
                let words = try UnitDecoder(module: module, source: tensors).decodeAll()
                XCTAssertNotEqual(words, original, "bit \(bit)")
            } catch is DFloat11LayoutError {
                detected += 1
            }
        }
        XCTAssertGreaterThan(detected, 32 * 8 / 4)
    }

    func testSwappedOutputPositionDeltasAreDetected() throws {
        let (tensors, module) = try bertLayer()
        modify(tensors, module + ".output_positions") { bytes in
            var p = stride(from: 0, to: bytes.count, by: 4).map { i in
                bytes[i..<i + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            }
            // Swap the deltas of blocks 2 and 3 (they differ): only p[3] moves.
            let d2 = p[3] - p[2], d3 = p[4] - p[3]
            XCTAssertNotEqual(d2, d3)
            p[3] = p[2] + d3
            bytes = p.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        }
        let error = decodeError(tensors, module)
        XCTAssertEqual(error?.block, 2)
    }

    func testChangedGapIsDetected() throws {
        let (tensors, module) = try bertLayer()
        // Window 600 is in block 1 (windows 512…1023); its field is bits 3000…3004 of `gaps`.
        modify(tensors, module + ".gaps") { $0[3000 / 8] ^= UInt8(0x80 >> (3000 % 8)) }
        let error = decodeError(tensors, module)
        XCTAssertEqual(error?.block, 1)
        XCTAssert(error?.description.contains("window 600") == true, error?.description ?? "")
    }

    func testChangedReachableTableEntryIsDetected() throws {
        let (tensors, module) = try bertLayer()
        let luts = tensors.bytes(of: module + ".luts")!
        let k = luts.count / 256 - 1
        let lengths = luts[(k * 256)...].map { Int($0) }
        // Table 0 maps the first stream byte to some exponent; change it to an exponent of another length.
        let first = tensors.bytes(of: module + ".encoded_exponent")![0]
        let old = Int(luts[Int(first)])
        let replacement = (0..<240).first { lengths[$0] > 0 && lengths[$0] <= 8 && lengths[$0] != lengths[old] }!
        modify(tensors, module + ".luts", shape: [k + 1, 256]) { $0[Int(first)] = UInt8(replacement) }
        // Refused before any block is decoded: the tables are no longer a prefix code's (DecodeTableStructure).
        let error = decodeError(tensors, module)
        XCTAssertNil(error?.block)
        XCTAssert(error?.description.contains("invalid decode tables (luts): table 0") == true, error?.description ?? "")
    }

    /// The bits after the last code, to the end of the stream, are the end-of-file code's first bits (the code
    /// the tables leave, read off its run); a change there decodes the same weights but is not what was written.
    func testChangedBitsAfterTheLastCodeAreDetected() throws {
        var detected = 0, units = 0
        _ = try forEachOfficialUnit { _, unit, _, decoder in
            XCTAssertGreaterThan(decoder.endOfFileCode.length, 0)
            let copy = InMemoryTensors()
            for kind in UnitTensor.allCases {
                let info = decoder.source.tensor(named: unit.module + "." + kind.rawValue)!
                var bytes = [UInt8](repeating: 0, count: Int(info.byteCount))
                try bytes.withUnsafeMutableBytes { try decoder.source.read(tensor: info, range: 0 ..< info.byteCount, into: $0) }
                copy.set(info.name, dtype: info.dtype, shape: info.shape, bytes: bytes)
            }
            // The last bit of the stream: after the last code unless the stream ends on a byte boundary.
            modify(copy, unit.module + ".encoded_exponent") { $0[$0.count - 1] ^= 1 }
            units += 1
            do {
                let changed = try UnitDecoder(module: unit.module, source: copy)
                _ = try changed.decodeBlocks(0 ..< changed.blockCount, scratch: BlockDecodeScratch())
            } catch let error as DFloat11LayoutError {
                if error.description.contains("not the end-of-file code's first bits") { detected += 1 }
            }
        }
        XCTAssertEqual(units, 12)
        XCTAssertGreaterThanOrEqual(detected, 6)
    }

    func testTruncatedTensorsAreRefused() throws {
        for name in ["encoded_exponent", "sign_mantissa", "output_positions", "gaps"] {
            let (tensors, module) = try bertLayer()
            modify(tensors, module + "." + name) { $0.removeLast(4) }
            XCTAssertNotNil(decodeError(tensors, module), name)
        }
        let (tensors, module) = try bertLayer()
        modify(tensors, module + ".luts", shape: [3, 256]) { $0.removeLast(256) }
        XCTAssertNotNil(decodeError(tensors, module))
    }

    func testMissingTensorIsNamed() throws {
        let (tensors, module) = try bertLayer()
        let empty = InMemoryTensors()
        for kind in UnitTensor.allCases where kind != .gaps {
            let name = module + "." + kind.rawValue
            let info = tensors.tensor(named: name)!
            empty.set(name, dtype: info.dtype, shape: info.shape, bytes: tensors.bytes(of: name)!)
        }
        let error = decodeError(empty, module)
        XCTAssert(error?.description.contains("encoder.layer.0.gaps") == true)
    }
}
