import Safetensors

/// Where one tensor's frames are in a container.
public struct IndexedTensor: Equatable, Sendable {
    /// Offset of the `TENS` frame.
    public var beginFrame: UInt64
    /// Offset of the `TEND` frame.
    public var endFrame: UInt64
    /// Offset of each block's `BLK ` frame.
    public var blockFrames: [UInt64]
    /// Offset of the `CODE` frame each block uses (0 if none).
    public var codeFrames: [UInt64]
}

/// The footer index: frame offsets of every tensor and block (docs/FORMAT.md, `INDX`).
public struct ContainerIndex: Equatable, Sendable {
    public var tensors: [IndexedTensor]

    /// Parses an `INDX` payload.
    static func parse(_ payload: UnsafeRawBufferPointer, file: String) throws -> ContainerIndex {
        var reader = LittleEndianReader(payload)
        func malformed(_ why: String) -> ContainerError {
            ContainerError(file: file, .malformedFrame(frame: "INDX", reason: why))
        }
        guard let count = reader.read(UInt64.self), count <= UInt64(payload.count / 20) else {
            throw malformed("tensor count does not fit the frame")
        }
        var tensors: [IndexedTensor] = []
        tensors.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let begin = reader.read(UInt64.self), let end = reader.read(UInt64.self),
                  let blocks = reader.read(UInt32.self), Int(blocks) <= reader.remaining / 16 else {
                throw malformed("a tensor entry does not fit the frame")
            }
            var blockFrames: [UInt64] = []
            var codeFrames: [UInt64] = []
            blockFrames.reserveCapacity(Int(blocks))
            codeFrames.reserveCapacity(Int(blocks))
            for _ in 0..<blocks {
                blockFrames.append(reader.read(UInt64.self)!)
                codeFrames.append(reader.read(UInt64.self)!)
            }
            tensors.append(IndexedTensor(beginFrame: begin, endFrame: end,
                                         blockFrames: blockFrames, codeFrames: codeFrames))
        }
        guard reader.remaining == 0 else { throw malformed("\(reader.remaining) bytes left over") }
        return ContainerIndex(tensors: tensors)
    }

    /// Bytes of a `TEND` frame (header, 16-byte payload, checksum).
    static let tensorEndFrameSize = UInt64(ContainerFormat.frameHeaderSize + 16 + ContainerFormat.frameChecksumSize)

    /// Checks that the index can describe `tensors` (file order) in a file whose frames lie from `firstFrame`
    /// up to the index at `indexOffset`: one entry per tensor, one block per `blockBytes` of it, its frames in
    /// order and inside that region, and each BF16 block after a `CODE` frame of its own tensor. A random
    /// reader (`ls`, `cat`) relies on this before it reads any frame the index points to; the frames
    /// themselves are checked when read.
    func validate(tensors infos: [TensorInfo], blockBytes: UInt64, firstFrame: UInt64, indexOffset: UInt64,
                  file: String) throws {
        guard tensors.count == infos.count else {
            throw ContainerError(file: file, .indexMismatch("\(tensors.count) tensors indexed, header has \(infos.count)"))
        }
        var next = firstFrame
        for (i, (entry, tensor)) in zip(tensors, infos).enumerated() {
            func bad(_ why: String) -> ContainerError {
                ContainerError(file: file, .indexMismatch("tensor \(i) ('\(tensor.name)'): \(why)"))
            }
            let blocks = tensor.byteCount / blockBytes + (tensor.byteCount % blockBytes == 0 ? 0 : 1)
            guard UInt64(entry.blockFrames.count) == blocks else {
                throw bad("\(entry.blockFrames.count) blocks indexed, its \(tensor.byteCount) bytes make \(blocks)")
            }
            guard entry.beginFrame >= next else { throw bad("its frames overlap the previous tensor's or the header") }
            var previous = entry.beginFrame
            for (b, offset) in entry.blockFrames.enumerated() {
                guard offset > previous else { throw bad("block \(b) is not after the frame before it") }
                if tensor.dtype == .bf16 {
                    let code = entry.codeFrames[b]
                    guard code > entry.beginFrame, code < offset else {
                        throw bad("block \(b)'s CODE frame is not between the tensor's start and the block")
                    }
                }
                previous = offset
            }
            guard indexOffset >= Self.tensorEndFrameSize, entry.endFrame > previous,
                  entry.endFrame <= indexOffset - Self.tensorEndFrameSize else {
                throw bad("its TEND frame is not between its last block and the index")
            }
            next = entry.endFrame + Self.tensorEndFrameSize
        }
    }
}

/// Collects frame offsets while a container is written or read, and renders the `INDX` payload.
struct IndexBuilder {
    private(set) var tensors: [IndexedTensor] = []

    mutating func beginTensor(at offset: UInt64) {
        tensors.append(IndexedTensor(beginFrame: offset, endFrame: 0, blockFrames: [], codeFrames: []))
    }

    mutating func addBlock(at offset: UInt64, code: UInt64) {
        tensors[tensors.count - 1].blockFrames.append(offset)
        tensors[tensors.count - 1].codeFrames.append(code)
    }

    /// Records the `TEND` offset and returns the tensor's block count.
    mutating func endTensor(at offset: UInt64) -> Int {
        tensors[tensors.count - 1].endFrame = offset
        return tensors[tensors.count - 1].blockFrames.count
    }

    var index: ContainerIndex { ContainerIndex(tensors: tensors) }

    func payload() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + tensors.reduce(0) { $0 + 20 + 16 * $1.blockFrames.count })
        func put<T: FixedWidthInteger>(_ v: T) {
            withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
        }
        put(UInt64(tensors.count))
        for t in tensors {
            put(t.beginFrame); put(t.endFrame); put(UInt32(t.blockFrames.count))
            for (b, c) in zip(t.blockFrames, t.codeFrames) { put(b); put(c) }
        }
        return bytes
    }
}
