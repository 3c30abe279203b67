/// What `df11 decompress` is asked to do, as the user named it.
public struct DecompressRequest: Sendable {
    /// A container, a container directory, a DFloat11 model directory, or `-`.
    public var input: String
    /// The output; nil for the default (INPUT without `.df11`, standard output for `-`).
    public var output: String?
    /// DFloat11 models: the config.json to derive tensor shapes from.
    public var config: String?
    /// DFloat11 models: the largest shard, as typed (`5GB`, `500MiB`, a byte count).
    public var maxShardSize: String?

    public init(input: String, output: String? = nil, config: String? = nil, maxShardSize: String? = nil) {
        self.input = input
        self.output = output
        self.config = config
        self.maxShardSize = maxShardSize
    }
}

extension DF11 {
    /// `df11 decompress INPUT [-o OUTPUT]`: containers back to the original files (`CheckpointReport`), or a
    /// DFloat11 model to a plain bf16 checkpoint (`DFloat11DecompressReport`).
    public static func decompress(_ request: DecompressRequest, options: RunOptions) throws -> any OperationReport {
        if DFloat11Model.isDFloat11Directory(request.input) {
            guard let output = request.output, output != "-" else {
                throw UsageError("a DFloat11 model decompresses into a directory; give -o DIR")
            }
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
        let output = try request.output ?? defaultDecompressOutput(request.input)
        return try CheckpointOperations.decompress(input: request.input, output: output, options: options)
    }

    /// INPUT without `.df11`, standard output for standard input.
    static func defaultDecompressOutput(_ input: String) throws -> String {
        if input == "-" { return "-" }
        if input.hasSuffix(".df11") && !input.hasSuffix("/.df11") { return String(input.dropLast(5)) }
        throw UsageError("give the output with -o")
    }
}
