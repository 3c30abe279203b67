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

    /// A free buffer that fits is preferred to one that would have to be replaced, and a buffer that is too small
    /// is replaced by one at least twice its size (up to the capacity): jobs of growing sizes replace a buffer a
    /// few times, not once per job.
    func testAPoolPrefersAFittingBufferAndGrowsByDoubling() {
        let pool = BufferPool(count: 2, capacity: 1 << 16)
        let small = pool.take(atLeast: 100), large = pool.take(atLeast: 5000)
        pool.give(large)
        pool.give(small)  // the last given, which a last-in-first-out pool would hand out next
        let fitting = pool.take(atLeast: 4000)
        XCTAssertEqual(fitting.baseAddress, large.baseAddress)
        pool.give(fitting)
        XCTAssertEqual(pool.allocatedBytes, 5100)
        // Sizes growing by 10 % a job: without doubling, every job would replace the buffer.
        let single = BufferPool(count: 1, capacity: 1 << 20)
        var size = 1000, replaced = 0
        var last = single.take(atLeast: size)
        single.give(last)
        while size < 1 << 19 {
            size = size * 11 / 10
            let buffer = single.take(atLeast: size)
            if buffer.baseAddress != last.baseAddress || buffer.count != last.count { replaced += 1 }
            XCTAssertGreaterThanOrEqual(buffer.count, size)
            XCTAssertLessThanOrEqual(buffer.count, 1 << 20)
            last = buffer
            single.give(buffer)
        }
        XCTAssertLessThanOrEqual(replaced, 10)
    }
}
