import JSON
import DF11IO
import DF11Pipeline
import DFloat11Layout
import Foundation
import Safetensors

/// Where the `pattern_dict` of a `--format dfloat11` run comes from.
public enum DFloat11PatternChoice: Sendable {
    /// The preset selected by the source's `config.json` (`architectures[0]`, then `model_type`).
    case automatic
    /// The preset named (or aliased) `--arch NAME`.
    case preset(String)
    /// A JSON file `{regex: [attribute, …]}` (`--pattern FILE`).
    case file(String)
    /// A dictionary given directly (tests, library callers).
    case dictionary(JSONValue)
}

/// Settings of `df11 compress --format dfloat11`.
public struct DFloat11CompressOptions: Sendable {
    /// Write the single-file layout (one `model.safetensors` plus `config.json`) instead of the directory layout.
    public var singleFile: Bool
    /// Where the pattern dictionary comes from.
    public var pattern: DFloat11PatternChoice
    /// Weights per encoding job inside one unit.
    public var chunkWords: Int

    /// Write `df11-manifest.json` (checksums of every source tensor) beside the release's files.
    public var manifest: Bool

    public init(singleFile: Bool = false, pattern: DFloat11PatternChoice = .automatic, chunkWords: Int = 1 << 20,
                manifest: Bool = true) {
        self.manifest = manifest
        self.singleFile = singleFile
        self.pattern = pattern
        self.chunkWords = chunkWords
    }
}

/// `df11 compress SRC --format dfloat11 -o OUT`: the published DFloat11 layout (docs/DFLOAT11.md), written as
/// dfloat11 0.5.0's `compress_model(..., save_single_file=…, check_correctness=False)` writes it.
///
/// - Directory layout: one unit file per unit (`UnitFileWriter`), `model.safetensors` with every tensor no
///   unit holds (transformers' `save_pretrained`: `{"format": "pt"}` metadata, a tied copy left out),
///   `config.json` = the source config plus `dfloat11_config` (keys sorted, indent 2, newline), and the
///   source's other files copied. A diffusers model (config.json with `_class_name`) gets what diffusers'
///   `save_pretrained` and compress_model leave: `diffusion_pytorch_model.safetensors` (with the metadata) and a
///   config.json of the `dfloat11_config` alone.
/// - Single-file layout: the unit tensors and the rest in one `model.safetensors` (no metadata) and a
///   `config.json` holding only `dfloat11_config` (insertion order, no newline); refused when a tied weight
///   and its tensor both stay outside the units (the official tool fails there: shared tensors).
/// - Without a source `config.json` the model is treated as a plain module: no metadata, and config.json is
///   the `dfloat11_config` alone, as in the single-file layout.
///
/// Everything is written into a staging directory inside OUT and moved into place only at the end, so a
/// refusal or failure leaves OUT as it was. Units are encoded in parallel; a unit larger than the rest's share
/// is encoded alone with its chunks in parallel. Memory is bounded by the chunk size times the threads.
public enum DFloat11Compression {
    public static func compress(input: String, output: String, options: RunOptions,
                                dfloat11: DFloat11CompressOptions,
                                warn: ((DFloat11CompressReport.Warning) -> Void)? = nil) throws -> DFloat11CompressReport {
        let clock = Stopwatch()
        guard output != "-" else { throw UsageError("the DFloat11 layout is a directory; give -o DIR") }
        let plan = try DFloat11CompressionPlan(input: input, dfloat11: dfloat11, followSymlinks: options.followSymlinks)
        let copied = CheckpointOperations.excludingOutput(plan.copied, root: plan.checkpoint.root, output: output)

        return try CheckpointOperations.intoDirectory(output, input: plan.checkpoint.root, force: options.force) { directory in
            try withStaging(in: directory) { staging in
                var report = DFloat11CompressReport(input: input, output: output,
                                                    layout: dfloat11.singleFile ? "single-file" : "directory",
                                                    architecture: plan.preset?.name, patternSource: plan.patternSource,
                                                    patternDict: plan.patternJSON, threads: options.threads)
                report.inputBytes = plan.inputBytes
                report.copied = copied
                // With the manifest, decompress takes every shape from it.
                if !dfloat11.manifest, let warning = shapeWarning(plan) {
                    report.warnings.append(warning)
                    warn?(warning)
                }

                // The manifest's checksums and the units' first pass (exponent counts) from one read of the source.
                var scan: SourceScan?
                if dfloat11.manifest {
                    let meter = options.meter("scanning", total: plan.inputBytes)
                    defer { meter?.finish() }
                    scan = try SourceScan(paths: ReleaseManifest.weightFileNames(plan.checkpoint).map(\.path),
                                          counting: Set(plan.units.flatMap { $0.weights.map(\.source) }),
                                          chunkWords: dfloat11.chunkWords, threads: options.threads, progress: meter)
                }
                // The files that do not need the units are written by the units' workers, after the last unit
                // starts: on a small model they would otherwise run alone after the last unit.
                let unitReports = try encodeUnits(plan.units, source: plan.source, staging: staging, options: options,
                                                  chunkWords: dfloat11.chunkWords, counted: scan?.counted ?? [:],
                                                  alongside: {
                    try writeSideFiles(plan, copied: copied, singleFile: dfloat11.singleFile, staging: staging)
                    if let scan {
                        try AtomicOutputFile.write(contents: try ReleaseManifest.of(plan, scanned: scan).bytes,
                                                   to: FileSystem.join(staging, ReleaseManifest.fileName), overwrite: false)
                    }
                })
                for (unit, unitReport) in zip(plan.units, unitReports) {
                    report.units.append(.init(unit, unitReport, singleFile: dfloat11.singleFile))
                    if let warning = sharedMemoryWarning(unit, unitReport) {
                        report.warnings.append(warning)
                        warn?(warning)
                    }
                }
                var staged: [String] = []       // file names in staging, to move into output
                if dfloat11.singleFile {
                    try writeSingleFileModel(plan, staging: staging, report: &report)
                } else {
                    staged += plan.units.map(\.fileName)
                }
                staged += [dfloat11.singleFile ? "model.safetensors" : plan.restFileName, "config.json"]
                if dfloat11.manifest {
                    // The manifest names every source tensor with its checksum: `verify` proves the release
                    // lossless with it, without the source (docs/DFLOAT11.md, "The manifest").
                    // Written by the units' workers with the side files, from the scan.
                    staged.append(ReleaseManifest.fileName)
                }
                // As private as the weight files they come from (copied files keep their own mode).
                if let mode = FileAttributes.commonMode(of: plan.checkpoint.weightFiles.map(\.resolvedPath)) {
                    for name in staged { _ = chmod(FileSystem.join(staging, name), mode) }
                }
                try moveIntoPlace(staged + copied, from: staging, to: directory, output: output, force: options.force)
                report.files = try (staged + copied).sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).map {
                    ($0, try InputFile(path: FileSystem.join(directory, $0)).size)
                }
                report.seconds = clock.seconds
                return report
            }
        }
    }

    /// Runs `body` with a fresh staging directory inside `directory` (stale ones of dead runs removed first),
    /// removed afterwards (and on an interrupt), so that a refusal or failure leaves `directory` as it was.
    private static func withStaging<T>(in directory: String, _ body: (String) throws -> T) throws -> T {
        TemporaryFiles.removeStale(in: directory)
        let staging = FileSystem.join(directory, ".df11-staging.df11-\(FileSystem.temporaryTag()).tmp")
        TemporaryPaths.register(staging)
        try FileSystem.createDirectories(staging)
        defer {
            try? FileManager.default.removeItem(atPath: staging)
            TemporaryPaths.unregister(staging)
        }
        return try body(staging)
    }

    /// The warning that decompress will not restore some unit weights, whose shapes config.json does not give.
    private static func shapeWarning(_ plan: DFloat11CompressionPlan) -> DFloat11CompressReport.Warning? {
        guard let first = plan.shapesNotDerivable.first else { return nil }
        let more = plan.shapesNotDerivable.count > 1 ? " (and \(plan.shapesNotDerivable.count - 1) more)" : ""
        return DFloat11CompressReport.Warning(
            code: "shape-not-derivable", unit: nil,
            message: "df11 decompress will not be able to restore '\(first.weight)'\(more): \(first.why) "
                + "(the layout stores unit weights without shapes; decompress derives them from config.json). "
                + "The DFloat11 output itself is valid")
    }

    /// The warning that the official GPU kernel may not launch a unit whose blocks decode to many weights.
    private static func sharedMemoryWarning(_ unit: DFloat11Unit,
                                            _ r: UnitFileWriter.Report) -> DFloat11CompressReport.Warning? {
        guard r.maxWeightsPerBlock > UnitGeometry.maxWeightsPerBlockWithinLimit else { return nil }
        return DFloat11CompressReport.Warning(
            code: "shared-memory", unit: unit.module,
            message: "unit '\(unit.module)': a 4096-byte block decodes to \(r.maxWeightsPerBlock) weights; the "
                + "official GPU kernel then asks for \(UnitGeometry.sharedMemoryBytes(maxWeightsPerBlock: r.maxWeightsPerBlock)) "
                + "bytes of shared memory per block, more than CUDA's default 48 KiB (at most "
                + "\(UnitGeometry.maxWeightsPerBlockWithinLimit) weights per block, about 1.39 bits per weight), so the "
                + "official loader may fail to launch it; the file itself is valid")
    }

    /// config.json, the copies and, in the directory layout, model.safetensors with the rest: the files that do
    /// not need the units.
    private static func writeSideFiles(_ plan: DFloat11CompressionPlan, copied: [String], singleFile: Bool,
                                       staging: String) throws {
        try AtomicOutputFile.write(contents: plan.configBytes, to: FileSystem.join(staging, "config.json"),
                                   overwrite: true)
        for name in copied {
            try CheckpointOperations.copyFile(FileSystem.join(plan.checkpoint.root, name),
                                              to: FileSystem.inside(staging, name, origin: "a copied file"),
                                              force: true)
        }
        if !singleFile {
            try writeSafetensors(restEntries(plan), metadata: plan.metadata,
                                 to: FileSystem.join(staging, plan.restFileName))
        }
    }

    /// The tensors no unit holds, each read from its source tensor.
    private static func restEntries(_ plan: DFloat11CompressionPlan)
        -> [(description: TensorDescription, from: TensorSource, source: String)] {
        plan.rest.map { tensor in
            let info = plan.source.tensor(named: tensor.source)!
            return (TensorDescription(name: tensor.name, dtype: info.dtype, shape: info.shape), plan.source, tensor.source)
        }
    }

    /// The single-file layout: model.safetensors holds the rest and the units' tensors; the unit files go.
    private static func writeSingleFileModel(_ plan: DFloat11CompressionPlan, staging: String,
                                             report: inout DFloat11CompressReport) throws {
        let unitFiles = try plan.units.map { try SafetensorsFile(path: FileSystem.join(staging, $0.fileName)) }
        let unitSource = TensorSourceSet(files: unitFiles)
        var entries = restEntries(plan)
        for file in unitFiles {
            for info in file.header.tensors {
                entries.append((TensorDescription(name: info.name, dtype: info.dtype, shape: info.shape), unitSource, info.name))
            }
        }
        try writeSafetensors(entries, metadata: nil, to: FileSystem.join(staging, "model.safetensors"))
        for (i, unit) in plan.units.enumerated() {
            report.units[i].bytes = unitFiles[i].header.tensors.reduce(0) { $0 + $1.byteCount }
            try? FileManager.default.removeItem(atPath: FileSystem.join(staging, unit.fileName))
        }
    }

    /// Moves `names` from `staging` into `directory` (the output `output` names): every file or none (short of a
    /// failing rename).
    private static func moveIntoPlace(_ names: [String], from staging: String, to directory: String, output: String,
                                      force: Bool) throws {
        for name in names {
            let destination = try FileSystem.inside(directory, name, origin: "an output file")
            if !force, FileSystem.kind(of: destination) != .missing {
                throw OutputExistsError(path: destination, detail: "'\(destination)' exists; use --force to replace it")
            }
        }
        for name in names {
            let destination = try FileSystem.inside(directory, name, origin: "an output file")
            try FileSystem.createDirectories(FileSystem.directoryName(of: destination))
            if rename(FileSystem.join(staging, name), destination) != 0 {
                throw UsageError("cannot move '\(name)' into '\(output)': \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Encodes every unit into `staging`, returning the reports in unit order, and runs `alongside` (work that
    /// does not need the units) on one of the same threads.
    ///
    /// Units are taken largest first: one dominating what is left (weights × (threads + 1) > 2 × remaining
    /// weights: two thirds with 2 threads) is encoded alone with its chunks on all threads; the others run side by
    /// side, one thread each (largest first, so the threads finish together), and `alongside` is the last job.
    /// `counted`: the units' first pass where it is done already (`UnitFileWriter`).
    /// Side by side wins unless one unit dominates: a unit alone waits between its passes, and its code is built
    /// on one thread (measured on MiniLM, whose embedding is half the weights: 39.3 ms side by side against
    /// 41.4 ms with the embedding alone first). `alongside` runs on a worker rather than on a thread of its own:
    /// a third busy thread on two cores made the kernel stack both unit workers on one core for up to 20 ms.
    static func encodeUnits(_ units: [DFloat11Unit], source: TensorSource, staging: String, options: RunOptions,
                            chunkWords: Int, counted: [String: [UnitStatistics.Chunk]] = [:],
                            alongside: @escaping () throws -> Void = {}) throws -> [UnitFileWriter.Report] {
        let threads = max(1, options.threads)
        let sizes = units.map { unit in
            unit.weights.reduce(UInt64(0)) { $0 + (source.tensor(named: $1.source)?.elementCount ?? 0) }
        }
        var order = Array(units.indices).sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        var remaining = sizes.reduce(0, +)
        var reports = [UnitFileWriter.Report?](repeating: nil, count: units.count)
        let meter = options.meter("dfloat11", total: remaining * 2)
        defer { meter?.finish() }
        func write(_ index: Int, threads: Int) throws -> UnitFileWriter.Report {
            let report = try UnitFileWriter.write(unit: units[index], from: source,
                                                  toPath: FileSystem.inside(staging, units[index].fileName,
                                                                            origin: "the unit file of module '\(units[index].module)'"),
                                                  overwrite: true, chunkWords: chunkWords, threads: threads,
                                                  counted: counted)
            meter?.advance(by: sizes[index] * 2)
            return report
        }
        while let first = order.first, threads > 1, sizes[first] * UInt64(threads + 1) > 2 * remaining {
            reports[first] = try write(first, threads: threads)
            remaining -= sizes[first]
            order.removeFirst()
        }
        // Jobs: the remaining unit numbers, then nil for `alongside`.
        let jobs: [Int?] = order + [nil]
        var next = 0
        // Jobs are unit numbers and results small reports, so every job may be in flight at once: a limit of
        // `threads` would keep a free worker idle until the (largest, first) unit's report is consumed.
        try OrderedPipeline.run(threads: threads, maxInFlight: jobs.count, produce: { () -> Int?? in
            guard next < jobs.count else { return nil }
            defer { next += 1 }
            return jobs[next]
        }, work: { (index: Int?) throws -> (Int, UnitFileWriter.Report)? in
            guard let index else {
                try alongside()
                return nil
            }
            return (index, try write(index, threads: 1))
        }, consume: { (result: (Int, UnitFileWriter.Report)?) in
            if let result { reports[result.0] = result.1 }
        })
        return reports.map { $0! }
    }

    /// Writes a safetensors file of `entries` (in the library's order) streaming each tensor from its source.
    static func writeSafetensors(_ entries: [(description: TensorDescription, from: TensorSource, source: String)],
                                 metadata: [(key: String, value: String)]?, to path: String) throws {
        let writer = try SafetensorsWriter(tensors: entries.map(\.description), metadata: metadata,
                                           order: .safetensorsLibrary, fileName: path)
        var byName: [String: (from: TensorSource, source: String)] = [:]
        for entry in entries { byName[entry.description.name] = (entry.from, entry.source) }
        let file = try AtomicOutputFile(path: path, overwrite: true)
        do {
            let stream = try writer.start(sink: file)
            for tensor in writer.tensors {
                try stream.beginTensor(tensor.name)
                let origin = byName[tensor.name]!
                guard let info = origin.from.tensor(named: origin.source) else {
                    preconditionFailure("tensor \(origin.source) vanished")
                }
                try origin.from.forEachPiece(of: info) { piece, _ in try stream.write(piece) }
            }
            try stream.finish()
            try file.commit()
        } catch {
            file.abort()
            throw error
        }
    }
}


extension DFloat11CompressReport.UnitResult {
    /// What `UnitFileWriter` reported for `unit` (its file named only in the directory layout).
    fileprivate init(_ unit: DFloat11Unit, _ r: UnitFileWriter.Report, singleFile: Bool) {
        self.init(module: unit.module, file: singleFile ? nil : unit.fileName, tensors: 6 + unit.otherTensors.count,
                  weights: r.elementCount, encodedBytes: r.encodedBytes, bytes: r.fileSize,
                  maxCodeLength: r.maxCodeLength, limiterFinalK: r.limiterFinalK,
                  maxWeightsPerBlock: r.maxWeightsPerBlock)
    }
}
