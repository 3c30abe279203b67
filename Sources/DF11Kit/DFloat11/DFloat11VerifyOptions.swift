/// What `df11 verify DIR` checks on a DFloat11 model, beyond the structure.
public struct DFloat11VerifyOptions: Sendable {
    /// A bf16 checkpoint (file or directory) to compare every decoded weight and remainder tensor with.
    public var against: String?
    /// Decode only this many randomly chosen blocks per unit (all blocks when nil).
    public var sampleBlocks: Int?
    /// Seed of the block choice.
    public var seed: UInt64

    /// Do not read `df11-manifest.json` (`df11 manifest` replacing it).
    public var ignoreManifest: Bool

    public init(against: String? = nil, sampleBlocks: Int? = nil, seed: UInt64 = 0, ignoreManifest: Bool = false) {
        self.ignoreManifest = ignoreManifest
        self.against = against
        self.sampleBlocks = sampleBlocks
        self.seed = seed
    }
}
