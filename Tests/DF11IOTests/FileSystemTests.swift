import DF11TestSupport
import Foundation
import XCTest
@testable import DF11IO

final class FileSystemTests: XCTestCase {
    var directory = ""
    override func setUp() { directory = makeTemporaryDirectory() }
    override func tearDown() { removeTree(directory) }

    /// Regression (AddressSanitizer, `make sanitize`): `entries` copied each whole `dirent`, 256 bytes of name
    /// included, and a record at the end of readdir's buffer is shorter than that. Names of every length, enough
    /// of them to fill several buffers: every name comes back, sorted bytewise, and nothing is read past a record.
    func testEntriesListsEveryNameOfEveryLength() throws {
        var expected: [String] = []
        for length in 1 ... 255 {
            for variant in 0 ..< 3 {
                let name = String(repeating: Character(UnicodeScalar(UInt8(97 + variant))), count: length)
                FileManager.default.createFile(atPath: directory + "/" + name, contents: nil)
                expected.append(name)
            }
        }
        let listed = try FileSystem.entries(of: directory)
        XCTAssertEqual(listed, expected.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
    }
}
