import DF11IO
import DF11Pipeline
import DFloat11Layout
import Foundation
import Safetensors

/// A DFloat11 model that does not match its source checkpoint (`--against`), or a source that cannot be
/// matched to it. Names the unit and block (decoded weights) or the tensor (remainder).
public struct DFloat11MismatchError: CodedFailure {
    public let code: String
    public let message: String
    public let category: FailureCategory
    public var description: String { message }

    init(_ code: String, _ message: String, category: FailureCategory = .badData) {
        self.code = code
        self.message = message
        self.category = category
    }
}

/// What `df11 verify DIR` checks on a DFloat11 model, beyond the structure.
public struct DFloat11VerifyOptions: Sendable {
    /// A bf16 checkpoint (file or directory) to compare every decoded weight and remainder tensor with.
    public var against: String?
    /// Decode only this many randomly chosen blocks per unit (all blocks when nil).
    public var sampleBlocks: Int?
    /// Seed of the block choice.
    public var seed: UInt64

    public init(against: String? = nil, sampleBlocks: Int? = nil, seed: UInt64 = 0) {
        self.against = against
        self.sampleBlocks = sampleBlocks
        self.seed = seed
    }
}

/// The report of `df11 verify` on a DFloat11 model: JSON schema `df11.verify-dfloat11/1` (docs/JSON.md).
public struct DFloat11VerifyReport: OperationReport {
    public struct Unit: Sendable {
        public var module: String
        public var file: String
        public var tensors: Int
        public var weights: UInt64
        public var blocks: Int
        public var blocksChecked: Int
        public var weightsChecked: UInt64
        /// Bytes of the unit's six tensors.
        public var storedBytes: UInt64
    }

    public var input: String
    public var layout: String
    public var version: String
    public var against: String?
    public var sampleBlocks: Int?
    public var seed: UInt64
    public var units: [Unit] = []
    public var remainderTensors = 0
    public var remainderCompared = 0
    /// With `against`: integer or boolean source tensors the model does not hold (such as `position_ids`, a
    /// buffer transformers does not save); listed, not a failure.
    public var sourceBuffersNotInModel: [String] = []
    public var seconds: Double = 0
    public var threads: Int

    public var weights: UInt64 { units.reduce(0) { $0 + $1.weights } }
    public var weightsChecked: UInt64 { units.reduce(0) { $0 + $1.weightsChecked } }
    public var blocks: Int { units.reduce(0) { $0 + $1.blocks } }
    public var blocksChecked: Int { units.reduce(0) { $0 + $1.blocksChecked } }
    public var storedBytes: UInt64 { units.reduce(0) { $0 + $1.storedBytes } }
    /// Bits of the units' six tensors per weight.
    public var bitsPerWeight: Double { weights == 0 ? 0 : Double(storedBytes) * 8 / Double(weights) }
    /// Bytes of bf16 decoded.
    public var decodedBytes: UInt64 { weightsChecked * 2 }
    public var megabytesPerSecond: Double { seconds > 0 ? Double(decodedBytes) / seconds / 1e6 : 0 }

    public var json: JSONValue {
        var members: [JSONMember] = [
            JSONMember(key: "schema", value: .string("df11.verify-dfloat11/1")),
            JSONMember(key: "status", value: .string("ok")),
            JSONMember(key: "input", value: .string(input)),
            JSONMember(key: "layout", value: .string(layout)),
            JSONMember(key: "dfloat11_version", value: .string(version)),
            JSONMember(key: "against", value: against.map { .string($0) } ?? .null),
            JSONMember(key: "sample", value: sampleBlocks.map {
                .object([JSONMember(key: "blocks_per_unit", value: .int($0)), JSONMember(key: "seed", value: .int(seed))])
            } ?? .null),
            JSONMember(key: "units", value: .int(units.count)),
            JSONMember(key: "weights", value: .int(weights)),
            JSONMember(key: "weights_checked", value: .int(weightsChecked)),
            JSONMember(key: "blocks", value: .int(blocks)),
            JSONMember(key: "blocks_checked", value: .int(blocksChecked)),
            JSONMember(key: "bits_per_weight", value: .double(bitsPerWeight)),
            JSONMember(key: "remainder_tensors", value: .int(remainderTensors)),
            JSONMember(key: "remainder_tensors_compared", value: .int(remainderCompared)),
            JSONMember(key: "source_buffers_not_in_model", value: .strings(sourceBuffersNotInModel)),
            JSONMember(key: "decoded_bytes", value: .int(decodedBytes)),
            JSONMember(key: "seconds", value: .double(seconds)),
            JSONMember(key: "threads", value: .int(threads)),
            JSONMember(key: "bf16_mb_per_s", value: .double(megabytesPerSecond)),
        ]
        members.append(JSONMember(key: "unit_list", value: .array(units.map { u in
            .object([
                JSONMember(key: "module", value: .string(u.module)),
                JSONMember(key: "file", value: .string(u.file)),
                JSONMember(key: "tensors", value: .int(u.tensors)),
                JSONMember(key: "weights", value: .int(u.weights)),
                JSONMember(key: "blocks", value: .int(u.blocks)),
                JSONMember(key: "blocks_checked", value: .int(u.blocksChecked)),
                JSONMember(key: "bits_per_weight", value: .double(u.weights == 0 ? 0 : Double(u.storedBytes) * 8 / Double(u.weights))),
            ])
        })))
        return .object(members)
    }

    public var textRole: ReportTextRole { .summary }

    public var details: [String] {
        units.map { u in
            "\(u.module) (\(u.file)): \(u.weights) weights, \(u.blocksChecked) of \(u.blocks) blocks decoded"
        }
    }

    public var text: String {
        let what = sampleBlocks == nil ? "all \(blocks) blocks" : "\(blocksChecked) of \(blocks) blocks (sample, seed \(seed))"
        var text = "ok: DFloat11 \(version) \(layout) layout, \(units.count) units, \(weights) weights, \(what) decoded, "
            + "\(ByteFormatting.formatted(bitsPerWeight, digits: 2)) bits/weight; "
            + "\(ByteFormatting.bytes(decodedBytes)) of bf16 in \(ByteFormatting.formatted(seconds, digits: 2)) s "
            + "(\(ByteFormatting.rate(bytes: decodedBytes, seconds: seconds)))"
            + (against.map { "; equal to \($0) (\(remainderCompared) other tensors byte for byte)" }
               ?? "; values not compared (the layout has no checksums): add --against SRC to prove them")
        if !sourceBuffersNotInModel.isEmpty {
            text += "\nnote: integer buffers of the source that the model does not hold (transformers does not "
                + "save them): " + sourceBuffersNotInModel.joined(separator: ", ")
        }
        return text
    }
}

/// `df11 verify DIR` for a model in the published DFloat11 layout (any producer, versions 0.2.0 and 0.5.0,
/// directory or single-file layout).
///
/// 1. Structure of every unit (`UnitDecoder.init`): the six tensors' presence, dtypes and shapes; decode
///    tables against the code-length row; `output_positions` monotone, from 0 to N, one per block; `gaps`
///    320 bytes per block; `split_positions` increasing inside the unit.
/// 2. A full decode of every block of every unit (or `sampleBlocks` random blocks per unit) on `threads`
///    threads: units and block ranges are independent tasks (`UnitDecoder.decodeBlocks`).
/// 3. With `against`: each unit's decoded weights equal the source tensors its module's pattern lists
///    (`split_positions` must match their sizes), every other tensor equals the source tensor of the same name
///    byte for byte, and every floating-point source tensor is accounted for (integer buffers that
///    transformers does not save, such as `position_ids`, are listed instead).
public enum DFloat11Verification {
    /// Whether `path` is a DFloat11 model directory (`config.json` with `dfloat11_config`).
    public static func isDFloat11Directory(_ path: String) -> Bool { DFloat11Model.isDFloat11Directory(path) }

    /// Blocks per task of a full decode (64 KiB of bitstream, about 200 k weights).
    static let blocksPerTask = 16

    public static func verify(input: String, options: RunOptions, verify: DFloat11VerifyOptions) throws -> DFloat11VerifyReport {
        let clock = Stopwatch()
        let model = try DFloat11Model(directory: input)
        var report = DFloat11VerifyReport(input: input, layout: model.fileNames.count == 1 ? "single-file" : "directory",
                                          version: model.version, against: verify.against,
                                          sampleBlocks: verify.sampleBlocks, seed: verify.seed, threads: options.threads)
        // 1. Structure.
        let decoders = try model.units.map { try UnitDecoder(module: $0, source: model.tensors) }
        // The weights' names, as decompress gives them: distinct from each other and from the other tensors.
        let shapes = WeightShapes(config: model.config, configName: FileSystem.join(model.directory, "config.json"))
        let names = try DFloat11Decompression.unitWeightNames(decoders: decoders, model: model, shapes: shapes)
        try DFloat11Decompression.checkSplitPositions(decoders: decoders, names: names, shapes: shapes)
        let source = try verify.against.map { try SourceCheckpoint(path: $0, model: model, decoders: decoders) }

        // 2. Which blocks.
        var tasks: [(unit: Int, blocks: Range<Int>)] = []
        var checked = [Int](repeating: 0, count: decoders.count)
        var rng = SplitMix64(seed: verify.seed)
        for (u, decoder) in decoders.enumerated() {
            if let sample = verify.sampleBlocks {
                var blocks = Array(0 ..< decoder.blockCount)
                let n = min(sample, blocks.count)
                for i in 0 ..< n { blocks.swapAt(i, i + Int(rng.next() % UInt64(blocks.count - i))) }
                for b in blocks[0 ..< n].sorted() { tasks.append((u, b ..< b + 1)) }
                checked[u] = n
            } else {
                for start in stride(from: 0, to: decoder.blockCount, by: blocksPerTask) {
                    tasks.append((u, start ..< min(start + blocksPerTask, decoder.blockCount)))
                }
                checked[u] = decoder.blockCount
            }
        }
        let meter = options.meter("verify", total: tasks.reduce(0) { total, task in
            let r = decoders[task.unit].weightRange(ofBlocks: task.blocks)
            return total + (r.upperBound - r.lowerBound) * 2
        })
        let scratches = (0 ..< options.threads).map { _ in BlockDecodeScratch() }
        let references = (0 ..< options.threads).map { _ in ReferenceBuffer() }
        let decodedWeights = [UInt64](repeating: 0, count: decoders.count)
        let counts = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: max(1, decoders.count * options.threads))
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        _ = decodedWeights
        try runTasksInParallel(count: tasks.count, threads: options.threads) { index, thread in
            let (u, blocks) = tasks[index]
            let decoder = decoders[u]
            let words = try decoder.decodeBlocks(blocks, scratch: scratches[thread])
            counts[thread * decoders.count + u] += UInt64(words.count)
            if let source {
                try source.compare(unit: u, decoder: decoder, blocks: blocks, words: words, buffer: references[thread])
            }
            meter?.advance(by: UInt64(words.count) * 2)
        }
        meter?.finish()

        // 3. The rest of the model.
        report.remainderTensors = model.remainder.count
        if let source {
            report.remainderCompared = try source.compareRemainder()
            report.sourceBuffersNotInModel = source.omittedBuffers
        }

        for (u, decoder) in decoders.enumerated() {
            let stored = model.storedBytes(ofUnit: decoder.module)
            report.units.append(.init(module: decoder.module, file: model.file(of: decoder.module + ".luts"),
                                      tensors: decoder.splitPositions.count + 1, weights: decoder.elementCount,
                                      blocks: decoder.blockCount, blocksChecked: checked[u],
                                      weightsChecked: (0 ..< options.threads).reduce(0) { $0 + counts[$1 * decoders.count + u] },
                                      storedBytes: stored))
        }
        report.seconds = clock.seconds
        return report
    }
}

/// A per-thread buffer for source words.
final class ReferenceBuffer {
    var pointer = UnsafeMutablePointer<UInt16>.allocate(capacity: 1)
    var capacity = 1
    func reserve(_ n: Int) -> UnsafeMutablePointer<UInt16> {
        if n > capacity { pointer.deallocate(); capacity = n; pointer = .allocate(capacity: n) }
        return pointer
    }
    deinit { pointer.deallocate() }
}

/// The bf16 checkpoint a DFloat11 model was made from, matched to it unit by unit.
struct SourceCheckpoint {
    let path: String
    let model: DFloat11Model
    let tensors: TensorSourceSet
    /// Per unit (in the model's order), its weights in the source.
    let unitWeights: [ConcatenatedTensors]
    let unitWeightNames: [[String]]

    init(path: String, model: DFloat11Model, decoders: [UnitDecoder]) throws {
        self.path = path
        let tensors: TensorSourceSet
        self.model = model
        // Only read and compared, never copied: a source whose files link elsewhere is fine here.
        let checkpoint = try Checkpoint.open(path: path, followSymlinks: true)
        guard checkpoint.kind != .standardInput else { throw UsageError("--against needs a file or a directory, not '-'") }
        tensors = TensorSourceSet(files: try checkpoint.weightFiles.map { try SafetensorsFile(path: $0.resolvedPath) })
        self.tensors = tensors
        let names = tensors.tensorNames
        let present = Set(names)
        var tied: [String: String] = [:]
        if !present.contains("lm_head.weight") && present.contains("model.embed_tokens.weight") {
            tied["lm_head.weight"] = "model.embed_tokens.weight"
        }
        let planned = try model.patterns.units(tensorNames: names, tiedWeights: tied)
        let byModule = Dictionary(planned.map { ($0.module, $0) }, uniquingKeysWith: { a, _ in a })
        var weights: [ConcatenatedTensors] = []
        var weightNames: [[String]] = []
        for decoder in decoders {
            func fail(_ why: String) -> DFloat11MismatchError {
                DFloat11MismatchError("source-mismatch", "DFloat11 unit '\(decoder.module)': \(why) (source \(path))")
            }
            guard let unit = byModule[decoder.module] else {
                throw fail("the pattern_dict applied to the source checkpoint gives no such unit")
            }
            let infos = try unit.weights.map { weight -> TensorInfo in
                guard let info = tensors.tensor(named: weight.source) else { throw fail("source has no '\(weight.source)'") }
                guard info.dtype == .bf16 else { throw fail("source tensor '\(weight.source)' is \(info.dtype.rawValue), not BF16") }
                return info
            }
            let concatenated = ConcatenatedTensors(tensors: infos, source: tensors)
            let splits = concatenated.starts.dropFirst().dropLast().map { Int64($0) }
            guard concatenated.count == decoder.elementCount, splits == decoder.splitPositions else {
                throw fail("holds \(decoder.elementCount) weights split at \(decoder.splitPositions); the source tensors "
                           + unit.weights.map(\.source).joined(separator: ", ") + " hold \(concatenated.count) split at \(splits)")
            }
            weights.append(concatenated)
            weightNames.append(unit.weights.map(\.name))
        }
        for unit in planned where !model.units.contains(unit.module) {
            throw DFloat11MismatchError("source-mismatch", "the pattern_dict applied to the source \(path) gives unit "
                                        + "'\(unit.module)', which the DFloat11 model lacks")
        }
        unitWeights = weights
        unitWeightNames = weightNames
        // Every source tensor is somewhere in the model, except integer and boolean buffers: transformers does
        // not save non-persistent buffers such as BERT's `embeddings.position_ids` (int64, 0…n-1), so models it
        // wrote lack them. They are listed, not failed; a floating-point tensor missing fails.
        let covered = Set(planned.flatMap { $0.weights.map(\.source) }).union(model.remainder)
        var omitted: [String] = []
        for name in names where !covered.contains(name) {
            if let info = tensors.tensor(named: name), !info.dtype.isFloatingPoint {
                omitted.append(name)
                continue
            }
            throw DFloat11MismatchError("source-mismatch", "source tensor '\(name)' (\(path)) is neither a unit weight "
                                        + "nor a tensor of the DFloat11 model")
        }
        omittedBuffers = omitted
    }

    /// Integer or boolean source tensors the model does not hold (buffers transformers does not save).
    let omittedBuffers: [String]

    /// Compares decoded `words` (blocks `blocks` of unit `unit`) with the source.
    func compare(unit: Int, decoder: UnitDecoder, blocks: Range<Int>, words: UnsafeBufferPointer<UInt16>,
                 buffer: ReferenceBuffer) throws {
        let range = decoder.weightRange(ofBlocks: blocks)
        guard !range.isEmpty else { return }
        let reference = buffer.reserve(words.count)
        try unitWeights[unit].read(range, into: reference)
        guard memcmp(reference, words.baseAddress!, words.count * 2) != 0 else { return }
        var i = 0
        while reference[i] == words[i] { i += 1 }
        let index = range.lowerBound + UInt64(i)
        var block = blocks.lowerBound
        while block + 1 < blocks.upperBound && decoder.weightRange(ofBlocks: block + 1 ..< block + 2).lowerBound <= index { block += 1 }
        let (tensor, element) = unitWeights[unit].locate(index)
        let weightName = unitWeightNames[unit][unitWeights[unit].tensors.firstIndex { $0.name == tensor.name } ?? 0]
        func hex(_ w: UInt16) -> String { "0x" + String(w, radix: 16, uppercase: true) }
        throw DFloat11MismatchError("weights-differ", "DFloat11 unit '\(decoder.module)', block \(block): weight \(index) "
            + "('\(weightName)' element \(element)) decodes to \(hex(words[i])), the source \(path) has \(hex(reference[i]))")
    }

    /// Compares every non-unit tensor with the source tensor of the same name; returns how many.
    func compareRemainder() throws -> Int {
        let chunk = 1 << 22
        let a = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        let b = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { a.deallocate(); b.deallocate() }
        for name in model.remainder {
            let file = model.file(of: name)
            func fail(_ why: String) -> DFloat11MismatchError {
                DFloat11MismatchError("remainder-differs", "tensor '\(name)' (\(file)): \(why)")
            }
            let mine = model.tensors.tensor(named: name)!
            guard let theirs = tensors.tensor(named: name) else { throw fail("not in the source \(path)") }
            guard mine.dtype == theirs.dtype, mine.shape == theirs.shape else {
                throw fail("\(mine.dtype.rawValue) \(mine.shape), the source has \(theirs.dtype.rawValue) \(theirs.shape)")
            }
            var offset: UInt64 = 0
            while offset < mine.byteCount {
                let n = min(UInt64(chunk), mine.byteCount - offset)
                try model.tensors.read(tensor: mine, range: offset ..< offset + n, into: a)
                try tensors.read(tensor: theirs, range: offset ..< offset + n, into: b)
                if memcmp(a.baseAddress!, b.baseAddress!, Int(n)) != 0 {
                    var i = 0
                    while a[i] == b[i] { i += 1 }
                    throw fail("byte \(offset + UInt64(i)) differs from the source \(path)")
                }
                offset += n
            }
        }
        return model.remainder.count
    }
}

