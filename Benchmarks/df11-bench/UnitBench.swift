#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import DFloat11Layout
import EntropyCoding
import Safetensors

/// `df11-bench unit`: speed of the published layout's exponent encoder (`UnitEncoder.encodeChunk`), one
/// thread, chunks of 2^20 weights, on synthetic normal weights and on the data section of bf16 safetensors
/// files treated as one unit each. Checks that the chunks splice into a stream of the announced size.
/// On the synthetic sets, also a whole unit's round trip (formerly the test suite's LayoutSpeedTests): the
/// statistics pass, encoding with the stream assembled (bitstream, gaps, output positions), and the block
/// decoder over the result, its words checked. With `--dfloat11 DIR`, also the block decoder
/// (`UnitDecoder.decodeBlocks`, 16 blocks per call, every check of `df11 verify`) on every unit file of a
/// DFloat11 directory.
struct UnitBench {
    var repeats: Int
    var words: Int
    var files: [String]
    var dfloat11: [String] = []

    func run() throws {
        for directory in dfloat11 { try measureDecoder(directory) }
        var datasets = [Datasets.normal("normal σ=0.02", count: words, sigmas: [0.02], seed: 1),
                        Datasets.normal("mix σ∈{0.005,0.02,0.05,0.2}", count: words,
                                        sigmas: [0.005, 0.02, 0.05, 0.2], seed: 3)]
        for path in files { datasets.append(try Datasets.safetensorsData(path: path)) }
        print("df11-bench unit: UnitEncoder.encodeChunk, one thread, chunks of 2^20 weights, "
              + "\(repeats) timed runs; million weights per second.\n")
        for dataset in datasets { try measure(dataset) }
        print("\nwhole unit, one thread: statistics, encode with the stream assembled, decodeBlocks (16 per call) "
              + "with its words checked; million weights per second.\n")
        for dataset in datasets.prefix(2) { try measureRoundTrip(dataset) }
    }

    private func measureDecoder(_ directory: String) throws {
        var decoders: [UnitDecoder] = []
        var files: [SafetensorsFile] = []
        for name in try directoryEntries(directory) where name.hasSuffix(".safetensors") {
            let file = try SafetensorsFile(path: directory + "/" + name)
            files.append(file)
            for tensor in file.header.tensors where tensor.name.hasSuffix(".luts") {
                decoders.append(try UnitDecoder(module: String(tensor.name.dropLast(5)), source: file))
            }
        }
        let weights = decoders.reduce(0) { $0 + Int($1.elementCount) }
        let scratch = BlockDecodeScratch()
        var failure: Error?
        let rate = Rate(items: weights, repeats: repeats) {
            do {
                for decoder in decoders {
                    for start in stride(from: 0, to: decoder.blockCount, by: 16) {
                        try decoder.decodeBlocks(start ..< min(start + 16, decoder.blockCount), scratch: scratch)
                    }
                }
            } catch { failure = error }
        }
        if let failure { throw failure }
        print("\(directory): \(decoders.count) units, \(weights) weights; decodeBlocks (16 per call) \(rate)\n")
    }

    private func directoryEntries(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw BenchError("cannot open \(path)") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            names.append(name)
        }
        return names.sorted()
    }

    private func measure(_ dataset: Dataset) throws {
        let words = dataset.words
        var statistics = UnitStatistics()
        statistics.add(words: words)
        let encoder = try UnitEncoder(unit: dataset.name, statistics: statistics)
        let chunk = 1 << 20
        var starts: [UInt64] = []
        var bitCounts: [UInt64] = []
        var bit: UInt64 = 0
        words.withUnsafeBufferPointer { w in
            for start in stride(from: 0, to: w.count, by: chunk) {
                let piece = UnsafeBufferPointer(rebasing: w[start..<min(start + chunk, w.count)])
                let bits = encoder.bitCount(of: piece)
                starts.append(bit); bitCounts.append(bits); bit += bits
            }
        }
        var failure: Error?
        var bytes = 0
        let signs = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: chunk)
        defer { signs.deallocate() }
        /// Every chunk encoded, with its sign-mantissa bytes split as the unit writer does when `split`.
        func rate(split: Bool) -> Rate {
            words.withUnsafeBufferPointer { w in
                Rate(items: w.count, repeats: repeats) {
                    do {
                        bytes = 0
                        for (i, start) in stride(from: 0, to: w.count, by: chunk).enumerated() {
                            let piece = UnsafeBufferPointer(rebasing: w[start..<min(start + chunk, w.count)])
                            let encoded = try encoder.encodeChunk(words: piece, startingBit: starts[i],
                                                                  firstElementIndex: UInt64(start), bitCount: bitCounts[i],
                                                                  signMantissa: split ? signs : nil)
                            bytes += encoded.bytes.count
                        }
                    } catch { failure = error }
                }
            }
        }
        let encodeRate = rate(split: false)
        let splitRate = rate(split: true)
        if let failure { throw failure }
        print("\(dataset.name): \(words.count) weights, longest code \(encoder.code.maxLength) bits, "
              + "\(fmt(Double(bit) / Double(words.count), 3)) bits/weight; encode \(encodeRate); "
              + "encode with the sign-mantissa split \(splitRate)")
    }

    /// Statistics, encode and assemble, and decode of `dataset` as one unit (chunks of 2^20 weights).
    private func measureRoundTrip(_ dataset: Dataset) throws {
        let words = dataset.words
        let chunk = 1 << 20
        var statistics = UnitStatistics()
        let statisticsRate = Rate(items: words.count, repeats: repeats) {
            statistics = UnitStatistics()
            statistics.add(words: words)
        }
        let encoder = try UnitEncoder(unit: "m", statistics: statistics)
        var stream: [UInt8] = []
        var indexes: UnitStreamAssembler.Indexes?
        var failure: Error?
        let encodeRate = Rate(items: words.count, repeats: repeats) {
            do {
                stream.removeAll(keepingCapacity: true)
                let assembler = UnitStreamAssembler(encoder: encoder) { bytes, _ in stream.append(contentsOf: bytes) }
                var bit: UInt64 = 0
                for start in stride(from: 0, to: words.count, by: chunk) {
                    try words[start ..< min(start + chunk, words.count)].withUnsafeBufferPointer {
                        try assembler.append(encoder.encodeChunk(words: $0, startingBit: bit,
                                                                 firstElementIndex: UInt64(start)))
                        bit += encoder.bitCount(of: $0)
                    }
                }
                indexes = try assembler.finish()
            } catch { failure = error }
        }
        if let failure { throw failure }
        guard let indexes else { throw BenchError("no stream assembled") }
        let tensors = InMemoryTensors()
        tensors.set("m.luts", dtype: .u8, shape: [encoder.tables.tableCount + 1, 256], bytes: encoder.tables.bytes)
        tensors.set("m.encoded_exponent", dtype: .u8, shape: [stream.count], bytes: stream)
        tensors.set("m.sign_mantissa", dtype: .u8, shape: [words.count],
                    bytes: words.map { UInt8(($0 >> 8) & 0x80 | $0 & 0x7F) })
        tensors.set("m.output_positions", dtype: .u8, shape: [indexes.outputPositions.count], bytes: indexes.outputPositions)
        tensors.set("m.gaps", dtype: .u8, shape: [indexes.gaps.count], bytes: indexes.gaps)
        tensors.set("m.split_positions", dtype: .i64, shape: [0], bytes: [])
        let decoder = try UnitDecoder(module: "m", source: tensors)
        let scratch = BlockDecodeScratch()
        var mismatch = false
        let decodeRate = Rate(items: words.count, repeats: repeats) {
            do {
                var decoded = 0
                for start in stride(from: 0, to: decoder.blockCount, by: 16) {
                    let block = try decoder.decodeBlocks(start ..< min(start + 16, decoder.blockCount), scratch: scratch)
                    if !block.elementsEqual(words[decoded ..< decoded + block.count]) { mismatch = true }
                    decoded += block.count
                }
                if decoded != words.count { mismatch = true }
            } catch { failure = error }
        }
        if let failure { throw failure }
        if mismatch { throw BenchError("\(dataset.name): the decoded words differ from the encoded ones") }
        print("\(dataset.name): statistics \(statisticsRate); encode+assemble \(encodeRate); decode+check \(decodeRate)")
    }
}
