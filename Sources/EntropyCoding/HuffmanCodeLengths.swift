/// Code lengths for the 256 exponent symbols: optimal under a maximum length (package-merge), or plain
/// Huffman without one.
///
/// Both builders return 256 lengths, 0 for symbols with count 0. With no used symbol every length is 0; with
/// one used symbol it gets length 1 (a one-symbol code still spends one bit per symbol, so every stream is
/// decodable by the same table lookup). With two or more used symbols the lengths satisfy Kraft with
/// equality: `Σ 2^-length == 1`.
///
/// Counts are `UInt64` and may be as large as real checkpoints produce (2^40 and beyond); all arithmetic is
/// exact `UInt64` arithmetic, and inputs whose sums could overflow it are rejected with an error.
public enum HuffmanCodeLengths {
    /// The length limit df11 uses unless told otherwise: 12 bits.
    ///
    /// Measured in Benchmarks/df11-bench/README.md: on MiniLM's bf16 weights a 12-bit limit costs 0.36% more
    /// exponent bits than unlimited Huffman (0.0097 bits per weight, 0.09% of the output), less on normal
    /// weights, while decoding as fast as any limit from 10 to 14 (limit 15 is about 10% slower) with a
    /// decode table of 4096 entries (8 KiB) that fits any CPU's L1 cache beside the data it streams.
    public static let defaultLengthLimit = 12

    /// The lengths of an optimal prefix code whose codes are at most `limit` bits long.
    ///
    /// "Optimal" means minimal `Σ counts[s]·lengths[s]` among all prefix codes that respect the limit; this
    /// is the package-merge algorithm (Larmore and Hirschberg), run only when plain Huffman would exceed the
    /// limit. Ties are broken deterministically (by symbol value), so equal inputs give equal outputs.
    ///
    /// - Parameters:
    ///   - counts: 256 counts, one per exponent byte.
    ///   - limit: the longest code allowed; needs `limit ≥ 1` and `2^limit ≥` the number of used symbols.
    /// - Throws: `EntropyCodingError.invalidArgument` for a wrong number of counts, a limit that cannot fit
    ///   the used symbols, or counts whose total is too large for exact arithmetic.
    public static func build(counts: [UInt64], limit: Int) throws(EntropyCodingError) -> [UInt8] {
        let symbols = try usedSymbolsByCount(counts)
        let n = symbols.count
        if n == 0 { return [UInt8](repeating: 0, count: 256) }
        guard limit >= 1, limit >= 63 || (1 << limit) >= n else {
            throw .invalidArgument("a length limit of \(limit) bits cannot code \(n) distinct exponents")
        }
        let plain = huffman(counts, symbols)
        if Int(plain.max()!) <= limit { return plain }
        return packageMerge(counts, symbols, limit: limit)
    }

    /// The lengths of a plain (unlimited) Huffman code; the longest can exceed 20 bits on real weights.
    ///
    /// - Throws: `EntropyCodingError.invalidArgument` for a wrong number of counts or counts whose total is
    ///   too large for exact arithmetic.
    public static func unlimited(counts: [UInt64]) throws(EntropyCodingError) -> [UInt8] {
        let symbols = try usedSymbolsByCount(counts)
        if symbols.isEmpty { return [UInt8](repeating: 0, count: 256) }
        return huffman(counts, symbols)
    }

    /// Validates `counts` and returns the used symbols sorted by (count, symbol), lightest first.
    static func usedSymbolsByCount(_ counts: [UInt64]) throws(EntropyCodingError) -> [Int] {
        guard counts.count == 256 else {
            throw .invalidArgument("expected 256 exponent counts, got \(counts.count)")
        }
        // Package-merge sums at most `limit ≤ 255` copies of the total; keep that below 2^64.
        var total: UInt64 = 0
        for c in counts {
            let (sum, overflow) = total.addingReportingOverflow(c)
            guard !overflow, sum <= UInt64.max >> 9 else {
                throw .invalidArgument("exponent counts sum past 2^55; too large to build a code from")
            }
            total = sum
        }
        return (0..<256).filter { counts[$0] > 0 }.sorted { (counts[$0], $0) < (counts[$1], $1) }
    }

    /// Plain Huffman over `symbols` (sorted lightest first) with the two-queue method.
    static func huffman(_ counts: [UInt64], _ symbols: [Int]) -> [UInt8] {
        var lengths = [UInt8](repeating: 0, count: 256)
        let n = symbols.count
        if n == 1 {
            lengths[symbols[0]] = 1
            return lengths
        }
        // Nodes 0..<n are leaves (in sorted order), n..<2n-1 internal nodes in creation order; internal
        // nodes are created in non-decreasing weight, so two queues give the two lightest in O(1).
        var weight = [UInt64](repeating: 0, count: 2 * n - 1)
        var parent = [Int](repeating: 0, count: 2 * n - 1)
        for i in 0..<n { weight[i] = counts[symbols[i]] }
        var leaf = 0, inner = n, next = n
        func takeLightest() -> Int {
            if leaf < n && (inner == next || weight[leaf] <= weight[inner]) {
                leaf += 1
                return leaf - 1
            }
            inner += 1
            return inner - 1
        }
        while next < 2 * n - 1 {
            let a = takeLightest(), b = takeLightest()
            weight[next] = weight[a] + weight[b]
            parent[a] = next
            parent[b] = next
            next += 1
        }
        // Depths from the root (the last node) down; parents always come after their children.
        var depth = [Int](repeating: 0, count: 2 * n - 1)
        for node in stride(from: 2 * n - 3, through: 0, by: -1) { depth[node] = depth[parent[node]] + 1 }
        for i in 0..<n { lengths[symbols[i]] = UInt8(depth[i]) }
        return lengths
    }

    /// Package-merge over `symbols` (sorted lightest first, at least two), for `limit` with `2^limit ≥ n`.
    ///
    /// List `L` (the deepest level, `limit`) holds the leaves; each shallower level's list merges the leaves
    /// with packages formed from adjacent pairs of the deeper list. The optimum takes the first `2n − 2` items
    /// of level 1's list. Because leaves and packages each appear in increasing weight, taking the first `k`
    /// items of a level means taking its `m` lightest leaves (each gains one bit of length) and its first `p`
    /// packages, which are exactly the first `2p` items of the deeper level. So each level only needs to
    /// remember which merged positions were leaves.
    static func packageMerge(_ counts: [UInt64], _ symbols: [Int], limit: Int) -> [UInt8] {
        let n = symbols.count
        let levels = Swift.min(limit, n - 1)  // no optimal code is longer than n − 1 bits
        let leafWeight = symbols.map { counts[$0] }
        // isLeaf[level][position] for the merged list of each level; level index 0 is the deepest.
        var isLeaf = [[Bool]](repeating: [], count: levels)
        var current = leafWeight
        isLeaf[0] = [Bool](repeating: true, count: n)
        var merged = [UInt64]()
        merged.reserveCapacity(2 * n)
        for level in 1..<levels {
            merged.removeAll(keepingCapacity: true)
            var flags = [Bool]()
            flags.reserveCapacity(2 * n)
            let packages = current.count / 2
            var li = 0, pi = 0
            while li < n || pi < packages {
                let packageWeight = pi < packages ? current[2 * pi] + current[2 * pi + 1] : 0
                if pi == packages || (li < n && leafWeight[li] <= packageWeight) {
                    merged.append(leafWeight[li])
                    flags.append(true)
                    li += 1
                } else {
                    merged.append(packageWeight)
                    flags.append(false)
                    pi += 1
                }
            }
            isLeaf[level] = flags
            swap(&current, &merged)
        }
        // Walk back from level 1 (the last list built) to the deepest, counting taken leaves.
        var lengths = [UInt8](repeating: 0, count: 256)
        var take = 2 * n - 2
        for level in stride(from: levels - 1, through: 0, by: -1) {
            var leaves = 0
            for position in 0..<take where isLeaf[level][position] { leaves += 1 }
            for i in 0..<leaves { lengths[symbols[i]] += 1 }
            take = 2 * (take - leaves)
        }
        return lengths
    }
}
