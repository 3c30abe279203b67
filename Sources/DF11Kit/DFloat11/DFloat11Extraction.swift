import DF11IO
import DF11Pipeline
import DFloat11Layout
import Safetensors

/// `df11 ls` and `df11 cat` of a DFloat11 model: its weights named as `df11 decompress` names them, and one
/// weight's bf16 bytes decoded from only the blocks of its unit that hold it (every block checked as by verify).
enum DFloat11Extraction {
    /// A unit weight: its name, its unit, its range of the unit's weights, and its shape (`[count]` when the
    /// config does not give it).
    struct UnitWeight {
        let name: String
        let decoder: UnitDecoder
        let range: Range<UInt64>
        let shape: [Int]
    }

    /// Every unit weight of `model`, unit by unit.
    static func unitWeights(of model: DFloat11Model) throws -> [UnitWeight] {
        let decoders = try model.units.map { try UnitDecoder(module: $0, source: model.tensors) }
        let shapes = WeightShapes(config: model.config, configName: FileSystem.join(model.directory, "config.json"),
                                  recorded: (try? model.recordedShapes()) ?? [:])
        let names = try DFloat11Decompression.unitWeightNames(decoders: decoders, model: model, shapes: shapes)
        var weights: [UnitWeight] = []
        for (decoder, unitNames) in zip(decoders, names) {
            let bounds = [0] + decoder.splitPositions.map { UInt64($0) } + [decoder.elementCount]
            for (i, name) in unitNames.enumerated() {
                let range = bounds[i] ..< bounds[i + 1]
                let shape = (try? shapes.shape(of: name, elements: UInt64(range.count))) ?? [range.count]
                weights.append(UnitWeight(name: name, decoder: decoder, range: range, shape: shape))
            }
        }
        return weights
    }

    /// Writes tensor `name` of the DFloat11 model at `path` to `sink`; returns its dtype, shape and bytes.
    static func extract(path: String, tensor name: String, to sink: ByteSink,
                        threads: Int) throws -> (dtype: DType, shape: [Int], bytes: UInt64) {
        let model = try DFloat11Model(directory: path)
        if model.remainder.contains(name), let tensor = model.tensors.tensor(named: name) {
            try SafetensorsExtraction.copy(tensor: tensor, from: model.tensors, to: sink)
            return (tensor.dtype, tensor.shape, tensor.byteCount)
        }
        guard let weight = try unitWeights(of: model).first(where: { $0.name == name }) else {
            throw UsageError("'\(path)' has no tensor '\(name)' (see df11 ls)")
        }
        let decoder = weight.decoder
        let jobs = stride(from: 0, to: decoder.blockCount, by: DFloat11Decompression.blocksPerJob).map {
            $0 ..< min($0 + DFloat11Decompression.blocksPerJob, decoder.blockCount)
        }.filter { blocks in
            let held = decoder.weightRange(ofBlocks: blocks)
            return held.lowerBound < weight.range.upperBound && weight.range.lowerBound < held.upperBound
        }
        let scratches = ResourcePool { BlockDecodeScratch() }
        var next = 0
        try OrderedPipeline.run(threads: threads, maxInFlight: 2 * threads, produce: { () -> Range<Int>? in
            guard next < jobs.count else { return nil }
            defer { next += 1 }
            return jobs[next]
        }, work: { (blocks: Range<Int>) -> [UInt16] in
            try scratches.withResource { scratch in
                let words = try decoder.decodeBlocks(blocks, scratch: scratch)
                let held = decoder.weightRange(ofBlocks: blocks)
                let lo = max(held.lowerBound, weight.range.lowerBound), hi = min(held.upperBound, weight.range.upperBound)
                return Array(words[Int(lo - held.lowerBound) ..< Int(hi - held.lowerBound)])
            }
        }, consume: { (words: [UInt16]) in
            try words.withUnsafeBytes { try sink.write($0) }
        })
        return (.bf16, weight.shape, 2 * UInt64(weight.range.count))
    }
}
