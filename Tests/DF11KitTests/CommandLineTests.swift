import JSON
import DF11TestSupport
import Foundation
import Safetensors
import XCTest

/// The df11 binary as users run it: exit statuses, pipes, JSON.
final class CommandLineTests: XCTestCase {
    override func setUpWithError() throws { try requireBuiltBinary() }

    func testInspectThroughAPipeEqualsInspectByPath() throws {
        let path = fixture("tiny-llama/model-00002-of-00002.safetensors")
        let byPath = try runDF11(["inspect", path, "--json"])
        let byPipe = try runDF11(["inspect", "-", "--json"], input: contents(path))
        XCTAssertEqual(byPath.status, 0, byPath.stderr)
        XCTAssertEqual(byPipe.status, 0, byPipe.stderr)
        let a = try JSONParser().parse(Array(byPath.stdout)), b = try JSONParser().parse(Array(byPipe.stdout))
        XCTAssertEqual(a["tensors"]?.elements?.count, b["tensors"]?.elements?.count)
        XCTAssertEqual(a["totals"], b["totals"])
        // Same tensors and statistics; only the file name differs.
        for (x, y) in zip(a["tensors"]!.elements!, b["tensors"]!.elements!) {
            XCTAssertEqual(x["name"], y["name"])
            XCTAssertEqual(x["bf16"], y["bf16"])
        }
    }

    func testPipelineRoundTrip() throws {
        let original = try XCTUnwrap(contents(fixture("tiny-llama/model-00001-of-00002.safetensors")))
        let compressed = try runDF11(["compress", "-", "-o", "-", "--quiet"], input: original)
        XCTAssertEqual(compressed.status, 0, compressed.stderr)
        let restored = try runDF11(["decompress", "-", "-o", "-", "--quiet"], input: compressed.stdout)
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertEqual(restored.stdout, original)
    }

    func testExitStatuses() throws {
        let missing = try runDF11(["verify", "/no/such/file.df11"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("No such file"), missing.stderr)

        let notContainer = try runDF11(["verify", fixture("edge-cases.safetensors"), "--json"])
        XCTAssertEqual(notContainer.status, 1)
        let error = try JSONParser().parse(Array(notContainer.stdout))
        XCTAssertEqual(error["code"]?.stringValue, "not-a-container")
        XCTAssertEqual(error["category"]?.stringValue, "bad-data")

        let malformed = try runDF11(["inspect", fixture("malformed/offsets-overlap.safetensors")])
        XCTAssertEqual(malformed.status, 1)
        XCTAssertTrue(malformed.stderr.contains("offsets-overlap.safetensors"), malformed.stderr)

        // Argument errors exit 2 as documented (ArgumentParser's own status would be 64).
        for arguments in [["compress", "x.safetensors", "--threads", "-1"], ["verify", "x", "--sample", "0"],
                          ["verify", "x", "--bogus"], ["nosuchcommand"], ["compress", "x", "--format", "bogus"],
                          ["verify", "x", "--sample", "-1"], ["cat", "x", "t", "--threads", "100000"]] {
            let badArgument = try runDF11(arguments)
            XCTAssertEqual(badArgument.status, 2, "\(arguments)")
            XCTAssertFalse(badArgument.stderr.isEmpty, "\(arguments)")
        }
        let badJSON = try runDF11(["verify", "x", "--sample", "0", "--json"])
        XCTAssertEqual(badJSON.status, 2)
        XCTAssertEqual(try JSONParser().parse(Array(badJSON.stdout))["message"]?.stringValue, "--sample must be at least 1")
        XCTAssertEqual(try runDF11(["--version"]).status, 0)
        XCTAssertEqual(try runDF11(["verify", "--help"]).status, 0)

        let badSize = try runDF11(["decompress", fixture("dfloat11-golden/bert-1layer/official"), "-o", "/nonexistent/x",
                                   "--max-shard-size", "5XB"])
        XCTAssertEqual(badSize.status, 2)
        XCTAssertTrue(badSize.stderr.contains("is not a size"), badSize.stderr)
        let shardContainer = try runDF11(["decompress", "x.df11", "-o", "y", "--max-shard-size", "5GB"])
        XCTAssertEqual(shardContainer.status, 2)
        XCTAssertTrue(shardContainer.stderr.contains("DFloat11 model directories only"), shardContainer.stderr)
    }

    func testCatWritesTheOriginalTensorBytes() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = fixture("edge-cases.safetensors")
        XCTAssertEqual(try runDF11(["compress", path, "-o", dir + "/e.df11", "--quiet"]).status, 0)
        let cat = try runDF11(["cat", dir + "/e.df11", "weights"])
        XCTAssertEqual(cat.status, 0, cat.stderr)
        let file = try SafetensorsFile(path: path)
        let tensor = try XCTUnwrap(file.header.tensor(named: "weights"))
        var expected = [UInt8](repeating: 0, count: Int(tensor.byteCount))
        try expected.withUnsafeMutableBytes { try file.read(tensor: tensor, range: 0..<tensor.byteCount, into: $0) }
        XCTAssertEqual(Array(cat.stdout), expected)
        let ls = try runDF11(["ls", dir + "/e.df11", "--json"])
        XCTAssertEqual(try JSONParser().parse(Array(ls.stdout))["tensors"]?.elements?.count, 8)
    }

    /// `df11 compress - -o DIR/out.df11` fed half a header and left waiting for the rest, with its temporary
    /// output open in `dir`; returns the process and its standard error.
    func startWaitingCompress(in dir: String) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = df11Binary
        process.arguments = ["compress", "-", "-o", dir + "/out.df11", "--quiet"]
        let input = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data([0x40, 0, 0, 0]))
        var waited = 0
        while (try FileManager.default.contentsOfDirectory(atPath: dir)).isEmpty && waited < 100 {
            usleep(20_000)
            waited += 1
        }
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "no temporary file appeared")
        return (process, errors)
    }

    func testInterruptionLeavesNoTemporaryFiles() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (process, _) = try startWaitingCompress(in: dir)
        process.interrupt()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    /// SIGBUS (a mapped input truncated by another process; sent here by `kill`) is reported and cleaned up.
    func testInputTruncatedUnderAMappingIsAClearErrorAndLeavesNothing() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (process, errors) = try startWaitingCompress(in: dir)
        kill(process.processIdentifier, SIGBUS)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 1)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssert(message.contains("truncated or replaced while df11 was reading it"), message)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    func testFullDiskIsAClearErrorAndLeavesNothing() throws {
        let dir = makeTemporaryDirectory()
        defer {
            _ = try? status("/bin/umount", [dir])
            try? FileManager.default.removeItem(atPath: dir)
        }
        // A 64 kB file system where mounting is allowed; elsewhere a 64 kB file-size limit (`ulimit -f`, with
        // SIGXFSZ ignored so that the write fails with EFBIG): either way the test runs, never skips.
        let mounted = try status("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir])
        let input = fixture("tiny-llama/model-00001-of-00002.safetensors")
        if mounted == 0 {
            let result = try runDF11(["compress", input, "-o", dir + "/x.df11"])
            XCTAssertEqual(result.status, 2)
            XCTAssertTrue(result.stderr.contains("disk full"), result.stderr)
        } else {
            let run = try runProgram(URL(fileURLWithPath: "/bin/sh"),
                                     ["-c", "trap '' XFSZ; ulimit -f 64; exec \"$0\" compress \"$1\" -o \"$2\"",
                                      df11Binary.path, input, dir + "/x.df11"])
            XCTAssertEqual(run.status, 2, run.stderr)
            XCTAssertTrue(run.stderr.contains("x.df11"), run.stderr)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    /// The exit status of the program at `path`, or -1 where it does not exist.
    private func status(_ path: String, _ arguments: [String]) throws -> Int32 {
        guard FileManager.default.isExecutableFile(atPath: path) else { return -1 }
        return try runProgram(URL(fileURLWithPath: path), arguments).status
    }
}
