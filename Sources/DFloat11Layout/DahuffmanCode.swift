import EntropyCoding

/// The prefix code that dahuffman 0.4.2's `HuffmanCodec.from_frequencies` builds for a unit's exponent counts,
/// reproduced exactly (written from its documented behaviour, not from its code).
///
/// dahuffman adds an end-of-file symbol of frequency 1, then repeatedly pops the two smallest nodes of a heap
/// whose entries compare by total frequency, then by the first symbol listed in the node. That first symbol is
/// the first one of the node popped first at the merge that built it, and the end-of-file symbol compares
/// smaller than every exponent. Symbols are unique, so these keys are all distinct and the order of the pops —
/// hence the code — does not depend on the heap's internals. The node popped first gets bit 0 (as the new most
/// significant bit), the second bit 1, and the merged symbol list is the first's followed by the second's: the
/// final code table lists the symbols left to right in the tree, i.e. in ascending order of their code bits.
/// That order ("order of appearance") is what the decode tables are built from.
public struct DahuffmanCode: Equatable, Sendable {
    /// A symbol of the code: an exponent byte, or dahuffman's end-of-file symbol.
    public enum Symbol: Hashable, Sendable, CustomStringConvertible {
        case endOfFile
        case exponent(UInt8)

        /// The tie-breaking rank: end-of-file first, then exponents by value.
        var rank: Int {
            switch self {
            case .endOfFile: return -1
            case .exponent(let value): return Int(value)
            }
        }

        public var description: String {
            switch self {
            case .endOfFile: return "EOF"
            case .exponent(let value): return String(value)
            }
        }
    }

    /// One symbol's code: `length` bits, the value's low `length` bits read most significant first.
    public struct Entry: Equatable, Sendable {
        public let symbol: Symbol
        /// Code length in bits (at least 1).
        public let length: Int
        /// The code bits (the low 64 bits when `length` exceeds 64, which only an unlimited code can reach).
        public let value: UInt64

        /// The code as a string of '0' and '1' (for messages and tests).
        public var bitString: String {
            (0..<length).map { i in
                let shift = length - 1 - i
                return shift < 64 && (value >> UInt64(shift)) & 1 == 1 ? "1" : "0"
            }.joined()
        }
    }

    /// Every symbol's code in dahuffman's code-table order (tree order: ascending code bits).
    public let entries: [Entry]
    /// The counts the code was built from, exponents ascending (the end-of-file symbol not included).
    public let counts: [(exponent: UInt8, count: UInt64)]
    /// The longest code, end-of-file included.
    public let maxLength: Int

    public static func == (lhs: DahuffmanCode, rhs: DahuffmanCode) -> Bool {
        lhs.entries == rhs.entries && lhs.counts.elementsEqual(rhs.counts, by: { $0 == $1 })
    }

    /// The code for `counts` (exponent, count) with distinct exponents; they are taken in ascending order.
    /// `counts` must not be empty (dahuffman fails on an empty table).
    public init(counts unsorted: [(exponent: UInt8, count: UInt64)]) {
        precondition(!unsorted.isEmpty, "DahuffmanCode needs at least one symbol")
        let sorted = unsorted.sorted { $0.exponent < $1.exponent }
        for i in sorted.indices.dropFirst() {
            precondition(sorted[i - 1].exponent != sorted[i].exponent, "duplicate exponent \(sorted[i].exponent)")
        }
        counts = sorted

        // Leaves first (end-of-file last), then internal nodes as they are created.
        var leftChild: [Int] = []
        var rightChild: [Int] = []
        var leafSymbol: [Symbol?] = []
        var active: [(count: UInt64, rank: Int, node: Int)] = []
        for (exponent, count) in sorted {
            active.append((count, Int(exponent), leafSymbol.count))
            leafSymbol.append(.exponent(exponent)); leftChild.append(-1); rightChild.append(-1)
        }
        active.append((1, Symbol.endOfFile.rank, leafSymbol.count))
        leafSymbol.append(.endOfFile); leftChild.append(-1); rightChild.append(-1)

        func popSmallest() -> (count: UInt64, rank: Int, node: Int) {
            var best = 0
            for i in active.indices.dropFirst() {
                let a = active[i], b = active[best]
                if a.count < b.count || (a.count == b.count && a.rank < b.rank) { best = i }
            }
            return active.remove(at: best)
        }
        while active.count > 1 {
            let first = popSmallest()
            let second = popSmallest()
            let (sum, overflow) = first.count.addingReportingOverflow(second.count)
            precondition(!overflow, "exponent counts overflow 64 bits")
            active.append((sum, first.rank, leafSymbol.count))
            leafSymbol.append(nil); leftChild.append(first.node); rightChild.append(second.node)
        }

        // Left-to-right walk: the order of dahuffman's code table.
        var result: [Entry] = []
        result.reserveCapacity(sorted.count + 1)
        var stack: [(node: Int, length: Int, value: UInt64)] = [(active[0].node, 0, 0)]
        var longest = 0
        while let (node, length, value) = stack.popLast() {
            if let symbol = leafSymbol[node] {
                result.append(Entry(symbol: symbol, length: length, value: value))
                longest = max(longest, length)
            } else {
                stack.append((rightChild[node], length + 1, value &<< 1 | 1))
                stack.append((leftChild[node], length + 1, value &<< 1))
            }
        }
        entries = result
        maxLength = longest
    }

    /// The code for the exponents present in `histogram` (the official `torch.unique` counts).
    public init(histogram: ExponentHistogram) {
        self.init(counts: Self.presentCounts(histogram))
    }

    /// The (exponent, count) pairs of the exponents present in `histogram`, ascending.
    public static func presentCounts(_ histogram: ExponentHistogram) -> [(exponent: UInt8, count: UInt64)] {
        histogram.counts.enumerated().compactMap { $0.element > 0 ? (UInt8($0.offset), $0.element) : nil }
    }

    /// The code of the end-of-file symbol.
    public var endOfFile: Entry { entries.first { $0.symbol == .endOfFile }! }

    /// The code of `exponent`, nil if it is not in the code.
    public func entry(for exponent: UInt8) -> Entry? {
        entries.first { $0.symbol == .exponent(exponent) }
    }

    /// Code lengths indexed by exponent byte (0 for exponents not in the code): the last row of the tables.
    public var lengthsByExponent: [UInt8] {
        var lengths = [UInt8](repeating: 0, count: 256)
        for entry in entries {
            if case .exponent(let e) = entry.symbol { lengths[Int(e)] = UInt8(clamping: entry.length) }
        }
        return lengths
    }
}
