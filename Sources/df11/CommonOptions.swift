import ArgumentParser
import DF11Kit

/// Options every command takes.
struct CommonOptions: ParsableArguments {
    @Option(name: [.customShort("T"), .customShort("t"), .long], parsing: .unconditional,
            help: ArgumentHelp("Worker threads; 0 = all CPU cores (the default). -T0 and -T4 work as in zstd and xz.",
                               valueName: "n"))
    var threads: Int?

    @Flag(name: .long, help: "Print a JSON report instead of text: on standard output, or on standard error when standard output carries data (-o -, cat).")
    var json = false

    @Flag(name: [.short, .long], help: "No progress bar and no summary; errors are still printed.")
    var quiet = false

    @Flag(name: [.short, .long], help: "Also print a line per file or unit on standard error.")
    var verbose = false

    @Flag(name: .long, help: "Draw the progress bar even when standard error is not a terminal (logs).")
    var progress = false
    @Flag(name: .long, help: "Read and copy files that symbolic links in an input directory point to outside it (refused by default; linked directories are never entered).")
    var followSymlinks = false

    func validate() throws {
        if let threads, threads < 0 || threads > 1024 {
            throw ValidationError("--threads must be between 0 (all cores) and 1024")
        }
    }

    var threadCount: Int { threads.flatMap { $0 == 0 ? nil : $0 } ?? ProcessPolicy.processorCount }

    /// A progress bar for a person watching (not with --quiet or --json, only on a terminal), or when asked for.
    var showProgress: Bool { progress || (!quiet && !json && Console.standardErrorIsTerminal) }

    func runOptions(force: Bool = false) -> RunOptions {
        RunOptions(threads: threadCount, force: force, showProgress: showProgress, followSymlinks: followSymlinks)
    }
}

/// Checks and names the outputs of a command that takes several inputs.
struct Inputs {
    /// Whether `-o` is a directory that takes every input's output (several inputs).
    static func intoDirectory(_ inputs: [String], output: String?) throws -> Bool {
        guard inputs.count > 1 else { return false }
        if output == "-" {
            throw UsageError("\(inputs.count) inputs cannot all go to standard output: give -o DIR/ or no -o")
        }
        return output != nil
    }
}
