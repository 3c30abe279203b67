import DF11TestSupport
import XCTest
import EntropyCoding

final class BF16Tests: XCTestCase {
    func testSplitIsABijectionOverAllWords() {
        var seen = Set<UInt16>()
        for w in 0...UInt16.max {
            let e = BF16.exponent(w), sm = BF16.signMantissa(w)
            XCTAssertEqual(e, UInt8((w >> 7) & 0xFF))
            XCTAssertEqual(sm, UInt8(((w >> 8) & 0x80) | (w & 0x7F)))
            XCTAssertEqual(BF16.word(exponent: e, signMantissa: sm), w)
            seen.insert(UInt16(e) << 8 | UInt16(sm))
        }
        XCTAssertEqual(seen.count, 65536)
    }

    func testKnownValues() {
        // 1.0 = 0x3F80: exponent 127, mantissa 0, sign 0.  -2.0 = 0xC000: exponent 128, sign 1.
        XCTAssertEqual(BF16.exponent(0x3F80), 127)
        XCTAssertEqual(BF16.signMantissa(0x3F80), 0)
        XCTAssertEqual(BF16.exponent(0xC000), 128)
        XCTAssertEqual(BF16.signMantissa(0xC000), 0x80)
        XCTAssertEqual(BF16.signMantissa(0x807F), 0xFF)
        XCTAssertEqual(BF16.word(exponent: 0xFF, signMantissa: 0xFF), 0xFFFF)
    }
}
