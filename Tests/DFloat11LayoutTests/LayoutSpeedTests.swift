import XCTest
import Foundation
@testable import DFloat11Layout

/// Encode and decode speed on one thread, 16 M synthetic weights with a realistic exponent spread. Runs only
/// with DF11_LAYOUT_BENCH=1, meant for a release build:
/// `DF11_LAYOUT_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter LayoutSpeedTests`
final class LayoutSpeedTests: XCTestCase {
    func testSpeed() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["DF11_LAYOUT_BENCH"] == "1")
        let n = 16 << 20
        var state: UInt64 = 0x9E3779B97F4A7C15
        let words = (0..<n).map { _ -> UInt16 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            // Roughly normal weights: sum of uniform bits gives an exponent near 120 ± 3.
            let r = state >> 32
            let exponent = UInt16(117 + (r & 3) + (r >> 2 & 3) + (r >> 4 & 1))
            return UInt16(truncatingIfNeeded: r >> 16) & 0x807F | exponent << 7
        }
        func time(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        var statistics = UnitStatistics()
        let tStats = time { statistics.add(words: words) }
        let encoder = try UnitEncoder(unit: "bench", statistics: statistics)
        var stream: [UInt8] = []
        stream.reserveCapacity(Int(encoder.geometry.encodedBytes))
        var indexes: UnitStreamAssembler.Indexes!
        let tEncode = try time {
            let assembler = UnitStreamAssembler(encoder: encoder) { bytes, _ in stream.append(contentsOf: bytes) }
            var bit: UInt64 = 0
            for start in stride(from: 0, to: n, by: 1 << 20) {
                try words[start..<start + (1 << 20)].withUnsafeBufferPointer {
                    try assembler.append(encoder.encodeChunk(words: $0, startingBit: bit, firstElementIndex: UInt64(start)))
                    bit += encoder.bitCount(of: $0)
                }
            }
            indexes = try assembler.finish()
        }
        let tensors = InMemoryTensors()
        tensors.set("m.luts", dtype: .u8, shape: [encoder.tables.tableCount + 1, 256], bytes: encoder.tables.bytes)
        tensors.set("m.encoded_exponent", dtype: .u8, shape: [stream.count], bytes: stream)
        tensors.set("m.sign_mantissa", dtype: .u8, shape: [n], bytes: words.map { UInt8(($0 >> 8) & 0x80 | $0 & 0x7F) })
        tensors.set("m.output_positions", dtype: .u8, shape: [indexes.outputPositions.count], bytes: indexes.outputPositions)
        tensors.set("m.gaps", dtype: .u8, shape: [indexes.gaps.count], bytes: indexes.gaps)
        tensors.set("m.split_positions", dtype: .i64, shape: [0], bytes: [])
        var decodedCount = 0
        var mismatch = false
        let tDecode = try time {
            try UnitDecoder(module: "m", source: tensors).decode { block in
                if !mismatch && !block.elementsEqual(words[decodedCount..<decodedCount + block.count]) { mismatch = true }
                decodedCount += block.count
            }
        }
        XCTAssertFalse(mismatch)
        XCTAssertEqual(decodedCount, n)
        let bits = Double(encoder.geometry.payloadBits) / Double(n)
        print(String(format: "layout speed: %d weights, %.2f bits/weight; statistics %.0f M/s, encode (bitstream+gaps+positions, bit counts included) %.0f M weights/s, decode+check %.0f M weights/s",
                     n, bits, Double(n) / tStats / 1e6, Double(n) / tEncode / 1e6, Double(n) / tDecode / 1e6))
    }
}
