import DF11IO
import DF11Pipeline
import EntropyCoding
import Safetensors

/// What one decompression or verification did.
public struct DecompressionSummary: Sendable {
    public var file: String
    public var tensors = 0
    public var blocks = 0
    public var originalBytes: UInt64 = 0
    public var containerBytes: UInt64 = 0
    /// The most bytes the reader's buffers held: it follows the segments actually read, whatever the header
    /// declares (for a pipe, up to `threads + 3` segments of input and of output).
    public var bufferBytes = 0

    public init(file: String) { self.file = file }
}

/// Decodes a DF11 container front to back — from a file or a pipe — checking every checksum, and writes
/// the original safetensors bytes to a sink (decompress) or nowhere (verify).
///
/// Reading happens on the calling thread; segments decode on `threads` workers with at most `threads + 2` in
/// flight, and are written by those workers (a file) or by a background writer in order (a pipe).
public struct ContainerReader {
    public var threads: Int

    public init(threads: Int) { self.threads = max(1, threads) }

    /// Decodes `source`; writes the original file to `sink` unless it is nil.
    public func decompress(source: ByteSource, to sink: ByteSink?,
                           progress: (any ProgressObserver)? = nil) throws -> DecompressionSummary {
        let frames = FrameReader(source: source)
        let fileHeader = try frames.readFileHeader()
        let parameters = fileHeader.parameters
        progress?.setTotalIfUnknown(fileHeader.originalSize)

        // The original safetensors header, written out first.
        let first = try frames.readFrameHeader(expecting: "the SHDR frame")
        guard first.known == .header else {
            throw ContainerError(file: frames.file, .unexpectedFrame(found: first.name, expected: "SHDR"))
        }
        let shdr = try frames.readSmallFrame(first, limit: ContainerFormat.maxHeaderFrameBytes)
        let header = try HeaderPayload(parsing: shdr, file: frames.file, originalSize: fileHeader.originalSize).header
        // Decoded bytes go out from the workers themselves, each at its place, when the sink is a file: the
        // kernel's share of writing (half the CPU on tmpfs) then runs on every worker. Otherwise (a pipe) they
        // go through a background writer, in order. Nowhere for verify. (Writing into a shared mapping of the
        // output was measured slower on tmpfs, and its pages count as resident memory.)
        let positioned = sink as? PositionedByteSink
        let background = positioned == nil ? sink.map { BackgroundSink($0) } : nil
        defer { background?.drain() }
        if let positioned { try shdr.withUnsafeBytes { try positioned.write($0, concurrentlyAt: 0) } }
        if let background { try shdr.withUnsafeBytes { try background.write($0) } }

        var summary = DecompressionSummary(file: frames.file)
        var written = UInt64(shdr.count)
        let inFlight = threads + 2
        let inputs = BufferPool(count: frames.positionedFile == nil ? inFlight + 1 : 0,
                                capacity: SegmentFrameCollector.capacity(parameters))
        let outputs = BufferPool(count: inFlight + 1, capacity: parameters.segmentBytes)
        // From a file to a file (or to nowhere), a job holds no buffer once its worker is done: the worker read its
        // frames and wrote (or dropped) its bytes. Many jobs can then be in flight for the same memory, so that a
        // file's many small tensors (three jobs each) do not wait behind its largest segment while the other
        // workers idle. Otherwise each job in flight may hold an input or an output buffer: at most `inFlight`.
        let maxJobs = frames.positionedFile != nil && background == nil ? 16 * inFlight : inFlight
        var collector = SegmentFrameCollector(frames: frames, header: header, parameters: parameters,
                                             buffers: inputs, majorVersion: fileHeader.majorVersion)
        let decompressors = ResourcePool { ZstdDecompressor() }
        // The structured decoder's working memory, one per worker and kept between segments (a fresh one per segment
        // faulted its pages in again for every small tensor).
        let scratches = ResourcePool { StructuredScratch(blockBytes: parameters.blockBytes) }
        let tensorDigest = TensorDigest()

        try OrderedPipeline.run(
            threads: threads, maxInFlight: maxJobs,
            produce: { try collector.next() },
            work: { job -> DecodedPiece in
                guard case .segment(let segment) = job else {
                    return DecodedPiece(job: job, output: nil, count: 0, digests: [])
                }
                let tensor = header.tensorsInFileOrder[segment.tensorIndex]
                let output = outputs.take(atLeast: segment.decodedBytes(of: tensor, parameters: parameters))
                let (count, digests) = try decompressors.withResource { zstd in
                    try scratches.withResource { scratch in
                        try segment.decode(into: output, zstd: zstd, scratch: scratch, file: frames.file, tensor: tensor,
                                           parameters: parameters)
                    }
                }
                // Through the background writer the bytes leave after the job; otherwise the buffer goes back now.
                if background != nil { return DecodedPiece(job: job, output: output, count: count, digests: digests) }
                defer { outputs.give(output) }
                if let positioned {
                    let offset = header.dataStart + tensor.dataOffsets.lowerBound
                        + UInt64(segment.firstBlock) * UInt64(parameters.blockBytes)
                    try positioned.write(UnsafeRawBufferPointer(rebasing: output[0..<count]), concurrentlyAt: offset)
                }
                return DecodedPiece(job: job, output: nil, count: count, digests: digests)
            },
            consume: { piece in
                switch piece.job {
                case .tensorBegin:
                    tensorDigest.reset()
                    summary.tensors += 1
                case .segment(let segment):
                    if case .buffer(let buffer) = segment.storage { inputs.give(buffer) }
                    // Only the background writer's pieces still hold their output.
                    if let output = piece.output, let background {
                        try background.write(UnsafeRawBufferPointer(rebasing: output[0..<piece.count])) {
                            outputs.give(output)
                        }
                    }
                    for digest in piece.digests { tensorDigest.add(blockDigest: digest) }
                    written += UInt64(piece.count)
                    summary.blocks += segment.frames.count
                    progress?.advance(by: UInt64(piece.count))
                case let .tensorEnd(tensorIndex, digest):
                    guard tensorDigest.value == digest else {
                        throw ContainerError(file: frames.file, tensor: header.tensorsInFileOrder[tensorIndex].name,
                                             .tensorChecksum)
                    }
                case .index:
                    break
                }
            })

        try background?.finish()
        guard written == fileHeader.originalSize else {
            throw ContainerError(file: frames.file, .sizeMismatch(
                "decoded \(written) bytes, the header promises \(fileHeader.originalSize)"))
        }
        summary.originalBytes = written
        summary.containerBytes = frames.offset
        summary.bufferBytes = inputs.allocatedBytes + outputs.allocatedBytes
        return summary
    }
}

/// One step of a container, as the reading pipeline sees it.
enum ReadJob {
    case tensorBegin(Int)
    case segment(CollectedSegment)
    case tensorEnd(tensorIndex: Int, digest: UInt64)
    case index
}

/// A job with its decoded bytes (segments only).
struct DecodedPiece {
    let job: ReadJob
    /// The decoded bytes when the background writer is to write them (a pipe), nil otherwise.
    let output: UnsafeMutableRawBufferPointer?
    let count: Int
    let digests: [UInt64]
}
