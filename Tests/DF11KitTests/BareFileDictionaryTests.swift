import DF11IO
import DF11Kit
import DF11TestSupport
import Foundation
import JSON
import XCTest

/// A bare DFloat11 file (no config.json beside it, as ComfyUI's diffusion_models hold them): verify, ls and
/// verify --against take the dictionary of the preset that fits its units.
final class BareFileDictionaryTests: XCTestCase {
    let options = RunOptions(threads: 2)

    func bare(_ goldenCase: String) throws -> String {
        let dir = makeTemporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/" + goldenCase + "-DF11.safetensors"
        try FileManager.default.copyItem(atPath: golden(goldenCase + "/official-single/model.safetensors"), toPath: path)
        return path
    }

    func testTheFittingPresetIsInferred() throws {
        let expected = ["flux-comfyui": "flux-comfyui", "moe-hidream": "hidream", "conv-bagel": "bagel",
                        "bert-1layer": "bert", "llama-untied": "gemma/llama/mistral/qwen2/qwen3"]
        for (c, architecture) in expected {
            let path = try bare(c)
            let report = try DF11.verify(VerifyRequest(input: path), options: options)
            XCTAssertEqual(report.json["inferred_architecture"]?.stringValue, architecture, c)
            XCTAssertEqual(report.json["layout"]?.stringValue, "single-file", c)
            XCTAssert(report.text.contains("no config.json: the dictionary of preset \(architecture)"), report.text)
        }
        // Compared with its source, weight by weight.
        let path = try bare("conv-bagel")
        let against = try DF11.verify(VerifyRequest(input: path, against: golden("conv-bagel/source/model.safetensors")),
                                      options: options)
        XCTAssertEqual(against.json["weights_checked"], against.json["weights"])
        XCTAssertThrowsError(try DF11.verify(VerifyRequest(input: path, against: golden("flux-comfyui/source/model.safetensors")),
                                             options: options))
        // Listed as the weights it holds.
        let listed = try DF11.list(path: path)
        XCTAssertTrue(listed.json["tensors"]?.elements?.contains { $0["name"]?.stringValue == "vit_model.vision_model.embeddings.patch_embedding.weight" } ?? false)
    }

    func testAFileNoPresetFitsIsRefusedAndManifestWantsAFolder() throws {
        let path = try bare("flux-comfyui")
        XCTAssertThrowsError(try DF11.manifest(ManifestRequest(release: path, against: golden("flux-comfyui/source/model.safetensors")),
                                               options: options)) { error in
            XCTAssert("\(error)".contains("bare DFloat11 file"), "\(error)")
        }
        // A unit no preset has (its module renamed): refused, naming the units.
        let renamed = FileSystem.directoryName(of: path) + "/odd.safetensors"
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
        let from = Array("single_blocks".utf8), to = Array("singlx_blocks".utf8)
        var i = 0
        while i + from.count <= bytes.count {
            if Array(bytes[i ..< i + from.count]) == from { bytes.replaceSubrange(i ..< i + from.count, with: to) }
            i += 1
        }
        try bytes.write(to: URL(fileURLWithPath: renamed))
        XCTAssertThrowsError(try DF11.verify(VerifyRequest(input: renamed), options: options)) { error in
            XCTAssertEqual((error as? DF11Failure)?.category, .couldNotRun)
            XCTAssert("\(error)".contains("no preset's pattern dictionary fits"), "\(error)")
        }
    }
}
