import DF11IO
import Foundation

/// What the df11 process does around its operations: signal handling, exit statuses, the terminal.
/// The command-line tool calls these; the operations themselves never exit the process.
public enum ProcessPolicy {
    /// Installs the handlers that remove unfinished outputs' temporary files on SIGINT, SIGTERM and SIGHUP
    /// (then exit 130 or 128 + signal) and report a mapped input truncated under df11 (SIGBUS, exit 1).
    public static func installInterruptHandling() { InterruptHandling.install() }

    /// The documented exit status of a failure: 1 bad data or a failed check, 2 could not run.
    public static func exitStatus(for error: Error) -> Int32 {
        switch (error as? DF11Failure)?.category {
        case .badData?: return 1
        case .couldNotRun?, nil: return 2
        }
    }

    /// The message a failure prints on standard error, without the `df11: error: ` prefix.
    public static func message(for error: Error) -> String {
        (error as? DF11Failure)?.description ?? "\(error)"
    }

    /// Worker threads when none are asked for: the CPU cores available.
    public static var processorCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}

/// The process's standard streams, as the command-line tool prints to them.
public enum Console {
    /// Writes a line to standard error.
    public static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Whether standard error is a terminal (where a progress bar belongs).
    public static var standardErrorIsTerminal: Bool { isatty(2) != 0 }

    /// Whether standard input is a terminal.
    public static var standardInputIsTerminal: Bool { isatty(0) != 0 }

    /// Whether standard output is a terminal.
    public static var standardOutputIsTerminal: Bool { isatty(1) != 0 }
}
