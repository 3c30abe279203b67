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
/// With `--dfloat11 DIR`, also the block decoder (`UnitDecoder.decodeBlocks`, 16 blocks per call, every check
/// of `df11 verify`) on every unit file of a DFloat11 directory.
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
        let rate = words.withUnsafeBufferPointer { w in
            Rate(items: w.count, repeats: repeats) {
                do {
                    bytes = 0
                    for (i, start) in stride(from: 0, to: w.count, by: chunk).enumerated() {
                        let piece = UnsafeBufferPointer(rebasing: w[start..<min(start + chunk, w.count)])
                        let encoded = try encoder.encodeChunk(words: piece, startingBit: starts[i],
                                                              firstElementIndex: UInt64(start), bitCount: bitCounts[i])
                        bytes += encoded.bytes.count
                    }
                } catch { failure = error }
            }
        }
        if let failure { throw failure }
        print("\(dataset.name): \(words.count) weights, longest code \(encoder.code.maxLength) bits, "
              + "\(fmt(Double(bit) / Double(words.count), 3)) bits/weight; encode \(rate)")
    }
}
