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

/// A Hugging Face cache entry `repo` (`models--org--name`) holding a copy of the files of `directory` as one
/// snapshot `revision`: `blobs/` with the files, `refs/main` naming the revision, and `snapshots/<revision>/`
/// with a symbolic link into `blobs/` per file (subfolders, as a diffusers pipeline's, are real folders of
/// links). Returns the snapshot folder.
@discardableResult
public func makeHuggingFaceCache(_ repo: String, revision: String, from directory: String) throws -> String {
    let manager = FileManager.default
    let snapshot = repo + "/snapshots/" + revision
    for folder in [repo + "/blobs", repo + "/refs", snapshot] {
        try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    try Data(revision.utf8).write(to: URL(fileURLWithPath: repo + "/refs/main"))
    for name in (manager.enumerator(atPath: directory)?.allObjects as? [String] ?? []).sorted() {
        var isDirectory: ObjCBool = false
        _ = manager.fileExists(atPath: directory + "/" + name, isDirectory: &isDirectory)
        if isDirectory.boolValue {
            try manager.createDirectory(atPath: snapshot + "/" + name, withIntermediateDirectories: true)
            continue
        }
        let blob = "blob-" + name.replacingOccurrences(of: ".", with: "-").replacingOccurrences(of: "/", with: "-")
        try manager.copyItem(atPath: directory + "/" + name, toPath: repo + "/blobs/" + blob)
        let up = String(repeating: "../", count: name.split(separator: "/").count - 1)
        try manager.createSymbolicLink(atPath: snapshot + "/" + name, withDestinationPath: up + "../../blobs/" + blob)
    }
    return snapshot
}
