import DF11IO
import Safetensors

/// What `df11 compress` is asked to do, as the user named it.
public struct CompressRequest: Sendable {
    /// The output format.
    public enum Format: String, Sendable, CaseIterable {
        /// df11's own container (docs/FORMAT.md).
        case container
        /// The published DFloat11 layout (docs/DFLOAT11.md).
        case dfloat11
    }

    /// A checkpoint file, directory, cache snapshot, or `-`.
    public var input: String
    /// The output; nil for the default (`INPUT.df11`, or `INPUT-df11` in the DFloat11 layout; standard output
    /// for `-`). A directory (`DIR/`, or one that exists) takes a file input's output under its default name.
    public var output: String?
    /// `output` is a directory that takes this input's output under its default name (several inputs).
    public var intoDirectory: Bool
    public var format: Format
    /// dfloat11: the single-file layout.
    public var singleFile: Bool
    /// dfloat11: a preset by name or alias.
    public var arch: String?
    /// dfloat11: a JSON file `{regex: [attributes]}`.
    public var pattern: String?

    /// Whether the output goes to standard output.
    public var writesStandardOutput: Bool { format == .container && (output ?? (input == "-" ? "-" : "")) == "-" }

    public init(input: String, output: String? = nil, intoDirectory: Bool = false, format: Format = .container,
                singleFile: Bool = false, arch: String? = nil, pattern: String? = nil) {
        self.input = input
        self.output = output
        self.intoDirectory = intoDirectory
        self.format = format
        self.singleFile = singleFile
        self.arch = arch
        self.pattern = pattern
    }
}

extension DF11 {
    /// `df11 compress INPUT [-o OUTPUT]`: containers (`CheckpointReport`) or the DFloat11 layout
    /// (`DFloat11CompressReport`). `warn` receives conditions worth knowing that do not stop the run.
    public static func compress(_ request: CompressRequest, options: RunOptions,
                                warn: @escaping @Sendable (String) -> Void = { _ in }) throws -> any OperationReport {
        if request.format == .container, request.singleFile || request.arch != nil || request.pattern != nil {
            throw UsageError("--single-file, --arch and --pattern go with --format dfloat11")
        }
        if request.arch != nil, request.pattern != nil { throw UsageError("give --arch or --pattern, not both") }
        switch request.format {
        case .dfloat11:
            let output = try OutputNames.resolve(input: request.input, given: request.output,
                                                 intoDirectory: request.intoDirectory,
                                                 inputIsDirectory: FileSystem.kind(of: request.input) == .directory,
                                                 default: defaultDFloat11Output)
            let choice: DFloat11PatternChoice = request.arch.map { .preset($0) } ?? request.pattern.map { .file($0) }
                ?? .automatic
            if DiffusersPipeline.isPipeline(request.input) {
                return try DFloat11PipelineOperations.compress(
                    input: request.input, output: output, options: options,
                    dfloat11: DFloat11CompressOptions(singleFile: request.singleFile, pattern: choice),
                    warn: { warn($0.message) })
            }
            return try DFloat11Compression.compress(
                input: request.input, output: output, options: options,
                dfloat11: DFloat11CompressOptions(singleFile: request.singleFile, pattern: choice),
                warn: { warn($0.message) })
        case .container:
            // Opened once: a missing input is the problem to report, not a missing -o.
            let checkpoint = try Checkpoint.open(path: request.input, followSymlinks: options.followSymlinks)
            let isFile = checkpoint.kind == .file || checkpoint.kind == .standardInput
            let output = try OutputNames.resolve(input: request.input, given: request.output,
                                                 intoDirectory: request.intoDirectory, inputIsDirectory: !isFile,
                                                 default: defaultCompressOutput)
            return try CheckpointOperations.compress(checkpoint: checkpoint, input: request.input, output: output,
                                                     options: options)
        }
    }

    /// `INPUT.df11` (a file or a directory), standard output for standard input.
    static func defaultCompressOutput(_ input: String) throws -> String {
        input == "-" ? "-" : OutputNames.trimmed(input) + ".df11"
    }

    /// `INPUT-df11` (`model.safetensors` → `model-df11`).
    static func defaultDFloat11Output(_ input: String) throws -> String {
        guard input != "-" else { throw UsageError("the DFloat11 layout is a directory; give -o DIR") }
        let name = OutputNames.trimmed(input)
        return (name.hasSuffix(".safetensors") ? String(name.dropLast(12)) : name) + "-df11"
    }
}
