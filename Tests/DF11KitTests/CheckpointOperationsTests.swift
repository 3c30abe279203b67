import DF11TestSupport
import DF11Container
import DF11IO
import DF11Kit
import Foundation
import XCTest

final class CheckpointOperationsTests: XCTestCase {
    func testDirectoryRoundTripRestoresEveryFile() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let options = RunOptions(threads: 2)
        let compressed = try CheckpointOperations.compress(input: fixture("tiny-llama"), output: dir + "/c",
                                                           options: options)
        XCTAssertEqual(compressed.files.count, 2)
        XCTAssertEqual(Set(compressed.copied),
                       ["config.json", "generation_config.json", "model.safetensors.index.json"])
        XCTAssertLessThan(compressed.ratio, 0.75)
        _ = try CheckpointOperations.verify(input: dir + "/c", options: options)
        _ = try CheckpointOperations.decompress(input: dir + "/c", output: dir + "/d", options: options)
        for name in try FileManager.default.contentsOfDirectory(atPath: fixture("tiny-llama")) {
            XCTAssertEqual(contents(dir + "/d/" + name), contents(fixture("tiny-llama/" + name)), name)
        }
        let listing = try ContainerListing.list(path: dir + "/c")
        XCTAssertEqual(listing.entries.count, 21)
    }

    /// The container operations, called as a library on a DFloat11 model, point to the DFloat11 ones.
    func testDFloat11DirectoriesAreSentToTheirOwnOperations() throws {
        let model = fixture("dfloat11-golden/bert-1layer/official")
        for attempt in [{ _ = try CheckpointOperations.verify(input: model, options: RunOptions(threads: 1)) },
                        { _ = try CheckpointOperations.decompress(input: model, output: makeTemporaryDirectory() + "/x",
                                                                  options: RunOptions(threads: 1)) }] {
            XCTAssertThrowsError(try attempt()) { error in
                XCTAssert("\(error)".contains("is a DFloat11 model"), "\(error)")
                XCTAssert("\(error)".contains("DFloat11Verification.verify"), "\(error)")
            }
        }
    }

    func testExistingOutputsAreKeptWithoutForce() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let output = dir + "/x.df11"
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: output))
        XCTAssertThrowsError(try ContainerOperations.compress(input: fixture("edge-cases.safetensors"), output: output,
                                                              options: RunOptions(threads: 1))) { error in
            XCTAssertEqual((error as? DF11Failure)?.category, .couldNotRun)
            XCTAssertTrue("\(error)".contains("--force"), "\(error)")
        }
        XCTAssertEqual(contents(output), Data("keep me".utf8))
        _ = try ContainerOperations.compress(input: fixture("edge-cases.safetensors"), output: output,
                                             options: RunOptions(threads: 1, force: true))
        XCTAssertNotEqual(contents(output), Data("keep me".utf8))
    }

    func testACorruptContainerLeavesNoOutputBehind() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let container = dir + "/m.df11"
        _ = try ContainerOperations.compress(input: fixture("tiny-llama/model-00001-of-00002.safetensors"),
                                             output: container, options: RunOptions(threads: 2))
        var bytes = try XCTUnwrap(contents(container))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: container))
        XCTAssertThrowsError(try ContainerOperations.decompress(input: container, output: dir + "/out.safetensors",
                                                                options: RunOptions(threads: 2))) { error in
            XCTAssertEqual((error as? DF11Failure)?.category, .badData)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["m.df11"])
    }

    /// A directory decompress that fails half-way removes the output directory it created.
    func testAFailedDirectoryRunRemovesTheDirectoryItCreated() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try CheckpointOperations.compress(input: fixture("tiny-llama"), output: dir + "/c", options: RunOptions(threads: 2))
        // Corrupt the second shard's container: the first shard is restored before the failure.
        let second = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: dir + "/c")
            .filter { $0.hasSuffix(".df11") }.sorted().last)
        var bytes = try XCTUnwrap(contents(dir + "/c/" + second))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: dir + "/c/" + second))
        XCTAssertThrowsError(try CheckpointOperations.decompress(input: dir + "/c", output: dir + "/d",
                                                                 options: RunOptions(threads: 2)))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/d"))
        // A directory that existed before is kept (with --force, what was restored stays: it is not ours to drop).
        try FileManager.default.createDirectory(atPath: dir + "/e", withIntermediateDirectories: false)
        XCTAssertThrowsError(try CheckpointOperations.decompress(input: dir + "/c", output: dir + "/e",
                                                                 options: RunOptions(threads: 2, force: true)))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/e"))
    }

    /// Found by fuzzing: an output directory inside its input was copied into the next run's output as one of
    /// the input's "other files" (out/out/…, one level deeper each run). Each command, run twice.
    func testAnOutputInsideItsInputIsNotCopiedIntoItself() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let options = RunOptions(threads: 2, force: true)
        func freshSource(_ name: String) throws -> String {
            try FileManager.default.copyItem(atPath: fixture("dfloat11-golden/llama-tied/source"), toPath: dir + "/" + name)
            return dir + "/" + name
        }
        let a = try freshSource("a"), b = try freshSource("b")
        let model = dir + "/model"
        try FileManager.default.copyItem(atPath: fixture("dfloat11-golden/llama-tied/official"), toPath: model)
        for _ in 0..<2 {
            let container = try CheckpointOperations.compress(input: a, output: a + "/out", options: options)
            XCTAssertEqual(Set(container.copied), ["config.json", "generation_config.json"])
            let dfloat11 = try DFloat11Compression.compress(input: b, output: b + "/out", options: options,
                                                            dfloat11: DFloat11CompressOptions())
            XCTAssertEqual(Set(dfloat11.copied), ["generation_config.json"])
            let restored = try DFloat11Decompression.decompress(input: model, output: model + "/out", options: options)
            XCTAssertEqual(Set(restored.copied), ["generation_config.json"])
        }
        for root in [a, b, model] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/out/out"), root)
        }
    }

    /// Found by fuzzing: a tampered df11.index.json (a file listed twice, an original that is also a copied
    /// file, a weight map into no container, a newer major version) passed verify, and decompress wrote one file
    /// twice. Each is now refused as bad data.
    func testInconsistentDirectoryIndexesAreRefused() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let options = RunOptions(threads: 2)
        _ = try CheckpointOperations.compress(input: fixture("tiny-llama"), output: dir + "/c", options: options)
        let manifestPath = dir + "/c/df11.index.json"
        let good = try FileSystem.readSmallFile(manifestPath)
        let text = String(decoding: good, as: UTF8.self)
        let firstOriginal = "\"original\":\"model-00001-of-00002.safetensors\""
        XCTAssert(text.contains(firstOriginal), text)
        let tampered: [(String, String, String)] = [
            ("duplicate original", firstOriginal.replacingOccurrences(of: "00001", with: "XXXXX"), firstOriginal),
            ("original is a copied file", "\"original\":\"config.json\"", firstOriginal),
            ("newer major version", "\"version\":\"2.0\"", "\"version\":\"1.0\""),
        ]
        for (name, replacement, target) in tampered {
            var changed = text.replacingOccurrences(of: target, with: replacement)
            if name == "duplicate original" {   // both entries name the second shard
                changed = text.replacingOccurrences(of: "model-00001-of-00002.safetensors\"",
                                                    with: "model-00002-of-00002.safetensors\"")
            }
            XCTAssertNotEqual(changed, text, name)
            try AtomicOutputFile.write(contents: Array(changed.utf8), to: manifestPath, overwrite: true)
            XCTAssertThrowsError(try CheckpointOperations.verify(input: dir + "/c", options: options), name) { error in
                XCTAssertEqual((error as? DF11Failure)?.category, .badData, "\(name): \(error)")
            }
        }
        try AtomicOutputFile.write(contents: good, to: manifestPath, overwrite: true)
        _ = try CheckpointOperations.verify(input: dir + "/c", options: options)
    }

    func testRefusesToWriteOverItsInput() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/a.safetensors"
        try FileManager.default.copyItem(atPath: fixture("edge-cases.safetensors"), toPath: input)
        XCTAssertThrowsError(try ContainerOperations.compress(input: input, output: input,
                                                              options: RunOptions(threads: 1, force: true)))
        XCTAssertEqual(contents(input), contents(fixture("edge-cases.safetensors")))
    }
}
