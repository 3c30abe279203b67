/// A canonical prefix code over the 256 exponent bytes, built from (and validated against) code lengths.
///
/// Codes are assigned in order of (length, symbol): the first symbol of the shortest length gets the
/// all-zero code, and each next symbol gets the previous code plus one, shifted left when the length grows.
/// `codes[s]` is that value read most-significant bit first; the block format writes the bits of each code in
/// that order into an LSB-first stream, i.e. it stores `reversedCodes[s]` starting at the lowest free bit.
///
/// Lengths come from files when decoding, so every invalid set throws rather than traps. A valid set has 256
/// entries, each at most `maxSupportedLength`, and is either empty (all zero), a single symbol of length 1,
/// or two or more symbols whose Kraft sum `Σ 2^-length` is exactly 1.
public struct CanonicalCode: Hashable, Sendable {
    /// The longest code the block format supports (the decoder's table has `2^maxLength` entries).
    public static let maxSupportedLength = 15

    /// Code length per symbol, 0 for symbols the code cannot represent; 256 entries.
    public let lengths: [UInt8]
    /// Canonical code value per symbol, most significant bit first (0 for unused symbols); 256 entries.
    public let codes: [UInt16]
    /// The longest code length (0 for the empty code).
    public let maxLength: Int
    /// The number of symbols with a code.
    public let symbolCount: Int

    /// Builds the canonical code for `lengths` after checking that they form a valid code.
    ///
    /// - Throws: `EntropyCodingError.invalidCodeLengths` naming the problem.
    public init(lengths: [UInt8]) throws(EntropyCodingError) {
        guard lengths.count == 256 else {
            throw .invalidCodeLengths("expected 256 lengths, got \(lengths.count)")
        }
        let maxAllowed = Self.maxSupportedLength
        var perLength = [Int](repeating: 0, count: maxAllowed + 1)
        var used = 0, longest = 0
        for (symbol, length) in lengths.enumerated() where length > 0 {
            guard Int(length) <= maxAllowed else {
                throw .invalidCodeLengths("exponent \(symbol) has length \(length), above the maximum of \(maxAllowed)")
            }
            perLength[Int(length)] += 1
            used += 1
            longest = Swift.max(longest, Int(length))
        }
        if used == 1 {
            guard longest == 1 else {
                throw .invalidCodeLengths("a single-symbol code must have length 1, not \(longest)")
            }
        } else if used >= 2 {
            // Kraft sum scaled by 2^maxAllowed: at most 256 · 2^14, no overflow.
            var kraft = 0
            for length in 1...maxAllowed { kraft += perLength[length] << (maxAllowed - length) }
            guard kraft == 1 << maxAllowed else {
                let relation = kraft > 1 << maxAllowed ? "over-subscribed (Kraft sum above 1)"
                                                       : "incomplete (Kraft sum below 1)"
                throw .invalidCodeLengths("\(used) symbols with lengths up to \(longest) form an \(relation) code")
            }
        }
        // Canonical assignment: first code of each length, then consecutive codes in symbol order.
        var next = [UInt32](repeating: 0, count: maxAllowed + 2)
        var code: UInt32 = 0
        if longest > 0 {
            for length in 1...longest {
                code = (code + UInt32(perLength[length - 1])) << 1
                next[length] = code
            }
        }
        var codes = [UInt16](repeating: 0, count: 256)
        for symbol in 0..<256 where lengths[symbol] > 0 {
            let length = Int(lengths[symbol])
            codes[symbol] = UInt16(next[length])
            next[length] += 1
        }
        self.lengths = lengths
        self.codes = codes
        self.maxLength = longest
        self.symbolCount = used
    }

    /// `codes[s]` with its `lengths[s]` bits in reverse order: the bits as they appear in an LSB-first stream.
    public var reversedCodes: [UInt16] {
        (0..<256).map { Self.reverse(codes[$0], length: Int(lengths[$0])) }
    }

    /// The low `length` bits of `value`, in reverse order.
    @inlinable
    public static func reverse(_ value: UInt16, length: Int) -> UInt16 {
        guard length > 0 else { return 0 }
        return value.bitSwapped &>> (16 - length)
    }
}

extension UInt16 {
    /// This value with its 16 bits in reverse order.
    @usableFromInline
    var bitSwapped: UInt16 {
        var v = self
        v = ((v & 0x5555) << 1) | ((v >> 1) & 0x5555)
        v = ((v & 0x3333) << 2) | ((v >> 2) & 0x3333)
        v = ((v & 0x0F0F) << 4) | ((v >> 4) & 0x0F0F)
        return (v << 8) | (v >> 8)
    }
}
