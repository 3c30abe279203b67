import XCTest
@testable import DF11Pipeline

/// `OrderedPipeline.runsSingleThreadInline` (set by the fuzz targets, tools/fuzz): a one-thread pipeline runs on
/// the calling thread with the same order, results and first error; pipelines of more threads are unaffected.
final class InlinePipelineTests: XCTestCase {
    override func tearDown() { OrderedPipeline.runsSingleThreadInline = false }

    struct Boom: Error, Equatable { let job: Int }

    func run(threads: Int, failAt: Int? = nil) -> (consumed: [Int], error: Boom?, workerThreads: Set<Bool>) {
        var next = 0
        var consumed: [Int] = []
        var onCaller = Set<Bool>()
        let lock = NSLock()
        do {
            try OrderedPipeline.run(
                threads: threads, maxInFlight: threads + 2,
                produce: { () -> Int? in
                    defer { next += 1 }
                    return next < 100 ? next : nil
                },
                work: { job -> Int in
                    lock.lock(); onCaller.insert(Thread.isMainThread); lock.unlock()
                    if job == failAt { throw Boom(job: job) }
                    return job * 3
                },
                consume: { consumed.append($0) })
            return (consumed, nil, onCaller)
        } catch {
            return (consumed, error as? Boom, onCaller)
        }
    }

    func testInlineRunsOnTheCallingThreadWithTheSameResults() {
        let threaded = run(threads: 1)
        OrderedPipeline.runsSingleThreadInline = true
        let inline = run(threads: 1)
        XCTAssertEqual(inline.consumed, threaded.consumed)
        XCTAssertEqual(inline.consumed, (0 ..< 100).map { $0 * 3 })
        XCTAssertEqual(inline.workerThreads, [true], "work ran off the calling (main) thread")
        XCTAssertEqual(threaded.workerThreads, [false])
    }

    func testInlineStopsAtTheFirstErrorWithEverythingBeforeItConsumed() {
        OrderedPipeline.runsSingleThreadInline = true
        let inline = run(threads: 1, failAt: 42)
        XCTAssertEqual(inline.error, Boom(job: 42))
        XCTAssertEqual(inline.consumed, (0 ..< 42).map { $0 * 3 })
    }

    func testSeveralThreadsStayThreaded() {
        OrderedPipeline.runsSingleThreadInline = true
        let threaded = run(threads: 3)
        XCTAssertEqual(threaded.consumed, (0 ..< 100).map { $0 * 3 })
        XCTAssertEqual(threaded.workerThreads, [false])
    }
}
