import Foundation
import XCTest

/// Runs the built `df11` binary (next to the test bundle) with `arguments`, feeding `input` on stdin.
public func runDF11(_ arguments: [String], input: Data? = nil) throws -> (status: Int32, stdout: Data, stderr: String) {
    try runProgram(df11Binary, arguments, input: input)
}

/// Runs `executable` (`/bin/sh`, `/usr/bin/time` around df11, ...) with `arguments`, feeding `input` on stdin;
/// waits for it and returns its exit status, standard output and standard error.
public func runProgram(_ executable: URL, _ arguments: [String],
                       input: Data? = nil) throws -> (status: Int32, stdout: Data, stderr: String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let out = Pipe(), err = Pipe(), inp = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = inp
    try process.run()
    let writer = Thread {
        if let input { inp.fileHandleForWriting.write(input) }
        try? inp.fileHandleForWriting.close()
    }
    writer.start()
    let stderrBox = DataBox()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        stderrBox.data = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    let stderr = stderrBox.data
    process.waitUntilExit()
    return (process.terminationStatus, stdout, String(decoding: stderr, as: UTF8.self))
}

/// `.build/<config>/df11`, in the directory of the running test bundle; `DF11_BINARY` names another (to run the
/// command-line tests against an older build, for instance).
public let df11Binary: URL = {
    if let given = ProcessInfo.processInfo.environment["DF11_BINARY"] { return URL(fileURLWithPath: given) }
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? CommandLine.arguments[0]
    var url = URL(fileURLWithPath: executable)
    while url.pathComponents.count > 1 && url.lastPathComponent.hasSuffix(".xctest") == false
            && url.deletingLastPathComponent().lastPathComponent != "debug"
            && url.deletingLastPathComponent().lastPathComponent != "release" {
        url.deleteLastPathComponent()
    }
    return url.deletingLastPathComponent().appendingPathComponent("df11")
}()

private final class DataBox: @unchecked Sendable { var data = Data() }

/// For tests of the built binary: skips (visibly) when `df11` is not built, except under CI (`CI=true`, set by
/// `.ci/run`), where a missing binary is a failure rather than a silent pass.
public func requireBuiltBinary(file: StaticString = #filePath, line: UInt = #line) throws {
    let built = FileManager.default.isExecutableFile(atPath: df11Binary.path)
    if ProcessInfo.processInfo.environment["CI"] == "true" && !built {
        XCTFail("\(df11Binary.path) missing: `make test` builds it before the tests", file: file, line: line)
    }
    try XCTSkipUnless(built, "df11 binary not built at \(df11Binary.path)", file: file, line: line)
}
