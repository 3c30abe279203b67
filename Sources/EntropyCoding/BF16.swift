/// The two bytes df11 stores for one bf16 weight.
///
/// A bf16 word `w` is `s eeeeeeee mmmmmmm` (sign, 8 exponent bits, 7 mantissa bits). df11 Huffman-codes the
/// exponent byte and keeps the sign and mantissa together, raw, in one byte whose top bit is the sign:
///
/// - exponent: `(w >> 7) & 0xFF`
/// - sign-mantissa: `((w >> 8) & 0x80) | (w & 0x7F)`
///
/// The split is a bijection between `UInt16` and `(UInt8, UInt8)`: `word(exponent:signMantissa:)` inverts it.
public enum BF16 {
    /// The 8-bit biased exponent of a bf16 word: `(w >> 7) & 0xFF`.
    @inlinable @inline(__always)
    public static func exponent(_ word: UInt16) -> UInt8 {
        UInt8(truncatingIfNeeded: word &>> 7)
    }

    /// The sign bit (as bit 7) and the 7 mantissa bits (bits 0–6) of a bf16 word.
    @inlinable @inline(__always)
    public static func signMantissa(_ word: UInt16) -> UInt8 {
        UInt8(truncatingIfNeeded: ((word &>> 8) & 0x80) | (word & 0x7F))
    }

    /// The bf16 word with the given exponent byte and sign-mantissa byte.
    @inlinable @inline(__always)
    public static func word(exponent: UInt8, signMantissa: UInt8) -> UInt16 {
        (UInt16(signMantissa & 0x80) &<< 8) | (UInt16(exponent) &<< 7) | UInt16(signMantissa & 0x7F)
    }
}
