/// The byte lengths of a block's four exponent bitstreams, in stream order.
public struct StreamSizes: Hashable, Sendable, CustomStringConvertible {
    /// Byte length of stream 0 (segment 0, the block's first quarter).
    public var stream0: UInt32
    /// Byte length of stream 1.
    public var stream1: UInt32
    /// Byte length of stream 2.
    public var stream2: UInt32
    /// Byte length of stream 3 (the block's last, possibly shorter, segment).
    public var stream3: UInt32

    /// Sizes of the four streams, in order.
    public init(_ stream0: UInt32, _ stream1: UInt32, _ stream2: UInt32, _ stream3: UInt32) {
        self.stream0 = stream0
        self.stream1 = stream1
        self.stream2 = stream2
        self.stream3 = stream3
    }

    /// The size of stream `index` (0...3).
    public subscript(index: Int) -> UInt32 {
        get {
            switch index {
            case 0: return stream0
            case 1: return stream1
            case 2: return stream2
            case 3: return stream3
            default: preconditionFailure("stream index \(index) is not in 0...3")
            }
        }
        set {
            switch index {
            case 0: stream0 = newValue
            case 1: stream1 = newValue
            case 2: stream2 = newValue
            case 3: stream3 = newValue
            default: preconditionFailure("stream index \(index) is not in 0...3")
            }
        }
    }

    /// The four sizes as an array.
    public var array: [UInt32] { [stream0, stream1, stream2, stream3] }

    /// The total byte length of the concatenated streams.
    public var total: Int { Int(stream0) + Int(stream1) + Int(stream2) + Int(stream3) }

    public var description: String { "[\(stream0), \(stream1), \(stream2), \(stream3)]" }
}
