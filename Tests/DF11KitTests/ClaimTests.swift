import JSON
import DF11TestSupport
import DF11IO
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Issue #12, "claims with no test behind them": each README or --help claim below is exercised through the
/// built binary.
final class ClaimTests: XCTestCase {
    override func setUpWithError() throws { try requireBuiltBinary() }

    /// `df11 verify -`: a container on standard input.
    func testVerifyReadsAContainerOnStandardInput() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let compressed = try runDF11(["compress", fixture("edge-cases.safetensors"), "-o", dir + "/e.df11", "--quiet"])
        XCTAssertEqual(compressed.status, 0, compressed.stderr)
        let good = try XCTUnwrap(contents(dir + "/e.df11"))
        let verified = try runDF11(["verify", "-", "--json"], input: good)
        XCTAssertEqual(verified.status, 0, verified.stderr)
        let schema = try JSONParser().parse(Array(verified.stdout))["schema"]?.stringValue ?? ""
        XCTAssertTrue(schema.hasPrefix("df11.verify/1"), schema)
        var bad = good
        bad[bad.count / 2] ^= 0x10
        let refused = try runDF11(["verify", "-"], input: bad)
        XCTAssertEqual(refused.status, 1, refused.stderr)
    }

    /// SIGTERM (and SIGINT) at any moment of a directory run, native and DFloat11: the run either completed (exit
    /// 0, an output that verifies) or left nothing at all (exit 143 or 130: no output directory, no temporary).
    func testTerminationDuringDirectoryAndDFloat11Runs() throws {
        let runs: [[String]] = [["compress", fixture("tiny-llama")],
                                ["compress", fixture("dfloat11-golden/llama-tied/source"), "--format", "dfloat11"],
                                ["decompress", fixture("dfloat11-golden/llama-tied/official")]]
        var interrupted = 0
        for (r, arguments) in runs.enumerated() {
            for attempt in 0 ..< 6 {
                let dir = makeTemporaryDirectory()
                defer { try? FileManager.default.removeItem(atPath: dir) }
                let process = Process()
                process.executableURL = df11Binary
                process.arguments = arguments + ["-o", dir + "/out", "--quiet"]
                process.standardError = FileHandle.nullDevice
                try process.run()
                usleep(UInt32(20_000 + attempt * 25_000))
                let signal = attempt % 2 == 0 ? SIGTERM : SIGINT
                kill(process.processIdentifier, signal)
                process.waitUntilExit()
                let status = process.terminationStatus
                // A complete output: the one thing a run may leave, whether it exited 0 or the signal came after
                // the output was moved into place (then df11's handler still exits 143 or 130).
                func assertCompleteOutput() throws {
                    if arguments[0] == "decompress" {
                        XCTAssertEqual(FileSystem.kind(of: dir + "/out/model.safetensors"), .regularFile)
                    } else {
                        XCTAssertEqual(try runDF11(["verify", dir + "/out"]).status, 0, "run \(r) attempt \(attempt)")
                    }
                }
                if status == 0 && process.terminationReason == .exit {
                    try assertCompleteOutput()
                } else {
                    // 143 or 130 from df11's handler; or killed by the signal itself when it came before df11's
                    // first instruction installed anything (nothing written yet then).
                    if process.terminationReason == .exit {
                        XCTAssertEqual(status, signal == SIGTERM ? 143 : 130, "run \(r) attempt \(attempt)")
                    }
                    let left = try FileManager.default.contentsOfDirectory(atPath: dir)
                    if left == ["out"] {
                        try assertCompleteOutput()
                    } else {
                        XCTAssertEqual(left, [], "run \(r) attempt \(attempt): an interrupted run left files")
                        interrupted += 1
                    }
                }
            }
        }
        XCTAssertGreaterThan(interrupted, 0, "no run was interrupted: the delays are too long for this machine")
    }

    /// The JSON schemas no other test reads: architectures, cat and decompress-dfloat11 (docs/JSON.md).
    func testTheRemainingJSONSchemas() throws {
        let architectures = try runDF11(["architectures", "--json"])
        XCTAssertEqual(architectures.status, 0, architectures.stderr)
        let list = try JSONParser().parse(Array(architectures.stdout))
        XCTAssertEqual(list["schema"]?.stringValue, "df11.architectures/1.1")
        XCTAssertNotNil(list["architectures"]?.elements?.first?["pattern_dict"]?.members)

        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = fixture("dfloat11-golden/llama-tied/official")
        let decompressed = try runDF11(["decompress", model, "-o", dir + "/bf16", "--json"])
        XCTAssertEqual(decompressed.status, 0, decompressed.stderr)
        let report = try JSONParser().parse(Array(decompressed.stdout))
        XCTAssertEqual(report["schema"]?.stringValue, "df11.decompress-dfloat11/1")
        XCTAssertEqual(report["status"]?.stringValue, "ok")
        XCTAssertNotNil(report["units"]?.uint64Value)

        let cat = try runDF11(["cat", model, "lm_head.weight", "--json"])
        XCTAssertEqual(cat.status, 0, cat.stderr)
        let catReport = try JSONParser().parse(Array((cat.stderr.split(separator: "\n").last ?? "").utf8))
        XCTAssertEqual(catReport["schema"]?.stringValue, "df11.cat/1", cat.stderr)
        XCTAssertEqual(catReport["bytes"]?.uint64Value, UInt64(cat.stdout.count))
    }

    /// "Memory stays bounded whatever the model size": peak memory of compress and decompress on a 64 MB and a
    /// 128 MB checkpoint differs by far less than the 64 MB between them (measured: +14 MB for compress, whose
    /// chunks in flight fill up to about 72 MB of input, then stay at 79 MB for 144 MB; decompress flat at 51 MB).
    func testPeakMemoryDoesNotGrowWithTheModel() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "no /usr/bin/time here")
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func peakKB(_ arguments: [String]) throws -> Int {
            let run = try runProgram(URL(fileURLWithPath: "/usr/bin/time"), ["-f", "peak=%M", df11Binary.path] + arguments)
            XCTAssertEqual(run.status, 0, run.stderr)
            return Int(run.stderr.split(separator: "\n").last { $0.hasPrefix("peak=") }?.dropFirst(5) ?? "") ?? 0
        }
        var peaks: [(compress: Int, decompress: Int)] = []
        for megabytes in [64, 128] {
            let words = megabytes << 19
            var header = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[\(words)],\"data_offsets\":[0,\(2 * words)]}}"
            while header.utf8.count % 8 != 0 { header += " " }
            var data = Data()
            withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
            data.append(contentsOf: Array(header.utf8))
            var weights = [UInt8](repeating: 0, count: 2 * words)
            weights.withUnsafeMutableBufferPointer { buffer in
                var state: UInt64 = 1
                var i = 0
                while i < buffer.count {
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    buffer[i] = UInt8(truncatingIfNeeded: state >> 33)
                    buffer[i + 1] = 0x3C &+ UInt8(truncatingIfNeeded: state >> 62)
                    i += 2
                }
            }
            data.append(contentsOf: weights)
            let path = dir + "/m\(megabytes).safetensors"
            try data.write(to: URL(fileURLWithPath: path))
            let compress = try peakKB(["compress", path, "-o", path + ".df11", "--threads", "2", "--quiet"])
            let decompress = try peakKB(["decompress", path + ".df11", "-o", path + ".out", "--threads", "2", "--quiet"])
            peaks.append((compress, decompress))
        }
        XCTAssertLessThan(peaks[1].compress - peaks[0].compress, 32 * 1024, "compress peaks (KB): \(peaks)")
        XCTAssertLessThan(peaks[1].decompress - peaks[0].decompress, 32 * 1024, "decompress peaks (KB): \(peaks)")
    }
}
