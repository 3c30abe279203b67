import DF11IO
@testable import DF11Kit
import DF11TestSupport
import Foundation
import XCTest

/// `df11 batch` (issue #9): discovery, formats, sharding, records, resumption.
final class BatchTests: XCTestCase {
    private var scratch = ""

    override func setUp() { scratch = makeTemporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: scratch) }

    /// The acceptance cache: bf16 Llama sharded and single-file, BERT, an F32 model, an unknown architecture and a
    /// malformed checkpoint, in a real cache layout.
    private func makeCache() throws -> String {
        let hub = scratch + "/hub"
        let cache = HubCacheBuilder(root: hub)
        try cache.add("meta/tiny-llama", fixtureDirectory: fixture("tiny-llama"))
        try cache.add("meta/llama-single", fixtureDirectory: fixture("dfloat11-golden/llama-untied/source"))
        try cache.add("google/bert-1layer", fixtureDirectory: fixture("dfloat11-golden/bert-1layer/source"))
        try cache.add("acme/f32-llama", files: ["model.safetensors": float32Llama(), "config.json": llamaConfigForF32])
        try cache.add("acme/mystery", fixtureDirectory: fixture("dfloat11-golden/llama-untied/source"),
                      config: Data(#"{"architectures":["MysteryForCausalLM"],"model_type":"mystery"}"#.utf8))
        try cache.add("acme/broken", files: [
            "model.safetensors": try Data(contentsOf: URL(fileURLWithPath: fixture("malformed/invalid-json.safetensors"))),
            "config.json": try Data(contentsOf: URL(fileURLWithPath: fixture("tiny-llama/config.json"))),
        ])
        return hub
    }

    private func byName(_ lines: [[String: Any]]) -> [String: [String: Any]] {
        var result: [String: [String: Any]] = [:]
        for line in lines where line["schema"] as? String == "df11.batch/1" { result[line["name"] as! String] = line }
        return result
    }

    func testAutoFormatOverAHubCache() throws {
        let hub = try makeCache()
        let out = scratch + "/out"
        let run = try runDF11(["batch", hub, "-o", out, "--json", "-T2", "--verify"], environment: [:])
        XCTAssertEqual(run.status, 1, run.stderr)
        let results = byName(jsonLines(run.stdout))
        XCTAssertEqual(results.count, 6, run.stdout)
        let expected: [String: (String, String?)] = [
            "meta--tiny-llama": ("converted", "dfloat11"), "meta--llama-single": ("converted", "dfloat11"),
            "google--bert-1layer": ("converted", "dfloat11"), "acme--f32-llama": ("converted", "native"),
            "acme--mystery": ("converted", "native"), "acme--broken": ("failed", nil),
        ]
        for (name, (status, format)) in expected {
            let result = try XCTUnwrap(results[name], name)
            XCTAssertEqual(result["status"] as? String, status, "\(name): \(result)")
            if let format { XCTAssertEqual(result["format"] as? String, format, name) }
        }
        XCTAssertEqual(results["acme--mystery"]?["repo"] as? String, "acme/mystery")
        XCTAssertTrue((results["acme--mystery"]?["reason"] as? String ?? "").contains("no DFloat11 preset"))
        XCTAssertFalse((results["acme--broken"]?["error"] as? String ?? "").isEmpty)
        XCTAssertEqual(results["meta--tiny-llama"]?["verified"] as? Bool, true)
        let summary = try XCTUnwrap(jsonLines(run.stdout).last)
        XCTAssertEqual(summary["schema"] as? String, "df11.batch-summary/1")
        XCTAssertEqual(summary["converted"] as? Int, 5)
        XCTAssertEqual(summary["failed"] as? Int, 1)

        // Outputs: the layouts df11 verify recognises, with their records and provenance.
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/meta--tiny-llama/config.json"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/acme--mystery/df11.index.json"))
        XCTAssertEqual(try runDF11(["verify", out + "/acme--f32-llama"]).status, 0)
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath:
            out + "/meta--llama-single.df11-batch.json"))) as! [String: Any]
        XCTAssertEqual(record["repo"] as? String, "meta/llama-single")
        let sources = record["sources"] as! [[String: Any]]
        let weights = try Data(contentsOf: URL(fileURLWithPath: fixture("dfloat11-golden/llama-untied/source/model.safetensors")))
        XCTAssertEqual(sources.first { $0["name"] as? String == "model.safetensors" }?["sha256"] as? String,
                       SHA256.hex([UInt8](weights)))
        let config = try Data(contentsOf: URL(fileURLWithPath: fixture("dfloat11-golden/llama-untied/source/config.json")))
        XCTAssertEqual(sources.first { $0["name"] as? String == "config.json" }?["sha256"] as? String,
                       SHA256.hex([UInt8](config)), "computed where the blob name is not the SHA-256")

        // A rerun: everything unchanged (the malformed one fails again); nothing rewritten.
        let before = treeContents(out)
        let again = try runDF11(["batch", hub, "-o", out, "--json", "-T2"], environment: [:])
        XCTAssertEqual(again.status, 1)
        let second = byName(jsonLines(again.stdout))
        XCTAssertEqual(second.values.filter { $0["status"] as? String == "unchanged" }.count, 5, again.stdout)
        XCTAssertEqual(treeContents(out), before)

        // Other options: redone. --format dfloat11 skips what the layout cannot hold, with the reason.
        let dfloat11 = try runDF11(["batch", hub, "-o", out, "--json", "-T2", "--format", "dfloat11",
                                    "--exclude", "acme/broken"], environment: [:])
        XCTAssertEqual(dfloat11.status, 0, dfloat11.stderr)
        let third = byName(jsonLines(dfloat11.stdout))
        XCTAssertEqual(third["acme--mystery"]?["status"] as? String, "skipped")
        XCTAssertEqual(third["meta--tiny-llama"]?["status"] as? String, "converted")
        XCTAssertNil(third["acme--broken"])
    }

    /// Provenance: `verify` and `decompress` of a batch output prove the restored files equal to the originals by
    /// the SHA-256 its record holds; a record that disagrees fails both (exit 1), and decompress leaves nothing.
    func testVerifyAndDecompressProveTheOriginalsBySHA256() throws {
        let hub = scratch + "/hub"
        let cache = HubCacheBuilder(root: hub)
        try cache.add("acme/mystery", fixtureDirectory: fixture("dfloat11-golden/llama-untied/source"),
                      config: Data(#"{"architectures":["MysteryForCausalLM"]}"#.utf8))
        try cache.add("meta/tiny-llama", fixtureDirectory: fixture("tiny-llama"))
        let out = scratch + "/out"
        let batch = try runDF11(["batch", hub, "-o", out, "-q"], environment: [:])
        XCTAssertEqual(batch.status, 0, batch.stderr)

        // The DFloat11 output: decompress writes the source's own files again and proves them by both hashes.
        let dfloat11 = try runDF11(["decompress", out + "/meta--tiny-llama", "-o", scratch + "/llama", "--json"])
        XCTAssertEqual(dfloat11.status, 0, dfloat11.stderr)
        let restored = try JSONSerialization.jsonObject(with: dfloat11.stdout) as! [String: Any]
        XCTAssertEqual(restored["originals_restored"] as? Int, 5, "\(restored)")
        XCTAssertTrue((restored["provenance"] as? String ?? "").hasPrefix("meta/tiny-llama@"), "\(restored)")
        let entry = out + "/acme--mystery"
        let recordPath = entry + ".df11-batch.json"
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: recordPath))) as! [String: Any]
        let sources = record["sources"] as! [[String: Any]]
        XCTAssertGreaterThanOrEqual(sources.count, 2)

        let verify = try runDF11(["verify", entry, "--json"])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        let report = try JSONSerialization.jsonObject(with: verify.stdout) as! [String: Any]
        XCTAssertEqual(report["sha256_checked"] as? Int, sources.count)
        XCTAssertEqual(report["provenance"] as? String, "acme/mystery@" + (record["revision"] as! String))
        let restore = try runDF11(["decompress", entry, "-o", scratch + "/restored"])
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertTrue(restore.stderr.contains("proven identical to the originals by SHA-256 (provenance: acme/mystery@"), restore.stderr)

        // The record says the weights had another SHA-256: both refuse, naming the file.
        let weights = try XCTUnwrap(sources.first { $0["name"] as? String == "model.safetensors" }?["sha256"] as? String)
        let text = try String(contentsOfFile: recordPath, encoding: .utf8)
        try text.replacingOccurrences(of: weights, with: String(repeating: "0", count: 64))
            .write(toFile: recordPath, atomically: true, encoding: .utf8)
        let tampered = try runDF11(["verify", entry])
        XCTAssertEqual(tampered.status, 1, tampered.stderr)
        XCTAssertTrue(tampered.stderr.contains("model.safetensors") && tampered.stderr.contains("SHA-256"), tampered.stderr)
        let refused = try runDF11(["decompress", entry, "-o", scratch + "/restored2"])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/restored2"))
    }

    /// The same for a single file, batched into one container (`NAME.safetensors.df11` beside its record).
    func testASingleFileOutputIsProvenBySHA256Too() throws {
        try FileManager.default.createDirectory(atPath: scratch + "/in", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture("dfloat11-golden/llama-untied/source/model.safetensors"),
                                         toPath: scratch + "/in/m.safetensors")
        let batch = try runDF11(["batch", scratch + "/in/m.safetensors", "-o", scratch + "/out", "-q", "--format", "native"],
                                environment: [:])
        XCTAssertEqual(batch.status, 0, batch.stderr)
        let container = scratch + "/out/m.safetensors.df11"
        let verify = try runDF11(["verify", container, "--json"])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        let report = try JSONSerialization.jsonObject(with: verify.stdout) as! [String: Any]
        XCTAssertEqual(report["sha256_checked"] as? Int, 1, "\(report)")
        let recordPath = scratch + "/out/m.safetensors.df11-batch.json"
        let text = try String(contentsOfFile: recordPath, encoding: .utf8)
        let hash = try XCTUnwrap(text.range(of: #"[0-9a-f]{64}"#, options: .regularExpression))
        try text.replacingCharacters(in: hash, with: String(repeating: "1", count: 64))
            .write(toFile: recordPath, atomically: true, encoding: .utf8)
        XCTAssertEqual(try runDF11(["verify", container]).status, 1)
        let refused = try runDF11(["decompress", container, "-o", scratch + "/back.safetensors"])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("SHA-256"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/back.safetensors"))
    }

    /// A directory filled by `hf download --local-dir` records each LFS file's SHA-256 in its download metadata:
    /// the batch takes it from there (no hashing) while the file is not newer than the record, else computes it.
    func testLocalDirDownloadMetadataGivesTheSHA256() throws {
        let model = scratch + "/model"
        try FileManager.default.copyItem(atPath: fixture("tiny-llama"), toPath: model)
        let metadata = model + "/.cache/huggingface/download"
        try FileManager.default.createDirectory(atPath: metadata, withIntermediateDirectories: true)
        let now = Date().timeIntervalSince1970
        let recorded = String(repeating: "ab", count: 32)
        try "0123456789abcdef0123456789abcdef01234567\n\(recorded)\n\(now + 5)\n"
            .write(toFile: metadata + "/model-00001-of-00002.safetensors.metadata", atomically: true, encoding: .utf8)
        try "0123456789abcdef0123456789abcdef01234567\n\(recorded)\n\(now - 3600)\n"   // older than the file
            .write(toFile: metadata + "/model-00002-of-00002.safetensors.metadata", atomically: true, encoding: .utf8)
        let run = try runDF11(["batch", model, "-o", scratch + "/out", "-q", "--format", "native"], environment: [:])
        XCTAssertEqual(run.status, 0, run.stderr)
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath:
            scratch + "/out/model.df11-batch.json"))) as! [String: Any]
        let hashes = Dictionary(uniqueKeysWithValues: (record["sources"] as! [[String: Any]]).map {
            ($0["name"] as! String, $0["sha256"] as! String)
        })
        XCTAssertEqual(hashes["model-00001-of-00002.safetensors"], recorded)
        let second = try Data(contentsOf: URL(fileURLWithPath: model + "/model-00002-of-00002.safetensors"))
        XCTAssertEqual(hashes["model-00002-of-00002.safetensors"], SHA256.hex([UInt8](second)))
        XCTAssertNil(hashes.keys.first { $0.hasPrefix(".cache") }, "the download metadata is not a source")
    }

    func testRepositoryIdsResolveInHFHubCacheAndHFHome() throws {
        let hub = try makeCache()
        let out = scratch + "/out"
        let run = try runDF11(["batch", "google/bert-1layer", "-o", out, "--json", "-T1"], environment: ["HF_HUB_CACHE": hub])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(byName(jsonLines(run.stdout))["google--bert-1layer"]?["status"] as? String, "converted")
        try FileManager.default.createDirectory(atPath: scratch + "/home", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: hub, toPath: scratch + "/home/hub")
        let viaHome = try runDF11(["batch", "google/bert-1layer", "nobody/none", "-o", out, "--json", "-T1"],
                                  environment: ["HF_HOME": scratch + "/home"])
        XCTAssertEqual(viaHome.status, 2, "an unknown repository id could not run")
        let results = byName(jsonLines(viaHome.stdout))
        XCTAssertEqual(results["google--bert-1layer"]?["status"] as? String, "unchanged")
        XCTAssertEqual(results["nobody--none"]?["status"] as? String, "failed")
    }

    func testListsIncludeExcludeRecursiveAndDryRun() throws {
        let zoo = scratch + "/zoo"
        let fm = FileManager.default
        try fm.createDirectory(atPath: zoo + "/team", withIntermediateDirectories: true)
        try fm.copyItem(atPath: fixture("tiny-llama"), toPath: zoo + "/team/llama")
        try fm.copyItem(atPath: fixture("dfloat11-golden/bert-1layer/source"), toPath: zoo + "/bert")
        try fm.copyItem(atPath: fixture("edge-cases.safetensors"), toPath: scratch + "/edge.safetensors")
        let list = scratch + "/list.txt"
        try "# models\n\(zoo)\n\n\(scratch)/edge.safetensors\n".write(toFile: list, atomically: true, encoding: .utf8)
        let out = scratch + "/out"
        let plain = try runDF11(["batch", "--from", list, "-o", out, "--json", "--dry-run"], environment: [:])
        XCTAssertEqual(plain.status, 2, "a directory without checkpoints needs --recursive: \(plain.stdout)")
        let dry = try runDF11(["batch", "--from", list, "-r", "-o", out, "--json", "--dry-run", "--exclude", "*bert"],
                              environment: [:])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        let planned = byName(jsonLines(dry.stdout))
        XCTAssertEqual(Set(planned.keys), ["zoo/team/llama", "edge.safetensors"])
        XCTAssertEqual(planned["zoo/team/llama"]?["status"] as? String, "planned")
        XCTAssertEqual(planned["zoo/team/llama"]?["format"] as? String, "dfloat11")
        XCTAssertGreaterThan(planned["zoo/team/llama"]?["predicted_bytes"] as? Int ?? 0, 0)
        XCTAssertFalse(fm.fileExists(atPath: out + "/zoo"), "a dry run writes nothing")
        let real = try runDF11(["batch", "--from", list, "-r", "-o", out, "--json", "--format", "native"], environment: [:])
        XCTAssertEqual(real.status, 0, real.stderr)
        XCTAssertTrue(fm.fileExists(atPath: out + "/zoo/team/llama/df11.index.json"))
        XCTAssertTrue(fm.fileExists(atPath: out + "/edge.safetensors.df11"))
        XCTAssertTrue(fm.fileExists(atPath: out + "/zoo/bert.df11-batch.json"))
    }

    /// Three shards at once, through --shard, SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX: the unsharded outputs.
    func testShardsTogetherGiveTheUnshardedOutputs() throws {
        let hub = try makeCache()
        let whole = scratch + "/whole"
        _ = try runDF11(["batch", hub, "-o", whole, "-q", "-T1"], environment: [:])
        let reference = treeContents(whole)
        XCTAssertGreaterThan(reference.count, 10)
        let ways: [(Int) -> ([String], [String: String])] = [
            { (["--shard", "\($0 + 1)/3"], [:]) },
            { ([], ["SLURM_ARRAY_TASK_ID": "\($0 + 4)", "SLURM_ARRAY_TASK_MIN": "4", "SLURM_ARRAY_TASK_MAX": "6"]) },
            { (["--shards", "3"], ["JOB_COMPLETION_INDEX": "\($0)"]) },
        ]
        for (w, way) in ways.enumerated() {
            let out = scratch + "/sharded\(w)"
            let processes = try (0..<3).map { k -> Process in
                let (arguments, environment) = way(k)
                return try startDF11(["batch", hub, "-o", out, "-T1", "--report", scratch + "/report\(w)-\(k).jsonl"]
                                     + arguments, environment: environment)
            }
            var taken = 0
            for process in processes {
                process.waitUntilExit()
                XCTAssertLessThanOrEqual(process.terminationStatus, 1)
            }
            for k in 0..<3 {
                let lines = jsonLines(try String(contentsOfFile: scratch + "/report\(w)-\(k).jsonl", encoding: .utf8))
                let summary = try XCTUnwrap(lines.last)
                XCTAssertEqual(summary["shard"] as? String, "\(k + 1)/3")
                taken += summary["checkpoints"] as? Int ?? 0
            }
            XCTAssertEqual(taken, 6, "every checkpoint exactly once")
            XCTAssertEqual(treeContents(out), reference, "way \(w)")
        }
    }

    /// SIGKILL at random moments, rerun each time: the final outputs are those of an uninterrupted run, and no
    /// temporary file is left.
    func testKilledAndRerunGivesTheSameOutputs() throws {
        let hub = try makeCache()
        try FileManager.default.removeItem(atPath: hub + "/models--acme--broken")
        let reference = scratch + "/reference"
        let started = Date()
        XCTAssertEqual(try runDF11(["batch", hub, "-o", reference, "-q", "-T2"], environment: [:]).status, 0)
        // Kills at random moments within an uninterrupted run's duration (fast or slow machine alike).
        let span = UInt32(max(20_000, Date().timeIntervalSince(started) * 800_000))
        let out = scratch + "/killed"
        var generator = SystemRandomNumberGenerator()
        var hits = 0
        for i in 0..<10 {
            // Every other run with --force: a resumed run has less left to do and may end before its kill; a forced
            // one redoes everything, so its kill lands in the middle of rewriting complete outputs.
            let process = try startDF11(["batch", hub, "-o", out, "-q", "-T2", "-j2"] + (i % 2 == 1 ? ["--force"] : []))
            usleep(UInt32.random(in: 5_000...span, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal { hits += 1 }
        }
        XCTAssertGreaterThan(hits, 3, "most kills land while the batch runs")
        let final = try runDF11(["batch", hub, "-o", out, "--json", "-T2"], environment: [:])
        XCTAssertEqual(final.status, 0, final.stderr)
        XCTAssertEqual(treeContents(out), treeContents(reference))
        let leftovers = treeContents(out).keys.filter { $0.hasSuffix(".tmp") || $0.contains(".tmp/") || $0.hasSuffix(".claim") }
        XCTAssertEqual(leftovers, [])
    }

    func testAClaimOfAnotherHostIsRespectedAndAStaleOneTakenOver() throws {
        let hub = try makeCache()
        let out = scratch + "/out"
        try FileManager.default.createDirectory(atPath: out + "/.df11-batch", withIntermediateDirectories: true)
        try "elsewhere 4242\n".write(toFile: out + "/.df11-batch/google--bert-1layer.claim", atomically: true, encoding: .utf8)
        // A pid of this host that cannot exist (above pid_max).
        try "\(FileSystem.hostName) 2147483646\n".write(toFile: out + "/.df11-batch/meta--llama-single.claim", atomically: true, encoding: .utf8)
        let run = try runDF11(["batch", hub, "-o", out, "--json", "-T2", "--include", "google/*", "--include", "meta/llama-single"],
                              environment: [:])
        XCTAssertEqual(run.status, 0, run.stderr)
        let results = byName(jsonLines(run.stdout))
        XCTAssertEqual(results["google--bert-1layer"]?["status"] as? String, "skipped")
        XCTAssertTrue((results["google--bert-1layer"]?["reason"] as? String ?? "").contains("elsewhere"))
        XCTAssertEqual(results["meta--llama-single"]?["status"] as? String, "converted")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/.df11-batch/meta--llama-single.claim"))
    }

    func testChangedInputsAreRedone() throws {
        let source = scratch + "/model"
        try FileManager.default.copyItem(atPath: fixture("dfloat11-golden/bert-1layer/source"), toPath: source)
        let out = scratch + "/out"
        XCTAssertEqual(try runDF11(["batch", source, "-o", out, "-q"], environment: [:]).status, 0)
        // Partial: the record gone (killed before it was written) → redone.
        try FileManager.default.removeItem(atPath: out + "/model.df11-batch.json")
        var run = try runDF11(["batch", source, "-o", out, "--json"], environment: [:])
        XCTAssertEqual(byName(jsonLines(run.stdout))["model"]?["status"] as? String, "converted")
        // Touched input → redone; other options → redone.
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)],
                                              ofItemAtPath: source + "/config.json")
        run = try runDF11(["batch", source, "-o", out, "--json"], environment: [:])
        XCTAssertEqual(byName(jsonLines(run.stdout))["model"]?["status"] as? String, "converted")
        run = try runDF11(["batch", source, "-o", out, "--json", "--format", "native"], environment: [:])
        XCTAssertEqual(byName(jsonLines(run.stdout))["model"]?["status"] as? String, "converted")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/model/df11.index.json"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/model/config.json.df11"))
        run = try runDF11(["batch", source, "-o", out, "--json", "--format", "native"], environment: [:])
        XCTAssertEqual(byName(jsonLines(run.stdout))["model"]?["status"] as? String, "unchanged")
        // Another level → redone, in the format that level writes (fast: 1.0).
        run = try runDF11(["batch", source, "-o", out, "--json", "--format", "native", "--level", "fast"], environment: [:])
        XCTAssertEqual(byName(jsonLines(run.stdout))["model"]?["status"] as? String, "converted")
        let container = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: out + "/model")
            .first { $0.hasSuffix(".df11") })
        XCTAssertEqual(try FileSystem.readSmallFile(out + "/model/" + container)[8], 1, "major version at level fast")
        run = try runDF11(["batch", source, "-o", out, "--json", "--format", "native", "--level", "1"], environment: [:])
        XCTAssertEqual(byName(jsonLines(run.stdout))["model"]?["status"] as? String, "unchanged")
    }

    /// A dry run predicts the size the level it is given writes (format 2.0 codes every float dtype; format 1.0
    /// only BF16 exponents): each prediction within a few percent of what that level writes, and the default
    /// level's nearer to its output than format 1.0's prediction.
    func testADryRunPredictsTheSizeOfItsLevel() throws {
        let source = scratch + "/float-dtypes.safetensors"
        try FileManager.default.copyItem(atPath: fixture("float-dtypes.safetensors"), toPath: source)
        var predicted: [String: Double] = [:], written: [String: Double] = [:]
        for level in ["fast", "default"] {
            let out = scratch + "/out-" + level
            let dry = try runDF11(["batch", source, "-o", out, "--json", "--dry-run", "--level", level], environment: [:])
            XCTAssertEqual(dry.status, 0, dry.stderr)
            predicted[level] = try XCTUnwrap(byName(jsonLines(dry.stdout))["float-dtypes.safetensors"]?["predicted_bytes"] as? Double)
            let real = try runDF11(["batch", source, "-o", out, "--json", "--level", level], environment: [:])
            XCTAssertEqual(real.status, 0, real.stderr)
            written[level] = try XCTUnwrap(byName(jsonLines(real.stdout))["float-dtypes.safetensors"]?["output_bytes"] as? Double)
            // Format 1.0's prediction leaves out what zstd gains on the other dtypes.
            XCTAssertEqual(predicted[level]!, written[level]!, accuracy: 0.05 * written[level]!, "level \(level)")
        }
        XCTAssertLessThan(abs(predicted["default"]! - written["default"]!), abs(predicted["fast"]! - written["default"]!))
    }

    func testUsageErrorsExitTwoAndTheShareIsNamed() throws {
        XCTAssertEqual(try runDF11(["batch", "-o", scratch + "/out"], environment: [:]).status, 2)
        XCTAssertEqual(try runDF11(["batch", fixture("tiny-llama"), "-o", scratch + "/out", "--shard", "4/3"],
                                   environment: [:]).status, 2)
        XCTAssertEqual(try runDF11(["batch", fixture("tiny-llama"), "-o", scratch + "/out"],
                                   environment: ["JOB_COMPLETION_INDEX": "1"]).status, 2, "no count of completions")
        let run = try runDF11(["batch", fixture("tiny-llama"), fixture("dfloat11-golden/bert-1layer/source"),
                               "-o", scratch + "/out", "--dry-run"], environment: ["JOB_COMPLETION_INDEX": "1", "DF11_SHARDS": "2"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("shard 2/2 (from JOB_COMPLETION_INDEX=1 of 2): 1 of 2 checkpoints"), run.stderr)
        XCTAssertTrue(run.stderr.contains("would convert"), run.stderr)
    }

    // Units.

    func testShardAssignmentIsBalancedDeterministicAndComplete() {
        let items = (0..<20).map { BatchItem(input: "x\($0)", name: "m\($0)", bytes: UInt64(($0 * 7919) % 1000 + 1)) }
        let shards = BatchShard.assign(items, count: 3)
        XCTAssertEqual(shards, BatchShard.assign(items.reversed().reversed(), count: 3))
        var loads = [UInt64](repeating: 0, count: 3)
        for (i, s) in shards.enumerated() { loads[s] += items[i].bytes }
        XCTAssertLessThan(loads.max()! - loads.min()!, 1000)
        let union = (1...3).flatMap { BatchShard(index: $0, count: 3, source: "").select(items).map(\.name) }
        XCTAssertEqual(union.sorted(), items.map(\.name).sorted())
    }

    func testShardFromTheEnvironment() throws {
        XCTAssertNil(try BatchShard.fromEnvironment([:], shards: nil))
        XCTAssertEqual(try BatchShard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "0",
                                                       "SLURM_ARRAY_TASK_MAX": "2"], shards: nil)?.text, "3/3")
        XCTAssertEqual(try BatchShard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4"],
                                                      shards: nil)?.text, "2/4")
        XCTAssertEqual(try BatchShard.fromEnvironment(["JOB_COMPLETION_INDEX": "0", "DF11_SHARDS": "5"], shards: nil)?.text, "1/5")
        XCTAssertEqual(try BatchShard.fromEnvironment(["JOB_COMPLETION_INDEX": "4"], shards: 5)?.text, "5/5")
        XCTAssertThrowsError(try BatchShard.fromEnvironment(["JOB_COMPLETION_INDEX": "4"], shards: nil))
        XCTAssertThrowsError(try BatchShard.fromEnvironment(["JOB_COMPLETION_INDEX": "5"], shards: 5))
        XCTAssertThrowsError(try BatchShard.parse("0/3"))
        XCTAssertEqual(try BatchShard.parse("2/3").index, 2)
    }

    func testSHA256() {
        for portable in [false, true] {
            XCTAssertEqual(SHA256.hex([], portable: portable), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
            XCTAssertEqual(SHA256.hex(Array("abc".utf8), portable: portable),
                           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
            XCTAssertEqual(SHA256.hex(Array(repeating: 0x61, count: 1_000_000), portable: portable),
                           "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        }
        var split = SHA256(portable: true)
        let bytes = (0..<1000).map { UInt8($0 % 251) }
        bytes.withUnsafeBytes { all in
            split.update(UnsafeRawBufferPointer(rebasing: all[0..<3]))
            split.update(UnsafeRawBufferPointer(rebasing: all[3..<130]))
            split.update(UnsafeRawBufferPointer(rebasing: all[130...]))
        }
        XCTAssertEqual(split.finish(), SHA256.hex(bytes))
    }

    func testMemoryBudgetLimitsJobs() throws {
        XCTAssertEqual(BatchMemory.jobs(asked: 4, threads: 4, budget: 100 << 30), 4)
        XCTAssertEqual(BatchMemory.jobs(asked: 4, threads: 4, budget: 1), 1)
        XCTAssertEqual(try BatchMemory.parse("8G"), 8 << 30)
        XCTAssertEqual(try BatchMemory.parse("512MiB"), 512 << 20)
        XCTAssertThrowsError(try BatchMemory.parse("lots"))
        XCTAssertGreaterThan(BatchMemory.available(), 0)
    }
}
