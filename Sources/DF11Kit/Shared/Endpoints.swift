import DF11IO

/// Opening inputs and outputs by the names users type: a path, or `-` for standard input and output.
enum Endpoints {
    static func source(_ path: String) throws -> ByteSource {
        path == "-" ? StandardInput() : try InputFile(path: path)
    }

    /// An output that appears only when `commit` succeeds: an atomic file, or standard output.
    static func sink(_ path: String, overwrite: Bool) throws -> OutputTarget {
        if path == "-" { return OutputTarget(sink: StandardOutput(), atomic: nil) }
        let file = try AtomicOutputFile(path: path, overwrite: overwrite)
        return OutputTarget(sink: file, atomic: file)
    }

    /// Refuses to write over an input: `--force` replaces outputs, never inputs.
    static func checkDistinct(input: String, output: String) throws {
        guard input != "-", output != "-", FileSystem.kind(of: output) != .missing else { return }
        if (try? FileSystem.resolve(input)) == (try? FileSystem.resolve(output)) {
            throw UsageError("the output '\(output)' is the input; df11 never modifies its inputs")
        }
    }
}

/// Where a command writes, and how it finishes or abandons that write.
struct OutputTarget {
    let sink: ByteSink
    let atomic: AtomicOutputFile?

    /// Makes the output visible (rename into place, after fsync).
    func commit() throws { try atomic?.commit() }

    /// Removes what was written so far; the destination is left as it was.
    func abort() { atomic?.abort() }

    /// Runs `body` writing to the sink, then commits; aborts if anything throws.
    func produce<T>(_ body: (ByteSink) throws -> T) throws -> T {
        do {
            let result = try body(sink)
            try commit()
            return result
        } catch {
            abort()
            throw error
        }
    }
}
