import XCTest
@testable import DF11Pipeline

final class SideJobTests: XCTestCase {
    struct Failure: Error, Equatable { let code: Int }

    func testRunsBesideTheCallerAndRethrowsOnWait() throws {
        final class Box: @unchecked Sendable { var value = 0 }
        let box = Box()
        let side = SideJob { usleep(10_000); box.value = 42 }
        try side.wait()
        XCTAssertEqual(box.value, 42)
        let failing = SideJob { throw Failure(code: 7) }
        XCTAssertThrowsError(try failing.wait()) { XCTAssertEqual($0 as? Failure, Failure(code: 7)) }
        failing.waitIgnoringErrors()
    }

    func testResourcePoolDrainHandsBackEveryIdleResource() {
        var made = 0
        let pool = ResourcePool<Int> { made += 1; return made }
        pool.withResource { first in pool.withResource { second in XCTAssertNotEqual(first, second) } }
        var drained: [Int] = []
        pool.drain { drained.append($0) }
        XCTAssertEqual(drained.sorted(), [1, 2])
        pool.drain { _ in XCTFail("drained twice") }
        XCTAssertEqual(pool.withResource { $0 }, 3)   // a fresh one after the drain
    }
}
