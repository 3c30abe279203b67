import ArgumentParser
import DF11Kit

@main
struct DF11Command: ParsableCommand {
    static func main() {
        // An interrupted run removes its unfinished outputs' temporary files.
        ProcessPolicy.installInterruptHandling()
        do {
            var command = try parseAsRoot(nil)
            try command.run()
        } catch {
            // Argument errors exit 2 as documented, not ArgumentParser's 64 (EX_USAGE); with --json, the
            // error object goes to standard output like every other failure.
            if exitCode(for: error) == .validationFailure {
                let message = fullMessage(for: error)
                if CommandLine.arguments.dropFirst().contains("--json") {
                    let first = message.components(separatedBy: "\n").first ?? message
                    print(failureJSON(UsageError(first.hasPrefix("Error: ") ? String(first.dropFirst(7)) : first)))
                }
                Console.printError(message)
                exit(withError: ExitCode(2))
            }
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "df11",
        abstract: "Convert bf16 checkpoints to DFloat11 and back, losslessly, on any CPU.",
        discussion: """
        BF16 weights spend 8 bits on an exponent that carries about 2.6 bits of \
        information. df11 keeps each weight's sign-mantissa byte as it is and \
        Huffman-codes the exponent: a checkpoint shrinks to about two thirds of its \
        size and decodes back bit for bit.

        Inputs: .safetensors files, sharded checkpoint directories (with \
        model.safetensors.index.json), Hugging Face cache snapshots, or '-' for \
        standard input.

        Typical use:
          df11 inspect model/                  # how much would it shrink?
          df11 compress model/ -o model.df11/  # one container per shard
          df11 verify model.df11/              # decode all, check every checksum
          df11 decompress model.df11/ -o out/  # the original files, byte for byte
          cat x.safetensors | df11 compress - -o - \\
            | df11 decompress - -o - | cmp - x.safetensors

        Exit status: 0 success, 1 bad data or a failed check, 2 could not run \
        (missing file, full disk, bad arguments). 'df11 help COMMAND' explains each \
        command.
        """,
        version: "0.1.0",
        subcommands: [InspectCommand.self, CompressCommand.self, DecompressCommand.self, VerifyCommand.self,
                      ListCommand.self, CatCommand.self, ArchitecturesCommand.self]
    )
}
