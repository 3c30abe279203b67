import DF11IO
import DFloat11Layout
import JSON
import Safetensors

/// A diffusers pipeline folder (`FluxPipeline.save_pretrained`, a Hugging Face snapshot of
/// `black-forest-labs/FLUX.1-dev`): `model_index.json` naming the components, one folder per component
/// (`transformer/`, `text_encoder/`, `vae/`, `tokenizer/`, `scheduler/`…), and no weights of its own.
struct DiffusersPipeline {
    static let indexName = "model_index.json"

    let root: String
    /// The components `model_index.json` lists (`"name": [library, class]`) that are folders of the pipeline, in
    /// name order.
    let components: [String]
    /// Each component's class as `model_index.json` names it.
    let classes: [String: String]

    /// Whether `path` is a pipeline folder: a directory with `model_index.json` and no `.safetensors` file of its
    /// own (a model folder that happens to hold a `model_index.json` stays a model).
    static func isPipeline(_ given: String) -> Bool {
        guard given != "-", FileSystem.kind(of: given) == .directory,
              let path = try? HuggingFaceCache.resolvingCacheRoot(given),
              FileSystem.kind(of: FileSystem.join(path, indexName)) == .regularFile,
              let names = try? FileSystem.entries(of: path) else { return false }
        return !names.contains { $0.hasSuffix(".safetensors") }
    }

    /// The pipeline in `given` (for a Hugging Face cache root `models--org--name`, in its `refs/main` snapshot).
    init(root given: String) throws {
        let root = try HuggingFaceCache.resolvingCacheRoot(given)
        self.root = root
        let indexPath = FileSystem.join(root, Self.indexName)
        let index: JSONValue
        do {
            index = try JSONParser().parse(try FileSystem.readSmallFile(indexPath, limit: 16 << 20))
        } catch {
            throw UsageError("cannot read \(indexPath) as JSON: \((error as? DF11Failure)?.description ?? "\(error)")")
        }
        guard let members = index.members else { throw UsageError("\(indexPath) is not a JSON object") }
        let listed = members.filter { member in
            !member.key.hasPrefix("_") && member.value.elements?.count == 2 && FileSystem.isSafeComponent(member.key)
                && FileSystem.kind(of: FileSystem.join(root, member.key)) == .directory
        }
        components = listed.map(\.key).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var classes: [String: String] = [:]
        for member in listed { classes[member.key] = member.value.elements?[1].stringValue }
        self.classes = classes
    }

    /// The folder of `component`.
    func path(of component: String) -> String { FileSystem.join(root, component) }

    /// The preset for a component: the one its `config.json` selects (diffusers' `_class_name`, transformers'
    /// `architectures` or `model_type`; `byConfig` true), else the one whose classes include the class
    /// `model_index.json` gives it (`byConfig` false: compress must then be told the preset); nil for none, and
    /// for a component already in the DFloat11 layout.
    func preset(of component: String) -> (preset: ArchitecturePreset, byConfig: Bool)? {
        let configPath = FileSystem.join(path(of: component), "config.json")
        var config: JSONValue?
        if FileSystem.kind(of: configPath) == .regularFile {
            config = try? JSONParser().parse(try FileSystem.readSmallFile(configPath, limit: 64 << 20))
            if config?["dfloat11_config"] != nil { return nil }
        }
        if let found = config.flatMap(ArchitecturePreset.select(config:)) { return (found, true) }
        guard let name = classes[component],
              let found = ArchitecturePreset.all.first(where: { $0.classNames.contains(name) || $0.architectures.contains(name) })
        else { return nil }
        return (found, false)
    }

    /// Whether the component's folder holds a model in the DFloat11 layout.
    func isDFloat11(_ component: String) -> Bool { DFloat11Model.isDFloat11Directory(path(of: component)) }

    /// Every regular file under the pipeline (linked files followed, as a cache snapshot's; linked folders never
    /// entered: no loops), as paths relative to the root, bytewise sorted, leaving out the folders in `excluding`
    /// and hidden entries (staging directories of df11 runs among them).
    func files(excluding: Set<String>) throws -> [String] {
        var out: [String] = []
        func walk(_ relative: String) throws {
            let directory = relative.isEmpty ? root : FileSystem.join(root, relative)
            for name in try FileSystem.entries(of: directory) where !name.hasPrefix(".") {
                let child = relative.isEmpty ? name : relative + "/" + name
                if relative.isEmpty && excluding.contains(name) { continue }
                switch FileSystem.kind(of: FileSystem.join(root, child)) {
                case .regularFile: out.append(child)
                case .directory where !FileSystem.isSymbolicLink(FileSystem.join(root, child)): try walk(child)
                default: continue
                }
            }
        }
        try walk("")
        return out
    }
}
