/// How the structured coder (docs/CODER2.md §3–§4) takes a floating-point element apart, and puts it back.
///
/// An element of a `FloatLayout` (`sign | exponent (e bits) | mantissa (m bits)`, little-endian in `width`
/// bytes) becomes three parts:
///
/// - the **symbol**: the exponent with the top `k` mantissa bits below it, `e + k` bits — or, with
///   `signInSymbol`, the sign too (`1 + e + k` bits; FP8 codes its whole byte this way). At most 12 bits,
///   the ANS coders' alphabet of 4096;
/// - the **raw bits**: the sign (unless it is in the symbol) above the mantissa bits between the planes and
///   the symbol, `rawBits` in all: `raw = sign << r | (element >> 8p) mod 2^r` with `r = m − k − 8p`;
/// - the **low planes**: the `p` low bytes of the element (`planeCount`), byte `j` of each element in plane `j`.
///
/// The split is a bijection between element bit patterns and in-range parts, whatever the pattern means
/// (NaN payloads, infinities, subnormals, negative zero, every FP8 code): `element(symbol:raw:low:)` inverts
/// `symbol(of:)`, `raw(of:)` and `low(of:)` exactly. With BF16, `k = 0` and no planes it is format 1.0's split
/// (`BF16.exponent`, `BF16.signMantissa`).
public struct ElementSplit: Hashable, Sendable, CustomStringConvertible {
    /// The largest symbol: 12 bits.
    public static let maxSymbolBits = 12

    public let layout: FloatLayout
    /// `k`: the mantissa bits joined to the exponent in the symbol.
    public let symbolMantissaBits: Int
    /// Whether the sign is the symbol's top bit (else it is the raw bits' top bit).
    public let signInSymbol: Bool
    /// `p`: the low bytes split off into planes.
    public let planeCount: Int

    /// A split of `layout` with `k` mantissa bits in the symbol and `planeCount` low byte planes.
    ///
    /// - Throws: `EntropyCodingError.invalidArgument` when `k` is outside `0...m`, the symbol would be wider
    ///   than 12 bits, or the planes would reach into the symbol (`8p > m − k`).
    public init(layout: FloatLayout, symbolMantissaBits k: Int, signInSymbol: Bool = false, planeCount: Int = 0) throws(EntropyCodingError) {
        guard (0...layout.mantissaBits).contains(k) else {
            throw .invalidArgument("\(layout): \(k) mantissa bits in the symbol is outside 0...\(layout.mantissaBits)")
        }
        let symbolBits = layout.exponentBits + k + (signInSymbol ? 1 : 0)
        guard symbolBits <= Self.maxSymbolBits else {
            throw .invalidArgument("\(layout): a symbol of \(symbolBits) bits is wider than \(Self.maxSymbolBits)")
        }
        guard planeCount >= 0, 8 * planeCount <= layout.mantissaBits - k else {
            throw .invalidArgument("\(layout): \(planeCount) low byte planes do not fit below a symbol with \(k) mantissa bits")
        }
        self.layout = layout
        self.symbolMantissaBits = k
        self.signInSymbol = signInSymbol
        self.planeCount = planeCount
    }

    /// The whole element as the symbol (FP8: no raw bits, no planes).
    public static func wholeElement(_ layout: FloatLayout) throws(EntropyCodingError) -> ElementSplit {
        try ElementSplit(layout: layout, symbolMantissaBits: layout.mantissaBits, signInSymbol: true)
    }

    /// Bits per symbol.
    @inlinable public var symbolBits: Int { layout.exponentBits + symbolMantissaBits + (signInSymbol ? 1 : 0) }
    /// Symbols in the alphabet: `2^symbolBits`.
    @inlinable public var alphabetSize: Int { 1 << symbolBits }
    /// Mantissa bits kept raw: between the planes and the symbol.
    @inlinable public var rawMantissaBits: Int { layout.mantissaBits - symbolMantissaBits - 8 * planeCount }
    /// Raw bits per element: the sign (unless in the symbol) and `rawMantissaBits`.
    @inlinable public var rawBits: Int { rawMantissaBits + (signInSymbol ? 0 : 1) }
    /// Bits per element in the planes: `8p`.
    @inlinable public var planeBits: Int { 8 * planeCount }

    /// The bit at which the symbol starts: `m − k`.
    @inlinable var symbolShift: UInt64 { UInt64(layout.mantissaBits - symbolMantissaBits) }

    @inlinable static func mask(_ bits: Int) -> UInt64 { bits >= 64 ? ~0 : (UInt64(1) << UInt64(bits)) - 1 }

    /// The symbol of an element (its bit pattern in the low `8·width` bits).
    @inlinable
    public func symbol(of element: UInt64) -> UInt16 { fields.symbol(of: element) }

    /// The raw bits of an element: `sign << rawMantissaBits | mantissa bits`, `rawBits` bits.
    @inlinable
    public func raw(of element: UInt64) -> UInt64 { fields.raw(of: element) }

    /// The low planes' bits of an element: its `p` low bytes.
    @inlinable
    public func low(of element: UInt64) -> UInt64 { element & Self.mask(planeBits) }

    /// The element with these parts; bits of a part above its width are ignored.
    @inlinable
    public func element(symbol: UInt16, raw: UInt64, low: UInt64) -> UInt64 {
        fields.element(symbol: symbol, raw: raw, low: low)
    }

    /// The split's shifts and masks, for loops over many elements: computed once here, where `symbol(of:)`,
    /// `raw(of:)` and `element(symbol:raw:low:)` would work them out again for each element.
    public var fields: Fields { Fields(self) }

    /// An `ElementSplit` as shifts and masks (see `fields`); the one implementation of the per-element split.
    public struct Fields: Sendable {
        @usableFromInline let symbolShift: UInt64, symbolMask: UInt64
        @usableFromInline let planeBits: UInt64, planeMask: UInt64
        @usableFromInline let rawMantissaBits: UInt64, rawMantissaMask: UInt64
        /// The sign's bit in the element, and 1 when the sign is a raw bit (0 when it is in the symbol).
        @usableFromInline let signShift: UInt64, signIsRaw: UInt64

        @usableFromInline init(_ split: ElementSplit) {
            symbolShift = split.symbolShift
            symbolMask = ElementSplit.mask(split.symbolBits)
            planeBits = UInt64(split.planeBits)
            planeMask = ElementSplit.mask(split.planeBits)
            rawMantissaBits = UInt64(split.rawMantissaBits)
            rawMantissaMask = ElementSplit.mask(split.rawMantissaBits)
            signShift = UInt64(split.layout.bits - 1)
            signIsRaw = split.signInSymbol ? 0 : 1
        }

        @inlinable @inline(__always)
        public func symbol(of element: UInt64) -> UInt16 {
            UInt16(truncatingIfNeeded: (element &>> symbolShift) & symbolMask)
        }

        @inlinable @inline(__always)
        public func raw(of element: UInt64) -> UInt64 {
            ((element &>> signShift) & signIsRaw) &<< rawMantissaBits | (element &>> planeBits) & rawMantissaMask
        }

        @inlinable @inline(__always)
        public func element(symbol: UInt16, raw: UInt64, low: UInt64) -> UInt64 {
            (UInt64(symbol) & symbolMask) &<< symbolShift | (raw & rawMantissaMask) &<< planeBits
                | ((raw &>> rawMantissaBits) & signIsRaw) &<< signShift | low & planeMask
        }
    }

    public var description: String {
        "\(layout) split: \(symbolBits)-bit symbol (exponent\(signInSymbol ? ", sign" : "") and \(symbolMantissaBits) mantissa bits), "
            + "\(rawBits) raw bits, \(planeCount) low byte planes"
    }
}

/// The parts of many elements, as `ElementSplit.split` makes them.
public struct SplitElements: Equatable, Sendable {
    /// One symbol per element.
    public var symbols: [UInt16]
    /// One value of `rawBits` bits per element.
    public var raw: [UInt64]
    /// `planeCount` planes, plane `j` holding byte `j` of each element.
    public var planes: [[UInt8]]

    public init(symbols: [UInt16], raw: [UInt64], planes: [[UInt8]]) {
        self.symbols = symbols
        self.raw = raw
        self.planes = planes
    }
}

extension ElementSplit {
    /// Splits the little-endian elements in `bytes` (a whole number of elements).
    ///
    /// - Throws: `EntropyCodingError.invalidArgument` when `bytes` is not a whole number of elements.
    public func split(_ bytes: UnsafeRawBufferPointer) throws(EntropyCodingError) -> SplitElements {
        let width = layout.width
        guard bytes.count % width == 0 else {
            throw .invalidArgument("\(bytes.count) bytes are not a whole number of \(width)-byte \(layout) elements")
        }
        let count = bytes.count / width
        var parts = SplitElements(symbols: [UInt16](repeating: 0, count: count), raw: [UInt64](repeating: 0, count: count),
                                  planes: [[UInt8]](repeating: [UInt8](repeating: 0, count: count), count: planeCount))
        for i in 0..<count {
            let x = Self.load(bytes, i, width)
            parts.symbols[i] = symbol(of: x)
            parts.raw[i] = raw(of: x)
            for j in 0..<planeCount { parts.planes[j][i] = UInt8(truncatingIfNeeded: x >> UInt64(8 * j)) }
        }
        return parts
    }

    /// The little-endian bytes of the elements with these parts.
    ///
    /// - Throws: `EntropyCodingError.invalidArgument` when the parts' counts differ, the number of planes is
    ///   not `planeCount`, or a symbol or raw value does not fit its width (parts that no split makes).
    public func join(_ parts: SplitElements) throws(EntropyCodingError) -> [UInt8] {
        let count = parts.symbols.count
        guard parts.raw.count == count, parts.planes.count == planeCount, parts.planes.allSatisfy({ $0.count == count }) else {
            throw .invalidArgument("\(layout) parts of different lengths: \(count) symbols, \(parts.raw.count) raw values, "
                                   + "planes of \(parts.planes.map(\.count))")
        }
        let width = layout.width
        var bytes = [UInt8](repeating: 0, count: count * width)
        for i in 0..<count {
            let symbol = parts.symbols[i], raw = parts.raw[i]
            guard Int(symbol) < alphabetSize, raw <= Self.mask(rawBits) else {
                throw .invalidArgument("element \(i): symbol \(symbol) or raw value \(raw) is wider than the \(self)")
            }
            var low: UInt64 = 0
            for j in 0..<planeCount { low |= UInt64(parts.planes[j][i]) << UInt64(8 * j) }
            let x = element(symbol: symbol, raw: raw, low: low)
            for b in 0..<width { bytes[i * width + b] = UInt8(truncatingIfNeeded: x >> UInt64(8 * b)) }
        }
        return bytes
    }

    /// Element `i` of little-endian `width`-byte elements.
    @inline(__always)
    static func load(_ bytes: UnsafeRawBufferPointer, _ i: Int, _ width: Int) -> UInt64 {
        var x: UInt64 = 0
        for b in 0..<width { x |= UInt64(bytes[i * width + b]) << UInt64(8 * b) }
        return x
    }
}

extension ElementSplit {
    /// Splits `count` 2-byte elements (a split without planes) into their symbols and their raw bits, packed
    /// as `RawBitPacking` does: the bulk form of `symbol(of:)` and `raw(of:)` that a block encoder uses.
    ///
    /// - Preconditions: a 2-byte layout and no planes; `raw.count ≥ RawBitPacking.byteCount(count:width: rawBits)`.
    public func splitWords(_ words: UnsafePointer<UInt16>, count: Int, symbols: UnsafeMutablePointer<UInt16>,
                           raw: UnsafeMutableRawBufferPointer) {
        precondition(layout.width == 2 && planeCount == 0, "splitWords is for 2-byte elements without planes")
        let width = rawBits
        precondition(raw.count >= RawBitPacking.byteCount(count: count, width: width), "raw bit output below byteCount")
        // The fields, as constants for the loop: symbol = (w >> shift) & symbolMask; raw = sign << m' | w & mantissaMask.
        let shift = UInt32(symbolShift), symbolMask = UInt32(Self.mask(symbolBits))
        let mantissaBits = UInt32(rawMantissaBits), mantissaMask = UInt32(Self.mask(rawMantissaBits))
        let signIsRaw: UInt32 = signInSymbol ? 0 : 1
        let out = raw.baseAddress
        var accumulator: UInt64 = 0
        var pending = 0
        var position = 0
        var start = 0
        if let out, width <= 8, !signInSymbol {
            // Whole groups of 8 elements: their raw bits are `width` whole bytes, stored with one 8-byte write
            // while 8 bytes of room remain. The common BF16 splits get constant shifts, as in `joinWords`.
            switch (layout.exponentBits, width) {
            case (8, 8): start = Self.splitGroups(words, count, symbols, out, raw.count, 8, 7, 7)
            case (8, 7): start = Self.splitGroups(words, count, symbols, out, raw.count, 7, 6, 6)
            case (8, 6): start = Self.splitGroups(words, count, symbols, out, raw.count, 6, 5, 5)
            case (8, 5): start = Self.splitGroups(words, count, symbols, out, raw.count, 5, 4, 4)
            case (8, 4): start = Self.splitGroups(words, count, symbols, out, raw.count, 4, 3, 3)
            default: start = Self.splitGroups(words, count, symbols, out, raw.count, width, UInt32(shift), mantissaBits)
            }
            position = start * width / 8
        }
        for i in start..<count {
            let x = UInt32(words[i])
            symbols[i] = UInt16(truncatingIfNeeded: (x &>> shift) & symbolMask)
            let value = ((x &>> 15) & signIsRaw) &<< mantissaBits | (x & mantissaMask)
            accumulator |= UInt64(value) &<< UInt64(truncatingIfNeeded: pending)
            pending &+= width
            if pending >= 32 {
                out!.storeBytes(of: UInt32(truncatingIfNeeded: accumulator).littleEndian, toByteOffset: position, as: UInt32.self)
                position &+= 4
                accumulator &>>= 32
                pending &-= 32
            }
        }
        while pending > 0 {
            out!.storeBytes(of: UInt8(truncatingIfNeeded: accumulator), toByteOffset: position, as: UInt8.self)
            position += 1
            accumulator >>= 8
            pending -= 8
        }
    }

    /// Splits whole groups of 8 elements (no sign in the symbol) while an 8-byte write of their `width` bytes of
    /// raw bits stays inside `rawCount`; returns how many elements it split.
    @inline(__always)
    static func splitGroups(_ words: UnsafePointer<UInt16>, _ count: Int, _ symbols: UnsafeMutablePointer<UInt16>,
                            _ out: UnsafeMutableRawPointer, _ rawCount: Int, _ width: Int, _ shift: UInt32,
                            _ mantissaBits: UInt32) -> Int {
        let symbolMask = UInt32(0xFFFF) &>> (UInt32(16) &- (15 &- shift))  // exponent and k bits: 15 − shift bits
        let mantissaMask = (UInt32(1) &<< mantissaBits) &- 1
        var i = 0, offset = 0
        while i &+ 8 <= count && offset &+ 8 <= rawCount {
            var packed: UInt64 = 0
            for j in 0..<8 {
                let x = UInt32(words[i &+ j])
                symbols[i &+ j] = UInt16(truncatingIfNeeded: (x &>> shift) & symbolMask)
                let value = (x &>> 15) &<< mantissaBits | (x & mantissaMask)
                packed |= UInt64(value) &<< UInt64(truncatingIfNeeded: j &* width)
            }
            out.storeBytes(of: packed.littleEndian, toByteOffset: offset, as: UInt64.self)
            i &+= 8
            offset &+= width
        }
        return i
    }

    /// Joins whole groups of 8 elements whose raw bits (sign above `mantissaBits` mantissa bits, `width` in all)
    /// one 8-byte load reaches; returns how many elements it joined. Inlined with constant arguments it needs no
    /// shift by a register.
    @inline(__always)
    static func joinGroups(_ base: UnsafeRawPointer, _ total: Int, _ count: Int, _ symbols: UnsafePointer<UInt16>,
                           _ words: UnsafeMutablePointer<UInt16>, _ width: Int, _ shift: UInt64, _ mantissaBits: UInt64,
                           _ invalid: inout UInt16, _ alphabetMask: UInt16) -> Int {
        let mask = (UInt64(1) &<< UInt64(truncatingIfNeeded: width)) &- 1, mantissaMask = (UInt64(1) &<< mantissaBits) &- 1
        var i = 0, offset = 0
        var bad: UInt16 = 0
        while i &+ 8 <= count && offset &+ 8 <= total {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            for j in 0..<8 {
                let value = (word &>> UInt64(truncatingIfNeeded: j &* width)) & mask
                let s = symbols[i &+ j]
                bad |= s & ~alphabetMask
                words[i &+ j] = UInt16(truncatingIfNeeded: ((value &>> mantissaBits) & 1) &<< 15 | UInt64(s) &<< shift
                                       | (value & mantissaMask))
            }
            i &+= 8
            offset &+= width
        }
        invalid |= bad
        return i
    }

    /// Joins `count` 2-byte elements from their symbols and their packed raw bits (exactly
    /// `RawBitPacking.byteCount` bytes): the bulk form of `element(symbol:raw:low:)` a block decoder uses.
    ///
    /// - Throws: `EntropyCodingError.corruptStream` when `raw` is not exactly the packed size or its padding is
    ///   not 0, or a symbol is outside the alphabet.
    public func joinWords(symbols: UnsafePointer<UInt16>, raw: UnsafeRawBufferPointer, count: Int,
                          into words: UnsafeMutablePointer<UInt16>) throws(EntropyCodingError) {
        precondition(layout.width == 2 && planeCount == 0, "joinWords is for 2-byte elements without planes")
        let width = rawBits
        let total = RawBitPacking.byteCount(count: count, width: width)
        guard raw.count == total else {
            throw .corruptStream("\(raw.count) bytes of raw bits for \(count) elements of \(width) bits (\(total) expected)")
        }
        let used = (count * width) & 7
        if used != 0, raw[total - 1] >> UInt8(used) != 0 { throw .corruptStream("raw bits: the last byte's unused bits are not 0") }
        let mask = (UInt64(1) << UInt64(width)) &- 1
        let mantissaBits = UInt64(rawMantissaBits), mantissaMask = (UInt64(1) << mantissaBits) &- 1
        let shift = symbolShift
        let signMask: UInt64 = signInSymbol ? 0 : 1  // a sign-in-symbol split has no sign in its raw bits
        let alphabetMask = UInt16(truncatingIfNeeded: alphabetSize &- 1)
        var invalid: UInt16 = 0
        var i = 0
        var position = 0
        if let base = raw.baseAddress, width <= 8 {
            // Eight elements' raw bits are `width` whole bytes: one 8-byte load and eight fixed shifts per group,
            // no bit position carried from one element to the next. The common splits get their own copy, with
            // the widths and shifts as constants (x86 shifts by a register only through CL).
            var groupInvalid: UInt16 = 0
            switch (layout.exponentBits, width, shift, signInSymbol) {
            case (8, 8, 7, false): i = Self.joinGroups(base, total, count, symbols, words, 8, 7, 7, &groupInvalid, alphabetMask)
            case (8, 7, 6, false): i = Self.joinGroups(base, total, count, symbols, words, 7, 6, 6, &groupInvalid, alphabetMask)
            case (8, 6, 5, false): i = Self.joinGroups(base, total, count, symbols, words, 6, 5, 5, &groupInvalid, alphabetMask)
            case (8, 5, 4, false): i = Self.joinGroups(base, total, count, symbols, words, 5, 4, 4, &groupInvalid, alphabetMask)
            case (8, 4, 3, false): i = Self.joinGroups(base, total, count, symbols, words, 4, 3, 3, &groupInvalid, alphabetMask)
            default:
                if !signInSymbol {
                    i = Self.joinGroups(base, total, count, symbols, words, width, shift, mantissaBits, &groupInvalid, alphabetMask)
                }
            }
            invalid |= groupInvalid
            position = i * width
        }
        if let base = raw.baseAddress {
            // Elements whose raw bits an 8-byte load inside `raw` reaches.
            let fast = total >= 8 ? Swift.min(count, ((total - 8) * 8) / Swift.max(width, 1) + 1) : 0
            while i < fast {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: position &>> 3, as: UInt64.self))
                let value = (word &>> UInt64(truncatingIfNeeded: position & 7)) & mask
                let s = symbols[i]
                invalid |= s & ~alphabetMask
                words[i] = UInt16(truncatingIfNeeded: ((value &>> mantissaBits) & signMask) &<< 15 | UInt64(s) &<< shift
                                  | (value & mantissaMask))
                position &+= width
                i &+= 1
            }
        }
        while i < count {
            var word: UInt64 = 0
            let first = position >> 3
            if width > 0 {
                for b in 0..<Swift.min(8, total - first) { word |= UInt64(raw[first + b]) << UInt64(8 * b) }
            }
            let value = (word >> UInt64(position & 7)) & mask
            let s = symbols[i]
            invalid |= s & ~alphabetMask
            words[i] = UInt16(truncatingIfNeeded: ((value >> mantissaBits) & signMask) << 15 | UInt64(s) << shift | (value & mantissaMask))
            position += width
            i += 1
        }
        guard invalid == 0 else { throw .corruptStream("a symbol outside the \(symbolBits)-bit alphabet") }
    }
}
