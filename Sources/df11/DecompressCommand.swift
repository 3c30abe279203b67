import ArgumentParser
import DF11Kit

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
        let request = DecompressRequest(input: input, output: output, config: config, maxShardSize: maxShardSize)
        try perform(json: common.json, quiet: common.quiet) {
            try DF11.decompress(request, options: common.runOptions(force: force))
        }
    }
}
