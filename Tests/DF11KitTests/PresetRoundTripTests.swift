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

    /// A module name the regex fully matches: `\d+` → the block number, `\.` → `.`, `[ab]` → `a`.
    func moduleName(_ pattern: String, block: Int) -> String {
        var out = "", chars = Array(pattern), i = 0
        while i < chars.count {
            if chars[i] == "\\", i + 1 < chars.count {
                if chars[i + 1] == "d" {
                    out += String(block)
                    i += 2
                    if i < chars.count, chars[i] == "+" { i += 1 }
                } else {
                    out.append(chars[i + 1])
                    i += 2
                }
            } else if chars[i] == "[" {
                out.append(chars[i + 1])
                while chars[i] != "]" { i += 1 }
                i += 1
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        return out
    }

    func words(_ count: Int, seed: Int) -> [UInt8] {
        (0 ..< count).flatMap { i -> [UInt8] in
            let w = UInt16((i + seed) % 2) << 15 | UInt16(117 + (i * 7919 + seed * 13) % 12) << 7 | UInt16((i * 31 + seed) % 128)
            return [UInt8(w & 0xFF), UInt8(w >> 8)]
        }
    }

    /// The generated checkpoint of `preset` (directory), its config naming the preset.
    func checkpoint(for preset: ArchitecturePreset) throws -> String {
        let dir = makeTemporaryDirectory() + "/" + preset.name
        addTeardownBlock { try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: dir)) }
        try FileSystem.createDirectories(dir)
        var tensors: [(String, [Int])] = []
        for entry in try preset.patternDictionary().entries {
            let blocks = entry.pattern.contains("\\d") ? [0, 1] : [0]
            for block in blocks {
                let module = moduleName(entry.pattern, block: block)
                if entry.attributes.isEmpty {
                    tensors.append((module + ".weight", [48, 16]))
                } else {
                    for (a, attribute) in entry.attributes.enumerated() {
                        tensors.append((module + "." + attribute + ".weight", [16 + 8 * (a % 3), 16]))
                    }
                    tensors.append((module + "." + entry.attributes[0] + ".bias", [16]))
                }
            }
        }
        tensors.append(("df11_test_extra.weight", [8, 4]))
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
        return dir
    }

    func testEveryPresetIsRecognisedCompressedVerifiedAndRestored() throws {
        XCTAssertGreaterThanOrEqual(ArchitecturePreset.all.count, 21)
        for preset in ArchitecturePreset.all {
            let source = try checkpoint(for: preset)
            let out = makeTemporaryDirectory() + "/out"
            addTeardownBlock { try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: out)) }
            let report = try DFloat11Compression.compress(input: source, output: out + "/release", options: options,
                                                          dfloat11: DFloat11CompressOptions())
            XCTAssertEqual(report.architecture, preset.name, "recognised")
            XCTAssertFalse(preset.source.isEmpty, "\(preset.name) cites no source")
            XCTAssertGreaterThan(report.units.count, 0, preset.name)
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

    func testFluxIsSelectedByTheDiffusersClassName() throws {
        let config = try JSONParser().parse(Array(#"{"_class_name": "FluxTransformer2DModel", "_diffusers_version": "0.30.0"}"#.utf8))
        XCTAssertEqual(ArchitecturePreset.select(config: config)?.name, "flux")
        XCTAssertEqual(ArchitecturePreset.named("flux-kontext")?.name, "flux")
        XCTAssertFalse(ArchitecturePreset.named("flux")!.source.isEmpty)
    }
}
