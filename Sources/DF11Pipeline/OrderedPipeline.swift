import Dispatch
import Foundation

/// Runs independent jobs on several threads while keeping their results in order and their number bounded.
///
/// The calling thread produces jobs and consumes results; `threads` Dispatch workers run `work`. At most
/// `maxInFlight` jobs exist at any moment (produced but not yet consumed), so the memory a pipeline holds
/// is bounded by `maxInFlight` times the size of one job, whatever the size of the input.
///
/// ```swift
/// try OrderedPipeline.run(threads: 4, maxInFlight: 8,
///     produce: { reader.nextBlock() },          // calling thread, in order
///     work: { block in encode(block) },         // worker threads, any order
///     consume: { encoded in try out.write(encoded) })  // calling thread, in production order
/// ```
///
/// Jobs of unequal size can be bounded by weight instead: with `weight` and `maxWeight`, a job is produced only
/// while the jobs in flight weigh less than `maxWeight` (so they weigh at most `maxWeight` plus one job), besides
/// the `maxInFlight` count. Many small jobs can then be in flight where few large ones would be, for the same
/// bound on memory.
///
/// If `produce`, `work` or `consume` throws, no further job is produced, jobs not yet started are skipped,
/// running ones finish, and the first error in production order is rethrown.
public enum OrderedPipeline {
    /// When true, a pipeline of one thread runs each job on the calling thread, one at a time (same order, same
    /// results, same errors): for in-process harnesses that run many tiny pipelines on a busy machine, where
    /// handing each job to a worker thread costs more than the job (the fuzz targets, tools/fuzz). Off in df11.
    nonisolated(unsafe) static var runsSingleThreadInline = false

    /// Runs the pipeline to completion. See the type's documentation.
    ///
    /// - Parameters:
    ///   - threads: number of worker threads (at least 1).
    ///   - maxInFlight: jobs produced and not yet consumed, at most (at least `threads`).
    ///   - weight: what a job weighs towards `maxWeight` (by default nothing).
    ///   - maxWeight: no job is produced while those in flight weigh this much or more.
    public static func run<Job, Output>(
        threads: Int,
        maxInFlight: Int,
        weight: (Job) -> Int = { _ in 0 },
        maxWeight: Int = .max,
        produce: () throws -> Job?,
        work: @escaping (Job) throws -> Output,
        consume: (Output) throws -> Void
    ) throws {
        if threads <= 1 && runsSingleThreadInline {
            while let job = try produce() { try consume(try work(job)) }
            return
        }
        let workers = max(1, threads)
        let limit = max(workers, maxInFlight)
        let state = PipelineState<Job, Output>()
        let group = DispatchGroup()
        // One serial queue per worker: such queues get a thread of their own even when every thread of the
        // global pool is busy (e.g. blocked in an enclosing pipeline's worker), where items sent straight to
        // the global queue could wait for the pool to grow (measured: about a second per nested pipeline).
        for i in 0..<workers {
            DispatchQueue(label: "df11.pipeline.worker-\(i)", qos: .userInitiated).async(group: group) {
                state.workerLoop(work)
            }
        }
        defer {
            state.close()
            group.wait()
        }

        var produced = 0
        var consumed = 0
        var exhausted = false
        // The weight of each job in flight, oldest first (from `weightsHead`), and their sum.
        var weights: [Int] = []
        var weightsHead = 0
        var inFlightWeight = 0
        while true {
            while !exhausted && produced - consumed < limit && inFlightWeight < maxWeight {
                let job: Job?
                do { job = try produce() } catch {
                    state.cancel()
                    throw error
                }
                guard let job else { exhausted = true; break }
                let w = weight(job)
                weights.append(w)
                inFlightWeight += w
                state.submit(job, sequence: produced)
                produced += 1
            }
            if consumed == produced { return }
            let result = state.waitForResult(sequence: consumed)
            consumed += 1
            inFlightWeight -= weights[weightsHead]
            weightsHead += 1
            if weightsHead > 1024 && weightsHead * 2 > weights.count {
                weights.removeFirst(weightsHead)
                weightsHead = 0
            }
            do { try consume(try result.get()) } catch {
                state.cancel()
                throw error
            }
        }
    }
}

extension OrderedPipeline {
    /// Runs `work` on each of `items` on `threads` workers and `consume` on the calling thread in item order,
    /// with at most twice `threads` items in flight; errors as in `run`. With one thread everything runs on the
    /// calling thread: handing each item to a worker and its result back would only add two thread switches per
    /// item (a unit is encoded on one thread when units run side by side).
    public static func forEach<Item, Output>(_ items: [Item], threads: Int, work: @escaping (Item) throws -> Output,
                                             consume: (Output) throws -> Void) throws {
        if threads <= 1 {
            for item in items { try consume(try work(item)) }
            return
        }
        var next = 0
        try run(threads: threads, maxInFlight: 2 * threads, produce: { () -> Item? in
            guard next < items.count else { return nil }
            defer { next += 1 }
            return items[next]
        }, work: work, consume: consume)
    }
}

/// Shared state of one pipeline run: the job queue, the finished results, and cancellation.
private final class PipelineState<Job, Output>: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [(sequence: Int, job: Job)] = []
    private var pendingHead = 0
    private var results: [Int: Result<Output, Error>] = [:]
    private var closed = false
    private var cancelled = false

    func submit(_ job: Job, sequence: Int) {
        condition.lock()
        pending.append((sequence, job))
        condition.broadcast()
        condition.unlock()
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    func waitForResult(sequence: Int) -> Result<Output, Error> {
        condition.lock()
        defer { condition.unlock() }
        while results[sequence] == nil { condition.wait() }
        return results.removeValue(forKey: sequence)!
    }

    func workerLoop(_ work: (Job) throws -> Output) {
        while let (sequence, job) = nextJob() {
            let result: Result<Output, Error>
            if isCancelled {
                result = .failure(CancellationError())
            } else {
                result = Result { try work(job) }
            }
            condition.lock()
            results[sequence] = result
            condition.broadcast()
            condition.unlock()
        }
    }

    private var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    private func nextJob() -> (Int, Job)? {
        condition.lock()
        defer { condition.unlock() }
        while pendingHead == pending.count && !closed { condition.wait() }
        guard pendingHead < pending.count else { return nil }
        let next = pending[pendingHead]
        pendingHead += 1
        if pendingHead > 1024 && pendingHead * 2 > pending.count {
            pending.removeFirst(pendingHead)
            pendingHead = 0
        }
        return (next.sequence, next.job)
    }
}
