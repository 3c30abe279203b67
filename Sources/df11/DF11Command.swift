import ArgumentParser
import DF11Kit

@main
struct DF11Command: ParsableCommand {
    static func main() {
        // An interrupted run removes its unfinished outputs' temporary files.
        ProcessPolicy.installInterruptHandling()
        let arguments = zstdStyle(Array(CommandLine.arguments.dropFirst()))
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            // Argument errors exit 2 as documented, not ArgumentParser's 64 (EX_USAGE), and begin
            // `df11: error:` like every other error; with --json, the error object goes to standard output like
            // every other failure.
            if exitCode(for: error) == .validationFailure {
                var lines = fullMessage(for: error).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                let first = lines.first.map { $0.hasPrefix("Error: ") ? String($0.dropFirst(7)) : $0 } ?? ""
                if arguments.contains("--json") { print(failureJSON(UsageError(first))) }
                lines[0] = "df11: error: " + first
                Console.printError(lines.joined(separator: "\n"))
                exit(withError: ExitCode(2))
            }
            exit(withError: error)
        }
    }

    /// The spellings zstd and xz users type, as ArgumentParser reads them: `-T0`/`-T8` (a short option with its
    /// value attached) become `-T 0`/`-T 8`, and `-V` becomes `--version`. Nothing after `--` is touched.
    static func zstdStyle(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var literal = false
        for argument in arguments {
            if literal || argument == "--" {
                literal = true
                result.append(argument)
            } else if argument == "-V" {
                result.append("--version")
            } else if argument.count > 2, argument.hasPrefix("-T") || argument.hasPrefix("-t"),
                      argument.dropFirst(2).allSatisfy(\.isNumber) {
                result += [String(argument.prefix(2)), String(argument.dropFirst(2))]
            } else {
                result.append(argument)
            }
        }
        return result
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

        As with zstd: several inputs per call, each to its default output or into \
        -o DIR/; -f replaces outputs; -T0 uses all cores; binary is never written \
        to a terminal; -o /dev/null is written through; outputs keep the input's \
        mode and modification time. Every command takes -T N, --json, -q, -v and \
        --progress; summaries and errors ('df11: error: ...') go to standard \
        error, results and JSON to standard output (JSON to standard error when \
        standard output carries data).

        Exit status: 0 success, 1 bad data or a failed check, 2 could not run \
        (missing file, full disk, bad arguments, an existing output: JSON code \
        output-exists), 130 interrupted. 'df11 help COMMAND' explains each \
        command; 'man df11' after 'make install'.
        """,
        version: DF11.version,
        subcommands: [InspectCommand.self, CompressCommand.self, DecompressCommand.self, VerifyCommand.self, ManifestCommand.self,
                      ListCommand.self, CatCommand.self, ArchitecturesCommand.self, VersionCommand.self]
    )
}
