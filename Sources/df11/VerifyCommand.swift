import ArgumentParser
import DF11Kit

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Decode everything and check it: prove a container lossless, or check a DFloat11 model.",
        discussion: """
        Reads a container (or a directory written by 'df11 compress', or '-') front to back, checks the \
        checksum of every frame, decodes every block, and compares each tensor's decoded bytes with the \
        checksum of the original tensor; in a directory, every copied file (config, tokenizer…) is checked \
        against the checksum df11.index.json records (a directory written by an older df11 records none: the \
        summary says so). For an output of 'df11 batch', every decoded file is also compared with the SHA-256 of \
        its source that the batch record beside it holds. Nothing is written. Several inputs are checked one \
        after the other. The summary \
        ('ok: …') goes to standard error, the --json report to standard output.

        A DFloat11 model (a directory whose config.json has dfloat11_config, version 0.2.0 or 0.5.0, directory \
        or single-file layout, written by df11 or by the official tool) is checked unit by unit: the tensors' \
        presence, dtypes and shapes, the decode tables against the code-length row, output_positions and gaps; \
        then every 4096-byte block of every unit is decoded on all threads, each block must decode exactly its \
        output_positions delta and every 64-bit window's first code must start at its gap. --against SRC also \
        compares every decoded weight and every other tensor with the original bf16 checkpoint; --sample N \
        decodes only N random blocks per unit. Nothing pickled is ever read. A bare DFloat11 .safetensors file \
        without config.json (as ComfyUI loads them) is checked with the dictionary of the preset that fits its \
        units; a diffusers pipeline folder, component by component.

        The DFloat11 layout stores no checksums: without --against, verify proves that the model is consistent \
        and that every block decodes as the GPU kernel expects, not that the values are the original ones (a \
        flipped sign-mantissa bit, or two codes of one length swapped in a decode table, decode cleanly to \
        other weights). A release df11 wrote carries df11-manifest.json (checksums of every original tensor; \
        'df11 manifest DIR --against SRC' adds one to any release): verify then checks every decoded weight \
        and every other tensor against it, a proof of losslessness without the source. Without a manifest \
        only --against proves a DFloat11 model lossless; the summary says which was checked.

        Exit status: 0 lossless (containers; DFloat11 models with --against) or consistent (DFloat11 models \
        without --against); 1 a check failed (the message names the file, tensor or DFloat11 unit and block); \
        2 the check could not run.

        Examples:
          df11 verify model.df11/
          df11 verify Llama-3.1-8B-DF11/ --against Llama-3.1-8B/
          df11 verify Llama-3.1-8B-DF11/ --sample 4 --seed 7
        """)

    @Argument(help: ArgumentHelp("Containers, container directories, DFloat11 model directories, or '-' for standard input.",
                                 valueName: "input"))
    var inputs: [String]

    @Option(name: .long, help: "DFloat11 models: the original bf16 checkpoint (file or directory) to compare with.")
    var against: String?

    @Option(name: .long, parsing: .unconditional,
            help: "DFloat11 models: decode only N randomly chosen blocks per unit (structure is still checked in full).")
    var sample: Int?

    @Option(name: .long, help: "Seed of --sample's block choice (default 0).")
    var seed: UInt64 = 0

    func validate() throws {
        if let sample, sample < 1 { throw ValidationError("--sample must be at least 1") }
        if inputs.isEmpty { throw ValidationError("give at least one input (a container, a directory, or '-')") }
    }

    @OptionGroup var common: CommonOptions

    func run() throws {
        let printer = Printer(common, inputs: inputs.count)
        try printer.forEach(inputs, output: nil) { input, _ in
            let request = VerifyRequest(input: input, against: against, sample: sample, seed: seed)
            return printer.perform(input: input) {
                try refuseTerminalInput(input)
                return try DF11.verify(request, options: common.runOptions())
            }
        }
    }
}
