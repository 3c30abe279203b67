import ArgumentParser
import DF11Kit
import DF11Pipeline

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Decode everything and check every checksum: prove a container is lossless.",
        discussion: """
        Reads a container (or a directory written by 'df11 compress', or '-') front to back, checks the \
        checksum of every frame, decodes every block, and compares each tensor's decoded bytes with the \
        checksum of the original tensor. Nothing is written.

        Exit status: 0 lossless; 1 a check failed (the message names the file, tensor and block); 2 the \
        check could not run.
        """)

    @Argument(help: "Container, container directory, or '-' for standard input.")
    var input: String

    @OptionGroup var common: CommonOptions

    func run() throws {
        try runReportingFailures(json: common.json) {
            let report = try CheckpointOperations.verify(input: input, options: common.runOptions())
            if common.json {
                print(report.json.text)
            } else if !common.quiet {
                let tensors = report.files.reduce(0) { $0 + $1.tensors }
                let blocks = report.files.reduce(0) { $0 + $1.blocks }
                print("ok: \(report.files.count) container\(report.files.count == 1 ? "" : "s"), \(tensors) tensors, "
                    + "\(blocks) blocks, \(ByteFormatting.bytes(report.originalBytes)) decoded losslessly in "
                    + "\(ByteFormatting.formatted(report.seconds, digits: 2)) s "
                    + "(\(ByteFormatting.rate(bytes: report.originalBytes, seconds: report.seconds)))")
            }
        }
    }
}
