import JSON
import DF11IO
import DFloat11Layout
import Safetensors

/// What a `--format dfloat11` run will write, decided before any weight is read: the checkpoint and its
/// config.json, the pattern dictionary (preset, `--arch` or `--pattern`), the units with their tied weights,
/// the rest of the model, the new config.json's bytes and the files to copy. Every refusal that does not need
/// the weights (no preset, a unit weight that is not BF16, a tie the single-file layout cannot hold) is thrown
/// here, before the output directory is touched.
struct DFloat11CompressionPlan {
    /// The weights file of a diffusers model (`diffusers.utils.SAFETENSORS_WEIGHTS_NAME`).
    static let diffusersWeightsName = "diffusion_pytorch_model.safetensors"

    /// A tensor of the rest: its name in the output and the source tensor holding its bytes.
    struct RestTensor {
        let name: String
        let source: String
    }

    let checkpoint: Checkpoint
    /// The checkpoint's weight files, as one source.
    let source: TensorSourceSet
    /// Bytes of the weight files.
    let inputBytes: UInt64
    /// The preset used (nil for a pattern file or dictionary).
    let preset: ArchitecturePreset?
    let patternJSON: JSONValue
    /// "config", "arch", "pattern-file" or "given".
    let patternSource: String
    let units: [DFloat11Unit]
    /// Every tensor outside the units' modules (and tied weights whose tensor is in a unit).
    let rest: [RestTensor]
    /// The rest's `__metadata__`: `{"format": "pt"}` as transformers and diffusers write it, nil in the
    /// single-file layout and for a plain module (no config.json).
    let metadata: [(key: String, value: String)]?
    /// The file of the rest in the directory layout: `model.safetensors`, or `diffusion_pytorch_model.safetensors`
    /// for a diffusers model (its `save_pretrained` names it so).
    let restFileName: String
    /// Whether the source is a diffusers model (config.json with `_class_name` or `_diffusers_version`).
    let isDiffusersModel: Bool
    /// The output's config.json.
    let configBytes: [UInt8]
    /// Other files of the checkpoint to copy (not config.json, not weights).
    let copied: [String]
    /// Unit weights whose shape `df11 decompress` cannot derive from config.json (`WeightShapes`), with why.
    /// The layout stores units as flat streams; the output is valid, but decompress will refuse it.
    let shapesNotDerivable: [(weight: String, why: String)]

    init(input: String, dfloat11: DFloat11CompressOptions, followSymlinks: Bool = false) throws {
        let checkpoint = try Checkpoint.open(path: input, followSymlinks: followSymlinks)
        guard checkpoint.kind != .standardInput else {
            throw UsageError("--format dfloat11 reads a checkpoint directory or file, not standard input")
        }
        let files = try checkpoint.weightFiles.map { try SafetensorsFile(path: $0.resolvedPath) }
        let source = TensorSourceSet(files: files)
        let inputBytes = files.reduce(UInt64(0)) { $0 + $1.size }

        // config.json: in the checkpoint directory, or next to a single file.
        let configDirectory = checkpoint.kind == .file ? FileSystem.directoryName(of: input) : checkpoint.root
        let configPath = FileSystem.join(configDirectory, "config.json")
        var config: JSONValue? = nil
        if FileSystem.kind(of: configPath) == .regularFile {
            do {
                config = try JSONParser().parse(FileSystem.readSmallFile(configPath, limit: 64 << 20))
            } catch {
                throw UsageError("cannot read \(configPath) as JSON: \((error as? DF11Failure)?.description ?? "\(error)")")
            }
            guard config?.members != nil else { throw UsageError("\(configPath) is not a JSON object") }
            if config?["dfloat11_config"] != nil {
                throw UsageError("\(configPath) already has a dfloat11_config: the input is a DFloat11 model")
            }
        }

        // The pattern dictionary and the tied weights.
        let byConfig = config.flatMap { ArchitecturePreset.select(config: $0) }
        let byTensors = byConfig == nil ? ArchitecturePreset.select(tensorNames: Set(source.tensorNames)) : nil
        let selected = byConfig ?? byTensors
        var preset: ArchitecturePreset? = nil
        let patternJSON: JSONValue
        let patternSource: String
        switch dfloat11.pattern {
        case .automatic:
            if let found = byTensors {
                preset = found
                patternJSON = found.patternDictJSON
                patternSource = "tensor-names"
                break
            }
            guard let config else {
                throw UsageError("no config.json next to the input to choose an architecture from; give --arch NAME "
                                 + "or --pattern FILE (see `df11 architectures`)")
            }
            guard let found = selected else {
                let what = config["architectures"]?.elements?.first?.stringValue
                    ?? config["model_type"]?.stringValue ?? config["_class_name"]?.stringValue ?? "an unnamed architecture"
                throw UsageError("no DFloat11 preset for \(what); give --arch NAME (one of "
                                 + ArchitecturePreset.all.map(\.name).joined(separator: ", ")
                                 + ") or --pattern FILE with a JSON {regex: [attributes]}")
            }
            preset = found
            patternJSON = found.patternDictJSON
            patternSource = "config"
        case .preset(let name):
            guard let found = ArchitecturePreset.named(name) else {
                throw UsageError("unknown architecture '\(name)'; known: "
                                 + ArchitecturePreset.all.map(\.name).joined(separator: ", "))
            }
            preset = found
            patternJSON = found.patternDictJSON
            patternSource = "arch"
        case .file(let path):
            do {
                patternJSON = try JSONParser().parse(FileSystem.readSmallFile(path, limit: 16 << 20))
            } catch {
                throw UsageError("cannot read the pattern file \(path): \((error as? DF11Failure)?.description ?? "\(error)")")
            }
            patternSource = "pattern-file"
        case .dictionary(let json):
            patternJSON = json
            patternSource = "given"
        }
        let dictionary = try PatternDictionary(json: patternJSON)
        let stored = source.tensorNames
        let storedSet = Set(stored)
        let tied = (preset ?? selected)?.tiedWeights(tensorNames: storedSet, config: config) ?? [:]
        let units = try dictionary.units(tensorNames: stored, tiedWeights: tied)
        guard !units.isEmpty else {
            throw UsageError("the pattern dictionary matches no module of the checkpoint"
                             + (preset.map { " (preset '\($0.name)')" } ?? "")
                             + "; check --arch or give --pattern FILE")
        }
        for unit in units {
            for weight in unit.weights {
                guard let info = source.tensor(named: weight.source) else {
                    throw DFloat11LayoutError(unit: unit.module, .badUnitDescription("tensor '\(weight.source)' is not in the checkpoint"))
                }
                guard info.dtype == .bf16 else {
                    throw DFloat11LayoutError(unit: unit.module, .notBF16(tensor: weight.source, dtype: info.dtype.rawValue))
                }
            }
        }

        // Unit files are named after modules, that is after tensor names from the input: each name must stay one
        // plain file name inside the output, distinct from the others and from model.safetensors and config.json.
        let isDiffusersModel = config?["_class_name"] != nil || config?["_diffusers_version"] != nil
        let restFileName = isDiffusersModel && !dfloat11.singleFile ? Self.diffusersWeightsName : "model.safetensors"
        var outputNames: Set<String> = [restFileName, "config.json"]
        for unit in units {
            guard FileSystem.isSafeComponent(unit.fileName) else {
                throw UnsafeOutputName(name: unit.fileName, origin: "the unit file of module '\(unit.module)'")
            }
            guard outputNames.insert(unit.fileName).inserted else {
                throw DFloat11LayoutError(unit: unit.module, .badUnitDescription(
                    "its file '\(unit.fileName)' would replace another output file of the same name"))
            }
        }

        // The rest: every tensor of the model outside the units' modules (directory layout: detached).
        let modulePrefixes = units.map { $0.module + "." }
        func inUnit(_ name: String) -> Bool { modulePrefixes.contains { name.hasPrefix($0) } }
        var rest = stored.filter { !inUnit($0) }.map { RestTensor(name: $0, source: $0) }
        for (name, target) in tied.sorted(by: { $0.key < $1.key }) where !inUnit(name) {
            if !inUnit(target) {
                // Both the tied weight and its tensor stay in the model: transformers' save_pretrained leaves
                // the tied copy out; the single-file layout's save_file refuses shared tensors.
                if dfloat11.singleFile {
                    throw UsageError("'\(name)' is tied to '\(target)' and neither is a unit: the official single-file "
                                     + "layout fails on shared tensors (safetensors refuses them); use the directory "
                                     + "layout (no --single-file), or a pattern that compresses '\(target)'")
                }
            } else {
                rest.append(RestTensor(name: name, source: target))
            }
        }
        let plainModule = config == nil
        let metadata: [(key: String, value: String)]? = (dfloat11.singleFile || plainModule) ? nil : [("format", "pt")]

        // config.json bytes.
        let dfloat11Config: JSONValue = .object([
            "version": .string(UnitGeometry.version),
            "threads_per_block": .array([.int(UnitGeometry.threadsPerBlock)]),
            "bytes_per_thread": .int(UnitGeometry.bytesPerThread),
            "pattern_dict": patternJSON,
        ])
        let configBytes: [UInt8]
        // A diffusers model's config is a FrozenDict: the official tool's `model.config.dfloat11_config = …` does not
        // reach its save_config, so compress_model replaces the config.json save_pretrained wrote with the
        // dfloat11_config alone (checked on diffusers 0.35.1: Fixtures/dfloat11-golden/flux-diffusers).
        if dfloat11.singleFile || plainModule || isDiffusersModel {
            configBytes = JSONValue.object(["dfloat11_config": dfloat11Config]).encode(.python(sortKeys: false))
        } else {
            let members = config!.members! + [JSONMember(key: "dfloat11_config", value: dfloat11Config)]
            configBytes = JSONValue.object(members).encode(.python(sortKeys: true)) + [0x0A]
        }

        // Other files to copy.
        // A weight index (diffusers' diffusion_pytorch_model.safetensors.index.json) would name shards the output
        // does not have: the rest is one file.
        let copied = checkpoint.otherFiles.filter {
            $0 != "config.json" && !$0.hasSuffix(".safetensors") && !$0.hasSuffix(".safetensors.index.json")
        }

        var notDerivable: [(weight: String, why: String)] = []
        if let config {
            let shapes = WeightShapes(config: config, configName: "config.json")
            for unit in units {
                for weight in unit.weights {
                    guard let info = source.tensor(named: weight.source) else { continue }
                    do {
                        let derived = try shapes.shape(of: weight.name, elements: info.elementCount)
                        if derived != info.shape {
                            notDerivable.append((weight.name, "config.json gives \(derived), the tensor is \(info.shape)"))
                        }
                    } catch let error as ShapeUnknownError {
                        notDerivable.append((weight.name, error.why))
                    }
                }
            }
        }
        self.shapesNotDerivable = notDerivable
        self.restFileName = restFileName
        self.isDiffusersModel = isDiffusersModel
        self.checkpoint = checkpoint
        self.source = source
        self.inputBytes = inputBytes
        self.preset = preset
        self.patternJSON = patternJSON
        self.patternSource = patternSource
        self.units = units
        self.rest = rest
        self.metadata = metadata
        self.configBytes = configBytes
        self.copied = copied
    }
}
