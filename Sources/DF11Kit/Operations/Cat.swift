import DF11IO

extension DF11 {
    /// `df11 cat PATH TENSOR`: the tensor's original bytes on standard output, decoding only its blocks.
    public static func cat(path: String, tensor: String, options: RunOptions) throws {
        if path == "-" {
            throw UsageError("cat seeks through a container's footer index, which a pipe cannot do: give a file "
                             + "(or 'df11 decompress - -o -' for the whole stream)")
        }
        try ContainerListing.extract(path: path, tensor: tensor, to: StandardOutput(), threads: options.threads)
    }
}
