#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Interleaved rANS (range asymmetric numeral systems) over an alphabet of at most 4096 symbols.
///
/// A building block for the second-generation block coder (docs/CODER2.md): the container does not use it
/// yet, and the stream below is not part of the DF11 format until FORMAT.md says so.
///
/// **Model.** A `RANSTable` gives each symbol `s` a frequency `f(s) ≥ 0` and a cumulative start `c(s)`, with
/// `Σ f = M = 2^n`, `n` = `precisionBits` in 10...15. Symbols of frequency 0 cannot be coded.
///
/// **Stream.** Four lanes, each a 64-bit state `x ∈ [2^31, 2^63)`; symbol `i` of the message uses lane
/// `i % 4`. The stream (little-endian) is the four final encoder states (lane 0 first, 32 bytes), then
/// 32-bit words in the order the decoder consumes them. An empty message is an empty stream. (A 32-bit
/// state with 16-bit words would leave `x / f` as small as 2 at precision 15, where rounding costs ratio;
/// with 64-bit states it is at least 2^16.)
///
/// Decoding symbol `i` with lane `j`'s state `x`: `slot = x mod M`, `s` = the symbol with
/// `c(s) ≤ slot < c(s) + f(s)`, `x ← f(s)·(x >> n) + slot − c(s)`; then, if `x < 2^31`,
/// `x ← (x << 32) | next word`. After the last symbol every lane's state must be exactly `2^31` (the
/// encoder's initial state) and every word consumed: the decoder rejects a stream otherwise, so most damage
/// is detected even without the container's checksums.
///
/// The encoder runs backwards (symbol `count − 1` first), emitting the low 32 bits of a lane's state
/// whenever coding the next symbol would take it past `2^63`: `x ≥ f(s)·2^(63−n)`. Each symbol emits at
/// most one word, so a stream is at most `32 + 4·count` bytes (`RANSEncoder.maxBytes`).
public struct RANSTable: Sendable, Equatable {
    /// The largest alphabet: 4096 symbols (an 8-bit exponent with 4 mantissa bits, or any 12-bit symbol).
    public static let maxAlphabet = 4096
    /// Probability precision: `M = 2^precisionBits`.
    public static let precisionRange = 10...15

    public let precisionBits: Int
    /// Frequencies, one per symbol of the alphabet; they sum to `2^precisionBits`.
    public let frequencies: [UInt32]
    /// `cumulative[s] = Σ_{t < s} frequencies[t]`.
    public let cumulative: [UInt32]
    /// Per slot of `0..<M`: frequency (bits 0–15), slot − c(s) (bits 16–31), symbol (bits 32–47).
    let slots: [UInt64]

    /// A table from frequencies that sum to exactly `2^precisionBits`.
    public init(frequencies: [UInt32], precisionBits: Int) throws {
        guard Self.precisionRange.contains(precisionBits) else {
            throw EntropyCodingError.invalidArgument("rANS precision \(precisionBits) is outside \(Self.precisionRange)")
        }
        guard !frequencies.isEmpty, frequencies.count <= Self.maxAlphabet else {
            throw EntropyCodingError.invalidArgument("rANS alphabet of \(frequencies.count) symbols is outside 1...\(Self.maxAlphabet)")
        }
        let m = UInt64(1) << UInt64(precisionBits)
        let total = frequencies.reduce(UInt64(0)) { $0 + UInt64($1) }
        guard total == m else {
            throw EntropyCodingError.invalidArgument("rANS frequencies sum to \(total), not 2^\(precisionBits)")
        }
        self.precisionBits = precisionBits
        self.frequencies = frequencies
        var cumulative = [UInt32](repeating: 0, count: frequencies.count)
        var slots = [UInt64](repeating: 0, count: Int(m))
        var start: UInt32 = 0
        for (symbol, f) in frequencies.enumerated() {
            cumulative[symbol] = start
            for k in 0..<f {
                slots[Int(start + k)] = UInt64(f) | UInt64(k) << 16 | UInt64(symbol) << 32
            }
            start += f
        }
        self.cumulative = cumulative
        self.slots = slots
    }

    /// A table for `counts` (one per symbol; 1...4096 of them, at least one non-zero): every symbol with a
    /// non-zero count gets a frequency of at least 1, the rest in proportion, the rounding settled where it
    /// costs least (each step moves one unit of frequency to or from the symbol whose coded size changes
    /// least). Fails when more symbols are used than `2^precisionBits`.
    public static func build(counts: [UInt64], precisionBits: Int) throws -> RANSTable {
        try RANSTable(frequencies: normalize(counts: counts, precisionBits: precisionBits), precisionBits: precisionBits)
    }

    /// The frequencies `build` uses (`ANSFrequencies.normalize`, shared with tANS).
    public static func normalize(counts: [UInt64], precisionBits: Int) throws -> [UInt32] {
        try ANSFrequencies.normalize(counts: counts, precisionBits: precisionBits)
    }

    /// The ideal size in bits of coding `counts` with this table (the states' 256 bits not counted); nil
    /// when a counted symbol has frequency 0.
    public func codedBits(counts: [UInt64]) -> Double? {
        ANSFrequencies.codedBits(counts: counts, frequencies: frequencies, precisionBits: precisionBits)
    }
}

/// Encodes messages of symbols with a `RANSTable` (see `RANSTable` for the stream).
public struct RANSEncoder: Sendable {
    public let table: RANSTable
    /// Per symbol: frequency (bits 0–15) and cumulative start (bits 16–31); 0 for unused and out-of-range.
    private let entries: [UInt32]

    public static let laneCount = 4
    static let lowerBound: UInt64 = 1 << 31

    public init(table: RANSTable) {
        self.table = table
        var entries = [UInt32](repeating: 0, count: RANSTable.maxAlphabet)
        for s in table.frequencies.indices where table.frequencies[s] > 0 {
            entries[s] = table.frequencies[s] | table.cumulative[s] << 16
        }
        self.entries = entries
    }

    /// The most bytes a message of `count` symbols can take.
    public static func maxBytes(count: Int) -> Int { count == 0 ? 0 : 8 * laneCount + 4 * count }

    /// Encodes `symbols` into the start of `out` and returns the stream's length.
    ///
    /// - Preconditions: `out.count ≥ maxBytes(count: symbols.count)`.
    /// - Throws: `EntropyCodingError.exponentWithoutCode` for a symbol the table cannot code (outside the
    ///   alphabet or of frequency 0).
    public func encode(_ symbols: UnsafeBufferPointer<UInt16>, into out: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = symbols.count
        precondition(out.count >= Self.maxBytes(count: count), "rANS output buffer below maxBytes")
        if count == 0 { return 0 }
        let n = UInt64(table.precisionBits)
        let words = out.baseAddress!
        // Words are written backwards from the end of the buffer, then moved behind the states.
        var next = out.count
        var x: (UInt64, UInt64, UInt64, UInt64) = (Self.lowerBound, Self.lowerBound, Self.lowerBound, Self.lowerBound)
        var bad = false
        try entries.withUnsafeBufferPointer { entries in
            @inline(__always) func put(_ state: inout UInt64, _ symbol: UInt16) {
                let e = entries[Int(symbol & 0x0FFF)]
                // A symbol ≥ 4096 or of frequency 0 sets `bad`; its zero entry is replaced by a harmless
                // frequency so the loop goes on without a division by zero.
                bad = bad || symbol > 0x0FFF || e == 0
                let f = UInt64(Swift.max(e & 0xFFFF, 1))
                let c = UInt64(e >> 16)
                if state >= f << (63 - n) {
                    next -= 4
                    words.storeBytes(of: UInt32(truncatingIfNeeded: state).littleEndian, toByteOffset: next, as: UInt32.self)
                    state >>= 32
                }
                state = (state / f) << n &+ (state % f) &+ c
            }
            var i = count - 1
            // Lanes by index mod 4, last symbol first.
            while i >= 0 && i % 4 != 3 {
                switch i % 4 {
                case 0: put(&x.0, symbols[i])
                case 1: put(&x.1, symbols[i])
                default: put(&x.2, symbols[i])
                }
                i -= 1
            }
            while i >= 3 {
                put(&x.3, symbols[i]); put(&x.2, symbols[i - 1]); put(&x.1, symbols[i - 2]); put(&x.0, symbols[i - 3])
                i -= 4
            }
            if bad {
                let frequencies = table.frequencies
                let first = (0..<count).first { (i: Int) -> Bool in
                    let s = Int(symbols[i])
                    return s >= frequencies.count || frequencies[s] == 0
                } ?? 0
                throw EntropyCodingError.exponentWithoutCode("symbol \(first) of the message (\(symbols[first])) has no rANS frequency")
            }
        }
        let wordBytes = out.count - next
        (words + 32).copyMemory(from: words + next, byteCount: wordBytes)
        for (lane, state) in [x.0, x.1, x.2, x.3].enumerated() {
            words.storeBytes(of: state.littleEndian, toByteOffset: 8 * lane, as: UInt64.self)
        }
        return 32 + wordBytes
    }
}

/// Decodes streams written by `RANSEncoder` with the same table; rejects (never crashes on) any stream that
/// is not exactly the encoding of `count` symbols.
public struct RANSDecoder: Sendable {
    public let table: RANSTable

    public init(table: RANSTable) { self.table = table }

    /// Decodes `count` symbols from all of `stream` into `out`.
    ///
    /// - Preconditions: `out.count ≥ count`.
    /// - Throws: `EntropyCodingError.corruptStream` when the stream is too short, is not states and whole
    ///   words, has a state outside `[2^31, 2^63)`, runs out of words, or leaves words or a final state
    ///   other than `2^31`.
    public func decode(_ stream: UnsafeRawBufferPointer, count: Int, into out: UnsafeMutableBufferPointer<UInt16>) throws {
        precondition(out.count >= count, "rANS output buffer below the symbol count")
        if count == 0 {
            guard stream.isEmpty else { throw EntropyCodingError.corruptStream("rANS stream of an empty message is not empty") }
            return
        }
        guard stream.count >= 32, (stream.count - 32) % 4 == 0 else {
            throw EntropyCodingError.corruptStream("rANS stream of \(stream.count) bytes: not 32 bytes of states and whole words")
        }
        let base = stream.baseAddress!
        func state(_ lane: Int) throws -> UInt64 {
            let x = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * lane, as: UInt64.self))
            guard x >= RANSEncoder.lowerBound, x < 1 << 63 else {
                throw EntropyCodingError.corruptStream("rANS lane \(lane) starts outside [2^31, 2^63)")
            }
            return x
        }
        var x0 = try state(0), x1 = try state(1), x2 = try state(2), x3 = try state(3)
        let wordCount = (stream.count - 32) / 4
        let words = base + 32
        var pos = 0
        let n = UInt64(table.precisionBits)
        let mask = (UInt64(1) << n) - 1
        var overrun = false
        let dst = out.baseAddress!
        table.slots.withUnsafeBufferPointer { slots in
            let slots = slots.baseAddress!
            @inline(__always) func get(_ x: inout UInt64) -> UInt16 {
                let e = slots[Int(truncatingIfNeeded: x & mask)]
                x = (e & 0xFFFF) &* (x >> n) &+ ((e >> 16) & 0xFFFF)
                if x < RANSEncoder.lowerBound {
                    // A read past the end returns 0 and flags the stream; the loop finishes harmlessly.
                    let w: UInt32 = pos < wordCount ? UInt32(littleEndian: words.loadUnaligned(fromByteOffset: 4 * pos, as: UInt32.self)) : 0
                    overrun = overrun || pos >= wordCount
                    pos &+= 1
                    x = x << 32 | UInt64(w)
                }
                return UInt16(truncatingIfNeeded: e >> 32)
            }
            var i = 0
            while i + 4 <= count {
                dst[i] = get(&x0); dst[i + 1] = get(&x1); dst[i + 2] = get(&x2); dst[i + 3] = get(&x3)
                i += 4
            }
            if i < count { dst[i] = get(&x0); i += 1 }
            if i < count { dst[i] = get(&x1); i += 1 }
            if i < count { dst[i] = get(&x2); i += 1 }
        }
        guard !overrun else { throw EntropyCodingError.corruptStream("rANS stream ends before its \(count) symbols") }
        guard pos == wordCount else {
            throw EntropyCodingError.corruptStream("rANS stream has \(wordCount - pos) words left after its \(count) symbols")
        }
        guard x0 == RANSEncoder.lowerBound, x1 == RANSEncoder.lowerBound, x2 == RANSEncoder.lowerBound,
              x3 == RANSEncoder.lowerBound else {
            throw EntropyCodingError.corruptStream("rANS final states are not the encoder's initial state")
        }
    }
}
