#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import EntropyCoding

/// `df11-bench rans`: the interleaved rANS building block (`RANSEncoder` / `RANSDecoder`, not yet in the
/// container) against the container's Huffman `BlockEncoder` / `BlockDecoder` on the same words, one thread,
/// blocks of `--block` words, one table per data set. Symbols: the exponent (k = 0) or the exponent with
/// the top k mantissa bits (`(w >> (7 − k)) & (2^(8+k) − 1)`), extracted before timing. Huffman rates are
/// whole bf16 words (exponent streams plus the sign-mantissa bytes); rANS rates are symbols only, so they
/// are an upper bound for a word coder built on it.
struct RANSBench {
    var options: EntropyBenchOptions

    func run() throws {
        var datasets = [
            Datasets.normal("normal σ=0.02", count: options.words, sigmas: [0.02], seed: 1),
            Datasets.normal("mix σ∈{0.005,0.02,0.05,0.2}", count: options.words,
                            sigmas: [0.005, 0.02, 0.05, 0.2], seed: 3),
        ]
        for path in options.files { datasets.append(try Datasets.safetensorsData(path: path)) }
        print("df11-bench rans: \(options.repeats) timed runs per figure (after one warm-up), one thread, blocks of "
              + "\(options.block) words; rates in million symbols (words) per second; bits per weight of the coded part.\n")
        for dataset in datasets { try measure(dataset) }
    }

    private func measure(_ dataset: Dataset) throws {
        let words = dataset.words
        let n = words.count
        print("== \(dataset.name): \(n) words")
        print("coder                          bits/weight  size/bf16   encode best/median   decode best/median")
        // Baseline: the container's Huffman coder, limit 12.
        var histogram = ExponentHistogram()
        words.withUnsafeBufferPointer { histogram.add(words: $0) }
        let code = try CanonicalCode(lengths: HuffmanCodeLengths.build(counts: histogram.counts, limit: 12))
        let huffBits = Double(histogram.codedBits(lengths: code.lengths)) / Double(n)
        let (he, hd) = try huffman(words, code)
        line("Huffman-12, exponent (now)", huffBits, 8, he, hd)
        for (k, precision) in [(0, 12), (0, 15), (2, 12), (2, 15)] {
            let symbols = words.map { ($0 >> UInt16(7 - k)) & UInt16((1 << (8 + k)) - 1) }
            var counts = [UInt64](repeating: 0, count: 1 << (8 + k))
            for s in symbols { counts[Int(s)] += 1 }
            let table = try RANSTable.build(counts: counts, precisionBits: precision)
            let (bytes, e, d) = try rans(symbols, table)
            line("rANS-\(precision), exponent+\(k) bits", Double(8 * bytes) / Double(n), 8 - k, e, d)
        }
        print("")
    }

    func line(_ name: String, _ bits: Double, _ raw: Int, _ e: Rate, _ d: Rate) {
        print("\(name.padding(toLength: 30, withPad: " ", startingAt: 0))  \(pad(fmt(bits, 4), 11))"
              + "  \(pad(fmt((Double(raw) + bits) / 16 * 100, 3) + "%", 9))"
              + "  \(pad(fmt(e.best / 1e6, 0), 8)) / \(pad(fmt(e.median / 1e6, 0), 5))"
              + "  \(pad(fmt(d.best / 1e6, 0), 8)) / \(pad(fmt(d.median / 1e6, 0), 5))")
    }

    func rans(_ symbols: [UInt16], _ table: RANSTable) throws -> (Int, Rate, Rate) {
        let n = symbols.count
        let out = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: n)
        defer { out.deallocate() }
        let encoder = RANSEncoder(table: table), decoder = RANSDecoder(table: table)
        let (sizes, encode, decode) = try symbols.withUnsafeBufferPointer { s in
            try timeBlocks(items: n, blockSize: options.block, stride: RANSEncoder.maxBytes(count: options.block),
                           repeats: options.repeats, empty: 0, encode: { start, count, block in
                try encoder.encode(UnsafeBufferPointer(rebasing: s[start..<(start + count)]), into: block)
            }, decode: { start, count, block, size in
                try decoder.decode(UnsafeRawBufferPointer(rebasing: block[0..<size]), count: count,
                                   into: UnsafeMutableBufferPointer(rebasing: out[start..<(start + count)]))
            })
        }
        guard Array(out) == symbols else { throw BenchError("rANS round trip failed") }
        return (sizes.reduce(0, +), encode, decode)
    }

    func huffman(_ words: [UInt16], _ code: CanonicalCode) throws -> (Rate, Rate) {
        let n = words.count
        let sm = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
        let out = UnsafeMutablePointer<UInt16>.allocate(capacity: n)
        defer { sm.deallocate(); out.deallocate() }
        let encoder = BlockEncoder(code: code), decoder = BlockDecoder(code: code)
        let (_, encode, decode) = try words.withUnsafeBufferPointer { w in
            try timeBlocks(items: n, blockSize: options.block,
                           stride: BlockEncoder.maxBitsBytes(count: options.block, maxLength: code.maxLength),
                           repeats: options.repeats, empty: StreamSizes(0, 0, 0, 0), encode: { start, count, block in
                try encoder.encode(words: w.baseAddress! + start, count: count, signMantissa: sm + start, bits: block)
            }, decode: { start, count, block, sizes in
                try decoder.decode(bits: UnsafeRawBufferPointer(rebasing: block[0..<sizes.total]), sizes: sizes,
                                   signMantissa: sm + start, count: count, into: out + start)
            })
        }
        guard words.withUnsafeBufferPointer({ memcmp($0.baseAddress!, out, 2 * n) == 0 }) else {
            throw BenchError("Huffman round trip failed")
        }
        return (encode, decode)
    }
}
