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

    /// `input` (a container or `-`) → `output` (the original safetensors file or `-`). With `provenance` recording
    /// the SHA-256 of the original `sourceName`, the restored bytes are hashed on their way out and the output is
    /// only put in place if they match (they then go out in order, on one writer thread).
    public static func decompress(input: String, output: String, options: RunOptions,
                                  progress: ProgressMeter? = nil) throws -> DecompressionSummary {
        try decompress(input: input, output: output, options: options, progress: progress, proving: nil)
    }

    static func decompress(input: String, output: String, options: RunOptions, progress: ProgressMeter?,
                           proving check: (provenance: SourceProvenance, name: String)?) throws -> DecompressionSummary {
        try Endpoints.checkDistinct(input: input, output: output)
        let source = try Endpoints.source(input)
        let target = try Endpoints.sink(output, overwrite: options.force, attributes: FileAttributes(of: input))
        let meter = progress ?? options.meter("decompress", total: 0)
        defer { if progress == nil { meter?.finish() } }
        return try target.produce { sink in
            let hashing = check.map { _ in HashingSink(passingTo: sink) }
            let summary = try ContainerReader(threads: options.threads)
                .decompress(source: source, to: hashing ?? sink, progress: meter)
            if let check, let hashing {
                try check.provenance.check(name: check.name, digest: hashing.finish(), path: output)
            }
            return summary
        }
    }

    /// Decodes `input` completely, checking every checksum; writes nothing.
    public static func verify(input: String, options: RunOptions,
                              progress: ProgressMeter? = nil) throws -> DecompressionSummary {
        try verify(input: input, options: options, progress: progress, proving: nil)
    }

    /// The same, and with `check`, the decoded bytes' SHA-256 compared with the one the provenance records.
    static func verify(input: String, options: RunOptions, progress: ProgressMeter?,
                       proving check: (provenance: SourceProvenance, name: String)?) throws -> DecompressionSummary {
        let source = try Endpoints.source(input)
        let meter = progress ?? options.meter("verify", total: 0)
        defer { if progress == nil { meter?.finish() } }
        let hashing = check.map { _ in HashingSink() }
        let summary = try ContainerReader(threads: options.threads).decompress(source: source, to: hashing, progress: meter)
        if let check, let hashing {
            try check.provenance.check(name: check.name, digest: hashing.finish(), path: input)
        }
        return summary
    }
}
