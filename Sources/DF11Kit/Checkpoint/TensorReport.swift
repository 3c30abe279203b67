import DF11Container
import JSON
import EntropyCoding
import Safetensors

/// What `df11 inspect` says about one tensor.
public struct TensorReport: JSONRepresentable, Sendable {
    public let name: String
    /// The weight file holding it, as given.
    public let file: String
    public let dtype: DType
    public let shape: [Int]
    public let bytes: UInt64
    /// For BF16 tensors: exponent statistics (format 1.0's coding).
    public let bf16: BF16Statistics?
    /// For every float dtype: what format 2.0 (the default level) would store.
    public let structured: StructuredStatistics?

    public init(name: String, file: String, dtype: DType, shape: [Int], bytes: UInt64, bf16: BF16Statistics?,
                structured: StructuredStatistics? = nil) {
        (self.name, self.file, self.dtype, self.shape, self.bytes) = (name, file, dtype, shape, bytes)
        self.bf16 = bf16
        self.structured = structured
    }

    public var json: JSONValue {
        var members: [JSONMember] = [
            JSONMember(key: "name", value: .string(name)),
            JSONMember(key: "file", value: .string(file)),
            JSONMember(key: "dtype", value: .string(dtype.rawValue)),
            JSONMember(key: "shape", value: .array(shape.map { .int($0) })),
            JSONMember(key: "bytes", value: .int(bytes)),
        ]
        if let bf16 { members.append(JSONMember(key: "bf16", value: bf16.json)) }
        if let structured { members.append(JSONMember(key: "structured", value: structured.json(bytes: bytes))) }
        return .object(members)
    }
}

/// What format 2.0's structured coder (the default level) would store for one float tensor, segment by segment,
/// by the writer's own model (`StructuredPrediction`).
public struct StructuredStatistics: Sendable {
    /// Mantissa bits joined to the exponent, per segment of 8 MiB.
    public private(set) var segments: [Int] = []
    /// Predicted bytes of its blocks (tables, streams, raw bits; frames not counted).
    public private(set) var predictedBytes: Double = 0
    /// The order-0 bound of the chosen splits, per segment.
    public private(set) var entropyBytes: Double = 0

    public init() {}

    /// Whether the writer stores the tensor this way: a tensor of one segment whose plan would not shrink it is
    /// stored as bytes.
    var pays: Bool { segments.count > 1 || lastPays }
    private var lastPays = true

    mutating func add(_ prediction: StructuredPrediction) {
        lastPays = prediction.pays
        segments.append(prediction.symbolMantissaBits)
        predictedBytes += prediction.bytes
        entropyBytes += prediction.entropyBytes
    }

    func json(bytes: UInt64) -> JSONValue {
        .object([
            "symbol_mantissa_bits": .array(segments.map { .int($0) }),
            "entropy_bytes": .double(entropyBytes),
            "predicted_bytes": .int(UInt64(predictedBytes.rounded(.up))),
            "predicted_percent": .double(bytes == 0 ? 100 : 100 * predictedBytes / Double(bytes)),
        ])
    }
}

/// Exponent statistics of one BF16 tensor, and the size its DF11 coding would have.
public struct BF16Statistics: JSONRepresentable, Sendable {
    /// The exponent counts that are not zero, in exponent order: a report holds as many as the tensor has
    /// distinct exponents, not 256 counts (2 KiB) per tensor, which a header of a million tiny tensors turned
    /// into gigabytes (issue #12, defect 5).
    private let nonZeroCounts: [(exponent: UInt8, count: UInt64)]
    /// The exponent histogram.
    public var histogram: ExponentHistogram {
        var counts = [UInt64](repeating: 0, count: 256)
        for (exponent, count) in nonZeroCounts { counts[Int(exponent)] = count }
        return ExponentHistogram(counts: counts)
    }
    public let weights: UInt64
    /// Shannon entropy of the exponents, bits per weight.
    public let entropyBits: Double
    /// Code length limit used for `huffmanBits`.
    public let lengthLimit: Int
    /// Exponent bits with one length-limited Huffman code for the whole tensor.
    public let huffmanBits: UInt64

    public init(histogram: ExponentHistogram, lengthLimit: Int) {
        nonZeroCounts = histogram.counts.enumerated().compactMap { $0.element > 0 ? (UInt8($0.offset), $0.element) : nil }
        weights = histogram.total
        self.lengthLimit = lengthLimit
        // An empty tensor: nothing to code (a header of a million of them made this the run's cost).
        guard weights > 0 else {
            entropyBits = 0
            huffmanBits = 0
            return
        }
        self.entropyBits = histogram.entropyBits
        let lengths = (try? HuffmanCodeLengths.build(counts: histogram.counts, limit: lengthLimit))
            ?? [UInt8](repeating: 8, count: 256)
        self.huffmanBits = histogram.codedBits(lengths: lengths)
    }

    /// The entropy bound for exponents and sign-mantissa bytes together: (8 + H) / 8 bytes per weight.
    public var entropyBoundBytes: Double { Double(weights) * (8 + entropyBits) / 8 }
    /// Sign-mantissa bytes plus Huffman-coded exponents.
    public var huffmanBytes: UInt64 { weights + (huffmanBits + 7) / 8 }

    public var json: JSONValue {
        let histogramMembers = nonZeroCounts.map { JSONMember(key: String($0.exponent), value: .int($0.count)) }
        return .object([
            "weights": .int(weights),
            "exponent_histogram": .object(histogramMembers),
            "distinct_exponents": .int(nonZeroCounts.count),
            "entropy_bits": .double(entropyBits),
            "huffman_length_limit": .int(lengthLimit),
            "huffman_bits": .int(huffmanBits),
            "huffman_bits_per_weight": .double(weights == 0 ? 0 : Double(huffmanBits) / Double(weights)),
            "predicted_bytes": .int(huffmanBytes),
        ])
    }
}
