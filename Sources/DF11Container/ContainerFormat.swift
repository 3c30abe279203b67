import Foundation

/// Constants and small value types of the DF11 container format, versions 1.0 and 2.0 (docs/FORMAT.md).
public enum ContainerFormat {
    /// `\x89DF11\r\n\x1a`.
    public static let magic: [UInt8] = [0x89, 0x44, 0x46, 0x31, 0x31, 0x0D, 0x0A, 0x1A]
    /// `DF11INDX`, the last eight bytes of every complete container.
    public static let trailerMagic: [UInt8] = Array("DF11INDX".utf8)
    /// The newest major version this df11 reads and writes: 2, the structured coder (`CompressionLevel.default` and
    /// `.max`). Level `fast` writes major version 1, byte for byte as df11 1.0 did; a reader reads both.
    public static let majorVersion: UInt16 = 2
    /// The major versions a reader reads.
    public static let readableMajorVersions: ClosedRange<UInt16> = 1...2
    public static let minorVersion: UInt16 = 0
    /// Size of the fixed file header.
    public static let fileHeaderSize = 40
    /// Size of the fixed trailer.
    public static let trailerSize = 16
    /// Bytes a frame adds around its payload: type, flags, length before it; checksum after it.
    public static let frameHeaderSize = 16
    public static let frameChecksumSize = 8
    /// The largest `SHDR` payload: the safetensors header cap plus its length prefix.
    public static let maxHeaderFrameBytes: UInt64 = 8 + 100_000_000
    /// Longest Huffman code a container may hold (the decoder's single-level table has 2^15 entries).
    public static let maxCodeLength = 15
    /// Conventional file name suffix of a container.
    public static let fileExtension = "df11"

    /// The largest valid `BLK ` payload for a given block size.
    /// The longest payload any frame may declare (256 TiB): far beyond any real container, and small enough that a
    /// frame's offset plus its size never overflows 64 bits.
    public static let maxFrameLength: UInt64 = 1 << 48
    public static func maxBlockPayload(blockWeights: Int) -> Int { 4 * blockWeights + 65_536 }
}

/// The four-byte type of a frame.
public enum FrameType: UInt32, CaseIterable {
    case header = 0x5244_4853      // "SHDR"
    case tensorBegin = 0x534E_4554 // "TENS"
    case code = 0x4544_4F43        // "CODE"
    case structuredCode = 0x3245_4443 // "CDE2" (format 2.0)
    case block = 0x204B_4C42       // "BLK"
    case tensorEnd = 0x444E_4554   // "TEND"
    case index = 0x5844_4E49       // "INDX"

    /// The type as its four ASCII characters, for messages.
    public static func name(of raw: UInt32) -> String {
        let bytes = (0..<4).map { UInt8(truncatingIfNeeded: raw >> (8 * $0)) }
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
        return "0x" + String(raw, radix: 16)
    }
}

/// How a tensor's bytes are stored (`TENS` frame).
public enum TensorEncoding: UInt8 {
    /// BF16 weights: Huffman-coded exponents and raw sign-mantissa bytes.
    case bf16Exponents = 1
    /// Any other dtype: each block raw or zstd.
    case bytes = 2
    /// A float dtype split by its structure and tANS-coded (format 2.0): `CDE2` tables, `BLK ` method 3.
    case structured = 3
}

/// How one block is stored (`BLK ` frame).
public enum BlockMethod: UInt32 {
    case raw = 0
    case zstd = 1
    case bf16Exponents = 2
    /// Format 2.0: symbols, raw bits and low byte planes (`StructuredBlock`).
    case structured = 3
}

/// How hard a writer works, as zstd's and xz's levels: which format and coder it uses (docs/FORMAT.md,
/// docs/CODER2.md §5).
public enum CompressionLevel: String, CaseIterable, Sendable {
    /// Format 1.0, byte for byte: BF16 exponents Huffman-coded, other dtypes raw or zstd.
    case fast
    /// Format 2.0: every float dtype split by its structure, tANS tables of 2^12 states.
    case `default`
    /// Format 2.0 with tables of 2^14 states: the smallest files, slower both ways. Earlier writers used 2^15
    /// (each table stores its log, so their files read as before); 2^14 decodes about 20 % faster, its decoding
    /// table half the size and four symbols read per refill, for 0.007 points of MiniLM bf16 (BENCHMARKS.md).
    case max

    /// The tANS table log of the structured coder (nil for `fast`, which does not use it).
    public var tableLog: Int? {
        switch self {
        case .fast: return nil
        case .default: return 12
        case .max: return 14
        }
    }

    /// The container major version a writer at this level writes.
    public var majorVersion: UInt16 { self == .fast ? 1 : 2 }

    /// A level from its name or number (1 fast, 2 default, 3 max); nil for anything else.
    public init?(argument: String) {
        switch argument.lowercased() {
        case "fast", "1": self = .fast
        case "default", "2": self = .default
        case "max", "3": self = .max
        default: return nil
        }
    }
}

/// Tunable parameters of a container, fixed for one file and stored in its header.
public struct ContainerParameters: Equatable, Sendable {
    /// Elements of two bytes per block (a power of two, 2¹⁰…2²⁰).
    public var blockWeights: Int
    /// Blocks per segment: one Huffman code is built and stored per segment.
    public var segmentBlocks: Int
    /// Longest Huffman code allowed when writing (≤ ``ContainerFormat/maxCodeLength``).
    public var lengthLimit: Int
    /// zstd level for non-BF16 tensors.
    public var zstdLevel: Int32
    /// Which format and coder a writer uses (not stored as such: a file's major version says which format).
    public var level: CompressionLevel = .default

    /// 64 Ki weights per block, 64 blocks (8 MiB of bf16) per segment, 12-bit codes, zstd level 3.
    public static let `default` = ContainerParameters(blockWeights: 1 << 16, segmentBlocks: 64,
                                                      lengthLimit: 12, zstdLevel: 3)

    public init(blockWeights: Int, segmentBlocks: Int, lengthLimit: Int, zstdLevel: Int32,
                level: CompressionLevel = .default) {
        self.blockWeights = blockWeights
        self.segmentBlocks = segmentBlocks
        self.lengthLimit = lengthLimit
        self.zstdLevel = zstdLevel
        self.level = level
    }

    /// Original bytes per full block.
    public var blockBytes: Int { 2 * blockWeights }
    /// Original bytes per full segment.
    public var segmentBytes: Int { blockBytes * segmentBlocks }

    /// Whether these parameters are within the format's bounds; a reason if not.
    public var problem: String? {
        if blockWeights < 1 << 10 || blockWeights > 1 << 20 || blockWeights & (blockWeights - 1) != 0 {
            return "block size \(blockWeights) is not a power of two between 1024 and 1048576 weights"
        }
        if segmentBlocks < 1 || segmentBlocks > 4096 { return "segment of \(segmentBlocks) blocks is outside 1…4096" }
        if segmentBytes > 1 << 28 { return "segments of \(segmentBytes) bytes exceed 256 MiB" }
        if lengthLimit < 8 || lengthLimit > ContainerFormat.maxCodeLength {
            return "code length limit \(lengthLimit) is outside 8…\(ContainerFormat.maxCodeLength)"
        }
        return nil
    }
}
