#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts of the 256 exponent bytes over some bf16 words, and what a code over them costs.
///
/// `add(words:)` is the hot path: it keeps eight private `UInt32` sub-histograms so that consecutive equal
/// exponents (the common case) do not wait on each other's store-to-load forwarding, and flushes them into
/// the `UInt64` totals before any of them could overflow.
public struct ExponentHistogram: Hashable, Sendable {
    /// How many words had each exponent byte; always 256 entries.
    public private(set) var counts: [UInt64]

    /// An empty histogram.
    public init() {
        counts = [UInt64](repeating: 0, count: 256)
    }

    /// A histogram with the given counts. `counts` must have exactly 256 entries.
    public init(counts: [UInt64]) {
        precondition(counts.count == 256, "ExponentHistogram needs 256 counts, got \(counts.count)")
        self.counts = counts
    }

    /// Words per flush of the sub-histograms: each of the eight sees at most 2^28 of them, far below 2^32.
    private static let wordsPerFlush = 1 << 31
    /// Number of sub-histograms in `add(words:)`.
    private static let lanes = 8

    /// Counts the exponent of every word in `words`.
    public mutating func add(words: UnsafeBufferPointer<UInt16>) {
        add(words: words, flushEvery: Self.wordsPerFlush)
    }

    /// `add(words:)` with the flush interval exposed, so tests can exercise the flushing.
    mutating func add(words: UnsafeBufferPointer<UInt16>, flushEvery wordsPerFlush: Int) {
        precondition(wordsPerFlush > 0 && wordsPerFlush <= Self.wordsPerFlush)
        guard let base = words.baseAddress, words.count > 0 else { return }
        let lanes = Self.lanes
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 256 * lanes) { scratch in
            let sub = scratch.baseAddress!
            var done = 0
            while done < words.count {
                let n = Swift.min(wordsPerFlush, words.count - done)
                sub.initialize(repeating: 0, count: 256 * lanes)
                Self.count(base + done, n, into: sub)
                counts.withUnsafeMutableBufferPointer { totals in
                    for symbol in 0..<256 {
                        var sum: UInt64 = 0
                        for lane in 0..<lanes { sum &+= UInt64(sub[lane * 256 + symbol]) }
                        totals[symbol] &+= sum
                    }
                }
                done += n
            }
        }
    }

    /// The hot loop: eight words per iteration (two 8-byte loads), one sub-histogram per word position.
    @inline(__always)
    private static func count(_ words: UnsafePointer<UInt16>, _ n: Int, into h: UnsafeMutablePointer<UInt32>) {
        let raw = UnsafeRawPointer(words)
        let h0 = h, h1 = h + 256, h2 = h + 512, h3 = h + 768
        let h4 = h + 1024, h5 = h + 1280, h6 = h + 1536, h7 = h + 1792
        var i = 0
        while i + 8 <= n {
            let a = raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt64.self)
            let b = raw.loadUnaligned(fromByteOffset: 2 * i + 8, as: UInt64.self)
            h0[Int(truncatingIfNeeded: (a &>> 7) & 0xFF)] &+= 1
            h1[Int(truncatingIfNeeded: (a &>> 23) & 0xFF)] &+= 1
            h2[Int(truncatingIfNeeded: (a &>> 39) & 0xFF)] &+= 1
            h3[Int(truncatingIfNeeded: (a &>> 55) & 0xFF)] &+= 1
            h4[Int(truncatingIfNeeded: (b &>> 7) & 0xFF)] &+= 1
            h5[Int(truncatingIfNeeded: (b &>> 23) & 0xFF)] &+= 1
            h6[Int(truncatingIfNeeded: (b &>> 39) & 0xFF)] &+= 1
            h7[Int(truncatingIfNeeded: (b &>> 55) & 0xFF)] &+= 1
            i += 8
        }
        while i < n {
            h0[Int(truncatingIfNeeded: (words[i] &>> 7) & 0xFF)] &+= 1
            i += 1
        }
    }

    /// Adds another histogram's counts to this one.
    public mutating func merge(_ other: ExponentHistogram) {
        for symbol in 0..<256 { counts[symbol] &+= other.counts[symbol] }
    }

    /// The number of words counted.
    public var total: UInt64 {
        counts.reduce(0, &+)
    }

    /// The number of distinct exponents seen.
    public var usedSymbols: Int {
        counts.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
    }

    /// Shannon entropy of the exponent distribution in bits per word, `−Σ p·log2 p` (0 for an empty
    /// histogram). No prefix code can average fewer bits per exponent.
    public var entropyBits: Double {
        let total = Double(self.total)
        guard total > 0 else { return 0 }
        var bits = 0.0
        for c in counts where c > 0 {
            let p = Double(c) / total
            bits -= p * log2(p)
        }
        return bits
    }

    /// The exact number of bits a code with these lengths spends on the counted exponents: `Σ counts·lengths`.
    /// `lengths` must have 256 entries; the sum saturates at `UInt64.max` (never reached by real data).
    public func codedBits(lengths: [UInt8]) -> UInt64 {
        precondition(lengths.count == 256, "codedBits needs 256 lengths, got \(lengths.count)")
        var sum: UInt64 = 0
        for symbol in 0..<256 {
            let (product, o1) = counts[symbol].multipliedReportingOverflow(by: UInt64(lengths[symbol]))
            let (next, o2) = sum.addingReportingOverflow(product)
            if o1 || o2 { return .max }
            sum = next
        }
        return sum
    }
}
