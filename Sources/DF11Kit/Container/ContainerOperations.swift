import DF11Container
import DF11IO
import DF11Pipeline

/// Compress, decompress and verify one safetensors file or stream (`-`).
public enum ContainerOperations {
    /// `input` (a safetensors file or `-`) → `output` (a container or `-`).
    public static func compress(input: String, output: String, options: RunOptions,
                                progress: ProgressMeter? = nil) throws -> CompressionSummary {
        try Endpoints.checkDistinct(input: input, output: output)
        let source = try Endpoints.source(input)
        let target = try Endpoints.sink(output, overwrite: options.force, attributes: FileAttributes(of: input))
        let meter = progress ?? options.meter("compress", total: source.knownSize ?? 0)
        defer { if progress == nil { meter?.finish() } }
        var summary = try target.produce { sink in
            try ContainerWriter(parameters: options.parameters, threads: options.threads)
                .compress(source: source, to: sink, progress: meter)
        }
        summary.file = input
        return summary
    }

    /// `input` (a container or `-`) → `output` (the original safetensors file or `-`).
    public static func decompress(input: String, output: String, options: RunOptions,
                                  progress: ProgressMeter? = nil) throws -> DecompressionSummary {
        try Endpoints.checkDistinct(input: input, output: output)
        let source = try Endpoints.source(input)
        let target = try Endpoints.sink(output, overwrite: options.force, attributes: FileAttributes(of: input))
        let meter = progress ?? options.meter("decompress", total: 0)
        defer { if progress == nil { meter?.finish() } }
        return try target.produce { sink in
            try ContainerReader(threads: options.threads).decompress(source: source, to: sink, progress: meter)
        }
    }

    /// Decodes `input` completely, checking every checksum; writes nothing.
    public static func verify(input: String, options: RunOptions,
                              progress: ProgressMeter? = nil) throws -> DecompressionSummary {
        let source = try Endpoints.source(input)
        let meter = progress ?? options.meter("verify", total: 0)
        defer { if progress == nil { meter?.finish() } }
        return try ContainerReader(threads: options.threads).decompress(source: source, to: nil, progress: meter)
    }
}
