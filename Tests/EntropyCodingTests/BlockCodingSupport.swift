import DF11TestSupport
import EntropyCoding

/// An encoded block held in arrays.
struct EncodedBlock {
    var signMantissa: [UInt8]
    var bits: [UInt8]
    var sizes: StreamSizes
}

/// Encodes `words` with `code` through `BlockEncoder`.
func encodeBlock(_ words: [UInt16], _ code: CanonicalCode) -> EncodedBlock {
    let encoder = BlockEncoder(code: code)
    var sm = [UInt8](repeating: 0, count: words.count)
    var bits = [UInt8](repeating: 0xAA, count: BlockEncoder.maxBitsBytes(count: words.count, maxLength: code.maxLength))
    let sizes = words.withUnsafeBufferPointer { w in
        sm.withUnsafeMutableBufferPointer { s in
            bits.withUnsafeMutableBytes { b in
                try! encoder.encode(words: w.baseAddress ?? UnsafePointer(bitPattern: 8)!, count: words.count,
                               signMantissa: s.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!, bits: b)
            }
        }
    }
    return EncodedBlock(signMantissa: sm, bits: Array(bits.prefix(sizes.total)), sizes: sizes)
}

/// Decodes with `decoder`; the bits are copied into an exactly sized allocation.
func decodeBlock(_ block: EncodedBlock, _ decoder: BlockDecoder, count: Int) throws -> [UInt16] {
    var words = [UInt16](repeating: 0, count: Swift.max(0, count))
    let smPad = block.signMantissa + [UInt8](repeating: 0, count: Swift.max(0, count - block.signMantissa.count))
    let bits = UnsafeMutableRawBufferPointer.allocate(byteCount: block.bits.count, alignment: 1)
    defer { bits.deallocate() }
    bits.copyBytes(from: block.bits)
    try smPad.withUnsafeBufferPointer { s in
        try words.withUnsafeMutableBufferPointer { w in
            try decoder.decode(bits: UnsafeRawBufferPointer(bits), sizes: block.sizes,
                               signMantissa: s.baseAddress ?? UnsafePointer(bitPattern: 8)!, count: count,
                               into: w.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!)
        }
    }
    return words
}

/// The block format written out bit by bit, straight from its specification.
func referenceEncode(_ words: [UInt16], _ code: CanonicalCode) -> EncodedBlock {
    let q = (words.count + 3) / 4
    var all = [UInt8]()
    var sizes = [UInt32]()
    for i in 0..<4 {
        var stream = [UInt8]()
        var bit = 0
        for k in Swift.min(i * q, words.count)..<Swift.min((i + 1) * q, words.count) {
            let e = Int(BF16.exponent(words[k]))
            let length = Int(code.lengths[e])
            for b in stride(from: length - 1, through: 0, by: -1) {  // most significant code bit first
                if bit % 8 == 0 { stream.append(0) }
                stream[bit / 8] |= UInt8((code.codes[e] >> UInt16(b)) & 1) << UInt8(bit % 8)
                bit += 1
            }
        }
        all += stream
        sizes.append(UInt32(stream.count))
    }
    return EncodedBlock(signMantissa: words.map(BF16.signMantissa), bits: all,
                        sizes: StreamSizes(sizes[0], sizes[1], sizes[2], sizes[3]))
}

/// A code built from the words' own histogram.
func codeFor(_ words: [UInt16], limit: Int = 15) throws -> CanonicalCode {
    var histogram = ExponentHistogram()
    words.withUnsafeBufferPointer { histogram.add(words: $0) }
    return try CanonicalCode(lengths: HuffmanCodeLengths.build(counts: histogram.counts, limit: limit))
}
