import DF11IO

/// A checkpoint (directory, index, cache snapshot) that cannot be used as given.
public struct CheckpointError: DF11Failure, Equatable {
    /// What is wrong.
    public enum Problem: Equatable, Sendable {
        /// The path does not exist.
        case notFound
        /// A directory with no `*.safetensors` file and no index.
        case noWeightFiles
        /// The path is neither a `.safetensors` file, a directory, nor `-`.
        case notSafetensors
        /// The index is not valid JSON or lacks a `weight_map` object of strings.
        case invalidIndex(String)
        /// The index names a shard file that does not exist.
        case missingShard(file: String)
        /// The index maps `tensor` to `file` but that file does not contain it.
        case tensorNotInShard(tensor: String, file: String)
        /// `file` contains `tensor` but the index does not map it there.
        case tensorNotInIndex(tensor: String, file: String)
        /// A Hugging Face cache folder without a usable `refs/main` or snapshot.
        case invalidCache(String)
        /// A symbolic link in the checkpoint directory to a file outside it (`target`, resolved).
        case linkOutside(target: String)

        /// A stable kebab-case identifier of the problem.
        public var code: String {
            switch self {
            case .notFound: return "not-found"
            case .noWeightFiles: return "no-weight-files"
            case .notSafetensors: return "not-safetensors"
            case .invalidIndex: return "invalid-index"
            case .missingShard: return "missing-shard"
            case .tensorNotInShard: return "tensor-not-in-shard"
            case .tensorNotInIndex: return "tensor-not-in-index"
            case .invalidCache: return "invalid-cache"
            case .linkOutside: return "link-outside"
            }
        }
    }

    /// The checkpoint path or file concerned.
    public let path: String
    /// What is wrong.
    public let problem: Problem

    /// A problem with `path`.
    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    /// The stable identifier of the problem.
    public var code: String { problem.code }

    /// `.couldNotRun` for a missing path or a path of the wrong kind; `.badData` for inconsistent contents.
    public var category: FailureCategory {
        switch problem {
        case .notFound, .notSafetensors, .noWeightFiles, .linkOutside: return .couldNotRun
        default: return .badData
        }
    }

    /// The problem in words, naming the path.
    public var description: String {
        switch problem {
        case .notFound: return "'\(path)' does not exist"
        case .noWeightFiles:
            // A diffusers pipeline keeps its weights in its component folders.
            if FileSystem.kind(of: FileSystem.join(path, "model_index.json")) == .regularFile {
                return "'\(path)' contains no .safetensors files: it is a diffusers pipeline (model_index.json), whose "
                    + "weights are in its component folders; give a component's folder (e.g. "
                    + "\(FileSystem.join(path, "transformer"))), or convert the whole pipeline with --format dfloat11"
            }
            return "'\(path)' contains no .safetensors files"
        case .notSafetensors: return "'\(path)' is not a .safetensors file or a checkpoint directory"
        case .invalidIndex(let words): return "\(path): invalid index: \(words)"
        case .missingShard(let file):
            return "\(path): the index refers to '\(file)', which does not exist"
        case .tensorNotInShard(let tensor, let file):
            return "\(path): the index maps tensor '\(tensor)' to '\(file)', but that file does not contain it"
        case .tensorNotInIndex(let tensor, let file):
            return "\(path): '\(file)' contains tensor '\(tensor)', which the index does not map to it"
        case .invalidCache(let words): return "\(path): \(words)"
        case .linkOutside(let target):
            return "'\(path)' is a symbolic link to '\(target)', outside the checkpoint directory; df11 reads and "
                + "copies files from outside a checkpoint only when asked: pass --follow-symlinks if that is intended"
        }
    }
}
