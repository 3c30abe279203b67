#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import EntropyCoding

/// `df11-bench tans`: the tANS building block (`TANSEncoder` / `TANSDecoder`, not yet in the container)
/// side by side with the container's Huffman `BlockEncoder` / `BlockDecoder` and with `RANSEncoder` /
/// `RANSDecoder` on the same words, one thread, blocks of `--block` words, one table per data set. Symbols
/// as in `rans`: the exponent with the top k mantissa bits, extracted before timing. Huffman rates are whole
/// bf16 words; ANS rates are symbols only.
///
/// Also prints, per coder, the stream's bits against the table's ideal cost (`codedBits`: what the
/// quantized probabilities cost; tANS adds its spread's loss, the first states and padding), and for a file,
/// the same per tensor (one tANS table per tensor, as the "ANS 2^12" column of docs/CODER2.md §2, tables not
/// counted).
struct TANSBench {
    var options: EntropyBenchOptions

    func run() throws {
        var datasets = [Datasets.normal("normal σ=0.02", count: options.words, sigmas: [0.02], seed: 1)]
        for path in options.files { datasets.append(try Datasets.safetensorsData(path: path)) }
        print("df11-bench tans: \(options.repeats) timed runs per figure (after one warm-up), one thread, blocks of "
              + "\(options.block) words; rates in million symbols (words) per second; bits per weight of the coded part.\n")
        for dataset in datasets {
            try gate(dataset)
            try measure(dataset)
            if !dataset.tensors.isEmpty {
                try perTensor(dataset)
                try planned(dataset, tableLog: 12)
                try planned(dataset, tableLog: 15)
            }
        }
    }

    private func symbols(_ words: ArraySlice<UInt16>, k: Int) -> [UInt16] {
        words.map { ($0 >> UInt16(7 - k)) & UInt16((1 << (8 + k)) - 1) }
    }

    private func histogram(_ symbols: [UInt16], k: Int) -> [UInt64] {
        var counts = [UInt64](repeating: 0, count: 1 << (8 + k))
        for s in symbols { counts[Int(s)] += 1 }
        return counts
    }

    private func measure(_ dataset: Dataset) throws {
        let words = dataset.words
        let n = words.count
        let ransBench = RANSBench(options: options)
        print("== \(dataset.name): \(n) words")
        print("coder                          bits/weight  size/bf16   encode best/median   decode best/median  ideal bits  stream/ideal")
        var exponents = ExponentHistogram()
        words.withUnsafeBufferPointer { exponents.add(words: $0) }
        let code = try CanonicalCode(lengths: HuffmanCodeLengths.build(counts: exponents.counts, limit: 12))
        let huffBits = Double(exponents.codedBits(lengths: code.lengths)) / Double(n)
        let (he, hd) = try ransBench.huffman(words, code)
        ransBench.line("Huffman-12, exponent (now)", huffBits, 8, he, hd)
        for (k, log) in [(0, 12), (2, 11), (2, 12), (2, 15)] {
            let symbols = symbols(words[...], k: k)
            let counts = histogram(symbols, k: k)
            let table = try TANSTable.build(counts: counts, tableLog: log)
            let (bytes, e, d) = try tans(symbols, table)
            let ideal = table.codedBits(counts: counts)!
            lineWithIdeal("tANS-\(log), exponent+\(k) bits", Double(8 * bytes), ideal, n, 8 - k, e, d, hd)
        }
        let symbols = symbols(words[...], k: 2)
        let counts = histogram(symbols, k: 2)
        let rTable = try RANSTable.build(counts: counts, precisionBits: 12)
        let (bytes, e, d) = try ransBench.rans(symbols, rTable)
        lineWithIdeal("rANS-12, exponent+2 bits", Double(8 * bytes), rTable.codedBits(counts: counts)!, n, 6, e, d, hd)
        print("")
    }

    private func lineWithIdeal(_ name: String, _ bits: Double, _ ideal: Double, _ n: Int, _ raw: Int,
                               _ e: Rate, _ d: Rate, _ huffmanDecode: Rate) {
        RANSBench(options: options).line(name, bits / Double(n), raw, e, d)
        print("    ideal \(fmt(ideal / Double(n), 4)) bits/weight, stream/ideal \(fmt(bits / ideal, 5)); "
              + "decode best/Huffman best \(fmt(d.best / huffmanDecode.best, 2)), median/median \(fmt(d.median / huffmanDecode.median, 2))")
    }

    /// The gate of docs/CODER2.md §7 step 1: decode (and encode) rates of Huffman-12 (whole words, format
    /// 1.0), tANS-12, rANS-12 and tANS-15 over exponent + 2 bits, and whole BF16 words (symbols joined with
    /// their raw bits, as the container does) at 2^12 (`default`) and 2^14 (`max`), timed in alternation
    /// (2·repeats + 1 rounds) so that they see the same load.
    private func gate(_ dataset: Dataset) throws {
        let words = dataset.words
        let n = words.count, blockSize = options.block
        let blocks = (n + blockSize - 1) / blockSize
        func range(_ b: Int) -> Range<Int> { (b * blockSize)..<Swift.min(n, (b + 1) * blockSize) }
        // Huffman, format 1.0's coder.
        var exponents = ExponentHistogram()
        words.withUnsafeBufferPointer { exponents.add(words: $0) }
        let code = try CanonicalCode(lengths: HuffmanCodeLengths.build(counts: exponents.counts, limit: 12))
        let hStride = BlockEncoder.maxBitsBytes(count: blockSize, maxLength: code.maxLength)
        let hBits = UnsafeMutableRawBufferPointer.allocate(byteCount: hStride * blocks, alignment: 64)
        let signMantissa = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
        let hOut = UnsafeMutablePointer<UInt16>.allocate(capacity: n)
        var hSizes = [StreamSizes]()
        let hEncoder = BlockEncoder(code: code), hDecoder = BlockDecoder(code: code)
        try words.withUnsafeBufferPointer { w in
            for b in 0..<blocks {
                let r = range(b)
                hSizes.append(try hEncoder.encode(words: w.baseAddress! + r.lowerBound, count: r.count,
                                                  signMantissa: signMantissa + r.lowerBound,
                                                  bits: UnsafeMutableRawBufferPointer(rebasing: hBits[(b * hStride)..<((b + 1) * hStride)])))
            }
        }
        // tANS-12 and rANS-12 over exponent + 2 bits, one table for the data set.
        let symbols = symbols(words[...], k: 2)
        let counts = histogram(symbols, k: 2)
        let t12 = try PreparedTANS(table: TANSTable.build(counts: counts, tableLog: 12), symbols: symbols, blockSize: blockSize)
        let t15 = try PreparedTANS(table: TANSTable.build(counts: counts, tableLog: 15), symbols: symbols, blockSize: blockSize)
        let whole = try PreparedStructuredWords(table: TANSTable.build(counts: counts, tableLog: 12), words: words, blockSize: blockSize)
        let whole14 = try PreparedStructuredWords(table: TANSTable.build(counts: counts, tableLog: 14), words: words, blockSize: blockSize)
        let rTable = try RANSTable.build(counts: counts, precisionBits: 12)
        let rStride = RANSEncoder.maxBytes(count: blockSize)
        let rBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: rStride * blocks, alignment: 64)
        let rOut = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: n)
        var rSizes = [Int]()
        let rEncoder = RANSEncoder(table: rTable), rDecoder = RANSDecoder(table: rTable)
        defer {
            hBits.deallocate(); signMantissa.deallocate(); hOut.deallocate()
            rBuffer.deallocate(); rOut.deallocate()
        }
        try symbols.withUnsafeBufferPointer { s in
            for b in 0..<blocks {
                let r = range(b)
                rSizes.append(try rEncoder.encode(UnsafeBufferPointer(rebasing: s[r]),
                                                  into: UnsafeMutableRawBufferPointer(rebasing: rBuffer[(b * rStride)..<((b + 1) * rStride)])))
            }
        }
        // Encoding, timed the same way (the streams are rewritten with the same bytes).
        let encodeTimes = words.withUnsafeBufferPointer { w in
            symbols.withUnsafeBufferPointer { s in
                Rate.alternatingTimes(repeats: 2 * options.repeats + 1, [
                    {
                        for b in 0..<blocks {
                            let r = range(b)
                            _ = try! hEncoder.encode(words: w.baseAddress! + r.lowerBound, count: r.count,
                                                     signMantissa: signMantissa + r.lowerBound,
                                                     bits: UnsafeMutableRawBufferPointer(rebasing: hBits[(b * hStride)..<((b + 1) * hStride)]))
                        }
                    },
                    { try! t12.encode(s) },
                    {
                        for b in 0..<blocks {
                            let r = range(b)
                            _ = try! rEncoder.encode(UnsafeBufferPointer(rebasing: s[r]),
                                                     into: UnsafeMutableRawBufferPointer(rebasing: rBuffer[(b * rStride)..<((b + 1) * rStride)]))
                        }
                    },
                    { try! t15.encode(s) },
                    { try! whole.encode(w) },
                    { try! whole14.encode(w) },
                ])
            }
        }
        var failure: Error?
        let decodeTimes = Rate.alternatingTimes(repeats: 2 * options.repeats + 1, [
            {
                do {
                    for b in 0..<blocks {
                        let r = range(b)
                        try hDecoder.decode(bits: UnsafeRawBufferPointer(rebasing: hBits[(b * hStride)..<(b * hStride + hSizes[b].total)]),
                                            sizes: hSizes[b], signMantissa: signMantissa + r.lowerBound, count: r.count,
                                            into: hOut + r.lowerBound)
                    }
                } catch { failure = error }
            },
            { do { try t12.decode() } catch { failure = error } },
            {
                do {
                    for b in 0..<blocks {
                        let r = range(b)
                        try rDecoder.decode(UnsafeRawBufferPointer(rebasing: rBuffer[(b * rStride)..<(b * rStride + rSizes[b])]),
                                            count: r.count, into: UnsafeMutableBufferPointer(rebasing: rOut[r]))
                    }
                } catch { failure = error }
            },
            { do { try t15.decode() } catch { failure = error } },
            { do { try whole.decode() } catch { failure = error } },
            { do { try whole14.decode() } catch { failure = error } },
        ])
        if let failure { throw failure }
        guard words.withUnsafeBufferPointer({ memcmp($0.baseAddress!, hOut, 2 * n) == 0 }),
              t12.decoded == symbols, t15.decoded == symbols, Array(rOut) == symbols, whole.decoded == words,
              whole14.decoded == words else {
            throw BenchError("gate round trip failed")
        }
        var load = [Double](repeating: 0, count: 3)
        let loadText = getloadavg(&load, 3) == 3 ? "load average \(fmt(load[0], 2)), \(fmt(load[1], 2)), \(fmt(load[2], 2))" : "load unknown"
        print("== gate on \(dataset.name): one thread, in alternation, \(2 * options.repeats + 1) rounds (\(loadText))")
        let names = ["Huffman-12, exponent, whole words (1.0)", "tANS-12, exponent+2 bits", "rANS-12, exponent+2 bits",
                     "tANS-15, exponent+2 bits", "tANS-12, exponent+2, whole words", "tANS-14, exponent+2, whole words (max)"]
        for (what, times) in [("decode", decodeTimes), ("encode", encodeTimes)] {
            let rates = times.map { Rate(items: n, sortedTimes: $0.sorted()) }
            for (i, name) in names.enumerated() {
                print("\(what) \(name.padding(toLength: 40, withPad: " ", startingAt: 0))  best \(pad(fmt(rates[i].best / 1e6, 0), 5)) M/s"
                      + "  median \(pad(fmt(rates[i].median / 1e6, 0), 5)) M/s   best/Huffman \(fmt(rates[i].best / rates[0].best, 2))"
                      + "  median/Huffman \(fmt(rates[i].median / rates[0].median, 2))"
                      + "  per-round ratio, median \(fmt(Rate.medianRatio(times[i], to: times[0]), 2))")
            }
        }
        print("")
    }

    /// One tANS table per tensor: the real stream against the ideal cost, as % of the bf16 bytes (tables
    /// not counted).
    private func perTensor(_ dataset: Dataset) throws {
        // What a table per block costs to make: normalization, spread, encoder and decoder tables.
        var blockCounts: [[UInt64]] = []
        for range in dataset.tensors where !range.isEmpty {
            let symbols = symbols(dataset.words[range], k: 2)
            var start = 0
            while start < symbols.count {
                let end = Swift.min(symbols.count, start + options.block)
                blockCounts.append(histogram(Array(symbols[start..<end]), k: 2))
                start = end
            }
        }
        for log in [12, 15] {
            // Each stage's total over all blocks, the best of 5 runs.
            var times = [Double](repeating: .infinity, count: 4)  // normalization, table (spread), encoder, decoder
            for _ in 0..<5 {
                var run = [Double](repeating: 0, count: 4)
                for counts in blockCounts {
                    let t0 = now()
                    let frequencies = try ANSFrequencies.normalize(counts: counts, precisionBits: log)
                    let t1 = now()
                    let table = try TANSTable(frequencies: frequencies, tableLog: log)
                    let t2 = now()
                    _ = TANSEncoder(table: table)
                    let t3 = now()
                    _ = TANSDecoder(table: table)
                    let t4 = now()
                    for (i, t) in [t1 - t0, t2 - t1, t3 - t2, t4 - t3].enumerated() { run[i] += t }
                }
                times = zip(times, run).map { Swift.min($0, $1) }
            }
            let us = times.map { fmt($0 / Double(blockCounts.count) * 1e6, 1) }
            print("-- a table of 2^\(log) per block (\(blockCounts.count) blocks, exponent + 2 bits), µs per block: "
                  + "normalization \(us[0]), spread \(us[1]), encoder tables \(us[2]), decoder table \(us[3])")
        }
        print("-- per tensor (\(dataset.tensors.count) BF16 tensors), one table each, blocks of \(options.block):")
        print("model                         ideal % of bf16   tANS stream % of bf16   spread+states cost (points)")
        for (k, log) in [(0, 12), (2, 12), (2, 15)] {
            var ideal = 0.0, real = 0, n = 0
            for range in dataset.tensors where !range.isEmpty {
                let symbols = symbols(dataset.words[range], k: k)
                let counts = histogram(symbols, k: k)
                let table = try TANSTable.build(counts: counts, tableLog: log)
                ideal += table.codedBits(counts: counts)!
                let encoder = TANSEncoder(table: table)
                var out = [UInt8](repeating: 0, count: TANSEncoder.maxBytes(count: options.block, tableLog: log))
                var start = 0
                while start < symbols.count {
                    let end = Swift.min(symbols.count, start + options.block)
                    let sizes = try symbols[start..<end].withUnsafeBufferPointer { s in
                        try out.withUnsafeMutableBytes { try encoder.encode(s, into: $0) }
                    }
                    real += 8 * sizes.total
                    start = end
                }
                n += symbols.count
            }
            let raw = Double((8 - k) * n)
            let idealPct = (raw + ideal) / Double(16 * n) * 100
            let realPct = (raw + Double(real)) / Double(16 * n) * 100
            print("tANS-\(log), exponent+\(k) bits".padding(toLength: 30, withPad: " ", startingAt: 0)
                  + "\(pad(fmt(idealPct, 4), 15))   \(pad(fmt(realPct, 4), 21))   \(pad(fmt(realPct - idealPct, 4), 12))")
        }
        print("")
    }

    private func tans(_ symbols: [UInt16], _ table: TANSTable) throws -> (Int, Rate, Rate) {
        let n = symbols.count
        let out = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: n)
        defer { out.deallocate() }
        let encoder = TANSEncoder(table: table), decoder = TANSDecoder(table: table)
        let (sizes, encode, decode) = try symbols.withUnsafeBufferPointer { s in
            try timeBlocks(items: n, blockSize: options.block,
                           stride: TANSEncoder.maxBytes(count: options.block, tableLog: table.tableLog),
                           repeats: options.repeats, empty: StreamSizes(0, 0, 0, 0), encode: { start, count, block in
                try encoder.encode(UnsafeBufferPointer(rebasing: s[start..<(start + count)]), into: block)
            }, decode: { start, count, block, sizes in
                try decoder.decode(UnsafeRawBufferPointer(rebasing: block[0..<sizes.total]), sizes: sizes, count: count,
                                   into: UnsafeMutableBufferPointer(rebasing: out[start..<(start + count)]))
            })
        }
        guard Array(out) == symbols else { throw BenchError("tANS round trip failed") }
        return (sizes.reduce(0) { $0 + $1.total }, encode, decode)
    }
}

extension TANSBench {
    /// The bytes a BF16 tensor's blocks would take with the real coder (docs/CODER2.md §8's `BLK ` method 3
    /// payload, not the frames around it): raw bits, tANS streams, `TANSCounts` tables, 16 bytes of lane
    /// lengths per coded block and a mode byte per block, for
    ///
    /// - one table per tensor (exponent + 2 bits): comparable to §2.1's "ANS 2^12" (2^15) column;
    /// - a table of its own for every block: comparable to "ANS 2^12 /64K" (2^15);
    /// - the `default` plan: per segment of 64 blocks the split (k ≤ 4) and per block the segment's table, an
    ///   own table or raw, all chosen by `CodingChoices` with the exact table sizes.
    func planned(_ dataset: Dataset, tableLog log: Int) throws {
        let segmentBlocks = 64, overhead = 8.0 * (16 + 1)
        var perTensor = 0.0, perBlock = 0.0, plan = 0.0, n = 0
        var kUse = [Int](repeating: 0, count: 5), tableUse: [CodingChoices.BlockTable: Int] = [:]
        for range in dataset.tensors where !range.isEmpty {
            let words = dataset.words[range]
            n += words.count
            // One table per tensor, k = 2; and one per block.
            let symbols2 = symbols(words, k: 2)
            let tensorTable = try TANSTable.build(counts: histogram(symbols2, k: 2), tableLog: log)
            perTensor += Double(8 * TANSCounts.encodedSize(frequencies: tensorTable.frequencies))
            for block in stride(from: 0, to: symbols2.count, by: options.block) {
                let s = Array(symbols2[block..<Swift.min(symbols2.count, block + options.block)])
                perTensor += try streamBits(s, tensorTable) + overhead + Double(6 * s.count)
                let own = try TANSTable.build(counts: histogram(s, k: 2), tableLog: log)
                perBlock += try streamBits(s, own) + Double(8 * TANSCounts.encodedSize(frequencies: own.frequencies))
                    + overhead + Double(6 * s.count)
            }
            // The plan, per segment.
            for segment in stride(from: 0, to: words.count, by: segmentBlocks * options.block) {
                let segmentWords = words[(words.startIndex + segment)..<(words.startIndex + Swift.min(words.count, segment + segmentBlocks * options.block))]
                let candidates = try (0...4).map { try ElementSplit(layout: .bf16, symbolMantissaBits: $0) }
                let choice = try CodingChoices.symbolMantissaBits(countsAtLargest: histogram(symbols(segmentWords, k: 4), k: 4),
                                                                  candidates: candidates, tableLog: log, tableCost: CodingCost.countsBits)
                let k = choice.best.symbolMantissaBits
                kUse[k] += 1
                let segmentSymbols = symbols(segmentWords, k: k)
                let blocks = stride(from: 0, to: segmentSymbols.count, by: options.block).map {
                    Array(segmentSymbols[$0..<Swift.min(segmentSymbols.count, $0 + options.block)])
                }
                let tables = CodingChoices.planTables(blocks: blocks.map { histogram($0, k: k) }, tableLog: log, rawSymbolBits: 8 + k,
                                                      overheadBits: overhead, tableCost: CodingCost.countsBits)
                let segmentTable = try TANSTable.build(counts: histogram(segmentSymbols, k: k), tableLog: log)
                if tables.useSegmentTable { plan += Double(8 * TANSCounts.encodedSize(frequencies: segmentTable.frequencies)) }
                for (b, s) in blocks.enumerated() {
                    tableUse[tables.blocks[b], default: 0] += 1
                    plan += Double((8 - k) * s.count) + 8
                    switch tables.blocks[b] {
                    case .raw: plan += Double((8 + k) * s.count)
                    case .segment: plan += try streamBits(s, segmentTable) + overhead - 8
                    case .own:
                        let own = try TANSTable.build(counts: histogram(s, k: k), tableLog: log)
                        plan += try streamBits(s, own) + Double(8 * TANSCounts.encodedSize(frequencies: own.frequencies)) + overhead - 8
                    }
                }
            }
        }
        func pct(_ bits: Double) -> String { fmt(bits / Double(16 * n) * 100, 3) + " %" }
        print("-- real block payloads (tANS-\(log), TANSCounts tables, 17 bytes of lane lengths and mode per coded block; "
              + "frames, index and header not counted), % of the bf16 bytes:")
        print("   exponent + 2 bits, one table per tensor:             \(pct(perTensor))   (CODER2 §2.1 \"ANS 2^12\": 66.011, 2^15: 65.941)")
        print("   exponent + 2 bits, a table of its own per block:     \(pct(perBlock))   (\"ANS 2^12 /64K\": 65.838, 2^15: 65.833)")
        print("   the default plan (k per segment, table per block):   \(pct(plan))   k used per segment \(kUse), "
              + "blocks: \(tableUse.map { "\($0.key.rawValue) \($0.value)" }.sorted().joined(separator: ", "))")
        print("")
    }

    /// The bits of `symbols` coded with `table`, lanes and all.
    private func streamBits(_ symbols: [UInt16], _ table: TANSTable) throws -> Double {
        var out = [UInt8](repeating: 0, count: TANSEncoder.maxBytes(count: symbols.count, tableLog: table.tableLog))
        let sizes = try symbols.withUnsafeBufferPointer { s in try out.withUnsafeMutableBytes { try TANSEncoder(table: table).encode(s, into: $0) } }
        return Double(8 * sizes.total)
    }
}

/// A tANS coder with its buffers, for the gate: `encode` writes every block's streams, `decode` reads them.
private final class PreparedTANS {
    let encoder: TANSEncoder, decoder: TANSDecoder
    let blockSize: Int, count: Int, stride: Int
    let buffer: UnsafeMutableRawBufferPointer
    let out: UnsafeMutableBufferPointer<UInt16>
    var sizes: [StreamSizes]

    init(table: TANSTable, symbols: [UInt16], blockSize: Int) throws {
        encoder = TANSEncoder(table: table)
        decoder = TANSDecoder(table: table)
        self.blockSize = blockSize
        count = symbols.count
        let blocks = (count + blockSize - 1) / blockSize
        stride = TANSEncoder.maxBytes(count: blockSize, tableLog: table.tableLog)
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: stride * blocks, alignment: 64)
        out = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: count)
        sizes = [StreamSizes](repeating: StreamSizes(0, 0, 0, 0), count: blocks)
        try symbols.withUnsafeBufferPointer { try encode($0) }
    }

    deinit { buffer.deallocate(); out.deallocate() }

    func encode(_ symbols: UnsafeBufferPointer<UInt16>) throws {
        for b in sizes.indices {
            let start = b * blockSize, end = Swift.min(count, start + blockSize)
            sizes[b] = try encoder.encode(UnsafeBufferPointer(rebasing: symbols[start..<end]),
                                          into: UnsafeMutableRawBufferPointer(rebasing: buffer[(b * stride)..<((b + 1) * stride)]))
        }
    }

    func decode() throws {
        for b in sizes.indices {
            let start = b * blockSize, end = Swift.min(count, start + blockSize)
            try decoder.decode(UnsafeRawBufferPointer(rebasing: buffer[(b * stride)..<(b * stride + sizes[b].total)]),
                               sizes: sizes[b], count: end - start, into: UnsafeMutableBufferPointer(rebasing: out[start..<end]))
        }
    }

    var decoded: [UInt16] { Array(out) }
}

/// The structured coder on whole bf16 words, for the gate: per block `ElementSplit.splitWords` (exponent + 2
/// bits, the sign and 5 bits packed raw) and `TANSEncoder`; back, `TANSDecoder.decodeWords` (decoding and
/// `joinWords` in L1-sized stretches).
private final class PreparedStructuredWords {
    let split: ElementSplit
    let encoder: TANSEncoder, decoder: TANSDecoder
    let blockSize: Int, count: Int, stride: Int, rawStride: Int
    let streams: UnsafeMutableRawBufferPointer, raw: UnsafeMutableRawBufferPointer
    let symbols: UnsafeMutableBufferPointer<UInt16>, out: UnsafeMutableBufferPointer<UInt16>
    var sizes: [StreamSizes]

    init(table: TANSTable, words: [UInt16], blockSize: Int) throws {
        split = try ElementSplit(layout: .bf16, symbolMantissaBits: 2)
        encoder = TANSEncoder(table: table)
        decoder = TANSDecoder(table: table)
        self.blockSize = blockSize
        count = words.count
        let blocks = (count + blockSize - 1) / blockSize
        stride = TANSEncoder.maxBytes(count: blockSize, tableLog: table.tableLog)
        rawStride = RawBitPacking.byteCount(count: blockSize, width: split.rawBits)
        streams = UnsafeMutableRawBufferPointer.allocate(byteCount: stride * blocks, alignment: 64)
        raw = UnsafeMutableRawBufferPointer.allocate(byteCount: rawStride * blocks, alignment: 64)
        symbols = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: blockSize)
        out = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: count)
        sizes = [StreamSizes](repeating: StreamSizes(0, 0, 0, 0), count: blocks)
        try words.withUnsafeBufferPointer { try encode($0) }
    }

    deinit { streams.deallocate(); raw.deallocate(); symbols.deallocate(); out.deallocate() }

    func encode(_ words: UnsafeBufferPointer<UInt16>) throws {
        for b in sizes.indices {
            let start = b * blockSize, n = Swift.min(count, start + blockSize) - start
            split.splitWords(words.baseAddress! + start, count: n, symbols: symbols.baseAddress!,
                             raw: UnsafeMutableRawBufferPointer(rebasing: raw[(b * rawStride)..<((b + 1) * rawStride)]))
            sizes[b] = try encoder.encode(UnsafeBufferPointer(rebasing: symbols[0..<n]),
                                          into: UnsafeMutableRawBufferPointer(rebasing: streams[(b * stride)..<((b + 1) * stride)]))
        }
    }

    func decode() throws {
        for b in sizes.indices {
            let start = b * blockSize, n = Swift.min(count, start + blockSize) - start
            let rawBytes = RawBitPacking.byteCount(count: n, width: split.rawBits)
            try decoder.decodeWords(UnsafeRawBufferPointer(rebasing: streams[(b * stride)..<(b * stride + sizes[b].total)]),
                                    sizes: sizes[b], count: n,
                                    raw: UnsafeRawBufferPointer(rebasing: raw[(b * rawStride)..<(b * rawStride + rawBytes)]),
                                    split: split, into: out.baseAddress! + start)
        }
    }

    var decoded: [UInt16] { Array(out) }
}

