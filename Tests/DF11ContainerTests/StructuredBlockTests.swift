import DF11TestSupport
@testable import DF11Container
import EntropyCoding
import XCTest

/// The structured block (FORMAT.md §5, `BLK ` method 3) with every split the format allows — not only the ones
/// df11's writer picks: every k, plane count and sign placement of every layout — encoded by the writer's block
/// code and decoded by the reader's, byte for byte, through a `CDE2` payload written and parsed again.
final class StructuredBlockTests: XCTestCase {
    /// Elements whose exponents cluster (as weights do) with stretches of random patterns: segment tables, own
    /// tables and raw streams all get used.
    func elements(_ layout: FloatLayout, count: Int, rng: inout SplitMix64) -> [UInt8] {
        var bytes: [UInt8] = []
        let bias = UInt64(1) << UInt64(layout.exponentBits - 1) - 1
        for i in 0..<count {
            var x = rng.next() & (layout.bits == 64 ? ~0 : (UInt64(1) << UInt64(layout.bits)) - 1)
            if (i / 500) % 3 != 2 {
                let exponent = bias - 1 - rng.next() % 4
                let field = ((UInt64(1) << UInt64(layout.exponentBits)) - 1) << UInt64(layout.mantissaBits)
                x = x & ~field | exponent << UInt64(layout.mantissaBits)
            }
            for b in 0..<layout.width { bytes.append(UInt8(truncatingIfNeeded: x >> UInt64(8 * b))) }
        }
        return bytes
    }

    /// Every valid split of `layout`.
    func splits(_ layout: FloatLayout) -> [ElementSplit] {
        var all: [ElementSplit] = []
        for sign in [false, true] {
            for k in 0...layout.mantissaBits {
                for p in 0...((layout.mantissaBits - k) / 8) {
                    if let split = try? ElementSplit(layout: layout, symbolMantissaBits: k, signInSymbol: sign, planeCount: p) {
                        all.append(split)
                    }
                }
            }
        }
        return all
    }

    func testEverySplitOfEveryLayoutRoundTrips() throws {
        var rng = SplitMix64(seed: 31)
        let blockBytes = 2048
        var tried = 0
        for layout in FloatLayout.all {
            let data = elements(layout, count: 3 * blockBytes / layout.width + 3, rng: &rng)
            for split in splits(layout) {
                for tableLog in [10, 15] {  // the range's ends; 12, the default, is everywhere else
                    let encoder = StructuredSegmentEncoder(layout: layout, tableLog: tableLog, blockBytes: blockBytes,
                                                           splits: [split])
                    try data.withUnsafeBytes { bytes in
                        let plan = try encoder.plan(bytes)
                        XCTAssertEqual(plan.split, split)
                        // The CDE2 payload as a reader sees it.
                        var payload = [UInt8](repeating: 0, count: plan.payload.size)
                        payload.withUnsafeMutableBytes { raw in
                            var w = LittleEndianWriter(raw)
                            plan.payload.encode(into: &w)
                        }
                        let parsed = try StructuredCodePayload(parsing: payload, layout: layout, file: "test")
                        XCTAssertEqual(parsed.tables, plan.payload.tables)
                        let decoder = StructuredBlockDecoder(code: try StructuredSegmentCode(parsed),
                                                             scratch: StructuredScratch(blockBytes: blockBytes))
                        let scratch = StructuredScratch(blockBytes: blockBytes)
                        let room = UnsafeMutableRawBufferPointer.allocate(
                            byteCount: StructuredBlock.maxTrialBytes(blockBytes: blockBytes), alignment: 8)
                        defer { room.deallocate() }
                        for b in 0 ..< (bytes.count + blockBytes - 1) / blockBytes {
                            let block = UnsafeRawBufferPointer(rebasing: bytes[b * blockBytes ..< min(bytes.count, (b + 1) * blockBytes)])
                            var w = LittleEndianWriter(room)
                            _ = try encoder.writeBlock(block, plan: plan, block: b, scratch: scratch, into: &w)
                            var reader = LittleEndianReader(UnsafeRawBufferPointer(rebasing: room[0..<w.count]))
                            var out = [UInt8](repeating: 0xAA, count: block.count)
                            let problem = out.withUnsafeMutableBytes { decoder.decode(&reader, into: $0) }
                            XCTAssertNil(problem, "\(split), log \(tableLog), block \(b)")
                            XCTAssertTrue(out.elementsEqual(block), "\(split), log \(tableLog), block \(b)")
                        }
                    }
                    tried += 1
                }
            }
        }
        XCTAssertGreaterThan(tried, 100)
    }
}
