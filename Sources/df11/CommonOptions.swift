import ArgumentParser
import DF11Kit
import Foundation

/// Options every data-processing command takes.
struct CommonOptions: ParsableArguments {
    @Option(name: [.short, .long], parsing: .unconditional, help: "Worker threads (default: the number of CPU cores).")
    var threads: Int?

    @Flag(name: .long, help: "Print a machine-readable JSON report on standard output instead of text.")
    var json = false

    @Flag(name: [.short, .long], help: "No progress bar and no summary; errors are still printed.")
    var quiet = false

    @Flag(name: .long, help: "Read and copy files that symbolic links in an input directory point to outside it (refused by default; linked directories are never entered).")
    var followSymlinks = false

    func validate() throws {
        if let threads, threads < 1 || threads > 1024 {
            throw ValidationError("--threads must be between 1 and 1024")
        }
    }

    var threadCount: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

    /// A progress bar only for a person watching: not with --quiet or --json, and only on a terminal.
    var showProgress: Bool { !quiet && !json && isatty(2) != 0 }

    func runOptions(force: Bool = false) -> RunOptions {
        RunOptions(threads: threadCount, force: force, showProgress: showProgress, followSymlinks: followSymlinks)
    }
}
