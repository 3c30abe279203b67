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
    public let histogram: ExponentHistogram
    /// Shannon entropy of the exponents, bits per weight.
    public let entropyBits: Double
    /// Code length limit used for `huffmanBits`.
    public let lengthLimit: Int
    /// Exponent bits with one length-limited Huffman code for the whole tensor.
    public let huffmanBits: UInt64

    public init(histogram: ExponentHistogram, lengthLimit: Int) {
        self.histogram = histogram
        self.entropyBits = histogram.entropyBits
        self.lengthLimit = lengthLimit
        let lengths = (try? HuffmanCodeLengths.build(counts: histogram.counts, limit: lengthLimit))
            ?? [UInt8](repeating: 8, count: 256)
        self.huffmanBits = histogram.codedBits(lengths: lengths)
    }

    public var weights: UInt64 { histogram.total }
    /// The entropy bound for exponents and sign-mantissa bytes together: (8 + H) / 8 bytes per weight.
    public var entropyBoundBytes: Double { Double(weights) * (8 + entropyBits) / 8 }
    /// Sign-mantissa bytes plus Huffman-coded exponents.
    public var huffmanBytes: UInt64 { weights + (huffmanBits + 7) / 8 }

    public var json: JSONValue {
        var histogramMembers: [JSONMember] = []
        for (exponent, count) in histogram.counts.enumerated() where count > 0 {
            histogramMembers.append(JSONMember(key: String(exponent), value: .int(count)))
        }
        return .object([
            "weights": .int(weights),
            "exponent_histogram": .object(histogramMembers),
            "distinct_exponents": .int(histogram.usedSymbols),
            "entropy_bits": .double(entropyBits),
            "huffman_length_limit": .int(lengthLimit),
            "huffman_bits": .int(huffmanBits),
            "huffman_bits_per_weight": .double(weights == 0 ? 0 : Double(huffmanBits) / Double(weights)),
            "predicted_bytes": .int(huffmanBytes),
        ])
    }
}
