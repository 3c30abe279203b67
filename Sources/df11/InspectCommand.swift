import ArgumentParser
import DF11Kit

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show tensors, exponent entropy and the predicted DF11 size of a checkpoint.",
        discussion: """
        For every tensor: name, dtype, shape and size. For BF16 tensors also the exponent histogram \
        (with --json), its Shannon entropy in bits per weight (H bits), the bits per weight of a \
        per-tensor Huffman code (Huff), and the DF11 size of the tensor as a percentage of its size.

        PATH is a .safetensors file, a checkpoint directory (sharded with model.safetensors.index.json, or \
        a plain directory of .safetensors files), a Hugging Face cache snapshot, or '-' to read one file \
        from standard input. Nothing is loaded whole: files are streamed in 8 MiB chunks.

        A DFloat11 model (config.json with dfloat11_config) is summarised instead: its version and layout, \
        and for each unit the weights it holds (named as 'df11 decompress' names them), their count, blocks \
        and bits per weight. Only headers and the small unit tensors are read, each unit's structure checked \
        as 'df11 verify' checks it; nothing is decoded.

        Examples:
          df11 inspect model.safetensors
          df11 inspect ~/.cache/huggingface/hub/models--org--name --json | jq .totals
          curl -s URL | df11 inspect -
        """)

    @Argument(help: "Checkpoint file, directory, cache snapshot, or '-' for standard input.")
    var path: String

    @Option(name: .long, parsing: .unconditional, help: "Huffman code length limit for the size prediction (8…15).")
    var lengthLimit = 12

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard (8...15).contains(lengthLimit) else { throw ValidationError("--length-limit must be within 8…15") }
    }

    func run() throws {
        try finish([Printer(common).perform {
            try refuseTerminalInput(path)
            return try DF11.inspect(path: path, lengthLimit: lengthLimit, options: common.runOptions())
        }])
    }
}
