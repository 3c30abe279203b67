import DF11IO

/// Why a container could not be read, written or verified. The message names the file and, where known,
/// the tensor and block.
public struct ContainerError: DF11Failure {
    /// What went wrong.
    public enum Problem: Equatable, Sendable {
        case notAContainer
        case unsupportedVersion(major: UInt16, minor: UInt16)
        case unsupportedFlags(UInt32)
        case badParameters(String)
        case truncated(String)
        case frameChecksum(frame: String)
        case unexpectedFrame(found: String, expected: String)
        case unknownFrame(String)
        case frameTooLarge(frame: String, length: UInt64)
        case malformedFrame(frame: String, reason: String)
        /// A container directory's `df11.index.json` is inconsistent.
        case malformedDirectoryIndex(String)
        case corruptBlock(reason: String)
        case tensorChecksum
        case sizeMismatch(String)
        case indexMismatch(String)
        case noSuchTensor(String)
        /// The input's bytes changed between two reads of one segment (a file rewritten during compress).
        case inputChanged(String)
    }

    public let file: String
    public let tensor: String?
    public let block: Int?
    public let problem: Problem

    public init(file: String, tensor: String? = nil, block: Int? = nil, _ problem: Problem) {
        self.file = file
        self.tensor = tensor
        self.block = block
        self.problem = problem
    }

    public var category: FailureCategory { .badData }

    /// A short machine-readable name of the problem, for `--json`.
    public var code: String {
        switch problem {
        case .notAContainer: return "not-a-container"
        case .unsupportedVersion: return "unsupported-version"
        case .unsupportedFlags: return "unsupported-flags"
        case .badParameters: return "bad-parameters"
        case .truncated: return "truncated"
        case .frameChecksum: return "frame-checksum"
        case .unexpectedFrame: return "unexpected-frame"
        case .unknownFrame: return "unknown-frame"
        case .frameTooLarge: return "frame-too-large"
        case .malformedFrame: return "malformed-frame"
        case .malformedDirectoryIndex: return "malformed-directory-index"
        case .corruptBlock: return "corrupt-block"
        case .tensorChecksum: return "tensor-checksum"
        case .sizeMismatch: return "size-mismatch"
        case .indexMismatch: return "index-mismatch"
        case .noSuchTensor: return "no-such-tensor"
        case .inputChanged: return "input-changed"
        }
    }

    public var description: String {
        var place = file
        if let tensor { place += ": tensor '\(tensor)'" }
        if let block { place += ", block \(block)" }
        return place + ": " + reason
    }

    private var reason: String {
        switch problem {
        case .notAContainer:
            return "not a df11 container (its first bytes are not the DF11 magic)"
        case let .unsupportedVersion(major, minor):
            return "container format \(major).\(minor) is newer than this df11 understands (1.x); upgrade df11"
        case let .unsupportedFlags(flags):
            return "container uses flags 0x\(String(flags, radix: 16)) that this df11 does not know; upgrade df11"
        case let .badParameters(why):
            return "invalid container parameters: \(why)"
        case let .truncated(what):
            return "the file ends early (\(what)); it is truncated or was not written completely"
        case let .frameChecksum(frame):
            return "checksum mismatch in \(frame) frame: the data is corrupt"
        case let .unexpectedFrame(found, expected):
            return "found a \(found) frame where \(expected) was expected: the container is corrupt"
        case let .unknownFrame(name):
            return "unknown required frame type \(name): written by a newer df11, or corrupt"
        case let .frameTooLarge(frame, length):
            return "\(frame) frame claims \(length) bytes, more than any valid frame: the container is corrupt"
        case let .malformedFrame(frame, why):
            return "malformed \(frame) frame: \(why)"
        case let .malformedDirectoryIndex(why):
            return "malformed directory index: \(why)"
        case let .corruptBlock(why):
            return "block does not decode: \(why)"
        case .tensorChecksum:
            return "decoded bytes do not match the original tensor's checksum"
        case let .sizeMismatch(what):
            return "size mismatch: \(what)"
        case let .indexMismatch(what):
            return "footer index disagrees with the frames: \(what)"
        case let .noSuchTensor(name):
            return "no tensor named '\(name)' (df11 ls lists them)"
        case let .inputChanged(why):
            return "the input changed while it was being converted (\(why)); nothing was written"
        }
    }
}
