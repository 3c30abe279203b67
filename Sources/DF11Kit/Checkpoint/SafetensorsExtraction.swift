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

    /// Copies a tensor's bytes from `source` to `sink`.
    static func copy(tensor: TensorInfo, from source: TensorSource, to sink: ByteSink) throws {
        try source.forEachPiece(of: tensor) { piece, _ in try sink.write(piece) }
    }
}
