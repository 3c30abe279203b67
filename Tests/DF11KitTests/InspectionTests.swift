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
