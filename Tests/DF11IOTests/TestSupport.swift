import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A fresh temporary directory, removed by the caller's teardown.
func makeTemporaryDirectory() -> String {
    var template = Array("/tmp/df11-io-test-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { buffer -> String in
        guard let base = buffer.baseAddress, let created = mkdtemp(base) else { fatalError("mkdtemp failed") }
        return String(cString: created)
    }
}

/// Removes `path` recursively.
func removeTree(_ path: String) {
    _ = system("rm -rf '\(path)'")
}

/// Writes `bytes` to `path` plainly.
func writeFile(_ path: String, _ bytes: [UInt8]) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    precondition(fd >= 0)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}
