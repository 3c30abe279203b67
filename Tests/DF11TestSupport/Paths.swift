import Foundation

/// The repository root: three levels up from this file (`Tests/DF11TestSupport/Paths.swift`).
public let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0 ..< 3 { url.deleteLastPathComponent() }
    return url.path
}()

/// The path of a fixture under `Fixtures/`.
public func fixture(_ relative: String) -> String { repositoryRoot + "/Fixtures/" + relative }

/// The path of a file under `Fixtures/dfloat11-golden/`.
public func golden(_ relative: String) -> String { repositoryRoot + "/Fixtures/dfloat11-golden/" + relative }

/// The whole file at `path`.
public func readFile(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

/// The whole file at `path`, or nil if it cannot be read.
public func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }
