#if canImport(Glibc)
import Glibc
#endif
import DF11IO
import DF11Pipeline
import DFloat11Layout
import Foundation
import JSON
import Safetensors

/// What `df11 batch` is asked to do.
public struct BatchOptions: Sendable {
    /// The output format of every checkpoint.
    public enum Format: String, Sendable, CaseIterable {
        /// df11's own container.
        case native
        /// The published DFloat11 layout; checkpoints it cannot hold are skipped, with the reason.
        case dfloat11
        /// The published layout where the architecture has a preset and every unit weight is BF16 (and the
        /// values fit it), the native container otherwise.
        case auto
    }

    /// The output tree.
    public var output: String
    public var format: Format = .auto
    /// dfloat11: the single-file layout.
    public var singleFile = false
    /// Checkpoints converted at once.
    public var jobs = 1
    /// The memory all jobs together may use; nil: the cgroup's limit, or the machine's memory.
    public var maxMemory: UInt64?
    /// Print the plan, write nothing.
    public var dryRun = false
    /// Decode each output after writing it and check it against the source before counting it converted.
    public var verify = false
    /// Redo checkpoints whose outputs are complete and unchanged.
    public var force = false
    /// This task's share; nil: everything.
    public var shard: BatchShard?
    public var discovery = BatchDiscoveryOptions()

    public init(output: String) { self.output = output }
}

/// One checkpoint's outcome: a line of the JSON-lines report (schema `df11.batch/1`).
public struct BatchResult: Sendable {
    public enum Status: String, Sendable { case converted, unchanged, skipped, failed, planned }

    public var item: BatchItem
    public var status: Status
    /// The output path (nil when none was decided).
    public var output: String?
    /// "native" or "dfloat11".
    public var format: String?
    /// Why this format (auto), why skipped, or the error.
    public var reason: String?
    public var error: String?
    /// Exit status this result asks for: 0, 1 (bad data, failed check), 2 (could not run).
    public var exitStatus: Int32 = 0
    public var inputBytes: UInt64 = 0
    public var outputBytes: UInt64 = 0
    /// Dry run: the predicted output size from the exponent histograms.
    public var predictedBytes: UInt64?
    public var seconds: Double = 0
    public var threads: Int = 0
    public var verified = false
    public var outputs: JSONValue = .array([])
    public var shard: BatchShard?

    public var ratio: Double { inputBytes == 0 ? 1 : Double(outputBytes) / Double(inputBytes) }

    public var json: JSONValue {
        var members: [JSONMember] = []
        func add(_ key: String, _ value: JSONValue) { members.append(JSONMember(key: key, value: value)) }
        add("schema", .string("df11.batch/1"))
        add("input", .string(item.input))
        add("name", .string(item.name))
        add("output", output.map { .string($0) } ?? .null)
        add("repo", item.repo.map { .string($0) } ?? .null)
        add("revision", item.revision.map { .string($0) } ?? .null)
        add("format", format.map { .string($0) } ?? .null)
        add("status", .string(status.rawValue))
        add("reason", reason.map { .string($0) } ?? .null)
        add("error", error.map { .string($0) } ?? .null)
        add("input_bytes", .int(inputBytes))
        add("output_bytes", .int(outputBytes))
        add("predicted_bytes", predictedBytes.map { .int($0) } ?? .null)
        add("ratio", .double(ratio))
        add("seconds", .double(seconds))
        add("threads", .int(threads))
        add("verified", .bool(verified))
        add("outputs", outputs)
        add("shard", shard.map { .string($0.text) } ?? .null)
        return .object(members)
    }

    /// One line for a person.
    public var text: String {
        let what = item.repo.map { "\($0)" + (item.revision.map { "@" + $0.prefix(12) } ?? "") } ?? item.input
        switch status {
        case .converted, .unchanged:
            return "\(status.rawValue) \(what) → \(output ?? "?") (\(format ?? "?")): \(ByteFormatting.bytes(inputBytes)) → "
                + "\(ByteFormatting.bytes(outputBytes)) (\(Percent.text(fraction: ratio)))"
                + (status == .converted ? " in \(ByteFormatting.formatted(seconds, digits: 2)) s" : "")
                + (verified ? ", verified" : "") + (reason.map { "; \($0)" } ?? "")
        case .planned:
            return "would convert \(what) → \(output ?? "?") (\(format ?? "?")): \(ByteFormatting.bytes(inputBytes))"
                + (predictedBytes.map { " → about \(ByteFormatting.bytes($0))" } ?? "") + (reason.map { "; \($0)" } ?? "")
        case .skipped:
            return "skipped \(what): \(reason ?? "")"
        case .failed:
            return "failed \(what): \(error ?? reason ?? "")"
        }
    }
}

/// The last line of the report (schema `df11.batch-summary/1`).
public struct BatchSummary: Sendable {
    public var checkpoints = 0
    public var counts: [BatchResult.Status: Int] = [:]
    public var excluded = 0
    /// Checkpoints other shards take.
    public var otherShards = 0
    public var inputBytes: UInt64 = 0
    public var outputBytes: UInt64 = 0
    public var seconds: Double = 0
    public var jobs = 1
    public var shard: BatchShard?
    public var dryRun = false
    public var exitStatus: Int32 = 0

    public var json: JSONValue {
        var members: [JSONMember] = []
        func add(_ key: String, _ value: JSONValue) { members.append(JSONMember(key: key, value: value)) }
        add("schema", .string("df11.batch-summary/1"))
        add("checkpoints", .int(checkpoints))
        add("converted", .int(counts[.converted] ?? 0))
        add("unchanged", .int(counts[.unchanged] ?? 0))
        add("skipped", .int(counts[.skipped] ?? 0))
        add("failed", .int(counts[.failed] ?? 0))
        add("planned", .int(counts[.planned] ?? 0))
        add("excluded", .int(excluded))
        add("other_shards", .int(otherShards))
        add("input_bytes", .int(inputBytes))
        add("output_bytes", .int(outputBytes))
        add("seconds", .double(seconds))
        add("jobs", .int(jobs))
        add("shard", shard.map { .string($0.text) } ?? .null)
        add("shard_source", shard.map { .string($0.source) } ?? .null)
        add("dry_run", .bool(dryRun))
        add("exit_status", .int(exitStatus))
        return .object(members)
    }

    public var text: String {
        var parts = ["\(checkpoints) checkpoints"]
        for status in [BatchResult.Status.converted, .unchanged, .skipped, .failed, .planned] where (counts[status] ?? 0) > 0 {
            parts.append("\(counts[status]!) \(status.rawValue)")
        }
        if excluded > 0 { parts.append("\(excluded) excluded") }
        if let shard { parts.append("shard \(shard.text) (\(otherShards) in other shards)") }
        return "batch: " + parts.joined(separator: ", ") + "; \(ByteFormatting.bytes(inputBytes)) → "
            + "\(ByteFormatting.bytes(outputBytes)) in \(ByteFormatting.formatted(seconds, digits: 2)) s"
    }
}

extension DF11 {
    /// `df11 batch INPUT... -o OUT`: every checkpoint the inputs name, this task's share of them, converted
    /// `options.jobs` at a time; `emit` receives each result as it is known (from the job's thread, one at a
    /// time), `planned` this task's share first, `started` each checkpoint as its conversion begins. Failures of one checkpoint never stop the others.
    public static func batch(_ inputs: [String], options: BatchOptions, run: RunOptions,
                             planned: (_ share: [BatchItem], _ all: Int) -> Void = { _, _ in },
                             started: @escaping @Sendable (BatchItem) -> Void = { _ in },
                             emit: @escaping @Sendable (BatchResult) -> Void) throws -> BatchSummary {
        let clock = Stopwatch()
        guard !inputs.isEmpty else { throw UsageError("give at least one input (a directory, a file, a cache, org/name)") }
        let (all, excluded) = BatchDiscovery.discover(inputs, options: options.discovery)
        let mine = options.shard.map { $0.select(all) } ?? all
        planned(mine, all.count)
        if !options.dryRun {
            try FileSystem.createDirectories(options.output)
            TemporaryFiles.removeStale(in: options.output)
        }
        let memory = options.maxMemory ?? BatchMemory.available()
        let jobs = BatchMemory.jobs(asked: max(1, options.jobs), threads: run.threads, budget: memory)
        var inner = run
        inner.threads = max(1, run.threads / jobs)
        inner.showProgress = false
        inner.force = false

        var summary = BatchSummary()
        summary.excluded = excluded
        summary.otherShards = all.count - mine.count
        summary.shard = options.shard
        summary.jobs = jobs
        summary.dryRun = options.dryRun
        let state = BatchState()
        let converter = BatchConverter(options: options, run: inner)
        let group = DispatchGroup()
        for _ in 0..<min(jobs, max(mine.count, 1)) {
            group.enter()
            let thread = Thread {
                while let i = state.take(below: mine.count) {
                    started(mine[i])
                    var result = converter.convert(mine[i])
                    result.shard = options.shard
                    state.finish(result, emit)
                }
                group.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
        summary.checkpoints = state.results.count
        for result in state.results {
            summary.counts[result.status, default: 0] += 1
            summary.inputBytes += result.inputBytes
            summary.outputBytes += result.outputBytes
            summary.exitStatus = max(summary.exitStatus, result.exitStatus)
        }
        summary.seconds = clock.seconds
        return summary
    }
}

/// The SHA-256 of a checkpoint's sources, computed on a thread of its own.
private final class BatchHashing: @unchecked Sendable {
    private let group = DispatchGroup()
    private var result: Result<[String], Error> = .success([])

    init(_ sources: [BatchRecord.Source], checkpointRoot root: String) {
        group.enter()
        let thread = Thread { [self] in
            result = Result { try sources.map { try BatchRecord.sha256(of: $0, checkpointRoot: root) } }
            group.leave()
        }
        thread.start()
    }

    /// The hashes, in the sources' order.
    func wait() throws -> [String] {
        group.wait()
        return try result.get()
    }
}

/// The jobs' shared queue position and results.
private final class BatchState: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private(set) var results: [BatchResult] = []

    func take(below count: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }

    /// Records a result and hands it to `emit`, one at a time.
    func finish(_ result: BatchResult, _ emit: (BatchResult) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        results.append(result)
        emit(result)
    }
}

/// How many checkpoints may be converted at once within a memory budget.
public enum BatchMemory {
    /// Memory one conversion with `threads` workers holds at most: its pipelines keep a fixed number of chunks
    /// (up to 64 MiB units in the DFloat11 layout) in flight per worker.
    public static func perJob(threads: Int) -> UInt64 { 256 << 20 + UInt64(max(1, threads)) * (64 << 20) }

    /// `asked`, or fewer when that many would not fit in `budget`; at least one.
    public static func jobs(asked: Int, threads: Int, budget: UInt64) -> Int {
        let each = perJob(threads: max(1, threads / asked))
        return max(1, min(asked, Int(budget / each)))
    }

    /// The cgroup's memory limit (v2 `memory.max`, v1 `memory.limit_in_bytes`), else the machine's memory.
    public static func available() -> UInt64 {
        let physical = UInt64(sysconf(Int32(_SC_PHYS_PAGES))) * UInt64(sysconf(Int32(_SC_PAGESIZE)))
        for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let bytes = try? FileSystem.readSmallFile(path, limit: 64),
               let limit = UInt64(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
               limit > 0, limit < physical {
                return limit
            }
        }
        return physical
    }

    /// `8G`, `512M`, `1.5GiB`, `1000000` (bytes).
    public static func parse(_ text: String) throws -> UInt64 {
        let lower = text.lowercased().replacingOccurrences(of: "ib", with: "").replacingOccurrences(of: "b", with: "")
        let units: [(String, Double)] = [("k", 1024.0), ("m", 1048576.0), ("g", 1073741824.0), ("t", 1099511627776.0)]
        var number = lower
        var scale = 1.0
        if let (suffix, factor) = units.first(where: { lower.hasSuffix($0.0) }) {
            number = String(lower.dropLast(suffix.count))
            scale = factor
        }
        guard let value = Double(number), value > 0, value.isFinite else {
            throw UsageError("--max-memory takes a size such as 8G or 512M, not '\(text)'")
        }
        return UInt64(value * scale)
    }
}

/// Converts one checkpoint of a batch: decides its format, holds its claim, resumes or redoes, writes its record.
struct BatchConverter: Sendable {
    let options: BatchOptions
    let run: RunOptions

    func convert(_ item: BatchItem) -> BatchResult {
        let clock = Stopwatch()
        var result = BatchResult(item: item, status: .failed)
        result.threads = run.threads
        result.inputBytes = item.bytes
        defer { result.seconds = clock.seconds }
        if let problem = item.problem {
            result.error = problem
            result.exitStatus = item.problemIsBadData ? 1 : 2
            return result
        }
        do {
            try convert(item, into: &result)
        } catch {
            result.status = .failed
            result.error = ProcessPolicy.message(for: error)
            result.exitStatus = ProcessPolicy.exitStatus(for: error)
        }
        result.seconds = clock.seconds
        return result
    }

    /// Whether a failure of the DFloat11 layout means "this layout cannot hold it" (auto: the native container).
    static func isRefusal(_ error: Error) -> Bool {
        if error is UsageError { return true }
        if let layout = error as? DFloat11LayoutError { return layout.category == .couldNotRun }
        return false
    }

    private func outputPath(_ item: BatchItem, format: String, checkpoint: Checkpoint) -> String {
        let isFile = checkpoint.kind == .file
        if format == "native" {
            return FileSystem.join(options.output, item.name + (isFile ? ".df11" : ""))
        }
        let name = isFile && item.name.hasSuffix(".safetensors") ? String(item.name.dropLast(12)) : item.name
        return FileSystem.join(options.output, name)
    }

    private func convert(_ item: BatchItem, into result: inout BatchResult) throws {
        let checkpoint = try Checkpoint.open(path: item.input, followSymlinks: run.followSymlinks)
        result.inputBytes = checkpoint.weightFiles.reduce(0) { $0 + BatchDiscovery.fileSize($1.resolvedPath) }

        // The format, decided before anything is written.
        var format = "native"
        var reason: String?
        let dfloat11 = DFloat11CompressOptions(singleFile: options.singleFile)
        if options.format != .native {
            do {
                _ = try DFloat11CompressionPlan(input: item.input, dfloat11: dfloat11, followSymlinks: run.followSymlinks)
                format = "dfloat11"
            } catch where Self.isRefusal(error) {
                let why = ProcessPolicy.message(for: error)
                if options.format == .dfloat11 {
                    result.status = .skipped
                    result.reason = "the DFloat11 layout cannot hold it: " + why
                    return
                }
                reason = "native container: " + why
            }
        }
        result.format = format
        result.reason = reason
        var output = outputPath(item, format: format, checkpoint: checkpoint)
        result.output = output

        let sources = BatchRecord.sources(of: checkpoint)
        // Every file read against every file written: the ratio is that of the whole checkpoint.
        result.inputBytes = sources.reduce(0) { $0 + $1.bytes }
        var identity = BatchRecord.identity(sources: sources, format: format, requested: options.format.rawValue,
                                            singleFile: options.singleFile, level: run.parameters.level)
        let recordPath = FileSystem.join(options.output, item.name + BatchRecord.suffix)
        if options.dryRun {
            if !options.force, let record = BatchRecord.isComplete(recordPath: recordPath, identity: identity, output: output) {
                result.status = .unchanged
                result.outputs = record["outputs"] ?? .array([])
                if case .integer(let bytes)? = record["output_bytes"] { result.outputBytes = bytes }
                return
            }
            // The DFloat11 layout and format 1.0 code BF16 exponents alone; format 2.0 codes every float dtype.
            let inspected = try Inspection.run(path: item.input, options: run)
            result.predictedBytes = format == "native" && run.parameters.level != .fast
                ? inspected.predictedStructuredBytes : inspected.predictedBytes
            result.status = .planned
            return
        }

        // Temporaries of dead runs beside the output (the top of OUT is swept once at the start).
        TemporaryFiles.removeStale(in: FileSystem.directoryName(of: output))
        // One task at a time per checkpoint.
        let claim = try BatchClaim(output: options.output, name: item.name)
        defer { claim.release() }
        if let elsewhere = claim.heldElsewhere {
            result.status = .skipped
            result.reason = elsewhere
            return
        }
        if !options.force, let record = BatchRecord.isComplete(recordPath: recordPath, identity: identity, output: output) {
            result.status = .unchanged
            result.outputs = record["outputs"] ?? .array([])
            if case .integer(let bytes)? = record["output_bytes"] { result.outputBytes = bytes }
            return
        }
        // Whatever is there is unfinished, stale or made otherwise: removed, then written anew (an earlier
        // record's output too, which may be of the other format).
        if let bytes = try? FileSystem.readSmallFile(recordPath, limit: 64 << 20),
           let old = (try? JSONParser().parse(bytes))?["output"]?.stringValue, FileSystem.isSafeComponent(old) {
            try remove(FileSystem.join(FileSystem.directoryName(of: recordPath), old))
        }
        try remove(recordPath)
        try remove(output)

        // The sources' SHA-256, computed while the checkpoint is converted (its files are read then anyway).
        let hashing = BatchHashing(sources, checkpointRoot: checkpoint.kind == .file
                                   ? FileSystem.directoryName(of: checkpoint.root) : checkpoint.root)
        do {
            try write(format: format, item: item, checkpoint: checkpoint, output: output, dfloat11: dfloat11)
        } catch where format == "dfloat11" && options.format == .auto && Self.isRefusal(error) {
            // Values the layout cannot hold show only while encoding (inf/NaN, limiter ties): the native container.
            format = "native"
            result.format = format
            result.reason = "native container: " + ProcessPolicy.message(for: error)
            output = outputPath(item, format: format, checkpoint: checkpoint)
            result.output = output
            identity = BatchRecord.identity(sources: sources, format: format, requested: options.format.rawValue,
                                            singleFile: options.singleFile, level: run.parameters.level)
            try remove(output)
            try write(format: format, item: item, checkpoint: checkpoint, output: output, dfloat11: dfloat11)
        }

        if options.verify {
            let request = VerifyRequest(input: output, against: format == "dfloat11" ? item.input : nil)
            _ = try DF11.verify(request, options: run)
            result.verified = true
        }
        // The inputs must not have changed while they were read.
        let after = BatchRecord.sources(of: checkpoint)
        guard after.map({ [$0.name, "\($0.bytes)", "\($0.modifiedNanoseconds)"] })
                == sources.map({ [$0.name, "\($0.bytes)", "\($0.modifiedNanoseconds)"] }) else {
            try remove(output)
            throw UsageError("an input file changed while it was converted; run the batch again")
        }
        let written = try BatchRecord.written(output, threads: run.threads)
        result.outputs = BatchRecord.writtenJSON(written)
        result.outputBytes = written.reduce(0) { $0 + $1.bytes }
        let hashes = try hashing.wait()
        let provenance: JSONValue = .array(zip(sources, hashes).map { source, hash in
            .object(["name": .string(source.name), "sha256": .string(hash)])
        })
        let record: JSONValue = .object([
            "schema": .string("df11.batch-record/1"),
            "input": .string(item.input),
            "repo": item.repo.map { .string($0) } ?? .null,
            "revision": item.revision.map { .string($0) } ?? .null,
            "output": .string(FileSystem.baseName(of: output)),
            "format_reason": result.reason.map { .string($0) } ?? .null,
            "identity": identity,
            "sources": provenance,
            "outputs": result.outputs,
            "input_bytes": .int(result.inputBytes),
            "output_bytes": .int(result.outputBytes),
        ])
        try AtomicOutputFile.write(contents: Array(record.text.utf8) + [0x0A], to: recordPath, overwrite: true)
        result.status = .converted
    }

    private func write(format: String, item: BatchItem, checkpoint: Checkpoint, output: String,
                       dfloat11: DFloat11CompressOptions) throws {
        try FileSystem.createDirectories(FileSystem.directoryName(of: output))
        if format == "dfloat11" {
            _ = try DFloat11Compression.compress(input: item.input, output: output, options: run, dfloat11: dfloat11)
        } else {
            _ = try CheckpointOperations.compress(checkpoint: checkpoint, input: item.input, output: output, options: run)
        }
    }

    private func remove(_ path: String) throws {
        guard FileSystem.kind(of: path) != .missing || FileSystem.isSymbolicLink(path) else { return }
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw UsageError("cannot remove the unfinished or outdated output '\(path)': \(error.localizedDescription)")
        }
    }
}
