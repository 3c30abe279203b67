#if canImport(Glibc)
import Glibc
#endif
import DF11IO
import Foundation

/// A task's hold on one checkpoint's output, so that two tasks never write it at once.
///
/// Two parts, under `OUT/.df11-batch/`: `NAME.lock`, held with `flock` for as long as the task works on the
/// checkpoint (released by the kernel when the task dies, however it dies; across machines where the shared
/// file system supports it, as NFSv4 and Lustre do), and `NAME.claim`, saying `host pid`, for shared file systems
/// whose locks do not reach other machines: a claim of another host is respected (the checkpoint is skipped and
/// reported), a claim of this host whose process no longer exists is stale and taken over.
final class BatchClaim {
    let lockPath: String
    let claimPath: String
    private var fd: Int32 = -1

    /// Why the checkpoint cannot be claimed now; nil once claimed.
    private(set) var heldElsewhere: String?

    init(output: String, name: String) throws {
        let directory = FileSystem.join(output, ".df11-batch")
        lockPath = FileSystem.join(directory, name + ".lock")
        claimPath = FileSystem.join(directory, name + ".claim")
        try FileSystem.createDirectories(FileSystem.directoryName(of: lockPath))
        fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { throw IOFailure(path: lockPath, operation: .create, errno: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            fd = -1
            guard code == EWOULDBLOCK else { throw IOFailure(path: lockPath, operation: .create, errno: code) }
            heldElsewhere = "another task is converting it (\(lockPath) is locked"
                + (Self.readClaim(claimPath).map { ": \($0.host) pid \($0.pid)" } ?? "") + ")"
            return
        }
        if let claim = Self.readClaim(claimPath), !(claim.host == FileSystem.hostName && claim.pid == getpid()) {
            if claim.host != FileSystem.hostName {
                heldElsewhere = "claimed by a task on \(claim.host) (pid \(claim.pid)); if that task is gone, remove \(claimPath)"
                release()
                return
            }
            if kill(claim.pid, 0) == 0 || errno != ESRCH {
                heldElsewhere = "claimed by pid \(claim.pid) of this host, which is running"
                release()
                return
            }
            // A claim of a dead process of this host: stale, taken over.
        }
        // Written in place, not synced: the lock already excludes this host's tasks, and a torn claim reads as none.
        TemporaryPaths.register(claimPath)
        let claim = open(claimPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if claim < 0 { throw IOFailure(path: claimPath, operation: .create, errno: errno) }
        let text = Array("\(FileSystem.hostName) \(getpid())\n".utf8)
        let written = text.withUnsafeBytes { write(claim, $0.baseAddress, $0.count) }
        close(claim)
        if written != text.count { throw IOFailure(path: claimPath, operation: .write, errno: errno) }
    }

    /// Removes the claim and releases the lock.
    func release() {
        if fd >= 0 {
            if heldElsewhere == nil {
                unlink(claimPath)
                TemporaryPaths.unregister(claimPath)
            }
            close(fd)
            fd = -1
        }
    }

    deinit { release() }

    static func readClaim(_ path: String) -> (host: String, pid: pid_t)? {
        guard let bytes = try? FileSystem.readSmallFile(path, limit: 4096) else { return nil }
        let parts = String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard parts.count == 2, let pid = pid_t(parts[1]), pid > 0 else { return nil }
        return (String(parts[0]), pid)
    }
}
