import Safetensors

/// Reads a unit's weights, tensor after tensor in unit order, in chunks of at most a fixed number of words.
struct UnitWeightReader {
    let unit: DFloat11Unit
    let tensors: [TensorInfo]
    let source: TensorSource

    /// Looks up and checks the unit's weight tensors (present, bf16).
    init(unit: DFloat11Unit, source: TensorSource) throws {
        self.unit = unit
        self.source = source
        tensors = try unit.weights.map { weight in
            guard let info = source.tensor(named: weight.source) else {
                throw DFloat11LayoutError(unit: unit.module, .badUnitDescription(
                    "weight '\(weight.source)' is not in the checkpoint"))
            }
            guard info.dtype == .bf16 else {
                throw DFloat11LayoutError(unit: unit.module, .notBF16(tensor: weight.source, dtype: info.dtype.rawValue))
            }
            return info
        }
    }

    /// Element counts of the weight tensors.
    var elementCounts: [UInt64] { tensors.map(\.elementCount) }

    /// Calls `body` with consecutive chunks of the unit's words (at most `chunkWords` each) and the unit index of
    /// each chunk's first word.
    func forEachChunk(chunkWords: Int, _ body: ([UInt16], UInt64) throws -> Void) throws {
        var chunks = ChunkIterator(reader: self, chunkWords: chunkWords)
        while let (words, index) = try chunks.next() { try body(words, index) }
    }
}
