import JSON
import DF11TestSupport
import DF11IO
import DF11Kit
import Foundation
import Safetensors
import XCTest

/// Issue #12, defect 1: output names derived from input data (module, tensor, shard and index names) stay one
/// plain name inside the output directory, or are refused as bad data; nothing is written outside `-o`.
final class OutputNameTests: XCTestCase {
    /// Writes `model.safetensors` with one BF16 tensor per name into a new directory `src` under `root`.
    private func checkpoint(_ names: [String], in root: String) throws -> String {
        let dir = root + "/src"
        try FileSystem.createDirectories(dir)
        let words = (0..<256).map { i -> UInt16 in UInt16(120 + i % 9) << 7 | UInt16(i % 128) }
        let bytes = words.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let writer = try SafetensorsWriter(tensors: names.map { TensorDescription(name: $0, dtype: .bf16, shape: [16, 16]) },
                                           metadata: nil, order: .safetensorsLibrary)
        let file = try AtomicOutputFile(path: dir + "/model.safetensors", overwrite: false)
        let stream = try writer.start(sink: file)
        for info in writer.tensors {
            try stream.beginTensor(info.name)
            try bytes.withUnsafeBytes { try stream.write($0) }
        }
        try stream.finish()
        try file.commit()
        return dir
    }

    /// The report's case: a tensor `/tmp/x/victim.mlp.weight` and the pattern `{".*\\.mlp": []}` made df11 write
    /// (and overwrite, without --force) `/tmp/x/victim_mlp.safetensors`.
    func testAnAbsoluteModuleNameIsRefusedAndNothingIsWrittenOutside() throws {
        let root = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let victimDirectory = root + "/x"
        try FileSystem.createDirectories(victimDirectory)
        let victim = victimDirectory + "/victim_mlp.safetensors"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        let src = try checkpoint([victimDirectory + "/victim.mlp.weight", "other.weight"], in: root)
        for single in [false, true] {
            let out = root + "/out-\(single)"
            XCTAssertThrowsError(try DFloat11Compression.compress(
                input: src, output: out, options: RunOptions(threads: 2),
                dfloat11: DFloat11CompressOptions(singleFile: single,
                                                  pattern: .dictionary(try JSONParser().parse(#"{".*\\.mlp": []}"#))))) { error in
                XCTAssertEqual(error as? UnsafeOutputName,
                               UnsafeOutputName(name: victim, origin: "the unit file of module '\(victimDirectory)/victim.mlp'"))
                XCTAssertEqual((error as? DF11Failure)?.category, .badData)
            }
            XCTAssertEqual(contents(victim), Data("precious".utf8), "the file outside -o is untouched")
            XCTAssertEqual(try FileSystem.entries(of: victimDirectory), ["victim_mlp.safetensors"])
            XCTAssertEqual(FileSystem.kind(of: out), .missing, "nothing is left behind")
        }
    }

    /// The same through the command line: exit 1 (bad data), the victim untouched.
    func testAnAbsoluteModuleNameExitsOneOnTheCommandLine() throws {
        let root = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let victim = root + "/victim_mlp.safetensors"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        let src = try checkpoint([root + "/victim.mlp.weight"], in: root)
        try Data(#"{".*\\.mlp": []}"#.utf8).write(to: URL(fileURLWithPath: root + "/pattern.json"))
        let result = try runDF11(["compress", src, "--format", "dfloat11", "--pattern", root + "/pattern.json",
                                  "-o", root + "/out"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("not a plain name inside the output directory"), result.stderr)
        XCTAssertEqual(contents(victim), Data("precious".utf8))
        XCTAssertEqual(FileSystem.kind(of: root + "/out"), .missing)
    }

    /// `..` as a module: the unit file `__.safetensors` is harmless; a module with a NUL is refused.
    func testModuleNamesWithNULOrCollisionsAreRefused() throws {
        let root = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let src = try checkpoint(["evil\u{0}.mlp.weight", "a.b.weight", "a_b.weight"], in: root)
        XCTAssertThrowsError(try DFloat11Compression.compress(
            input: src, output: root + "/out", options: RunOptions(threads: 1),
            dfloat11: DFloat11CompressOptions(pattern: .dictionary(try JSONParser().parse(#"{"evil.\\.mlp": []}"#))))) { error in
            XCTAssertEqual(error as? UnsafeOutputName,
                           UnsafeOutputName(name: "evil\u{0}_mlp.safetensors", origin: "the unit file of module 'evil\u{0}.mlp'"))
            XCTAssertTrue("\(error)".contains("evil\\u0000_mlp"), "\(error)")
        }
        // Two modules whose unit files would share a name: the second would silently replace the first.
        XCTAssertThrowsError(try DFloat11Compression.compress(
            input: src, output: root + "/out", options: RunOptions(threads: 1),
            dfloat11: DFloat11CompressOptions(pattern: .dictionary(try JSONParser().parse(#"{"a\\.b": [], "a_b": []}"#))))) { error in
            XCTAssertTrue("\(error)".contains("would replace another output file"), "\(error)")
        }
        XCTAssertEqual(FileSystem.kind(of: root + "/out"), .missing)
    }

    /// A NUL inside a df11.index.json path wrote `OUT/evil` for `"evil\u0000"`: refused as bad data.
    func testANULInADirectoryIndexPathIsRefused() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let options = RunOptions(threads: 2)
        _ = try CheckpointOperations.compress(input: fixture("tiny-llama"), output: dir + "/c", options: options)
        let manifestPath = dir + "/c/df11.index.json"
        let text = String(decoding: try FileSystem.readSmallFile(manifestPath), as: UTF8.self)
        for (target, replacement) in [("\"original\":\"model-00001-of-00002.safetensors\"", "\"original\":\"evil\\u0000\""),
                                      ("\"config.json\"", "\"evil\\u0000\""),
                                      ("\"config.json\"", "\"./config.json\""),
                                      ("\"config.json\"", "\"a//config.json\"")] {
            let changed = text.replacingOccurrences(of: target, with: replacement)
            XCTAssertNotEqual(changed, text, replacement)
            try AtomicOutputFile.write(contents: Array(changed.utf8), to: manifestPath, overwrite: true)
            XCTAssertThrowsError(try CheckpointOperations.decompress(input: dir + "/c", output: dir + "/d",
                                                                     options: options), replacement) { error in
                XCTAssertEqual((error as? DF11Failure)?.category, .badData, "\(replacement): \(error)")
                XCTAssertTrue("\(error)".contains("unsafe"), "\(error)")
            }
            XCTAssertEqual(FileSystem.kind(of: dir + "/d"), .missing)
            XCTAssertEqual(FileSystem.kind(of: dir + "/evil"), .missing)
        }
    }

    /// A shard index naming `evil\u0000.safetensors` (or `./x`, or an absolute path) is refused when opened.
    func testUnsafeShardNamesInACheckpointIndexAreRefused() throws {
        for file in ["evil\\u0000.safetensors", "./model.safetensors", "/etc/passwd", "a/../../b.safetensors"] {
            let json = Array(#"{"weight_map": {"t": "\#(file)"}}"#.utf8)
            XCTAssertThrowsError(try CheckpointIndex.parse(json, path: "index.json"), file) { error in
                XCTAssertEqual((error as? CheckpointError)?.code, "invalid-index", "\(error)")
                XCTAssertTrue("\(error)".contains("unsafe path"), "\(error)")
                XCTAssertEqual((error as? DF11Failure)?.category, .badData)
            }
        }
    }

    func testSafeNames() {
        for name in ["a", "model.safetensors", "..a", "a..", ".hidden"] { XCTAssertTrue(FileSystem.isSafeComponent(name), name) }
        for name in ["", ".", "..", "a/b", "/a", "a\u{0}"] { XCTAssertFalse(FileSystem.isSafeComponent(name), name) }
        for path in ["a/b", "tokenizer/vocab.txt"] { XCTAssertTrue(FileSystem.isSafeRelativePath(path), path) }
        for path in ["", "/a", "a/", "a//b", "./a", "a/./b", "a/../b", "..", "a\u{0}/b"] {
            XCTAssertFalse(FileSystem.isSafeRelativePath(path), path)
        }
    }
}

/// Issue #12, defect 3, through the command line: a linked secret is not copied into a compressed output
/// unless --follow-symlinks; a `self -> .` link does not nest copies; a df11 directory whose copied file links
/// outside is not decompressed from.
final class SymbolicLinkCommandTests: XCTestCase {
    func testCompressRefusesALinkedSecretAndNestsNothing() throws {
        let root = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let model = root + "/model"
        try FileManager.default.copyItem(atPath: fixture("tiny-llama"), toPath: model)
        try FileManager.default.createSymbolicLink(atPath: model + "/self", withDestinationPath: ".")
        try Data("secret".utf8).write(to: URL(fileURLWithPath: root + "/secret.txt"))
        try FileManager.default.createSymbolicLink(atPath: model + "/notes.txt", withDestinationPath: root + "/secret.txt")
        for format in [[], ["--format", "dfloat11"]] {
            let refused = try runDF11(["compress", model, "-o", root + "/out"] + format)
            XCTAssertEqual(refused.status, 2, refused.stderr)
            XCTAssertTrue(refused.stderr.contains("--follow-symlinks"), refused.stderr)
            XCTAssertEqual(FileSystem.kind(of: root + "/out"), .missing)
        }
        let followed = try runDF11(["compress", model, "-o", root + "/out", "--follow-symlinks", "--quiet"])
        XCTAssertEqual(followed.status, 0, followed.stderr)
        XCTAssertEqual(contents(root + "/out/notes.txt"), Data("secret".utf8))
        XCTAssertEqual(FileSystem.kind(of: root + "/out/self"), .missing, "no nested copy")
        // A df11 directory whose copied file is made a link to a file outside it.
        try FileManager.default.removeItem(atPath: root + "/out/notes.txt")
        try FileManager.default.createSymbolicLink(atPath: root + "/out/notes.txt", withDestinationPath: root + "/secret.txt")
        let decompress = try runDF11(["decompress", root + "/out", "-o", root + "/restored"])
        XCTAssertEqual(decompress.status, 2, decompress.stderr)
        XCTAssertTrue(decompress.stderr.contains("--follow-symlinks"), decompress.stderr)
        XCTAssertEqual(FileSystem.kind(of: root + "/restored"), .missing)
    }

    /// Compressing from a Hugging Face cache path (a README claim): the cache root and its snapshot.
    func testCompressFromAHuggingFaceCachePath() throws {
        let root = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let repo = root + "/models--org--tiny"
        let snapshot = repo + "/snapshots/rev1"
        for dir in [repo + "/blobs", snapshot, repo + "/refs"] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        try Data("rev1\n".utf8).write(to: URL(fileURLWithPath: repo + "/refs/main"))
        for name in try FileManager.default.contentsOfDirectory(atPath: fixture("tiny-llama")) {
            try FileManager.default.copyItem(atPath: fixture("tiny-llama/" + name), toPath: repo + "/blobs/h-" + name)
            try FileManager.default.createSymbolicLink(atPath: snapshot + "/" + name, withDestinationPath: "../../blobs/h-" + name)
        }
        for (input, out) in [(repo, root + "/a"), (snapshot, root + "/b")] {
            let result = try runDF11(["compress", input, "-o", out, "--quiet"])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(try runDF11(["verify", out]).status, 0)
            let restored = try runDF11(["decompress", out, "-o", out + "-restored", "--quiet"])
            XCTAssertEqual(restored.status, 0, restored.stderr)
            for name in try FileManager.default.contentsOfDirectory(atPath: fixture("tiny-llama")) {
                XCTAssertEqual(contents(out + "-restored/" + name), contents(fixture("tiny-llama/" + name)), name)
            }
        }
    }
}
