import ArgumentParser
import DF11Kit

struct CatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Write one tensor's original bytes to standard output.",
        discussion: """
        From df11 containers, uses the footer index to decode only that tensor's blocks, and checks them \
        against the tensor's checksum. From a DFloat11 model, decodes only the blocks of the tensor's unit that \
        hold it (names as in 'df11 ls'). From a safetensors file or checkpoint, copies the tensor's bytes. The \
        bytes are the raw little-endian data, as in the original safetensors file. Refused when standard output \
        is a terminal, unless -f. With --json, the report goes to standard error.

        Example:
          df11 cat model.df11/ model.embed_tokens.weight | python3 -c 'import sys, numpy; …'
        """)

    @Argument(help: "Container, container directory, DFloat11 model directory, or safetensors file or directory.")
    var input: String

    @Argument(help: "Tensor name (see df11 ls).")
    var tensor: String

    @Flag(name: [.short, .long], help: "Write to standard output even when it is a terminal.")
    var force = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        try finish([Printer(common).perform(dataOnStandardOutput: true) {
            try refuseTerminalOutput(force: force)
            return try DF11.cat(path: input, tensor: tensor, options: common.runOptions())
        }])
    }
}
