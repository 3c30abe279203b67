import EntropyCoding

/// Encodes one segment of a float tensor in format 2.0 (docs/FORMAT.md, `CDE2` and `BLK ` method 3).
///
/// Two passes over the segment's bytes. The first counts, per block, the symbols of the widest candidate split
/// and the bytes of each low plane. From those histograms, by exact cost (`CodingChoices`): the split (how many
/// mantissa bits join the exponent), then per stream whether the segment stores a table and whether each block
/// uses it, a table of its own, or stores the stream raw. The second pass splits each block and writes its frame;
/// a block that would not shrink is stored raw, and one of a single symbol also tries zstd (constant tensors).
struct StructuredSegmentEncoder {
    let layout: FloatLayout
    let tableLog: Int
    let blockBytes: Int
    /// The splits to choose among (all of one layout, differing only in `k`): `candidates(layout)` unless a test
    /// asks for others.
    var splits: [ElementSplit]

    init(layout: FloatLayout, tableLog: Int, blockBytes: Int, splits: [ElementSplit]? = nil) {
        self.layout = layout
        self.tableLog = tableLog
        self.blockBytes = blockBytes
        self.splits = splits ?? Self.candidates(layout)
    }

    /// The bytes an own table must save before a block uses one at table logs above 12, where building the
    /// decoding table costs about as much as decoding a block (docs/CODER2.md §8).
    static let ownTablePenaltyBits = 0.0

    /// The splits a writer chooses among: `k` = 0…4 mantissa bits in the symbol (0…1 for F64, whose exponent has
    /// 11 bits), the low byte planes that fit below the widest (F32: 2, F64: 6); FP8 codes its whole byte.
    static func candidates(_ layout: FloatLayout) -> [ElementSplit] {
        if layout.width == 1 { return [try! ElementSplit.wholeElement(layout)] }
        let widest = min(4, ElementSplit.maxSymbolBits - layout.exponentBits)
        let planes = layout.width == 4 ? 2 : layout.width == 8 ? 6 : 0
        return (0...widest).map { try! ElementSplit(layout: layout, symbolMantissaBits: $0, planeCount: planes) }
    }

    /// What storing a table costs when choosing: its exact size, and above log 12 a penalty for building it.
    private var tableCost: CodingChoices.TableCost {
        let penalty = tableLog > 12 ? Self.ownTablePenaltyBits : 0
        return { counts, frequencies, log in CodingCost.countsBits(counts, frequencies: frequencies, tableLog: log) + penalty }
    }

    /// Per block, the histograms of the widest candidate's symbols and of each plane's bytes.
    private func histograms(_ bytes: UnsafeRawBufferPointer, widest: ElementSplit) -> (symbols: [[UInt64]], planes: [[[UInt64]]]) {
        var symbols: [[UInt64]] = []
        var planes: [[[UInt64]]] = []
        let blocks = (bytes.count + blockBytes - 1) / blockBytes
        var counts = [UInt32](repeating: 0, count: widest.alphabetSize)
        var planeCounts = [UInt32](repeating: 0, count: 256 * widest.planeCount)
        for b in 0..<blocks {
            let start = b * blockBytes
            let block = UnsafeRawBufferPointer(rebasing: bytes[start..<min(bytes.count, start + blockBytes)])
            for i in counts.indices { counts[i] = 0 }
            for i in planeCounts.indices { planeCounts[i] = 0 }
            counts.withUnsafeMutableBufferPointer { counts in
                planeCounts.withUnsafeMutableBufferPointer { planeCounts in
                    Self.count(block, split: widest, symbols: counts.baseAddress!, planes: planeCounts.baseAddress)
                }
            }
            symbols.append(counts.map { UInt64($0) })
            planes.append((0..<widest.planeCount).map { j in planeCounts[256 * j ..< 256 * (j + 1)].map { UInt64($0) } })
        }
        return (symbols, planes)
    }

    /// Adds the symbols of `split` and the bytes of its planes in `block` to the counts.
    private static func count(_ block: UnsafeRawBufferPointer, split: ElementSplit, symbols: UnsafeMutablePointer<UInt32>,
                              planes: UnsafeMutablePointer<UInt32>?) {
        let base = block.baseAddress!
        switch split.layout.width {
        case 1 where split.symbolBits == 8:
            for i in 0..<block.count { symbols[Int(base.load(fromByteOffset: i, as: UInt8.self))] &+= 1 }
        case 2 where split.planeCount == 0 && !split.signInSymbol:
            let n = block.count / 2
            let shift = UInt16(split.layout.mantissaBits - split.symbolMantissaBits)
            let mask = UInt16(split.alphabetSize - 1)
            let words = base.assumingMemoryBound(to: UInt16.self)
            for i in 0..<n { symbols[Int((UInt16(littleEndian: words[i]) &>> shift) & mask)] &+= 1 }
        case 4 where split.planeCount == 2:
            // F32 as df11 splits it: the planes' loop written out (the general loop below costs twice as much).
            let n = block.count / 4
            let fields = split.fields
            let plane0 = planes!, plane1 = plane0 + 256
            for i in 0..<n {
                let x = Self.element(base, i, 4)
                symbols[Int(fields.symbol(of: x))] &+= 1
                plane0[Int(truncatingIfNeeded: x & 0xFF)] &+= 1
                plane1[Int(truncatingIfNeeded: (x &>> 8) & 0xFF)] &+= 1
            }
        default:
            let width = split.layout.width
            let n = block.count / width
            let fields = split.fields
            for i in 0..<n {
                let x = Self.element(base, i, width)
                symbols[Int(fields.symbol(of: x))] &+= 1
                for j in 0..<split.planeCount {
                    planes![256 * j + Int(truncatingIfNeeded: (x >> UInt64(8 * j)) & 0xFF)] &+= 1
                }
            }
        }
    }

    /// Element `i` of little-endian elements of `width` bytes.
    @inline(__always)
    static func element(_ base: UnsafeRawPointer, _ i: Int, _ width: Int) -> UInt64 {
        switch width {
        case 1: return UInt64(base.load(fromByteOffset: i, as: UInt8.self))
        case 2: return UInt64(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        case 4: return UInt64(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        default: return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
        }
    }

    /// The plan of one segment: its split, its `CDE2` payload and per block each stream's mode and counts.
    struct Plan {
        let split: ElementSplit
        let payload: StructuredCodePayload
        /// Per stream, the segment table's encoder (nil without one).
        let segmentEncoders: [TANSEncoder?]
        /// Per block, per stream: how it is stored.
        let modes: [[StreamMode]]
        /// Per block, per stream: the frequencies of its own table (nil where it has none).
        let ownFrequencies: [[[UInt32]?]]
        /// Per block: whether its symbols are all one value (a constant run, which zstd may store better).
        let singleSymbol: [Bool]
        /// What the plan costs by the model (tables, coded streams by their ANS cost, lane lengths, raw bits and
        /// the mode bytes; not the frames), in bits.
        let predictedBits: Double
        /// The order-0 entropy of the segment under its split: its symbols' and planes' Shannon bounds and the
        /// raw bits, tables not counted.
        let entropyBits: Double

        /// The bytes of its `CDE2` frame.
        var codeFrameBytes: Int { payload.size + ContainerFormat.frameHeaderSize + ContainerFormat.frameChecksumSize }

        /// Whether storing `count` bytes this way is smaller than storing them raw, the `CDE2` frame included.
        func pays(for count: Int) -> Bool { predictedBits / 8 + Double(codeFrameBytes) < Double(count) }
    }

    /// Chooses the split and the tables of the segment `bytes`.
    func plan(_ bytes: UnsafeRawBufferPointer) throws -> Plan {
        let candidates = splits
        let widest = candidates.last!
        let (symbolCounts, planeCounts) = histograms(bytes, widest: widest)
        var split = widest
        if candidates.count > 1 {
            var total = [UInt64](repeating: 0, count: widest.alphabetSize)
            for block in symbolCounts { for (s, c) in block.enumerated() { total[s] &+= c } }
            split = try CodingChoices.symbolMantissaBits(countsAtLargest: total, candidates: candidates, tableLog: tableLog,
                                                         tableCost: tableCost).best
        }
        let dropped = widest.symbolMantissaBits - split.symbolMantissaBits
        let blockSymbols = symbolCounts.map { CodingChoices.merged($0, droppingBits: dropped) }
        var streams: [[[UInt64]]] = [blockSymbols]  // per stream, per block
        for j in 0..<split.planeCount { streams.append(planeCounts.map { $0[j] }) }

        let overhead = Double(8 * StructuredBlock.laneLengthsSize)
        var tables: [StreamTable?] = []
        var encoders: [TANSEncoder?] = []
        var modes = [[StreamMode]](repeating: [], count: blockSymbols.count)
        var ownFrequencies = [[[UInt32]?]](repeating: [], count: blockSymbols.count)
        let elements = Double(bytes.count / layout.width)
        var predictedBits = Double(split.rawBits) * elements + Double(8 * streams.count * blockSymbols.count)
        var entropyBits = Double(split.rawBits) * elements
        for (s, blocks) in streams.enumerated() {
            let rawBits = s == 0 ? split.symbolBits : 8
            let tablePlan = CodingChoices.planTables(blocks: blocks, tableLog: tableLog, rawSymbolBits: rawBits,
                                                     overheadBits: overhead, tableCost: tableCost)
            var total = [UInt64](repeating: 0, count: blocks[0].count)
            for block in blocks { for (i, c) in block.enumerated() { total[i] &+= c } }
            predictedBits += tablePlan.bits
            entropyBits += CodingCost.entropyBits(total)
            if tablePlan.useSegmentTable {
                let table = try TANSTable.build(counts: total, tableLog: tableLog)
                tables.append(StreamTable(tableLog: tableLog, frequencies: table.frequencies))
                encoders.append(TANSEncoder(table: table))
            } else {
                tables.append(nil)
                encoders.append(nil)
            }
            for (b, choice) in tablePlan.blocks.enumerated() {
                modes[b].append(choice == .segment ? .segment : choice == .own ? .own : .raw)
                ownFrequencies[b].append(choice == .own ? tablePlan.costs[b].ownFrequencies : nil)
            }
        }
        return Plan(split: split, payload: StructuredCodePayload(split: split, tables: tables), segmentEncoders: encoders,
                    modes: modes, ownFrequencies: ownFrequencies,
                    singleSymbol: blockSymbols.map { CodingCost.usedCount($0) <= 1 },
                    predictedBits: predictedBits, entropyBits: entropyBits)
    }
}

extension StructuredSegmentEncoder {
    /// Writes block `block` (`n` elements at `bytes`) as a `BLK ` method 3 payload after its fixed fields, through
    /// `w`; returns the bits of coded streams written. The caller compares the size with raw.
    func writeBlock(_ bytes: UnsafeRawBufferPointer, plan: Plan, block: Int, scratch: StructuredScratch,
                    into w: inout LittleEndianWriter) throws -> Int {
        let split = plan.split
        let width = layout.width
        let n = bytes.count / width
        let modes = plan.modes[block]
        for mode in modes { w.append(mode.rawValue) }
        // Lane lengths, patched once the streams are written.
        let lengthsAt = w.count
        let coded = modes.filter { $0 != .raw }.count
        w.skip(coded * StructuredBlock.laneLengthsSize)
        // Own tables, then the encoder of every coded stream.
        var encoders: [TANSEncoder?] = []
        for (s, mode) in modes.enumerated() {
            switch mode {
            case .raw: encoders.append(nil)
            case .segment: encoders.append(plan.segmentEncoders[s])
            case .own:
                guard let frequencies = plan.ownFrequencies[block][s] else {
                    throw EntropyCodingError.invalidArgument("stream \(s) of block \(block) is planned with a table of its own but has none")
                }
                let table = try TANSTable(frequencies: frequencies, tableLog: tableLog)
                StreamTable(tableLog: tableLog, frequencies: table.frequencies).encode(into: &w)
                encoders.append(TANSEncoder(table: table))
            }
        }
        // The raw bits, split from the elements on the way (and the symbols and planes into the scratch).
        let symbols = UnsafeMutableBufferPointer(rebasing: scratch.symbols[0..<n])
        let rawBytes = RawBitPacking.byteCount(count: n, width: split.rawBits)
        let base = bytes.baseAddress!
        // FP8 as df11 splits it: the bytes are the symbols, coded where they lie (copied only to be stored raw).
        let bytesAreSymbols = width == 1 && split.symbolBits == 8
        switch width {
        case 1 where bytesAreSymbols:
            if modes[0] == .raw { for i in 0..<n { symbols[i] = UInt16(base.load(fromByteOffset: i, as: UInt8.self)) } }
        case 2 where split.planeCount == 0:
            split.splitWords(base.assumingMemoryBound(to: UInt16.self), count: n, symbols: symbols.baseAddress!,
                             raw: UnsafeMutableRawBufferPointer(start: w.base + w.count, count: w.capacity - w.count))
            w.skip(rawBytes)
        default:
            let values = UnsafeMutableBufferPointer(rebasing: scratch.values[0..<n])
            let fields = split.fields
            if width == 4 && split.planeCount == 2 {
                // F32 as df11 splits it: the planes' loop written out.
                let plane0 = scratch.plane(0, count: n), plane1 = scratch.plane(1, count: n)
                for i in 0..<n {
                    let x = Self.element(base, i, 4)
                    symbols[i] = fields.symbol(of: x)
                    values[i] = fields.raw(of: x)
                    plane0[i] = UInt16(truncatingIfNeeded: x) & 0xFF
                    plane1[i] = UInt16(truncatingIfNeeded: x &>> 8) & 0xFF
                }
            } else {
                for i in 0..<n {
                    let x = Self.element(base, i, width)
                    symbols[i] = fields.symbol(of: x)
                    values[i] = fields.raw(of: x)
                    for j in 0..<split.planeCount {
                        scratch.planes[j * n + i] = UInt16(truncatingIfNeeded: x >> UInt64(8 * j)) & 0xFF
                    }
                }
            }
            RawBitPacking.pack(UnsafeBufferPointer(values), width: split.rawBits,
                               into: UnsafeMutableRawBufferPointer(start: w.base + w.count, count: w.capacity - w.count))
            w.skip(rawBytes)
        }
        // Raw planes, then raw symbols.
        for j in 0..<split.planeCount where modes[1 + j] == .raw {
            let plane = scratch.plane(j, count: n)
            for i in 0..<n { w.append(UInt8(truncatingIfNeeded: plane[i])) }
        }
        if modes[0] == .raw {
            let values = UnsafeMutableBufferPointer(rebasing: scratch.values[0..<n])
            for i in 0..<n { values[i] = UInt64(symbols[i]) }
            RawBitPacking.pack(UnsafeBufferPointer(values), width: split.symbolBits,
                               into: UnsafeMutableRawBufferPointer(start: w.base + w.count, count: w.capacity - w.count))
            w.skip(StructuredBlock.rawSymbolBytes(count: n, split: split))
        }
        // The coded streams.
        var codedBytes = 0
        var lengthIndex = 0
        for (s, encoder) in encoders.enumerated() {
            guard let encoder else { continue }
            let room = UnsafeMutableRawBufferPointer(start: w.base + w.count, count: w.capacity - w.count)
            let sizes: StreamSizes
            if s == 0 && bytesAreSymbols {
                sizes = try encoder.encode(bytes.assumingMemoryBound(to: UInt8.self), into: room)
            } else {
                let message = s == 0 ? UnsafeBufferPointer(symbols) : UnsafeBufferPointer(scratch.plane(s - 1, count: n))
                sizes = try encoder.encode(message, into: room)
            }
            for lane in 0..<4 {
                w.patch(sizes[lane], at: lengthsAt + StructuredBlock.laneLengthsSize * lengthIndex + 4 * lane)
            }
            lengthIndex += 1
            w.skip(sizes.total)
            codedBytes += sizes.total
        }
        return 8 * codedBytes
    }
}
