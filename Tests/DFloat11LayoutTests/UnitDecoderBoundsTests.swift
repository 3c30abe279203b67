import DF11IO
import DF11TestSupport
import DFloat11Layout
import Safetensors
import XCTest

/// Issue #12, defect 5: a unit's header drives no allocation or read before it is checked against what the
/// rest of the unit implies. Before, a 12 KB sparse unit claiming 4 GB of `output_positions` made verify
/// allocate 8.2 GB and run 17.7 s before refusing it.
final class UnitDecoderBoundsTests: XCTestCase {
    /// A unit whose tensors claim any sizes, backed by a real unit's bytes; records every read.
    final class ClaimingSource: TensorSource {
        let base: InMemoryTensors
        var claims: [String: UInt64] = [:]
        var reads: [(name: String, count: UInt64)] = []
        init(_ base: InMemoryTensors) { self.base = base }
        func tensor(named name: String) -> TensorInfo? {
            guard let info = base.tensor(named: name) else { return nil }
            guard let claimed = claims[name] else { return info }
            return TensorInfo(name: name, dtype: info.dtype, shape: [Int(claimed) / info.dtype.bitsPerElement * 8],
                              dataOffsets: 0 ..< claimed)
        }
        func read(tensor: TensorInfo, range: Range<UInt64>, into buffer: UnsafeMutableRawBufferPointer) throws {
            reads.append((tensor.name, UInt64(range.count)))
            if claims[tensor.name] != nil {     // zeros beyond the real bytes, as in a sparse file
                buffer.initializeMemory(as: UInt8.self, repeating: 0)
                return
            }
            try base.read(tensor: tensor, range: range, into: buffer)
        }
    }

    func testHugeOutputPositionsAreRefusedBeforeAnyRead() throws {
        let unit = "encoder.layer.0"
        let source = ClaimingSource(try goldenBertLayer())
        source.claims[unit + ".output_positions"] = 4 << 30
        XCTAssertThrowsError(try UnitDecoder(module: unit, source: source)) { error in
            guard let error = error as? DFloat11LayoutError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.category, .badData)
            XCTAssertTrue(error.description.contains("\(1 << 30) entries for"), error.description)
        }
        XCTAssertFalse(source.reads.contains { $0.name == unit + ".output_positions" }, "\(source.reads)")
        XCTAssertLessThanOrEqual(source.reads.map(\.count).max() ?? 0, 64 << 10)
    }

    func testHugeSplitPositionsAreReadInBoundedPieces() throws {
        let unit = "encoder.layer.0"
        for claim: UInt64 in [8 << 30, 1 << 20] {
            let source = ClaimingSource(try goldenBertLayer())
            source.claims[unit + ".split_positions"] = claim
            XCTAssertThrowsError(try UnitDecoder(module: unit, source: source)) { error in
                XCTAssertEqual((error as? DF11Failure)?.category, .badData, "\(error)")
                XCTAssertTrue("\(error)".contains(unit + ".split_positions"), "\(error)")
            }
            // The first read of zeros fails the increasing check: at most one 64 KiB piece was read.
            XCTAssertLessThanOrEqual(source.reads.filter { $0.name == unit + ".split_positions" }.map(\.count).reduce(0, +),
                                     64 << 10, "claim \(claim)")
        }
    }
}
