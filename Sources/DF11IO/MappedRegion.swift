#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of part of an `InputFile`: zero-copy access to file bytes for worker threads.
///
/// Unmapped when released, so a pipeline that maps one region per job in flight keeps its resident memory
/// bounded by the jobs in flight, whatever the file size. If the file shrinks while mapped, touching the
/// missing pages raises SIGBUS (which the process policy turns into cleanup and exit 1): map only files whose
/// size was checked and that df11 does not write.
public final class MappedRegion: @unchecked Sendable {
    /// The requested bytes.
    public let bytes: UnsafeRawBufferPointer
    private let base: UnsafeMutableRawPointer?
    private let mappedLength: Int

    /// Maps `count` bytes of `file` from `offset` (any alignment). With `populate`, every page is mapped at once
    /// (Linux: `MAP_POPULATE`), which is cheaper than a page fault per few pages when all of it will be read.
    public init(_ file: InputFile, offset: UInt64, count: Int, populate: Bool = false) throws {
        guard count > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            base = nil
            mappedLength = 0
            return
        }
        guard offset + UInt64(count) <= file.size else {
            throw IOFailure.truncated(path: file.name, what: "mapped range", expected: UInt64(count),
                                      got: file.size > offset ? file.size - offset : 0)
        }
        let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))
        let aligned = offset / page * page
        let slack = Int(offset - aligned)
        let length = count + slack
        var flags = MAP_PRIVATE
        #if os(Linux)
        if populate { flags |= MAP_POPULATE }
        #endif
        let address = mmap(nil, length, PROT_READ, flags, file.descriptor, off_t(aligned))
        guard let address, address != MAP_FAILED else {
            throw IOFailure(path: file.name, operation: .read, errno: errno)
        }
        _ = madvise(address, length, MADV_SEQUENTIAL)
        base = address
        mappedLength = length
        bytes = UnsafeRawBufferPointer(start: address + slack, count: count)
    }

    deinit {
        if let base { munmap(base, mappedLength) }
    }
}
