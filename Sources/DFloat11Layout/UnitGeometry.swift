/// The constants of the published layout and the sizes of a unit's tensors, computed from its statistics and
/// code lengths before any encoding.
///
/// The bitstream is cut into 64-bit windows (`bytes_per_thread = 8`, one GPU thread each) and blocks of 512
/// windows (`threads_per_block = 512`, 4096 bytes). With codes of at most 32 bits a code starts in every window
/// and every block up to the last code, so the counts below follow from the total bit length alone, except the
/// number of output positions when the stream ends on a byte boundary: then it depends on where the last code
/// starts, hence on the last weight's exponent.
public struct UnitGeometry: Equatable, Sendable {
    /// `version` of the published config: the dfloat11 release whose layout this is.
    public static let version = "0.5.0"
    /// `bytes_per_thread` of the published config.
    public static let bytesPerThread = 8
    /// `threads_per_block` of the published config.
    public static let threadsPerBlock = 512
    /// Bits per window (one GPU thread).
    public static let windowBits: UInt64 = 64
    /// Bits per block (4096 bytes).
    public static let blockBits: UInt64 = 64 * 512
    /// Bytes of bitstream per block.
    public static let blockBytes: UInt64 = 4096
    /// Bytes of packed gaps per block (512 fields of 5 bits).
    public static let gapBytesPerBlock: UInt64 = 320
    /// CUDA's default limit of dynamic shared memory per block without an opt-in attribute, which the
    /// official loader does not set.
    public static let sharedMemoryLimit: UInt64 = 48 * 1024

    /// The official loader's request: `threads_per_block * 4 + 4 + 2 * max(diff(output_positions))`.
    public static func sharedMemoryBytes(maxWeightsPerBlock: UInt32) -> UInt64 {
        UInt64(threadsPerBlock * 4 + 4) + 2 * UInt64(maxWeightsPerBlock)
    }

    /// The largest number of weights one block may decode to within `sharedMemoryLimit`: 23,550.
    public static var maxWeightsPerBlockWithinLimit: UInt32 {
        UInt32((sharedMemoryLimit - UInt64(threadsPerBlock * 4 + 4)) / 2)
    }

    /// The number of weights (N).
    public let elementCount: UInt64
    /// The number of code bits of the weights (the end-of-file code not included).
    public let payloadBits: UInt64
    /// Bytes of `encoded_exponent`: `ceil(payloadBits / 8)`.
    public var encodedBytes: UInt64 { (payloadBits + 7) / 8 }
    /// Blocks of 4096 bytes of bitstream (the last one may be partial).
    public var blockCount: UInt64 { (encodedBytes + Self.blockBytes - 1) / Self.blockBytes }
    /// Gap entries after padding: 512 per block.
    public var gapCount: UInt64 { blockCount * UInt64(Self.threadsPerBlock) }
    /// Bytes of `gaps` (5 bits per entry): 320 per block.
    public var gapsBytes: UInt64 { blockCount * Self.gapBytesPerBlock }
    /// Entries (uint32) of `output_positions`, the final N included.
    public let outputPositionCount: UInt64
    /// Bytes of `output_positions`.
    public var outputPositionsBytes: UInt64 { outputPositionCount * 4 }

    /// The sizes for a unit with `statistics` coded with `lengthsByExponent` (256 entries).
    public init(statistics: UnitStatistics, lengthsByExponent lengths: [UInt8]) {
        elementCount = statistics.elementCount
        let bits = statistics.histogram.codedBits(lengths: lengths)
        payloadBits = bits
        let lastMark: UInt64
        if bits % 8 != 0 {
            lastMark = bits                   // the end-of-file step marks the end position
        } else if let last = statistics.lastExponent {
            lastMark = bits - UInt64(lengths[Int(last)])   // where the last code starts
        } else {
            lastMark = 0
        }
        outputPositionCount = elementCount == 0 ? 1 : lastMark / Self.blockBits + 2
    }
}
