import DF11IO

/// What `df11 decompress` is asked to do, as the user named it.
public struct DecompressRequest: Sendable {
    /// A container, a container directory, a DFloat11 model directory, or `-`.
    public var input: String
    /// The output; nil for the default (INPUT without `.df11`; `INPUT-bf16` for a DFloat11 model; standard output
    /// for `-`). A directory (`DIR/`, or one that exists) takes a container's output under its default name.
    public var output: String?
    /// `output` is a directory that takes this input's output under its default name (several inputs).
    public var intoDirectory: Bool
    /// DFloat11 models: the config.json to derive tensor shapes from.
    public var config: String?
    /// DFloat11 models: the largest shard, as typed (`5GB`, `500MiB`, a byte count).
    public var maxShardSize: String?

    /// Whether the output goes to standard output.
    public var writesStandardOutput: Bool { (output ?? (input == "-" ? "-" : "")) == "-" }

    public init(input: String, output: String? = nil, intoDirectory: Bool = false, config: String? = nil,
                maxShardSize: String? = nil) {
        self.input = input
        self.output = output
        self.intoDirectory = intoDirectory
        self.config = config
        self.maxShardSize = maxShardSize
    }
}

extension DF11 {
    /// `df11 decompress INPUT [-o OUTPUT]`: containers back to the original files (`CheckpointReport`), or a
    /// DFloat11 model to a plain bf16 checkpoint (`DFloat11DecompressReport`).
    public static func decompress(_ request: DecompressRequest, options: RunOptions) throws -> any OperationReport {
        if DiffusersPipeline.isPipeline(request.input) {
            guard request.output != "-" else { throw UsageError("a diffusers pipeline decompresses into a directory; give -o DIR") }
            if request.config != nil || request.maxShardSize != nil {
                throw UsageError("--config and --max-shard-size apply to one DFloat11 model: give the component's folder")
            }
            let output = try OutputNames.resolve(input: request.input, given: request.output,
                                                 intoDirectory: request.intoDirectory, inputIsDirectory: true,
                                                 default: { OutputNames.trimmed($0) + "-bf16" })
            return try DFloat11PipelineOperations.decompress(input: request.input, output: output, options: options)
        }
        if DFloat11Model.isDFloat11Directory(request.input) {
            guard request.output != "-" else {
                throw UsageError("a DFloat11 model decompresses into a directory; give -o DIR")
            }
            let output = try OutputNames.resolve(input: request.input, given: request.output,
                                                 intoDirectory: request.intoDirectory, inputIsDirectory: true,
                                                 default: { OutputNames.trimmed($0) + "-bf16" })
            var shardBytes: UInt64?
            if let size = request.maxShardSize {
                guard let bytes = ShardPlan.parseSize(size) else {
                    throw UsageError("--max-shard-size '\(size)' is not a size: give e.g. 5GB, 500MiB or a byte count")
                }
                shardBytes = bytes
            }
            return try DFloat11Decompression.decompress(input: request.input, output: output, options: options,
                                                        modelConfig: request.config, maxShardSize: shardBytes)
        }
        if request.config != nil { throw UsageError("--config applies to DFloat11 model directories only") }
        if request.maxShardSize != nil {
            throw UsageError("--max-shard-size applies to DFloat11 model directories only (a container restores "
                             + "the original files as they were)")
        }
        let output = try OutputNames.resolve(input: request.input, given: request.output,
                                             intoDirectory: request.intoDirectory,
                                             inputIsDirectory: FileSystem.kind(of: request.input) == .directory,
                                             default: defaultDecompressOutput)
        return try CheckpointOperations.decompress(input: request.input, output: output, options: options)
    }

    /// INPUT without `.df11` (`model.df11/` → `model`), standard output for standard input.
    static func defaultDecompressOutput(_ input: String) throws -> String {
        if input == "-" { return "-" }
        let name = OutputNames.trimmed(input)
        if name.hasSuffix(".df11") && FileSystem.baseName(of: name) != ".df11" { return String(name.dropLast(5)) }
        throw UsageError("'\(input)' does not end in .df11, so it has no default output name: give -o OUTPUT")
    }
}
