import Foundation

/// The lowercase hex SHA-256 of `bytes`, by the system's `sha256sum` (coreutils), as the golden manifest
/// records it.
public func sha256Hex(_ bytes: [UInt8]) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sha256sum"]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    do { try process.run() } catch { fatalError("sha256sum could not run: \(error)") }
    let writer = Thread {
        input.fileHandleForWriting.write(Data(bytes))
        try? input.fileHandleForWriting.close()
    }
    writer.start()
    let digest = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    precondition(process.terminationStatus == 0, "sha256sum failed")
    return String(decoding: digest.prefix(64), as: UTF8.self)
}
