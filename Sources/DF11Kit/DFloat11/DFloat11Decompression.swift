import JSON
import DF11IO
import DF11Pipeline
import DFloat11Layout
import Foundation
import Safetensors

/// The report of `df11 decompress DIR` on a DFloat11 model: JSON schema `df11.decompress-dfloat11/1`.
public struct DFloat11DecompressReport: OperationReport {
    public var input: String
    public var output: String
    public var version: String
    public var layout: String
    public var units = 0
    public var weights: UInt64 = 0
    public var tensors = 0
    public var outputBytes: UInt64 = 0
    /// The weight files written: `model.safetensors`, or the shards (and their index is written beside them).
    public var weightFiles: [String] = []
    public var copied: [String] = []
    public var droppedTied: [String] = []
    /// The source's own files written again byte for byte from the manifest's description (0: the library's
    /// layout), and where their SHA-256 came from when it was checked too.
    public var originalsRestored = 0
    public var provenance: String?
    public var seconds: Double = 0
    public var threads: Int

    public var json: JSONValue {
        .object([
            JSONMember(key: "schema", value: .string("df11.decompress-dfloat11/1")),
            JSONMember(key: "status", value: .string("ok")),
            JSONMember(key: "input", value: .string(input)),
            JSONMember(key: "output", value: .string(output)),
            JSONMember(key: "layout", value: .string(layout)),
            JSONMember(key: "dfloat11_version", value: .string(version)),
            JSONMember(key: "units", value: .int(units)),
            JSONMember(key: "weights", value: .int(weights)),
            JSONMember(key: "tensors", value: .int(tensors)),
            JSONMember(key: "output_bytes", value: .int(outputBytes)),
            JSONMember(key: "weight_files", value: .strings(weightFiles)),
            JSONMember(key: "copied", value: .strings(copied)),
            JSONMember(key: "dropped_tied", value: .strings(droppedTied)),
            JSONMember(key: "originals_restored", value: .int(originalsRestored)),
            JSONMember(key: "provenance", value: provenance.map { .string($0) } ?? .null),
            JSONMember(key: "seconds", value: .double(seconds)),
            JSONMember(key: "threads", value: .int(threads)),
            JSONMember(key: "bf16_mb_per_s", value: .double(seconds > 0 ? Double(weights * 2) / seconds / 1e6 : 0)),
        ])
    }

    public var textRole: ReportTextRole { .summary }

    public var details: [String] { weightFiles.map { "wrote \($0)" } + copied.map { "copied \($0)" } }

    public var text: String {
        let shards = weightFiles.count > 1 ? " in \(weightFiles.count - 1) shards" : ""
        var text = "decoded \(units) DFloat11 units (\(weights) weights) into \(tensors) tensors\(shards), "
            + "\(ByteFormatting.bytes(outputBytes)) in \(ByteFormatting.formatted(seconds, digits: 2)) s, "
            + ByteFormatting.rate(bytes: weights * 2, seconds: seconds)
        if originalsRestored > 0 {
            text += "; the source's \(originalsRestored) files restored byte for byte (XXH3-64 from \(ReleaseManifest.fileName)"
                + (provenance.map { ", SHA-256 from \($0)" } ?? "") + ")"
        }
        return text
    }
}

/// `df11 decompress DIR -o OUT`: a DFloat11 model back to a plain bf16 safetensors checkpoint.
///
/// Output: `OUT/model.safetensors` (every unit weight decoded, split by `split_positions`, shaped by
/// `WeightShapes` from config.json; every other tensor copied; the safetensors library's tensor order and
/// `__metadata__` {"format":"pt"}) — or, with `maxShardSize`, shards of at most that many bytes of tensors and
/// `model.safetensors.index.json` (`ShardPlan`) — `OUT/config.json` without `dfloat11_config`, every other
/// file copied. A tied `lm_head.weight` (config `tie_word_embeddings`, units identical to
/// `model.embed_tokens`) is left out, as transformers saves it. Streaming: a unit weight is decoded in block ranges on all threads while it is
/// written; at most a few ranges per thread are in memory, never a whole unit. Every block is checked as in
/// `verify`. Each output file appears only when complete.
public enum DFloat11Decompression {
    public static func isDFloat11Directory(_ path: String) -> Bool { DFloat11Model.isDFloat11Directory(path) }

    /// Blocks per pipeline job.
    static let blocksPerJob = 16

    /// `modelConfig`: a config.json to take the model's dimensions from when the model's own lacks them (the
    /// single-file layout writes only `dfloat11_config`). `maxShardSize`: split the weights into shards of at
    /// most this many bytes of tensor data (nil: one `model.safetensors`).
    public static func decompress(input: String, output: String, options: RunOptions, modelConfig: String? = nil,
                                  maxShardSize: UInt64? = nil) throws -> DFloat11DecompressReport {
        let clock = Stopwatch()
        let model = try DFloat11Model(directory: input)
        try Checkpoint.checkLinks(model.otherFiles + model.fileNames, in: model.directory,
                                  followSymlinks: options.followSymlinks)
        var report = DFloat11DecompressReport(input: input, output: output, version: model.version,
                                              layout: model.fileNames.count == 1 ? "single-file" : "directory",
                                              threads: options.threads)
        var config = model.config
        var configName = FileSystem.join(model.directory, "config.json")
        if let modelConfig {
            config = try JSONParser().parse(try FileSystem.readSmallFile(modelConfig, limit: 16 << 20))
            configName = modelConfig
        }
        // The release manifest, read once: shapes, the source's own files, its config.json.
        let recorded = try model.manifestPath.map { try ReleaseManifest(path: $0) }
        let shapes = WeightShapes(config: config, configName: configName, recorded: recorded?.shapes ?? [:])
        let decoders = try model.units.map { try UnitDecoder(module: $0, source: model.tensors) }
        let unitNames = try unitWeightNames(decoders: decoders, model: model, shapes: shapes)
        try checkSplitPositions(decoders: decoders, names: unitNames, shapes: shapes)

        // Plan: every unit weight (name, unit, weight range, shape), every remainder tensor.
        var pieces: [String: Piece] = [:]
        var descriptions: [TensorDescription] = []
        for (u, decoder) in decoders.enumerated() {
            let bounds = [0] + decoder.splitPositions.map { UInt64($0) } + [decoder.elementCount]
            for (i, name) in unitNames[u].enumerated() {
                let range = bounds[i] ..< bounds[i + 1]
                pieces[name] = Piece(unit: u, range: range)
                descriptions.append(TensorDescription(name: name, dtype: .bf16,
                                                      shape: try shapes.shape(of: name, elements: UInt64(range.count))))
            }
        }
        // With a manifest that describes the source's own files, those files exactly (unless another layout is
        // asked for).
        let manifest = maxShardSize == nil && modelConfig == nil ? recorded : nil
        let original = manifest.flatMap {
            OriginalLayout(manifest: $0, unitWeightBytes: pieces.mapValues { 2 * UInt64($0.range.count) },
                           release: model.tensors)
        }
        let provenance = original == nil ? nil : SourceProvenance.beside(input)
        // A tied weight (the presets' tied_weights, e.g. lm_head), compressed twice by the official tool: left out
        // when its unit is identical to its tensor's, as transformers saves it.
        if original == nil, case .bool(true)? = config["tie_word_embeddings"] {
            for tie in ArchitecturePreset.tiedWeights(config: config) {
                guard let piece = pieces[tie.name], let target = pieces[tie.source], piece.unit != target.unit,
                      try unitsIdentical(decoders[piece.unit].module, decoders[target.unit].module, model) else { continue }
                pieces[tie.name] = nil
                descriptions.removeAll { $0.name == tie.name }
                report.droppedTied.append(tie.name)
            }
        }
        for name in model.remainder {
            let info = model.tensors.tensor(named: name)!
            descriptions.append(TensorDescription(name: name, dtype: info.dtype, shape: info.shape))
        }
        // Without the original files (no manifest, --max-shard-size): the library's layout, named as diffusers names
        // a diffusers model's weights (its release holds diffusion_pytorch_model.safetensors, or its manifest names
        // them so), else as transformers does.
        let recordedNames = recorded?.sourceFiles.map(\.name) ?? []
        let isDiffusers = model.fileNames.contains(DFloat11CompressionPlan.diffusersWeightsName)
            || recordedNames.contains { $0.hasPrefix("diffusion_pytorch_model") && $0.hasSuffix(".safetensors") }
        let plan = ShardPlan(tensors: descriptions.sorted { PatternDictionary.naturalOrder($0.name, $1.name) },
                             maxBytes: maxShardSize, baseName: isDiffusers ? "diffusion_pytorch_model" : "model")
        let writers = try original?.writers ?? plan.shards.map {
            try SafetensorsWriter(tensors: $0.tensors, metadata: [("format", "pt")], order: .safetensorsLibrary,
                                  fileName: $0.fileName)
        }
        let indexName = original.map { $0.indexName } ?? plan.indexFileName
        let indexBytes = original.map { $0.texts[$0.indexName] } ?? (plan.isSharded ? plan.indexJSON : nil)

        try CheckpointOperations.intoDirectory(output, input: model.directory, force: options.force) { directory in
            // Weight files of an earlier run in OUT that this one does not rewrite: with --force they go once the
            // new files are in place (a single file beside shards, or shards beside a single file, would be loaded
            // instead of them; shards of another count would lie about unused); without it, a clash is refused.
            let previous = try previousWeightFiles(in: directory, baseName: plan.baseName)
            let written = Set(writers.map(\.fileName) + (indexBytes != nil ? [indexName] : []))
            let stale = previous.filter { !written.contains($0) }
            if !stale.isEmpty && !options.force {
                throw OutputExistsError(path: output, detail: "'\(output)' already holds \(stale.joined(separator: ", ")) "
                                        + "from an earlier run, which a loader could take instead of the new files; "
                                        + "use --force to replace them")
            }
            let meter = options.meter("decompress", total: writers.reduce(0) { $0 + $1.fileSize })
            defer { meter?.finish() }
            var files: [AtomicOutputFile] = []
            do {
                for writer in writers {
                    let path = try FileSystem.inside(directory, writer.fileName, origin: "a weight file of the manifest")
                    try FileSystem.createDirectories(FileSystem.directoryName(of: path))
                    files.append(try AtomicOutputFile(path: path, overwrite: options.force))
                }
                try writeModel(shards: Array(zip(writers, files.map { $0 as PositionedByteSink })), pieces: pieces,
                               decoders: decoders, model: model, threads: options.threads, meter: meter)
                // An earlier index goes first, so that no index ever names a shard that is not (yet) this run's.
                if stale.contains(indexName) {
                    try FileSystem.removeFile(FileSystem.join(directory, indexName))
                }
                // As private as the model's files.
                let mode = FileAttributes.commonMode(of: model.fileNames.map { FileSystem.join(model.directory, $0) })
                for (writer, file) in zip(writers, files) {
                    if let mode { _ = chmod(file.temporaryPath, mode) }
                    try original?.check(file.temporaryPath, name: writer.fileName, provenance: provenance)
                    try file.commit()
                }
                if let indexBytes {     // last: an index only ever names complete shards
                    let path = FileSystem.join(directory, indexName)
                    try AtomicOutputFile.write(contents: indexBytes, to: path, overwrite: options.force)
                    if let mode { _ = chmod(path, mode) }
                }
                for name in stale where name != indexName {
                    try FileSystem.removeFile(FileSystem.join(directory, name))
                }
            } catch {
                for file in files { file.abort() }
                throw error
            }
            report.weights = pieces.values.reduce(0) { $0 + UInt64($1.range.count) }
            report.units = decoders.count
            report.tensors = writers.reduce(0) { $0 + $1.tensors.count }
            report.outputBytes = writers.reduce(0) { $0 + $1.fileSize }
            report.weightFiles = writers.map(\.fileName) + (indexBytes != nil ? [indexName] : [])

            // config.json as it was (from the manifest), or without dfloat11_config; none when the manifest says the
            // source had none (a plain module's or ComfyUI file). Other files as they are.
            var configOut = config
            if case let .object(members) = configOut { configOut = .object(members.filter { $0.key != "dfloat11_config" }) }
            // (The manifest's text of config.json serves the library's layout too: a diffusers model's or single-file
            // release's config.json holds only dfloat11_config.)
            let recordedConfig = recorded?.sourceFiles.first { $0.name == "config.json" }?.text.map { Array($0.utf8) }
            let sourceHadConfig = recorded.map { _ in recordedNames.contains("config.json") } ?? true
            if sourceHadConfig {
                try AtomicOutputFile.write(contents: recordedConfig ?? configOut.encode(.indented) + [0x0A],
                                           to: FileSystem.join(directory, "config.json"), overwrite: options.force)
                if let configMode = FileAttributes(of: FileSystem.join(model.directory, "config.json"))?.mode {
                    _ = chmod(FileSystem.join(directory, "config.json"), configMode)
                }
            }
            for name in CheckpointOperations.excludingOutput(model.otherFiles, root: model.directory, output: output) {
                try CheckpointOperations.copyFile(FileSystem.join(model.directory, name),
                                                  to: FileSystem.inside(directory, name, origin: "a copied file"),
                                                  force: options.force)
                report.copied.append(name)
            }
            if let original {
                // The small files too, and the copied ones the manifest lists: every source file proven.
                var proven = writers.count
                for name in [indexName, "config.json"] + report.copied
                    where original.expected[name] != nil && FileSystem.kind(of: FileSystem.join(directory, name)) == .regularFile {
                    try original.check(FileSystem.join(directory, name), name: name, provenance: provenance)
                    proven += 1
                }
                report.originalsRestored = proven
                report.provenance = provenance?.origin
            }
        }
        report.seconds = clock.seconds
        return report
    }

    /// The weight files of a bf16 checkpoint already in `directory`: `model.safetensors`, the index and the shards
    /// it names (only `*.safetensors` files directly in `directory`; an unreadable index counts alone).
    static func previousWeightFiles(in directory: String, baseName: String = "model") throws -> [String] {
        var names: [String] = []
        let single = baseName + ".safetensors", indexName = baseName + ".safetensors.index.json"
        if FileSystem.kind(of: FileSystem.join(directory, single)) == .regularFile {
            names.append(single)
        }
        let indexPath = FileSystem.join(directory, indexName)
        if FileSystem.kind(of: indexPath) == .regularFile {
            names.append(indexName)
            if let index = try? CheckpointIndex.parse(try FileSystem.readSmallFile(indexPath), path: indexPath) {
                names += index.files.filter {
                    DirectoryManifest.isPlainRelativePath($0) && !$0.contains("/") && $0.hasSuffix(".safetensors")
                        && $0 != single && FileSystem.kind(of: FileSystem.join(directory, $0)) == .regularFile
                }
            }
        }
        return names
    }

    /// A unit weight: its unit and its range of the unit's weights.
    struct Piece {
        let unit: Int
        let range: Range<UInt64>
    }

    /// One job of `writeModel`.
    enum Job {
        /// Decode blocks of a unit and write the weights they hold into their tensors.
        case blocks(unit: Int, blocks: Range<Int>)
        /// Copy part of a tensor that is not a unit weight.
        case copy(TensorInfo, range: Range<UInt64>, to: PositionedByteSink, at: UInt64)
    }

    /// Writes the weight files (`shards`: each file's layout and where it goes): the headers, then every block
    /// range of every unit decoded on `threads` workers, each writing the weights it decoded at their place in
    /// their tensors (a block range may span two tensors of a unit, even two files: it is decoded once), and
    /// the other tensors copied. Memory: a few block ranges per worker.
    static func writeModel(shards: [(writer: SafetensorsWriter, file: PositionedByteSink)], pieces: [String: Piece],
                           decoders: [UnitDecoder], model: DFloat11Model, threads: Int,
                           meter: ProgressMeter?) throws {
        // Per unit, where each of its weights goes: (unit range, file, offset of its first weight in the file).
        var targets = [[(range: Range<UInt64>, file: PositionedByteSink, offset: UInt64)]](repeating: [],
                                                                                           count: decoders.count)
        var jobs: [Job] = []
        let step: UInt64 = 1 << 22
        for (writer, file) in shards {
            try writer.headerBytes.withUnsafeBytes { try file.write($0, concurrentlyAt: 0) }
            let dataStart = UInt64(writer.headerBytes.count)
            for tensor in writer.tensors {
                let offset = dataStart + tensor.dataOffsets.lowerBound
                if let piece = pieces[tensor.name] {
                    targets[piece.unit].append((piece.range, file, offset))
                } else {
                    var done: UInt64 = 0
                    while done < tensor.byteCount {
                        let n = min(step, tensor.byteCount - done)
                        jobs.append(.copy(model.tensors.tensor(named: tensor.name)!, range: done ..< done + n,
                                          to: file, at: offset + done))
                        done += n
                    }
                }
            }
        }
        for (u, decoder) in decoders.enumerated() where !targets[u].isEmpty {
            for start in stride(from: 0, to: decoder.blockCount, by: blocksPerJob) {
                jobs.append(.blocks(unit: u, blocks: start ..< min(start + blocksPerJob, decoder.blockCount)))
            }
        }
        let scratches = ResourcePool { BlockDecodeScratch() }
        let buffers = ResourcePool { UnsafeMutableRawBufferPointer.allocate(byteCount: Int(step), alignment: 16) }
        defer { buffers.drain { $0.deallocate() } }
        var next = 0
        try OrderedPipeline.run(threads: threads, maxInFlight: 2 * threads, produce: { () -> Job? in
            guard next < jobs.count else { return nil }
            defer { next += 1 }
            return jobs[next]
        }, work: { (job: Job) -> UInt64 in
            switch job {
            case let .blocks(u, blocks):
                let decoder = decoders[u]
                return try scratches.withResource { scratch in
                    let words = try decoder.decodeBlocks(blocks, scratch: scratch)
                    let range = decoder.weightRange(ofBlocks: blocks)
                    var written: UInt64 = 0
                    for target in targets[u] {
                        let lo = max(range.lowerBound, target.range.lowerBound)
                        let hi = min(range.upperBound, target.range.upperBound)
                        guard lo < hi else { continue }
                        let part = UnsafeBufferPointer(rebasing: words[Int(lo - range.lowerBound) ..< Int(hi - range.lowerBound)])
                        try target.file.write(UnsafeRawBufferPointer(part),
                                              concurrentlyAt: target.offset + 2 * (lo - target.range.lowerBound))
                        written += 2 * (hi - lo)
                    }
                    return written
                }
            case let .copy(tensor, range, file, offset):
                return try buffers.withResource { buffer in
                    let n = Int(range.upperBound - range.lowerBound)
                    try model.tensors.read(tensor: tensor, range: range, into: buffer)
                    try file.write(UnsafeRawBufferPointer(rebasing: buffer[0 ..< n]), concurrentlyAt: offset)
                    return UInt64(n)
                }
            }
        }, consume: { bytes in meter?.advance(by: bytes) })
    }

    /// The weight names of every unit (`weightNames`), checked to be distinct from each other and from the
    /// model's other tensors: a checkpoint cannot hold two tensors of one name, so such a model cannot be
    /// decompressed (and `verify` reports it).
    static func unitWeightNames(decoders: [UnitDecoder], model: DFloat11Model,
                                shapes: WeightShapes?) throws -> [[String]] {
        var owner: [String: String] = [:]
        return try decoders.map { decoder in
            let names = try weightNames(decoder: decoder, patterns: model.patterns, shapes: shapes)
            for name in names {
                if let other = owner[name] {
                    throw DFloat11MismatchError("duplicate-tensor", other == decoder.module
                        ? "DFloat11 unit '\(other)' names two of its weights '\(name)' (its pattern lists an attribute twice)"
                        : "'\(name)' is a weight of both DFloat11 units '\(other)' and '\(decoder.module)'")
                }
                if model.tensors.tensor(named: name) != nil {
                    throw DFloat11MismatchError("duplicate-tensor", "'\(name)' is both a weight of DFloat11 unit "
                                                + "'\(decoder.module)' and another tensor of the model")
                }
                owner[name] = decoder.module
            }
            return names
        }
    }

    /// Checks each unit's `split_positions` against the weight sizes config.json gives its weights, where it gives
    /// all of them and they add up to the unit's weights: the layout stores no checksum, so a corrupted split
    /// would otherwise pass `verify` and fail `decompress` as if the shapes could not be derived. Bad data.
    static func checkSplitPositions(decoders: [UnitDecoder], names: [[String]], shapes: WeightShapes) throws {
        for (decoder, unitNames) in zip(decoders, names) {
            let sizes = unitNames.compactMap { shapes.derivedElements(of: $0) }
            guard sizes.count == unitNames.count, sizes.count == decoder.splitPositions.count + 1,
                  sizes.reduce(0, { $0 &+ $1 }) == decoder.elementCount else { continue }
            var expected: [Int64] = []
            var total: UInt64 = 0
            for size in sizes.dropLast() {
                total += size
                expected.append(Int64(total))
            }
            if expected != decoder.splitPositions {
                throw DFloat11LayoutError(unit: decoder.module, .badTensor(
                    name: decoder.module + "." + UnitTensor.splitPositions.rawValue,
                    reason: "values \(decoder.splitPositions) disagree with the weights' sizes in config.json "
                        + "(\(zip(unitNames, sizes).map { "\($0.0): \($0.1)" }.joined(separator: ", ")), so \(expected)); "
                        + "the unit is corrupt"))
            }
        }
    }

    /// The names of a unit's weights, in unit order: `<module>.<attribute>.weight` for each attribute its
    /// pattern lists when the unit holds that many tensors, `<module>.weight` for a one-tensor unit.
    ///
    /// A one-tensor unit whose pattern lists one attribute is ambiguous: the official tool takes the module's
    /// own weight for `nn.Linear` and `nn.Embedding` (ignoring the list) and the attribute's otherwise, and
    /// the layout does not record which. With `shapes`, the module's own weight is taken when only its shape
    /// can be derived from the config (`lm_head` listing an attribute it does not have).
    static func weightNames(decoder: UnitDecoder, patterns: PatternDictionary, shapes: WeightShapes? = nil) throws -> [String] {
        let module = decoder.module
        let count = decoder.splitPositions.count + 1
        guard let entry = patterns.entries.indices.first(where: { patterns.fullMatch(entry: $0, module) }) else {
            throw DFloat11LayoutError(unit: module, .badUnitDescription("module '\(module)' matches no pattern of pattern_dict"))
        }
        let attributes = patterns.entries[entry].attributes
        if !attributes.isEmpty && attributes.count == count {
            let listed = attributes.map { module + "." + $0 + ".weight" }
            if count == 1, let shapes, (try? shapes.shape(of: listed[0], elements: decoder.elementCount)) == nil,
               (try? shapes.shape(of: module + ".weight", elements: decoder.elementCount)) != nil {
                return [module + ".weight"]
            }
            return listed
        }
        if count == 1 { return [module + ".weight"] }
        throw DFloat11LayoutError(unit: module, .badTensor(
            name: module + ".split_positions",
            reason: "\(count) tensors, but pattern '\(patterns.entries[entry].pattern)' lists \(attributes.count) attributes"))
    }

    /// Whether two units' six tensors are byte-identical.
    static func unitsIdentical(_ a: String, _ b: String, _ model: DFloat11Model) throws -> Bool {
        for kind in UnitTensor.allCases {
            guard let x = model.tensors.tensor(named: a + "." + kind.rawValue),
                  let y = model.tensors.tensor(named: b + "." + kind.rawValue),
                  x.byteCount == y.byteCount, x.shape == y.shape else { return false }
            // 4 MiB at a time: an embedding's units can be larger than the memory df11 may use.
            if try model.tensors.firstDifference(x, from: y, in: model.tensors) != nil { return false }
        }
        return true
    }
}
