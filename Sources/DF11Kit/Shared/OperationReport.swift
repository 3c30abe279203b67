/// Where a report's text goes, and whether `--quiet` silences it.
public enum ReportTextRole: Sendable {
    /// The command's result (`inspect`, `ls`, `architectures`): standard output, printed even with `--quiet`.
    case result
    /// An account of work done or checked (`compress`, `decompress`, `verify`, `cat`): standard error, silenced by
    /// `--quiet`, so that standard output carries only data or JSON.
    case summary
}

/// What every operation returns: its text for a person and its JSON form for a script (docs/JSON.md).
public protocol OperationReport: JSONRepresentable, Sendable {
    /// The report as the command prints it without `--json`: one or more lines, without a final newline.
    var text: String { get }
    /// Where `text` goes.
    var textRole: ReportTextRole { get }
    /// With `--verbose`: a line per file or unit, printed on standard error before `text`.
    var details: [String] { get }
}

extension OperationReport {
    public var details: [String] { [] }
}
