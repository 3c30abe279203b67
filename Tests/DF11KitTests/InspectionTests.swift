import JSON
import DF11TestSupport
import DF11Kit
import Foundation
import Safetensors
import XCTest

final class InspectionTests: XCTestCase {
    func testShardedCheckpointReport() throws {
        let report = try Inspection.run(path: fixture("tiny-llama"), options: RunOptions(threads: 2))
        XCTAssertEqual(report.kind, .shardedDirectory)
        XCTAssertEqual(report.files.count, 2)
        XCTAssertEqual(report.tensors.count, 21)
        XCTAssertEqual(report.otherFiles, ["config.json", "generation_config.json"])
        XCTAssertTrue(report.tensors.allSatisfy { $0.bf16 != nil })
        // Realistic weights: about 2.5 bits of exponent entropy, about two thirds of the size.
        XCTAssertEqual(report.meanEntropyBits, 2.5, accuracy: 0.2)
        XCTAssertEqual(report.predictedPercent, 66.5, accuracy: 2)
        XCTAssertLessThanOrEqual(report.entropyBoundBytes, Double(report.predictedBytes))
    }

    func testEntropyMatchesADirectComputation() throws {
        let report = try Inspection.run(path: fixture("tiny-llama/model-00001-of-00002.safetensors"),
                                        options: RunOptions(threads: 3))
        let file = try SafetensorsFile(path: fixture("tiny-llama/model-00001-of-00002.safetensors"))
        for tensor in file.header.tensorsInFileOrder where tensor.dtype == .bf16 {
            var bytes = [UInt8](repeating: 0, count: Int(tensor.byteCount))
            try bytes.withUnsafeMutableBytes { try file.read(tensor: tensor, range: 0..<tensor.byteCount, into: $0) }
            var counts = [Double](repeating: 0, count: 256)
            for i in stride(from: 0, to: bytes.count, by: 2) {
                counts[Int(((UInt16(bytes[i + 1]) << 8 | UInt16(bytes[i])) >> 7) & 0xFF)] += 1
            }
            let n = Double(bytes.count / 2)
            let entropy = counts.filter { $0 > 0 }.reduce(0.0) { $0 - $1 / n * log2($1 / n) }
            let reported = try XCTUnwrap(report.tensors.first { $0.name == tensor.name }?.bf16)
            XCTAssertEqual(reported.entropyBits, entropy, accuracy: 1e-9, tensor.name)
        }
    }

    /// Every float dtype gets format 2.0's prediction, and it is the size the writer then produces (within the
    /// frames it does not count: 24 bytes a frame).
    func testEveryFloatDtypeIsPredictedAsTheDefaultLevelWritesIt() throws {
        let path = fixture("float-dtypes.safetensors")
        let report = try Inspection.run(path: path, options: RunOptions(threads: 2))
        for tensor in report.tensors {
            // Every float tensor but those that coding would not shrink: each bit pattern once, uniformly.
            let coded = !["bf16.every", "f16.every", "e4m3.every", "e5m2.every"].contains(tensor.name)
                && [.bf16, .f16, .f32, .f64, .f8E4M3, .f8E5M2].contains(tensor.dtype)
            XCTAssertEqual(tensor.structured != nil, coded, tensor.name)
            if let structured = tensor.structured {
                XCTAssertLessThanOrEqual(structured.entropyBytes, structured.predictedBytes + 1, tensor.name)
            }
        }
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        let output = directory + "/f.df11"
        _ = try DF11.compress(CompressRequest(input: path, output: output), options: RunOptions(threads: 2))
        let written = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: output)[.size] as? UInt64)
        // The prediction leaves out the frames (TENS, CDE2, BLK, TEND: 24 bytes each) and the index.
        XCTAssertEqual(Double(written), Double(report.predictedStructuredBytes), accuracy: 0.01 * Double(written))
        let json = report.json
        XCTAssertNotNil(json["totals"]?["predicted_v2_bytes"]?.uint64Value)
    }

    func testJSONHasTheDocumentedShape() throws {
        let report = try Inspection.run(path: fixture("edge-cases.safetensors"), options: RunOptions(threads: 1))
        let json = try JSONParser().parse(report.json.text)
        XCTAssertEqual(json["schema"]?.stringValue, "df11.inspect/1")
        XCTAssertEqual(json["kind"]?.stringValue, "file")
        XCTAssertEqual(json["tensors"]?.elements?.count, 8)
        for key in ["tensors", "bytes", "bf16_bytes", "entropy_bound_bytes", "predicted_df11_bytes",
                    "predicted_df11_percent", "mean_entropy_bits"] {
            XCTAssertNotNil(json["totals"]?[key], key)
        }
        let weights = json["tensors"]?.elements?.first { $0["name"]?.stringValue == "weights" }
        XCTAssertNotNil(weights?["bf16"]?["exponent_histogram"])
        XCTAssertNil(json["tensors"]?.elements?.first { $0["name"]?.stringValue == "positions" }?["bf16"])
    }
}
