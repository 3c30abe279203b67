/// Decodes blocks in the block format (see `BlockFormat`) with one canonical code.
///
/// The code's lengths usually come from a file, so `init(lengths:)` validates them and throws for any set
/// that is not a complete prefix code of codes at most 15 bits long. Decoding uses one table lookup per
/// word in a single-level table of `2^maxLength` entries, decodes the four streams in lockstep (four
/// independent dependency chains), and never reads outside the `bits` it is given: corrupt input of any
/// kind throws `EntropyCodingError.corruptStream`.
///
/// Strictness: a stream must decode to exactly its segment's word count, its size must be exactly the
/// number of whole bytes its codes touch, and its padding bits must be zero; the stream sizes must add up
/// to `bits.count`. So a block decodes only from the bytes the encoder would produce for it.
public struct BlockDecoder: Sendable {
    /// The code in use.
    public let code: CanonicalCode

    /// `2^code.maxLength` entries indexed by the next `maxLength` stream bits (LSB-first):
    /// `symbol << 7 | length` — the exponent already in place in a bf16 word — or 0 where no code
    /// matches (only possible for the one-symbol code).
    private let table: [UInt16]

    /// For codes of at most `pairBits` bits: `2^pairBits` entries indexed by the next 12 stream bits, each
    /// holding the one or two codes those bits determine — first exponent `<< 7` in bits 0…15, second in
    /// 16…31 (0 if none), total length in bits 0…3 and "two codes" in bit 4 (the exponent bits 7…14 of each
    /// half are what the decoder stores). Empty for longer codes, which use `table` alone.
    private let pairs: [UInt32]
    static let pairBits = 12

    /// A decoder for the code with these lengths (256 entries).
    ///
    /// - Throws: `EntropyCodingError.invalidCodeLengths` for lengths that do not form a valid code, or that
    ///   exceed `CanonicalCode.maxSupportedLength` (15).
    public init(lengths: [UInt8]) throws(EntropyCodingError) {
        self.init(code: try CanonicalCode(lengths: lengths))
    }

    /// A decoder for an already validated code.
    public init(code: CanonicalCode) {
        self.code = code
        let bits = code.maxLength
        var table = [UInt16](repeating: 0, count: 1 << bits)
        let reversed = code.reversedCodes
        for symbol in 0..<256 where code.lengths[symbol] > 0 {
            let length = Int(code.lengths[symbol])
            let entry = UInt16(symbol) << 7 | UInt16(length)
            // Every index whose low `length` bits are this code.
            for high in 0..<(1 << (bits - length)) { table[Int(reversed[symbol]) | high << length] = entry }
        }
        self.table = table
        self.pairs = bits <= Self.pairBits && code.symbolCount >= 2 ? Self.pairTable(table, bits: bits) : []
    }

    /// Two codes per lookup where the next 12 bits hold two whole codes, else one.
    private static func pairTable(_ table: [UInt16], bits: Int) -> [UInt32] {
        let mask = (1 << bits) - 1
        var pairs = [UInt32](repeating: 0, count: 1 << pairBits)
        for v in 0..<(1 << pairBits) {
            let first = table[v & mask]
            let l1 = Int(first & 0xF)
            let second = table[(v >> l1) & mask]
            let l2 = Int(second & 0xF)
            if l2 > 0 && l1 + l2 <= pairBits {
                pairs[v] = UInt32(first & 0x7F80) | UInt32(second & 0x7F80) << 16 | UInt32(l1 + l2) | 0x10
            } else {
                pairs[v] = UInt32(first & 0x7F80) | UInt32(l1)
            }
        }
        return pairs
    }

    /// Decodes a block of `count` words into `words`.
    ///
    /// - Parameters:
    ///   - bits: exactly the block's four exponent streams, concatenated (`sizes.total` bytes).
    ///   - sizes: the streams' byte lengths, as the encoder returned them.
    ///   - signMantissa: the block's `count` sign-mantissa bytes.
    ///   - count: the number of words in the block, `0...BlockFormat.maxCount`.
    ///   - words: room for `count` words; on a throw its contents are unspecified.
    /// - Throws: `EntropyCodingError.corruptStream` if the streams do not decode to exactly `count` words
    ///   (see the type's strictness rules), `.invalidArgument` for a `count` out of range.
    public func decode(bits: UnsafeRawBufferPointer, sizes: StreamSizes,
                       signMantissa: UnsafePointer<UInt8>, count: Int,
                       into words: UnsafeMutablePointer<UInt16>) throws(EntropyCodingError) {
        guard count >= 0 && count <= BlockFormat.maxCount else {
            throw .invalidArgument("block of \(count) words; a block holds at most \(BlockFormat.maxCount)")
        }
        guard sizes.total == bits.count else {
            throw .corruptStream("stream sizes \(sizes) add up to \(sizes.total) bytes, but the block has \(bits.count)")
        }
        if count == 0 {
            guard sizes.total == 0 else { throw .corruptStream("an empty block has \(sizes.total) bytes of streams") }
            return
        }
        guard code.symbolCount > 0 else {
            throw .corruptStream("a block of \(count) words cannot use an empty code")
        }
        // A non-empty block has a non-empty segment 0, which takes at least one byte.
        guard let base = bits.baseAddress, bits.count > 0 else {
            throw .corruptStream("a block of \(count) words has no exponent bits")
        }
        var starts = [0, 0, 0, 0]
        for i in 1..<4 { starts[i] = starts[i - 1] + Int(sizes[i - 1]) }
        if code.symbolCount == 1 {
            try decodeSingleSymbol(base, sizes: sizes, starts: starts, signMantissa: signMantissa,
                                   count: count, into: words)
            return
        }
        try table.withUnsafeBufferPointer { table throws(EntropyCodingError) in
            if pairs.isEmpty {
                try decodeStreams(base, starts: starts, sizes: sizes, table: table.baseAddress!,
                                  signMantissa: signMantissa, count: count, into: words)
            } else {
                try pairs.withUnsafeBufferPointer { pairs throws(EntropyCodingError) in
                    try decodeStreamsInPairs(base, starts: starts, sizes: sizes, table: table.baseAddress!,
                                             pairs: pairs.baseAddress!, signMantissa: signMantissa, count: count,
                                             into: words)
                }
            }
        }
    }

    /// The one-symbol code: each stream is one zero bit per word, zero-padded.
    private func decodeSingleSymbol(_ base: UnsafeRawPointer, sizes: StreamSizes, starts: [Int],
                                    signMantissa: UnsafePointer<UInt8>, count: Int,
                                    into words: UnsafeMutablePointer<UInt16>) throws(EntropyCodingError) {
        for i in 0..<4 {
            let segment = BlockFormat.segmentCount(i, count: count)
            guard Int(sizes[i]) == (segment + 7) / 8 else {
                throw .corruptStream("stream \(i) of a one-symbol block has \(sizes[i]) bytes for \(segment) words")
            }
            for k in 0..<Int(sizes[i]) where base.load(fromByteOffset: starts[i] + k, as: UInt8.self) != 0 {
                throw .corruptStream("stream \(i) of a one-symbol block has a bit set that no code matches")
            }
        }
        let exponent = UInt8(truncatingIfNeeded: code.lengths.firstIndex(of: 1)!)
        for k in 0..<count { words[k] = BF16.word(exponent: exponent, signMantissa: signMantissa[k]) }
    }

    /// The general case (two or more symbols, a complete code: every table entry is a code).
    @inline(__always)
    private func decodeStreams(_ base: UnsafeRawPointer, starts: [Int], sizes: StreamSizes,
                               table t: UnsafePointer<UInt16>,
                               signMantissa: UnsafePointer<UInt8>, count: Int,
                               into words: UnsafeMutablePointer<UInt16>) throws(EntropyCodingError) {
        let q = BlockFormat.segmentLength(count: count)
        let maxLength = code.maxLength
        let mask = (UInt64(1) << UInt64(maxLength)) - 1
        // Codes decoded per stream between two refills: a refill leaves at least 57 valid bits, enough for
        // four codes of up to 14 bits or three of 15.
        let perRefill = maxLength <= 14 ? 4 : 3
        let shortest = BlockFormat.segmentCount(3, count: count)
        let b0 = base + starts[0], b1 = base + starts[1], b2 = base + starts[2], b3 = base + starts[3]
        let o0 = words, o1 = words + q, o2 = words + 2 * q, o3 = words + 3 * q
        var p0 = 0, p1 = 0, p2 = 0, p3 = 0  // bit positions
        // The last bit position from which an 8-byte load stays inside each stream.
        let last0 = (Int(sizes.stream0) - 8) * 8, last1 = (Int(sizes.stream1) - 8) * 8
        let last2 = (Int(sizes.stream2) - 8) * 8, last3 = (Int(sizes.stream3) - 8) * 8
        let step = perRefill * maxLength  // bits one round can consume per stream, at most
        var j = 0
        while true {
            // Rounds that can run without any check: every load stays in its stream, no segment overruns.
            var rounds = (shortest - j) / perRefill
            rounds = Swift.min(rounds, Self.safeRounds(last0 - p0, step), Self.safeRounds(last1 - p1, step))
            rounds = Swift.min(rounds, Self.safeRounds(last2 - p2, step), Self.safeRounds(last3 - p3, step))
            if rounds <= 0 { break }
            if perRefill == 4 {
                Self.fastRounds(rounds, perRefill: 4, t, mask, &j, b0, b1, b2, b3, &p0, &p1, &p2, &p3,
                                o0, o1, o2, o3)
            } else {
                Self.fastRounds(rounds, perRefill: 3, t, mask, &j, b0, b1, b2, b3, &p0, &p1, &p2, &p3,
                                o0, o1, o2, o3)
            }
        }
        try Self.finishStream(0, from: j, to: BlockFormat.segmentCount(0, count: count), b0, Int(sizes.stream0),
                              &p0, t, mask, o0)
        try Self.finishStream(1, from: j, to: BlockFormat.segmentCount(1, count: count), b1, Int(sizes.stream1),
                              &p1, t, mask, o1)
        try Self.finishStream(2, from: j, to: BlockFormat.segmentCount(2, count: count), b2, Int(sizes.stream2),
                              &p2, t, mask, o2)
        try Self.finishStream(3, from: j, to: shortest, b3, Int(sizes.stream3), &p3, t, mask, o3)
        // The decode loops stored the exponent bits alone (fewer loads and operations per code); the sign and
        // mantissa go in with one pass the compiler vectorises.
        Self.mergeSignMantissa(words, signMantissa, count)
    }

    /// The general case for codes of at most 12 bits: up to two codes per lookup. Each stream advances at its
    /// own pace; the checked tail of each is `finishStream`, as in `decodeStreams`.
    @inline(__always)
    private func decodeStreamsInPairs(_ base: UnsafeRawPointer, starts: [Int], sizes: StreamSizes,
                                      table t: UnsafePointer<UInt16>, pairs: UnsafePointer<UInt32>,
                                      signMantissa: UnsafePointer<UInt8>, count: Int,
                                      into words: UnsafeMutablePointer<UInt16>) throws(EntropyCodingError) {
        let q = BlockFormat.segmentLength(count: count)
        let mask = (UInt64(1) << UInt64(code.maxLength)) - 1
        let b0 = base + starts[0], b1 = base + starts[1], b2 = base + starts[2], b3 = base + starts[3]
        let o0 = words, o1 = words + q, o2 = words + 2 * q, o3 = words + 3 * q
        let e0 = BlockFormat.segmentCount(0, count: count), e1 = BlockFormat.segmentCount(1, count: count)
        let e2 = BlockFormat.segmentCount(2, count: count), e3 = BlockFormat.segmentCount(3, count: count)
        var p0 = 0, p1 = 0, p2 = 0, p3 = 0  // bit positions
        var k0 = 0, k1 = 0, k2 = 0, k3 = 0  // words decoded
        let last0 = (Int(sizes.stream0) - 8) * 8, last1 = (Int(sizes.stream1) - 8) * 8
        let last2 = (Int(sizes.stream2) - 8) * 8, last3 = (Int(sizes.stream3) - 8) * 8
        // A round: refill, then four lookups per stream (at most 48 of the 57 valid bits, at most 8 words, and
        // a store of 2 words at the last one: 9 words of room).
        let step = 4 * Self.pairBits
        while true {
            var rounds = Swift.min(Self.safeRounds(last0 - p0, step), Self.safeRounds(last1 - p1, step),
                                   Self.safeRounds(last2 - p2, step), Self.safeRounds(last3 - p3, step))
            rounds = Swift.min(rounds, (e0 - k0 - 1) / 8, (e1 - k1 - 1) / 8, (e2 - k2 - 1) / 8, (e3 - k3 - 1) / 8)
            if rounds <= 0 { break }
            for _ in 0..<rounds {
                var w0 = Self.window(b0, p0), w1 = Self.window(b1, p1)
                var w2 = Self.window(b2, p2), w3 = Self.window(b3, p3)
                for _ in 0..<4 {
                    Self.pair(pairs, &w0, &p0, o0, &k0)
                    Self.pair(pairs, &w1, &p1, o1, &k1)
                    Self.pair(pairs, &w2, &p2, o2, &k2)
                    Self.pair(pairs, &w3, &p3, o3, &k3)
                }
            }
        }
        try Self.finishStream(0, from: k0, to: e0, b0, Int(sizes.stream0), &p0, t, mask, o0)
        try Self.finishStream(1, from: k1, to: e1, b1, Int(sizes.stream1), &p1, t, mask, o1)
        try Self.finishStream(2, from: k2, to: e2, b2, Int(sizes.stream2), &p2, t, mask, o2)
        try Self.finishStream(3, from: k3, to: e3, b3, Int(sizes.stream3), &p3, t, mask, o3)
        Self.mergeSignMantissa(words, signMantissa, count)
    }

    /// One lookup: stores one or two words' exponent bits (always two words' worth: a lone code's second
    /// word is overwritten by the next lookup) and advances.
    @inline(__always)
    private static func pair(_ pairs: UnsafePointer<UInt32>, _ window: inout UInt64, _ position: inout Int,
                             _ out: UnsafeMutablePointer<UInt16>, _ k: inout Int) {
        let entry = pairs[Int(truncatingIfNeeded: window & 0xFFF)]
        UnsafeMutableRawPointer(out + k).storeBytes(of: (entry & 0x7F80_7F80).littleEndian, as: UInt32.self)
        let length = entry & 0xF
        window &>>= UInt64(length)
        position &+= Int(length)
        k &+= 1 &+ Int(truncatingIfNeeded: (entry &>> 4) & 1)
    }

    /// `words[k] |= sign and mantissa of signMantissa[k]`, for every word.
    @inline(__always)
    private static func mergeSignMantissa(_ words: UnsafeMutablePointer<UInt16>, _ signMantissa: UnsafePointer<UInt8>,
                                          _ count: Int) {
        for k in 0..<count {
            let sm = UInt16(signMantissa[k])
            words[k] |= ((sm & 0x80) &<< 8) | (sm & 0x7F)
        }
    }

    /// How many rounds of `step` bits fit before the position passes `room` bits from the last safe load.
    @inline(__always)
    private static func safeRounds(_ room: Int, _ step: Int) -> Int {
        room < 0 ? 0 : room / step + 1
    }

    /// `rounds` rounds of: refill each stream's 64-bit window, decode `perRefill` words from each.
    @inline(__always)
    private static func fastRounds(_ rounds: Int, perRefill: Int, _ t: UnsafePointer<UInt16>, _ mask: UInt64,
                                   _ j: inout Int,
                                   _ b0: UnsafeRawPointer, _ b1: UnsafeRawPointer,
                                   _ b2: UnsafeRawPointer, _ b3: UnsafeRawPointer,
                                   _ p0: inout Int, _ p1: inout Int, _ p2: inout Int, _ p3: inout Int,
                                   _ o0: UnsafeMutablePointer<UInt16>, _ o1: UnsafeMutablePointer<UInt16>,
                                   _ o2: UnsafeMutablePointer<UInt16>, _ o3: UnsafeMutablePointer<UInt16>) {
        var pos0 = p0, pos1 = p1, pos2 = p2, pos3 = p3
        var k = j
        for _ in 0..<rounds {
            var w0 = window(b0, pos0), w1 = window(b1, pos1), w2 = window(b2, pos2), w3 = window(b3, pos3)
            for _ in 0..<perRefill {
                o0[k] = symbol(t, mask, &w0, &pos0)
                o1[k] = symbol(t, mask, &w1, &pos1)
                o2[k] = symbol(t, mask, &w2, &pos2)
                o3[k] = symbol(t, mask, &w3, &pos3)
                k += 1
            }
        }
        j = k
        p0 = pos0; p1 = pos1; p2 = pos2; p3 = pos3
    }

    /// The 64 bits at bit position `position` (at least 57 of them meaningful). The caller guarantees the
    /// 8 bytes from `position / 8` are inside the stream.
    @inline(__always)
    private static func window(_ base: UnsafeRawPointer, _ position: Int) -> UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: position &>> 3, as: UInt64.self))
            &>> UInt64(position & 7)
    }

    /// Decodes one code from the window and assembles its bf16 word.
    @inline(__always)
    private static func symbol(_ t: UnsafePointer<UInt16>, _ mask: UInt64, _ window: inout UInt64,
                               _ position: inout Int) -> UInt16 {
        let entry = t[Int(truncatingIfNeeded: window & mask)]
        let length = entry & 0xF
        window &>>= UInt64(length)
        position &+= Int(length)
        return entry & 0x7F80
    }

    /// Decodes words `from..<to` of one stream with every read checked, then checks the stream's end.
    private static func finishStream(_ index: Int, from: Int, to: Int, _ base: UnsafeRawPointer, _ size: Int,
                                     _ position: inout Int, _ t: UnsafePointer<UInt16>, _ mask: UInt64,
                                     _ out: UnsafeMutablePointer<UInt16>) throws(EntropyCodingError) {
        let sizeBits = size * 8
        var k = from
        while k < to {
            guard position < sizeBits else {
                throw .corruptStream("stream \(index) ends after \(k) of its \(to) words")
            }
            var window: UInt64
            let byte = position >> 3
            if byte + 8 <= size {
                window = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
            } else {
                window = 0
                for b in 0..<(size - byte) {
                    window |= UInt64(base.load(fromByteOffset: byte + b, as: UInt8.self)) << UInt64(8 * b)
                }
            }
            window >>= UInt64(position & 7)
            let entry = t[Int(truncatingIfNeeded: window & mask)]
            let length = Int(entry & 0xF)
            guard length > 0 else {
                throw .corruptStream("stream \(index) has bits that no code matches at word \(k)")
            }
            position += length
            guard position <= sizeBits else {
                throw .corruptStream("stream \(index) ends inside the code of word \(k) of its \(to)")
            }
            out[k] = entry & 0x7F80
            k += 1
        }
        guard position <= sizeBits else {
            throw .corruptStream("stream \(index) decodes past its \(size) bytes")
        }
        guard (position + 7) / 8 == size else {
            throw .corruptStream("stream \(index) has \(size) bytes but its \(to) words use \(position) bits")
        }
        if position & 7 != 0 {
            let lastByte = base.load(fromByteOffset: size - 1, as: UInt8.self)
            guard lastByte >> UInt8(position & 7) == 0 else {
                throw .corruptStream("stream \(index) has non-zero padding bits")
            }
        }
    }
}
