import DF11IO
import DF11Kit
import DF11TestSupport
import Foundation
import JSON
import Safetensors
import XCTest

/// Issue #11, point 2: a diffusers pipeline folder (model_index.json, one folder per component) is converted
/// component by component: each component whose config.json selects a preset goes into the DFloat11 layout
/// inside its folder, byte-identical to what the official tool writes for that component alone; every other
/// file is copied; verify and decompress handle the pipeline the same way, and decompress restores it whole.
final class DFloat11PipelineOperationsTests: XCTestCase {
    let options = RunOptions(threads: 2)

    /// A FLUX-shaped pipeline (Wan 2.2-like when `twoTransformers`: transformer/ and transformer_2/) built from
    /// the golden diffusers transformer, with a VAE, a tokenizer and a scheduler that no preset names.
    func pipeline(twoTransformers: Bool = false) throws -> String {
        let root = makeTemporaryDirectory() + "/pipe"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: root)) }
        let transformers = twoTransformers ? ["transformer", "transformer_2"] : ["transformer"]
        for name in transformers {
            try FileSystem.createDirectories(root + "/" + name)
            for file in ["config.json", "diffusion_pytorch_model.safetensors"] {
                try FileManager.default.copyItem(atPath: golden("flux-diffusers/source/" + file), toPath: root + "/" + name + "/" + file)
            }
        }
        try FileSystem.createDirectories(root + "/vae")
        try FileManager.default.copyItem(atPath: golden("llama-tied/source/model.safetensors"),
                                         toPath: root + "/vae/diffusion_pytorch_model.safetensors")
        try write(#"{"_class_name": "AutoencoderKL", "_diffusers_version": "0.35.1"}"#, root + "/vae/config.json")
        try FileSystem.createDirectories(root + "/tokenizer")
        try write(#"{"model": "bpe"}"#, root + "/tokenizer/tokenizer.json")
        try FileSystem.createDirectories(root + "/scheduler")
        try write(#"{"_class_name": "FlowMatchEulerDiscreteScheduler"}"#, root + "/scheduler/scheduler_config.json")
        let components = transformers.map { "\"\($0)\": [\"diffusers\", \"FluxTransformer2DModel\"]" }.joined(separator: ", ")
        try write(#"{"_class_name": "FluxPipeline", "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"], "#
                  + #""text_encoder": [null, null], "tokenizer": ["transformers", "CLIPTokenizer"], "#
                  + components + #", "vae": ["diffusers", "AutoencoderKL"]}"#, root + "/model_index.json")
        return root
    }

    func write(_ text: String, _ path: String) throws {
        try AtomicOutputFile.write(contents: Array(text.utf8), to: path, overwrite: true)
    }

    /// Every regular file under `root`, relative, sorted.
    func files(_ root: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: root)!
        return (enumerator.allObjects as! [String]).filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: root + "/" + $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        }.sorted()
    }

    func testPipelineIsConvertedVerifiedAndRestored() throws {
        for (two, single) in [(false, false), (true, false), (false, true)] {
            let source = try pipeline(twoTransformers: two)
            let out = FileSystem.directoryName(of: source) + "/out"
            let report = try DF11.compress(CompressRequest(input: source, output: out, format: .dfloat11, singleFile: single),
                                           options: options)
            let official = golden(single ? "flux-diffusers/official-single" : "flux-diffusers/official")
            let transformers = two ? ["transformer", "transformer_2"] : ["transformer"]
            XCTAssertEqual(report.json["schema"]?.stringValue, "df11.compress-dfloat11-pipeline/1")
            XCTAssertEqual(report.json["components"]?.members?.map(\.key), transformers)
            for component in transformers {
                // The component's files are the official tool's for that transformer alone.
                for name in try FileManager.default.contentsOfDirectory(atPath: official) {
                    XCTAssertEqual(FileManager.default.contents(atPath: "\(out)/\(component)/\(name)"),
                                   FileManager.default.contents(atPath: official + "/" + name), name)
                }
                XCTAssertEqual(report.json["components"]?[component]?["output"]?.stringValue, out + "/" + component)
            }
            for name in ["model_index.json", "vae/config.json", "vae/diffusion_pytorch_model.safetensors",
                         "tokenizer/tokenizer.json", "scheduler/scheduler_config.json"] {
                XCTAssertEqual(FileManager.default.contents(atPath: out + "/" + name),
                               FileManager.default.contents(atPath: source + "/" + name), name)
            }
            let verified = try DF11.verify(VerifyRequest(input: out), options: options)
            XCTAssertEqual(verified.json["schema"]?.stringValue, "df11.verify-dfloat11-pipeline/1")
            XCTAssertEqual(verified.json["components"]?[transformers[0]]?["manifest"]?.stringValue, "checked")
            let back = FileSystem.directoryName(of: source) + "/back"
            _ = try DF11.decompress(DecompressRequest(input: out, output: back), options: options)
            XCTAssertEqual(files(back), files(source))
            for name in files(source) {
                XCTAssertEqual(FileManager.default.contents(atPath: back + "/" + name),
                               FileManager.default.contents(atPath: source + "/" + name), name)
            }
        }
    }

    /// A pipeline in the Hugging Face cache (every file a link into blobs/, components included), given as its
    /// snapshot or as the cache root: the same output as from a plain folder.
    func testPipelineInTheHuggingFaceCache() throws {
        let source = try pipeline()
        let base = FileSystem.directoryName(of: source)
        let snapshot = try makeHuggingFaceCache(base + "/models--acme--flux", revision: "r1", from: source)
        let plain = base + "/plain"
        _ = try DF11.compress(CompressRequest(input: source, output: plain, format: .dfloat11), options: options)
        for input in [snapshot, base + "/models--acme--flux"] {
            let out = base + "/out-\(FileSystem.baseName(of: input))"
            _ = try DF11.compress(CompressRequest(input: input, output: out, format: .dfloat11), options: options)
            XCTAssertEqual(files(out), files(plain))
            for name in files(plain) where !name.hasSuffix("df11-manifest.json") {
                XCTAssertEqual(FileManager.default.contents(atPath: out + "/" + name),
                               FileManager.default.contents(atPath: plain + "/" + name), name)
            }
        }
    }

    /// A component whose config.json does not name its class is recognised by the class model_index.json gives it.
    func testComponentRecognisedByModelIndex() throws {
        let source = try pipeline()
        let configPath = source + "/transformer/config.json"
        let config = try JSONParser().parse(FileSystem.readSmallFile(configPath))
        try AtomicOutputFile.write(contents: JSONValue.object(config.members!.filter { $0.key != "_class_name" }).encode(.indented),
                                   to: configPath, overwrite: true)
        let out = FileSystem.directoryName(of: source) + "/out"
        let report = try DF11.compress(CompressRequest(input: source, output: out, format: .dfloat11), options: options)
        XCTAssertEqual(report.json["components"]?["transformer"]?["architecture"]?.stringValue, "flux")
        XCTAssertEqual(report.json["components"]?["transformer"]?["pattern_source"]?.stringValue, "arch")
        for name in ["transformer_blocks_0.safetensors", "diffusion_pytorch_model.safetensors", "config.json"] {
            XCTAssertEqual(FileManager.default.contents(atPath: out + "/transformer/" + name),
                           FileManager.default.contents(atPath: golden("flux-diffusers/official/" + name)), name)
        }
    }

    /// A text encoder whose config selects a preset but whose layers are named otherwise (Qwen-Image's Qwen2.5-VL
    /// as transformers 4.52+ saves it) is copied with a warning, not converted for its lm_head alone.
    func testComponentWhoseLayersThePresetDoesNotFindIsCopied() throws {
        let source = try pipeline()
        try FileSystem.createDirectories(source + "/text_encoder")
        try write(#"{"architectures": ["Qwen2_5_VLForConditionalGeneration"], "model_type": "qwen2_5_vl"}"#,
                  source + "/text_encoder/config.json")
        let tensors = [("lm_head.weight", [16, 8]), ("model.language_model.layers.0.self_attn.q_proj.weight", [8, 8])]
        let writer = try SafetensorsWriter(tensors: tensors.map { TensorDescription(name: $0.0, dtype: .bf16, shape: $0.1) },
                                           metadata: [("format", "pt")], order: .safetensorsLibrary)
        let file = try AtomicOutputFile(path: source + "/text_encoder/model.safetensors", overwrite: false)
        let stream = try writer.start(sink: file)
        for info in writer.tensors {
            try stream.beginTensor(info.name)
            let words = (0 ..< info.elementCount).map { UInt16(0x3C00 + ($0 * 37) % 200) }
            try words.withUnsafeBytes { try stream.write($0) }
        }
        try stream.finish()
        try file.commit()
        let out = FileSystem.directoryName(of: source) + "/out"
        let report = try DF11.compress(CompressRequest(input: source, output: out, format: .dfloat11), options: options)
        XCTAssertEqual(report.json["components"]?.members?.map(\.key), ["transformer"])
        XCTAssert(report.json["warnings"]?.elements?.first?.stringValue?.contains("text_encoder (preset qwen2.5-vl) copied unchanged") == true,
                  "\(report.json["warnings"] ?? .null)")
        XCTAssertEqual(FileManager.default.contents(atPath: out + "/text_encoder/model.safetensors"),
                       FileManager.default.contents(atPath: source + "/text_encoder/model.safetensors"))
    }

    func testRefusals() throws {
        let source = try pipeline()
        let out = FileSystem.directoryName(of: source) + "/out"
        // The container format takes checkpoints, not pipelines: the refusal says where the weights are.
        XCTAssertThrowsError(try DF11.compress(CompressRequest(input: source, output: out), options: options)) { error in
            XCTAssert("\(error)".contains("diffusers pipeline (model_index.json)"), "\(error)")
        }
        XCTAssertThrowsError(try DF11.compress(CompressRequest(input: source, output: out, format: .dfloat11, arch: "flux"),
                                               options: options)) { error in
            XCTAssertEqual((error as? DF11Failure)?.category, .couldNotRun)
            XCTAssert("\(error)".contains("component"), "\(error)")
        }
        // No component with a preset: refused, naming the components.
        try FileManager.default.removeItem(atPath: source + "/transformer")
        XCTAssertThrowsError(try DF11.compress(CompressRequest(input: source, output: out, format: .dfloat11),
                                               options: options)) { error in
            XCTAssertEqual((error as? DF11Failure)?.category, .couldNotRun)
            XCTAssert("\(error)".contains("scheduler, tokenizer, vae"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertThrowsError(try DF11.decompress(DecompressRequest(input: source, output: out), options: options)) { error in
            XCTAssert("\(error)".contains("is a DFloat11 model"), "\(error)")
        }
        // A model folder with weights of its own is a model, even beside a model_index.json.
        try write("{}", source + "/vae/model_index.json")
        XCTAssertThrowsError(try DF11.compress(CompressRequest(input: source + "/vae", output: out, format: .dfloat11),
                                               options: options)) { error in
            XCTAssert("\(error)".contains("no DFloat11 preset for"), "\(error)")
        }
    }
}
