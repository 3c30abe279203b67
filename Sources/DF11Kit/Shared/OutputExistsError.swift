import DF11IO

/// An output that exists already, refused without `--force`: exit status 2 like every could-not-run, with its
/// own JSON code `output-exists` so that scripts can tell it from the others.
public struct OutputExistsError: CodedFailure {
    public let path: String
    public let detail: String

    init(path: String, detail: String? = nil) {
        self.path = path
        self.detail = detail ?? "'\(path)' already exists; use --force (-f) to overwrite it"
    }

    public var code: String { "output-exists" }
    public var category: FailureCategory { .couldNotRun }
    public var description: String { detail }
}
