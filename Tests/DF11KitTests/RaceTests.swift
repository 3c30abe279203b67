import DF11TestSupport
import DF11IO
import DF11Kit
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Issue #12, defects 2 and 6: concurrent runs into one new output, stale temporary files, early signals.
final class RaceTests: XCTestCase {
    /// Starts `count` df11 processes with `arguments` at once; returns each one's exit status and standard error.
    private func race(_ count: Int, _ arguments: [String]) throws -> [(status: Int32, stderr: String)] {
        var processes: [(Process, Pipe)] = []
        for _ in 0..<count {
            let process = Process()
            process.executableURL = df11Binary
            process.arguments = arguments
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            processes.append((process, errors))
        }
        for (process, _) in processes { try process.run() }
        return processes.map { process, errors in
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, message)
        }
    }

    /// Exactly one winner; every loser exits 2 naming the output and --force; the winner's output verifies and
    /// nothing else is left beside it.
    private func assertOneWinner(_ results: [(status: Int32, stderr: String)], output: String, root: String,
                                 file: StaticString = #filePath, line: UInt = #line) throws {
        let statuses = results.map(\.status)
        XCTAssertEqual(statuses.filter { $0 == 0 }.count, 1, "\(results)", file: file, line: line)
        for result in results where result.status != 0 {
            XCTAssertEqual(result.status, 2, result.stderr, file: file, line: line)
            XCTAssertTrue(result.stderr.contains(output), result.stderr, file: file, line: line)
            XCTAssertTrue(result.stderr.contains("--force"), result.stderr, file: file, line: line)
        }
        let verified = try runDF11(["verify", output])
        XCTAssertEqual(verified.status, 0, "the winner's output: \(verified.stderr)", file: file, line: line)
        let left = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasPrefix(".") }
        XCTAssertEqual(left, [], "temporary files left behind", file: file, line: line)
    }

    /// Before: both runs saw OUT missing and claimed it; the loser removed the whole directory while the winner
    /// exited 0 (native 2 of 40 races, DFloat11 11 of 40).
    func testConcurrentDirectoryRunsNeverDeleteTheWinnersOutput() throws {
        for round in 0..<3 {
            let root = makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: root) }
            let output = root + "/out"
            try assertOneWinner(try race(5, ["compress", fixture("tiny-llama"), "-o", output, "--quiet"]),
                                output: output, root: root)
            let dfloat11 = root + "/out-df11"
            let results = try race(5, ["compress", fixture("dfloat11-golden/bert-1layer/source"), "--format", "dfloat11",
                                       "-o", dfloat11, "--quiet"])
            try assertOneWinner(results, output: dfloat11, root: root)
            let hidden = try FileManager.default.contentsOfDirectory(atPath: dfloat11).filter { $0.hasPrefix(".") }
            XCTAssertEqual(hidden, [], "round \(round): staging left in the output")
        }
    }

    /// One new file: the no-overwrite move is atomic (before, a stat then a rename: two runs could both "win",
    /// the second silently replacing the first's file).
    func testConcurrentSingleFileRunsHaveExactlyOneWinner() throws {
        for _ in 0..<4 {
            let root = makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: root) }
            let output = root + "/x.df11"
            try assertOneWinner(try race(6, ["compress", fixture("edge-cases.safetensors"), "-o", output, "--quiet"]),
                                output: output, root: root)
        }
    }

    func testTheNoReplaceMoveRefusesAnExistingTarget() throws {
        let root = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("a".utf8).write(to: URL(fileURLWithPath: root + "/a"))
        try Data("b".utf8).write(to: URL(fileURLWithPath: root + "/b"))
        XCTAssertEqual(FileSystem.renameWithoutReplacing(root + "/a", to: root + "/b"), EEXIST)
        XCTAssertEqual(contents(root + "/b"), Data("b".utf8))
        XCTAssertEqual(FileSystem.renameWithoutReplacing(root + "/a", to: root + "/c"), 0)
        XCTAssertEqual(contents(root + "/c"), Data("a".utf8))
        try FileSystem.createDirectories(root + "/d1")
        try FileSystem.createDirectories(root + "/d2/x")
        XCTAssertEqual(FileSystem.renameWithoutReplacing(root + "/d1", to: root + "/d2"), EEXIST)
        XCTAssertEqual(FileSystem.kind(of: root + "/d2/x"), .directory)
    }

    /// Before: a killed run's temporary files and staging directories (hidden, up to 172 MB) survived every later
    /// run. Now a run writing into a directory removes those of dead processes of this host, and only those.
    func testStaleTemporaryFilesOfDeadProcessesAreRemoved() throws {
        let root = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        let deadPID = dead.processIdentifier
        let host = FileSystem.hostName
        let stale = [".x.df11.df11-\(host)-\(deadPID)-1a2b.tmp", ".out.df11-\(host)-\(deadPID)-ff.tmp"]
        let kept = [".y.df11.df11-\(host)-1-1a2b.tmp",                        // a live process (init)
                    ".y.df11.df11-otherhost-\(deadPID)-1a2b.tmp",             // another host's
                    ".y.df11.df11-\(host)-\(getpid())-1a2b.tmp",               // this process's own
                    ".y.df11.df11-1a2b.tmp", "z.df11-\(host)-\(deadPID)-1a2b.tmp", ".keep.tmp"]
        for name in stale + kept { try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/" + name)) }
        try FileSystem.createDirectories(root + "/.staged.df11-\(host)-\(deadPID)-c0ffee.tmp/sub")
        let result = try runDF11(["compress", fixture("edge-cases.safetensors"), "-o", root + "/e.df11", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: root))
        XCTAssertEqual(left, Set(kept + ["e.df11"]))
    }

    /// Before: the handlers were installed after SIGINT was set to be ignored, so an interrupt in the first
    /// milliseconds was lost and the run went on. Now every early SIGINT ends the run (130, or killed by the
    /// signal itself before df11 installed anything).
    func testAnInterruptAtAnyMomentOfTheStartEndsTheRun() throws {
        for attempt in 0..<40 {
            let dir = makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let process = Process()
            process.executableURL = df11Binary
            process.arguments = ["compress", "-", "-o", dir + "/out.df11", "--quiet"]
            let input = Pipe()      // never written: the run waits for its input until interrupted
            process.standardInput = input
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(attempt % 20) * 500)
            kill(process.processIdentifier, SIGINT)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(5_000) }
            if process.isRunning {
                process.terminate()
                try? input.fileHandleForWriting.close()
                XCTFail("attempt \(attempt): SIGINT after \(attempt % 20 * 500) µs was ignored")
                continue
            }
            XCTAssertTrue(process.terminationStatus == 130 || process.terminationReason == .uncaughtSignal,
                          "attempt \(attempt): \(process.terminationStatus)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
        }
    }
}
