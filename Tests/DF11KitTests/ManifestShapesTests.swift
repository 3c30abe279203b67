import DF11IO
import DF11Kit
import DF11TestSupport
import Foundation
import JSON
import Safetensors
import XCTest

/// Issue #11, point 3: unit weights of any rank (4-D convolution kernels, 3-D expert stacks) restored by
/// `decompress` from the shapes the release's manifest records, where config.json gives none; refused, naming
/// the tensor, where neither exists.
final class ManifestShapesTests: XCTestCase {
    let options = RunOptions(threads: 2)

    func bf16(_ count: Int, seed: Int) -> [UInt8] {
        (0 ..< count).flatMap { i -> [UInt8] in
            let w = UInt16((i + seed) % 2) << 15 | UInt16(118 + (i * 7919 + seed) % 11) << 7 | UInt16((i * 31 + seed) % 128)
            return [UInt8(w & 0xFF), UInt8(w >> 8)]
        }
    }

    /// A small model with a conv kernel `[16, 8, 3, 3]` and an expert stack `[4, 32, 16]` per block.
    func source() throws -> String {
        let dir = makeTemporaryDirectory() + "/src"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: dir)) }
        try FileSystem.createDirectories(dir)
        var tensors: [(String, DType, [Int], [UInt8])] = []
        for b in 0 ..< 2 {
            tensors.append(("blocks.\(b).conv.weight", .bf16, [16, 8, 3, 3], bf16(16 * 8 * 9, seed: b)))
            tensors.append(("blocks.\(b).conv.bias", .bf16, [16], bf16(16, seed: 7 + b)))
            tensors.append(("blocks.\(b).experts.gate_up.weight", .bf16, [4, 32, 16], bf16(4 * 32 * 16, seed: 3 + b)))
        }
        tensors.append(("head.weight", .bf16, [10, 16], bf16(160, seed: 9)))
        try writeCheckpoint(tensors, config: #"{"model_type": "toy-conv-moe", "hidden_size": 16}"#, into: dir)
        return dir
    }

    func compress(_ source: String, manifest: Bool) throws -> (String, DFloat11CompressReport) {
        let out = makeTemporaryDirectory() + "/release"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: out)) }
        let pattern = try JSONParser().parse(Array(#"{"blocks\\.\\d+": ["conv", "experts.gate_up"]}"#.utf8))
        let report = try DFloat11Compression.compress(input: source, output: out, options: options,
                                                      dfloat11: DFloat11CompressOptions(pattern: .dictionary(pattern),
                                                                                        manifest: manifest))
        return (out, report)
    }

    func testConvKernelsAndExpertStacksAreRestoredFromTheManifest() throws {
        let src = try source()
        let (release, report) = try compress(src, manifest: true)
        XCTAssertEqual(report.units.count, 2)
        XCTAssertEqual(report.warnings.map(\.code), [])          // the manifest gives every shape
        let verified = try DFloat11Verification.verify(input: release, options: options, verify: .init())
        XCTAssertEqual(verified.manifest, "checked")

        let restored = makeTemporaryDirectory() + "/restored"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: restored)) }
        _ = try DFloat11Decompression.decompress(input: release, output: restored, options: options)
        let original = try SafetensorsFile(path: src + "/model.safetensors")
        let back = try SafetensorsFile(path: restored + "/model.safetensors")
        XCTAssertEqual(Set(back.header.tensors.map(\.name)), Set(original.header.tensors.map(\.name)))
        for info in original.header.tensors {
            let other = try XCTUnwrap(back.header.tensor(named: info.name), info.name)
            XCTAssertEqual(other.shape, info.shape, info.name)
            XCTAssertEqual(other.dtype, info.dtype, info.name)
            var a = [UInt8](repeating: 0, count: Int(info.byteCount)), b = a
            try a.withUnsafeMutableBytes { try original.read(tensor: info, range: 0 ..< info.byteCount, into: $0) }
            try b.withUnsafeMutableBytes { try back.read(tensor: other, range: 0 ..< other.byteCount, into: $0) }
            XCTAssert(a == b, info.name)
        }
        // The restored checkpoint is the source, byte for byte.
        XCTAssertEqual(FileManager.default.contents(atPath: restored + "/model.safetensors"),
                       FileManager.default.contents(atPath: src + "/model.safetensors"))
    }

    func testWithoutAManifestDecompressRefusesNamingTheTensor() throws {
        let (release, report) = try compress(try source(), manifest: false)
        XCTAssertEqual(report.warnings.map(\.code), ["shape-not-derivable"])
        let restored = makeTemporaryDirectory() + "/restored"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: restored)) }
        XCTAssertThrowsError(try DFloat11Decompression.decompress(input: release, output: restored, options: options)) { error in
            let text = "\(error)"
            XCTAssert(text.contains("'blocks.0.conv.weight'") && text.contains("df11-manifest.json"), text)
            XCTAssertEqual((error as? DF11Failure)?.category, .couldNotRun)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: restored + "/model.safetensors"))
    }
}
