import DF11IO
import DFloat11Layout
import JSON
import Safetensors

/// The pattern dictionary of a bare DFloat11 file: one `.safetensors` holding units (`<module>.luts`…) with no
/// `config.json` beside it, as the community ComfyUI nodes load it (docs/DFLOAT11.md, "The ComfyUI single-file
/// layout"). The nodes take the dictionary from their own table by ComfyUI's model detection; df11 takes the
/// preset whose dictionary fits the file: every unit's module matches one of its patterns, with as many
/// weights as that pattern lists (`split_positions` holds one fewer), and, among those, the one whose
/// `tensor_names` the file satisfies the most (a name is satisfied when present, or when its module is a unit
/// whose pattern lists it).
enum BareFileDictionary {
    /// Whether `path` is a `.safetensors` file holding DFloat11 units.
    static func isBareDFloat11File(_ path: String) -> Bool {
        guard path.hasSuffix(".safetensors"), FileSystem.kind(of: path) == .regularFile,
              let file = try? SafetensorsFile(path: path) else { return false }
        defer { file.close() }
        return file.header.tensors.contains { $0.name.hasSuffix("." + UnitTensor.encodedExponent.rawValue) }
    }

    /// A config.json for the file: `{"dfloat11_config": {…, "pattern_dict": <the fitting preset's>}}`.
    /// Also the preset's name, or the names of the presets with that same dictionary joined by "/".
    static func config(for path: String) throws -> (config: JSONValue, architecture: String) {
        let file = try SafetensorsFile(path: path)
        defer { file.close() }
        let names = file.header.tensors.map(\.name)
        let lutsSuffix = "." + UnitTensor.luts.rawValue
        let units = names.filter { $0.hasSuffix(lutsSuffix) }.map { String($0.dropLast(lutsSuffix.count)) }
        var weightsPerUnit: [String: Int] = [:]
        for unit in units {
            let split = file.header.tensor(named: unit + "." + UnitTensor.splitPositions.rawValue)
            weightsPerUnit[unit] = (split?.shape.first ?? 0) + 1
        }
        var candidates: [(preset: ArchitecturePreset, score: Int, unmatched: Int)] = []
        for preset in ArchitecturePreset.all {
            guard let dictionary = try? preset.patternDictionary() else { continue }
            var entryOf: [String: Int] = [:]
            let fits = units.allSatisfy { unit in
                guard let entry = dictionary.entries.indices.first(where: { dictionary.fullMatch(entry: $0, unit) }) else {
                    return false
                }
                entryOf[unit] = entry
                return max(1, dictionary.entries[entry].attributes.count) == weightsPerUnit[unit]
            }
            guard fits else { continue }
            let present = Set(names)
            let satisfied = preset.tensorNames.filter { name in
                if present.contains(name) { return true }
                return entryOf.contains { unit, entry in
                    let attributes = dictionary.entries[entry].attributes
                    return attributes.isEmpty ? name == unit + ".weight"
                        : attributes.contains { name == unit + "." + $0 + ".weight" }
                }
            }.count
            let unmatched = dictionary.entries.count - Set(entryOf.values).count
            candidates.append((preset, satisfied == preset.tensorNames.count ? satisfied : -1, unmatched))
        }
        // The most tensor names satisfied, then the fewest patterns that match no unit (the tightest fit).
        let ranked = candidates.sorted { $0.score != $1.score ? $0.score > $1.score : $0.unmatched < $1.unmatched }
        guard let chosen = ranked.first?.preset else {
            throw UsageError("\(path) holds DFloat11 units (\(units.prefix(3).joined(separator: ", "))"
                             + (units.count > 3 ? ", …" : "") + ") but no config.json, and no preset's pattern "
                             + "dictionary fits them; put it as model.safetensors in a folder with the config.json "
                             + "it was written with ({\"dfloat11_config\": …})")
        }
        // Presets with the same dictionary fit equally (llama, mistral, qwen2…): all are named.
        let same = ranked.filter { $0.score == ranked[0].score && $0.unmatched == ranked[0].unmatched
            && $0.preset.patternDictJSON == chosen.patternDictJSON }.map(\.preset.name)
        let config: JSONValue = .object(["dfloat11_config": .object([
            "version": .string(UnitGeometry.version),
            "threads_per_block": .array([.int(UnitGeometry.threadsPerBlock)]),
            "bytes_per_thread": .int(UnitGeometry.bytesPerThread),
            "pattern_dict": chosen.patternDictJSON,
        ])])
        return (config, same.joined(separator: "/"))
    }
}
