import JSON
import DF11IO
import Safetensors

/// What `df11 cat` wrote: JSON schema `df11.cat/1` (docs/JSON.md). Its text is empty: the tensor's bytes are the
/// output.
public struct CatReport: OperationReport {
    public let input: String
    public let format: TensorListing.Format
    public let tensor: String
    public let dtype: DType
    public let shape: [Int]
    public let bytes: UInt64

    public var textRole: ReportTextRole { .summary }
    public var text: String { "" }

    public var json: JSONValue {
        .object([
            "schema": .string("df11.cat/1"), "status": .string("ok"), "input": .string(input),
            "format": .string(format.rawValue), "tensor": .string(tensor), "dtype": .string(dtype.rawValue),
            "shape": .array(shape.map { .int($0) }), "bytes": .int(bytes),
        ])
    }
}

extension DF11 {
    /// `df11 cat PATH TENSOR`: the tensor's original bytes on standard output — from df11 containers (decoding only
    /// its blocks, checked against its checksum), a DFloat11 model (decoding only the blocks of its unit that hold
    /// it), or a plain safetensors checkpoint.
    public static func cat(path: String, tensor: String, options: RunOptions) throws -> CatReport {
        if path == "-" {
            throw UsageError("cat seeks through a container's footer index, which a pipe cannot do: give a file "
                             + "(or 'df11 decompress - -o -' for the whole stream)")
        }
        let sink = StandardOutput()
        if DFloat11Model.isDFloat11Directory(path) {
            let (dtype, shape, bytes) = try DFloat11Extraction.extract(path: path, tensor: tensor, to: sink,
                                                                       threads: options.threads)
            return CatReport(input: path, format: .dfloat11, tensor: tensor, dtype: dtype, shape: shape, bytes: bytes)
        }
        let listing = try TensorListing.list(path: path)
        guard let entry = listing.entries.first(where: { $0.name == tensor }) else {
            if listing.format == .container {   // the container's own message, as before
                try ContainerListing.extract(path: path, tensor: tensor, to: sink, threads: options.threads)
            }
            throw UsageError("'\(path)' has no tensor '\(tensor)' (see df11 ls)")
        }
        switch listing.format {
        case .container:
            try ContainerListing.extract(path: path, tensor: tensor, to: sink, threads: options.threads)
        case .safetensors, .dfloat11:
            _ = try SafetensorsExtraction.extract(path: path, tensor: tensor, to: sink)
        }
        return CatReport(input: path, format: listing.format, tensor: tensor, dtype: entry.dtype, shape: entry.shape,
                         bytes: entry.bytes)
    }
}
