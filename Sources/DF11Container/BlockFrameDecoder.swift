import EntropyCoding

/// A segment's code, as its blocks need it: format 1.0's Huffman decoder (`CODE`), or format 2.0's split and
/// tables (`CDE2`) with working memory for one block.
enum SegmentCode {
    case huffman(BlockDecoder)
    case structured(StructuredBlockDecoder)
}

/// Checks and decodes one whole `BLK ` frame (header, payload and checksum) into its original bytes.
///
/// Shared by the streaming reader and random access. Throws a `ContainerError` naming the problem; the
/// caller adds the file, tensor and block names.
struct BlockFrameDecoder {
    let expectedIndex: Int
    let expectedBytes: Int
    let encoding: TensorEncoding

    /// - Parameters:
    ///   - frame: the frame from its type field to its checksum, inclusive.
    ///   - code: the segment's code (tensors of encodings 1 and 3).
    func decode(frame: UnsafeRawBufferPointer, code: SegmentCode?, zstd: ZstdDecompressor,
                into output: UnsafeMutableRawBufferPointer) throws -> ContainerError.Problem? {
        let checked = frame.count - ContainerFormat.frameChecksumSize
        guard checked >= FrameHeader.size + BlockFields.size else {
            return .malformedFrame(frame: "BLK", reason: "shorter than its fixed fields")
        }
        guard frameIsIntact(frame) else { return .frameChecksum(frame: "BLK") }
        var reader = LittleEndianReader(UnsafeRawBufferPointer(
            rebasing: frame[FrameHeader.size..<checked]))
        let fields = BlockFields(parsing: &reader)!
        let (index, methodRaw, count) = (fields.index, fields.method, fields.byteCount)
        guard index == expectedIndex else {
            return .malformedFrame(frame: "BLK", reason: "block number \(index), expected \(expectedIndex)")
        }
        guard count == expectedBytes, count <= output.count else {
            return .sizeMismatch("block holds \(count) bytes, expected \(expectedBytes)")
        }
        guard let method = BlockMethod(rawValue: methodRaw) else {
            return .malformedFrame(frame: "BLK", reason: "unknown block method \(methodRaw)")
        }
        let destination = UnsafeMutableRawBufferPointer(rebasing: output[0..<Int(count)])
        switch (method, encoding) {
        case (.raw, .bytes), (.raw, .structured):
            guard let bytes = reader.read(count: Int(count)), reader.remaining == 0 else {
                return .malformedFrame(frame: "BLK", reason: "raw block length does not match")
            }
            destination.copyMemory(from: bytes)
        case (.zstd, .bytes), (.zstd, .structured):
            let packed = reader.read(count: reader.remaining)!
            if let why = zstd.decompress(packed, into: destination) { return .corruptBlock(reason: why) }
        case (.structured, .structured):
            guard case .structured(let decoder) = code else {
                return .malformedFrame(frame: "BLK", reason: "no CDE2 frame before it")
            }
            return decoder.decode(&reader, into: destination)
        case (.bf16Exponents, .bf16Exponents):
            guard case .huffman(let decoder) = code else {
                return .malformedFrame(frame: "BLK", reason: "no CODE frame before it")
            }
            guard count % 2 == 0 else { return .sizeMismatch("odd byte count \(count) in a BF16 block") }
            let n = Int(count) / 2
            var sizes: [Int] = []
            for _ in 0..<4 { sizes.append(Int(reader.read(UInt32.self) ?? UInt32.max)) }
            guard let signMantissa = reader.read(count: n) else {
                return .malformedFrame(frame: "BLK", reason: "sign-mantissa bytes missing")
            }
            let streamBytes = sizes.reduce(0, +)
            guard sizes.allSatisfy({ $0 != Int(UInt32.max) }), streamBytes == reader.remaining,
                  let bits = reader.read(count: streamBytes) else {
                return .malformedFrame(frame: "BLK", reason: "exponent stream lengths do not add up")
            }
            do {
                try decoder.decode(bits: bits, sizes: StreamSizes(UInt32(sizes[0]), UInt32(sizes[1]), UInt32(sizes[2]), UInt32(sizes[3])),
                                   signMantissa: signMantissa.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                   count: n,
                                   into: destination.baseAddress!.assumingMemoryBound(to: UInt16.self))
            } catch {
                return .corruptBlock(reason: "\(error)")
            }
        default:
            return .malformedFrame(frame: "BLK", reason: "block method \(method) in a tensor stored as \(encoding)")
        }
        return nil
    }
}
