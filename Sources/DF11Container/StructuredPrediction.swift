import EntropyCoding
import Safetensors

/// What format 2.0 would store for a piece of a float tensor, by the writer's own model: `df11 inspect`'s
/// prediction for every float dtype.
public struct StructuredPrediction: Sendable {
    /// The split chosen (`k`: mantissa bits in the symbol; FP8 codes its whole byte).
    public let symbolMantissaBits: Int
    /// The bytes its blocks would take (tables, streams, raw bits; the frames' 24 bytes each not counted).
    public let bytes: Double
    /// The order-0 bound of the split: symbols and planes at their Shannon entropy, raw bits as they are.
    public let entropyBytes: Double
    /// Whether the piece, as a whole tensor, would be stored this way (else as bytes: see `SegmentEncoder.encode`).
    public let pays: Bool

    /// Float tensors smaller than this are stored as bytes, not by the structured coder.
    public static let smallestTensor = SegmentEncoder.smallestStructuredTensor

    /// The prediction for `bytes` of `dtype` (one segment or less; longer pieces are cut into segments), or nil
    /// for a dtype the structured coder does not code or for level fast (format 1.0 has no structured coder).
    public static func predict(_ bytes: UnsafeRawBufferPointer, dtype: DType, level: CompressionLevel = .default,
                               parameters: ContainerParameters = .default) throws -> [StructuredPrediction]? {
        guard let layout = FloatLayout(dtype: dtype), let tableLog = level.tableLog else {
            return nil
        }
        let encoder = StructuredSegmentEncoder(layout: layout, tableLog: tableLog, blockBytes: parameters.blockBytes)
        var predictions: [StructuredPrediction] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + parameters.segmentBytes)
            let plan = try encoder.plan(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            predictions.append(StructuredPrediction(symbolMantissaBits: plan.split.symbolMantissaBits,
                                                    bytes: plan.predictedBits / 8, entropyBytes: plan.entropyBits / 8,
                                                    pays: plan.pays(for: end - start)))
            start = end
        }
        return predictions
    }
}
