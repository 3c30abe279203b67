import JSON
import DF11IO
import DF11Pipeline
import DFloat11Layout
import Foundation
import Safetensors

/// `df11 verify DIR` for a model in the published DFloat11 layout (any producer, versions 0.2.0 and 0.5.0,
/// directory or single-file layout).
///
/// 1. Structure of every unit (`UnitDecoder.init`): the six tensors' presence, dtypes and shapes; decode
///    tables against the code-length row; `output_positions` monotone, from 0 to N, one per block; `gaps`
///    320 bytes per block; `split_positions` increasing inside the unit.
/// 2. A full decode of every block of every unit (or `sampleBlocks` random blocks per unit) on `threads`
///    threads: units and block ranges are independent tasks (`UnitDecoder.decodeBlocks`).
/// 3. With a manifest (`df11-manifest.json`, unless sampling): every decoded weight and every other tensor
///    has the checksum, dtype and shape the manifest records, and every tensor of the manifest is in the
///    release (`ManifestChecker`).
/// 4. With `against`: each unit's decoded weights equal the source tensors its module's pattern lists
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
        report.inferredArchitecture = model.inferredArchitecture
        // 1. Structure.
        let decoders = try model.units.map { try UnitDecoder(module: $0, source: model.tensors) }
        // The weights' names, as decompress gives them: distinct from each other and from the other tensors.
        let manifest = verify.ignoreManifest ? nil : try model.manifestPath.map { try ReleaseManifest(path: $0) }
        let shapes = WeightShapes(config: model.config, configName: FileSystem.join(model.directory, "config.json"),
                                  recorded: manifest?.shapes ?? [:])
        let names = try DFloat11Decompression.unitWeightNames(decoders: decoders, model: model, shapes: shapes)
        try DFloat11Decompression.checkSplitPositions(decoders: decoders, names: names, shapes: shapes)
        let source = try verify.against.map { try SourceCheckpoint(path: $0, model: model, decoders: decoders) }
        // The manifest's checksums need every weight: not checked with --sample.
        let checker = verify.sampleBlocks == nil ? manifest.map {
            ManifestChecker(manifest: $0, decoders: decoders, names: names)
        } : nil
        try checker?.checkHeaders(model)
        report.manifest = manifest == nil ? "absent" : checker == nil ? "not-checked" : "checked"

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
        let scratches = ResourcePool { BlockDecodeScratch() }
        let references = ResourcePool { ScratchBuffer<UInt16>() }
        var counts = [UInt64](repeating: 0, count: decoders.count)
        try OrderedPipeline.forEach(tasks, threads: options.threads, work: {
            task -> (unit: Int, weights: Int, words: [UInt16]?) in
            let decoder = decoders[task.unit]
            return try scratches.withResource { scratch in
                let words = try decoder.decodeBlocks(task.blocks, scratch: scratch)
                if let source {
                    try references.withResource { buffer in
                        try source.compare(unit: task.unit, decoder: decoder, blocks: task.blocks, words: words,
                                           buffer: buffer)
                    }
                }
                return (task.unit, words.count, checker == nil ? nil : Array(words))
            }
        }, consume: { done in
            if let checker, let words = done.words { try checker.add(unit: done.unit, words: words) }
            counts[done.unit] += UInt64(done.weights)
            meter?.advance(by: UInt64(done.weights) * 2)
        })
        meter?.finish()

        // 3. The rest of the model.
        report.remainderTensors = model.remainder.count
        if let checker {
            try checker.checkRemainder(model)
            report.manifestTensorsChecked = checker.checked.count
        }
        if let source {
            report.remainderCompared = try source.compareRemainder()
            report.sourceBuffersNotInModel = source.omittedBuffers
        }

        for (u, decoder) in decoders.enumerated() {
            let stored = model.storedBytes(ofUnit: decoder.module)
            report.units.append(.init(module: decoder.module, file: model.file(of: decoder.module + ".luts"),
                                      tensors: decoder.splitPositions.count + 1, weights: decoder.elementCount,
                                      blocks: decoder.blockCount, blocksChecked: checked[u],
                                      weightsChecked: counts[u],
                                      storedBytes: stored))
        }
        report.seconds = clock.seconds
        return report
    }
}
