import EntropyCoding
import Safetensors

/// `df11-bench plan`: what format 2.0's structured coder (docs/CODER2.md §8) would store for each float
/// tensor of a safetensors file, with the real pieces: `ElementSplit` (k chosen per segment of 64 blocks by
/// `CodingChoices.symbolMantissaBits`; FP8 as the whole byte; the low byte planes F16 1, F32 2, F64 6), tANS
/// streams (`TANSEncoder`, table logs 12 and 15), tables as `TANSCounts` writes them, and per block and stream the
/// segment's table, an own table or raw (`CodingChoices.planTables`, exact table sizes); per block a mode byte
/// per stream and 16 bytes of lane lengths per coded stream; the raw bits packed. Frames, index and header
/// overhead are not counted; other tensors, float tensors that would not shrink, and the header count as
/// stored raw. Sizes only, no timing.
struct PlanBench {
    var options: EntropyBenchOptions
    let segmentBlocks = 64
    var tableLog = 12

    func run() throws {
        for log in [12, 15] {
            var bench = self
            bench.tableLog = log
            print("df11-bench plan: blocks of \(options.block) elements, segments of \(segmentBlocks) blocks, tANS-\(log); "
                  + "% of the bytes they replace (frames, index and header overhead not counted)\n")
            for path in options.files { try bench.measure(path) }
        }
    }

    /// The layout the structured coder would use for a dtype, if any.
    private func layout(_ dtype: DType) -> FloatLayout? {
        switch dtype {
        case .bf16: return .bf16
        case .f16: return .f16
        case .f32: return .f32
        case .f64: return .f64
        case .f8E4M3: return .f8E4M3
        case .f8E5M2: return .f8E5M2
        default: return nil
        }
    }

    /// The splits a segment chooses from: every k whose symbol fits 12 bits, with as many low byte planes as
    /// fit below the widest symbol; FP8's whole byte.
    private func candidates(_ layout: FloatLayout) throws -> [ElementSplit] {
        if layout.width == 1 { return [try ElementSplit.wholeElement(layout)] }
        let kMax = Swift.min(4, ElementSplit.maxSymbolBits - layout.exponentBits, layout.mantissaBits)
        let planes = (layout.mantissaBits - kMax) / 8
        return try (0...kMax).map { try ElementSplit(layout: layout, symbolMantissaBits: $0, planeCount: planes) }
    }

    private func measure(_ path: String) throws {
        let file = try SafetensorsFile(path: path)
        defer { file.close() }
        var bitsByDtype: [String: (bytes: Int, bits: Double)] = [:]
        var otherBytes = 0
        var kUse: [Int: Int] = [:]
        for tensor in file.header.tensorsInFileOrder {
            let byteCount = Int(tensor.byteCount)
            guard let layout = layout(tensor.dtype), byteCount > 0 else { otherBytes += byteCount; continue }
            var bytes = [UInt8](repeating: 0, count: byteCount)
            try bytes.withUnsafeMutableBytes { try file.read(tensor: tensor, range: 0..<UInt64(byteCount), into: $0) }
            let candidates = try candidates(layout)
            let count = byteCount / layout.width
            var bits = 0.0
            for segment in stride(from: 0, to: count, by: segmentBlocks * options.block) {
                let elements = (segment..<Swift.min(count, segment + segmentBlocks * options.block)).map { i -> UInt64 in
                    var x: UInt64 = 0
                    for b in 0..<layout.width { x |= UInt64(bytes[i * layout.width + b]) << UInt64(8 * b) }
                    return x
                }
                let widest = candidates.last!
                var countsAtLargest = [UInt64](repeating: 0, count: widest.alphabetSize)
                for x in elements { countsAtLargest[Int(widest.symbol(of: x))] += 1 }
                let split = try CodingChoices.symbolMantissaBits(countsAtLargest: countsAtLargest, candidates: candidates,
                                                                 tableLog: tableLog, tableCost: CodingCost.countsBits).best
                kUse[split.symbolMantissaBits, default: 0] += 1
                let blocks = stride(from: 0, to: elements.count, by: options.block).map {
                    Array(elements[$0..<Swift.min(elements.count, $0 + options.block)])
                }
                bits += Double(split.rawBits * elements.count) + Double(8 * (1 + split.planeCount) * blocks.count)
                bits += try streamsBits(blocks.map { $0.map { split.symbol(of: $0) } }, alphabet: split.alphabetSize,
                                        rawSymbolBits: split.symbolBits)
                for plane in 0..<split.planeCount {
                    bits += try streamsBits(blocks.map { $0.map { UInt16(($0 >> UInt64(8 * plane)) & 0xFF) } }, alphabet: 256,
                                            rawSymbolBits: 8)
                }
            }
            // A tensor that does not shrink is stored as it is (encoding 2, raw), as a writer would.
            bits = Swift.min(bits, Double(8 * byteCount))
            let entry = bitsByDtype[layout.name, default: (0, 0)]
            bitsByDtype[layout.name] = (entry.bytes + byteCount, entry.bits + bits)
        }
        let headerBytes = Int(file.header.dataStart)
        let totalBits = bitsByDtype.values.reduce(0.0) { $0 + $1.bits } + Double(8 * (headerBytes + otherBytes))
        print("== \(path.split(separator: "/").suffix(2).joined(separator: "/")): \(file.size) bytes")
        for (name, entry) in bitsByDtype.sorted(by: { $0.key < $1.key }) {
            print("   \(name) tensors: \(entry.bytes) bytes -> \(fmt(entry.bits / 8, 0)) (\(fmt(entry.bits / Double(8 * entry.bytes) * 100, 3)) %)")
        }
        print("   whole file (header and other tensors raw): \(fmt(totalBits / 8, 0)) bytes, \(fmt(totalBits / Double(8 * Int(file.size)) * 100, 3)) %"
              + "; k per segment: \(kUse.sorted { $0.key < $1.key }.map { "k=\($0.key): \($0.value)" }.joined(separator: ", "))\n")
    }

    /// The bits of one stream of a segment (symbols per block over `alphabet`), planned by
    /// `CodingChoices.planTables`: the segment's table if used, and per block its table choice.
    private func streamsBits(_ blocks: [[UInt16]], alphabet: Int, rawSymbolBits: Int) throws -> Double {
        let counts = blocks.map { block -> [UInt64] in
            var h = [UInt64](repeating: 0, count: alphabet)
            for s in block { h[Int(s)] += 1 }
            return h
        }
        let plan = CodingChoices.planTables(blocks: counts, tableLog: tableLog, rawSymbolBits: rawSymbolBits,
                                            overheadBits: 16 * 8, tableCost: CodingCost.countsBits)
        var bits = 0.0
        var segmentTable: TANSTable?
        if plan.useSegmentTable {
            var total = [UInt64](repeating: 0, count: alphabet)
            for h in counts { for (s, c) in h.enumerated() { total[s] += c } }
            let table = try TANSTable.build(counts: total, tableLog: tableLog)
            bits += Double(8 * TANSCounts.encodedSize(frequencies: table.frequencies))
            segmentTable = table
        }
        for (b, block) in blocks.enumerated() {
            switch plan.blocks[b] {
            case .raw: bits += Double(rawSymbolBits * block.count)
            case .segment: bits += try streamBits(block, segmentTable!) + 16 * 8
            case .own:
                let table = try TANSTable.build(counts: counts[b], tableLog: tableLog)
                bits += try streamBits(block, table) + Double(8 * TANSCounts.encodedSize(frequencies: table.frequencies)) + 16 * 8
            }
        }
        return bits
    }

    private func streamBits(_ symbols: [UInt16], _ table: TANSTable) throws -> Double {
        var out = [UInt8](repeating: 0, count: TANSEncoder.maxBytes(count: symbols.count, tableLog: table.tableLog))
        let sizes = try symbols.withUnsafeBufferPointer { s in try out.withUnsafeMutableBytes { try TANSEncoder(table: table).encode(s, into: $0) } }
        return Double(8 * sizes.total)
    }
}
