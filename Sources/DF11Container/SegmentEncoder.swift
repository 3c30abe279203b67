import DF11IO
import DF11Pipeline
import EntropyCoding
import Safetensors

/// One piece of a tensor to encode: at most one segment (`segmentBlocks` blocks) of its bytes.
struct SegmentJob {
    let tensorIndex: Int
    let tensor: TensorInfo
    let offsetInTensor: UInt64
    let count: Int
    let isLastOfTensor: Bool
    /// Where the bytes are: a pooled buffer filled from a pipe, or a mapping of the input file.
    var input: SegmentInput

    var bytes: UnsafeRawBufferPointer {
        switch input {
        case .buffer(let buffer): return UnsafeRawBufferPointer(rebasing: buffer[0..<count])
        case .mapped(let region): return region?.bytes ?? UnsafeRawBufferPointer(start: nil, count: 0)
        }
    }
}

/// The bytes of a segment job.
enum SegmentInput {
    /// Read from a pipe into a buffer of the pool.
    case buffer(UnsafeMutableRawBufferPointer)
    /// Mapped from the input file by the worker (nil until then).
    case mapped(MappedRegion?)
}

/// A segment's frames, ready to append to the container, with where its frames start.
struct EncodedSegment {
    let job: SegmentJob
    let output: UnsafeMutableRawBufferPointer
    let count: Int
    /// Offset within `output` of each `BLK ` frame.
    let blockFrames: [Int]
    /// Offset within `output` of the `CODE` frame, for BF16 segments.
    let codeFrame: Int?
    /// Exponent bits written for BF16 segments (for the report).
    let exponentBits: UInt64
    /// XXH3-64 of each block's original bytes, for the tensor's checksum.
    let blockDigests: [UInt64]
    /// How the tensor is stored (its `TENS` frame, written before its first segment's frames).
    let encoding: TensorEncoding
}

/// Turns one segment of a tensor into `CODE` and `BLK ` frames. Safe to call from many threads.
final class SegmentEncoder: @unchecked Sendable {
    let parameters: ContainerParameters
    /// The input's name, for errors.
    let inputName: String
    private let compressors: ResourcePool<ZstdCompressor>

    init(parameters: ContainerParameters, inputName: String = "input") {
        self.parameters = parameters
        self.inputName = inputName
        let level = parameters.zstdLevel
        compressors = ResourcePool { ZstdCompressor(level: level) }
    }

    /// Output room one segment may need, whatever its content.
    static func maxOutputBytes(_ p: ContainerParameters) -> Int { maxOutputBytes(p, count: p.segmentBytes) }

    /// Output room a segment of `count` bytes (at most `segmentBytes`) may need, whatever its content.
    static func maxOutputBytes(_ p: ContainerParameters, count: Int) -> Int {
        let frameOverhead = ContainerFormat.frameHeaderSize + ContainerFormat.frameChecksumSize
        let blockBytes = min(max(count, 2), p.blockBytes)
        let blocks = max(1, (count + p.blockBytes - 1) / p.blockBytes)
        let bf16Block = BlockFields.size + BlockFields.streamSizesSize + blockBytes / 2
            + BlockEncoder.maxBitsBytes(count: blockBytes / 2, maxLength: ContainerFormat.maxCodeLength)
        let bytesBlock = BlockFields.size + max(blockBytes, ZstdCompressor.bound(blockBytes))
        // A structured block is stored raw when coding does not shrink it, but is first tried in the room after it.
        let trial = p.level == .fast ? 0 : StructuredBlock.maxTrialBytes(blockBytes: blockBytes)
        return frameOverhead + max(CodePayload.size, StructuredCodePayload.maxSize)
            + blocks * (frameOverhead + max(bf16Block, bytesBlock)) + trial
    }

    /// Float tensors smaller than this are stored as bytes (raw or zstd) in format 2.0 without planning: a
    /// segment's `CDE2` and a block's lane lengths cost more than coding saves on a few hundred elements, and
    /// planning (histograms of up to 4,096 symbols) would dominate a header of many tiny tensors. Between this and
    /// one segment, the plan decides (`encode`).
    static let smallestStructuredTensor: UInt64 = 512

    /// How `tensor` is meant to be stored at `level`: format 1.0 codes BF16 only, 2.0 every float layout of at least
    /// `smallestStructuredTensor` bytes (a tensor of one segment falls back to bytes when its plan does not pay).
    static func encoding(of tensor: TensorInfo, level: CompressionLevel) -> TensorEncoding {
        if level == .fast { return tensor.dtype == .bf16 ? .bf16Exponents : .bytes }
        guard FloatLayout(dtype: tensor.dtype) != nil, tensor.byteCount >= smallestStructuredTensor else { return .bytes }
        return .structured
    }

    /// Throws `.inputChanged` when a block of a mapped input file no longer has the checksum taken before it was
    /// encoded: the file was rewritten meanwhile, and the frame would hold other bytes than the tensor checksum
    /// covers (a container that exits 0 and then fails verify; `make faults` found 3 in 51 runs). Pipe input sits in
    /// a private buffer and cannot change.
    private func checkUnchanged(_ job: SegmentJob, _ block: UnsafeRawBufferPointer, digest: UInt64, block index: Int) throws {
        guard case .mapped = job.input, Checksum.xxh3(block) != digest else { return }
        throw ContainerError(file: inputName, tensor: job.tensor.name, block: index,
                             .inputChanged("the block's bytes changed while it was being encoded"))
    }

    /// Encodes `job` into `output`.
    func encode(_ job: SegmentJob, into output: UnsafeMutableRawBufferPointer) throws -> EncodedSegment {
        var frames = FrameBuilder(output)
        var blockFrames: [Int] = []
        var codeFrame: Int?
        var exponentBits: UInt64 = 0
        var blockDigests: [UInt64] = []
        let firstBlock = Int(job.offsetInTensor / UInt64(parameters.blockBytes))
        let blockCount = (job.count + parameters.blockBytes - 1) / parameters.blockBytes
        blockFrames.reserveCapacity(blockCount)

        var encoding = Self.encoding(of: job.tensor, level: parameters.level)
        var plan: StructuredSegmentEncoder.Plan?
        let structured = encoding == .structured ? structuredEncoder(job) : nil
        if let structured, job.count > 0 {
            plan = try structured.plan(job.bytes)
            // A tensor of one segment whose tables and lane lengths would cost more than they save: bytes instead.
            if job.offsetInTensor == 0, job.isLastOfTensor, !plan!.pays(for: job.count) { (encoding, plan) = (.bytes, nil) }
        }
        if job.count == 0 {
            // An empty tensor has no blocks and needs no code.
        } else if let plan, let structured {
            codeFrame = frames.count
            exponentBits = try encodeStructured(job, encoder: structured, plan: plan, firstBlock: firstBlock, blockCount: blockCount,
                                                frames: &frames, blockFrames: &blockFrames, blockDigests: &blockDigests)
        } else if encoding == .bf16Exponents {
            let words = job.bytes.bindMemory(to: UInt16.self)
            var histogram = ExponentHistogram()
            histogram.add(words: words)
            let lengths = try HuffmanCodeLengths.build(counts: histogram.counts, limit: parameters.lengthLimit)
            let encoder = BlockEncoder(code: try CanonicalCode(lengths: lengths))
            codeFrame = frames.count
            frames.frame(.code) { CodePayload(lengths: lengths).encode(into: &$0) }
            for b in 0..<blockCount {
                let start = b * parameters.blockWeights
                let n = min(parameters.blockWeights, words.count - start)
                blockDigests.append(Checksum.xxh3(UnsafeRawBufferPointer(start: words.baseAddress! + start,
                                                                         count: 2 * n)))
                blockFrames.append(frames.count)
                frames.begin(.block)
                BlockFields(index: UInt32(firstBlock + b), method: .bf16Exponents, byteCount: UInt32(2 * n))
                    .encode(into: &frames.writer)
                let sizesAt = frames.writer.count
                frames.writer.skip(BlockFields.streamSizesSize)
                let signMantissa = (frames.writer.base + frames.writer.count).assumingMemoryBound(to: UInt8.self)
                frames.writer.skip(n)
                let bitsRoom = BlockEncoder.maxBitsBytes(count: n, maxLength: ContainerFormat.maxCodeLength)
                let bits = UnsafeMutableRawBufferPointer(start: frames.writer.base + frames.writer.count,
                                                         count: bitsRoom)
                let sizes: StreamSizes
                do {
                    sizes = try encoder.encode(words: words.baseAddress! + start, count: n,
                                               signMantissa: signMantissa, bits: bits)
                } catch let error as EntropyCodingError {
                    throw ContainerError(file: inputName, tensor: job.tensor.name, block: firstBlock + b,
                                         .inputChanged("\(error)"))
                }
                try checkUnchanged(job, UnsafeRawBufferPointer(start: words.baseAddress! + start, count: 2 * n),
                                   digest: blockDigests[b], block: firstBlock + b)
                var total = 0
                for i in 0..<4 {
                    frames.writer.patch(sizes[i], at: sizesAt + 4 * i)
                    total += Int(sizes[i])
                }
                frames.writer.skip(total)
                exponentBits += UInt64(total) * 8
                frames.end()
            }
        } else {
            try compressors.withResource { zstd in
                for b in 0..<blockCount {
                    let block = beginBlock(job, b, frames: &frames, blockFrames: &blockFrames, blockDigests: &blockDigests)
                    let n = block.count
                    let methodAt = frames.writer.count + BlockFields.methodOffset
                    BlockFields(index: UInt32(firstBlock + b), method: .raw, byteCount: UInt32(n))
                        .encode(into: &frames.writer)
                    let room = UnsafeMutableRawBufferPointer(start: frames.writer.base + frames.writer.count,
                                                             count: frames.writer.capacity - frames.writer.count)
                    if n > 0, let packed = zstd.compress(block, into: room), packed < n {
                        frames.writer.patch(BlockMethod.zstd.rawValue, at: methodAt)
                        frames.writer.skip(packed)
                    } else {
                        frames.writer.append(block)
                    }
                    try checkUnchanged(job, block, digest: blockDigests[b], block: firstBlock + b)
                    frames.end()
                }
            }
        }
        return EncodedSegment(job: job, output: output, count: frames.count, blockFrames: blockFrames,
                              codeFrame: codeFrame, exponentBits: exponentBits, blockDigests: blockDigests,
                              encoding: encoding)
    }

    /// Block `b` of a segment of bytes (not BF16 format 1.0's, which works on words): its bytes, with its checksum
    /// recorded and its frame begun.
    private func beginBlock(_ job: SegmentJob, _ b: Int, frames: inout FrameBuilder, blockFrames: inout [Int],
                            blockDigests: inout [UInt64]) -> UnsafeRawBufferPointer {
        let start = b * parameters.blockBytes
        let block = UnsafeRawBufferPointer(rebasing: job.bytes[start..<start + min(parameters.blockBytes, job.count - start)])
        blockDigests.append(Checksum.xxh3(block))
        blockFrames.append(frames.count)
        frames.begin(.block)
        return block
    }

    private func structuredEncoder(_ job: SegmentJob) -> StructuredSegmentEncoder {
        StructuredSegmentEncoder(layout: FloatLayout(dtype: job.tensor.dtype)!, tableLog: parameters.level.tableLog!,
                                 blockBytes: parameters.blockBytes)
    }

    /// Format 2.0: the segment's `CDE2` frame, then a `BLK ` frame per block (method 3, or raw or zstd where that is
    /// smaller). Returns the bits of coded streams written.
    private func encodeStructured(_ job: SegmentJob, encoder: StructuredSegmentEncoder, plan: StructuredSegmentEncoder.Plan,
                                  firstBlock: Int, blockCount: Int, frames: inout FrameBuilder, blockFrames: inout [Int],
                                  blockDigests: inout [UInt64]) throws -> UInt64 {
        frames.frame(.structuredCode) { plan.payload.encode(into: &$0) }
        // A scratch per segment, not one kept per worker (as the reader does): kept, it made the 1 GB checkpoint's
        // compress take 44 k minor faults instead of 27 k, in sysmalloc and the first pass (most likely glibc's
        // dynamic mmap threshold, which a freed large block raises, stayed low).
        let scratch = StructuredScratch(blockBytes: parameters.blockBytes)
        var zstdRoom: UnsafeMutableRawBufferPointer?
        defer { zstdRoom?.deallocate() }
        var codedBits: UInt64 = 0
        for b in 0..<blockCount {
            let block = beginBlock(job, b, frames: &frames, blockFrames: &blockFrames, blockDigests: &blockDigests)
            let n = block.count
            let fieldsAt = frames.writer.count
            BlockFields(index: UInt32(firstBlock + b), method: .structured, byteCount: UInt32(n)).encode(into: &frames.writer)
            let dataAt = frames.writer.count
            let bits: Int
            do {
                bits = try encoder.writeBlock(block, plan: plan, block: b, scratch: scratch, into: &frames.writer)
            } catch let error as EntropyCodingError {
                // A symbol the pass-1 histograms did not see: the mapped input changed between the passes.
                throw ContainerError(file: inputName, tensor: job.tensor.name, block: firstBlock + b, .inputChanged("\(error)"))
            }
            var size = frames.writer.count - dataAt
            var method = BlockMethod.structured
            if plan.singleSymbol[b] {
                // A constant run: zstd may store the raw bits better than method 3 can.
                let room = zstdRoom ?? .allocate(byteCount: ZstdCompressor.bound(parameters.blockBytes), alignment: 8)
                zstdRoom = room
                if let packed = try compressors.withResource({ $0.compress(block, into: room) }), packed < size {
                    frames.writer.rewind(to: dataAt)
                    frames.writer.append(UnsafeRawBufferPointer(rebasing: room[0..<packed]))
                    (size, method) = (packed, .zstd)
                }
            }
            if size >= n {
                frames.writer.rewind(to: dataAt)
                frames.writer.append(block)
                method = .raw
            }
            if method == .structured {
                codedBits += UInt64(bits)
            } else {
                frames.writer.patch(method.rawValue, at: fieldsAt + BlockFields.methodOffset)
            }
            try checkUnchanged(job, block, digest: blockDigests[b], block: firstBlock + b)
            frames.end()
        }
        return codedBits
    }
}
