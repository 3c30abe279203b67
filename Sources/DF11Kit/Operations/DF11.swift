/// df11's operations, one entry point per command.
///
/// Each takes the paths as the user named them (a file, a directory, a cache snapshot, `-`), decides the
/// input's kind and format itself (a safetensors checkpoint, df11 containers, a DFloat11 model), runs the
/// operation and returns a report with its text and its JSON form (`OperationReport`). The command-line tool
/// parses arguments, calls one of these, and prints the report; failures are thrown as `DF11Failure`s
/// (`ProcessPolicy` maps them to exit statuses).
public enum DF11 {
    /// df11's version, as `df11 --version` prints it.
    public static let version = "0.1.0"
}
