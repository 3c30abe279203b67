import ArgumentParser
import DF11Kit

/// Runs an operation and prints its report: the JSON form on standard output with `--json`, otherwise its
/// text where the report says it goes. A failure prints a message on standard error (plus a JSON error
/// object on standard output with `--json`) and exits with the documented status: 1 for bad data or a failed
/// check, 2 when the command could not run.
func perform(json: Bool, quiet: Bool = false, _ operation: () throws -> (any OperationReport)?) throws {
    let report = try reportingFailures(json: json, operation)
    guard let report else { return }
    if json {
        print(report.json.text)
        return
    }
    switch report.textRole {
    case .result: print(report.text)
    case .verdict: if !quiet { print(report.text) }
    case .summary: if !quiet { Console.printError(report.text) }
    }
}

/// Runs `body`, turning a failure into its message and exit status.
func reportingFailures<T>(json: Bool, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        if json { print(failureJSON(error)) }
        Console.printError("df11: error: " + ProcessPolicy.message(for: error))
        throw ExitCode(ProcessPolicy.exitStatus(for: error))
    }
}
