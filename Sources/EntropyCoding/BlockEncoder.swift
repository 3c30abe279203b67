/// Encodes blocks of bf16 words into the block format (see `BlockFormat`) with one canonical code.
///
/// The code must have been built from a histogram that counts every exponent of the words it encodes. A word
/// whose exponent has no code (length 0) means the words changed after their histogram was taken (an input
/// file rewritten while it is mapped): `encode` notices it after the block, at no cost in the hot loop, and
/// throws `EntropyCodingError.exponentWithoutCode` rather than return a stream that cannot be decoded.
public struct BlockEncoder: Sendable {
    /// The code in use.
    public let code: CanonicalCode

    /// Per sign and exponent (a word's top nine bits, `word >> 7`, so the hot loop needs no mask): the
    /// bit-reversed code, or `unusedEntry` for exponents without a code; and the code's length.
    private let values: [UInt32]
    private let lengths: [UInt8]
    private static let unusedEntry: UInt32 = 1 << 31

    /// An encoder for `code`.
    public init(code: CanonicalCode) {
        self.code = code
        let reversed = code.reversedCodes
        let byExponent: [UInt32] = (0..<256).map { symbol in
            code.lengths[symbol] == 0 ? Self.unusedEntry : UInt32(reversed[symbol])
        }
        values = byExponent + byExponent
        lengths = code.lengths + code.lengths
    }

    /// A capacity for `bits` in `encode` that always suffices for `count` words and codes of at most
    /// `maxLength` bits: four stream regions, each large enough for its segment at `maxLength` bits per word
    /// plus 8 bytes of slack for the writer's 8-byte stores. The encoded streams themselves are usually much
    /// shorter; `encode` returns their real sizes.
    public static func maxBitsBytes(count: Int, maxLength: Int) -> Int {
        BlockFormat.streamCount * regionBytes(segmentLength: BlockFormat.segmentLength(count: count),
                                              maxLength: maxLength)
    }

    private static func regionBytes(segmentLength: Int, maxLength: Int) -> Int {
        (segmentLength * maxLength + 7) / 8 + 8
    }

    /// Encodes `count` words: writes their `count` sign-mantissa bytes to `signMantissa` and the four
    /// exponent streams, concatenated, to the start of `bits`; returns the streams' sizes.
    ///
    /// - Preconditions: `0 ≤ count ≤ BlockFormat.maxCount`; `bits.count ≥
    ///   maxBitsBytes(count: count, maxLength: code.maxLength)`. Bytes of `bits` past the returned total are
    ///   scratch and left unspecified.
    /// - Throws: `EntropyCodingError.exponentWithoutCode` when an exponent in `words` has no code.
    public func encode(words: UnsafePointer<UInt16>, count: Int,
                       signMantissa: UnsafeMutablePointer<UInt8>,
                       bits: UnsafeMutableRawBufferPointer) throws -> StreamSizes {
        precondition(count >= 0 && count <= BlockFormat.maxCount, "block of \(count) words is out of range")
        precondition(bits.count >= Self.maxBitsBytes(count: count, maxLength: code.maxLength),
                     "exponent buffer of \(bits.count) bytes is below maxBitsBytes")
        for k in 0..<count { signMantissa[k] = BF16.signMantissa(words[k]) }
        if count == 0 { return StreamSizes(0, 0, 0, 0) }

        let q = BlockFormat.segmentLength(count: count)
        let region = Self.regionBytes(segmentLength: q, maxLength: code.maxLength)
        let out = bits.baseAddress!
        var sizes = StreamSizes(0, 0, 0, 0)
        let poison = values.withUnsafeBufferPointer { values -> UInt32 in
            lengths.withUnsafeBufferPointer { lengths -> UInt32 in
                Self.encodeStreams(words, count: count, q: q, values: values.baseAddress!,
                                   lengths: lengths.baseAddress!, maxLength: code.maxLength,
                                   out: out, region: region, sizes: &sizes)
            }
        }
        if poison & Self.unusedEntry != 0 {
            let missing = (0..<count).first { code.lengths[Int(BF16.exponent(words[$0]))] == 0 } ?? 0
            throw EntropyCodingError.exponentWithoutCode(
                "word \(missing) of the block has exponent \(BF16.exponent(words[missing])), which the code built "
                + "from the words' histogram does not contain")
        }
        // Close the gaps between regions: streams 1...3 move down behind their predecessors.
        var offset = Int(sizes.stream0)
        for stream in 1..<4 {
            let size = Int(sizes[stream])
            if size > 0 { (out + offset).copyMemory(from: out + stream * region, byteCount: size) }
            offset += size
        }
        return sizes
    }

    /// Codes the four segments into four regions of `region` bytes each; returns the OR of the table
    /// entries used (so the caller can detect unused exponents) and stores the stream sizes.
    @inline(__always)
    private static func encodeStreams(_ words: UnsafePointer<UInt16>, count: Int, q: Int,
                                      values: UnsafePointer<UInt32>, lengths: UnsafePointer<UInt8>, maxLength: Int,
                                      out: UnsafeMutableRawPointer, region: Int,
                                      sizes: inout StreamSizes) -> UInt32 {
        // After a flush at most 7 bits wait in each writer: as many codes as fit in the other 57 bits go
        // between flushes (four up to 14 bits, three for 15).
        if maxLength <= 14 {
            return encodeStreams(words, count: count, q: q, values: values, lengths: lengths, out: out, region: region,
                                 sizes: &sizes, group: 4)
        }
        return encodeStreams(words, count: count, q: q, values: values, lengths: lengths, out: out, region: region,
                             sizes: &sizes, group: 3)
    }

    @inline(__always)
    private static func encodeStreams(_ words: UnsafePointer<UInt16>, count: Int, q: Int,
                                      values: UnsafePointer<UInt32>, lengths: UnsafePointer<UInt8>,
                                      out: UnsafeMutableRawPointer, region: Int,
                                      sizes: inout StreamSizes, group: Int) -> UInt32 {
        var w0 = BitWriter(out), w1 = BitWriter(out + region)
        var w2 = BitWriter(out + 2 * region), w3 = BitWriter(out + 3 * region)
        let s0 = words, s1 = words + q, s2 = words + 2 * q, s3 = words + 3 * q
        var seen: UInt32 = 0
        @inline(__always) func entry(_ word: UInt16) -> (value: UInt32, length: UInt8) {
            let key = Int(truncatingIfNeeded: word &>> 7)
            let value = values[key]
            seen |= value
            return (value, lengths[key])
        }
        // All four segments have at least `shortest` words.
        let shortest = BlockFormat.segmentCount(3, count: count)
        var j = 0
        while j + group <= shortest {
            for k in 0..<group {
                w0.put(entry(s0[j &+ k])); w1.put(entry(s1[j &+ k])); w2.put(entry(s2[j &+ k])); w3.put(entry(s3[j &+ k]))
            }
            w0.flush(); w1.flush(); w2.flush(); w3.flush()
            j &+= group
        }
        // The remaining words of each segment, one code per flush.
        for k in j..<BlockFormat.segmentCount(0, count: count) { w0.put(entry(s0[k])); w0.flush() }
        for k in j..<BlockFormat.segmentCount(1, count: count) { w1.put(entry(s1[k])); w1.flush() }
        for k in j..<BlockFormat.segmentCount(2, count: count) { w2.put(entry(s2[k])); w2.flush() }
        for k in j..<shortest { w3.put(entry(s3[k])); w3.flush() }
        sizes = StreamSizes(w0.finish(from: out), w1.finish(from: out + region),
                            w2.finish(from: out + 2 * region), w3.finish(from: out + 3 * region))
        return seen
    }
}

/// An LSB-first bit writer with a 64-bit buffer that stores 8 bytes at a time (callers leave 8 bytes of
/// slack after the last byte it can write).
private struct BitWriter {
    var buffer: UInt64 = 0
    var count = 0
    var next: UnsafeMutableRawPointer

    @inline(__always) init(_ start: UnsafeMutableRawPointer) { next = start }

    /// Appends a code (`value`: its bits, first bit lowest).
    @inline(__always) mutating func put(_ code: (value: UInt32, length: UInt8)) {
        buffer |= UInt64(code.value) &<< UInt64(count)
        count &+= Int(code.length)
    }

    /// Stores the buffer and moves past its whole bytes; at most 7 bits stay buffered.
    @inline(__always) mutating func flush() {
        next.storeBytes(of: buffer.littleEndian, as: UInt64.self)
        let bytes = count &>> 3
        next += bytes
        buffer = buffer &>> UInt64(bytes &<< 3)
        count &= 7
    }

    /// Stores the last partial byte (its padding is zero) and returns the stream's length from `start`.
    @inline(__always) mutating func finish(from start: UnsafeMutableRawPointer) -> UInt32 {
        next.storeBytes(of: buffer.littleEndian, as: UInt64.self)
        next += (count + 7) &>> 3
        return UInt32(next - start)
    }
}
