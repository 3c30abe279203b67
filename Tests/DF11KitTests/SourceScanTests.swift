import DF11Container
import DF11IO
@testable import DF11Kit
import DF11TestSupport
import DFloat11Layout
import Safetensors
import XCTest

/// `SourceScan`: one read of the weight files gives the manifest's checksums and the units' exponent counts,
/// whatever the window size and the number of threads.
final class SourceScanTests: XCTestCase {
    func testChecksumsAndChunkCountsEqualThoseOfEachFileAndChunk() throws {
        var rng = SplitMix64(seed: 11)
        let dir = makeTemporaryDirectory()
        addTeardownBlock { removeTree(dir) }
        var paths: [String] = []
        for (f, sizes) in [[5_001, 2, 12_345], [7_777]].enumerated() {
            try FileManager.default.createDirectory(atPath: "\(dir)/\(f)", withIntermediateDirectories: true)
            var tensors = sizes.enumerated().map { (i, n) in
                ("f\(f).w\(i)", DType.bf16, [n], bytes(of: normalWords(count: n, sigma: 0.02, rng: &rng)))
            }
            tensors.append(("f\(f).scale", .f32, [3], [UInt8](repeating: 7, count: 12)))
            try writeCheckpoint(tensors, into: "\(dir)/\(f)")
            paths.append("\(dir)/\(f)/model.safetensors")
        }
        let counting: Set<String> = ["f0.w0", "f0.w2", "f1.w0", "f0.scale"]
        let chunkWords = 1_000
        for (windowBytes, threads) in [(4 << 20, 1), (4_098, 2), (1_000, 1), (65_536, 3)] {
            let scan = try SourceScan(paths: paths, counting: counting, chunkWords: chunkWords, threads: threads,
                                      windowBytes: windowBytes)
            XCTAssertEqual(scan.hashes.count, paths.count)
            for (path, hashes) in zip(paths, scan.hashes) {
                let file = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
                XCTAssertEqual(hashes.bytes, UInt64(file.count))
                XCTAssertEqual(hashes.file, file.withUnsafeBytes { Checksum.xxh3($0) }, "\(path) window \(windowBytes)")
                let header = try SafetensorsFile(path: path).header
                for (tensor, digest) in zip(header.tensorsInFileOrder, hashes.tensors) {
                    let range = Int(header.dataStart + tensor.dataOffsets.lowerBound) ..< Int(header.dataStart + tensor.dataOffsets.upperBound)
                    XCTAssertEqual(digest, file[range].withUnsafeBytes { Checksum.xxh3($0) }, tensor.name)
                    let counted = scan.counted[tensor.name]
                    guard counting.contains(tensor.name), tensor.dtype == .bf16 else {
                        XCTAssertNil(counted, tensor.name)     // not asked for, or not bf16
                        continue
                    }
                    let words = file[range].withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
                    let expected = stride(from: 0, to: words.count, by: chunkWords).map { start in
                        words[start ..< min(start + chunkWords, words.count)].withUnsafeBufferPointer { UnitStatistics.Chunk(words: $0) }
                    }
                    XCTAssertEqual(counted?.map(\.histogram), expected.map(\.histogram), "\(tensor.name) window \(windowBytes)")
                    XCTAssertEqual(counted?.map(\.lastExponent), expected.map(\.lastExponent), tensor.name)
                }
            }
        }
    }
}
