import DF11IO

/// A safetensors file opened by path for random access: the header is read and validated at once, tensor
/// bytes are read on demand with positioned reads, safely from many threads.
public final class SafetensorsFile {
    /// The validated header.
    public let header: SafetensorsHeader
    /// The path as given.
    public var name: String { file.name }
    /// The file's size in bytes.
    public var size: UInt64 { file.size }
    private let file: InputFile

    /// Opens `path` and validates its header against the file size.
    public init(path: String) throws {
        let file = try InputFile(path: path)
        self.file = file
        if file.size < 8 {
            throw SafetensorsError(file: path, problem: .truncatedLengthPrefix(available: file.size))
        }
        var prefix: UInt64 = 0
        try withUnsafeMutableBytes(of: &prefix) { try file.read(at: 0, into: $0) }
        let length = try SafetensorsHeader.headerLength(prefix: UInt64(littleEndian: prefix), fileName: path,
                                                        available: file.size - 8)
        var bytes = [UInt8](repeating: 0, count: Int(length))
        try bytes.withUnsafeMutableBytes { try file.read(at: 8, into: $0) }
        header = try SafetensorsHeader.parse(bytes, fileName: path, dataSectionSize: file.size - 8 - length)
    }

    /// Reads bytes `range` of `tensor` (offsets inside the tensor) into the front of `buffer`.
    /// `range` must lie within the tensor and `buffer` must be large enough. Thread-safe.
    public func read(tensor: TensorInfo, range: Range<UInt64>, into buffer: UnsafeMutableRawBufferPointer) throws {
        precondition(range.upperBound <= tensor.byteCount, "range \(range) is outside tensor '\(tensor.name)'")
        precondition(UInt64(buffer.count) >= range.upperBound - range.lowerBound, "buffer too small")
        let count = Int(range.upperBound - range.lowerBound)
        let start = header.dataStart + tensor.dataOffsets.lowerBound + range.lowerBound
        try file.read(at: start, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< count]))
    }

    /// Maps bytes `range` of `tensor` (offsets inside the tensor) read-only: no copy, and resident only while
    /// the region lives. `range` must lie within the tensor. Thread-safe. A file truncated by another process
    /// while mapped raises SIGBUS when the missing pages are touched (the df11 command then cleans up and exits 1:
    /// `InterruptHandling` in DF11Kit); `read` reports that case as an ordinary error.
    /// `populate` maps every page at once (for bytes that will all be read).
    public func map(tensor: TensorInfo, range: Range<UInt64>, populate: Bool = false) throws -> MappedRegion {
        precondition(range.upperBound <= tensor.byteCount, "range \(range) is outside tensor '\(tensor.name)'")
        let start = header.dataStart + tensor.dataOffsets.lowerBound + range.lowerBound
        return try MappedRegion(file, offset: start, count: Int(range.upperBound - range.lowerBound), populate: populate)
    }

    /// Closes the file. Do not call while other threads read.
    public func close() {
        file.close()
    }
}
