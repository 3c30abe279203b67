import ArgumentParser
import DF11Kit
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

        Examples:
          df11 compress model.safetensors                 writes model.safetensors.df11
          df11 compress model/ -o model.df11/
          cat x.safetensors | df11 compress - -o - > x.df11
        """)

    @Argument(help: "Checkpoint file, directory, cache snapshot, or '-' for standard input.")
    var input: String

    @Option(name: .shortAndLong, help: "Output container or directory ('-' for standard output). Default: INPUT.df11 for a file.")
    var output: String?

    @Flag(name: .long, help: "Replace existing output files.")
    var force = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        try runReportingFailures(json: common.json) {
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

    private func defaultOutput() throws -> String {
        if input == "-" { return "-" }
        if input.hasSuffix(".safetensors") { return input + ".df11" }
        throw UsageError("give the output with -o (for a directory: -o OUT_DIR)")
    }
}
