/// A tANS (tabled asymmetric numeral systems, FSE-style) table over an alphabet of at most 4096 symbols.
///
/// A building block for the second-generation block coder (docs/CODER2.md): the container does not use it
/// yet, and the stream (`TANSEncoder`) is not part of the DF11 format until FORMAT.md says so.
///
/// **Model.** Each symbol `s` has a normalized frequency `f(s) ≥ 0` with `Σ f = 2^L`, `L` = `tableLog` in
/// 10...15 (`ANSFrequencies`, the same normalization as rANS). Symbols of frequency 0 cannot be coded.
///
/// **Spread.** The `2^L` states are dealt to the symbols as FSE does: walking the symbols in order, symbol
/// `s` takes `f(s)` positions, each `step = 2^(L−1) + 2^(L−3) + 3` after the previous one modulo `2^L`
/// (the step is odd, so the walk visits every position once). `spread[u]` is the symbol of state `u`.
///
/// **States.** The decoder's state is `u ∈ [0, 2^L)`. Let state `u` be the `k`-th position (in increasing
/// `u`) held by its symbol `s`, `x = f(s) + k ∈ [f(s), 2f(s))`, `b = L − ⌊log2 x⌋`: decoding from `u` gives
/// `s`, reads `b` bits `v` and moves to `(x << b) − 2^L + v`. The encoder inverts this (see `TANSEncoder`).
public struct TANSTable: Sendable, Equatable {
    /// The largest alphabet: 4096 symbols.
    public static let maxAlphabet = ANSFrequencies.maxAlphabet
    /// Table logs supported: `2^L` states.
    public static let tableLogRange = ANSFrequencies.precisionRange

    public let tableLog: Int
    /// Frequencies, one per symbol of the alphabet; they sum to `2^tableLog`.
    public let frequencies: [UInt32]
    /// The symbol of each state `0..<2^tableLog`.
    public let spread: [UInt16]

    /// A table from frequencies that sum to exactly `2^tableLog` (as a reader gets them from a file).
    ///
    /// - Throws: `EntropyCodingError.invalidArgument` for a table log outside 10...15, an alphabet outside
    ///   1...4096 symbols, or frequencies whose sum is not `2^tableLog`.
    public init(frequencies: [UInt32], tableLog: Int) throws {
        guard Self.tableLogRange.contains(tableLog) else {
            throw EntropyCodingError.invalidArgument("tANS table log \(tableLog) is outside \(Self.tableLogRange)")
        }
        guard !frequencies.isEmpty, frequencies.count <= Self.maxAlphabet else {
            throw EntropyCodingError.invalidArgument("tANS alphabet of \(frequencies.count) symbols is outside 1...\(Self.maxAlphabet)")
        }
        let size = 1 << tableLog
        let total = frequencies.reduce(0) { $0 + Int($1) }
        guard total == size else {
            throw EntropyCodingError.invalidArgument("tANS frequencies sum to \(total), not 2^\(tableLog)")
        }
        self.tableLog = tableLog
        self.frequencies = frequencies
        self.spread = Self.spread(frequencies: frequencies, tableLog: tableLog)
    }

    /// A table for `counts` (one per symbol), normalized by `ANSFrequencies.normalize`.
    public static func build(counts: [UInt64], tableLog: Int) throws -> TANSTable {
        try TANSTable(frequencies: ANSFrequencies.normalize(counts: counts, precisionBits: tableLog), tableLog: tableLog)
    }

    /// The FSE step between two positions of the spread for a table of `2^tableLog` states.
    public static func spreadStep(tableLog: Int) -> Int {
        let size = 1 << tableLog
        return (size >> 1) + (size >> 3) + 3
    }

    /// The FSE spread of `frequencies` (summing to `2^tableLog`): the symbol of each state.
    static func spread(frequencies: [UInt32], tableLog: Int) -> [UInt16] {
        let size = 1 << tableLog
        let mask = size - 1
        let step = spreadStep(tableLog: tableLog)
        var spread = [UInt16](repeating: 0, count: size)
        spread.withUnsafeMutableBufferPointer { spread in
            // The j-th state dealt (over all symbols) is (j·step) mod 2^L: no chain from one to the next.
            var j = 0
            for (symbol, f) in frequencies.enumerated() {
                for k in j..<(j &+ Int(f)) { spread[(k &* step) & mask] = UInt16(truncatingIfNeeded: symbol) }
                j &+= Int(f)
            }
        }
        return spread
    }


    /// The ideal size in bits of coding `counts` with this table's frequencies (`ANSFrequencies.codedBits`;
    /// the real stream adds the spread's loss, the initial states and padding); nil when a counted symbol has
    /// frequency 0.
    public func codedBits(counts: [UInt64]) -> Double? {
        ANSFrequencies.codedBits(counts: counts, frequencies: frequencies, precisionBits: tableLog)
    }
}
