import DF11TestSupport
import XCTest
@testable import EntropyCoding

final class RawBitPackingTests: XCTestCase {
    private func pack(_ values: [UInt64], width: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0xEE, count: RawBitPacking.byteCount(count: values.count, width: width))
        values.withUnsafeBufferPointer { v in out.withUnsafeMutableBytes { RawBitPacking.pack(v, width: width, into: $0) } }
        return out
    }

    private func unpack(_ bytes: [UInt8], count: Int, width: Int) throws -> [UInt64] {
        var out = [UInt64](repeating: 0xDEAD, count: count)
        try bytes.withUnsafeBytes { b in try out.withUnsafeMutableBufferPointer { try RawBitPacking.unpack(b, width: width, into: $0) } }
        return out
    }

    /// Every width 0…56 and lengths around a byte and a load: exact round trips, the bit layout (value i at
    /// bits i·w…, LSB-first) and zero padding.
    func testRoundTripAndLayout() throws {
        var rng = SplitMix64(seed: 0xB175)
        for width in 0...RawBitPacking.maxWidth {
            for count in [0, 1, 2, 7, 8, 9, 63, 1000] {
                let mask: UInt64 = (1 << UInt64(width)) - 1
                let values = (0..<count).map { _ in rng.next() & mask }
                let bytes = pack(values.map { $0 | (~mask & 0xF0F0_0000_0000_0000) }, width: width)  // high bits ignored
                XCTAssertEqual(bytes.count, (count * width + 7) / 8)
                XCTAssertEqual(try unpack(bytes, count: count, width: width), values, "width \(width), count \(count)")
                for (i, v) in values.enumerated().prefix(20) {
                    for bit in 0..<width {
                        let b = i * width + bit
                        XCTAssertEqual(UInt64(bytes[b / 8] >> UInt8(b % 8)) & 1, (v >> UInt64(bit)) & 1)
                    }
                }
                if (count * width) % 8 != 0 {
                    XCTAssertEqual(bytes.last! >> UInt8((count * width) % 8), 0)
                    var padded = bytes
                    padded[padded.count - 1] |= 0x80
                    XCTAssertThrowsError(try unpack(padded, count: count, width: width))
                }
                if !bytes.isEmpty { XCTAssertThrowsError(try unpack(Array(bytes.dropLast()), count: count, width: width)) }
                XCTAssertThrowsError(try unpack(bytes + [0], count: count, width: width))
            }
        }
    }

    /// `splitWords` and `joinWords` are `ElementSplit`'s per-element functions in bulk, for every 2-byte
    /// split without planes, on all 2^16 patterns; damaged raw bits and symbols are refused.
    func testSplitAndJoinWordsOfEveryPattern() throws {
        let words = (0...UInt16.max).map { $0 }
        for layout in [FloatLayout.bf16, .f16] {
            for k in 0...layout.mantissaBits {
                for sign in [false, true] {
                    guard let split = try? ElementSplit(layout: layout, symbolMantissaBits: k, signInSymbol: sign) else { continue }
                    var symbols = [UInt16](repeating: 0, count: words.count)
                    var raw = [UInt8](repeating: 0xEE, count: RawBitPacking.byteCount(count: words.count, width: split.rawBits))
                    words.withUnsafeBufferPointer { w in
                        symbols.withUnsafeMutableBufferPointer { s in
                            raw.withUnsafeMutableBytes { split.splitWords(w.baseAddress!, count: w.count, symbols: s.baseAddress!, raw: $0) }
                        }
                    }
                    XCTAssertEqual(symbols, words.map { split.symbol(of: UInt64($0)) }, "\(split)")
                    XCTAssertEqual(raw, pack(words.map { split.raw(of: UInt64($0)) }, width: split.rawBits), "\(split)")
                    func join(_ symbols: [UInt16], _ raw: [UInt8], count: Int) throws -> [UInt16] {
                        var out = [UInt16](repeating: 0, count: count)
                        try symbols.withUnsafeBufferPointer { s in
                            try raw.withUnsafeBytes { r in
                                try out.withUnsafeMutableBufferPointer {
                                    try split.joinWords(symbols: s.baseAddress!, raw: r, count: count, into: $0.baseAddress!)
                                }
                            }
                        }
                        return out
                    }
                    XCTAssertEqual(try join(symbols, raw, count: words.count), words, "\(split)")
                    // A short prefix exercises the checked tail.
                    let short = 13
                    let shortRaw = pack(words.prefix(short).map { split.raw(of: UInt64($0)) }, width: split.rawBits)
                    XCTAssertEqual(try join(Array(symbols.prefix(short)), shortRaw, count: short), Array(words.prefix(short)))
                    XCTAssertThrowsError(try join(symbols, raw + [0], count: words.count))
                    if split.symbolBits < 16 {
                        var bad = symbols
                        bad[12345] = UInt16(split.alphabetSize)
                        XCTAssertThrowsError(try join(bad, raw, count: words.count))
                    }
                }
            }
        }
    }
}
