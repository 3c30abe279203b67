import DF11IO
import DF11Pipeline
import Safetensors

/// What one compression did, for reports and `--json`.
public struct CompressionSummary: Sendable {
    public var file: String
    public var tensors = 0
    public var bf16Tensors = 0
    public var blocks = 0
    public var originalBytes: UInt64 = 0
    public var containerBytes: UInt64 = 0
    public var bf16Bytes: UInt64 = 0
    /// Bits of Huffman-coded exponents written, over all BF16 tensors.
    public var exponentBits: UInt64 = 0

    public init(file: String) { self.file = file }

    /// Container size as a fraction of the original.
    public var ratio: Double { originalBytes == 0 ? 1 : Double(containerBytes) / Double(originalBytes) }
}

/// Compresses one safetensors stream into a DF11 container, front to back, with bounded memory.
///
/// Reading and writing happen on the calling thread; segments are encoded on `threads` workers, at most
/// `threads + 2` full segments in flight. From a file, small segments (small tensors) also go ahead, within the
/// output room of those `threads + 2` segments, so that a file's many small tensors do not wait behind its
/// largest one while the other workers idle. The source is read once and never seeked, so a pipe works as
/// well as a file.
public struct ContainerWriter {
    public var parameters: ContainerParameters
    public var threads: Int

    public init(parameters: ContainerParameters = .default, threads: Int) {
        self.parameters = parameters
        self.threads = max(1, threads)
    }

    /// Reads a safetensors file from `source` and writes its container to `sink`.
    public func compress(source: ByteSource, to sink: ByteSink,
                         progress: (any ProgressObserver)? = nil) throws -> CompressionSummary {
        if let problem = parameters.problem {
            throw ContainerError(file: source.name, .badParameters(problem))
        }
        let reader = try SafetensorsReader(source: source)
        // A regular file, whose size the header was checked against, is read by the workers themselves.
        let positioned = source as? InputFile
        let header = reader.header
        let background = BackgroundSink(sink)
        defer { background.drain() }
        let output = CountingSink(background)
        var summary = CompressionSummary(file: source.name)
        summary.originalBytes = UInt64(header.dataStart) + header.dataSectionSize

        // File header and the original safetensors header.
        try output.write(FileHeader(parameters: parameters, originalSize: summary.originalBytes).encode())
        let shdr = HeaderPayload(header: header)
        try writeFrame(.header, to: output, payloadCapacity: shdr.size) { shdr.encode(into: &$0) }

        // Tensors, segment by segment. A small segment's output (a quarter of a full one's room or less) gets a
        // buffer of a pool of small ones (the smallest free one that fits, kept for the next small segment); a
        // larger one takes a full buffer of the pool and weighs a full room. At most `inFlight` full rooms are in
        // flight, and at most `4 × inFlight` small buffers of at most a quarter room exist, waiting to be written
        // included (the background writer's queue is not bounded otherwise): the small ones add at most the room of
        // `inFlight` full segments. A job in flight always finds a buffer in the end, as fewer jobs are in flight
        // than each pool has buffers and the writer gives the rest back. A pipe is read into pooled input buffers in
        // `produce`, so there the count alone bounds the jobs, as before.
        let inFlight = threads + 2
        let fullRoom = SegmentEncoder.maxOutputBytes(parameters)
        let smallRoom = fullRoom / 4
        let maxJobs = positioned == nil ? inFlight : 4 * inFlight
        let inputs = BufferPool(count: positioned == nil ? inFlight + 1 : 0, capacity: parameters.segmentBytes)
        let outputs = BufferPool(count: inFlight + 1, capacity: fullRoom)
        let smallOutputs = BufferPool(count: 4 * inFlight, capacity: smallRoom)
        let smallRoomOf = { (job: SegmentJob) -> Int? in
            guard positioned != nil else { return nil }
            let room = SegmentEncoder.maxOutputBytes(parameters, count: job.count)
            return room <= smallRoom ? room : nil
        }
        let encoder = SegmentEncoder(parameters: parameters, inputName: source.name)
        let tensorDigest = TensorDigest()
        var index = IndexBuilder()

        try OrderedPipeline.run(
            threads: threads, maxInFlight: maxJobs,
            weight: { job in smallRoomOf(job) ?? fullRoom }, maxWeight: inFlight * fullRoom,
            produce: { () -> SegmentJob? in
                if positioned != nil {
                    guard let chunk = reader.nextChunkWithoutReading(maxBytes: parameters.segmentBytes) else {
                        return nil
                    }
                    return SegmentJob(tensorIndex: chunk.tensorIndex, tensor: chunk.tensor,
                                      offsetInTensor: chunk.offsetInTensor, count: chunk.count,
                                      isLastOfTensor: chunk.isLastOfTensor, input: .mapped(nil))
                }
                let buffer = inputs.take()
                guard let chunk = try reader.nextChunk(into: buffer) else {
                    inputs.give(buffer)
                    return nil
                }
                return SegmentJob(tensorIndex: chunk.tensorIndex, tensor: chunk.tensor,
                                  offsetInTensor: chunk.offsetInTensor, count: chunk.count,
                                  isLastOfTensor: chunk.isLastOfTensor, input: .buffer(buffer))
            },
            work: { job -> EncodedSegment in
                var job = job
                // A file is mapped here, on the workers, without copying; a pipe was read in `produce`.
                if let positioned {
                    let start = header.dataStart + job.tensor.dataOffsets.lowerBound + job.offsetInTensor
                    job.input = .mapped(try MappedRegion(positioned, offset: start, count: job.count, populate: true))
                }
                // On failure the buffers stay out of the pools, which free them all when the run ends.
                let room = smallRoomOf(job)
                return try encoder.encode(job, into: room.map { smallOutputs.take(atLeast: $0) } ?? outputs.take())
            },
            consume: { segment in
                if case .buffer(let buffer) = segment.job.input { inputs.give(buffer) }
                let job = segment.job
                if job.offsetInTensor == 0 {
                    tensorDigest.reset()
                    index.beginTensor(at: output.offset)
                    summary.tensors += 1
                    if job.tensor.dtype == .bf16 {
                        summary.bf16Tensors += 1
                        summary.bf16Bytes += job.tensor.byteCount
                    }
                    let begin = TensorBeginPayload(tensorIndex: UInt32(job.tensorIndex),
                                                   encoding: segment.encoding,
                                                   byteCount: job.tensor.byteCount)
                    try writeFrame(.tensorBegin, to: output, payloadCapacity: TensorBeginPayload.size) {
                        begin.encode(into: &$0)
                    }
                }
                for digest in segment.blockDigests { tensorDigest.add(blockDigest: digest) }
                let base = output.offset
                let codeOffset = segment.codeFrame.map { base + UInt64($0) }
                for frame in segment.blockFrames {
                    index.addBlock(at: base + UInt64(frame), code: codeOffset ?? 0)
                }
                summary.blocks += segment.blockFrames.count
                summary.exponentBits += segment.exponentBits
                let frames = UnsafeRawBufferPointer(rebasing: segment.output[0..<segment.count])
                let pool = smallRoomOf(job) == nil ? outputs : smallOutputs
                try output.write(frames) { pool.give(segment.output) }
                progress?.advance(by: UInt64(job.count))
                if job.isLastOfTensor {
                    let blocks = index.endTensor(at: output.offset)
                    let end = TensorEndPayload(tensorIndex: UInt32(job.tensorIndex), blocks: UInt32(blocks),
                                               digest: tensorDigest.value)
                    try writeFrame(.tensorEnd, to: output, payloadCapacity: TensorEndPayload.size) {
                        end.encode(into: &$0)
                    }
                }
            })

        // Footer index and trailer.
        let indexOffset = output.offset
        let indexPayload = index.index.encode()
        try writeFrame(.index, to: output, payloadCapacity: indexPayload.count) { w in w.append(indexPayload) }
        try writeSmall(to: output, capacity: Trailer.size) { Trailer(indexOffset: indexOffset).encode(into: &$0) }
        try background.finish()
        summary.containerBytes = output.offset
        return summary
    }

    private func writeFrame(_ type: FrameType, to sink: ByteSink, payloadCapacity: Int,
                            _ payload: (inout LittleEndianWriter) -> Void) throws {
        let capacity = payloadCapacity + ContainerFormat.frameHeaderSize + ContainerFormat.frameChecksumSize
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        var frames = FrameBuilder(buffer)
        frames.frame(type, payload: payload)
        try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<frames.count]))
    }

    private func writeSmall(to sink: ByteSink, capacity: Int, _ body: (inout LittleEndianWriter) -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        var writer = LittleEndianWriter(buffer)
        body(&writer)
        try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<writer.count]))
    }
}

/// A sink that counts the bytes written through it, for frame offsets.
final class CountingSink: ByteSink {
    let sink: ByteSink
    private(set) var offset: UInt64 = 0

    init(_ sink: ByteSink) { self.sink = sink }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try sink.write(bytes)
        offset += UInt64(bytes.count)
    }

    /// Writes without copying when the sink is a `BackgroundSink`; `release` runs once the bytes are out.
    func write(_ bytes: UnsafeRawBufferPointer, release: @escaping () -> Void) throws {
        if let background = sink as? BackgroundSink {
            try background.write(bytes, release: release)
        } else {
            defer { release() }
            try sink.write(bytes)
        }
        offset += UInt64(bytes.count)
    }
}
