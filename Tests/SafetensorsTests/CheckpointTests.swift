import DF11TestSupport
import XCTest
import Foundation
import DF11IO
@testable import Safetensors

final class CheckpointTests: XCTestCase {
    func testShardedDirectory() throws {
        let checkpoint = try Checkpoint.open(path: fixture("tiny-llama"))
        XCTAssertEqual(checkpoint.kind, .shardedDirectory)
        XCTAssertEqual(checkpoint.weightFiles.map(\.displayPath),
                       ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        XCTAssertEqual(checkpoint.otherFiles, ["config.json", "generation_config.json"])
        XCTAssertEqual(checkpoint.index?.weightMap.count, 21)
        XCTAssertNotNil(checkpoint.index?.totalSize)
    }

    func testSingleFileStdinAndMissing() throws {
        XCTAssertEqual(try Checkpoint.open(path: fixture("edge-cases.safetensors")).kind, .file)
        XCTAssertEqual(try Checkpoint.open(path: "-").kind, .standardInput)
        XCTAssertThrowsError(try Checkpoint.open(path: fixture("nope"))) {
            XCTAssertEqual(($0 as? CheckpointError)?.code, "not-found")
            XCTAssertEqual(($0 as? CheckpointError)?.category, .couldNotRun)
        }
    }

    func testMalformedCheckpoints() {
        let expected = ["missing-shard": "missing-shard", "tensor-not-in-shard": "tensor-not-in-shard",
                        "tensor-not-in-map": "tensor-not-in-index"]
        for (folder, code) in expected {
            XCTAssertThrowsError(try Checkpoint.open(path: fixture("malformed-checkpoints/" + folder))) {
                XCTAssertEqual(($0 as? CheckpointError)?.code, code, "\(folder): \($0)")
                XCTAssertTrue("\($0)".contains("model-00001-of-00002") || "\($0)".contains("model-00002"), "\($0)")
            }
        }
    }

    func testDirectoryWithoutIndexAndHuggingFaceCache() throws {
        let manager = FileManager.default
        let root = makeTemporaryDirectory()
        defer { try? manager.removeItem(atPath: root) }
        // A plain directory of safetensors files.
        let plain = root + "/plain"
        try manager.createDirectory(atPath: plain, withIntermediateDirectories: true)
        try manager.copyItem(atPath: fixture("edge-cases.safetensors"), toPath: plain + "/b.safetensors")
        try manager.copyItem(atPath: fixture("edge-cases.safetensors"), toPath: plain + "/a.safetensors")
        try Data("{}".utf8).write(to: URL(fileURLWithPath: plain + "/config.json"))
        let directory = try Checkpoint.open(path: plain)
        XCTAssertEqual(directory.kind, .directory)
        XCTAssertEqual(directory.weightFiles.map(\.displayPath), ["a.safetensors", "b.safetensors"])
        XCTAssertEqual(directory.otherFiles, ["config.json"])

        // A Hugging Face cache: models--org--tiny/{blobs, refs/main, snapshots/<rev>/ -> ../../blobs}.
        let repo = root + "/models--org--tiny"
        let snapshot = try makeHuggingFaceCache(repo, revision: "0123abcd", from: fixture("tiny-llama"))
        for path in [snapshot, repo] {
            let cached = try Checkpoint.open(path: path)
            XCTAssertEqual(cached.kind, .huggingFaceSnapshot, path)
            XCTAssertEqual(cached.weightFiles.first?.displayPath, "model-00001-of-00002.safetensors")
            XCTAssertTrue(cached.weightFiles.allSatisfy { $0.resolvedPath.contains("/blobs/blob-") })
            XCTAssertEqual(cached.otherFiles, ["config.json", "generation_config.json"])
            XCTAssertNotNil(cached.index)
        }
    }
}
