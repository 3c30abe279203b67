import XCTest
import DF11Kit

final class ByteFormattingTests: XCTestCase {
    func testBytes() {
        XCTAssertEqual(ByteFormatting.bytes(0), "0 B")
        XCTAssertEqual(ByteFormatting.bytes(999), "999 B")
        XCTAssertEqual(ByteFormatting.bytes(1_234_567), "1.23 MB")
        XCTAssertEqual(ByteFormatting.bytes(45_600_000), "45.6 MB")
        XCTAssertEqual(ByteFormatting.bytes(2_000_000_000), "2.00 GB")
    }

    func testDuration() {
        XCTAssertEqual(ByteFormatting.duration(7), "0:07")
        XCTAssertEqual(ByteFormatting.duration(754), "12:34")
        XCTAssertEqual(ByteFormatting.duration(3723), "1:02:03")
    }

    func testFormatted() {
        XCTAssertEqual(ByteFormatting.formatted(1.005, digits: 1), "1.0")
        XCTAssertEqual(ByteFormatting.formatted(68.04, digits: 2), "68.04")
        XCTAssertEqual(ByteFormatting.formatted(3, digits: 0), "3")
    }
}
