import DF11Container
import DF11IO
import DF11Pipeline
import EntropyCoding
import Safetensors

/// Reads one safetensors stream front to back and gathers per-tensor statistics, histogramming BF16
/// chunks on worker threads. Memory: `threads + 3` chunks of `chunkBytes`, whatever the file size.
struct FileInspector {
    var threads: Int
    var lengthLimit: Int
    var chunkBytes = 8 << 20

    /// The header and a report for every tensor, in file order.
    func inspect(_ source: ByteSource, displayName: String,
                 progress: ProgressMeter?) throws -> (SafetensorsHeader, [TensorReport]) {
        let reader = try SafetensorsReader(source: source)
        let inFlight = threads + 2
        let buffers = BufferPool(count: inFlight + 1, capacity: chunkBytes)
        var reports: [TensorReport] = []
        var histogram = ExponentHistogram()
        var structured = StructuredStatistics()

        try OrderedPipeline.run(
            threads: threads, maxInFlight: inFlight,
            produce: { () -> (TensorChunk, UnsafeMutableRawBufferPointer)? in
                let buffer = buffers.take()
                guard let chunk = try reader.nextChunk(into: buffer) else {
                    buffers.give(buffer)
                    return nil
                }
                return (chunk, buffer)
            },
            work: { (chunk, buffer) -> (TensorChunk, ExponentHistogram?, [StructuredPrediction]?) in
                defer { buffers.give(buffer) }
                let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<chunk.count])
                // Format 2.0's prediction for every float dtype, by the writer's own planning (chunks are segments).
                let predictions = chunk.tensor.byteCount >= StructuredPrediction.smallestTensor
                    ? try StructuredPrediction.predict(bytes, dtype: chunk.tensor.dtype) : nil
                guard chunk.tensor.dtype == .bf16, chunk.count > 0 else { return (chunk, nil, predictions) }
                var partial = ExponentHistogram()
                partial.add(words: bytes.bindMemory(to: UInt16.self))
                return (chunk, partial, predictions)
            },
            consume: { chunk, partial, predictions in
                if chunk.offsetInTensor == 0 {
                    histogram = ExponentHistogram()
                    structured = StructuredStatistics()
                }
                if let partial { histogram.merge(partial) }
                for prediction in predictions ?? [] { structured.add(prediction) }
                progress?.advance(by: UInt64(chunk.count))
                guard chunk.isLastOfTensor else { return }
                let tensor = chunk.tensor
                reports.append(TensorReport(
                    name: tensor.name, file: displayName, dtype: tensor.dtype, shape: tensor.shape,
                    bytes: tensor.byteCount,
                    bf16: tensor.dtype == .bf16 ? BF16Statistics(histogram: histogram, lengthLimit: lengthLimit) : nil,
                    structured: structured.segments.isEmpty || !structured.pays ? nil : structured))
            })
        return (reader.header, reports)
    }
}
