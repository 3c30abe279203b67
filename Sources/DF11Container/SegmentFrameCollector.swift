import DF11IO
import DF11Pipeline
import EntropyCoding
import Safetensors

/// Where a collected segment's frames are.
enum SegmentStorage {
    /// Read into a buffer of the pool (pipes).
    case buffer(UnsafeMutableRawBufferPointer)
    /// Still in the file, at this range (regular files: the worker maps it).
    case file(InputFile, Range<UInt64>)
}

/// The code frame that opens a segment, as read.
enum SegmentCodeFrame {
    /// A `CODE` frame's code lengths (format 1.0, BF16).
    case huffman([UInt8])
    /// A `CDE2` frame (format 2.0, the float layouts).
    case structured(StructuredCodePayload)

    /// The code its blocks decode with; a `CODE` whose lengths are not a prefix code throws.
    func segmentCode(blockBytes: Int) throws -> SegmentCode {
        try segmentCode(scratch: StructuredScratch(blockBytes: blockBytes))
    }

    /// `segmentCode`, a structured code working in `scratch` (for blocks of the container's size).
    func segmentCode(scratch: @autoclosure () -> StructuredScratch) throws -> SegmentCode {
        switch self {
        case .huffman(let lengths): return .huffman(try BlockDecoder(lengths: lengths))
        case .structured(let payload):
            return .structured(StructuredBlockDecoder(code: try StructuredSegmentCode(payload), scratch: scratch()))
        }
    }

    var frameName: String {
        switch self {
        case .huffman: return "CODE"
        case .structured: return "CDE2"
        }
    }
}

/// A run of `BLK ` frames of one tensor that share a code, read whole into a pooled buffer.
struct CollectedSegment {
    let tensorIndex: Int
    let encoding: TensorEncoding
    /// The `CODE` or `CDE2` frame that opens the segment (encodings 1 and 3).
    let code: SegmentCodeFrame?
    let firstBlock: Int
    /// Where the frames are: read into a pooled buffer (from a pipe), or still in the file.
    let storage: SegmentStorage
    /// Where each whole frame lies, relative to the start of the storage.
    let frames: [Range<Int>]

    /// The frames' bytes: the pooled buffer, or a fresh mapping of the file range (kept alive by the
    /// returned region until the caller drops it).
    func bytes() throws -> (UnsafeRawBufferPointer, MappedRegion?) {
        switch storage {
        case .buffer(let buffer):
            return (UnsafeRawBufferPointer(buffer), nil)
        case let .file(file, range):
            let region = try MappedRegion(file, offset: range.lowerBound, count: Int(range.count))
            return (region.bytes, region)
        }
    }

    /// How many bytes its blocks decode to (the last block of a tensor may be short).
    func decodedBytes(of tensor: TensorInfo, parameters: ContainerParameters) -> Int {
        let start = UInt64(firstBlock) * UInt64(parameters.blockBytes)
        let end = min(tensor.byteCount, UInt64(firstBlock + frames.count) * UInt64(parameters.blockBytes))
        return end > start ? Int(end - start) : 0
    }

    /// Checks and decodes every block into `output`, a structured code working in `scratch`; returns the bytes
    /// written and each block's checksum.
    func decode(into output: UnsafeMutableRawBufferPointer, zstd: ZstdDecompressor, scratch: StructuredScratch, file: String,
                tensor: TensorInfo, parameters: ContainerParameters) throws -> (count: Int, digests: [UInt64]) {
        let (buffer, region) = try bytes()
        defer { withExtendedLifetime(region) {} }
        var decoder: SegmentCode?
        if let code {
            do { decoder = try code.segmentCode(scratch: scratch) } catch {
                throw ContainerError(file: file, tensor: tensor.name, block: firstBlock,
                                     .malformedFrame(frame: code.frameName, reason: "\(error)"))
            }
        }
        var written = 0
        var digests: [UInt64] = []
        digests.reserveCapacity(frames.count)
        for (i, range) in frames.enumerated() {
            let block = firstBlock + i
            let start = UInt64(block) * UInt64(parameters.blockBytes)
            let expected = Int(min(UInt64(parameters.blockBytes), tensor.byteCount - start))
            let problem = try BlockFrameDecoder(expectedIndex: block, expectedBytes: expected, encoding: encoding)
                .decode(frame: UnsafeRawBufferPointer(rebasing: buffer[range]), code: decoder, zstd: zstd,
                        into: UnsafeMutableRawBufferPointer(rebasing: output[written...]))
            if let problem { throw ContainerError(file: file, tensor: tensor.name, block: block, problem) }
            digests.append(Checksum.xxh3(UnsafeRawBufferPointer(rebasing: output[written..<written + expected])))
            written += expected
        }
        return (written, digests)
    }
}

/// The reading pipeline's producer: walks the frames in order, checks their sequence against the original
/// header, and groups each tensor's blocks into segments.
struct SegmentFrameCollector {
    let frames: FrameReader
    let header: SafetensorsHeader
    let parameters: ContainerParameters
    let buffers: BufferPool
    /// The file's major version: which encodings its tensors may use.
    let majorVersion: UInt16

    private var lookahead: FrameHeader?
    private var nextTensor = 0
    private var current: (index: Int, encoding: TensorEncoding, blocks: Int)?
    private var nextBlock = 0
    private var index = IndexBuilder()
    private var currentCode: UInt64 = 0
    private var finished = false

    init(frames: FrameReader, header: SafetensorsHeader, parameters: ContainerParameters, buffers: BufferPool,
         majorVersion: UInt16) {
        self.majorVersion = majorVersion
        self.frames = frames
        self.header = header
        self.parameters = parameters
        self.buffers = buffers
    }

    /// Input room for one segment: the `CODE` frame is read separately, so only block frames.
    static func capacity(_ p: ContainerParameters) -> Int {
        p.segmentBlocks * (ContainerFormat.maxBlockPayload(blockWeights: p.blockWeights)
                           + ContainerFormat.frameHeaderSize + ContainerFormat.frameChecksumSize)
    }

    /// The next job, or nil after the trailer. Errors name the tensor and block being read.
    mutating func next() throws -> ReadJob? {
        do { return try step() } catch let error as ContainerError where error.tensor == nil {
            guard let current else { throw error }
            throw ContainerError(file: error.file, tensor: header.tensorsInFileOrder[current.index].name,
                                 block: nextBlock, error.problem)
        }
    }

    private var file: String { frames.file }

    private mutating func nextHeader(expecting: String) throws -> FrameHeader {
        if let header = lookahead {
            lookahead = nil
            return header
        }
        return try frames.readFrameHeader(expecting: expecting)
    }

    private mutating func step() throws -> ReadJob? {
        if finished { return nil }
        while true {
            let h = try nextHeader(expecting: current == nil ? "the next tensor or the index" : "the next block")
            guard let type = h.known else {
                if h.skippable { try frames.skipFrame(h); continue }
                throw ContainerError(file: file, .unknownFrame(h.name))
            }
            switch type {
            case .tensorBegin: return try beginTensor(h)
            case .code, .structuredCode: return try segment(startingWith: h)
            case .block: return try segment(startingWith: h)
            case .tensorEnd: return try endTensor(h)
            case .index: return try readIndex(h)
            case .header:
                throw ContainerError(file: file, .unexpectedFrame(found: "SHDR", expected: "tensor frames"))
            }
        }
    }

    private mutating func beginTensor(_ h: FrameHeader) throws -> ReadJob {
        guard current == nil else {
            throw ContainerError(file: file, .unexpectedFrame(found: "TENS", expected: "TEND"))
        }
        let begin = try TensorBeginPayload(parsing: try frames.readSmallFrame(h, limit: UInt64(TensorBeginPayload.size)),
                                           file: file, reservedFieldsAreZero: frames.reservedFieldsAreZero)
        let (tensorIndex, encoding, byteCount) = (begin.tensorIndex, begin.encoding, begin.byteCount)
        guard Int(tensorIndex) == nextTensor, nextTensor < header.tensorsInFileOrder.count else {
            throw ContainerError(file: file, .malformedFrame(
                frame: "TENS", reason: "tensor number \(tensorIndex), expected \(nextTensor)"))
        }
        let tensor = header.tensorsInFileOrder[nextTensor]
        guard byteCount == tensor.byteCount,
              TensorBeginPayload.allows(encoding, for: tensor.dtype, major: majorVersion) else {
            throw ContainerError(file: file, tensor: tensor.name, .malformedFrame(
                frame: "TENS", reason: "size or encoding disagrees with the original header"))
        }
        let blocks = Int((byteCount + UInt64(parameters.blockBytes) - 1) / UInt64(parameters.blockBytes))
        current = (nextTensor, encoding, blocks)
        nextTensor += 1
        nextBlock = 0
        currentCode = 0
        index.beginTensor(at: h.offset)
        return .tensorBegin(Int(tensorIndex))
    }

    private mutating func segment(startingWith first: FrameHeader) throws -> ReadJob {
        guard let tensor = current else {
            throw ContainerError(file: file, .unexpectedFrame(found: first.name, expected: "TENS"))
        }
        var code: SegmentCodeFrame?
        var h = first
        if first.known == .code || first.known == .structuredCode {
            let expected: FrameType = tensor.encoding == .structured ? .structuredCode : .code
            guard tensor.encoding != .bytes, first.known == expected else {
                throw ContainerError(file: file, .unexpectedFrame(found: first.name, expected: tensor.encoding == .bytes
                                                                  ? "BLK" : FrameType.name(of: expected.rawValue)))
            }
            if expected == .code {
                code = .huffman(try CodePayload(parsing: try frames.readSmallFrame(h, limit: UInt64(CodePayload.size)),
                                                file: file).lengths)
            } else {
                let layout = FloatLayout(dtype: header.tensorsInFileOrder[tensor.index].dtype)!
                code = .structured(try StructuredCodePayload(
                    parsing: try frames.readSmallFrame(h, limit: UInt64(StructuredCodePayload.maxSize)), layout: layout,
                    file: file))
            }
            currentCode = h.offset
            h = try frames.readFrameHeader(expecting: "a block after CODE")
            guard h.known == .block else {
                throw ContainerError(file: file, .unexpectedFrame(found: h.name, expected: "BLK"))
            }
        } else if tensor.encoding != .bytes {
            throw ContainerError(file: file, .unexpectedFrame(found: "BLK",
                                                              expected: tensor.encoding == .structured ? "CDE2" : "CODE"))
        }
        // From a file, frames stay where they are (the worker maps them); from a pipe they are read here, into
        // a buffer grown frame by frame, so that memory follows the bytes that arrive, not the declared sizes.
        var buffer = frames.positionedFile == nil ? buffers.take(atLeast: 0) : nil
        var ranges: [Range<Int>] = []
        var used = 0
        let start = h.offset
        let firstBlock = nextBlock
        let limit = UInt64(ContainerFormat.maxBlockPayload(blockWeights: parameters.blockWeights))
        do {
            while true {
                guard h.length <= limit else {
                    throw ContainerError(file: file, .frameTooLarge(frame: "BLK", length: h.length))
                }
                guard nextBlock < tensor.blocks else {
                    throw ContainerError(file: file, .malformedFrame(frame: "BLK", reason: "more blocks than the tensor has"))
                }
                index.addBlock(at: h.offset, code: tensor.encoding == .bytes ? 0 : currentCode)
                let size: Int
                if buffer != nil {
                    buffers.grow(&buffer!, toAtLeast: used + Int(h.totalSize), keeping: used)
                    size = try frames.readFrameBody(h, into: UnsafeMutableRawBufferPointer(rebasing: buffer![used...]))
                } else {
                    size = try frames.skipFrameBody(h).count
                }
                ranges.append(used..<used + size)
                used += size
                nextBlock += 1
                if ranges.count == parameters.segmentBlocks { break }
                let following = try frames.readFrameHeader(expecting: "the next block or TEND")
                if following.known != .block { lookahead = following; break }
                h = following
            }
        } catch {
            if let buffer { buffers.give(buffer) }
            throw error
        }
        let storage: SegmentStorage = buffer.map { .buffer($0) }
            ?? .file(frames.positionedFile!, start..<start + UInt64(used))
        return .segment(CollectedSegment(tensorIndex: tensor.index, encoding: tensor.encoding, code: code,
                                         firstBlock: firstBlock, storage: storage, frames: ranges))
    }

    private mutating func endTensor(_ h: FrameHeader) throws -> ReadJob {
        guard let tensor = current else {
            throw ContainerError(file: file, .unexpectedFrame(found: "TEND", expected: "TENS"))
        }
        let end = try TensorEndPayload(parsing: try frames.readSmallFrame(h, limit: UInt64(TensorEndPayload.size)),
                                       file: file)
        guard Int(end.tensorIndex) == tensor.index, Int(end.blocks) == tensor.blocks, nextBlock == tensor.blocks else {
            throw ContainerError(file: file, .malformedFrame(
                frame: "TEND", reason: "\(nextBlock) blocks read, \(end.blocks) recorded, \(tensor.blocks) expected"))
        }
        _ = index.endTensor(at: h.offset)
        current = nil
        return .tensorEnd(tensorIndex: tensor.index, digest: end.digest)
    }

    private mutating func readIndex(_ h: FrameHeader) throws -> ReadJob {
        guard current == nil, nextTensor == header.tensorsInFileOrder.count else {
            throw ContainerError(file: file, .unexpectedFrame(found: "INDX", expected: "more tensors"))
        }
        let blocks = index.tensors.reduce(0) { $0 + $1.blockFrames.count }
        let expectedLength = UInt64(ContainerIndex.payloadSize(tensors: index.tensors.count, blocks: blocks))
        guard h.length == expectedLength else {
            throw ContainerError(file: file, .indexMismatch("INDX holds \(h.length) bytes, expected \(expectedLength)"))
        }
        let payload = try frames.readSmallFrame(h, limit: expectedLength)
        let stored = try payload.withUnsafeBytes { try ContainerIndex(parsing: $0, file: file) }
        guard stored == index.index else {
            throw ContainerError(file: file, .indexMismatch("frame offsets differ"))
        }
        var trailer = [UInt8](repeating: 0, count: Trailer.size)
        try trailer.withUnsafeMutableBytes { try frames.readExactly($0, what: "in the trailer") }
        guard let parsed = Trailer(parsing: trailer), parsed.indexOffset == h.offset else {
            throw ContainerError(file: file, .malformedFrame(frame: "trailer", reason: "does not point at the index"))
        }
        try frames.expectEnd()
        finished = true
        return .index
    }
}
