/// The structured coder's choices (docs/CODER2.md §3), each made by comparing exact costs (`CodingCost`) of
/// histograms: how many mantissa bits join the exponent in a tensor's symbol, which table each block of a
/// segment uses, and whether a plane (or a block's symbols) is worth coding at all. Pure functions: the same
/// histograms always give the same choice, so a writer's output does not depend on timing or threads.
public enum CodingChoices {
    /// What storing a table for a histogram costs, in bits: `CodingCost.ansTableBits` (the model shared with
    /// tools/bench/coder_bounds.py, the default) or `CodingCost.countsBits` (the exact `TANSCounts` size).
    /// It is given the histogram's frequencies at `tableLog` as well (`ANSFrequencies.normalize`, which the
    /// caller has made anyway; nil when there are none: no symbol, or more than the table has states), so that
    /// a model of the table's size need not normalize again.
    public typealias TableCost = (_ counts: [UInt64], _ frequencies: [UInt32]?, _ tableLog: Int) -> Double

    /// The cost of each candidate number of mantissa bits `k` in the symbol, and the cheapest.
    public struct MantissaBitsChoice: Equatable, Sendable {
        /// The chosen split (the cheapest; the smaller `k` on a tie).
        public let best: ElementSplit
        /// Per candidate, in the order given: coded bits + table bits + raw bits, or nil when its symbols do
        /// not fit a table of `2^tableLog` states.
        public let bits: [Double?]
    }

    /// Chooses `k` for one tensor (or segment): the candidate split whose symbols, coded with one ANS table
    /// of `2^tableLog` states, plus that table, plus the raw bits of every element, cost least. (Low planes,
    /// the same for every candidate, are not counted.)
    ///
    /// - Parameters:
    ///   - countsAtLargest: the histogram of the symbols of the candidate with the largest `k` (its
    ///     `alphabetSize` counts); the others' histograms follow from it, as their symbols are its symbols
    ///     without the lowest `k_max − k` bits.
    ///   - candidates: splits of one layout that differ only in `k`.
    /// - Throws: `EntropyCodingError.invalidArgument` for no candidates, candidates that differ otherwise, a
    ///   histogram that is not the largest candidate's alphabet, or no candidate that fits the table.
    public static func symbolMantissaBits(countsAtLargest: [UInt64], candidates: [ElementSplit], tableLog: Int,
                                          tableCost: TableCost = CodingCost.ansTableBits) throws(EntropyCodingError) -> MantissaBitsChoice {
        guard let largest = candidates.max(by: { $0.symbolMantissaBits < $1.symbolMantissaBits }) else {
            throw .invalidArgument("no candidate splits to choose from")
        }
        guard candidates.allSatisfy({ $0.layout == largest.layout && $0.signInSymbol == largest.signInSymbol
                                      && $0.planeCount == largest.planeCount }) else {
            throw .invalidArgument("candidate splits differ in more than the mantissa bits of the symbol")
        }
        guard countsAtLargest.count == largest.alphabetSize else {
            throw .invalidArgument("a histogram of \(countsAtLargest.count) symbols for a \(largest.symbolBits)-bit symbol")
        }
        let n = Double(CodingCost.total(countsAtLargest))
        var bits: [Double?] = []
        var best: (split: ElementSplit, bits: Double)?
        for split in candidates {
            let counts = merged(countsAtLargest, droppingBits: largest.symbolMantissaBits - split.symbolMantissaBits)
            let (frequencies, coded) = CodingCost.ansFrequenciesAndBits(counts, tableLog: tableLog)
            guard let coded else { bits.append(nil); continue }
            let total = coded + tableCost(counts, frequencies, tableLog) + Double(split.rawBits) * n
            bits.append(total)
            if best == nil || total < best!.bits || (total == best!.bits && split.symbolMantissaBits < best!.split.symbolMantissaBits) {
                best = (split, total)
            }
        }
        guard let best else { throw .invalidArgument("no candidate split's symbols fit a table of 2^\(tableLog) states") }
        return MantissaBitsChoice(best: best.split, bits: bits)
    }

    /// The histogram of symbols without their lowest `bits` bits.
    public static func merged(_ counts: [UInt64], droppingBits bits: Int) -> [UInt64] {
        guard bits > 0 else { return counts }
        var merged = [UInt64](repeating: 0, count: counts.count >> bits)
        for (s, c) in counts.enumerated() { merged[s >> bits] += c }
        return merged
    }

    /// How one block's symbols are stored.
    public enum BlockTable: String, Equatable, Sendable {
        /// Coded with the segment's table.
        case segment
        /// Coded with a table of its own, stored with the block.
        case own
        /// Not coded: `rawSymbolBits` per symbol.
        case raw
    }

    /// What each way of storing one block costs, in bits.
    public struct BlockCosts: Equatable, Sendable {
        /// Coded with its own table: coded bits + table + overhead; nil if its symbols do not fit a table.
        public let own: Double?
        /// That own table's frequencies (nil when there are none).
        public let ownFrequencies: [UInt32]?
        /// Coded with the segment's table: the cross-entropy + overhead; nil without a segment table.
        public let segment: Double?
        /// Raw.
        public let raw: Double
    }

    /// Which table each block of a segment uses, and what the segment then costs.
    public struct TablePlan: Equatable, Sendable {
        /// Whether the segment stores a table (made from all its blocks' counts).
        public let useSegmentTable: Bool
        /// The segment table's cost (whether it is used or not; infinity if its symbols do not fit).
        public let segmentTableBits: Double
        public let costs: [BlockCosts]
        public let blocks: [BlockTable]
        /// The plan's total: the segment table if used, and each block's chosen cost.
        public let bits: Double
    }

    /// Plans the tables of a segment: each block is coded with the segment's table, with its own, or raw,
    /// whichever costs least, and the segment's table (from the sum of the blocks' counts) is stored only if
    /// that makes the total smaller. A coded block pays `overheadBits` (its stream sizes); ties go to the
    /// segment's table, then the block's own, then raw.
    ///
    /// - Parameters:
    ///   - blocks: each block's symbol histogram, all over the same alphabet.
    ///   - rawSymbolBits: what a symbol costs stored raw (its width).
    public static func planTables(blocks: [[UInt64]], tableLog: Int, rawSymbolBits: Int, overheadBits: Double,
                                  tableCost: TableCost = CodingCost.ansTableBits) -> TablePlan {
        let alphabet = blocks.first?.count ?? 0
        var segmentCounts = [UInt64](repeating: 0, count: alphabet)
        for block in blocks { for (s, c) in block.enumerated() { segmentCounts[s] += c } }
        let segmentFrequencies = CodingCost.usedCount(segmentCounts) > 0
            ? try? ANSFrequencies.normalize(counts: segmentCounts, precisionBits: tableLog) : nil
        let segmentTableBits = segmentFrequencies.map { tableCost(segmentCounts, $0, tableLog) } ?? .infinity
        let costs = blocks.map { counts -> BlockCosts in
            let (ownFrequencies, coded) = CodingCost.ansFrequenciesAndBits(counts, tableLog: tableLog)
            let own = coded.map { $0 + tableCost(counts, ownFrequencies, tableLog) + overheadBits }
            let segment = segmentFrequencies.flatMap {
                CodingCost.ansBits(counts, frequencies: $0, tableLog: tableLog).map { $0 + overheadBits }
            }
            return BlockCosts(own: own, ownFrequencies: ownFrequencies, segment: segment,
                              raw: Double(rawSymbolBits) * Double(CodingCost.total(counts)))
        }
        func choose(_ cost: BlockCosts, segmentAllowed: Bool) -> (BlockTable, Double) {
            var choice = (BlockTable.raw, cost.raw)
            if let own = cost.own, own <= choice.1 { choice = (.own, own) }
            if segmentAllowed, let segment = cost.segment, segment <= choice.1 { choice = (.segment, segment) }
            return choice
        }
        let without = costs.map { choose($0, segmentAllowed: false) }
        let with = costs.map { choose($0, segmentAllowed: true) }
        let withoutBits = without.reduce(0.0) { $0 + $1.1 }
        let withBits = segmentTableBits + with.reduce(0.0) { $0 + $1.1 }
        let useSegment = withBits < withoutBits
        let plan = useSegment ? with : without
        return TablePlan(useSegmentTable: useSegment, segmentTableBits: segmentTableBits, costs: costs,
                         blocks: plan.map(\.0), bits: useSegment ? withBits : withoutBits)
    }

    /// Whether a plane (or any histogram of symbols of `rawSymbolBits` bits) is worth coding with its own
    /// table: coded bits + table + `overheadBits` against raw. Ties go to coding.
    public static func codedOrRaw(_ counts: [UInt64], tableLog: Int, rawSymbolBits: Int, overheadBits: Double,
                                  tableCost: TableCost = CodingCost.ansTableBits) -> (table: BlockTable, bits: Double) {
        let plan = planTables(blocks: [counts], tableLog: tableLog, rawSymbolBits: rawSymbolBits, overheadBits: overheadBits,
                              tableCost: tableCost)
        // One block: a segment table would cost its table on top of the same coded bits, so it is never used.
        return (plan.blocks[0], plan.bits)
    }
}
