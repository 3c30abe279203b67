import JSON
import DF11TestSupport
import DF11IO
import DF11Kit
import Foundation
import Safetensors
import XCTest

/// `df11 verify` and `df11 decompress` on DFloat11 models: the official golden outputs, and injected faults.
final class DFloat11VerifyTests: XCTestCase {
    let cases = ["bert-1layer", "llama-tied", "llama-untied"]
    let options = RunOptions(threads: 2)


    /// A copy of a golden official directory in a temporary directory.
    func copyOfficial(_ goldenCase: String = "bert-1layer") throws -> String {
        let dir = makeTemporaryDirectory()
        let target = dir + "/model"
        try FileManager.default.copyItem(atPath: golden(goldenCase + "/official"), toPath: target)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return target
    }

    /// The failure of verifying `dir`, or nil.
    func verifyFailure(_ dir: String, against: String? = nil) -> (code: String, message: String, badData: Bool)? {
        do {
            _ = try DFloat11Verification.verify(input: dir, options: options, verify: DFloat11VerifyOptions(against: against))
            return nil
        } catch {
            let failure = error as? DF11Failure
            return ((error as? CodedFailure)?.code ?? "?", failure?.description ?? "\(error)", failure?.category == .badData)
        }
    }

    // MARK: - Golden outputs

    func testOfficialOutputsVerifyWithAndWithoutSource() throws {
        for c in cases {
            for layout in ["official", "official-single"] {
                let dir = golden(c + "/" + layout)
                XCTAssertTrue(DFloat11Verification.isDFloat11Directory(dir))
                let plain = try DFloat11Verification.verify(input: dir, options: options, verify: .init())
                XCTAssertEqual(plain.blocksChecked, plain.blocks)
                XCTAssertEqual(plain.layout, layout == "official" ? "directory" : "single-file")
                let against = try DFloat11Verification.verify(input: dir, options: options,
                                                              verify: .init(against: golden(c + "/source")))
                XCTAssertGreaterThan(against.remainderCompared, 0)
                XCTAssertEqual(against.weightsChecked, against.weights)
            }
        }
        let layersOnly = try DFloat11Verification.verify(input: golden("llama-tied-layers-only/official"), options: options,
                                                         verify: .init(against: golden("llama-tied/source")))
        XCTAssertEqual(layersOnly.units.count, 2)
        // A sample decodes fewer blocks, deterministically.
        let a = try DFloat11Verification.verify(input: golden("bert-1layer/official"), options: options,
                                                verify: .init(sampleBlocks: 2, seed: 9))
        XCTAssertEqual(a.blocksChecked, 4)
        XCTAssertLessThan(a.weightsChecked, a.weights)
        let b = try DFloat11Verification.verify(input: golden("bert-1layer/official"), options: options,
                                                verify: .init(sampleBlocks: 2, seed: 9))
        XCTAssertEqual(a.weightsChecked, b.weightsChecked)
        // A source that is not this model's is caught.
        XCTAssertEqual(verifyFailure(golden("llama-untied/official"), against: golden("llama-tied/source"))?.code, "weights-differ")
    }

    /// A source holding a tensor the model lacks: listed when it is an integer buffer (transformers does not save
    /// BERT's `position_ids`), a failure when it holds real values.
    func testSourceTensorsMissingFromTheModel() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func source(_ name: String, extra: TensorDescription) throws -> String {
            let path = dir + "/" + name
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for file in ["model.safetensors", "config.json"] {
                try FileManager.default.copyItem(atPath: golden("bert-1layer/source/" + file), toPath: path + "/" + file)
            }
            let writer = try SafetensorsWriter(tensors: [extra], metadata: nil, order: .asGiven)
            let output = try AtomicOutputFile(path: path + "/extra.safetensors", overwrite: false)
            let stream = try writer.start(sink: output)
            try stream.beginTensor(extra.name)
            try [UInt8](repeating: 0, count: Int(writer.tensors[0].byteCount)).withUnsafeBytes { try stream.write($0) }
            try stream.finish()
            try output.commit()
            return path
        }
        let buffers = try source("buffers", extra: TensorDescription(name: "embeddings.position_ids", dtype: .i64, shape: [1, 512]))
        let report = try DFloat11Verification.verify(input: golden("bert-1layer/official"), options: options,
                                                     verify: .init(against: buffers))
        XCTAssertEqual(report.sourceBuffersNotInModel, ["embeddings.position_ids"])
        XCTAssertEqual(report.json["source_buffers_not_in_model"], .array([.string("embeddings.position_ids")]))
        let weights = try source("weights", extra: TensorDescription(name: "extra.dense.weight", dtype: .bf16, shape: [4, 4]))
        let failure = verifyFailure(golden("bert-1layer/official"), against: weights)
        XCTAssertEqual(failure?.code, "source-mismatch")
        XCTAssert(failure?.message.contains("'extra.dense.weight'") == true, failure?.message ?? "passed")
    }

    /// A release downloaded into the Hugging Face cache: verified and decompressed from the cache root
    /// (`models--org--name`, through `refs/main`) and from the snapshot folder, whose files link into `blobs/`.
    func testHuggingFaceCacheRelease() throws {
        let manager = FileManager.default
        let root = makeTemporaryDirectory()
        defer { try? manager.removeItem(atPath: root) }
        let repo = root + "/models--DFloat11--bert-1layer-DF11"
        let snapshot = try makeHuggingFaceCache(repo, revision: "4d5e6f", from: golden("bert-1layer/official"))
        for path in [repo, snapshot] {
            XCTAssertTrue(DFloat11Verification.isDFloat11Directory(path), path)
            let report = try DFloat11Verification.verify(input: path, options: options,
                                                         verify: .init(against: golden("bert-1layer/source")))
            XCTAssertEqual(report.weightsChecked, report.weights, path)
        }
        let restored = try DFloat11Decompression.decompress(input: repo, output: root + "/restored", options: options)
        XCTAssertEqual(restored.units, 2)
        XCTAssertEqual(contents(root + "/restored/model.safetensors"), contents(golden("bert-1layer/source/model.safetensors")))
    }

    func testDecompressGivesBackTheSourceTensors() throws {
        for c in cases {
            for layout in ["official", "official-single"] {
                let out = makeTemporaryDirectory()
                defer { try? FileManager.default.removeItem(atPath: out) }
                let report = try DFloat11Decompression.decompress(
                    input: golden(c + "/" + layout), output: out + "/m", options: options,
                    modelConfig: layout == "official" ? nil : golden(c + "/source/config.json"))
                XCTAssertGreaterThan(report.weights, 0)
                let mine = try SafetensorsFile(path: out + "/m/model.safetensors")
                let source = try SafetensorsFile(path: golden(c + "/source/model.safetensors"))
                XCTAssertEqual(mine.header.tensors.map(\.name).sorted(), source.header.tensors.map(\.name).sorted(), c)
                for info in source.header.tensors {
                    let other = try XCTUnwrap(mine.header.tensor(named: info.name))
                    XCTAssertEqual(other.shape, info.shape, info.name)
                    XCTAssertEqual(other.dtype, info.dtype, info.name)
                    var x = [UInt8](repeating: 0, count: Int(info.byteCount)), y = x
                    try x.withUnsafeMutableBytes { try source.read(tensor: info, range: 0 ..< info.byteCount, into: $0) }
                    try y.withUnsafeMutableBytes { try mine.read(tensor: other, range: 0 ..< other.byteCount, into: $0) }
                    XCTAssert(x == y, "\(c)/\(layout): \(info.name)")
                }
                // As transformers writes it: the whole file is identical.
                XCTAssertEqual(contents(out + "/m/model.safetensors"), contents(golden(c + "/source/model.safetensors")), c)
                let config = try JSONParser().parse(try FileSystem.readSmallFile(out + "/m/config.json"))
                XCTAssertNil(config["dfloat11_config"])
                XCTAssertEqual(config["hidden_size"], try JSONParser().parse(try FileSystem.readSmallFile(golden(c + "/source/config.json")))["hidden_size"])
            }
        }
    }

    /// `maxShardSize`: shards and an index that a sharded-checkpoint reader follows to the source's tensors.
    func testDecompressIntoShards() throws {
        let out = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let source = try SafetensorsFile(path: golden("llama-untied/source/model.safetensors"))
        let limit = source.header.tensors.map(\.byteCount).max()! / 2 + 1
        let report = try DFloat11Decompression.decompress(input: golden("llama-untied/official"), output: out + "/m",
                                                          options: options, maxShardSize: limit)
        XCTAssertGreaterThan(report.weightFiles.count, 2)
        XCTAssertEqual(report.weightFiles.last, Checkpoint.indexFileName)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/m/model.safetensors"))
        let checkpoint = try Checkpoint.open(path: out + "/m")
        XCTAssertEqual(checkpoint.weightFiles.count, report.weightFiles.count - 1)
        var seen = 0
        for file in checkpoint.weightFiles {
            let shard = try SafetensorsFile(path: file.resolvedPath)
            XCTAssertEqual(shard.header.metadata?.first { $0.key == "format" }?.value, "pt")
            // No shard passes the limit unless it holds one tensor that does.
            XCTAssert(shard.header.dataSectionSize <= limit || shard.header.tensors.count == 1, file.displayPath)
            for info in shard.header.tensors {
                let original = try XCTUnwrap(source.header.tensor(named: info.name))
                XCTAssertEqual(info.shape, original.shape)
                var x = [UInt8](repeating: 0, count: Int(info.byteCount)), y = x
                try x.withUnsafeMutableBytes { try source.read(tensor: original, range: 0 ..< original.byteCount, into: $0) }
                try y.withUnsafeMutableBytes { try shard.read(tensor: info, range: 0 ..< info.byteCount, into: $0) }
                XCTAssert(x == y, info.name)
                seen += 1
            }
        }
        XCTAssertEqual(seen, source.header.tensors.count)
        // With --force, a run of another layout replaces the earlier weight files instead of leaving them beside
        // its own (a single file beside shards, or the other way round, would be loaded instead).
        let forced = RunOptions(threads: 2, force: true)
        let single = try DFloat11Decompression.decompress(input: golden("llama-untied/official"), output: out + "/m",
                                                          options: forced)
        XCTAssertEqual(single.weightFiles, ["model.safetensors"])
        let left = try FileManager.default.contentsOfDirectory(atPath: out + "/m").filter { $0.hasPrefix("model") }
        XCTAssertEqual(left, ["model.safetensors"])
        _ = try DFloat11Decompression.decompress(input: golden("llama-untied/official"), output: out + "/m",
                                                 options: forced, maxShardSize: limit)
        let shards = try FileManager.default.contentsOfDirectory(atPath: out + "/m").filter { $0.hasPrefix("model") }.sorted()
        XCTAssertEqual(shards, report.weightFiles.sorted())
    }

    /// `inspect` on a DFloat11 model: its units, the weights each holds (named as decompress names them) and
    /// the sizes, from the headers and small tensors alone.
    func testInspectSummarisesTheUnits() throws {
        let report = try DFloat11Inspection.inspect(directory: golden("llama-tied/official"))
        XCTAssertEqual(report.version, "0.5.0")
        XCTAssertEqual(report.units.map(\.module), ["lm_head", "model.embed_tokens", "model.layers.0", "model.layers.1"])
        XCTAssertEqual(report.units[2].weightNames.first, "model.layers.0.self_attn.q_proj.weight")
        XCTAssertEqual(report.units[2].weightNames.count, 7)
        XCTAssertEqual(report.weights, 114_688)
        let verified = try DFloat11Verification.verify(input: golden("llama-tied/official"), options: options,
                                                       verify: DFloat11VerifyOptions())
        XCTAssertEqual(report.storedBytes, verified.storedBytes)
        XCTAssertEqual(report.units.map(\.blocks), verified.units.map(\.blocks))
        XCTAssertLessThan(report.ratio, 0.75)
        XCTAssertEqual(report.json["schema"]?.stringValue, "df11.inspect-dfloat11/1")
        XCTAssert(report.text.contains("self_attn.q_proj, self_attn.k_proj"), report.text)
    }

    func testDecompressRefusesUnknownShapesAndExistingOutput() throws {
        // The single-file layout has no model config: the shape cannot be derived.
        let out = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        XCTAssertThrowsError(try DFloat11Decompression.decompress(input: golden("bert-1layer/official-single"),
                                                                  output: out + "/m", options: options)) { error in
            XCTAssertEqual((error as? CodedFailure)?.code, "shape-unknown")
            XCTAssert("\(error)".contains("the shape of 'embeddings.word_embeddings.weight'"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/m/model.safetensors"))
        _ = try DFloat11Decompression.decompress(input: golden("bert-1layer/official"), output: out + "/n", options: options)
        XCTAssertThrowsError(try DFloat11Decompression.decompress(input: golden("bert-1layer/official"), output: out + "/n",
                                                                  options: options))
        _ = try DFloat11Decompression.decompress(input: golden("bert-1layer/official"), output: out + "/n",
                                                 options: RunOptions(threads: 1, force: true))
    }

    // MARK: - Injected faults (bert-1layer's encoder.layer.0: 10 blocks)

    let unitFile = "/encoder_layer_0.safetensors"
    let unit = "encoder.layer.0"

    func assertNamesUnitAndBlock(_ failure: (code: String, message: String, badData: Bool)?, block: Int? = nil,
                                 file: StaticString = #filePath, line: UInt = #line) {
        guard let failure else { return XCTFail("verify passed", file: file, line: line) }
        XCTAssertTrue(failure.badData, failure.message, file: file, line: line)
        let prefix = "DFloat11 unit '\(unit)', block " + (block.map { "\($0):" } ?? "")
        XCTAssert(failure.message.hasPrefix(prefix), failure.message, file: file, line: line)
    }

    func testFlippedBitstreamBits() throws {
        let dir = try copyOfficial()
        var seenDetected = false, seenSilent = false
        for bit in stride(from: 4096 * 8 * 3 + 1000, to: 4096 * 8 * 3 + 1400, by: 7) {
            try patchTensor(dir + unitFile, unit + ".encoded_exponent") { $0[bit / 8] ^= UInt8(0x80 >> (bit % 8)) }
            let plain = verifyFailure(dir)
            if plain != nil {
                assertNamesUnitAndBlock(plain, block: 3)
                seenDetected = true
            } else {
                seenSilent = true   // a code turned into another code of the same length
            }
            // With the source every flip is caught.
            let against = verifyFailure(dir, against: golden("bert-1layer/source"))
            assertNamesUnitAndBlock(against, block: 3)
            try patchTensor(dir + unitFile, unit + ".encoded_exponent") { $0[bit / 8] ^= UInt8(0x80 >> (bit % 8)) }
        }
        XCTAssertTrue(seenDetected)
        _ = seenSilent
        XCTAssertNil(verifyFailure(dir))
    }

    func testSwappedOutputPositionDeltas() throws {
        let dir = try copyOfficial()
        try patchTensor(dir + unitFile, unit + ".output_positions") { bytes in
            var p: [UInt32] = []
            for i in stride(from: 0, to: bytes.count, by: 4) {
                var v: UInt32 = 0
                for j in (0 ..< 4).reversed() { v = v << 8 | UInt32(bytes[i + j]) }
                p.append(v)
            }
            p[5] = p[4] + (p[6] - p[5])   // blocks 4 and 5 swap their deltas
            bytes = p.flatMap { v in (0 ..< 4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        }
        assertNamesUnitAndBlock(verifyFailure(dir), block: 4)
    }

    /// Issue #12, defect 7: a split moved inside the unit (still increasing, so the structure looked fine) passed
    /// verify, and decompress then exited 2 ("could not run", a shape it could not derive). Both now report bad
    /// data: the splits disagree with the sizes config.json gives the unit's weights.
    func testCorruptSplitPositionsFailVerifyAndDecompressAsBadData() throws {
        let dir = try copyOfficial()
        try patchTensor(dir + unitFile, unit + ".split_positions") { bytes in bytes[0] &+= 8 }
        let failure = verifyFailure(dir)
        XCTAssertEqual(failure?.code, "bad-tensor", "\(String(describing: failure))")
        XCTAssertEqual(failure?.badData, true)
        XCTAssert(failure?.message.contains("\(unit).split_positions") == true, "\(String(describing: failure))")
        XCTAssert(failure?.message.contains("disagree with the weights' sizes in config.json") == true, "\(String(describing: failure))")
        let out = FileSystem.directoryName(of: dir) + "/restored"
        XCTAssertThrowsError(try DFloat11Decompression.decompress(input: dir, output: out, options: options)) { error in
            XCTAssertEqual((error as? DF11Failure)?.category, .badData, "\(error)")
        }
        XCTAssertEqual(FileSystem.kind(of: out), .missing)
        let verify = try runDF11(["verify", dir])
        XCTAssertEqual(verify.status, 1, verify.stderr)
        let decompress = try runDF11(["decompress", dir, "-o", out])
        XCTAssertEqual(decompress.status, 1, decompress.stderr)
        XCTAssertEqual(FileSystem.kind(of: out), .missing)
    }

    func testChangedGap() throws {
        let dir = try copyOfficial()
        // Window 2600 is in block 5; its 5-bit field starts at bit 13000 of `gaps`.
        try patchTensor(dir + unitFile, unit + ".gaps") { $0[13000 / 8] ^= UInt8(0x80 >> (13000 % 8)) }
        let failure = verifyFailure(dir)
        assertNamesUnitAndBlock(failure, block: 5)
        XCTAssert(failure?.message.contains("window 2600") == true, failure?.message ?? "")
    }

    func testChangedReachableTableEntry() throws {
        let dir = try copyOfficial()
        let st = try SafetensorsFile(path: dir + unitFile)
        let streamInfo = st.header.tensor(named: unit + ".encoded_exponent")!
        var first: UInt8 = 0
        try withUnsafeMutableBytes(of: &first) { try st.read(tensor: streamInfo, range: 0 ..< 1, into: $0) }
        try patchTensor(dir + unitFile, unit + ".luts") { luts in
            let k = luts.count / 256 - 1
            let old = Int(luts[Int(first)])
            let lengths = luts[(k * 256)...].map { Int($0) }
            let replacement = (0 ..< 240).first { lengths[$0] > 0 && lengths[$0] <= 8 && lengths[$0] != lengths[old] }!
            luts[Int(first)] = UInt8(replacement)
        }
        assertNamesUnitAndTable(verifyFailure(dir), table: 0)
    }

    func assertNamesUnitAndTable(_ failure: (code: String, message: String, badData: Bool)?, table: Int,
                                 file: StaticString = #filePath, line: UInt = #line) {
        guard let failure else { return XCTFail("verify passed", file: file, line: line) }
        XCTAssertTrue(failure.badData, failure.message, file: file, line: line)
        XCTAssertEqual(failure.code, "bad-decode-tables", file: file, line: line)
        let prefix = "DFloat11 unit '\(unit)': invalid decode tables (luts): table \(table) "
        XCTAssert(failure.message.hasPrefix(prefix), failure.message, file: file, line: line)
    }

    /// Issue #11, point 5: one first-level entry changed to another exponent of the same code length. It decodes
    /// (to other weights) and used to pass `verify` without `--against`; the tables are no longer a prefix
    /// code's, and verify now says so, naming the unit and the table.
    func testSameLengthExponentInTheFirstTableFailsVerifyWithoutTheSource() throws {
        let dir = try copyOfficial()
        try patchTensor(dir + unitFile, unit + ".luts") { luts in
            let k = luts.count / 256 - 1
            let lengths = luts[(k * 256)...].map { Int($0) }
            let entry = (0 ..< 256).first { i in
                luts[i] < 240 && lengths[Int(luts[i])] <= 8
                    && (0 ..< 240).contains { $0 != Int(luts[i]) && lengths[$0] == lengths[Int(luts[i])] }
            }!
            let old = Int(luts[entry])
            luts[entry] = UInt8((0 ..< 240).first { $0 != old && lengths[$0] == lengths[old] }!)
        }
        assertNamesUnitAndTable(verifyFailure(dir), table: 0)
    }

    func testTruncatedTensor() throws {
        let dir = try copyOfficial()
        // Rewrite the unit file with `encoded_exponent` 100 bytes shorter (a valid safetensors file).
        let st = try SafetensorsFile(path: dir + unitFile)
        var tensors: [(TensorDescription, [UInt8])] = []
        for info in st.header.tensors {
            var bytes = [UInt8](repeating: 0, count: Int(info.byteCount))
            try bytes.withUnsafeMutableBytes { try st.read(tensor: info, range: 0 ..< info.byteCount, into: $0) }
            if info.name == unit + ".encoded_exponent" { bytes.removeLast(100) }
            tensors.append((TensorDescription(name: info.name, dtype: info.dtype, shape: info.dtype == .u8 && info.shape.count == 1 ? [bytes.count] : info.shape), bytes))
        }
        st.close()
        let writer = try SafetensorsWriter(tensors: tensors.map(\.0), metadata: nil, order: .safetensorsLibrary)
        let sink = try AtomicOutputFile(path: dir + unitFile, overwrite: true)
        let stream = try writer.start(sink: sink)
        for info in writer.tensors {
            try stream.beginTensor(info.name)
            try tensors.first { $0.0.name == info.name }!.1.withUnsafeBytes { try stream.write($0) }
        }
        try stream.finish()
        try sink.commit()
        let failure = verifyFailure(dir)
        XCTAssertEqual(failure?.badData, true)
        XCTAssert(failure?.message.hasPrefix("DFloat11 unit '\(unit)'") == true, failure?.message ?? "")
    }

    /// Found by fuzzing: names decompress would give twice (here an attribute listed twice in pattern_dict, in
    /// place of another) passed verify while decompress refused the model. verify now reports it.
    func testWeightNamesDecompressCannotUseFailVerify() throws {
        let dir = try copyOfficial("llama-untied")
        var config = try String(contentsOfFile: dir + "/config.json", encoding: .utf8)
        XCTAssert(config.contains("\"self_attn.k_proj\""), config)
        config = config.replacingOccurrences(of: "\"self_attn.k_proj\"", with: "\"self_attn.q_proj\"")
        try config.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        let failure = try XCTUnwrap(verifyFailure(dir))
        XCTAssertEqual(failure.code, "duplicate-tensor", failure.message)
        XCTAssert(failure.badData)
    }

    func testChangedSignMantissaByteNeedsTheSource() throws {
        let dir = try copyOfficial()
        try patchTensor(dir + unitFile, unit + ".sign_mantissa") { $0[50_000] ^= 0x01 }
        XCTAssertNil(verifyFailure(dir))   // the layout has no checksum
        let failure = verifyFailure(dir, against: golden("bert-1layer/source"))
        XCTAssertEqual(failure?.code, "weights-differ")
        XCTAssert(failure?.message.contains("weight 50000") == true, failure?.message ?? "")
        assertNamesUnitAndBlock(failure)
    }

    func testPickledReleaseIsRefusedWithoutReadingIt() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(#"{"dfloat11_config":{"version":"0.1.0","pattern_dict":{}}}"#.utf8).write(to: URL(fileURLWithPath: dir + "/config.json"))
        try Data([0x80, 0x02]).write(to: URL(fileURLWithPath: dir + "/pytorch_model.bin"))
        let failure = verifyFailure(dir)
        XCTAssertEqual(failure?.code, "unsupported-dfloat11")
        XCTAssertEqual(failure?.badData, false)
        XCTAssert(failure?.message.contains("never unpickles") == true, failure?.message ?? "")
    }

    // MARK: - The command line

    func testCommandLineExitStatuses() throws {
        try requireBuiltBinary()
        let ok = try runDF11(["verify", golden("llama-untied/official"), "--against", golden("llama-untied/source"), "--json"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let report = try JSONParser().parse(Array(ok.stdout))
        XCTAssertEqual(report["schema"]?.stringValue, "df11.verify-dfloat11/1.1")
        let dir = try copyOfficial()
        try patchTensor(dir + unitFile, unit + ".gaps") { $0[13000 / 8] ^= UInt8(0x80 >> (13000 % 8)) }
        let bad = try runDF11(["verify", dir])
        XCTAssertEqual(bad.status, 1)
        XCTAssert(bad.stderr.contains("DFloat11 unit 'encoder.layer.0', block 5"), bad.stderr)
        let missing = try runDF11(["verify", dir, "--against", dir + "/nothing"])
        XCTAssertEqual(missing.status, 2, missing.stderr)
        let sample = try runDF11(["verify", golden("bert-1layer/official"), "--sample", "1", "--seed", "3", "--json"])
        XCTAssertEqual(sample.status, 0, sample.stderr)
    }
}

/// Fuzzing of DFloat11 models as a property test: a random byte (or 2, 4, 8 bytes set to a boundary value)
/// anywhere in a random unit file, header included. `verify` and `decompress` must succeed or fail with a
/// typed error; they never trap (a trap fails the run), and a failed decompress leaves no output.
final class DFloat11FuzzTests: XCTestCase {
    func testCorruptUnitFilesNeverTrap() throws {
        let golden = fixture("dfloat11-golden/llama-tied/official")
        let unitFiles = try FileManager.default.contentsOfDirectory(atPath: golden)
            .filter { $0.hasSuffix(".safetensors") && $0 != "model.safetensors" }.sorted()
        XCTAssertEqual(unitFiles.count, 4)
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let boundary: [UInt64] = [0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, UInt64(Int64.max), UInt64.max]
        var rng = SplitMix64(seed: 5)
        var failed = 0
        for trial in 0..<150 {
            let model = dir + "/m\(trial)"
            try FileManager.default.copyItem(atPath: golden, toPath: model)
            let name = unitFiles[Int(rng.next() % UInt64(unitFiles.count))]
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: model + "/" + name)))
            let width = [1, 1, 2, 4, 8][Int(rng.next() % 5)]
            let at = Int(rng.next() % UInt64(bytes.count - width))
            let value = width == 1 ? rng.next() : boundary[Int(rng.next() % UInt64(boundary.count))]
            withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(at ..< at + width, with: $0.prefix(width)) }
            try Data(bytes).write(to: URL(fileURLWithPath: model + "/" + name))
            do {
                _ = try DFloat11Verification.verify(input: model, options: RunOptions(threads: 2),
                                                    verify: DFloat11VerifyOptions())
            } catch is DF11Failure {
                failed += 1
            }
            do {
                _ = try DFloat11Decompression.decompress(input: model, output: model + "-out", options: RunOptions(threads: 2))
            } catch is DF11Failure {
                XCTAssertFalse(FileManager.default.fileExists(atPath: model + "-out"), "trial \(trial): output left behind")
            }
            try? FileManager.default.removeItem(atPath: model)
            try? FileManager.default.removeItem(atPath: model + "-out")
        }
        XCTAssertGreaterThan(failed, 30)
    }
}
