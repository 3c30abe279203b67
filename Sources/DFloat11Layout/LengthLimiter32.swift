/// The official compressor's limit of 32 bits per code (dfloat11 0.5.0), reproduced where its result is
/// determined by the input.
///
/// The official loop: build the dahuffman code; while its longest code (end-of-file included) exceeds 32 bits,
/// for k = 2, 3, …: start again from the **original** counts (in ascending exponent order), take
/// `numpy.argpartition(counts, k)[:k]` — the k smallest — set those counts to 1, and rebuild.
///
/// Which elements `argpartition` returns is determined exactly when the k-th and (k+1)-th smallest counts
/// differ: then it is every exponent whose count is at most the k-th smallest. When they are equal and that
/// count is 1 the pick does not matter either (a count of 1 set to 1 is unchanged). In every other case — the
/// k-th and (k+1)-th smallest counts are equal and above 1 — numpy picks among the tied exponents by its
/// introselect internals, which differ between its AVX2/AVX-512 and scalar dispatches (fixture
/// `limiter-codebook/fib36_tie` gives two different official outputs on one machine). This type then throws
/// `limiterTie` for **any round it reaches** with such a tie, even one whose every pick would lead to another
/// round: a conservative rule, so whatever it returns is the official code on every CPU.
///
/// Reproduced: every count table whose code needs no limiting, and every table whose rounds k = 2…K (K the
/// final round) have no tie above 1 at the boundary — e.g. fixtures `fib34` (K = 5) and `fib40` (K = 12).
/// Refused: `fib36_tie` (tie of two counts of 13 at K = 7). If k reached the number of exponents numpy would
/// fail (`kth out of bounds`); that cannot happen in practice (k = n − 1 leaves a near-balanced tree), but it
/// is refused as `limiterExhausted` rather than assumed.
public enum LengthLimiter32 {
    /// The longest code the published layout's 5-bit gaps and 4-level tables allow.
    public static let maximumLength = 32

    /// The outcome of the limiter.
    public struct Result: Sendable {
        /// The code the official tool uses (and writes the tables of).
        public let code: DahuffmanCode
        /// The round k at which the loop stopped; nil when the unlimited code was short enough.
        public let finalK: Int?
        /// Exponents whose count the final round changed (from above 1 to 1), ascending.
        public let changedExponents: [UInt8]
    }

    /// The official code for `counts` (distinct exponents, any order, each count at least 1).
    /// Throws `limiterTie` or `limiterExhausted` (naming `unit`) where the official result is not determined.
    public static func limit(counts: [(exponent: UInt8, count: UInt64)], unit: String) throws -> Result {
        let code = DahuffmanCode(counts: counts)
        if code.maxLength <= maximumLength { return Result(code: code, finalK: nil, changedExponents: []) }
        let original = code.counts                    // ascending exponent order, as the official dict
        let ascending = original.map(\.count).sorted()
        var k = 2
        while true {
            if k >= original.count {
                throw DFloat11LayoutError(unit: unit, .limiterExhausted(k: k))
            }
            let threshold = ascending[k - 1]
            if ascending[k] == threshold && threshold != 1 {
                throw DFloat11LayoutError(unit: unit, .limiterTie(k: k, count: threshold))
            }
            let limited = original.map { (exponent: $0.exponent, count: $0.count <= threshold ? 1 : $0.count) }
            let candidate = DahuffmanCode(counts: limited)
            if candidate.maxLength <= maximumLength {
                let changed = original.filter { $0.count <= threshold && $0.count != 1 }.map(\.exponent)
                return Result(code: candidate, finalK: k, changedExponents: changed)
            }
            k += 1
        }
    }
}
