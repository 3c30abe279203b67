import DF11TestSupport
import XCTest
import DF11IO
import Safetensors
@testable import DFloat11Layout

/// `UnitDecoder.decodeBlocks` (the fast, block-parallel path) against `decode` (the sequential reference).
final class BlockDecodingTests: XCTestCase {
    /// The words of every block, decoded in groups of `group` blocks.
    func decodeInGroups(_ decoder: UnitDecoder, group: Int) throws -> [UInt16] {
        let scratch = BlockDecodeScratch()
        var all: [UInt16] = []
        for start in stride(from: 0, to: decoder.blockCount, by: group) {
            let range = start ..< min(start + group, decoder.blockCount)
            all += try decoder.decodeBlocks(range, scratch: scratch)
        }
        return all
    }

    func testEveryOfficialUnitDecodesAlikeInAnyGrouping() throws {
        let units = try forEachOfficialUnit { goldenCase, unit, _, decoder in
            let reference = try decoder.decodeAll()
            for group in [1, 2, 3, 1000] {
                XCTAssert(try decodeInGroups(decoder, group: group) == reference, "\(goldenCase.name)/\(unit.module) by \(group)")
            }
            // Exponents only: same checks, no words.
            XCTAssertEqual(try decoder.decodeBlocks(0 ..< decoder.blockCount, scratch: BlockDecodeScratch(), words: false).count, 0)
        }
        XCTAssertEqual(units, 12)
    }

    /// The bert-1layer `encoder.layer.0` unit in memory (10 blocks).
    func bertLayer() throws -> InMemoryTensors { try goldenBertLayer() }

    enum Outcome: Equatable { case words([UInt16]), failure(block: Int?) }

    func outcomes(_ tensors: InMemoryTensors, group: Int) -> (reference: Outcome, blocks: Outcome) {
        let module = "encoder.layer.0"
        func run(_ body: (UnitDecoder) throws -> [UInt16]) -> Outcome {
            do { return .words(try body(try UnitDecoder(module: module, source: tensors))) } catch let error as DFloat11LayoutError {
                return .failure(block: error.block)
            } catch { return .failure(block: -1) }
        }
        return (run { try $0.decodeAll() }, run { try self.decodeInGroups($0, group: group) })
    }

    /// Single-bit flips of the bitstream, the gaps and the output positions: the block path fails exactly when
    /// the reference fails, in the same block, and otherwise decodes the same words.
    func testBitFlipsAreJudgedLikeTheReference() throws {
        let clean = try bertLayer()
        let module = "encoder.layer.0"
        var targets: [(String, Int)] = []
        let streamBytes = clean.bytes(of: module + ".encoded_exponent")!.count
        for bit in stride(from: 0, to: streamBytes * 8, by: 601) { targets.append(("encoded_exponent", bit)) }
        for bit in stride(from: 0, to: 8 * 64, by: 5) { targets.append(("encoded_exponent", streamBytes * 8 - 8 * 64 + bit)) }
        for bit in stride(from: 0, to: clean.bytes(of: module + ".gaps")!.count * 8, by: 53) { targets.append(("gaps", bit)) }
        for bit in stride(from: 0, to: clean.bytes(of: module + ".output_positions")!.count * 8, by: 5) { targets.append(("output_positions", bit)) }
        var failures = 0
        for (index, (tensor, bit)) in targets.enumerated() {
            let tensors = try bertLayer()
            let name = module + "." + tensor
            let info = tensors.tensor(named: name)!
            var bytes = tensors.bytes(of: name)!
            bytes[bit / 8] ^= UInt8(0x80 >> (bit % 8))
            tensors.set(name, dtype: info.dtype, shape: info.shape, bytes: bytes)
            let (reference, blocks) = outcomes(tensors, group: 1 + index % 4)
            XCTAssertEqual(reference, blocks, "\(tensor) bit \(bit)")
            if case .failure = reference { failures += 1 }
        }
        XCTAssertGreaterThan(failures, targets.count / 4)
    }

    func testLutEntryChangesAreJudgedLikeTheReference() throws {
        let module = "encoder.layer.0"
        let luts = try bertLayer().bytes(of: module + ".luts")!
        for index in stride(from: 0, to: luts.count, by: 23) {
            for value: UInt8 in [0, 100, 121, 239, 255, luts[index] &+ 1] {
                let tensors = try bertLayer()
                var bytes = luts
                bytes[index] = value
                tensors.set(module + ".luts", dtype: .u8, shape: [luts.count / 256, 256], bytes: bytes)
                let (reference, blocks) = outcomes(tensors, group: 3)
                XCTAssertEqual(reference, blocks, "luts[\(index)] = \(value)")
            }
        }
    }
}
