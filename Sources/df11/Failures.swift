import ArgumentParser
import DF11IO
import DF11Kit
import Foundation

/// Runs a command body and turns failures into a message on standard error (plus a JSON error object on
/// standard output with `--json`) and the documented exit status: 1 for bad data or a failed check,
/// 2 when the command could not run.
func runReportingFailures(json: Bool, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        if json { print(failureJSON(error)) }
        printError("df11: error: " + ((error as? DF11Failure)?.description ?? "\(error)"))
        throw ExitCode((error as? DF11Failure)?.category.exitCode ?? 2)
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
}
