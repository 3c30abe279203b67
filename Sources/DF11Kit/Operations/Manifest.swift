/// What `df11 manifest` is asked to do.
public struct ManifestRequest: Sendable {
    /// A DFloat11 model directory.
    public var release: String
    /// Its bf16 source (file or directory).
    public var against: String

    public init(release: String, against: String) {
        self.release = release
        self.against = against
    }
}

extension DF11 {
    /// `df11 manifest DIR --against SRC`: proves the DFloat11 release DIR lossless against SRC, then writes
    /// `df11-manifest.json` into it (`--force` replaces an existing one).
    public static func manifest(_ request: ManifestRequest, options: RunOptions) throws -> ManifestReport {
        try ReleaseManifestWriting.write(release: request.release, against: request.against, options: options)
    }
}
