#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The C library's words for an `errno` value, e.g. "No such file or directory".
func systemMessage(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}

/// The current thread's `errno`.
var currentErrno: Int32 { errno }

// File-scope wrappers so that classes with `read`/`write`/`close` methods can call the C functions.

func posixRead(_ fd: Int32, _ base: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, base, count) }
func posixPRead(_ fd: Int32, _ base: UnsafeMutableRawPointer, _ count: Int, _ offset: off_t) -> Int {
    pread(fd, base, count, offset)
}
func posixWrite(_ fd: Int32, _ base: UnsafeRawPointer, _ count: Int) -> Int { write(fd, base, count) }
func posixPWrite(_ fd: Int32, _ base: UnsafeRawPointer, _ count: Int, _ offset: off_t) -> Int {
    pwrite(fd, base, count, offset)
}
@discardableResult func posixClose(_ fd: Int32) -> Int32 { close(fd) }

/// Writes all of `bytes` to `fd` (at `offset` when given), retrying partial writes and EINTR.
func writeAll(fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: UInt64? = nil,
              name: String, note: String? = nil) throws {
    guard let base = bytes.baseAddress else { return }
    var done = 0
    while done < bytes.count {
        let count: Int
        if let offset = offset {
            count = posixPWrite(fd, base + done, bytes.count - done, off_t(offset + UInt64(done)))
        } else {
            count = posixWrite(fd, base + done, bytes.count - done)
        }
        if count < 0 {
            let code = currentErrno
            if code == EINTR { continue }
            throw IOFailure(path: name, operation: .write, errno: code, note: note)
        }
        if count == 0 {
            throw IOFailure(path: name, operation: .write, errno: EIO, note: note)
        }
        done += count
    }
}
