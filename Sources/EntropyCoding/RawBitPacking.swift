/// Fixed-width values packed LSB-first: value `i` of width `w` occupies bits `i·w … i·w + w − 1` of the
/// bytes (bit `b` is bit `b % 8` of byte `b / 8`, the value's least significant bit first); `⌈n·w / 8⌉` bytes,
/// the unused high bits of the last byte 0. The raw bits of the structured block proposed for format 2.0
/// (docs/CODER2.md §8); not part of any format yet.
public enum RawBitPacking {
    /// The widest value: 56 bits (F64's raw bits are at most 53).
    public static let maxWidth = 56

    /// The bytes `count` values of `width` bits take.
    public static func byteCount(count: Int, width: Int) -> Int { (count * width + 7) / 8 }

    /// Packs the low `width` bits of each value (higher bits are ignored) into the start of `out`.
    ///
    /// - Preconditions: `width` in 0...56; `out.count ≥ byteCount(count: values.count, width: width)`.
    public static func pack(_ values: UnsafeBufferPointer<UInt64>, width: Int, into out: UnsafeMutableRawBufferPointer) {
        precondition((0...maxWidth).contains(width), "raw bit width \(width) is outside 0...\(maxWidth)")
        let total = byteCount(count: values.count, width: width)
        precondition(out.count >= total, "raw bit output below byteCount")
        guard total > 0 else { return }
        let base = out.baseAddress!
        let mask: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
        var accumulator: UInt64 = 0  // the pending bits, the oldest lowest
        var pending = 0
        var position = 0
        for v in values {
            let value = v & mask
            // At most 7 bits are pending here, so 7 + 56 fit the accumulator.
            accumulator |= value << UInt64(pending)
            pending += width
            let bytes = pending >> 3
            if bytes > 0 {
                for b in 0..<bytes { base.storeBytes(of: UInt8(truncatingIfNeeded: accumulator >> UInt64(8 * b)), toByteOffset: position + b, as: UInt8.self) }
                position += bytes
                accumulator = bytes == 8 ? 0 : accumulator >> UInt64(8 * bytes)
                pending &= 7
            }
        }
        if pending > 0 { base.storeBytes(of: UInt8(truncatingIfNeeded: accumulator), toByteOffset: position, as: UInt8.self) }
    }

    /// Unpacks `out.count` values of `width` bits from exactly `byteCount(count: out.count, width: width)` bytes.
    ///
    /// - Throws: `EntropyCodingError.corruptStream` when `bytes` is not exactly that long or the last byte's
    ///   unused bits are not 0.
    public static func unpack(_ bytes: UnsafeRawBufferPointer, width: Int,
                              into out: UnsafeMutableBufferPointer<UInt64>) throws(EntropyCodingError) {
        precondition((0...maxWidth).contains(width), "raw bit width \(width) is outside 0...\(maxWidth)")
        let count = out.count
        let total = byteCount(count: count, width: width)
        guard bytes.count == total else {
            throw .corruptStream("\(bytes.count) bytes of raw bits for \(count) values of \(width) bits (\(total) expected)")
        }
        guard total > 0 else {
            for i in 0..<count { out[i] = 0 }
            return
        }
        let base = bytes.baseAddress!
        let used = (count * width) & 7
        if used != 0, base.load(fromByteOffset: total - 1, as: UInt8.self) >> UInt8(used) != 0 {
            throw .corruptStream("raw bits: the last byte's unused bits are not 0")
        }
        let mask: UInt64 = (1 << UInt64(width)) - 1
        // Values whose 8-byte load stays inside the bytes: the bit position's byte + 8 ≤ total.
        var i = 0
        var position = 0
        while i < count && (position >> 3) + 8 <= total {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: position >> 3, as: UInt64.self))
            out[i] = (word >> UInt64(position & 7)) & mask
            position += width
            i += 1
        }
        while i < count {
            var word: UInt64 = 0
            let first = position >> 3
            for b in 0..<Swift.min(8, total - first) {
                word |= UInt64(base.load(fromByteOffset: first + b, as: UInt8.self)) << UInt64(8 * b)
            }
            out[i] = (word >> UInt64(position & 7)) & mask
            position += width
            i += 1
        }
    }
}
