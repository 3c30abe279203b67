import XCTest
@testable import DF11Pipeline

final class BufferPoolTests: XCTestCase {
    func testAPoolKeepsGivenBuffersForReuse() {
        let pool = BufferPool(count: 2, capacity: 1 << 16)
        let a = pool.take(atLeast: 1000)
        pool.give(a)
        let b = pool.take(atLeast: 500)
        XCTAssertEqual(a.baseAddress, b.baseAddress)
        pool.give(b)
        XCTAssertEqual(pool.allocatedBytes, 1000)
    }

    func testAPoolThatDoesNotKeepBuffersFreesThemWhenGiven() {
        let pool = BufferPool(count: 4, capacity: 1 << 16, keepsGivenBuffers: false)
        let a = pool.take(atLeast: 1000), b = pool.take(atLeast: 3000)
        XCTAssertEqual(pool.allocatedBytes, 4000)
        pool.give(a)
        XCTAssertEqual(pool.allocatedBytes, 3000)
        pool.give(b)
        XCTAssertEqual(pool.allocatedBytes, 0)
        // Still at most `count` buffers at once: all four can be taken again.
        let all = (0..<4).map { _ in pool.take(atLeast: 10) }
        XCTAssertEqual(pool.allocatedBytes, 40)
        all.forEach(pool.give)
    }
}
