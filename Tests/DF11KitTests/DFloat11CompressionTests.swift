import JSON
import DF11TestSupport
import DF11IO
import DF11Kit
import DFloat11Layout
import Foundation
import Safetensors
import XCTest

/// `compress --format dfloat11` against the official compressor's golden outputs (Fixtures/dfloat11-golden),
/// byte for byte, plus the refusals and the shared-memory warning.
final class DFloat11CompressionTests: XCTestCase {

    private func officialPattern(_ case_: String, single: Bool = false) throws -> JSONValue {
        let config = try JSONParser().parse(FileSystem.readSmallFile(
            golden(case_ + (single ? "/official-single" : "/official") + "/config.json")))
        return try XCTUnwrap(config["dfloat11_config"]?["pattern_dict"])
    }

    /// Every file of `expected` exists in `actual` with the same bytes.
    private func assertSameFiles(_ expected: String, _ actual: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: expected).sorted()
        XCTAssertFalse(names.isEmpty, file: file, line: line)
        for name in names {
            let want = try XCTUnwrap(contents(expected + "/" + name), file: file, line: line)
            let got = contents(actual + "/" + name)
            XCTAssertNotNil(got, "\(actual)/\(name) missing", file: file, line: line)
            XCTAssertTrue(got == want, "\(name) differs from \(expected)/\(name)", file: file, line: line)
        }
        let hidden = try FileManager.default.contentsOfDirectory(atPath: actual).filter { $0.hasPrefix(".") }
        XCTAssertEqual(hidden, [], "staging left behind", file: file, line: line)
    }

    private func compress(_ source: String, _ pattern: DFloat11PatternChoice, single: Bool, threads: Int = 2,
                          chunkWords: Int = 1 << 20) throws -> (String, DFloat11CompressReport) {
        let out = makeTemporaryDirectory() + "/out"
        let report = try DFloat11Compression.compress(
            input: source, output: out, options: RunOptions(threads: threads),
            dfloat11: DFloat11CompressOptions(singleFile: single, pattern: pattern, chunkWords: chunkWords))
        return (out, report)
    }

    /// The golden cases and the preset chosen for each. `flux-diffusers` is a diffusers FluxTransformer2DModel
    /// (tools/golden/make_golden_diffusers.py): the official tool writes diffusion_pytorch_model.safetensors (with
    /// {"format": "pt"}) and a config.json of the dfloat11_config alone there.
    private let cases = ["bert-1layer", "llama-tied", "llama-untied", "flux-diffusers"]
    private let presets = ["bert-1layer": "bert", "llama-tied": "llama", "llama-untied": "llama", "flux-diffusers": "flux"]

    func testDirectoryLayoutWithTheOfficialPatternIsByteIdentical() throws {
        for c in cases {
            let (out, report) = try compress(golden(c + "/source"), .dictionary(try officialPattern(c)), single: false)
            defer { try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: out)) }
            try assertSameFiles(golden(c + "/official"), out)
            XCTAssertEqual(report.layout, "directory")
            XCTAssertEqual(report.patternSource, "given")
        }
    }

    func testSingleFileLayoutWithTheOfficialPatternIsByteIdentical() throws {
        for c in cases {
            let (out, _) = try compress(golden(c + "/source"), .dictionary(try officialPattern(c, single: true)), single: true)
            defer { try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: out)) }
            try assertSameFiles(golden(c + "/official-single"), out)
        }
    }

    /// The presets chosen from config.json (llama, bert) give the same dictionaries, hence the same bytes.
    func testAutomaticPresetSelectionIsByteIdentical() throws {
        for c in cases {
            for single in [false, true] {
                let (out, report) = try compress(golden(c + "/source"), .automatic, single: single)
                defer { try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: out)) }
                try assertSameFiles(golden(c + (single ? "/official-single" : "/official")), out)
                XCTAssertEqual(report.architecture, presets[c])
                XCTAssertEqual(report.patternSource, "config")
            }
        }
    }

    /// Small chunks on three threads: units split across parallel jobs, same bytes.
    func testChunkedParallelEncodingIsByteIdentical() throws {
        let (out, report) = try compress(golden("bert-1layer/source"), .automatic, single: false, threads: 3, chunkWords: 777)
        defer { try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: out)) }
        try assertSameFiles(golden("bert-1layer/official"), out)
        XCTAssertEqual(report.units.map(\.module).sorted(), ["embeddings.word_embeddings", "encoder.layer.0"])
    }

    /// Issue #11's acceptance cases (tools/golden/make_golden_modules.py): plain modules named as a ComfyUI FLUX.1
    /// file, a HiDream mixture of experts and BAGEL (a Conv2d kernel inside a unit), each a single safetensors file
    /// without config.json; the official tool's directory and single-file outputs, byte for byte, with the preset
    /// chosen from the tensor names (HiDream's, a diffusers class, by --arch) and on 3 threads with small chunks.
    func testFamilyGoldensAreByteIdenticalWithTheirPresets() throws {
        for (c, preset) in [("flux-comfyui", "flux-comfyui"), ("moe-hidream", "hidream"), ("conv-bagel", "bagel")] {
            let choice: DFloat11PatternChoice = c == "moe-hidream" ? .preset(preset) : .automatic
            for single in [false, true] {
                for (threads, chunk) in [(2, 1 << 20), (3, 777)] {
                    let (out, report) = try compress(golden(c + "/source/model.safetensors"), choice, single: single,
                                                     threads: threads, chunkWords: chunk)
                    defer { try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: out)) }
                    try assertSameFiles(golden(c + (single ? "/official-single" : "/official")), out)
                    XCTAssertEqual(report.architecture, preset)
                    XCTAssertEqual(report.patternSource, c == "moe-hidream" ? "arch" : "tensor-names")
                }
            }
        }
    }

    /// The diffusers classes the presets name (tools/golden/make_golden_diffusers.py): each tiny model, its preset
    /// chosen from config.json's _class_name, gives the official tool's files byte for byte (so the published
    /// dictionaries fit diffusers' module names), and decompress gives the source folder back file for file.
    func testDiffusersClassesAreByteIdenticalWithTheirPresets() throws {
        let cases = [("wan-diffusers", "wan"), ("qwen-image-diffusers", "qwen-image"), ("sd35-diffusers", "sd3.5-large"),
                     ("chroma-diffusers", "chroma-diffusers"), ("hidream-diffusers", "hidream")]
        for (c, preset) in cases {
            let (out, report) = try compress(golden(c + "/source"), .automatic, single: false)
            defer { try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: out)) }
            try assertSameFiles(golden(c + "/official"), out)
            XCTAssertEqual(report.architecture, preset)
            let back = FileSystem.directoryName(of: out) + "/back"
            _ = try DFloat11Decompression.decompress(input: out, output: back, options: RunOptions(threads: 2))
            try assertSameFiles(golden(c + "/source"), back)
        }
    }

    /// Only the layers (no lm_head / embed_tokens units) of the tied model: the directory layout matches the
    /// golden; the single-file layout is refused, as the official tool fails there.
    func testTiedLayersOnly() throws {
        let pattern = try officialPattern("llama-tied-layers-only")
        let (out, _) = try compress(golden("llama-tied/source"), .dictionary(pattern), single: false)
        defer { try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: out)) }
        try assertSameFiles(golden("llama-tied-layers-only/official"), out)
        XCTAssertThrowsError(try compress(golden("llama-tied/source"), .dictionary(pattern), single: true)) { error in
            XCTAssertEqual((error as? DF11Failure)?.category, .couldNotRun)
            XCTAssertTrue("\(error)".contains("tied"), "\(error)")
        }
    }

    /// Patterns found by fuzzing to give outputs decompress could not read back: an attribute listed twice is
    /// refused; a one-tensor unit listing an attribute it lacks (`lm_head: ["x"]`) decompresses under the
    /// module's own weight name.
    func testPatternsWhoseOutputDecompressCouldNotName() throws {
        let twice = try JSONParser().parse(#"{"model\\.layers\\.0": ["mlp.up_proj", "mlp.up_proj"]}"#)
        XCTAssertThrowsError(try compress(golden("llama-tied/source"), .dictionary(twice), single: false)) { error in
            XCTAssert("\(error)".contains("lists an attribute twice"), "\(error)")
        }
        let listed = try JSONParser().parse(#"{"lm_head": ["x"], "model\\.layers\\.\\d+": ["mlp.up_proj"]}"#)
        let (out, _) = try compress(golden("llama-untied/source"), .dictionary(listed), single: false)
        let root = FileSystem.directoryName(of: out)
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = try DFloat11Verification.verify(input: out, options: RunOptions(threads: 2),
                                            verify: DFloat11VerifyOptions(against: golden("llama-untied/source")))
        _ = try DFloat11Decompression.decompress(input: out, output: root + "/back", options: RunOptions(threads: 2))
        XCTAssertEqual(contents(root + "/back/model.safetensors"), contents(golden("llama-untied/source/model.safetensors")))
    }

    /// A source whose config.json does not describe a unit weight's shape compresses (the layout does not need
    /// shapes) with a warning that decompress will not restore it.
    func testWarnsWhenDecompressCouldNotDeriveAShape() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: golden("llama-untied/source"), toPath: dir + "/src")
        var config = try String(contentsOfFile: dir + "/src/config.json", encoding: .utf8)
        let intermediate = try XCTUnwrap(config.range(of: #""intermediate_size": \d+"#, options: .regularExpression))
        config.replaceSubrange(intermediate, with: #""intermediate_size": 7"#)
        try config.write(toFile: dir + "/src/config.json", atomically: true, encoding: .utf8)
        var warnings: [DFloat11CompressReport.Warning] = []
        let report = try DFloat11Compression.compress(input: dir + "/src", output: dir + "/out",
                                                      options: RunOptions(threads: 2),
                                                      dfloat11: DFloat11CompressOptions(manifest: false),
                                                      warn: { warnings.append($0) })
        XCTAssertEqual(report.warnings.map(\.code), ["shape-not-derivable"])
        XCTAssertEqual(warnings.count, 1)
        XCTAssert(report.warnings[0].message.contains("mlp"), report.warnings[0].message)
        XCTAssert(report.warnings[0].message.contains("more)"), report.warnings[0].message)
        // With the manifest (the default) decompress takes the shapes from it: no warning, and it restores them.
        let withManifest = try DFloat11Compression.compress(input: dir + "/src", output: dir + "/out2",
                                                            options: RunOptions(threads: 2), dfloat11: DFloat11CompressOptions())
        XCTAssertEqual(withManifest.warnings.map(\.code), [])
        _ = try DFloat11Decompression.decompress(input: dir + "/out2", output: dir + "/restored", options: RunOptions(threads: 2))
        XCTAssertEqual(FileManager.default.contents(atPath: dir + "/restored/model.safetensors"),
                       FileManager.default.contents(atPath: dir + "/src/model.safetensors"))
        // The golden sources warn about nothing.
        let (out, clean) = try compress(golden("llama-untied/source"), .automatic, single: false)
        try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: out))
        XCTAssertEqual(clean.warnings.map(\.code), [])
    }

    // MARK: Synthetic checkpoints

    /// Writes `model.safetensors` holding `tensors` (name, dtype, shape, bytes) into a new directory.
    private func checkpoint(_ tensors: [(String, DType, [Int], [UInt8])], config: String? = nil) throws -> String {
        let dir = makeTemporaryDirectory() + "/src"
        try FileSystem.createDirectories(dir)
        try writeCheckpoint(tensors, config: config, into: dir)
        return dir
    }

    private func bf16(_ words: [UInt16]) -> [UInt8] { words.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }

    /// 4096 weights spread over a few exponents (1.0, 0.5, 2.0, -0.25, …).
    private func ordinaryWeights(_ n: Int, special: UInt16? = nil) -> [UInt16] {
        var words = (0..<n).map { i -> UInt16 in
            let exponent = UInt16(120 + (i * 7919) % 9)
            return UInt16(i % 2) << 15 | exponent << 7 | UInt16(i % 128)
        }
        if let special { words[n / 2] = special }
        return words
    }

    func testRefusesInfinityInAUnit() throws {
        let src = try checkpoint([("proj.weight", .bf16, [64, 64], bf16(ordinaryWeights(4096, special: 0x7F80)))])
        let out = FileSystem.directoryName(of: src) + "/out"
        XCTAssertThrowsError(try DFloat11Compression.compress(
            input: src, output: out, options: RunOptions(threads: 2),
            dfloat11: DFloat11CompressOptions(pattern: .dictionary(try JSONParser().parse(#"{"proj": []}"#))))) { error in
            XCTAssertEqual((error as? DF11Failure)?.category, .couldNotRun)
            XCTAssertTrue("\(error)".contains("exponent byte 255"), "\(error)")
            XCTAssertTrue("\(error)".contains("container"), "\(error)")
        }
        XCTAssertEqual(FileSystem.kind(of: out), .missing, "nothing is left behind")
    }

    func testRefusesANonBF16UnitTensor() throws {
        let src = try checkpoint([("proj.weight", .f32, [16, 16], [UInt8](repeating: 0x3F, count: 1024)),
                                  ("other.weight", .bf16, [4], bf16([1, 2, 3, 4]))])
        XCTAssertThrowsError(try DFloat11Compression.compress(
            input: src, output: FileSystem.directoryName(of: src) + "/out", options: RunOptions(threads: 1),
            dfloat11: DFloat11CompressOptions(pattern: .dictionary(try JSONParser().parse(#"{"proj": []}"#))))) { error in
            XCTAssertEqual((error as? DF11Failure)?.category, .couldNotRun)
            XCTAssertTrue("\(error)".contains("F32"), "\(error)")
        }
    }

    /// A unit at about 1 bit per weight: each 4096-byte block decodes to about 32,768 weights, more than the
    /// 23,550 that fit the official kernel's default 48 KiB of shared memory. Written, with a warning.
    func testWarnsWhenABlockExceedsTheKernelsSharedMemory() throws {
        var words = [UInt16](repeating: 0x3F80, count: 100_000)   // 1.0: exponent 127, a 1-bit code
        words[10] = 0x4000                                          // 2.0 and 0.5 once each, so that end-of-file
        words[20] = 0x3F00                                          // does not own the all-zero code
        let src = try checkpoint([("proj.weight", .bf16, [100, 1000], bf16(words)),
                                  ("norm.weight", .bf16, [4], bf16([0x3F80, 0x3F80, 0x3F80, 0x3F80]))])
        var warned: [DFloat11CompressReport.Warning] = []
        let out = FileSystem.directoryName(of: src) + "/out"
        let report = try DFloat11Compression.compress(
            input: src, output: out, options: RunOptions(threads: 2),
            dfloat11: DFloat11CompressOptions(pattern: .dictionary(try JSONParser().parse(#"{"proj": []}"#))),
            warn: { warned.append($0) })
        XCTAssertEqual(report.warnings.count, 1)
        XCTAssertEqual(warned.first?.code, "shared-memory")
        XCTAssertGreaterThan(report.units[0].maxWeightsPerBlock, 23_550)
        XCTAssertGreaterThan(report.units[0].sharedMemoryBytes, 48 * 1024)
        // No source config.json: treated as a plain module (config.json = dfloat11_config only, no metadata).
        XCTAssertEqual(FileSystem.kind(of: out + "/proj.safetensors"), .regularFile)
        let config = try JSONParser().parse(FileSystem.readSmallFile(out + "/config.json"))
        XCTAssertEqual(config.members?.map(\.key), ["dfloat11_config"])
        XCTAssertNil(try SafetensorsFile(path: out + "/model.safetensors").header.metadata)
    }

    // MARK: Command line

    func testCommandLineExitCodesAndJSON() throws {
        try requireBuiltBinary()
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let src = golden("llama-untied/source")
        let first = try runDF11(["compress", src, "--format", "dfloat11", "-o", dir + "/out", "--json", "--threads", "2"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let json = try JSONParser().parse(Array(first.stdout))
        XCTAssertEqual(json["schema"]?.stringValue, "df11.compress-dfloat11/1")
        XCTAssertEqual(json["architecture"]?.stringValue, "llama")
        XCTAssertEqual(json["units"]?.elements?.count, 4)
        XCTAssertEqual(json["warnings"]?.elements?.count, 0)
        try assertSameFiles(golden("llama-untied/official"), dir + "/out")

        let again = try runDF11(["compress", src, "--format", "dfloat11", "-o", dir + "/out", "--json"])
        XCTAssertEqual(again.status, 2, "existing outputs are kept without --force")
        XCTAssertEqual(try JSONParser().parse(Array(again.stdout))["status"]?.stringValue, "error")
        XCTAssertEqual(try runDF11(["compress", src, "--format", "dfloat11", "-o", dir + "/out", "--force", "-q"]).status, 0)

        let single = try runDF11(["compress", src, "--format", "dfloat11", "--single-file", "--arch", "llama",
                                  "-o", dir + "/single", "-q"])
        XCTAssertEqual(single.status, 0, single.stderr)
        try assertSameFiles(golden("llama-untied/official-single"), dir + "/single")

        XCTAssertEqual(try runDF11(["compress", src, "--format", "dfloat11", "--arch", "nosuch", "-o", dir + "/x"]).status, 2)
        XCTAssertEqual(try runDF11(["compress", src, "--single-file", "-o", dir + "/y"]).status, 2,
                       "--single-file needs --format dfloat11")

        let inf = try checkpoint([("proj.weight", .bf16, [64, 64], bf16(ordinaryWeights(4096, special: 0xFF80)))])
        try AtomicOutputFile.write(contents: Array(#"{"proj": []}"#.utf8), to: dir + "/p.json", overwrite: false)
        let refused = try runDF11(["compress", inf, "--format", "dfloat11", "--pattern", dir + "/p.json",
                                   "-o", dir + "/inf", "--json"])
        XCTAssertEqual(refused.status, 2)
        XCTAssertEqual(try JSONParser().parse(Array(refused.stdout))["code"]?.stringValue, "exponent-not-representable")
        XCTAssertTrue(refused.stderr.contains("without --format dfloat11"), refused.stderr)

        let list = try runDF11(["architectures", "--json"])
        XCTAssertEqual(list.status, 0)
        let names = try JSONParser().parse(Array(list.stdout))["architectures"]?.elements?.compactMap { $0["name"]?.stringValue }
        XCTAssertEqual(Set(names ?? []), Set(ArchitecturePreset.all.map(\.name)))
        XCTAssert(Set(names ?? []).isSuperset(of: ["bert", "bert-head", "flux", "gemma", "llama", "mistral", "phi3", "qwen2", "qwen3"]))
    }
}
