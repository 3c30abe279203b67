import DF11IO

/// One piece of tensor data delivered by `SafetensorsReader.nextChunk(into:)`.
public struct TensorChunk: Equatable, Sendable {
    /// The tensor the bytes belong to.
    public let tensor: TensorInfo
    /// The tensor's position in file order (`header.tensorsInFileOrder`).
    public let tensorIndex: Int
    /// Where the chunk starts inside the tensor's bytes.
    public let offsetInTensor: UInt64
    /// How many bytes were written to the front of the buffer.
    public let count: Int
    /// Whether this chunk ends the tensor.
    public let isLastOfTensor: Bool
}

/// Streams one safetensors file front to back from any `ByteSource` (a regular file or a pipe); never seeks.
///
/// The header is read and validated by `init`. Each `nextChunk(into:)` then issues one `readFully` into the
/// caller's buffer, so chunks cost one system call each. Chunks never span two tensors. Bytes after the last
/// tensor and an input that ends early are reported as `SafetensorsError`s.
public final class SafetensorsReader {
    /// The validated header.
    public let header: SafetensorsHeader
    private let source: ByteSource
    private var tensorIndex = 0
    private var offsetInTensor: UInt64 = 0
    private var finished = false

    /// Reads and validates the header from `source`, which must be positioned at the start of the file.
    public init(source: ByteSource) throws {
        self.source = source
        let name = source.name
        var prefix: UInt64 = 0
        let got = try withUnsafeMutableBytes(of: &prefix) { try source.readFully(into: $0) }
        if got < 8 {
            throw SafetensorsError(file: name, problem: .truncatedLengthPrefix(available: UInt64(got)))
        }
        let available = source.knownSize.map { $0 >= 8 ? $0 - 8 : 0 }
        let length = try SafetensorsHeader.headerLength(prefix: UInt64(littleEndian: prefix), fileName: name,
                                                        available: available)
        let bytes = try Self.readHeader(length: Int(length), from: source)
        header = try SafetensorsHeader.parse(bytes, fileName: name,
                                             dataSectionSize: available.map { $0 - length })
    }

    /// The header's `length` bytes. From a pipe, whose size is unknown, it is read in pieces of at most 1 MiB, so
    /// that a prefix claiming a large header costs memory only for the bytes that really arrive.
    private static func readHeader(length: Int, from source: ByteSource) throws -> [UInt8] {
        let piece = source.knownSize == nil ? 1 << 20 : max(length, 1)
        var bytes: [UInt8] = []
        while bytes.count < length {
            let start = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: min(piece, length - start)))
            let read = try bytes.withUnsafeMutableBytes {
                try source.readFully(into: UnsafeMutableRawBufferPointer(rebasing: $0[start...]))
            }
            if start + read < bytes.count {
                throw SafetensorsError(file: source.name, problem: .headerBeyondEnd(
                    length: UInt64(length), available: UInt64(start + read)))
            }
        }
        return bytes
    }

    /// Fills the front of `buffer` with the next piece of tensor data, in file order, and describes it;
    /// nil once every tensor has been delivered. Zero-byte tensors yield one chunk with `count` 0.
    /// `buffer` must not be empty.
    public func nextChunk(into buffer: UnsafeMutableRawBufferPointer) throws -> TensorChunk? {
        precondition(buffer.count > 0, "nextChunk needs a non-empty buffer")
        let tensors = header.tensorsInFileOrder
        guard tensorIndex < tensors.count else {
            if !finished {
                finished = true
                try checkNothingFollows(buffer)
            }
            return nil
        }
        let chunk = describeNextChunk(maxBytes: buffer.count, of: tensors[tensorIndex])
        if chunk.count > 0 {
            let got = try source.readFully(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< chunk.count]))
            if got < chunk.count {
                let reached = chunk.tensor.dataOffsets.lowerBound + offsetInTensor + UInt64(got)
                throw SafetensorsError(file: header.fileName, tensor: chunk.tensor.name,
                                       problem: .truncatedData(offset: reached,
                                                               expectedEnd: header.dataSectionSize,
                                                               available: reached))
            }
        }
        advance(past: chunk)
        return chunk
    }

    /// Describes the next chunk of at most `maxBytes` bytes exactly as `nextChunk(into:)` would, without
    /// reading it: for callers that fetch the bytes themselves with positioned reads (several threads at
    /// once) from a file whose size the header was checked against. nil after the last tensor.
    public func nextChunkWithoutReading(maxBytes: Int) -> TensorChunk? {
        precondition(maxBytes > 0, "nextChunkWithoutReading needs a positive size")
        let tensors = header.tensorsInFileOrder
        guard tensorIndex < tensors.count else { return nil }
        let chunk = describeNextChunk(maxBytes: maxBytes, of: tensors[tensorIndex])
        advance(past: chunk)
        return chunk
    }

    /// The next chunk of `tensor` (the current one) from the current offset, at most `maxBytes` long.
    private func describeNextChunk(maxBytes: Int, of tensor: TensorInfo) -> TensorChunk {
        let remaining = tensor.byteCount - offsetInTensor
        let count = Int(min(UInt64(maxBytes), remaining))
        return TensorChunk(tensor: tensor, tensorIndex: tensorIndex, offsetInTensor: offsetInTensor,
                           count: count, isLastOfTensor: UInt64(count) == remaining)
    }

    /// Moves the reading position past `chunk`.
    private func advance(past chunk: TensorChunk) {
        if chunk.isLastOfTensor {
            tensorIndex += 1
            offsetInTensor = 0
        } else {
            offsetInTensor += UInt64(chunk.count)
        }
    }

    private func checkNothingFollows(_ buffer: UnsafeMutableRawBufferPointer) throws {
        let extra = try source.read(into: buffer)
        if extra > 0 {
            throw SafetensorsError(file: header.fileName,
                                   problem: .trailingData(declaredEnd: header.dataSectionSize, actual: nil))
        }
    }
}
