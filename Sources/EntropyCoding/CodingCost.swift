#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What coding a histogram costs, in bits: the measures the structured coder's choices compare
/// (`CodingChoices`). The formulas are tools/bench/coder_bounds.py's (docs/CODER2.md §1), and
/// `CodingCostTests` checks them against that tool's numbers (Fixtures/coder-costs.json) to 1e-9.
public enum CodingCost {
    /// The Shannon bound, order 0: `n·log2 n − Σ c·log2 c` (the table not counted).
    public static func entropyBits(_ counts: [UInt64]) -> Double {
        var n = 0.0, sum = 0.0
        for c in counts where c > 0 {
            let c = Double(c)
            n += c
            sum += c * log2(c)
        }
        return n == 0 ? 0 : n * log2(n) - sum
    }

    /// The exact bits of coding `counts` with ANS probabilities normalized to `2^tableLog`
    /// (`ANSFrequencies`; the final states, a tANS spread's small loss and padding not counted). 0 when at most
    /// one symbol is used; nil when more symbols are used than the table has states.
    public static func ansBits(_ counts: [UInt64], tableLog: Int) -> Double? {
        ansFrequenciesAndBits(counts, tableLog: tableLog).bits
    }

    /// `ansBits(counts, tableLog:)` with the frequencies it is computed from (nil when at most one symbol is
    /// used and none were needed, or when none fit), for callers that go on to use them.
    public static func ansFrequenciesAndBits(_ counts: [UInt64], tableLog: Int) -> (frequencies: [UInt32]?, bits: Double?) {
        let used = usedCount(counts)
        let frequencies = used > 0 ? try? ANSFrequencies.normalize(counts: counts, precisionBits: tableLog) : nil
        guard used > 1 else { return (frequencies, 0) }
        return (frequencies, frequencies.flatMap { ANSFrequencies.codedBits(counts: counts, frequencies: $0, precisionBits: tableLog) })
    }

    /// The bits of coding `counts` with a table already made (`frequencies` of `2^tableLog`, as a segment's
    /// table is for its blocks): the cross-entropy. Nil when a counted symbol has no frequency.
    public static func ansBits(_ counts: [UInt64], frequencies: [UInt32], tableLog: Int) -> Double? {
        ANSFrequencies.codedBits(counts: counts, frequencies: frequencies, precisionBits: tableLog)
    }

    /// The cost of storing an ANS table for `counts` (roughly FSE's header): 16 bits, then for each symbol of
    /// the used span (first to last used) 1 bit if unused, else `1 + ⌈log2(q + 1)⌉` for its count `q`
    /// normalized (over the used symbols) to `2^max(tableLog, ⌈log2 used⌉ + 1)`. 16 bits for at most one used
    /// symbol.
    public static func ansTableBits(_ counts: [UInt64], tableLog: Int) -> Double {
        let used = counts.filter { $0 > 0 }
        guard used.count > 1, let first = counts.firstIndex(where: { $0 > 0 }),
              let last = counts.lastIndex(where: { $0 > 0 }) else { return 16 }
        let precision = Swift.max(tableLog, Int(ceil(log2(Double(used.count)))) + 1)
        guard let q = try? ANSFrequencies.normalize(counts: used, precisionBits: precision) else { return .infinity }
        let unused = (last - first + 1) - used.count
        return 16 + Double(unused) + q.reduce(0.0) { $0 + 1 + ceil(log2(Double($1) + 1)) }
    }

    /// `ansTableBits` as a `CodingChoices.TableCost` (the model needs no frequencies).
    public static func ansTableBits(_ counts: [UInt64], frequencies: [UInt32]?, tableLog: Int) -> Double {
        ansTableBits(counts, tableLog: tableLog)
    }

    /// The exact bits of storing the table `frequencies` (what `ANSFrequencies.normalize` made for `counts` at
    /// `2^tableLog`) as `TANSCounts` does, the format 2.0 table; infinity for nil (no symbol, or more symbols than
    /// the table has states). A `CodingChoices.TableCost`.
    public static func countsBits(_ counts: [UInt64], frequencies: [UInt32]?, tableLog: Int) -> Double {
        guard let frequencies else { return .infinity }
        return Double(8 * TANSCounts.encodedSize(frequencies: frequencies))
    }

    /// The number of symbols with a non-zero count.
    public static func usedCount(_ counts: [UInt64]) -> Int { counts.reduce(0) { $0 + ($1 > 0 ? 1 : 0) } }

    /// The number of elements counted.
    public static func total(_ counts: [UInt64]) -> UInt64 { counts.reduce(0, &+) }
}
