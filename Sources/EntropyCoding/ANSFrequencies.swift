#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Quantized probabilities for the ANS coders (`RANSTable`, `TANSTable`): counts normalized to sum `2^n`, and
/// the exact cost of coding a histogram with them. One implementation for both coders, so that a table's
/// predicted size is the same whichever codes it.
public enum ANSFrequencies {
    /// The largest alphabet: 4096 symbols (an 8-bit exponent with 4 mantissa bits, or any 12-bit symbol).
    public static let maxAlphabet = 4096
    /// Probability precision (the tANS table log): `M = 2^precisionBits`.
    public static let precisionRange = 10...15

    /// Frequencies for `counts` (one per symbol; 1...4096 of them, at least one non-zero) that sum to
    /// `2^precisionBits` and minimize the coded size `Σ c(s)·(n − log2 f(s))`: every symbol with a non-zero
    /// count gets a frequency of at least 1, the rest in proportion, the rounding settled where it costs least
    /// (each step moves one unit of frequency to or from the symbol whose coded size changes least), then units
    /// exchanged between symbols while that saves bits. Fails when more symbols are used than
    /// `2^precisionBits`.
    public static func normalize(counts: [UInt64], precisionBits: Int) throws -> [UInt32] {
        guard precisionRange.contains(precisionBits) else {
            throw EntropyCodingError.invalidArgument("ANS precision \(precisionBits) is outside \(precisionRange)")
        }
        guard !counts.isEmpty, counts.count <= maxAlphabet else {
            throw EntropyCodingError.invalidArgument("ANS alphabet of \(counts.count) symbols is outside 1...\(maxAlphabet)")
        }
        let m = 1 << precisionBits
        let used = counts.indices.filter { counts[$0] > 0 }
        guard !used.isEmpty else { throw EntropyCodingError.invalidArgument("ANS table for no symbols") }
        guard used.count <= m else {
            throw EntropyCodingError.invalidArgument("\(used.count) symbols do not fit an ANS table of 2^\(precisionBits)")
        }
        let total = Double(counts.reduce(UInt64(0), &+))
        var freq = [UInt32](repeating: 0, count: counts.count)
        // Per used symbol (by its place in `used`): its count, frequency, and what one unit more saves
        // (c·log2((f+1)/f)) and one unit less costs (c·log2(f/(f−1)), infinite at 1); only the symbols a step
        // changes are recomputed.
        let c = used.map { Double(counts[$0]) }
        var f = c.map { Swift.max(1, Int(($0 * Double(m) / total).rounded())) }
        var sum = f.reduce(0, +)
        @inline(__always) func gain(_ i: Int) -> Double { c[i] * log2(Double(f[i] + 1) / Double(f[i])) }
        @inline(__always) func loss(_ i: Int) -> Double {
            f[i] > 1 ? c[i] * log2(Double(f[i]) / Double(f[i] - 1)) : .infinity
        }
        var gains = used.indices.map(gain), losses = used.indices.map(loss)
        @inline(__always) func update(_ i: Int) { gains[i] = gain(i); losses[i] = loss(i) }
        @inline(__always) func mostGaining() -> Int {
            var best = 0
            for i in 1..<gains.count where gains[i] > gains[best] { best = i }
            return best
        }
        @inline(__always) func leastLosing() -> Int {
            var best = 0
            for i in 1..<losses.count where losses[i] < losses[best] { best = i }
            return best
        }
        // Settle the difference one unit at a time: add where the saving is largest, take where the loss is
        // smallest (never below 1). After rounding to nearest this is a handful of steps, except when many rare
        // symbols were raised to 1 (then at most `used.count`).
        while sum < m { let i = mostGaining(); f[i] += 1; sum += 1; update(i) }
        while sum > m { let i = leastLosing(); f[i] -= 1; sum -= 1; update(i) }
        // Then exchange units while that makes the cost smaller: take one from the symbol that loses least,
        // give it to the one that gains most. The cost is a separable convex function of the frequencies, so
        // when no such exchange helps the frequencies are optimal (the same optimum as
        // tools/bench/coder_bounds.py's `normalize`, whatever the starting point).
        while used.count > 1 {
            let gainer = mostGaining(), loser = leastLosing()
            guard losses[loser].isFinite, gainer != loser,
                  gains[gainer] > losses[loser] * (1 + Self.exchangeTolerance) else { break }
            f[gainer] += 1
            f[loser] -= 1
            update(gainer)
            update(loser)
        }
        for (i, s) in used.enumerated() { freq[s] = UInt32(f[i]) }
        return freq
    }

    /// How much an exchange must gain, relative to its loss, to be made (so that rounding cannot make two
    /// equal-cost tables exchange units forever).
    static let exchangeTolerance = 1e-12

    /// The ideal size in bits of coding `counts` with `frequencies` of precision `precisionBits`:
    /// `Σ c(s)·(n − log2 f(s))` (what an ANS coder spends up to its final states; tANS adds its spread's
    /// small loss). Nil when a counted symbol has frequency 0 or lies outside the frequencies.
    public static func codedBits(counts: [UInt64], frequencies: [UInt32], precisionBits: Int) -> Double? {
        var bits = 0.0
        for (s, c) in counts.enumerated() where c > 0 {
            guard s < frequencies.count, frequencies[s] > 0 else { return nil }
            bits += Double(c) * (Double(precisionBits) - log2(Double(frequencies[s])))
        }
        return bits
    }
}
