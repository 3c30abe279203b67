/// One tensor of a safetensors file, as its header describes it.
public struct TensorInfo: Equatable, Sendable {
    /// The tensor's name (the header key).
    public let name: String
    /// The element type.
    public let dtype: DType
    /// The dimensions; empty for a scalar.
    public let shape: [Int]
    /// The byte range, relative to the start of the data section.
    public let dataOffsets: Range<UInt64>

    /// A tensor description; the caller guarantees that `dataOffsets` matches `shape` and `dtype`.
    public init(name: String, dtype: DType, shape: [Int], dataOffsets: Range<UInt64>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.dataOffsets = dataOffsets
    }

    /// The number of bytes of data (`dataOffsets.count`).
    public var byteCount: UInt64 { dataOffsets.upperBound - dataOffsets.lowerBound }

    /// The number of elements (the product of `shape`; 1 for a scalar).
    public var elementCount: UInt64 { DType.elementCount(of: shape) ?? 0 }
}
