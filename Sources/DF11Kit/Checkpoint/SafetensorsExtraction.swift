import DF11IO
import DFloat11Layout
import Safetensors

/// `df11 cat` of a plain safetensors checkpoint: one tensor's bytes, read in pieces.
enum SafetensorsExtraction {
    /// Writes tensor `name` of the checkpoint at `path` (a file, a directory, a cache snapshot) to `sink`.
    static func extract(path: String, tensor name: String,
                        to sink: ByteSink) throws -> (dtype: DType, shape: [Int], bytes: UInt64) {
        let checkpoint = try Checkpoint.open(path: path, followSymlinks: true)  // read only, as verify --against reads
        for file in checkpoint.weightFiles {
            let opened = try SafetensorsFile(path: file.resolvedPath)
            guard let tensor = opened.header.tensor(named: name) else { continue }
            try copy(tensor: tensor, from: opened, to: sink)
            return (tensor.dtype, tensor.shape, tensor.byteCount)
        }
        throw UsageError("'\(path)' has no tensor '\(name)' (see df11 ls)")
    }

    /// Copies a tensor's bytes from `source` to `sink` in 4 MiB pieces.
    static func copy(tensor: TensorInfo, from source: TensorReading, to sink: ByteSink) throws {
        let step: UInt64 = 1 << 22
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(step), alignment: 16)
        defer { buffer.deallocate() }
        var done: UInt64 = 0
        while done < tensor.byteCount {
            let n = min(step, tensor.byteCount - done)
            try source.read(tensor: tensor, range: done ..< done + n, into: buffer)
            try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0 ..< Int(n)]))
            done += n
        }
    }
}

/// Reads a tensor's bytes by range: a safetensors file, or a DFloat11 model's set of files.
protocol TensorReading {
    func read(tensor: TensorInfo, range: Range<UInt64>, into buffer: UnsafeMutableRawBufferPointer) throws
}

extension SafetensorsFile: TensorReading {}
extension TensorSourceSet: TensorReading {}
