import DF11IO

/// Accepts tensor data in file order after `SafetensorsWriter.start(sink:)` wrote the header, checking that
/// each tensor receives exactly its byte count: `beginTensor`, any number of `write`s, then the next
/// `beginTensor`, and `finish()` at the end.
public final class SafetensorsStream {
    private let fileName: String
    private let tensors: [TensorInfo]
    private let sink: ByteSink
    private var current = -1
    private var written: UInt64 = 0

    init(fileName: String, tensors: [TensorInfo], sink: ByteSink) {
        self.fileName = fileName
        self.tensors = tensors
        self.sink = sink
    }

    private func fail(_ problem: SafetensorsWriterError.Problem, _ tensor: String?) -> SafetensorsWriterError {
        SafetensorsWriterError(file: fileName, tensor: tensor, problem: problem)
    }

    /// The tensor the next bytes belong to, nil before the first `beginTensor` or after the last tensor.
    public var currentTensor: TensorInfo? {
        tensors.indices.contains(current) ? tensors[current] : nil
    }

    private func checkCurrentComplete() throws {
        guard let tensor = currentTensor else { return }
        if written != tensor.byteCount {
            throw fail(.tooFewBytes(expected: tensor.byteCount, got: written), tensor.name)
        }
    }

    /// Starts the next tensor, which must be called `name`; the previous one must be complete.
    public func beginTensor(_ name: String) throws {
        try checkCurrentComplete()
        let next = current + 1
        guard next < tensors.count, tensors[next].name == name else {
            throw fail(.unexpectedTensor(expected: next < tensors.count ? tensors[next].name : nil, got: name), name)
        }
        current = next
        written = 0
    }

    /// Appends bytes of the current tensor.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let tensor = currentTensor else { throw fail(.noTensorStarted, nil) }
        if UInt64(bytes.count) > tensor.byteCount - written {
            throw fail(.tooManyBytes(expected: tensor.byteCount), tensor.name)
        }
        try sink.write(bytes)
        written += UInt64(bytes.count)
    }

    /// Checks that every tensor was written completely. The sink is not committed or closed.
    public func finish() throws {
        try checkCurrentComplete()
        let missing = tensors.count - (current + 1)
        if missing > 0 { throw fail(.missingTensors(count: missing), tensors[current + 1].name) }
    }
}
