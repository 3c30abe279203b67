import DF11TestSupport
import XCTest
import Foundation
@testable import DF11IO

final class FileDescriptorSourceTests: XCTestCase {
    func testReadsEverythingWrittenIntoAPipe() throws {
        let payload = (0 ..< 200_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let source = pipeSource(payload, name: "pipe")
        XCTAssertNil(source.knownSize)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try source.readFully(into: $0) }
            if count == 0 { break }
            received += buffer[0 ..< count]
        }
        XCTAssertEqual(received, payload)
    }
}
