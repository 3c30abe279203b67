import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A fresh, empty temporary directory (mkdtemp), removed by the caller.
public func makeTemporaryDirectory() -> String {
    var template = Array((NSTemporaryDirectory() + "/df11-test-XXXXXX").utf8CString)
    return template.withUnsafeMutableBufferPointer { buffer -> String in
        guard let base = buffer.baseAddress, let created = mkdtemp(base) else { fatalError("mkdtemp failed") }
        return String(cString: created)
    }
}

/// Removes `path` recursively.
public func removeTree(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// Writes `bytes` to `path` plainly (no atomic rename: the tests of the atomic writer need a plain one).
public func writeFile(_ path: String, _ bytes: [UInt8]) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    precondition(fd >= 0)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}
