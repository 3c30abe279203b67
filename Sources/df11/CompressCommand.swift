import ArgumentParser
import DF11Kit

extension CompressRequest.Format: ExpressibleByArgument {}
extension CompressionLevel: ExpressibleByArgument {}

struct CompressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compress",
        abstract: "Compress a checkpoint into DF11 containers, losslessly.",
        discussion: """
        A .safetensors file becomes one container; a checkpoint directory becomes a directory with one \
        container per weight file (NAME.safetensors.df11), every other file copied unchanged, and \
        df11.index.json with the checksum of every copied file. '-' reads standard input; '-o -' writes \
        standard output, for pipelines (refused on a terminal unless -f; --json then reports on standard \
        error). Without -o, INPUT becomes INPUT.df11; several inputs each go to their default output, or into \
        -o DIR/ under their default names, as does one file with -o DIR/.

        Outputs are written to a temporary file and renamed into place only when complete, so an \
        interrupted run leaves nothing half-written; they keep the input's mode and modification time. A \
        device such as /dev/null is written through (to time a run). Existing outputs are kept unless you \
        pass -f (--force).

        With --format dfloat11 the output is the published DFloat11 layout instead (docs/DFLOAT11.md), as \
        the official dfloat11 0.5.0 compressor writes it: one NAME.safetensors per unit, model.safetensors with \
        the rest, config.json with dfloat11_config, other files copied (--single-file: one model.safetensors). \
        The units come from a preset chosen by config.json (see `df11 architectures`), --arch NAME, or \
        --pattern FILE (a JSON {regex: [attributes]}). Inputs the layout cannot hold (non-bf16 unit weights, \
        inf/NaN/huge values, limiter ties) are refused; the native container stores them. A diffusers model \
        (config.json with _class_name) gets diffusion_pytorch_model.safetensors and a config.json of \
        dfloat11_config alone, as the official tool leaves them; a diffusers pipeline folder (model_index.json) \
        has each component a preset names converted in its own folder and every other file copied.

        Examples:
          df11 compress model.safetensors                 writes model.safetensors.df11
          df11 compress a.safetensors b.safetensors -T0   each beside itself, on all cores
          df11 compress model/                            writes model.df11/
          df11 compress model/ --level max                the smallest containers (--level fast: format 1.0)
          cat x.safetensors | df11 compress - -o - > x.df11
          df11 compress model/ --format dfloat11 -o model-df11/
          df11 compress FLUX.1-dev/ --format dfloat11     writes FLUX.1-dev-df11/ (transformer/ converted)
        """)

    @Argument(help: ArgumentHelp("Checkpoint files, directories, cache snapshots, or '-' for standard input.",
                                 valueName: "input"))
    var inputs: [String]

    @Option(name: .shortAndLong, help: """
        Output container or directory ('-' for standard output; DIR/ for a file input or several inputs: each \
        under its default name). Default: INPUT.df11 (INPUT-df11 with --format dfloat11).
        """)
    var output: String?

    @Flag(name: [.short, .long], help: "Replace existing output files; write binary to a terminal.")
    var force = false

    @Option(name: .long, help: "Output format: container (df11's own, default) or dfloat11 (the published layout).")
    var format: CompressRequest.Format = .container

    @Option(name: .long, help: ArgumentHelp("""
        container: fast (1: format 1.0, BF16 exponents only), default (2: every float dtype by its structure), \
        or max (3: larger tables, the smallest files). See docs/FORMAT.md.
        """, valueName: "level"))
    var level: CompressionLevel = .default

    @Flag(name: .long, help: "dfloat11: write the single-file layout (one model.safetensors and config.json).")
    var singleFile = false

    @Option(name: .long, help: "dfloat11: use this architecture preset (see `df11 architectures`).")
    var arch: String?

    @Option(name: .long, help: "dfloat11: a JSON file {regex: [attribute paths]} to use as pattern_dict.")
    var pattern: String?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one input (a file, a directory, or '-')") }
    }

    func run() throws {
        let printer = Printer(common, inputs: inputs.count)
        try printer.forEach(inputs, output: output) { input, into in
            let request = CompressRequest(input: input, output: output, intoDirectory: into, format: format,
                                          singleFile: singleFile, arch: arch, pattern: pattern)
            return printer.convert(input, writesStandardOutput: request.writesStandardOutput, force: force) {
                var options = common.runOptions(force: force)
                options.parameters.level = level
                return try DF11.compress(request, options: options,
                                  warn: { Console.printError("df11: warning: " + $0) })
            }
        }
    }
}
