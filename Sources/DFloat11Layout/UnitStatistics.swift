import EntropyCoding

/// What the first pass over a unit's weights collects, and all the writer needs before encoding: the exponent
/// histogram (which fixes the code and every tensor size) and the last weight's exponent (which decides, in a
/// corner case, the number of output positions).
public struct UnitStatistics: Equatable, Sendable {
    /// Counts of each exponent byte over the unit's weights.
    public private(set) var histogram = ExponentHistogram()
    /// The exponent of the last weight added, nil while empty.
    public private(set) var lastExponent: UInt8?

    /// Empty statistics.
    public init() {}

    /// Adds the next weights of the unit, in unit order.
    public mutating func add(words: UnsafeBufferPointer<UInt16>) {
        guard let last = words.last else { return }
        histogram.add(words: words)
        lastExponent = BF16.exponent(last)
    }

    /// Adds the next weights of the unit, in unit order.
    public mutating func add(words: [UInt16]) {
        words.withUnsafeBufferPointer { add(words: $0) }
    }

    /// Adds the statistics of the next chunk of the unit, in unit order (chunks can be counted in parallel
    /// and added in order).
    public mutating func add(chunk: ExponentHistogram, lastExponent chunkLast: UInt8?) {
        guard let chunkLast else { return }
        histogram.merge(chunk)
        lastExponent = chunkLast
    }

    /// The number of weights added.
    public var elementCount: UInt64 { histogram.total }

    /// What the first pass collects of one chunk of a weight tensor (the unit writer's chunks of `chunkWords`
    /// words from the tensor's start): its exponent counts and its last weight's exponent. A chunk can be counted
    /// in pieces, in order, and the pieces merged.
    ///
    /// The counts are kept sparse, one entry per exponent present (a chunk of real weights has 20-40 of the 256):
    /// `SourceScan` holds every chunk of a model until its units are encoded, about 400 bytes per million weights
    /// this way instead of 2 KB (a 405B-parameter model: about 160 MB instead of 850 MB).
    public struct Chunk: Sendable, Equatable {
        /// The exponents present with their counts, `count << 8 | exponent`, by increasing exponent.
        private var entries: [UInt64] = []
        /// The exponent of the last weight counted, nil while empty.
        public private(set) var lastExponent: UInt8?

        /// Nothing counted yet.
        public init() {}

        /// Counts `words`.
        public init(words: UnsafeBufferPointer<UInt16>) {
            var histogram = ExponentHistogram()
            histogram.add(words: words)
            entries = Self.entries(of: histogram)
            lastExponent = words.last.map(BF16.exponent)
        }

        /// Counts of each exponent byte in the chunk.
        public var histogram: ExponentHistogram {
            var counts = [UInt64](repeating: 0, count: 256)
            for entry in entries { counts[Int(entry & 0xFF)] = entry >> 8 }
            return ExponentHistogram(counts: counts)
        }

        /// The number of exponents present (the entries stored).
        public var exponentsPresent: Int { entries.count }

        /// Adds the counts of the piece after this one.
        public mutating func merge(_ next: Chunk) {
            guard let last = next.lastExponent else { return }
            var merged = histogram
            merged.merge(next.histogram)
            entries = Self.entries(of: merged)
            lastExponent = last
        }

        private static func entries(of histogram: ExponentHistogram) -> [UInt64] {
            var entries: [UInt64] = []
            entries.reserveCapacity(histogram.usedSymbols)
            for (exponent, count) in histogram.counts.enumerated() where count > 0 {
                precondition(count < 1 << 56, "a chunk of more than 2^56 weights")
                entries.append(count << 8 | UInt64(exponent))
            }
            return entries
        }
    }
}
