import struct DF11Kit.SplitMix64
import Safetensors
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A named array of bf16 words to benchmark on.
struct Dataset {
    var name: String
    var words: [UInt16]
    /// The word ranges of the BF16 tensors, where the data set is a file (empty for generated data).
    var tensors: [Range<Int>] = []
}

enum Datasets {
    /// `count` weights from normal(0, σ) (Box–Muller in Double), rounded to nearest-even bf16, with σ cycling
    /// through `sigmas` every 65536 words (one σ gives a plain normal tensor).
    static func normal(_ name: String, count: Int, sigmas: [Double], seed: UInt64) -> Dataset {
        var rng = SplitMix64(seed: seed)
        var words = [UInt16](repeating: 0, count: count)
        var i = 0
        while i < count {
            let sigma = sigmas[(i >> 16) % sigmas.count]
            let u1 = Double(rng.next() >> 11 | 1) * 0x1p-53
            let u2 = Double(rng.next() >> 11) * 0x1p-53
            let r = sigma * (-2 * log(u1)).squareRoot()
            words[i] = bf16(Float(r * cos(2 * .pi * u2)))
            if i + 1 < count { words[i + 1] = bf16(Float(r * sin(2 * .pi * u2))) }
            i += 2
        }
        return Dataset(name: name, words: words)
    }

    /// Float → bf16 with round-to-nearest-even (no NaNs arise here).
    static func bf16(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        return UInt16(truncatingIfNeeded: (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16)
    }

    /// The data section of a safetensors file as bf16 words: everything after the 8-byte header length and
    /// the header (non-bf16 tensors, if any, are included as they are; a benchmark approximation).
    static func safetensorsData(path: String) throws -> Dataset {
        guard let file = fopen(path, "rb") else { throw BenchError("cannot open \(path)") }
        defer { fclose(file) }
        var headerLength: UInt64 = 0
        guard fread(&headerLength, 8, 1, file) == 1 else { throw BenchError("\(path): no header length") }
        fseek(file, 0, SEEK_END)
        let size = Int(ftell(file))
        let start = 8 + Int(UInt64(littleEndian: headerLength))
        guard start <= size else { throw BenchError("\(path): header runs past the end") }
        fseek(file, start, SEEK_SET)
        var words = [UInt16](repeating: 0, count: (size - start) / 2)
        let read = words.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        guard read == words.count * 2 else { throw BenchError("\(path): short read") }
        let name = path.split(separator: "/").suffix(2).joined(separator: "/")
        let safetensors = try SafetensorsFile(path: path)
        defer { safetensors.close() }
        var tensors: [Range<Int>] = []
        for tensor in safetensors.header.tensorsInFileOrder where tensor.dtype == .bf16 {
            let lower = Int(tensor.dataOffsets.lowerBound) / 2, upper = Int(tensor.dataOffsets.upperBound) / 2
            tensors.append(lower..<upper)
        }
        return Dataset(name: name, words: words, tensors: tensors)
    }
}

/// A benchmark setup problem.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
