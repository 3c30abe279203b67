#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import EntropyCoding

/// Options of `df11-bench entropy`.
struct EntropyBenchOptions {
    var words = 1 << 24
    var repeats = 7
    var limits = 10...15
    var block = BlockFormat.maxCount
    var files: [String] = []
    var dfloat11: [String] = []

    static func parse(_ arguments: [String]) throws -> EntropyBenchOptions {
        var options = EntropyBenchOptions()
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw BenchError("\(flag) needs a value") }
            switch flag {
            case "--words": options.words = try positive(value, flag)
            case "--repeats": options.repeats = try positive(value, flag)
            case "--file": options.files.append(value)
            case "--dfloat11": options.dfloat11.append(value)
            case "--block":
                options.block = try positive(value, flag)
                guard options.block <= BlockFormat.maxCount else { throw BenchError("--block is at most 2^20") }
            case "--limits":
                let parts = value.split(separator: "-").compactMap { Int($0) }
                guard parts.count == 2, parts[0] >= 1, parts[0] <= parts[1],
                      parts[1] <= CanonicalCode.maxSupportedLength else {
                    throw BenchError("--limits wants A-B within 1-\(CanonicalCode.maxSupportedLength)")
                }
                options.limits = parts[0]...parts[1]
            default: throw BenchError("unknown option \(flag)")
            }
        }
        return options
    }

    private static func positive(_ value: String, _ flag: String) throws -> Int {
        guard let n = Int(value), n > 0 else { throw BenchError("\(flag) wants a positive integer") }
        return n
    }
}

/// Measures, per data set: histogram speed; entropy and the cost of unlimited and length-limited codes;
/// encode and decode speed per length limit (single thread, blocks of 2^20 words, one code per data set).
struct EntropyBench {
    var options: EntropyBenchOptions

    func run() throws {
        var datasets = [
            Datasets.normal("normal σ=0.02", count: options.words, sigmas: [0.02], seed: 1),
            Datasets.normal("normal σ=0.05", count: options.words, sigmas: [0.05], seed: 2),
            Datasets.normal("mix σ∈{0.005,0.02,0.05,0.2}", count: options.words,
                            sigmas: [0.005, 0.02, 0.05, 0.2], seed: 3),
        ]
        for path in options.files { datasets.append(try Datasets.safetensorsData(path: path)) }
        print("df11-bench entropy: \(options.repeats) timed runs per figure (after one warm-up), one thread,")
        print("blocks of \(options.block) words; rates in million words per second.\n")
        for dataset in datasets { try measure(dataset) }
    }

    private func measure(_ dataset: Dataset) throws {
        let words = dataset.words
        let n = words.count
        var histogram = ExponentHistogram()
        words.withUnsafeBufferPointer { histogram.add(words: $0) }
        let histogramRate = Rate(items: n, repeats: options.repeats) {
            var h = ExponentHistogram()
            words.withUnsafeBufferPointer { h.add(words: $0) }
            precondition(h == histogram)
        }
        let total = Double(n)
        let entropy = histogram.entropyBits
        let unlimited = try HuffmanCodeLengths.unlimited(counts: histogram.counts)
        let unlimitedBits = Double(histogram.codedBits(lengths: unlimited)) / total
        print("== \(dataset.name): \(n) words, \(histogram.usedSymbols) distinct exponents")
        print("histogram: \(histogramRate)")
        print("entropy \(fmt(entropy, 4)) bits/weight; unlimited Huffman \(fmt(unlimitedBits, 4)) bits/weight,"
              + " longest code \(unlimited.max()!) bits")
        print("limit  bits/weight  vs entropy  vs Huffman  size/bf16   encode best/median   decode best/median")
        for limit in options.limits {
            let lengths = try HuffmanCodeLengths.build(counts: histogram.counts, limit: limit)
            let code = try CanonicalCode(lengths: lengths)
            let bits = Double(histogram.codedBits(lengths: lengths)) / total
            let (encode, decode) = try speed(words, code)
            print("\(pad("\(limit)", 5))  \(pad(fmt(bits, 4), 11))  \(pad("+" + fmt((bits / entropy - 1) * 100, 3) + "%", 10))"
                  + "  \(pad("+" + fmt((bits / unlimitedBits - 1) * 100, 3) + "%", 10))"
                  + "  \(pad(fmt((8 + bits) / 16 * 100, 2) + "%", 9))"
                  + "  \(pad(fmt(encode.best / 1e6, 0), 8)) / \(pad(fmt(encode.median / 1e6, 0), 5))"
                  + " (±\(fmt(encode.spread * 100, 0))%)"
                  + "  \(pad(fmt(decode.best / 1e6, 0), 8)) / \(pad(fmt(decode.median / 1e6, 0), 5))"
                  + " (±\(fmt(decode.spread * 100, 0))%)")
        }
        print("")
    }

    /// Encode and decode rates for `words` in blocks of 2^20 with `code`; checks the round trip.
    private func speed(_ words: [UInt16], _ code: CanonicalCode) throws -> (Rate, Rate) {
        let n = words.count
        let blockSize = options.block
        let blocks = (n + blockSize - 1) / blockSize
        var offsets = [Int]()
        var capacity = 0
        for b in 0..<blocks {
            offsets.append(capacity)
            capacity += BlockEncoder.maxBitsBytes(count: Swift.min(blockSize, n - b * blockSize),
                                                  maxLength: code.maxLength)
        }
        let bits = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        let sm = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
        let out = UnsafeMutablePointer<UInt16>.allocate(capacity: n)
        defer { bits.deallocate(); sm.deallocate(); out.deallocate() }
        var sizes = [StreamSizes](repeating: StreamSizes(0, 0, 0, 0), count: blocks)
        let encoder = BlockEncoder(code: code)
        let decoder = BlockDecoder(code: code)
        let encode = words.withUnsafeBufferPointer { w in
            Rate(items: n, repeats: options.repeats) {
                for b in 0..<blocks {
                    let start = b * blockSize, count = Swift.min(blockSize, n - start)
                    let end = b + 1 < blocks ? offsets[b + 1] : capacity
                    sizes[b] = try! encoder.encode(words: w.baseAddress! + start, count: count, signMantissa: sm + start,
                                              bits: UnsafeMutableRawBufferPointer(rebasing: bits[offsets[b]..<end]))
                }
            }
        }
        var failure: Error?
        let decode = Rate(items: n, repeats: options.repeats) {
            do {
                for b in 0..<blocks {
                    let start = b * blockSize, count = Swift.min(blockSize, n - start)
                    let slice = UnsafeRawBufferPointer(rebasing: bits[offsets[b]..<(offsets[b] + sizes[b].total)])
                    try decoder.decode(bits: slice, sizes: sizes[b], signMantissa: sm + start, count: count,
                                       into: out + start)
                }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        guard words.withUnsafeBufferPointer({ memcmp($0.baseAddress!, out, 2 * n) == 0 }) else {
            throw BenchError("round trip failed")
        }
        return (encode, decode)
    }
}
