/// A tANS table's normalized counts as bytes: the `COUNTS` coding proposed for format 2.0 (docs/CODER2.md §8).
/// Not part of any format yet.
///
/// | size | field |
/// |---:|---|
/// | 2 | a: the first symbol of the span (the first used symbol) |
/// | 2 | n: symbols in the span, a … a + n − 1 (the last one used) |
/// | 2 | b: byte length of the bits that follow |
/// | b | per symbol of the span, LSB-first: its class `l` (the bit length of its count q; 0 if unused) as the difference `d = l − l_prev` (0 before the first), zigzagged (`z = 2d`, or `−2d − 1` when d < 0) and written as the Elias-gamma code of `z + 1` (⌊log2(z + 1)⌋ zero bits, then `z + 1` from its top bit down); then, if l ≥ 2, the `l − 1` bits of q below its top bit, from the top down. Zero bits pad to a whole byte. |
///
/// Neighbouring symbols of an exponent alphabet have counts of similar size, so the classes change little and
/// cost about a bit each; measured on MiniLM bf16 (exponent + 2 bits, 2^12) this is 1.11–1.20 × the cost model
/// of `CodingCost.ansTableBits` (tools/bench/table_header_cost.py, which computes the same sizes).
public enum TANSCounts {
    /// Stores `frequencies` (summing to `2^tableLog`, at least one non-zero).
    public static func encode(frequencies: [UInt32]) -> [UInt8] {
        var writer = BitWriter()
        let span = fields(of: frequencies) { gamma, q, l in
            writer.gamma(gamma)
            if l >= 2 { writer.bitsFromTop(Int(q), count: l - 1) }
        }
        let bits = writer.bytes
        var out = [UInt8]()
        out.reserveCapacity(6 + bits.count)
        for v in [span.lowerBound, span.count, bits.count] { out.append(UInt8(v & 0xFF)); out.append(UInt8(v >> 8)) }
        return out + bits
    }

    /// The size `encode` gives, in bytes, counted without writing the bits (a writer prices a table for every
    /// block it plans).
    public static func encodedSize(frequencies: [UInt32]) -> Int {
        var bits = 0
        _ = fields(of: frequencies) { gamma, _, l in
            bits += 2 * (Int.bitWidth - gamma.leadingZeroBitCount) - 1 + (l >= 2 ? l - 1 : 0)
        }
        return 6 + (bits + 7) / 8
    }

    /// Walks what `encode` stores of `frequencies`: per symbol of the span (first to last used), the value whose
    /// Elias-gamma code holds its class difference, its count `q` and its class `l` (`q`'s bits below the top
    /// follow when `l ≥ 2`). Returns the span.
    @inline(__always)
    private static func fields(of frequencies: [UInt32], _ body: (_ gamma: Int, _ q: UInt32, _ l: Int) -> Void) -> ClosedRange<Int> {
        guard let first = frequencies.firstIndex(where: { $0 > 0 }), let last = frequencies.lastIndex(where: { $0 > 0 }) else {
            preconditionFailure("a tANS table has at least one used symbol")
        }
        var previous = 0
        for q in frequencies[first...last] {
            let l = q == 0 ? 0 : UInt32.bitWidth - q.leadingZeroBitCount
            let d = l - previous
            body(d >= 0 ? 2 * d + 1 : -2 * d, q, l)
            previous = l
        }
        return first...last
    }

    /// Reads counts from the start of `bytes` for an alphabet of `alphabetSize` symbols and a table of
    /// `2^tableLog` states; returns the frequencies (one per symbol of the alphabet) and the bytes read.
    ///
    /// - Throws: `EntropyCodingError.corruptStream` for a span outside the alphabet or with an unused first or
    ///   last symbol, a class above `tableLog + 1`, counts that do not sum to `2^tableLog`, bits that end early
    ///   or are left over, non-zero padding, or fewer bytes than the fields say; `.invalidArgument` for a
    ///   table log outside 10...15 or an alphabet outside 1...4096.
    public static func decode(_ bytes: UnsafeRawBufferPointer, tableLog: Int,
                              alphabetSize: Int) throws(EntropyCodingError) -> (frequencies: [UInt32], byteCount: Int) {
        guard TANSTable.tableLogRange.contains(tableLog) else {
            throw .invalidArgument("tANS table log \(tableLog) is outside \(TANSTable.tableLogRange)")
        }
        guard (1...TANSTable.maxAlphabet).contains(alphabetSize) else {
            throw .invalidArgument("tANS alphabet of \(alphabetSize) symbols is outside 1...\(TANSTable.maxAlphabet)")
        }
        guard bytes.count >= 6 else { throw .corruptStream("tANS counts: \(bytes.count) bytes, less than their 6-byte head") }
        func u16(_ offset: Int) -> Int { Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 }
        let first = u16(0), span = u16(2), length = u16(4)
        guard span >= 1, first + span <= alphabetSize else {
            throw .corruptStream("tANS counts: span of \(span) symbols from \(first) is outside an alphabet of \(alphabetSize)")
        }
        guard bytes.count >= 6 + length else {
            throw .corruptStream("tANS counts: \(length) bytes of counts, but \(bytes.count - 6) left")
        }
        var reader = BitReader(UnsafeRawBufferPointer(rebasing: bytes[6..<(6 + length)]))
        var frequencies = [UInt32](repeating: 0, count: alphabetSize)
        var previous = 0
        var sum = 0
        let size = 1 << tableLog
        for i in 0..<span {
            let z = try reader.gamma() - 1
            let l = previous + (z & 1 == 0 ? z / 2 : -(z + 1) / 2)
            guard (0...(tableLog + 1)).contains(l) else {
                throw .corruptStream("tANS counts: a count of \(l) bits in a table of 2^\(tableLog)")
            }
            var q = 0
            if l >= 1 { q = 1 << (l - 1) | (l >= 2 ? try reader.bitsFromTop(count: l - 1) : 0) }
            guard q > 0 || (i > 0 && i < span - 1) else {
                throw .corruptStream("tANS counts: the span's \(i == 0 ? "first" : "last") symbol is unused")
            }
            sum += q
            guard sum <= size else { throw .corruptStream("tANS counts add up to more than 2^\(tableLog)") }
            frequencies[first + i] = UInt32(q)
            previous = l
        }
        guard sum == size else { throw .corruptStream("tANS counts add up to \(sum), not 2^\(tableLog)") }
        try reader.finish()
        return (frequencies, 6 + length)
    }
}

/// Appends bits LSB-first (bit `b` of the stream is bit `b % 8` of byte `b / 8`).
private struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private var used = 0

    mutating func bit(_ b: Int) {
        if used % 8 == 0 { bytes.append(0) }
        if b != 0 { bytes[bytes.count - 1] |= UInt8(1 << (used % 8)) }
        used += 1
    }

    /// `count` bits of `value`, its highest first.
    mutating func bitsFromTop(_ value: Int, count: Int) {
        for i in stride(from: count - 1, through: 0, by: -1) { bit((value >> i) & 1) }
    }

    /// The Elias-gamma code of `v` ≥ 1.
    mutating func gamma(_ v: Int) {
        let width = Int.bitWidth - v.leadingZeroBitCount
        for _ in 0..<(width - 1) { bit(0) }
        bitsFromTop(v, count: width)
    }
}

/// Reads what `BitWriter` writes, refusing to read past the end.
private struct BitReader {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func bit() throws(EntropyCodingError) -> Int {
        guard position < 8 * bytes.count else { throw .corruptStream("tANS counts end early") }
        defer { position += 1 }
        return Int(bytes[position / 8] >> UInt8(position % 8)) & 1
    }

    mutating func bitsFromTop(count: Int) throws(EntropyCodingError) -> Int {
        var v = 0
        for _ in 0..<count { v = v << 1 | (try bit()) }
        return v
    }

    /// An Elias-gamma code (values up to 2^16: longer runs of zeros are refused).
    mutating func gamma() throws(EntropyCodingError) -> Int {
        var zeros = 0
        while try bit() == 0 {
            zeros += 1
            guard zeros <= 16 else { throw .corruptStream("tANS counts: a class difference too large") }
        }
        return 1 << zeros | (try bitsFromTop(count: zeros))
    }

    /// The rest must be zero padding within the last byte.
    func finish() throws(EntropyCodingError) {
        guard (position + 7) / 8 == bytes.count else {
            throw .corruptStream("tANS counts: \(bytes.count) bytes for \(position) bits")
        }
        if position % 8 != 0, bytes[bytes.count - 1] >> UInt8(position % 8) != 0 {
            throw .corruptStream("tANS counts: non-zero padding")
        }
    }
}
