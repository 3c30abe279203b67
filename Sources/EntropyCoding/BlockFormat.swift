/// The df11 block format: how one block of bf16 words is stored.
///
/// A block is `count` bf16 words, `0 ≤ count ≤ 2^20` (`BlockFormat.maxCount`), coded with a
/// `CanonicalCode` over the exponent bytes (code lengths 1...15) that the container stores next to it.
/// Its encoded form has two parts:
///
/// 1. **Sign-mantissa bytes**: `count` bytes, byte `k` = `BF16.signMantissa(word[k])`
///    (`((w >> 8) & 0x80) | (w & 0x7F)`), in word order, uncompressed.
/// 2. **Exponent bits**: four bitstreams, concatenated in order 0, 1, 2, 3, whose byte lengths
///    (`StreamSizes`) the container stores.
///    - The words are cut into four consecutive segments of `q = (count + 3) / 4` words: segment `i` holds
///      words `i·q ..< min((i + 1)·q, count)`; the last segments may be shorter, or empty (for example
///      `count = 5` gives `q = 2` and segments of 2, 2, 1 and 0 words).
///    - Stream `i` holds the codes of the exponents of segment `i`, in word order.
///    - Streams are **LSB-first**: bit `b` of a stream is bit `b % 8` of its byte `b / 8`. A code of length
///      `l` with canonical value `c` (most significant bit first) occupies the next `l` bits of the stream,
///      its first (most significant) bit at the lowest position; equivalently, the stream holds the
///      bit-reversed code starting at the first free bit. The first code's first bit is bit 0 of byte 0.
///    - Each stream ends with zero bits up to a whole byte: a stream whose codes take `B` bits is exactly
///      `(B + 7) / 8` bytes long, and its padding bits are 0. An empty segment gives an empty stream.
///    - A one-symbol code (length 1, code `0`) spends one zero bit per word.
///
/// Decoders must reject (never crash on) streams that end before their segment is complete, that decode
/// through an unused code, that are longer than `(B + 7) / 8` bytes, whose padding bits are not zero, or
/// whose sizes do not add up to the exponent bits' length.
public enum BlockFormat {
    /// The largest number of words in one block: 2^20.
    public static let maxCount = 1 << 20
    /// The number of interleaved exponent streams per block.
    public static let streamCount = 4

    /// Words per segment for a block of `count` words: `(count + 3) / 4`.
    @inlinable
    public static func segmentLength(count: Int) -> Int { (count + 3) / 4 }

    /// The number of words in segment `index` (0...3) of a block of `count` words.
    @inlinable
    public static func segmentCount(_ index: Int, count: Int) -> Int {
        let q = segmentLength(count: count)
        return Swift.max(0, Swift.min(q, count - index * q))
    }
}
