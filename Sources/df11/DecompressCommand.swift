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
        """)

    @Argument(help: "Container, container directory, or '-' for standard input.")
    var input: String

    @Option(name: .shortAndLong, help: "Output file or directory ('-' for standard output). Default: INPUT without .df11.")
    var output: String?

    @Flag(name: .long, help: "Replace existing output files.")
    var force = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        try runReportingFailures(json: common.json) {
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
