import DF11IO
import DFloat11Layout

/// A diffusers pipeline folder in and out of the DFloat11 layout (docs/DFLOAT11.md, "Diffusers pipelines"):
/// compress converts each component whose `config.json` selects a preset (FLUX's `transformer/`, Wan 2.2's
/// `transformer/` and `transformer_2/`) into the DFloat11 layout inside that component's folder, as
/// `DFloat11Compression` does for the component alone, and copies every other file of the pipeline unchanged
/// (`model_index.json`, the text encoders, the VAE, tokenizers, scheduler); decompress and verify do the same
/// for the components that hold a DFloat11 model.
enum DFloat11PipelineOperations {
    static func compress(input: String, output: String, options: RunOptions, dfloat11: DFloat11CompressOptions,
                         warn: ((DFloat11CompressReport.Warning) -> Void)? = nil) throws -> DFloat11PipelineReport {
        let clock = Stopwatch()
        let pipeline = try DiffusersPipeline(root: input)
        guard case .automatic = dfloat11.pattern else {
            throw UsageError("--arch and --pattern name the modules of one model; give the component's folder "
                             + "(e.g. \(FileSystem.join(input, "transformer"))) rather than the pipeline \(input)")
        }
        // Decided before anything is written: the components to convert, each planned as it will be compressed.
        var convert: [(component: String, options: DFloat11CompressOptions)] = []
        var warnings: [String] = []
        var firstRefusal: Error?
        for component in pipeline.components {
            guard let (preset, byConfig) = pipeline.preset(of: component) else { continue }
            var componentOptions = dfloat11
            if !byConfig { componentOptions.pattern = .preset(preset.name) }     // named by model_index.json only
            do {
                let plan = try DFloat11CompressionPlan(input: pipeline.path(of: component), dfloat11: componentOptions,
                                                       followSymlinks: options.followSymlinks)
                // Only standalone units (an lm_head) found: the component names its layers otherwise (a newer
                // transformers' text encoder), and converting that one tensor is not what was asked.
                let dictionary = try preset.patternDictionary()
                let layerUnits = plan.units.filter { unit in
                    guard let entry = dictionary.entries.indices.first(where: { dictionary.fullMatch(entry: $0, unit.module) })
                    else { return false }
                    return !preset.standalone.contains(dictionary.entries[entry].pattern)
                }
                guard !layerUnits.isEmpty else {
                    warnings.append("\(component) (preset \(preset.name)) copied unchanged: its dictionary finds only "
                                    + plan.units.map(\.module).joined(separator: ", ") + " there, none of its layers "
                                    + "(another naming?); compress the folder with --pattern FILE to convert it")
                    continue
                }
                convert.append((component, componentOptions))
            } catch let error as DF11Failure {
                // A component the preset names but cannot convert (another naming, not bf16) is copied as it is.
                firstRefusal = firstRefusal ?? error
                warnings.append("\(component) (preset \(preset.name)) copied unchanged: \(error.description)")
            }
        }
        guard !convert.isEmpty else {
            if let firstRefusal { throw firstRefusal }
            throw UsageError("no component of the diffusers pipeline \(input) has a DFloat11 preset (components: "
                             + pipeline.components.joined(separator: ", ") + "); compress a component's folder with "
                             + "--arch NAME or --pattern FILE (see `df11 architectures`)")
        }
        for warning in warnings { warn?(DFloat11CompressReport.Warning(code: "component-copied", unit: nil, message: warning)) }
        var report = DFloat11PipelineReport(operation: "compress", input: input, output: output)
        report.warnings = warnings
        let optionsOf = Dictionary(convert.map { ($0.component, $0.1) }, uniquingKeysWith: { a, _ in a })
        try eachComponent(convert.map(\.component), of: pipeline, into: output, force: options.force,
                          report: &report) { component, staged, shown in
            var result = try DFloat11Compression.compress(input: pipeline.path(of: component), output: staged,
                                                          options: options, dfloat11: optionsOf[component]!, warn: warn)
            result.output = shown
            return result
        }
        report.seconds = clock.seconds
        return report
    }

    static func decompress(input: String, output: String, options: RunOptions) throws -> DFloat11PipelineReport {
        let clock = Stopwatch()
        let pipeline = try DiffusersPipeline(root: input)
        let models = try dfloat11Components(of: pipeline, input: input)
        var report = DFloat11PipelineReport(operation: "decompress", input: input, output: output)
        try eachComponent(models, of: pipeline, into: output, force: options.force, report: &report) { component, staged, shown in
            var result = try DFloat11Decompression.decompress(input: pipeline.path(of: component), output: staged,
                                                              options: options)
            result.output = shown
            return result
        }
        report.seconds = clock.seconds
        return report
    }

    /// The components that are DFloat11 models (decompress and verify), refusing a pipeline with none.
    private static func dfloat11Components(of pipeline: DiffusersPipeline, input: String) throws -> [String] {
        let models = pipeline.components.filter(pipeline.isDFloat11)
        guard !models.isEmpty else {
            throw UsageError("no component of the diffusers pipeline \(input) is a DFloat11 model (config.json with "
                             + "dfloat11_config); components: " + pipeline.components.joined(separator: ", "))
        }
        return models
    }

    /// What compress and decompress of a pipeline share: `convert` each of `components` into its folder of the
    /// new output (claimed whole, as `CheckpointOperations.intoDirectory` claims a directory), then copy every other
    /// file of the pipeline. `convert` gets the component, where to write it (inside the staging directory) and the
    /// path its report shows (not the staging directory's name).
    private static func eachComponent(_ components: [String], of pipeline: DiffusersPipeline, into output: String,
                                      force: Bool, report: inout DFloat11PipelineReport,
                                      _ convert: (_ component: String, _ staged: String, _ shown: String) throws
                                          -> any OperationReport) throws {
        let copied = CheckpointOperations.excludingOutput(try pipeline.files(excluding: Set(components)),
                                                          root: pipeline.root, output: output)
        var converted: [(name: String, report: any OperationReport)] = []
        try CheckpointOperations.intoDirectory(output, input: pipeline.root, force: force) { directory in
            for component in components {
                converted.append((component, try convert(component, FileSystem.join(directory, component),
                                                         FileSystem.join(output, component))))
            }
            try copy(copied, from: pipeline.root, to: directory, force: force)
        }
        report.components += converted
        report.copied = copied
    }

    static func verify(input: String, options: RunOptions, verify: DFloat11VerifyOptions) throws -> DFloat11PipelineReport {
        let clock = Stopwatch()
        let pipeline = try DiffusersPipeline(root: input)
        let models = try dfloat11Components(of: pipeline, input: input)
        if verify.against != nil {
            throw UsageError("--against takes the source of one model: give the component's folder "
                             + "(e.g. \(FileSystem.join(input, models[0])))")
        }
        var report = DFloat11PipelineReport(operation: "verify", input: input, output: nil)
        for component in models {
            report.components.append((component, try DFloat11Verification.verify(input: pipeline.path(of: component),
                                                                                 options: options, verify: verify)))
        }
        report.seconds = clock.seconds
        return report
    }

    /// Copies `files` (paths relative to `root`) into `directory`, creating their folders.
    private static func copy(_ files: [String], from root: String, to directory: String, force: Bool) throws {
        for name in files {
            _ = try CheckpointOperations.copyFile(FileSystem.join(root, name),
                                                  to: FileSystem.inside(directory, name, origin: "a copied file"),
                                                  force: force)
        }
    }
}
