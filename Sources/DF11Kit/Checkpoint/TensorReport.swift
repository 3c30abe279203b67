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
    /// For BF16 tensors: exponent statistics.
    public let bf16: BF16Statistics?

    public var json: JSONValue {
        var members: [JSONMember] = [
            JSONMember(key: "name", value: .string(name)),
            JSONMember(key: "file", value: .string(file)),
            JSONMember(key: "dtype", value: .string(dtype.rawValue)),
            JSONMember(key: "shape", value: .array(shape.map { .int($0) })),
            JSONMember(key: "bytes", value: .int(bytes)),
        ]
        if let bf16 { members.append(JSONMember(key: "bf16", value: bf16.json)) }
        return .object(members)
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
