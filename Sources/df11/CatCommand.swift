import ArgumentParser
import DF11Kit

struct CatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Write one tensor's original bytes to standard output.",
        discussion: """
        Uses the footer index to decode only that tensor's blocks, and checks them against the tensor's \
        checksum. The bytes are the raw little-endian data, as in the original safetensors file.

        Example:
          df11 cat model.df11/ model.embed_tokens.weight | python3 -c 'import sys, numpy; …'
        """)

    @Argument(help: "Container or container directory.")
    var input: String

    @Argument(help: "Tensor name (see df11 ls).")
    var tensor: String

    @Option(name: [.short, .long], parsing: .unconditional, help: "Worker threads (default: the number of CPU cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 || threads > 1024 {
            throw ValidationError("--threads must be between 1 and 1024")
        }
    }

    func run() throws {
        try reportingFailures(json: false) {
            try DF11.cat(path: input, tensor: tensor,
                         options: RunOptions(threads: threads ?? ProcessPolicy.processorCount))
        }
    }
}
