import ArgumentParser
import DF11Kit
import DF11Pipeline

struct DecompressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decompress",
        abstract: "Restore the original files from DF11 containers, byte for byte.",
        discussion: """
        A container becomes its original .safetensors file; a directory written by 'df11 compress' becomes \
        the original checkpoint directory. Every block and every tensor is checked against its checksum \
        while decoding; a mismatch stops with exit status 1 and nothing is left at the output path.

        Examples:
          df11 decompress model.safetensors.df11          writes model.safetensors
          df11 decompress model.df11/ -o model/
          df11 decompress - -o - < x.df11 | sha256sum

        A DFloat11 model directory (config.json with dfloat11_config) becomes a plain bf16 checkpoint: \
        model.safetensors with every unit weight decoded (every block checked as by 'df11 verify') and shaped \
        from config.json, the other tensors copied, config.json without dfloat11_config, other files copied. \
        The single-file layout's config.json holds only dfloat11_config: give the model's config with --config. \
        --max-shard-size splits the weights as save_pretrained(max_shard_size=...) does: \
        model-00001-of-0000N.safetensors and model.safetensors.index.json. With --force, weight files an \
        earlier run left in OUT that this one does not rewrite (a single file, or shards and their index) are \
        removed, so that a loader cannot take them instead.

          df11 decompress Llama-3.1-8B-DF11/ -o Llama-3.1-8B-bf16/
          df11 decompress Llama-3.1-8B-DF11/ -o Llama-3.1-8B-bf16/ --max-shard-size 5GB
        """)

    @Argument(help: "Container, container directory, or '-' for standard input.")
    var input: String

    @Option(name: .shortAndLong, help: "Output file or directory ('-' for standard output). Default: INPUT without .df11.")
    var output: String?

    @Flag(name: .long, help: "Replace existing output files.")
    var force = false

    @Option(name: .long, help: "DFloat11 models: the model's config.json to derive tensor shapes from (default: the model's own).")
    var config: String?

    @Option(name: .long, help: ArgumentHelp(
        "DFloat11 models: split the weights into shards of at most this size (5GB = 5·10⁹ bytes, 500MiB, or bytes).",
        valueName: "size"))
    var maxShardSize: String?

    @OptionGroup var common: CommonOptions

    func run() throws {
        try runReportingFailures(json: common.json) {
            if DFloat11Decompression.isDFloat11Directory(input) {
                guard let output, output != "-" else {
                    throw UsageError("a DFloat11 model decompresses into a directory; give -o DIR")
                }
                var shardBytes: UInt64?
                if let maxShardSize {
                    guard let bytes = ShardPlan.parseSize(maxShardSize) else {
                        throw UsageError("--max-shard-size '\(maxShardSize)' is not a size: give e.g. 5GB, 500MiB or a byte count")
                    }
                    shardBytes = bytes
                }
                let report = try DFloat11Decompression.decompress(input: input, output: output,
                                                                  options: common.runOptions(force: force),
                                                                  modelConfig: config, maxShardSize: shardBytes)
                if common.json {
                    print(report.json.text)
                } else if !common.quiet {
                    let files = report.weightFiles.count > 1 ? " in \(report.weightFiles.count - 1) shards" : ""
                    printError("decoded \(report.units) DFloat11 units (\(report.weights) weights) into "
                        + "\(report.tensors) tensors\(files), \(ByteFormatting.bytes(report.outputBytes)) in "
                        + "\(ByteFormatting.formatted(report.seconds, digits: 2)) s, "
                        + ByteFormatting.rate(bytes: report.weights * 2, seconds: report.seconds))
                }
                return
            }
            if config != nil { throw UsageError("--config applies to DFloat11 model directories only") }
            if maxShardSize != nil {
                throw UsageError("--max-shard-size applies to DFloat11 model directories only (a container restores "
                                 + "the original files as they were)")
            }
            let destination = try output ?? defaultOutput()
            let report = try CheckpointOperations.decompress(input: input, output: destination,
                                                             options: common.runOptions(force: force))
            if common.json {
                print(report.json.text)
            } else if !common.quiet {
                printError("restored \(ByteFormatting.bytes(report.originalBytes)) in "
                    + "\(ByteFormatting.formatted(report.seconds, digits: 2)) s, "
                    + ByteFormatting.rate(bytes: report.originalBytes, seconds: report.seconds))
            }
        }
    }

    private func defaultOutput() throws -> String {
        if input == "-" { return "-" }
        if input.hasSuffix(".df11") && !input.hasSuffix("/.df11") { return String(input.dropLast(5)) }
        throw UsageError("give the output with -o")
    }
}
