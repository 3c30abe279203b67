import EntropyCoding
import DF11IO
import DF11Pipeline
import Safetensors

/// Writes one unit file of the published layout exactly as the official compressor (dfloat11 0.5.0) does:
/// the six unit tensors plus the module's other tensors copied unchanged, in the `safetensors` library's order
/// and padding, no metadata.
///
/// Memory stays bounded whatever the unit's size. The weights are read twice, in chunks: the statistics pass
/// (histograms), which fixes the code, every tensor's size and so the whole file's layout; then one pass in
/// which each worker encodes a chunk and writes its exponent bytes and its sign-mantissa bytes straight to
/// their places in the file (`PositionedByteSink`). Only the bytes two chunks share, the packed gaps (about 8 %
/// of the bitstream) and the output positions go through `UnitStreamAssembler`, in order. The bytes do not
/// depend on the number of threads or the chunk size.
public enum UnitFileWriter {
    /// What was written.
    public struct Report: Sendable {
        /// The unit.
        public let module: String
        /// Weights in the unit.
        public let elementCount: UInt64
        /// Bytes of the exponent bitstream.
        public let encodedBytes: UInt64
        /// Size of the file.
        public let fileSize: UInt64
        /// The round at which the official 32-bit limiter stopped, nil if it did not run.
        public let limiterFinalK: Int?
        /// The longest code.
        public let maxCodeLength: Int
        /// The most weights any 4096-byte block of the bitstream decodes to (the largest difference of two
        /// consecutive output positions). The official GPU kernel asks for `512 * 4 + 4 + 2 * this` bytes of
        /// shared memory per block (`DFloat11Model.from_pretrained`, dfloat11 0.5.0).
        public let maxWeightsPerBlock: UInt32
    }

    /// Writes `unit` from `source` to the file `path` (atomically; `overwrite` allows replacing a file).
    @discardableResult
    public static func write(unit: DFloat11Unit, from source: TensorSource, toPath path: String,
                             overwrite: Bool = false, chunkWords: Int = 1 << 20, threads: Int = 1,
                             counted: [String: [UnitStatistics.Chunk]] = [:]) throws -> Report {
        let file = try AtomicOutputFile(path: path, overwrite: overwrite)
        do {
            let report = try write(unit: unit, from: source, to: file, fileName: path,
                                   chunkWords: chunkWords, threads: threads, counted: counted)
            try file.commit()
            return report
        } catch {
            file.abort()
            throw error
        }
    }

    /// Writes `unit` from `source` to `sink`. `chunkWords` weights are encoded per job, on `threads` threads.
    /// `counted` may hold the first pass already done while the source was read for another reason (the
    /// manifest's checksums): by source tensor name, each chunk of `chunkWords` words in order; the weights are
    /// then read once here. A weight missing from it is counted here.
    @discardableResult
    public static func write(unit: DFloat11Unit, from source: TensorSource, to sink: PositionedByteSink,
                             fileName: String = "unit", chunkWords: Int = 1 << 20, threads: Int = 1,
                             counted: [String: [UnitStatistics.Chunk]] = [:]) throws -> Report {
        precondition(chunkWords > 0)
        let reader = try UnitWeightReader(unit: unit, source: source)
        let chunks = reader.chunks(chunkWords: chunkWords)
        let (statistics, chunkHistograms) = try countChunks(reader: reader, chunks: chunks, chunkWords: chunkWords,
                                                            counted: counted, threads: threads)
        let encoder = try UnitEncoder(unit: unit.module, statistics: statistics)
        let geometry = encoder.geometry

        let others: [TensorInfo] = try unit.otherTensors.map { name in
            guard let info = source.tensor(named: name) else {
                throw DFloat11LayoutError(unit: unit.module, .badUnitDescription("tensor '\(name)' is not in the checkpoint"))
            }
            return info
        }
        var splits: [Int64] = []
        var total: Int64 = 0
        for count in reader.elementCounts.dropLast() { total += Int64(count); splits.append(total) }

        var descriptions = [
            TensorDescription(name: unit.tensorName(.luts), dtype: .u8, shape: [encoder.tables.tableCount + 1, 256]),
            TensorDescription(name: unit.tensorName(.encodedExponent), dtype: .u8, shape: [Int(geometry.encodedBytes)]),
            TensorDescription(name: unit.tensorName(.signMantissa), dtype: .u8, shape: [Int(geometry.elementCount)]),
            TensorDescription(name: unit.tensorName(.outputPositions), dtype: .u8, shape: [Int(geometry.outputPositionsBytes)]),
            TensorDescription(name: unit.tensorName(.gaps), dtype: .u8, shape: [Int(geometry.gapsBytes)]),
            TensorDescription(name: unit.tensorName(.splitPositions), dtype: .i64, shape: [splits.count]),
        ]
        descriptions += others.map { TensorDescription(name: $0.name, dtype: $0.dtype, shape: $0.shape) }
        let writer = try SafetensorsWriter(tensors: descriptions, metadata: nil, order: .safetensorsLibrary,
                                           fileName: fileName)

        // Every tensor at its place: the header fixes them all.
        let dataStart = UInt64(writer.headerBytes.count)
        var places: [String: TensorInfo] = [:]
        for tensor in writer.tensors { places[tensor.name] = tensor }
        func write(_ bytes: UnsafeRawBufferPointer, as kind: UnitTensor) throws {
            let tensor = places[unit.tensorName(kind)]!
            guard UInt64(bytes.count) == tensor.byteCount else {
                throw DFloat11LayoutError(unit: unit.module, .inconsistentInput(
                    "\(tensor.name) has \(bytes.count) bytes, its header says \(tensor.byteCount)"))
            }
            try sink.write(bytes, concurrentlyAt: dataStart + tensor.dataOffsets.lowerBound)
        }
        try writer.headerBytes.withUnsafeBytes { try sink.write($0, concurrentlyAt: 0) }
        try encoder.tables.bytes.withUnsafeBytes { try write($0, as: .luts) }
        try splits.map(\.littleEndian).withUnsafeBytes { try write($0, as: .splitPositions) }
        for info in others {
            try copy(info, from: source, to: sink, at: dataStart + places[info.name]!.dataOffsets.lowerBound)
        }
        let indexes = try encodeChunks(reader: reader, encoder: encoder, chunks: chunks,
                                       bitCounts: chunkHistograms.map { encoder.bitCount(of: $0) }, threads: threads,
                                       sink: sink,
                                       streamAt: dataStart + places[unit.tensorName(.encodedExponent)]!.dataOffsets.lowerBound,
                                       signsAt: dataStart + places[unit.tensorName(.signMantissa)]!.dataOffsets.lowerBound)
        try indexes.outputPositions.withUnsafeBytes { try write($0, as: .outputPositions) }
        try indexes.gaps.withUnsafeBytes { try write($0, as: .gaps) }

        var maxWeightsPerBlock: UInt32 = 0
        let bytes = indexes.outputPositions
        if bytes.count >= 8 {
            var previous: UInt32 = 0
            for i in stride(from: 0, to: bytes.count - 3, by: 4) {
                let value = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16
                    | UInt32(bytes[i + 3]) << 24
                if i > 0 { maxWeightsPerBlock = max(maxWeightsPerBlock, value &- previous) }
                previous = value
            }
        }
        return Report(module: unit.module, elementCount: geometry.elementCount, encodedBytes: geometry.encodedBytes,
                      fileSize: writer.fileSize, limiterFinalK: encoder.limited.finalK,
                      maxCodeLength: encoder.code.maxLength, maxWeightsPerBlock: maxWeightsPerBlock)
    }

    /// The first pass: each chunk's exponent counts (on `threads` workers; taken from `counted` where it has
    /// them), and their sum in unit order.
    static func countChunks(reader: UnitWeightReader, chunks: [UnitChunk], chunkWords: Int,
                            counted: [String: [UnitStatistics.Chunk]],
                            threads: Int) throws -> (statistics: UnitStatistics, histograms: [ExponentHistogram]) {
        var statistics = UnitStatistics()
        var histograms: [ExponentHistogram] = []
        histograms.reserveCapacity(chunks.count)
        /// The chunk's counts from `counted`, if they cover it exactly.
        func known(_ chunk: UnitChunk) -> UnitStatistics.Chunk? {
            guard let list = counted[chunk.tensor.name],
                  list.count == (Int(chunk.tensor.elementCount) + chunkWords - 1) / chunkWords,
                  chunk.words.lowerBound % UInt64(chunkWords) == 0 else { return nil }
            return list[Int(chunk.words.lowerBound / UInt64(chunkWords))]
        }
        try OrderedPipeline.forEach(chunks, threads: threads, work: { chunk -> UnitStatistics.Chunk in
            if let known = known(chunk) { return known }
            return try reader.withWords(chunk) { UnitStatistics.Chunk(words: $0) }
        }, consume: { chunk in
            // A chunk's histogram is unpacked from its sparse counts: once, for both.
            let histogram = chunk.histogram
            statistics.add(chunk: histogram, lastExponent: chunk.lastExponent)
            histograms.append(histogram)
        })
        return (statistics, histograms)
    }

    /// The second pass: encodes the chunks (in parallel when `threads > 1`; each chunk's first bit is the sum of
    /// the earlier chunks' `bitCounts`). Each worker writes its chunk's own bitstream bytes at `streamAt` + their
    /// stream offset and its sign-mantissa bytes at `signsAt` + its first weight; the shared bytes, gaps and
    /// output positions are assembled in order. Returns the gaps and output positions.
    static func encodeChunks(reader: UnitWeightReader, encoder: UnitEncoder, chunks: [UnitChunk], bitCounts: [UInt64],
                             threads: Int, sink: PositionedByteSink, streamAt: UInt64,
                             signsAt: UInt64) throws -> UnitStreamAssembler.Indexes {
        let assembler = UnitStreamAssembler(encoder: encoder) { bytes, offset in
            try sink.write(bytes, concurrentlyAt: streamAt + offset)
        }
        var starts: [UInt64] = []
        starts.reserveCapacity(chunks.count)
        var bit: UInt64 = 0
        for count in bitCounts {
            starts.append(bit)
            bit += count
        }
        let largest = Int(chunks.map(\.words.count).max() ?? 0)
        let signBuffers = ResourcePool { UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(largest, 1)) }
        defer { signBuffers.drain { $0.deallocate() } }
        try OrderedPipeline.forEach(Array(chunks.indices), threads: threads, work: { i -> EncodedChunk in
            try reader.withWords(chunks[i]) { words in
                try signBuffers.withResource { signs in
                    let chunk = try encoder.encodeChunk(words: words, startingBit: starts[i],
                                                        firstElementIndex: chunks[i].firstElementIndex,
                                                        bitCount: bitCounts[i], signMantissa: signs)
                    let own = chunk.ownBytes
                    if !own.isEmpty {
                        try chunk.bytes.withUnsafeBytes {
                            try sink.write(UnsafeRawBufferPointer(rebasing: $0[own]),
                                           concurrentlyAt: streamAt + chunk.startingBit / 8 + UInt64(own.lowerBound))
                        }
                    }
                    try sink.write(UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: signs[0 ..< words.count])),
                                   concurrentlyAt: signsAt + chunks[i].firstElementIndex)
                    return chunk
                }
            }
        }, consume: { chunk in try assembler.append(chunk, ownBytesWritten: true) })
        return try assembler.finish()
    }

    private static func copy(_ tensor: TensorInfo, from source: TensorSource, to sink: PositionedByteSink,
                             at offset: UInt64) throws {
        try source.forEachPiece(of: tensor) { piece, at in try sink.write(piece, concurrentlyAt: offset + at) }
    }

}
