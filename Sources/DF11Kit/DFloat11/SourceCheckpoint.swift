import JSON
import DF11IO
import DF11Pipeline
import DFloat11Layout
import Foundation
import Safetensors

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
        // A weight the source omits because it is tied (the presets' tied_weights), read from its tensor.
        var tied: [String: String] = [:]
        for tie in ArchitecturePreset.tiedWeights(config: model.config)
        where !present.contains(tie.name) && present.contains(tie.source) {
            tied[tie.name] = tied[tie.name] ?? tie.source
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
                 buffer: ScratchBuffer<UInt16>) throws {
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
            if let offset = try model.tensors.firstDifference(mine, from: theirs, in: tensors) {
                throw fail("byte \(offset) differs from the source \(path)")
            }
        }
        return model.remainder.count
    }
}
