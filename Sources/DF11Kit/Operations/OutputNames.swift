import DF11IO

/// Where an operation writes when the user names no output, or names a directory for a file input.
enum OutputNames {
    /// `path` without trailing slashes (`model/` → `model`; `/` stays).
    static func trimmed(_ path: String) -> String {
        var result = Substring(path)
        while result.count > 1 && result.hasSuffix("/") { result = result.dropLast() }
        return String(result)
    }

    /// Whether `output` names a directory to put outputs in: it ends with `/` or is an existing directory.
    static func namesDirectory(_ output: String) -> Bool {
        output != "-" && (output.hasSuffix("/") || FileSystem.kind(of: output) == .directory)
    }

    /// The output for `input`: the default when none is given; `DIR/<default's name>` when `given` names a
    /// directory and the input is a file (or `intoDirectory`, for several inputs); otherwise `given`.
    static func resolve(input: String, given: String?, intoDirectory: Bool, inputIsDirectory: Bool,
                        default makeDefault: (String) throws -> String) throws -> String {
        guard let given else { return try makeDefault(input) }
        if given == "-" { return given }
        if intoDirectory || (!inputIsDirectory && namesDirectory(given)) {
            guard input != "-" else { throw UsageError("standard input has no name to give its output in '\(given)': give -o FILE") }
            try FileSystem.createDirectories(trimmed(given))
            return FileSystem.join(trimmed(given), FileSystem.baseName(of: try makeDefault(input)))
        }
        return given
    }
}
