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

    /// The unit's chunks of at most `chunkWords` words each, in unit order, without reading them.
    func chunks(chunkWords: Int) -> [UnitChunk] {
        var result: [UnitChunk] = []
        var index: UInt64 = 0
        for tensor in tensors {
            var done: UInt64 = 0
            while done < tensor.elementCount {
                let n = min(UInt64(chunkWords), tensor.elementCount - done)
                result.append(UnitChunk(tensor: tensor, words: done ..< done + n, firstElementIndex: index))
                done += n
                index += n
            }
        }
        return result
    }

    /// The words of `chunk` (a positioned read: safe on any thread).
    func read(_ chunk: UnitChunk) throws -> [UInt16] {
        // Not zero-filled first: the read overwrites every word or throws.
        try [UInt16](unsafeUninitializedCapacity: chunk.words.count) { buffer, initialized in
            try source.read(tensor: chunk.tensor, range: chunk.words.lowerBound * 2 ..< chunk.words.upperBound * 2,
                            into: UnsafeMutableRawBufferPointer(buffer))
            initialized = buffer.count
        }
    }
}

/// A piece of one of a unit's weight tensors: what a worker reads and encodes.
struct UnitChunk: Sendable {
    let tensor: TensorInfo
    /// Word range within the tensor.
    let words: Range<UInt64>
    /// Unit index of the first word.
    let firstElementIndex: UInt64
}
