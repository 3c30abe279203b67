import Foundation
import EntropyCoding
import DF11TestSupport

/// Shapes of exponent histograms the property tests draw from.
enum HistogramShape: CaseIterable {
    case uniformRandom, geometric, fibonacci, allEqual, huge, sparse, bf16Like
}

/// A random histogram of `shape` over a random set of symbols.
func randomCounts(_ shape: HistogramShape, rng: inout SplitMix64, maxSymbols: Int = 256) -> [UInt64] {
    var counts = [UInt64](repeating: 0, count: 256)
    let n = Int.random(in: 0...maxSymbols, using: &rng)
    let symbols = Array((0..<256).shuffled(using: &rng).prefix(n))
    switch shape {
    case .uniformRandom:
        for s in symbols { counts[s] = UInt64.random(in: 1...1_000_000, using: &rng) }
    case .geometric:
        var c: UInt64 = 1 << 40
        for s in symbols { counts[s] = c; c = Swift.max(1, c / UInt64.random(in: 1...3, using: &rng)) }
    case .fibonacci:
        var a: UInt64 = 1, b: UInt64 = 1
        for (i, s) in symbols.enumerated() {
            counts[s] = i < 60 ? a : 1 + UInt64(i % 3)
            (a, b) = (b, a &+ b)
        }
    case .allEqual:
        let c = UInt64.random(in: 1...(1 << 40), using: &rng)
        for s in symbols { counts[s] = c }
    case .huge:
        for s in symbols { counts[s] = UInt64.random(in: (1 << 38)...(1 << 40), using: &rng) }
    case .sparse:
        for s in symbols { counts[s] = Bool.random(using: &rng) ? 1 : UInt64.random(in: 1...4, using: &rng) }
    case .bf16Like:
        // A peak around exponent 120 with a long geometric tail of rare small exponents.
        for s in symbols {
            let d = abs(s - 120)
            counts[s] = d < 40 ? UInt64(1) << UInt64(40 - d) : UInt64.random(in: 1...3, using: &rng)
        }
    }
    return counts
}

/// Σ 2^-length over the used symbols, scaled by 2^maxShift (exact for lengths ≤ maxShift).
func kraftScaled(_ lengths: [UInt8], maxShift: Int = 62) -> UInt64 {
    lengths.reduce(0) { $1 == 0 ? $0 : $0 + (UInt64(1) << UInt64(maxShift - Int($1))) }
}

/// Cost Σ counts·lengths.
func cost(_ counts: [UInt64], _ lengths: [UInt8]) -> UInt64 {
    ExponentHistogram(counts: counts).codedBits(lengths: lengths)
}

/// The histogram of `words`, counted naively.
func naiveCounts(_ words: [UInt16]) -> [UInt64] {
    var counts = [UInt64](repeating: 0, count: 256)
    for w in words { counts[Int(w >> 7) & 0xFF] += 1 }
    return counts
}

/// Symbols drawn from `counts` (as weights), `count` of them: a message for the ANS coders' tests.
func message(counts: [UInt64], count: Int, rng: inout SplitMix64) -> [UInt16] {
    let used = counts.indices.filter { counts[$0] > 0 }
    var cumulative: [UInt64] = []
    var total: UInt64 = 0
    for s in used { total += counts[s]; cumulative.append(total) }
    return (0..<count).map { _ in
        let r = UInt64.random(in: 0..<total, using: &rng)
        var lo = 0, hi = cumulative.count - 1
        while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] > r { hi = mid } else { lo = mid + 1 } }
        return UInt16(used[lo])
    }
}

/// How often each of `alphabet` symbols occurs in `symbols`.
func histogram(_ symbols: [UInt16], alphabet: Int) -> [UInt64] {
    var h = [UInt64](repeating: 0, count: alphabet)
    for s in symbols { h[Int(s)] += 1 }
    return h
}

/// The alphabet the ANS coders' damage tests code: 64 symbols of uneven weight, symbol 7 dominant (the skewed
/// case where a final-state check matters most).
let damageTestCounts: [UInt64] = (0..<64).map { $0 == 7 ? 400 : UInt64(1 + ($0 * 37) % 11) }
