import DF11TestSupport
import XCTest
@testable import DF11IO

final class InputFileTests: XCTestCase {
    var directory = ""
    override func setUp() { directory = makeTemporaryDirectory() }
    override func tearDown() { removeTree(directory) }

    func testSequentialAndPositionedReads() throws {
        let path = directory + "/data.bin"
        let bytes = (0 ..< 1000).map { UInt8($0 % 251) }
        writeFile(path, bytes)
        let file = try InputFile(path: path)
        XCTAssertEqual(file.size, 1000)
        XCTAssertEqual(file.knownSize, 1000)
        var buffer = [UInt8](repeating: 0, count: 300)
        let got = try buffer.withUnsafeMutableBytes { try file.readFully(into: $0) }
        XCTAssertEqual(got, 300)
        XCTAssertEqual(buffer, Array(bytes[0 ..< 300]))
        var slice = [UInt8](repeating: 0, count: 10)
        try slice.withUnsafeMutableBytes { try file.read(at: 990, into: $0) }
        XCTAssertEqual(slice, Array(bytes[990 ..< 1000]))
    }

    func testTruncatedPositionedReadIsBadData() throws {
        let path = directory + "/short.bin"
        writeFile(path, [1, 2, 3])
        let file = try InputFile(path: path)
        var buffer = [UInt8](repeating: 0, count: 8)
        XCTAssertThrowsError(try buffer.withUnsafeMutableBytes { try file.read(at: 0, into: $0) }) { error in
            let failure = error as? IOFailure
            XCTAssertEqual(failure?.category, .badData)
            XCTAssertTrue(failure?.description.contains("truncated") ?? false)
        }
    }

    func testMissingFileAndDirectoryAreRefused() {
        XCTAssertThrowsError(try InputFile(path: directory + "/nope.safetensors")) { error in
            XCTAssertEqual((error as? IOFailure)?.category, .couldNotRun)
            XCTAssertEqual((error as? IOFailure)?.description,
                           "cannot open '\(directory)/nope.safetensors': No such file or directory")
        }
        XCTAssertThrowsError(try InputFile(path: directory)) { error in
            XCTAssertTrue((error as? IOFailure)?.description.contains("is a directory") ?? false)
        }
    }

    func testReadExactlyNamesWhatIsMissing() throws {
        let path = directory + "/x.bin"
        writeFile(path, [1, 2])
        let file = try InputFile(path: path)
        var buffer = [UInt8](repeating: 0, count: 4)
        XCTAssertThrowsError(try buffer.withUnsafeMutableBytes { try file.readExactly(into: $0, what: "the header") }) {
            XCTAssertTrue("\($0)".contains("the header"))
        }
    }
}
