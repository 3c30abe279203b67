import JSON
import DF11TestSupport
import XCTest
@testable import JSON

final class JSONParserTests: XCTestCase {
    let parser = JSONParser()

    func parseError(_ text: String) -> JSONParseError? {
        do {
            _ = try parser.parse(text)
            return nil
        } catch {
            return error as? JSONParseError
        }
    }

    func testKeepsOrderAndValues() throws {
        let value = try parser.parse(#" {"b":1,"a":[true,false,null],"c":{"x":"y"},"f":-1.5e3,"big":18446744073709551615} "#)
        XCTAssertEqual(value.members?.map(\.key), ["b", "a", "c", "f", "big"])
        XCTAssertEqual(value["b"], .integer(1))
        XCTAssertEqual(value["a"], .array([.bool(true), .bool(false), .null]))
        XCTAssertEqual(value["c"]?["x"]?.stringValue, "y")
        XCTAssertEqual(value["f"], .number("-1.5e3"))
        XCTAssertEqual(value["big"]?.uint64Value, UInt64.max)
    }

    func testIntegerOverflowIsKeptAsTextNotWrapped() throws {
        let value = try parser.parse("18446744073709551616")
        XCTAssertNil(value.uint64Value)
        XCTAssertEqual(value.kindDescription, "an integer too large for 64 bits")
    }

    func testEscapesAndSurrogatePairs() throws {
        let value = try parser.parse(#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#)
        XCTAssertEqual(value.stringValue, "a\"\\/\u{8}\u{c}\n\r\té😀")
        XCTAssertEqual(parseError(#""\ud83d""#)?.reason, .badEscape("unpaired high surrogate"))
        XCTAssertEqual(parseError(#""\ude00""#)?.reason, .badEscape("unpaired low surrogate"))
        XCTAssertNotNil(parseError(#""\x""#))
        XCTAssertNotNil(parseError("\"a\u{1}\""))
    }

    func testInvalidUTF8IsReportedWithItsOffset() {
        XCTAssertThrowsError(try parser.parse([0x22, 0x61, 0xFF, 0x22])) {
            XCTAssertEqual($0 as? JSONParseError, JSONParseError(reason: .invalidUTF8, offset: 2))
        }
        XCTAssertThrowsError(try parser.parse([0x22, 0xED, 0xA0, 0x80, 0x22]), "encoded surrogate")
        XCTAssertThrowsError(try parser.parse([0x22, 0xC0, 0x80, 0x22]), "overlong")
    }

    func testDuplicateKeysAreRejected() {
        XCTAssertEqual(parseError(#"{"a":{"k":1,"k":2}}"#)?.reason, .duplicateKey(key: "k", objectPath: ["a"]))
        XCTAssertEqual(parseError(#"{"a":1,"a":2}"#)?.offset, 7)
    }

    func testGrammarErrors() {
        for bad in ["", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "tru", "{} x", "{'a':1}", "[1 2]"] {
            XCTAssertNotNil(parseError(bad), bad)
        }
    }

    func testDepthLimit() {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        XCTAssertEqual(parseError(deep)?.reason, .tooDeep(limit: 64))
        XCTAssertNil(parseError(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)))
    }

    func testEncodeIsCompactAndEscapesLikeSerdeJSON() throws {
        let value: JSONValue = .object([JSONMember(key: "k\u{1}\"", value: .array([.integer(3), .number("1e-5"),
                                                                                     .string("é\t"), .null]))])
        XCTAssertEqual(String(decoding: value.encode(), as: UTF8.self), #"{"k\u0001\"":[3,1e-5,"é\t",null]}"#)
        XCTAssertEqual(try parser.parse(value.encode()), value)
    }
}
