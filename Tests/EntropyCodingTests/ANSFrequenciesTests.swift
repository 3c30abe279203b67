import DF11TestSupport
import XCTest
@testable import EntropyCoding

final class ANSFrequenciesTests: XCTestCase {
    /// On random histograms of every shape the tests know, at every precision: the frequencies sum to 2^n,
    /// keep every used symbol, and no single unit moved from one symbol to another makes them cheaper (for
    /// this separable convex cost, the optimum).
    func testNormalizationIsOptimal() throws {
        var rng = SplitMix64(seed: 0xA45)
        for trial in 0..<120 {
            let shape = HistogramShape.allCases[trial % HistogramShape.allCases.count]
            let counts = randomCounts(shape, rng: &rng, maxSymbols: 96)
            guard counts.contains(where: { $0 > 0 }) else { continue }
            let precision = ANSFrequencies.precisionRange.lowerBound + trial % ANSFrequencies.precisionRange.count
            let f = try ANSFrequencies.normalize(counts: counts, precisionBits: precision)
            XCTAssertEqual(f.reduce(0, +), UInt32(1) << UInt32(precision))
            let used = counts.indices.filter { counts[$0] > 0 }
            for s in counts.indices { XCTAssertEqual(counts[s] > 0, f[s] > 0) }
            let bits = ANSFrequencies.codedBits(counts: counts, frequencies: f, precisionBits: precision)!
            for a in used where f[a] > 1 {
                for b in used where b != a {
                    let delta = Double(counts[a]) * log2(Double(f[a]) / Double(f[a] - 1))
                        - Double(counts[b]) * log2(Double(f[b] + 1) / Double(f[b]))
                    XCTAssertGreaterThanOrEqual(delta, -1e-9 * Swift.max(1, bits), "trial \(trial): move \(a) → \(b)")
                }
            }
        }
    }
}
