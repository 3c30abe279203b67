import DF11IO
import DF11Pipeline
import EntropyCoding
import Safetensors

/// `df11 inspect`: per-tensor statistics and the predicted DF11 size of a checkpoint, streamed.
public enum Inspection {
    /// Inspects the checkpoint at `path` (a file, a directory, a cache snapshot or `-`).
    public static func run(path: String, options: RunOptions, lengthLimit: Int = 12) throws -> InspectReport {
        let checkpoint = try Checkpoint.open(path: path, followSymlinks: options.followSymlinks)
        var files: [InspectReport.FileSummary] = []
        var tensors: [TensorReport] = []
        let sources = try checkpoint.weightFiles.map { try Endpoints.source($0.resolvedPath) }
        let total = sources.reduce(UInt64(0)) { $0 + ($1.knownSize ?? 0) }
        let meter = options.meter("inspect", total: total)
        defer { meter?.finish() }
        let inspector = FileInspector(threads: options.threads, lengthLimit: lengthLimit)
        for (file, source) in zip(checkpoint.weightFiles, sources) {
            let (header, reports) = try inspector.inspect(source, displayName: file.displayPath, progress: meter)
            files.append(InspectReport.FileSummary(path: file.displayPath,
                                                   bytes: header.dataStart + header.dataSectionSize,
                                                   headerBytes: header.dataStart, tensors: reports.count))
            tensors += reports
        }
        return InspectReport(path: path, kind: checkpoint.kind, files: files, otherFiles: checkpoint.otherFiles,
                             tensors: tensors, lengthLimit: lengthLimit)
    }
}
