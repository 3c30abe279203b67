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


    /// Checks that the index can describe `tensors` (file order) in a file whose frames lie from `firstFrame`
    /// up to the index at `indexOffset`: one entry per tensor, one block per `blockBytes` of it, its frames in
    /// order and inside that region, and each coded block after a code frame of its own tensor. A random
    /// reader (`ls`, `cat`) relies on this before it reads any frame the index points to; the frames
    /// themselves are checked when read.
    func validate(tensors infos: [TensorInfo], blockBytes: UInt64, firstFrame: UInt64, indexOffset: UInt64,
                  majorVersion: UInt16, file: String) throws {
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
                // Format 1.0 codes every BF16 tensor; 2.0 says in the TENS frame (checked when it is read).
                let code = entry.codeFrames[b]
                if code != 0 || (tensor.dtype == .bf16 && majorVersion == 1) {
                    guard code > entry.beginFrame, code < offset else {
                        throw bad("block \(b)'s code frame is not between the tensor's start and the block")
                    }
                }
                previous = offset
            }
            guard indexOffset >= TensorEndPayload.frameSize, entry.endFrame > previous,
                  entry.endFrame <= indexOffset - TensorEndPayload.frameSize else {
                throw bad("its TEND frame is not between its last block and the index")
            }
            next = entry.endFrame + TensorEndPayload.frameSize
        }
    }
}

/// Collects frame offsets while a container is written or read.
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
}
