import DF11IO
import DF11Kit
import DF11TestSupport
import Foundation
import JSON
import Safetensors
import XCTest

/// Releases that prove themselves (issue #11, point 4): df11 writes `df11-manifest.json` beside the unit files;
/// `verify` decodes everything and checks every checksum without the source.
final class ReleaseManifestTests: XCTestCase {
    let options = RunOptions(threads: 2)

    /// A df11-made release of a golden source (directory layout), in a temporary directory.
    func release(_ goldenCase: String = "llama-tied") throws -> String {
        let out = makeTemporaryDirectory() + "/release"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: out)) }
        _ = try DFloat11Compression.compress(input: golden(goldenCase + "/source"), output: out, options: options,
                                             dfloat11: DFloat11CompressOptions())
        return out
    }

    func verifyFailure(_ dir: String) -> (code: String, message: String, badData: Bool)? {
        do {
            _ = try DFloat11Verification.verify(input: dir, options: options, verify: DFloat11VerifyOptions())
            return nil
        } catch {
            let failure = error as? DF11Failure
            return ((error as? CodedFailure)?.code ?? "?", failure?.description ?? "\(error)", failure?.category == .badData)
        }
    }

    func testCompressWritesAManifestAndVerifyProvesTheReleaseWithoutTheSource() throws {
        for goldenCase in ["llama-tied", "llama-untied", "bert-1layer"] {
            let dir = try release(goldenCase)
            // The unit files, model.safetensors and config.json are still the official tool's bytes.
            for name in try FileManager.default.contentsOfDirectory(atPath: golden(goldenCase + "/official")) {
                XCTAssertEqual(FileManager.default.contents(atPath: dir + "/" + name),
                               FileManager.default.contents(atPath: golden(goldenCase + "/official/" + name)), name)
            }
            let manifest = try JSONParser().parse(FileSystem.readSmallFile(dir + "/df11-manifest.json"))
            XCTAssertEqual(manifest["format"]?.stringValue, "df11-manifest/1")
            XCTAssertEqual(manifest["df11_version"]?.stringValue, DF11.version)
            let source = try SafetensorsFile(path: golden(goldenCase + "/source/model.safetensors"))
            XCTAssertEqual(manifest["tensors"]?.elements?.count, source.header.tensors.count)
            XCTAssertEqual(manifest["source_files"]?.elements?.first?["name"]?.stringValue, "model.safetensors")

            let report = try DFloat11Verification.verify(input: dir, options: options, verify: .init())
            XCTAssertEqual(report.manifest, "checked", goldenCase)
            XCTAssertGreaterThanOrEqual(report.manifestTensorsChecked, source.header.tensors.count - 1)
            XCTAssert(report.text.contains("match the checksums of df11-manifest.json"), report.text)
            XCTAssertEqual(report.json["schema"]?.stringValue, "df11.verify-dfloat11/1.1")

            // Decompress does not copy the manifest into the bf16 checkpoint.
            let restored = makeTemporaryDirectory() + "/restored"
            _ = try DFloat11Decompression.decompress(input: dir, output: restored, options: options)
            XCTAssertFalse(FileManager.default.fileExists(atPath: restored + "/df11-manifest.json"))
            try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: restored))
        }
    }

    /// With the source's headers and small files in the manifest, decompress writes the source's own files again,
    /// byte for byte (the shards, their index, config.json), and checks each against the manifest's checksum.
    func testDecompressRestoresTheSourceFilesByteForByte() throws {
        for source in [fixture("tiny-llama"), golden("llama-tied/source"), golden("bert-1layer/source")] {
            let scratch = makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            _ = try DFloat11Compression.compress(input: source, output: scratch + "/release", options: options,
                                                 dfloat11: DFloat11CompressOptions())
            let report = try DFloat11Decompression.decompress(input: scratch + "/release", output: scratch + "/restored",
                                                              options: options)
            let names = try FileManager.default.contentsOfDirectory(atPath: source).sorted()
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch + "/restored").sorted(), names)
            for name in names {
                XCTAssertEqual(FileManager.default.contents(atPath: scratch + "/restored/" + name),
                               FileManager.default.contents(atPath: source + "/" + name), "\(source): \(name)")
            }
            XCTAssertEqual(report.originalsRestored, names.count, source)
            XCTAssertTrue(report.text.contains("restored byte for byte"), report.text)

            // Asked for another layout, the library's: one model.safetensors.
            let resharded = try DFloat11Decompression.decompress(input: scratch + "/release", output: scratch + "/one",
                                                                 options: options, maxShardSize: 1 << 40)
            XCTAssertEqual(resharded.originalsRestored, 0)
            XCTAssertTrue(FileManager.default.fileExists(atPath: scratch + "/one/model.safetensors"))
        }
    }

    /// A manifest whose recorded header was changed describes a file that is not the original: decompress refuses
    /// (bad data), naming it, and leaves no output.
    func testARestoredFileThatIsNotTheOriginalIsRefused() throws {
        let scratch = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        _ = try DFloat11Compression.compress(input: fixture("tiny-llama"), output: scratch + "/release", options: options,
                                             dfloat11: DFloat11CompressOptions())
        let path = scratch + "/release/df11-manifest.json"
        var manifest = try JSONParser().parse(FileSystem.readSmallFile(path))
        guard case .object(var members) = manifest, let i = members.firstIndex(where: { $0.key == "source_files" }),
              case .array(var files) = members[i].value, case .object(var file) = files[0],
              let h = file.firstIndex(where: { $0.key == "header" }), let header = file[h].value.stringValue else {
            return XCTFail("no header in the manifest")
        }
        file[h].value = .string(header.replacingOccurrences(of: "\"BF16\"", with: "\"F16\""))
        files[0] = .object(file)
        members[i].value = .array(files)
        manifest = .object(members)
        try AtomicOutputFile.write(contents: manifest.encode(.indented), to: path, overwrite: true)
        XCTAssertThrowsError(try DFloat11Decompression.decompress(input: scratch + "/release",
                                                                  output: scratch + "/restored", options: options)) { error in
            XCTAssertEqual((error as? CodedFailure)?.code, "restored-file-differs", "\(error)")
            XCTAssertEqual((error as? DF11Failure)?.category, .badData)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/restored"))
    }

    func testTiedWeightIsRecorded() throws {
        let dir = try release("llama-tied")
        let manifest = try JSONParser().parse(FileSystem.readSmallFile(dir + "/df11-manifest.json"))
        XCTAssertEqual(manifest["tied"]?["lm_head.weight"]?.stringValue, "model.embed_tokens.weight")
    }

    func testWithoutAManifestVerifySaysOnlyTheStructureWasChecked() throws {
        let report = try DFloat11Verification.verify(input: golden("llama-tied/official"), options: options, verify: .init())
        XCTAssertEqual(report.manifest, "absent")
        XCTAssert(report.text.contains("no df11-manifest.json: only the structure was checked"), report.text)
        XCTAssertEqual(report.json["manifest"]?.stringValue, "absent")
    }

    /// The runs of two exponents of the same code length swapped in a unit's tables: still a valid prefix code,
    /// so only the manifest can see it.
    func testSameLengthSymbolSwapIsCaughtByTheManifestOnly() throws {
        let dir = try release("llama-untied")
        let file = dir + "/model_layers_0.safetensors"
        try patchTensor(file, "model.layers.0.luts") { luts in
            let k = luts.count / 256 - 1
            let lengths = Array(luts[(k * 256)...])
            let first = Array(luts[0 ..< 256])
            let pair = (0 ..< 240).lazy.compactMap { a -> (Int, Int)? in
                guard lengths[a] > 0, lengths[a] <= 8, first.contains(UInt8(a)) else { return nil }
                return (a + 1 ..< 240).first { lengths[$0] == lengths[a] && first.contains(UInt8($0)) }.map { (a, $0) }
            }.first!
            for i in 0 ..< 256 where luts[i] == UInt8(pair.0) || luts[i] == UInt8(pair.1) {
                luts[i] = luts[i] == UInt8(pair.0) ? UInt8(pair.1) : UInt8(pair.0)
            }
        }
        let failure = try XCTUnwrap(verifyFailure(dir))
        XCTAssertEqual(failure.code, "manifest-mismatch", failure.message)
        XCTAssert(failure.badData)
        XCTAssert(failure.message.hasPrefix("DFloat11 unit 'model.layers.0', tensor 'model.layers.0."), failure.message)
        try FileManager.default.removeItem(atPath: dir + "/df11-manifest.json")
        XCTAssertNil(verifyFailure(dir))
    }

    func testMissingAndChangedRemainderTensors() throws {
        let dir = try release("llama-untied")
        try patchTensor(dir + "/model.safetensors", "model.norm.weight") { $0[0] ^= 1 }
        let failure = try XCTUnwrap(verifyFailure(dir))
        XCTAssertEqual(failure.code, "manifest-mismatch")
        XCTAssert(failure.message.contains("'model.norm.weight'"), failure.message)
    }

    /// Random single-byte changes to the unit files of a df11-made release are all detected: exit 1 (bad data),
    /// naming the unit, or the file and tensor. `DF11_CHANGES` sets the count (100 here;
    /// tools/manifest/single_byte_changes.py runs 1,000 through the binary).
    func testRandomSingleByteChangesToUnitFilesAreAllDetected() throws {
        let count = Int(ProcessInfo.processInfo.environment["DF11_CHANGES"] ?? "") ?? 100
        let dir = try release("llama-tied")
        let units = try FileManager.default.contentsOfDirectory(atPath: dir)
            .filter { $0.hasSuffix(".safetensors") && $0 != "model.safetensors" }.sorted()
        XCTAssertEqual(units.count, 4)
        let originals = try units.map { try XCTUnwrap(FileManager.default.contents(atPath: dir + "/" + $0)) }
        let total = originals.reduce(0) { $0 + $1.count }
        var rng = SplitMix64(seed: 20261130)
        for round in 0 ..< count {
            var at = Int(rng.next() % UInt64(total))
            var f = 0
            while at >= originals[f].count { at -= originals[f].count; f += 1 }
            var bytes = [UInt8](originals[f])
            let old = bytes[at]
            bytes[at] = UInt8(truncatingIfNeeded: (UInt64(old) + 1 + rng.next() % 255) & 0xFF)
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + units[f]))
            let failure = verifyFailure(dir)
            XCTAssertNotNil(failure, "round \(round): \(units[f]) byte \(at) \(old) → \(bytes[at]) passed verify")
            if let failure {
                XCTAssert(failure.badData, "round \(round): \(failure.message)")
                XCTAssert(failure.message.contains("DFloat11 unit '") || failure.message.contains(units[f])
                          || failure.message.contains("tensor '"), "round \(round): \(failure.message)")
            }
            try originals[f].write(to: URL(fileURLWithPath: dir + "/" + units[f]))
        }
        XCTAssertNil(verifyFailure(dir))
    }

    /// `df11 manifest DIR --against SRC` on an official release: proves it, writes the manifest, and verify then
    /// checks every tensor without the source; against the wrong source nothing is written (exit 1).
    func testManifestCommandProvesThenWrites() throws {
        let dir = makeTemporaryDirectory() + "/official"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: FileSystem.directoryName(of: dir)) }
        try FileManager.default.copyItem(atPath: golden("llama-tied/official"), toPath: dir)

        XCTAssertThrowsError(try DF11.manifest(ManifestRequest(release: dir, against: golden("llama-untied/source")),
                                               options: options)) { error in
            XCTAssertEqual((error as? DF11Failure)?.category, .badData)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/df11-manifest.json"))

        let report = try DF11.manifest(ManifestRequest(release: dir, against: golden("llama-tied/source")), options: options)
        XCTAssertEqual(report.json["schema"]?.stringValue, "df11.manifest/1")
        XCTAssertEqual(report.weightsProved, 114_688)
        let verified = try DFloat11Verification.verify(input: dir, options: options, verify: .init())
        XCTAssertEqual(verified.manifest, "checked")
        // The same manifest df11 compress writes for the same source.
        let made = try release("llama-tied")
        XCTAssertEqual(FileManager.default.contents(atPath: dir + "/df11-manifest.json"),
                       FileManager.default.contents(atPath: made + "/df11-manifest.json"))

        guard FileManager.default.isExecutableFile(atPath: df11Binary.path) else { throw XCTSkip("df11 not built") }
        let again = try runDF11(["manifest", dir, "--against", golden("llama-tied/source")])
        XCTAssertEqual(again.status, 2, again.stderr)     // exists: --force replaces it
        let forced = try runDF11(["manifest", dir, "--against", golden("llama-tied/source"), "--force", "--json"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        let wrong = try runDF11(["manifest", dir, "--against", golden("llama-untied/source"), "-f"])
        XCTAssertEqual(wrong.status, 1, wrong.stderr)
        let verify = try runDF11(["verify", dir])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssert(verify.stderr.contains("match the checksums of df11-manifest.json"), verify.stderr)
    }

    /// A diffusers model's release keeps only dfloat11_config in config.json (as the official tool leaves it):
    /// the manifest records the source's config.json text, so decompress restores the component bit for bit —
    /// diffusion_pytorch_model.safetensors and config.json — from either layout; `df11 manifest` on the official
    /// release writes the same manifest.
    func testDiffusersComponentIsRestoredBitForBitWithItsConfig() throws {
        let source = golden("flux-diffusers/source")
        for single in [false, true] {
            let out = makeTemporaryDirectory()
            addTeardownBlock { try? FileManager.default.removeItem(atPath: out) }
            _ = try DFloat11Compression.compress(input: source, output: out + "/release", options: options,
                                                 dfloat11: DFloat11CompressOptions(singleFile: single))
            let manifest = try JSONParser().parse(FileSystem.readSmallFile(out + "/release/df11-manifest.json"))
            let config = manifest["source_files"]?.elements?.first { $0["name"]?.stringValue == "config.json" }
            XCTAssertEqual(config?["text"]?.stringValue.map { Array($0.utf8) },
                           Array(try FileSystem.readSmallFile(source + "/config.json")))
            let verified = try DFloat11Verification.verify(input: out + "/release", options: options, verify: .init())
            XCTAssertEqual(verified.manifest, "checked")
            let report = try DFloat11Decompression.decompress(input: out + "/release", output: out + "/restored", options: options)
            XCTAssertEqual(report.weightFiles, ["diffusion_pytorch_model.safetensors"])
            for name in ["diffusion_pytorch_model.safetensors", "config.json"] {
                XCTAssertEqual(FileManager.default.contents(atPath: out + "/restored/" + name),
                               FileManager.default.contents(atPath: source + "/" + name), "\(name), single file: \(single)")
            }
            if !single {
                let official = out + "/official"
                try FileManager.default.copyItem(atPath: golden("flux-diffusers/official"), toPath: official)
                _ = try DF11.manifest(ManifestRequest(release: official, against: source), options: options)
                XCTAssertEqual(FileManager.default.contents(atPath: official + "/df11-manifest.json"),
                               FileManager.default.contents(atPath: out + "/release/df11-manifest.json"))
            }
        }
    }

    /// A plain module's single file (as ComfyUI's are: no config.json, no __metadata__) comes back bit for bit
    /// under its own name, with no config.json: the manifest names the file by its own name and keeps its header.
    func testPlainModuleFileIsRestoredBitForBit() throws {
        for c in ["flux-comfyui", "conv-bagel"] {
            let source = makeTemporaryDirectory()
            addTeardownBlock { try? FileManager.default.removeItem(atPath: source) }
            try FileManager.default.copyItem(atPath: golden(c + "/source/model.safetensors"), toPath: source + "/flux1-x.safetensors")
            for single in [false, true] {
                let out = source + "/out-\(single)"
                _ = try DFloat11Compression.compress(input: source + "/flux1-x.safetensors", output: out + "/release",
                                                     options: options, dfloat11: DFloat11CompressOptions(singleFile: single))
                let manifest = try JSONParser().parse(FileSystem.readSmallFile(out + "/release/df11-manifest.json"))
                XCTAssertEqual(manifest["source_files"]?.elements?.map { $0["name"]?.stringValue }, ["flux1-x.safetensors"])
                let report = try DFloat11Decompression.decompress(input: out + "/release", output: out + "/back", options: options)
                XCTAssertEqual(report.weightFiles, ["flux1-x.safetensors"])
                XCTAssertEqual(FileManager.default.contents(atPath: out + "/back/flux1-x.safetensors"),
                               FileManager.default.contents(atPath: source + "/flux1-x.safetensors"), c)
                XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/back/config.json"))
            }
        }
    }

    /// A sharded diffusers model (as FLUX.1-dev's transformer/ ships): decompress with --max-shard-size names the
    /// shards and index as diffusers does, and compressing those shards gives the official files again, without
    /// the source's weight index (the rest is one file).
    func testShardedDiffusersModelRoundTrip() throws {
        let out = makeTemporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: out) }
        _ = try DFloat11Compression.compress(input: golden("flux-diffusers/source"), output: out + "/first", options: options,
                                             dfloat11: DFloat11CompressOptions())
        let report = try DFloat11Decompression.decompress(input: out + "/first", output: out + "/sharded",
                                                          options: options, maxShardSize: 100_000)
        XCTAssertEqual(report.weightFiles.last, "diffusion_pytorch_model.safetensors.index.json")
        XCTAssertEqual(report.weightFiles.first, "diffusion_pytorch_model-00001-of-0000\(report.weightFiles.count - 1).safetensors")
        XCTAssertGreaterThan(report.weightFiles.count, 2)
        let compressed = try DFloat11Compression.compress(input: out + "/sharded", output: out + "/release", options: options,
                                                          dfloat11: DFloat11CompressOptions())
        XCTAssertEqual(compressed.copied, [])
        for name in try FileManager.default.contentsOfDirectory(atPath: golden("flux-diffusers/official")) {
            XCTAssertEqual(FileManager.default.contents(atPath: out + "/release/" + name),
                           FileManager.default.contents(atPath: golden("flux-diffusers/official/" + name)), name)
        }
    }
}
