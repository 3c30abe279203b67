import XCTest
@testable import DF11Pipeline

final class OrderedPipelineTests: XCTestCase {
    func testResultsArriveInProductionOrder() throws {
        var next = 0
        var consumed: [Int] = []
        try OrderedPipeline.run(
            threads: 4, maxInFlight: 6,
            produce: { () -> Int? in
                defer { next += 1 }
                return next < 500 ? next : nil
            },
            work: { job -> Int in
                if job % 7 == 0 { usleep(200) }  // finish out of order
                return job * 2
            },
            consume: { consumed.append($0) })
        XCTAssertEqual(consumed, (0..<500).map { $0 * 2 })
    }

    func testNeverMoreThanMaxInFlight() throws {
        let lock = NSLock()
        var live = 0
        var peak = 0
        var next = 0
        try OrderedPipeline.run(
            threads: 3, maxInFlight: 5,
            produce: { () -> Int? in
                guard next < 200 else { return nil }
                next += 1
                lock.lock(); live += 1; peak = max(peak, live); lock.unlock()
                return next
            },
            work: { $0 },
            consume: { _ in lock.lock(); live -= 1; lock.unlock() })
        XCTAssertLessThanOrEqual(peak, 5)
    }

    struct Boom: Error, Equatable { let job: Int }

    func testFirstErrorInOrderIsRethrownAndProductionStops() {
        var next = 0
        var consumed: [Int] = []
        XCTAssertThrowsError(try OrderedPipeline.run(
            threads: 2, maxInFlight: 4,
            produce: { () -> Int? in
                defer { next += 1 }
                return next < 10_000 ? next : nil
            },
            work: { job -> Int in
                if job == 20 || job == 21 { throw Boom(job: job) }
                return job
            },
            consume: { consumed.append($0) })
        ) { error in
            XCTAssertEqual(error as? Boom, Boom(job: 20))
        }
        XCTAssertEqual(consumed, Array(0..<20))
        XCTAssertLessThan(next, 100)
    }

    func testEmptyInput() throws {
        var calls = 0
        try OrderedPipeline.run(threads: 2, maxInFlight: 2,
                                produce: { () -> Int? in nil },
                                work: { $0 }, consume: { _ in calls += 1 })
        XCTAssertEqual(calls, 0)
    }
}
