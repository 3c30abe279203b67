/// Where a report's text goes, and whether `--quiet` silences it.
public enum ReportTextRole: Sendable {
    /// The command's result (`inspect`, `ls`, `architectures`): standard output, printed even with `--quiet`.
    case result
    /// What a check found (`verify`): standard output, silenced by `--quiet`.
    case verdict
    /// An account of work done (`compress`, `decompress`): standard error, silenced by `--quiet`.
    case summary
}

/// What every operation returns: its text for a person and its JSON form for a script (docs/JSON.md).
public protocol OperationReport: JSONRepresentable, Sendable {
    /// The report as the command prints it without `--json`: one or more lines, without a final newline.
    var text: String { get }
    /// Where `text` goes.
    var textRole: ReportTextRole { get }
}
