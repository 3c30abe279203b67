extension DF11 {
    /// `df11 ls PATH`: the tensors of a container or container directory, from headers and indexes only.
    public static func list(path: String) throws -> any OperationReport {
        if path == "-" {
            throw UsageError("ls reads the footer index at the end of a container, which a pipe cannot seek to: "
                             + "give a file (or use 'df11 verify -' to check a stream)")
        }
        return try ContainerListing.list(path: path)
    }
}
