import ArgumentParser
import DF11Kit

/// How a command prints its reports: the JSON form with `--json`, otherwise the text where the report says it
/// goes; `--verbose` adds a line per file; failures print `df11: error: …` on standard error (plus a JSON error
/// object with `--json`).
///
/// When standard output carries data (`-o -`, `cat`), the JSON report and error objects go to standard error
/// instead, so that the data stays byte for byte what it should be.
struct Printer {
    var json: Bool
    var quiet: Bool
    var verbose: Bool
    /// Summaries begin with the input's name (several inputs: which line is whose).
    var namesInputs: Bool

    init(_ common: CommonOptions, inputs: Int = 1) {
        json = common.json
        quiet = common.quiet
        verbose = common.verbose
        namesInputs = inputs > 1
    }

    /// Runs one operation and prints its report; returns the exit status (0, 1 bad data or failed check, 2
    /// could not run) instead of exiting, so that a command with several inputs goes on with the next.
    func perform(dataOnStandardOutput: Bool = false, input: String? = nil,
                 _ operation: () throws -> any OperationReport) -> Int32 {
        let report: any OperationReport
        do {
            report = try operation()
        } catch {
            return fail(error, dataOnStandardOutput: dataOnStandardOutput)
        }
        if json {
            emitJSON(report.json.text, toStandardError: dataOnStandardOutput)
            return 0
        }
        if verbose { for line in report.details { Console.printError(line) } }
        switch report.textRole {
        case .result: print(report.text)
        case .summary:
            if !quiet && !report.text.isEmpty {
                Console.printError((namesInputs ? (input.map { $0 + ": " } ?? "") : "") + report.text)
            }
        }
        return 0
    }

    /// `perform` for a conversion of `input` (compress, decompress): refuses `-` read from a terminal and, unless
    /// forced, binary written to one, before running `operation`.
    func convert(_ input: String, writesStandardOutput: Bool, force: Bool,
                 _ operation: () throws -> any OperationReport) -> Int32 {
        perform(dataOnStandardOutput: writesStandardOutput, input: input) {
            try refuseTerminalInput(input)
            if writesStandardOutput { try refuseTerminalOutput(force: force) }
            return try operation()
        }
    }

    /// Prints a failure; returns its exit status.
    func fail(_ error: Error, dataOnStandardOutput: Bool = false) -> Int32 {
        if json { emitJSON(failureJSON(error), toStandardError: dataOnStandardOutput) }
        Console.printError("df11: error: " + ProcessPolicy.message(for: error))
        return ProcessPolicy.exitStatus(for: error)
    }

    /// Runs `body` for each input, telling it whether `-o` is a directory for all of them (several inputs), and
    /// exits with the worst status: zstd's way, every input is tried even after one fails.
    func forEach(_ inputs: [String], output: String?, _ body: (_ input: String, _ intoDirectory: Bool) -> Int32) throws {
        let into: Bool
        do {
            into = try Inputs.intoDirectory(inputs, output: output)
        } catch {
            throw ExitCode(fail(error))
        }
        try finish(inputs.map { body($0, into) })
    }

    private func emitJSON(_ line: String, toStandardError: Bool) {
        if toStandardError { Console.printError(line) } else { print(line) }
    }
}

/// Exits with the worst of the statuses of a command's inputs (2 over 1 over 0).
func finish(_ statuses: [Int32]) throws {
    if let worst = statuses.max(), worst != 0 { throw ExitCode(worst) }
}

/// The refusal zstd gives for `-` read from a terminal: nobody types a checkpoint.
func refuseTerminalInput(_ input: String) throws {
    if input == "-" && Console.standardInputIsTerminal {
        throw UsageError("stdin is a terminal, aborting; give a file or redirect standard input")
    }
}

/// The refusal zstd gives for binary output to a terminal, unless forced.
func refuseTerminalOutput(force: Bool) throws {
    if !force && Console.standardOutputIsTerminal {
        throw UsageError("stdout is a terminal, aborting; use -o FILE or redirect it (-f writes to it anyway)")
    }
}
