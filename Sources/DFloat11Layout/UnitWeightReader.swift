import DF11IO
import Safetensors

/// Reads a unit's weights, tensor after tensor in unit order, in chunks of at most a fixed number of words.
///
/// A unit of at most `residentLimit` bytes is mapped once, whole, for all the passes over it; a larger one is
/// mapped (or read) chunk by chunk, so that resident memory does not grow with the unit.
struct UnitWeightReader {
    /// The largest unit mapped whole (bytes of weights).
    static let residentLimit: UInt64 = 64 << 20

    let unit: DFloat11Unit
    let tensors: [TensorInfo]
    let source: TensorSource
    /// Per tensor, its whole mapping when the unit is mapped whole.
    private var resident: [MappedRegion?]

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
        resident = Array(repeating: nil, count: tensors.count)
        if tensors.reduce(0, { $0 + $1.byteCount }) <= Self.residentLimit {
            for (i, tensor) in tensors.enumerated() {
                resident[i] = try source.map(tensor: tensor, range: 0..<tensor.byteCount)
            }
        }
    }

    /// Element counts of the weight tensors.
    var elementCounts: [UInt64] { tensors.map(\.elementCount) }

    /// The unit's chunks of at most `chunkWords` words each, in unit order, without reading them.
    func chunks(chunkWords: Int) -> [UnitChunk] {
        var result: [UnitChunk] = []
        var index: UInt64 = 0
        for (i, tensor) in tensors.enumerated() {
            var done: UInt64 = 0
            while done < tensor.elementCount {
                let n = min(UInt64(chunkWords), tensor.elementCount - done)
                result.append(UnitChunk(tensor: tensor, tensorIndex: i, words: done ..< done + n,
                                        firstElementIndex: index))
                done += n
                index += n
            }
        }
        return result
    }

    /// Calls `body` with the words of `chunk`, mapped from the file where the source allows (safe on any thread).
    func withWords<R>(_ chunk: UnitChunk, _ body: (UnsafeBufferPointer<UInt16>) throws -> R) throws -> R {
        let range = chunk.words.lowerBound * 2 ..< chunk.words.upperBound * 2
        if let region = resident[chunk.tensorIndex] {
            return try withExtendedLifetime(region) {
                try Self.words(UnsafeRawBufferPointer(rebasing: region.bytes[Int(range.lowerBound)..<Int(range.upperBound)]),
                               body)
            }
        }
        return try source.withBytes(of: chunk.tensor, range: range) { try Self.words($0, body) }
    }

    /// `raw` as words: in place when aligned, else copied.
    private static func words<R>(_ raw: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<UInt16>) throws -> R) throws -> R {
        if Int(bitPattern: raw.baseAddress) % MemoryLayout<UInt16>.alignment == 0 {
            return try raw.withMemoryRebound(to: UInt16.self) { try body($0) }
        }
        // A data section at an odd offset (the format allows it): copy to aligned words.
        let words = [UInt16](unsafeUninitializedCapacity: raw.count / 2) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
            initialized = buffer.count
        }
        return try words.withUnsafeBufferPointer { try body($0) }
    }
}

/// A piece of one of a unit's weight tensors: what a worker reads and encodes.
struct UnitChunk: Sendable {
    let tensor: TensorInfo
    /// Position of `tensor` in the unit.
    let tensorIndex: Int
    /// Word range within the tensor.
    let words: Range<UInt64>
    /// Unit index of the first word.
    let firstElementIndex: UInt64
}
