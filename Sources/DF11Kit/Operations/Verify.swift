/// What `df11 verify` is asked to check, as the user named it.
public struct VerifyRequest: Sendable {
    /// A container, a container directory, a DFloat11 model directory, or `-`.
    public var input: String
    /// DFloat11 models: the bf16 source to compare every weight with.
    public var against: String?
    /// DFloat11 models: decode only this many random blocks per unit.
    public var sample: Int?
    /// DFloat11 models: the seed of the sample.
    public var seed: UInt64

    public init(input: String, against: String? = nil, sample: Int? = nil, seed: UInt64 = 0) {
        self.input = input
        self.against = against
        self.sample = sample
        self.seed = seed
    }
}

extension DF11 {
    /// `df11 verify INPUT`: containers decoded and checked against every checksum (`CheckpointReport`), or a
    /// DFloat11 model checked unit by unit (`DFloat11VerifyReport`). Throws on the first failed check.
    public static func verify(_ request: VerifyRequest, options: RunOptions) throws -> any OperationReport {
        if DiffusersPipeline.isPipeline(request.input) {
            return try DFloat11PipelineOperations.verify(
                input: request.input, options: options,
                verify: DFloat11VerifyOptions(against: request.against, sampleBlocks: request.sample, seed: request.seed))
        }
        if DFloat11Model.isDFloat11Directory(request.input) {
            return try DFloat11Verification.verify(
                input: request.input, options: options,
                verify: DFloat11VerifyOptions(against: request.against, sampleBlocks: request.sample, seed: request.seed))
        }
        if request.against != nil || request.sample != nil {
            throw UsageError("--against and --sample apply to DFloat11 model directories (config.json with dfloat11_config)")
        }
        return try CheckpointOperations.verify(input: request.input, options: options)
    }
}
