import DF11IO
import DF11Pipeline
import EntropyCoding
import Safetensors

/// A container opened for random access through its footer index: list its tensors, or extract one
/// tensor by decoding only that tensor's blocks.
public final class ContainerFile {
    public let file: InputFile
    public let parameters: ContainerParameters
    public let originalSize: UInt64
    /// The original safetensors header.
    public let header: SafetensorsHeader
    public let index: ContainerIndex
    /// Whether frame flag bits other than bit 0 must be zero (`FileHeader.reservedFieldsAreZero`).
    let reservedFieldsAreZero: Bool
    /// The file's major version (1: format 1.0; 2: the structured coder).
    public let majorVersion: UInt16

    private var name: String { file.name }

    /// Opens `path` and reads its header, original safetensors header, trailer and index.
    public init(path: String) throws {
        let file = try InputFile(path: path)
        self.file = file
        let fileName = file.name
        guard file.size >= UInt64(FileHeader.size + Trailer.size) else {
            var magic = [UInt8](repeating: 0, count: min(Int(file.size), ContainerFormat.magic.count))
            try magic.withUnsafeMutableBytes { try file.read(at: 0, into: $0) }
            if magic == ContainerFormat.magic { throw ContainerError(file: fileName, .truncated("in the file header")) }
            throw ContainerError(file: fileName, .notAContainer)
        }
        var head = [UInt8](repeating: 0, count: FileHeader.size)
        try head.withUnsafeMutableBytes { try file.read(at: 0, into: $0) }
        let fileHeader = try head.withUnsafeBytes { try FileHeader(parsing: $0, file: fileName) }
        parameters = fileHeader.parameters
        originalSize = fileHeader.originalSize
        reservedFieldsAreZero = fileHeader.reservedFieldsAreZero
        majorVersion = fileHeader.majorVersion

        let shdr = try ContainerFile.readFrame(file, at: UInt64(FileHeader.size), expected: .header,
                                               limit: ContainerFormat.maxHeaderFrameBytes,
                                               reservedFieldsAreZero: fileHeader.reservedFieldsAreZero)
        header = try HeaderPayload(parsing: shdr, file: fileName, originalSize: originalSize).header

        var trailer = [UInt8](repeating: 0, count: Trailer.size)
        try trailer.withUnsafeMutableBytes { try file.read(at: file.size - UInt64(Trailer.size), into: $0) }
        guard let indexOffset = Trailer(parsing: trailer)?.indexOffset else {
            throw ContainerError(file: fileName, .truncated("no trailer at the end: the container is incomplete"))
        }
        guard indexOffset < file.size else {
            throw ContainerError(file: fileName, .malformedFrame(frame: "trailer", reason: "index offset beyond the file"))
        }
        let payload = try ContainerFile.readFrame(file, at: indexOffset, expected: .index, limit: file.size,
                                                  reservedFieldsAreZero: fileHeader.reservedFieldsAreZero)
        index = try payload.withUnsafeBytes { try ContainerIndex(parsing: $0, file: fileName) }
        let firstFrame = UInt64(FileHeader.size + FrameHeader.size + shdr.count
                                + ContainerFormat.frameChecksumSize)
        try index.validate(tensors: header.tensorsInFileOrder, blockBytes: UInt64(parameters.blockBytes),
                           firstFrame: firstFrame, indexOffset: indexOffset, majorVersion: fileHeader.majorVersion,
                           file: fileName)
    }

    /// Stored bytes of each tensor (from its `TENS` to the end of its `TEND` frame), in file order.
    public var storedBytes: [UInt64] {
        index.tensors.map { $0.endFrame + TensorEndPayload.frameSize - $0.beginFrame }
    }

    /// Writes the original bytes of tensor `name` to `sink`, decoding only its blocks, `threads` at a time,
    /// and checks them against the tensor's checksum.
    public func extract(tensor name: String, to sink: ByteSink, threads: Int) throws {
        guard let position = header.tensorsInFileOrder.firstIndex(where: { $0.name == name }) else {
            throw ContainerError(file: self.name, .noSuchTensor(name))
        }
        let tensor = header.tensorsInFileOrder[position]
        let entry = index.tensors[position]
        let payload = try ContainerFile.readFrame(file, at: entry.endFrame, expected: .tensorEnd,
                                                  limit: UInt64(TensorEndPayload.size),
                                                  reservedFieldsAreZero: reservedFieldsAreZero)
        let end: TensorEndPayload
        do { end = try TensorEndPayload(parsing: payload, file: self.name) } catch let error as ContainerError {
            throw ContainerError(file: self.name, tensor: name, error.problem)
        }
        guard Int(end.tensorIndex) == position, Int(end.blocks) == entry.blockFrames.count else {
            throw ContainerError(file: self.name, tensor: name, .malformedFrame(
                frame: "TEND", reason: "it closes tensor \(end.tensorIndex) with \(end.blocks) blocks; the index says tensor "
                    + "\(position) with \(entry.blockFrames.count)"))
        }
        let digest = end.digest
        let begin: TensorBeginPayload
        do {
            begin = try TensorBeginPayload(
                parsing: try ContainerFile.readFrame(file, at: entry.beginFrame, expected: .tensorBegin,
                                                     limit: UInt64(TensorBeginPayload.size),
                                                     reservedFieldsAreZero: reservedFieldsAreZero),
                file: self.name, reservedFieldsAreZero: reservedFieldsAreZero)
        } catch let error as ContainerError {
            throw ContainerError(file: self.name, tensor: name, error.problem)
        }
        let encoding = begin.encoding
        guard Int(begin.tensorIndex) == position, begin.byteCount == tensor.byteCount,
              TensorBeginPayload.allows(encoding, for: tensor.dtype, major: majorVersion),
              encoding == .bytes || entry.codeFrames.allSatisfy({ $0 != 0 }) else {
            throw ContainerError(file: self.name, tensor: name, .malformedFrame(
                frame: "TENS", reason: "tensor number, size or encoding disagrees with the header or the index"))
        }
        let blockBytes = UInt64(parameters.blockBytes)
        let limit = UInt64(ContainerFormat.maxBlockPayload(blockWeights: parameters.blockWeights))
        let decompressors = ResourcePool { ZstdDecompressor() }
        // Each worker keeps the code of the segment it decoded last: a segment's blocks share it, and building a
        // format 2.0 code (its tANS tables) costs about as much as decoding a block at 2^15 states.
        let lastCodes = ResourcePool { LastSegmentCode() }
        let tensorDigest = TensorDigest()
        let fileName = self.name
        var next = 0
        try OrderedPipeline.run(
            threads: threads, maxInFlight: threads + 2,
            produce: { () -> Int? in
                defer { next += 1 }
                return next < entry.blockFrames.count ? next : nil
            },
            work: { block -> [UInt8] in
                do {
                    let codeOffset = entry.codeFrames[block]
                    let frame = try ContainerFile.readWholeFrame(self.file, at: entry.blockFrames[block],
                                                                 expected: .block, limit: limit,
                                                                 reservedFieldsAreZero: self.reservedFieldsAreZero)
                    let expected = Int(min(blockBytes, tensor.byteCount - UInt64(block) * blockBytes))
                    var output = [UInt8](repeating: 0, count: expected)
                    let problem = try output.withUnsafeMutableBytes { out in
                        try frame.withUnsafeBytes { raw in
                            try lastCodes.withResource { last in
                                if last.offset != codeOffset || last.code == nil {
                                    last.code = try self.segmentCode(of: tensor, encoding: encoding, at: codeOffset)
                                    last.offset = codeOffset
                                }
                                return try decompressors.withResource { zstd in
                                    try BlockFrameDecoder(expectedIndex: block, expectedBytes: expected, encoding: encoding)
                                        .decode(frame: raw, code: last.code, zstd: zstd, into: out)
                                }
                            }
                        }
                    }
                    if let problem { throw ContainerError(file: fileName, tensor: name, block: block, problem) }
                    return output
                } catch let error as ContainerError where error.tensor == nil {
                    throw ContainerError(file: fileName, tensor: name, block: block, error.problem)
                } catch let error as EntropyCodingError {
                    throw ContainerError(file: fileName, tensor: name, block: block,
                                         .malformedFrame(frame: "CODE", reason: "\(error)"))
                }
            },
            consume: { bytes in
                try bytes.withUnsafeBytes { raw in
                    tensorDigest.add(blockDigest: Checksum.xxh3(raw))
                    try sink.write(raw)
                }
            })
        guard tensorDigest.value == digest else {
            throw ContainerError(file: fileName, tensor: name, .tensorChecksum)
        }
    }

    /// The code of the segment whose `CODE` or `CDE2` frame is at `offset` (nil for encoding 2).
    private func segmentCode(of tensor: TensorInfo, encoding: TensorEncoding, at offset: UInt64) throws -> SegmentCode? {
        switch encoding {
        case .bytes:
            return nil
        case .bf16Exponents:
            let lengths = try ContainerFile.readFrame(file, at: offset, expected: .code, limit: UInt64(CodePayload.size),
                                                      reservedFieldsAreZero: reservedFieldsAreZero)
            return try SegmentCodeFrame.huffman(try CodePayload(parsing: lengths, file: name).lengths)
                .segmentCode(blockBytes: parameters.blockBytes)
        case .structured:
            let payload = try ContainerFile.readFrame(file, at: offset, expected: .structuredCode,
                                                      limit: UInt64(StructuredCodePayload.maxSize),
                                                      reservedFieldsAreZero: reservedFieldsAreZero)
            let frame = try StructuredCodePayload(parsing: payload, layout: FloatLayout(dtype: tensor.dtype)!, file: name)
            do {
                return try SegmentCodeFrame.structured(frame).segmentCode(blockBytes: parameters.blockBytes)
            } catch {
                throw ContainerError(file: name, .malformedFrame(frame: "CDE2", reason: "\(error)"))
            }
        }
    }

    /// Reads a whole frame (header to checksum) at `offset`, checking its type, size and checksum.
    static func readWholeFrame(_ file: InputFile, at offset: UInt64, expected: FrameType,
                               limit: UInt64, reservedFieldsAreZero: Bool = true) throws -> [UInt8] {
        var head = [UInt8](repeating: 0, count: FrameHeader.size)
        try head.withUnsafeMutableBytes { try file.read(at: offset, into: $0) }
        let fields = head.withUnsafeBytes { FrameHeader(parsing: $0, offset: offset) }
        let (type, length) = (fields.type, fields.length)
        guard type == expected.rawValue else {
            throw ContainerError(file: file.name, .unexpectedFrame(found: FrameType.name(of: type),
                                                                   expected: FrameType.name(of: expected.rawValue)))
        }
        guard length <= limit else {
            throw ContainerError(file: file.name, .frameTooLarge(frame: FrameType.name(of: type), length: length))
        }
        let flags = fields.flags
        guard !reservedFieldsAreZero || flags & ~1 == 0 else {
            throw ContainerError(file: file.name, .malformedFrame(
                frame: FrameType.name(of: type), reason: "flags 0x\(String(flags, radix: 16)) set reserved bits"))
        }
        var frame = [UInt8](repeating: 0, count: Int(fields.totalSize))
        try frame.withUnsafeMutableBytes { try file.read(at: offset, into: $0) }
        return frame
    }

    /// Reads a frame at `offset` and returns its payload after checking its checksum.
    static func readFrame(_ file: InputFile, at offset: UInt64, expected: FrameType, limit: UInt64,
                          reservedFieldsAreZero: Bool = true) throws -> [UInt8] {
        let frame = try readWholeFrame(file, at: offset, expected: expected, limit: limit,
                                       reservedFieldsAreZero: reservedFieldsAreZero)
        guard frame.withUnsafeBytes(frameIsIntact) else {
            throw ContainerError(file: file.name, .frameChecksum(frame: FrameType.name(of: expected.rawValue)))
        }
        return framePayload(frame)
    }
}

/// The code of the segment a worker decoded last, and where its code frame is.
private final class LastSegmentCode {
    var offset: UInt64 = 0
    var code: SegmentCode?
}
