import ArgumentParser
import DF11Kit
import Safetensors
import DF11Pipeline

struct CompressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compress",
        abstract: "Compress a checkpoint into DF11 containers, losslessly.",
        discussion: """
        A .safetensors file becomes one container; a checkpoint directory becomes a directory with one \
        container per weight file (NAME.safetensors.df11), every other file copied unchanged, and \
        df11.index.json. '-' reads standard input; '-o -' writes standard output, for pipelines.

        Outputs are written to a temporary file and renamed into place only when complete, so an \
        interrupted run leaves nothing half-written. Existing outputs are kept unless you pass --force.

        With --format dfloat11 the output is the published DFloat11 layout instead (docs/DFLOAT11.md), as \
        the official dfloat11 0.5.0 compressor writes it: one NAME.safetensors per unit, model.safetensors with \
        the rest, config.json with dfloat11_config, other files copied (--single-file: one model.safetensors). \
        The units come from a preset chosen by config.json (see `df11 architectures`), --arch NAME, or \
        --pattern FILE (a JSON {regex: [attributes]}). Inputs the layout cannot hold (non-bf16 unit weights, \
        inf/NaN/huge values, limiter ties) are refused; the native container stores them.

        Examples:
          df11 compress model.safetensors                 writes model.safetensors.df11
          df11 compress model/ -o model.df11/
          cat x.safetensors | df11 compress - -o - > x.df11
          df11 compress model/ --format dfloat11 -o model-df11/
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case container, dfloat11
    }

    @Argument(help: "Checkpoint file, directory, cache snapshot, or '-' for standard input.")
    var input: String

    @Option(name: .shortAndLong, help: "Output container or directory ('-' for standard output). Default: INPUT.df11 for a file.")
    var output: String?

    @Flag(name: .long, help: "Replace existing output files.")
    var force = false

    @Option(name: .long, help: "Output format: container (df11's own, default) or dfloat11 (the published layout).")
    var format: Format = .container

    @Flag(name: .long, help: "dfloat11: write the single-file layout (one model.safetensors and config.json).")
    var singleFile = false

    @Option(name: .long, help: "dfloat11: use this architecture preset (see `df11 architectures`).")
    var arch: String?

    @Option(name: .long, help: "dfloat11: a JSON file {regex: [attribute paths]} to use as pattern_dict.")
    var pattern: String?

    /// Option combinations, checked in `run` so that a misuse exits 2 like every other could-not-run.
    private func checkOptions() throws {
        if format == .container, singleFile || arch != nil || pattern != nil {
            throw UsageError("--single-file, --arch and --pattern go with --format dfloat11")
        }
        if arch != nil, pattern != nil { throw UsageError("give --arch or --pattern, not both") }
    }

    @OptionGroup var common: CommonOptions

    func run() throws {
        if format == .dfloat11 { return try runDFloat11() }
        try runReportingFailures(json: common.json) {
            try checkOptions()
            let destination = try output ?? defaultOutput()
            let report = try CheckpointOperations.compress(input: input, output: destination,
                                                           options: common.runOptions(force: force))
            if common.json {
                print(report.json.text)
            } else if !common.quiet {
                printError("compressed \(ByteFormatting.bytes(report.originalBytes)) → "
                    + "\(ByteFormatting.bytes(report.containerBytes)) "
                    + "(\(ByteFormatting.formatted(100 * report.ratio, digits: 2)) %) in "
                    + "\(ByteFormatting.formatted(report.seconds, digits: 2)) s, "
                    + ByteFormatting.rate(bytes: report.originalBytes, seconds: report.seconds)
                    + (report.copied.isEmpty ? "" : "; copied \(report.copied.count) other files"))
            }
        }
    }

    private func runDFloat11() throws {
        try runReportingFailures(json: common.json) {
            try checkOptions()
            guard let output else { throw UsageError("give the output directory with -o OUT_DIR") }
            let choice: DFloat11PatternChoice = arch.map { .preset($0) } ?? pattern.map { .file($0) } ?? .automatic
            let report = try DFloat11Compression.compress(
                input: input, output: output, options: common.runOptions(force: force),
                dfloat11: DFloat11CompressOptions(singleFile: singleFile, pattern: choice),
                warn: { warning in printError("df11: warning: " + warning.message) })
            if common.json {
                print(report.json.text)
            } else if !common.quiet {
                printError("DFloat11 (\(report.layout), \(report.architecture.map { "preset " + $0 } ?? report.patternSource)): "
                    + "\(report.units.count) units, \(report.unitWeights) weights; "
                    + "\(ByteFormatting.bytes(report.inputBytes)) → \(ByteFormatting.bytes(report.safetensorsBytes)) "
                    + "(\(ByteFormatting.formatted(100 * report.ratio, digits: 2)) %) in "
                    + "\(ByteFormatting.formatted(report.seconds, digits: 2)) s, "
                    + ByteFormatting.rate(bytes: report.inputBytes, seconds: report.seconds))
            }
        }
    }

    private func defaultOutput() throws -> String {
        if input == "-" { return "-" }
        // A missing input is the problem to report, not the missing -o.
        _ = try Checkpoint.open(path: input, followSymlinks: common.followSymlinks)
        if input.hasSuffix(".safetensors") { return input + ".df11" }
        throw UsageError("give the output with -o (for a directory: -o OUT_DIR)")
    }
}
