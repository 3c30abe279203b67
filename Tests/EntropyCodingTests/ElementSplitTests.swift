import DF11TestSupport
import XCTest
@testable import EntropyCoding

final class ElementSplitTests: XCTestCase {
    /// Every split a layout allows: each k whose symbol fits 12 bits, sign in the symbol or not, every number
    /// of planes that fits below the symbol.
    private func splits(_ layout: FloatLayout) -> [ElementSplit] {
        var splits: [ElementSplit] = []
        for k in 0...layout.mantissaBits {
            for sign in [false, true] {
                for p in 0...8 {
                    if let split = try? ElementSplit(layout: layout, symbolMantissaBits: k, signInSymbol: sign, planeCount: p) {
                        splits.append(split)
                    }
                }
            }
        }
        return splits
    }

    /// The parts are in range, mean what they say (exponent, top mantissa bits, sign, low bytes), and put
    /// back the exact pattern.
    private func check(_ split: ElementSplit, _ x: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let layout = split.layout
        let e = layout.exponentBits, m = layout.mantissaBits, k = split.symbolMantissaBits
        let symbol = split.symbol(of: x), raw = split.raw(of: x), low = split.low(of: x)
        XCTAssertLessThan(Int(symbol), split.alphabetSize, file: file, line: line)
        XCTAssertEqual(raw >> UInt64(split.rawBits), 0, file: file, line: line)
        XCTAssertEqual(low >> UInt64(split.planeBits), 0, "\(split)", file: file, line: line)
        let exponent = (x >> UInt64(m)) & ((1 << UInt64(e)) - 1)
        let sign = x >> UInt64(layout.bits - 1)
        XCTAssertEqual(UInt64(symbol) >> UInt64(k) & ((1 << UInt64(e)) - 1), exponent, file: file, line: line)
        XCTAssertEqual(UInt64(symbol) & ((1 << UInt64(k)) - 1), (x >> UInt64(m - k)) & ((1 << UInt64(k)) - 1), file: file, line: line)
        if split.signInSymbol {
            XCTAssertEqual(UInt64(symbol) >> UInt64(e + k), sign, file: file, line: line)
        } else {
            XCTAssertEqual(raw >> UInt64(split.rawMantissaBits), sign, file: file, line: line)
        }
        XCTAssertEqual(split.element(symbol: symbol, raw: raw, low: low), x, "\(split) of \(x)", file: file, line: line)
    }

    /// All 2^8 and 2^16 patterns of BF16, F16, FP8 E4M3 and E5M2 — every NaN payload, ±Inf, subnormal, −0
    /// and FP8 code among them — through every split, one by one and in bulk.
    func testEveryPatternOfTheOneAndTwoByteLayoutsRoundTrips() throws {
        for layout in [FloatLayout.bf16, .f16, .f8E4M3, .f8E5M2] {
            let splits = splits(layout)
            XCTAssertFalse(splits.isEmpty)
            let patterns = (0..<(UInt64(1) << UInt64(layout.bits)))
            var bytes = [UInt8]()
            for x in patterns { for b in 0..<layout.width { bytes.append(UInt8(truncatingIfNeeded: x >> UInt64(8 * b))) } }
            for split in splits {
                for x in patterns { check(split, x) }
                let parts = try bytes.withUnsafeBytes { try split.split($0) }
                XCTAssertEqual(parts.symbols.count, patterns.count)
                XCTAssertEqual(parts.planes.count, split.planeCount)
                XCTAssertEqual(try split.join(parts), bytes, "\(split)")
            }
        }
    }

    /// F32 and F64: the special patterns (zeros, infinities, quiet and signalling NaNs with payloads, the
    /// smallest and largest subnormals and normals) and 20,000 random ones, through every split.
    func testSampledFourAndEightByteLayoutsRoundTrip() throws {
        var rng = SplitMix64(seed: 0xF3264)
        let f32Specials: [UInt64] = [0, 0x8000_0000, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0xFFC0_0001, 0x7F80_0001,
                                     0x7FBF_FFFF, 0x0000_0001, 0x807F_FFFF, 0x0080_0000, 0x7F7F_FFFF, 0xFFFF_FFFF,
                                     Float.pi.bitPattern.asUInt64, (-Float.ulpOfOne).bitPattern.asUInt64]
        let f64Specials: [UInt64] = [0, 1 << 63, 0x7FF0_0000_0000_0000, 0xFFF0_0000_0000_0000, 0x7FF8_0000_0000_0000,
                                     0xFFF8_0000_0000_0001, 0x7FF0_0000_0000_0001, 0x7FF7_FFFF_FFFF_FFFF, 1,
                                     0x800F_FFFF_FFFF_FFFF, 0x0010_0000_0000_0000, 0x7FEF_FFFF_FFFF_FFFF, ~0,
                                     Double.pi.bitPattern, (-Double.ulpOfOne).bitPattern]
        for (layout, specials) in [(FloatLayout.f32, f32Specials), (.f64, f64Specials)] {
            let mask: UInt64 = layout.bits == 64 ? ~0 : (1 << UInt64(layout.bits)) - 1
            let samples = specials + (0..<20_000).map { _ in rng.next() & mask }
            var bytes = [UInt8]()
            for x in samples { for b in 0..<layout.width { bytes.append(UInt8(truncatingIfNeeded: x >> UInt64(8 * b))) } }
            let splits = splits(layout)
            XCTAssertEqual(splits.map(\.symbolMantissaBits).max(), layout == .f32 ? 4 : 1)
            for split in splits {
                for x in samples.prefix(2_000) { check(split, x) }
                let parts = try bytes.withUnsafeBytes { try split.split($0) }
                XCTAssertEqual(try split.join(parts), bytes, "\(split)")
            }
        }
    }

    /// BF16 with k = 0 is format 1.0's split; FP8's whole-byte split has the byte as its symbol; CODER2's F32
    /// model (exponent + 2 bits, bytes 1 and 0 as planes) keeps the sign and 5 bits raw.
    func testNamedSplitsAreTheDesignedOnes() throws {
        let bf16 = try ElementSplit(layout: .bf16, symbolMantissaBits: 0)
        for w in 0...UInt16.max {
            XCTAssertEqual(bf16.symbol(of: UInt64(w)), UInt16(BF16.exponent(w)))
            XCTAssertEqual(bf16.raw(of: UInt64(w)), UInt64(BF16.signMantissa(w)))
        }
        for layout in [FloatLayout.f8E4M3, .f8E5M2] {
            let whole = try ElementSplit.wholeElement(layout)
            XCTAssertEqual(whole.alphabetSize, 256)
            XCTAssertEqual(whole.rawBits, 0)
            for b in 0..<256 { XCTAssertEqual(whole.symbol(of: UInt64(b)), UInt16(b)) }
        }
        let f32 = try ElementSplit(layout: .f32, symbolMantissaBits: 2, planeCount: 2)
        XCTAssertEqual(f32.symbolBits, 10)
        XCTAssertEqual(f32.rawBits, 6)
        XCTAssertEqual(f32.planeBits, 16)
        let f64 = try ElementSplit(layout: .f64, symbolMantissaBits: 1, planeCount: 6)
        XCTAssertEqual(f64.alphabetSize, 4096)
        XCTAssertEqual(f64.rawBits, 4)
    }

    func testImpossibleSplitsAndPartsAreRefused() throws {
        XCTAssertThrowsError(try ElementSplit(layout: .f32, symbolMantissaBits: 5))  // 13-bit symbol
        XCTAssertThrowsError(try ElementSplit(layout: .f64, symbolMantissaBits: 2))
        XCTAssertThrowsError(try ElementSplit(layout: .bf16, symbolMantissaBits: 4, signInSymbol: true))
        XCTAssertThrowsError(try ElementSplit(layout: .bf16, symbolMantissaBits: 0, planeCount: 1))  // 8 > 7 bits
        XCTAssertThrowsError(try ElementSplit(layout: .f16, symbolMantissaBits: 3, planeCount: 1))
        XCTAssertThrowsError(try ElementSplit(layout: .f16, symbolMantissaBits: -1))
        XCTAssertThrowsError(try ElementSplit(layout: .f8E4M3, symbolMantissaBits: 4))
        let split = try ElementSplit(layout: .f16, symbolMantissaBits: 2, planeCount: 1)
        XCTAssertThrowsError(try [UInt8](repeating: 0, count: 3).withUnsafeBytes { try split.split($0) })
        let parts = try [UInt8](repeating: 0x55, count: 8).withUnsafeBytes { try split.split($0) }
        var bad = parts
        bad.symbols[1] = UInt16(split.alphabetSize)
        XCTAssertThrowsError(try split.join(bad))
        bad = parts
        bad.raw[2] = 1 << UInt64(split.rawBits)
        XCTAssertThrowsError(try split.join(bad))
        bad = parts
        bad.planes = []
        XCTAssertThrowsError(try split.join(bad))
        bad = parts
        bad.raw.removeLast()
        XCTAssertThrowsError(try split.join(bad))
    }
}

private extension UInt32 {
    var asUInt64: UInt64 { UInt64(self) }
}
