extension DF11 {
    /// `df11 architectures`: the DFloat11 presets.
    public static func architectures() -> any OperationReport { ArchitectureListing() }
}
