#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A failure to open, read, write, sync or rename a file, or input that ended too early.
public struct IOFailure: DF11Failure, Equatable {
    /// What was being done when the failure happened.
    public enum Operation: String, Sendable {
        case open, read, write, sync, rename, remove, create, stat, list
    }

    /// The file concerned, as the user named it ("-" for standard input or output).
    public let path: String
    /// What was being done.
    public let operation: Operation
    /// The `errno` value, or nil when the failure is not a system error (truncation, refusals).
    public let errno: Int32?
    /// Extra words replacing the system message (e.g. the truncation details or a refusal).
    public let detail: String?
    /// A note appended to the message (e.g. "nothing was written to out.df11").
    public let note: String?
    /// `.badData` for truncated input, `.couldNotRun` for everything else.
    public let category: FailureCategory

    /// A system error: `errno` after `operation` on `path` failed.
    public init(path: String, operation: Operation, errno code: Int32, note: String? = nil) {
        self.path = path
        self.operation = operation
        self.errno = code
        self.detail = nil
        self.note = note
        self.category = .couldNotRun
    }

    /// A failure described in words rather than by `errno`.
    public init(path: String, operation: Operation, detail: String, category: FailureCategory) {
        self.path = path
        self.operation = operation
        self.errno = nil
        self.detail = detail
        self.note = nil
        self.category = category
    }

    /// The input ended before `expected` bytes of `what` could be read (`.badData`).
    public static func truncated(path: String, what: String, expected: UInt64, got: UInt64) -> IOFailure {
        IOFailure(path: path, operation: .read,
                  detail: "'\(path)' is truncated: expected \(expected) bytes of \(what) but found only \(got)",
                  category: .badData)
    }

    /// The message, naming the file and the problem, e.g. "cannot open 'x.safetensors': No such file or directory".
    public var description: String {
        var text: String
        if let detail = detail {
            text = detail
        } else if let code = errno {
            text = Self.describe(path: path, operation: operation, code: code)
        } else {
            text = "cannot \(operation.rawValue) '\(path)'"
        }
        if let note = note { text += " (\(note))" }
        return text
    }

    private static func describe(path: String, operation: Operation, code: Int32) -> String {
        if code == ENOSPC || code == EDQUOT {
            return "disk full while writing '\(path)'"
        }
        if code == EPIPE && operation == .write {
            return "cannot write to '\(path)': the reading end of the pipe was closed"
        }
        let verb: String
        switch operation {
        case .open: verb = "cannot open"
        case .read: verb = "cannot read"
        case .write: verb = "cannot write"
        case .sync: verb = "cannot flush to disk"
        case .rename: verb = "cannot move into place"
        case .remove: verb = "cannot remove"
        case .create: verb = "cannot create"
        case .stat: verb = "cannot inspect"
        case .list: verb = "cannot list"
        }
        return "\(verb) '\(path)': \(systemMessage(code))"
    }
}
