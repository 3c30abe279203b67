import DF11TestSupport
import XCTest
import Foundation
import DF11IO
@testable import Safetensors

/// Issue #12, defect 3: symbolic links inside a checkpoint directory. Before: `self -> .` listed ~40 nested
/// copies of every file, two such links ran without bound, a link to `/` walked the file system, and a link
/// to a file outside the tree was listed (then copied into the output).
final class CheckpointLinkTests: XCTestCase {
    private var root = ""
    private let manager = FileManager.default

    override func setUpWithError() throws {
        root = makeTemporaryDirectory()
        try manager.createDirectory(atPath: root + "/model", withIntermediateDirectories: true)
        try manager.copyItem(atPath: fixture("edge-cases.safetensors"), toPath: root + "/model/model.safetensors")
        try Data("{}".utf8).write(to: URL(fileURLWithPath: root + "/model/config.json"))
    }

    override func tearDown() { try? manager.removeItem(atPath: root) }

    func testLinkedDirectoriesAreNeverEntered() throws {
        try manager.createSymbolicLink(atPath: root + "/model/self", withDestinationPath: ".")
        try manager.createSymbolicLink(atPath: root + "/model/again", withDestinationPath: root + "/model")
        try manager.createSymbolicLink(atPath: root + "/model/everything", withDestinationPath: "/")
        try manager.createDirectory(atPath: root + "/model/tokenizer", withIntermediateDirectories: true)
        try Data("v".utf8).write(to: URL(fileURLWithPath: root + "/model/tokenizer/vocab.txt"))
        let start = Date()
        let checkpoint = try Checkpoint.open(path: root + "/model")
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
        XCTAssertEqual(checkpoint.weightFiles.map(\.displayPath), ["model.safetensors"])
        XCTAssertEqual(checkpoint.otherFiles, ["config.json", "tokenizer/vocab.txt"], "real subdirectories still count")
    }

    func testALinkedFileOutsideTheCheckpointIsRefusedUnlessAsked() throws {
        try Data("secret".utf8).write(to: URL(fileURLWithPath: root + "/secret.txt"))
        try manager.createSymbolicLink(atPath: root + "/model/notes.txt", withDestinationPath: root + "/secret.txt")
        let resolvedSecret = try FileSystem.resolve(root + "/secret.txt")
        XCTAssertThrowsError(try Checkpoint.open(path: root + "/model")) { error in
            XCTAssertEqual(error as? CheckpointError,
                           CheckpointError(path: root + "/model/notes.txt", problem: .linkOutside(target: resolvedSecret)))
            XCTAssertEqual((error as? DF11Failure)?.category, .couldNotRun)
            XCTAssertTrue("\(error)".contains("--follow-symlinks"), "\(error)")
        }
        let followed = try Checkpoint.open(path: root + "/model", followSymlinks: true)
        XCTAssertEqual(followed.otherFiles, ["config.json", "notes.txt"])
    }

    func testALinkedFileInsideTheCheckpointIsFine() throws {
        try manager.createDirectory(atPath: root + "/model/extra", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/model/extra/a.txt"))
        try manager.createSymbolicLink(atPath: root + "/model/a.txt", withDestinationPath: "extra/a.txt")
        XCTAssertEqual(try Checkpoint.open(path: root + "/model").otherFiles, ["a.txt", "config.json", "extra/a.txt"])
    }

    /// A weight file named by a shard index that resolves outside the checkpoint is refused too.
    func testAnIndexedShardOutsideTheCheckpointIsRefused() throws {
        try manager.moveItem(atPath: root + "/model/model.safetensors", toPath: root + "/elsewhere.safetensors")
        try manager.createSymbolicLink(atPath: root + "/model/model-00001-of-00001.safetensors",
                                       withDestinationPath: root + "/elsewhere.safetensors")
        let header = try SafetensorsFile(path: root + "/elsewhere.safetensors").header
        let map = header.tensors.map { "\"\($0.name)\": \"model-00001-of-00001.safetensors\"" }.joined(separator: ", ")
        try Data("{\"weight_map\": {\(map)}}".utf8).write(to: URL(fileURLWithPath: root + "/model/model.safetensors.index.json"))
        XCTAssertThrowsError(try Checkpoint.open(path: root + "/model")) { error in
            XCTAssertEqual((error as? CheckpointError)?.code, "link-outside", "\(error)")
        }
        XCTAssertEqual(try Checkpoint.open(path: root + "/model", followSymlinks: true).kind, .shardedDirectory)
    }

    /// A real Hugging Face cache layout: snapshot entries link into the repository's own `blobs/`, as
    /// huggingface-cli writes them (relative links `../../blobs/<hash>`). Opened by the cache root and by the
    /// snapshot folder; a snapshot link out of the repository is still refused.
    func testHuggingFaceSnapshotLinksIntoItsBlobsWork() throws {
        let repo = root + "/hub/models--org--name"
        let snapshot = repo + "/snapshots/0123abcd"
        for dir in [repo + "/blobs", snapshot + "/tokenizer", repo + "/refs"] {
            try manager.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        try manager.copyItem(atPath: fixture("edge-cases.safetensors"), toPath: repo + "/blobs/aaaa")
        try Data("{}".utf8).write(to: URL(fileURLWithPath: repo + "/blobs/bbbb"))
        try Data("vocab".utf8).write(to: URL(fileURLWithPath: repo + "/blobs/cccc"))
        try Data("0123abcd".utf8).write(to: URL(fileURLWithPath: repo + "/refs/main"))
        try manager.createSymbolicLink(atPath: snapshot + "/model.safetensors", withDestinationPath: "../../blobs/aaaa")
        try manager.createSymbolicLink(atPath: snapshot + "/config.json", withDestinationPath: "../../blobs/bbbb")
        try manager.createSymbolicLink(atPath: snapshot + "/tokenizer/vocab.txt", withDestinationPath: "../../../blobs/cccc")
        for path in [repo, snapshot] {
            let checkpoint = try Checkpoint.open(path: path)
            XCTAssertEqual(checkpoint.kind, .huggingFaceSnapshot)
            XCTAssertEqual(checkpoint.weightFiles.map(\.displayPath), ["model.safetensors"])
            XCTAssertEqual(checkpoint.weightFiles.first?.resolvedPath, try FileSystem.resolve(repo + "/blobs/aaaa"))
            XCTAssertEqual(checkpoint.otherFiles, ["config.json", "tokenizer/vocab.txt"])
        }
        try Data("secret".utf8).write(to: URL(fileURLWithPath: root + "/secret.txt"))
        try manager.createSymbolicLink(atPath: snapshot + "/notes.txt", withDestinationPath: root + "/secret.txt")
        XCTAssertThrowsError(try Checkpoint.open(path: repo)) { error in
            XCTAssertEqual((error as? CheckpointError)?.code, "link-outside", "\(error)")
        }
    }
}
