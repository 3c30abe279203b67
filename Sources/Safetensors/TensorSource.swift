import DF11IO
#if canImport(Glibc)
import Glibc
#endif

/// Where tensors are read from: a checkpoint (one or more safetensors files) or a unit file. Reads may be
/// issued from several threads.
public protocol TensorSource: AnyObject {
    /// The tensor called `name`, nil if absent.
    func tensor(named name: String) -> TensorInfo?
    /// Reads bytes `range` of `tensor` (offsets inside the tensor) into the front of `buffer`.
    func read(tensor: TensorInfo, range: Range<UInt64>, into buffer: UnsafeMutableRawBufferPointer) throws
    /// Maps bytes `range` of `tensor` read-only (every page at once: they will all be read), or nil if this
    /// source cannot map (then use `read`).
    func map(tensor: TensorInfo, range: Range<UInt64>) throws -> MappedRegion?
}

extension TensorSource {
    /// Sources that cannot map: nil.
    public func map(tensor: TensorInfo, range: Range<UInt64>) throws -> MappedRegion? { nil }

    /// Calls `body` with bytes `range` of `tensor`: mapped where the source can (no copy), else read into a
    /// temporary buffer. The bytes are valid only inside `body`.
    public func withBytes<R>(of tensor: TensorInfo, range: Range<UInt64>,
                             _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        if let region = try map(tensor: tensor, range: range) {
            return try withExtendedLifetime(region) { try body(region.bytes) }
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(range.upperBound - range.lowerBound),
                                                            alignment: 16)
        defer { buffer.deallocate() }
        try read(tensor: tensor, range: range, into: buffer)
        return try body(UnsafeRawBufferPointer(buffer))
    }

    /// The offset of the first byte at which `tensor` here and `other` in `source` differ, nil when their bytes
    /// are the same; compared 4 MiB at a time, whatever their size. Tensors of different sizes differ at the end
    /// of the shorter.
    public func firstDifference(_ tensor: TensorInfo, from other: TensorInfo, in source: TensorSource) throws -> UInt64? {
        let step: UInt64 = 1 << 22
        let common = min(tensor.byteCount, other.byteCount)
        let a = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(min(step, max(common, 1))), alignment: 16)
        let b = UnsafeMutableRawBufferPointer.allocate(byteCount: a.count, alignment: 16)
        defer { a.deallocate(); b.deallocate() }
        var offset: UInt64 = 0
        while offset < common {
            let n = min(step, common - offset)
            try read(tensor: tensor, range: offset ..< offset + n, into: a)
            try source.read(tensor: other, range: offset ..< offset + n, into: b)
            if memcmp(a.baseAddress!, b.baseAddress!, Int(n)) != 0 {
                var i = 0
                while a[i] == b[i] { i += 1 }
                return offset + UInt64(i)
            }
            offset += n
        }
        return tensor.byteCount == other.byteCount ? nil : common
    }

    /// Reads `tensor` front to back in pieces of at most 4 MiB (one buffer, sized to the tensor up to that) and
    /// calls `body` with each piece and its offset inside the tensor: the one chunked copy of a tensor's bytes.
    public func forEachPiece(of tensor: TensorInfo,
                             _ body: (UnsafeRawBufferPointer, _ offset: UInt64) throws -> Void) throws {
        let step: UInt64 = 1 << 22
        guard tensor.byteCount > 0 else { return }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(min(step, tensor.byteCount)), alignment: 16)
        defer { buffer.deallocate() }
        var done: UInt64 = 0
        while done < tensor.byteCount {
            let n = min(step, tensor.byteCount - done)
            try read(tensor: tensor, range: done ..< done + n, into: buffer)
            try body(UnsafeRawBufferPointer(rebasing: buffer[0 ..< Int(n)]), done)
            done += n
        }
    }
}

extension SafetensorsFile: TensorSource {
    /// The tensor called `name` in the header.
    public func tensor(named name: String) -> TensorInfo? { header.tensor(named: name) }

    public func map(tensor: TensorInfo, range: Range<UInt64>) throws -> MappedRegion? {
        try map(tensor: tensor, range: range, populate: true)
    }
}

/// Several safetensors files seen as one checkpoint (a sharded model): each name is looked up in every file.
public final class TensorSourceSet: TensorSource {
    private let files: [SafetensorsFile]
    private var owner: [String: Int] = [:]

    /// The union of `files`' tensors; a name in two files is served from the first.
    public init(files: [SafetensorsFile]) {
        self.files = files
        for (i, file) in files.enumerated() {
            for tensor in file.header.tensors where owner[tensor.name] == nil { owner[tensor.name] = i }
        }
    }

    /// Every tensor name, file by file in header order.
    public var tensorNames: [String] { files.flatMap { $0.header.tensors.map(\.name) } }

    public func tensor(named name: String) -> TensorInfo? {
        owner[name].flatMap { files[$0].header.tensor(named: name) }
    }

    public func read(tensor: TensorInfo, range: Range<UInt64>, into buffer: UnsafeMutableRawBufferPointer) throws {
        try files[owner[tensor.name]!].read(tensor: tensor, range: range, into: buffer)
    }

    public func map(tensor: TensorInfo, range: Range<UInt64>) throws -> MappedRegion? {
        try files[owner[tensor.name]!].map(tensor: tensor, range: range, populate: true)
    }
}

/// Tensors held in memory (tests, small units).
public final class InMemoryTensors: TensorSource {
    private var infos: [String: TensorInfo] = [:]
    private var data: [String: [UInt8]] = [:]

    /// An empty set.
    public init() {}

    /// Adds (or replaces) tensor `name`.
    public func set(_ name: String, dtype: DType, shape: [Int], bytes: [UInt8]) {
        infos[name] = TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: 0..<UInt64(bytes.count))
        data[name] = bytes
    }

    /// The bytes of tensor `name`.
    public func bytes(of name: String) -> [UInt8]? { data[name] }

    public func tensor(named name: String) -> TensorInfo? { infos[name] }

    public func read(tensor: TensorInfo, range: Range<UInt64>, into buffer: UnsafeMutableRawBufferPointer) throws {
        let bytes = data[tensor.name]!
        precondition(range.upperBound <= UInt64(bytes.count))
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[Int(range.lowerBound)..<Int(range.upperBound)]))
        }
    }
}
