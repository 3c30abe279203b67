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

    func testWeightsBoundTheJobsInFlightByTheirSum() throws {
        // Every fifth job weighs 10, the others 1; the jobs in flight may weigh 30, plus the last one produced.
        let lock = NSLock()
        var weight = 0, jobs = 0, peakWeight = 0, peakJobs = 0
        var next = 0
        let weightOf = { (job: Int) -> Int in job % 5 == 0 ? 10 : 1 }
        try OrderedPipeline.run(
            threads: 2, maxInFlight: 100, weight: weightOf, maxWeight: 30,
            produce: { () -> Int? in
                guard next < 300 else { return nil }
                next += 1
                lock.lock()
                weight += weightOf(next); jobs += 1
                peakWeight = max(peakWeight, weight); peakJobs = max(peakJobs, jobs)
                lock.unlock()
                return next
            },
            work: { job -> Int in
                if job % 5 == 0 { usleep(300) }  // the heavy jobs hold the line
                return job
            },
            consume: { job in lock.lock(); weight -= weightOf(job); jobs -= 1; lock.unlock() })
        XCTAssertLessThan(peakWeight, 30 + 10)
        // The light jobs went ahead: more were in flight than three heavy ones (30 / 10) would allow.
        XCTAssertGreaterThan(peakJobs, 4)
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
