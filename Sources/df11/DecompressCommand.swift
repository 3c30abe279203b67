import ArgumentParser
import DF11Kit

struct DecompressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decompress",
        abstract: "Restore the original files from DF11 containers, byte for byte.",
        discussion: """
        A container becomes its original .safetensors file; a directory written by 'df11 compress' becomes \
        the original checkpoint directory. Every block and every tensor is checked against its checksum \
        while decoding, and every copied file against the checksum df11.index.json records; for an output of \
        'df11 batch', every restored file is also proven against the SHA-256 of its source that the batch record \
        beside it holds. A mismatch stops with exit status 1 and nothing is left at the output path. Without -o, INPUT.df11 becomes INPUT; \
        several inputs each go to their default output, or into -o DIR/. '-o -' writes standard output \
        (refused on a terminal unless -f); -o /dev/null is written through. Outputs keep the input's mode and \
        modification time; existing outputs are kept unless -f.

        Examples:
          df11 decompress model.safetensors.df11          writes model.safetensors
          df11 decompress model.df11/                     writes model/
          df11 decompress x.safetensors.df11 -o /dev/null timing only
          df11 decompress - -o - < x.df11 | sha256sum

        A DFloat11 model directory (config.json with dfloat11_config) becomes a plain bf16 checkpoint: \
        model.safetensors with every unit weight decoded (every block checked as by 'df11 verify') and shaped \
        from config.json, the other tensors copied, config.json without dfloat11_config, other files copied. \
        The single-file layout's config.json holds only dfloat11_config: give the model's config with --config, \
        unless the release's df11-manifest.json keeps the source's (df11 writes it there, and names the weight \
        file and its metadata as the source had them: a diffusers model's diffusion_pytorch_model.safetensors). \
        A release df11 wrote carries df11-manifest.json, which describes the source's own files: decompress then \
        writes those files again (the same shards, headers, index and config.json) and proves each by the \
        checksum the manifest records (and by the batch record's SHA-256 where there is one); --max-shard-size \
        asks for the plain layout instead. \
        A diffusers pipeline folder (model_index.json) is restored component by component, the rest copied. \
        Without -o, DIR becomes DIR-bf16. \
        --max-shard-size splits the weights as save_pretrained(max_shard_size=...) does: \
        model-00001-of-0000N.safetensors and model.safetensors.index.json. With --force, weight files an \
        earlier run left in OUT that this one does not rewrite (a single file, or shards and their index) are \
        removed, so that a loader cannot take them instead.

          df11 decompress Llama-3.1-8B-DF11/ -o Llama-3.1-8B-bf16/
          df11 decompress Llama-3.1-8B-DF11/ -o Llama-3.1-8B-bf16/ --max-shard-size 5GB
        """)

    @Argument(help: ArgumentHelp("Containers, container directories, DFloat11 model directories, or '-' for standard input.",
                                 valueName: "input"))
    var inputs: [String]

    @Option(name: .shortAndLong, help: """
        Output file or directory ('-' for standard output; DIR/ for a container file or several inputs: each \
        under its default name). Default: INPUT without .df11 (INPUT-bf16 for a DFloat11 model).
        """)
    var output: String?

    @Flag(name: [.short, .long], help: "Replace existing output files; write binary to a terminal.")
    var force = false

    @Option(name: .long, help: "DFloat11 models: the model's config.json to derive tensor shapes from (default: the model's own).")
    var config: String?

    @Option(name: .long, help: ArgumentHelp(
        "DFloat11 models: split the weights into shards of at most this size (5GB = 5·10⁹ bytes, 500MiB, or bytes).",
        valueName: "size"))
    var maxShardSize: String?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one input (a container, a directory, or '-')") }
    }

    func run() throws {
        let printer = Printer(common, inputs: inputs.count)
        try printer.forEach(inputs, output: output) { input, into in
            let request = DecompressRequest(input: input, output: output, intoDirectory: into, config: config,
                                            maxShardSize: maxShardSize)
            return printer.convert(input, writesStandardOutput: request.writesStandardOutput, force: force) {
                try DF11.decompress(request, options: common.runOptions(force: force))
            }
        }
    }
}
