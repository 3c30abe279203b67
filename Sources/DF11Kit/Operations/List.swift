extension DF11 {
    /// `df11 ls PATH`: the tensors of df11 containers, a DFloat11 model or a plain safetensors checkpoint, from
    /// headers and indexes only.
    public static func list(path: String) throws -> any OperationReport {
        if path == "-" {
            throw UsageError("ls reads headers and the footer index at the end of a container, which a pipe cannot "
                             + "seek to: give a file (or use 'df11 verify -' to check a stream)")
        }
        return try TensorListing.list(path: path)
    }
}
