import DF11IO
import DF11Kit
import DF11TestSupport
import DFloat11Layout
import Foundation
import JSON
import Safetensors
import XCTest

/// Issue #11, point 1: for every preset, a tiny checkpoint generated from its own pattern dictionary (two
/// blocks of each repeated pattern, every listed weight, a bias, a tensor no unit holds) and a config.json that
/// names it as a real one would (`architectures`, `model_type` or diffusers' `_class_name`) is recognised,
/// compressed, verified (with its manifest) and restored byte for byte.
final class PresetRoundTripTests: XCTestCase {
    let options = RunOptions(threads: 2)

    /// A module name the regex fully matches: `\d+` (or the possessive `\d++`) → the block number, `\.` → `.`,
    /// `[ab]` → `a`, a group `(x|y)` → its first alternative, any other character as itself.
    func moduleName(_ pattern: String, block: Int) -> String {
        var out = "", chars = Array(pattern), i = 0
        while i < chars.count {
            if chars[i] == "\\", i + 1 < chars.count {
                if chars[i + 1] == "d" {
                    out += String(block)
                    i += 2
                    while i < chars.count, chars[i] == "+" { i += 1 }
                } else {
                    out.append(chars[i + 1])
                    i += 2
                }
            } else if chars[i] == "[" {
                out.append(chars[i + 1])
                while chars[i] != "]" { i += 1 }
                i += 1
            } else if chars[i] == "(" {
                var depth = 0, end = i, bar: Int? = nil
                repeat {
                    if chars[end] == "(" { depth += 1 }
                    if chars[end] == ")" { depth -= 1 }
                    if chars[end] == "|", depth == 1, bar == nil { bar = end }
                    end += 1
                } while depth > 0
                out += moduleName(String(chars[(i + 1) ..< (bar ?? end - 1)]), block: block)
                i = end
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        return out
    }

    /// The shape the generated checkpoint gives the `a`-th weight of a unit: a 4-D kernel for a convolution (as
    /// BAGEL's vision patch embedding), 3-D for every fourth weight (the layout stores weights flat, whatever their
    /// rank: the manifest restores it), else 2-D.
    func shape(attribute: String, index a: Int) -> [Int] {
        if attribute.contains("patch_embedding") || attribute.contains("conv") { return [16 + 8 * (a % 3), 3, 2, 2] }
        if a % 4 == 3 { return [2, 8 + 4 * (a % 3), 16] }
        return [16 + 8 * (a % 3), 16]
    }

    func words(_ count: Int, seed: Int) -> [UInt8] {
        (0 ..< count).flatMap { i -> [UInt8] in
            let w = UInt16((i + seed) % 2) << 15 | UInt16(117 + (i * 7919 + seed * 13) % 12) << 7 | UInt16((i * 31 + seed) % 128)
            return [UInt8(w & 0xFF), UInt8(w >> 8)]
        }
    }

    /// The generated checkpoint of `preset` (directory), its config naming the preset, and how many modules of
    /// it the preset's patterns name (the units compress must find).
    func checkpoint(for preset: ArchitecturePreset) throws -> (directory: String, modules: Int) {
        let dir = makeTemporaryDirectory() + "/" + preset.name
        addTeardownBlock { try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: dir)) }
        try FileSystem.createDirectories(dir)
        var tensors: [(String, [Int])] = []
        var modules = Set<String>()
        for entry in try preset.patternDictionary().entries {
            let blocks = entry.pattern.contains("\\d") ? [0, 1] : [0]
            for block in blocks {
                let module = moduleName(entry.pattern, block: block)
                modules.insert(module)
                if entry.attributes.isEmpty {
                    tensors.append((module + ".weight", [48, 16]))
                } else {
                    for (a, attribute) in entry.attributes.enumerated() {
                        tensors.append((module + "." + attribute + ".weight", shape(attribute: attribute, index: a)))
                    }
                    tensors.append((module + "." + entry.attributes[0] + ".bias", [16]))
                }
            }
        }
        // Tensors no unit holds, of other ranks: a 3-D stack of experts (as MoE checkpoints store their routed
        // experts' weights) and a 5-D Conv3d kernel (Wan's patch embedding).
        tensors.append(("df11_test_extra.weight", [8, 4]))
        tensors.append(("df11_test_experts.gate_up_proj", [4, 8, 6]))
        tensors.append(("df11_test_patch_embedding.weight", [4, 2, 1, 2, 2]))
        var seen = Set<String>()
        tensors = tensors.filter { seen.insert($0.0).inserted }
        let data = tensors.enumerated().map { i, t in words(t.1.reduce(1, *), seed: i) }
        let writer = try SafetensorsWriter(tensors: tensors.map { TensorDescription(name: $0.0, dtype: .bf16, shape: $0.1) },
                                           metadata: [("format", "pt")], order: .safetensorsLibrary)
        let file = try AtomicOutputFile(path: dir + "/model.safetensors", overwrite: false)
        let stream = try writer.start(sink: file)
        for info in writer.tensors {
            try stream.beginTensor(info.name)
            try data[tensors.firstIndex { $0.0 == info.name }!].withUnsafeBytes { try stream.write($0) }
        }
        try stream.finish()
        try file.commit()
        var config: [JSONMember] = []
        if let architecture = preset.architectures.first {
            config.append(JSONMember(key: "architectures", value: .array([.string(architecture)])))
        }
        if let type = preset.modelTypes.first { config.append(JSONMember(key: "model_type", value: .string(type))) }
        if preset.architectures.isEmpty && preset.modelTypes.isEmpty, let name = preset.classNames.first {
            config.append(JSONMember(key: "_class_name", value: .string(name)))
        }
        config.append(JSONMember(key: "tie_word_embeddings", value: .bool(false)))
        try AtomicOutputFile.write(contents: JSONValue.object(config).encode(.indented), to: dir + "/config.json",
                                   overwrite: false)
        return (dir, modules.count)
    }

    /// Whether a checkpoint's config.json or tensor names select `preset`; the others (a second dictionary for
    /// the same class, as phi4 beside phi3) are chosen by name.
    func isRecognisable(_ preset: ArchitecturePreset) -> Bool {
        !(preset.architectures.isEmpty && preset.modelTypes.isEmpty && preset.classNames.isEmpty && preset.tensorNames.isEmpty)
    }

    func testEveryPresetIsRecognisedCompressedVerifiedAndRestored() throws {
        XCTAssertGreaterThanOrEqual(ArchitecturePreset.all.count, 35)
        for preset in ArchitecturePreset.all {
            let (source, modules) = try checkpoint(for: preset)
            let out = makeTemporaryDirectory() + "/out"
            addTeardownBlock { try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: out)) }
            let choice: DFloat11PatternChoice = isRecognisable(preset) ? .automatic : .preset(preset.name)
            let report = try DFloat11Compression.compress(input: source, output: out + "/release", options: options,
                                                          dfloat11: DFloat11CompressOptions(pattern: choice))
            XCTAssertEqual(report.architecture, preset.name, "recognised")
            XCTAssertFalse(preset.source.isEmpty, "\(preset.name) cites no source")
            XCTAssertEqual(report.units.count, modules, "\(preset.name): every generated module is a unit")
            let verified = try DFloat11Verification.verify(input: out + "/release", options: options, verify: .init())
            XCTAssertEqual(verified.manifest, "checked", preset.name)
            let against = try DFloat11Verification.verify(input: out + "/release", options: options,
                                                          verify: .init(against: source))
            XCTAssertEqual(against.weightsChecked, against.weights, preset.name)
            _ = try DFloat11Decompression.decompress(input: out + "/release", output: out + "/restored", options: options)
            XCTAssertEqual(FileManager.default.contents(atPath: out + "/restored/model.safetensors"),
                           FileManager.default.contents(atPath: source + "/model.safetensors"), preset.name)
        }
    }

    /// Single files without a config.json are recognised by their tensor names; the most specific preset wins
    /// (Chroma-Radiance holds every name Chroma requires, and more).
    func testTensorNamesSelectTheMostSpecificPreset() throws {
        func select(_ preset: String) -> String? {
            ArchitecturePreset.select(tensorNames: Set(ArchitecturePreset.named(preset)!.tensorNames))?.name
        }
        for preset in ArchitecturePreset.all where !preset.tensorNames.isEmpty {
            XCTAssertEqual(select(preset.name), preset.name)
            XCTAssertFalse(preset.source.isEmpty, preset.name)
        }
        XCTAssertNil(ArchitecturePreset.select(tensorNames: ["model.layers.0.self_attn.q_proj.weight"]))
        let radiance = Set(ArchitecturePreset.named("chroma-radiance")!.tensorNames)
        XCTAssertEqual(ArchitecturePreset.select(tensorNames: radiance.union(["x.weight"]))?.name, "chroma-radiance")
    }

    /// The presets of issue #11's families: diffusers classes select theirs; Phi-4 (whose config names Phi3ForCausalLM)
    /// and the second Chroma dictionary are chosen by name.
    func testDiffusionAndMultimodalFamiliesAreSelected() throws {
        func select(_ text: String) throws -> String? { ArchitecturePreset.select(config: try JSONParser().parse(Array(text.utf8)))?.name }
        XCTAssertEqual(try select(#"{"_class_name": "WanTransformer3DModel"}"#), "wan")
        XCTAssertEqual(try select(#"{"_class_name": "SD3Transformer2DModel"}"#), "sd3.5-large")
        XCTAssertEqual(try select(#"{"_class_name": "HiDreamImageTransformer2DModel"}"#), "hidream")
        XCTAssertEqual(try select(#"{"_class_name": "QwenImageTransformer2DModel"}"#), "qwen-image")
        XCTAssertEqual(try select(#"{"_class_name": "ChromaTransformer2DModel"}"#), "chroma-diffusers")
        XCTAssertEqual(try select(#"{"_class_name": "OmniGen2Transformer2DModel"}"#), "omnigen2")
        XCTAssertEqual(try select(#"{"architectures": ["Qwen2_5_VLForConditionalGeneration"]}"#), "qwen2.5-vl")
        XCTAssertEqual(try select(#"{"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3"}"#), "gemma3-vl")
        XCTAssertEqual(try select(#"{"architectures": ["Phi3ForCausalLM"], "model_type": "phi3"}"#), "phi3")
        XCTAssertEqual(ArchitecturePreset.named("phi-4")?.name, "phi4")
        XCTAssertEqual(ArchitecturePreset.named("wan2.2")?.name, "wan")
        XCTAssertEqual(ArchitecturePreset.named("longcat-image")?.name, "flux-comfyui")
        XCTAssertEqual(ArchitecturePreset.all.filter { !isRecognisable($0) }.map(\.name).sorted(),
                       ["chroma1-diffusers", "flux2-alt", "phi4"])
    }

    func testFluxIsSelectedByTheDiffusersClassName() throws {
        let config = try JSONParser().parse(Array(#"{"_class_name": "FluxTransformer2DModel", "_diffusers_version": "0.30.0"}"#.utf8))
        XCTAssertEqual(ArchitecturePreset.select(config: config)?.name, "flux")
        XCTAssertEqual(ArchitecturePreset.named("flux-kontext")?.name, "flux")
        XCTAssertFalse(ArchitecturePreset.named("flux")!.source.isEmpty)
    }
}
