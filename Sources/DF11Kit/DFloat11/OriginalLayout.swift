import DF11Container
import DF11IO
import Safetensors

/// The source checkpoint's own files, as the release manifest (`df11-manifest.json`) describes them: each weight
/// file's header exactly as it was, and the text of `config.json` and of the shards' index. With every tensor's
/// bytes (decoded from the units or copied from the release), `decompress` writes the original files again byte
/// for byte and proves it by the checksums the manifest records.
struct OriginalLayout {
    /// One writer per original weight file, in the manifest's order, named as in the source.
    let writers: [SafetensorsWriter]
    /// The original `config.json` and index, by name.
    let texts: [String: [UInt8]]
    /// What each original file must hash to: name → (bytes, XXH3-64).
    let expected: [String: (bytes: UInt64, xxh3: UInt64)]
    /// The shards' index among `texts`: transformers' `model.safetensors.index.json` or diffusers'
    /// `diffusion_pytorch_model.safetensors.index.json`.
    var indexName: String {
        texts.keys.first { $0.hasSuffix(".safetensors.index.json") } ?? Checkpoint.indexFileName
    }

    /// nil when the manifest cannot describe the original files (written before df11 recorded headers, a header
    /// that is not UTF-8) or the release does not hold every tensor they list with the size they list: decompress
    /// then writes the library's layout, as for a release without a manifest.
    init?(manifest: ReleaseManifest, unitWeightBytes: [String: UInt64], release: TensorSource) {
        var writers: [SafetensorsWriter] = []
        var texts: [String: [UInt8]] = [:]
        var expected: [String: (bytes: UInt64, xxh3: UInt64)] = [:]
        for file in manifest.sourceFiles {
            expected[file.name] = (file.bytes, file.xxh3)
            if let text = file.text, ReleaseManifest.restoredFromText.contains(file.name) {
                texts[file.name] = Array(text.utf8)
                continue
            }
            guard file.name.hasSuffix(".safetensors") else { continue }
            guard let header = file.header, DirectoryManifest.isPlainRelativePath(file.name),
                  let parsed = try? SafetensorsHeader.parse(Array(header.utf8), fileName: file.name, dataSectionSize: nil)
            else { return nil }
            for tensor in parsed.tensors {
                let held = unitWeightBytes[tensor.name] ?? release.tensor(named: tensor.name)?.byteCount
                guard held == tensor.byteCount else { return nil }
            }
            writers.append(SafetensorsWriter(reproducing: parsed, fileName: file.name))
        }
        guard !writers.isEmpty else { return nil }
        self.writers = writers
        self.texts = texts
        self.expected = expected
    }

    /// Throws unless the file written at `path` is the original `name`: its size and XXH3-64 as the manifest
    /// records them, and its SHA-256 as `provenance` records it, if it does.
    func check(_ path: String, name: String, provenance: SourceProvenance?) throws {
        guard let want = expected[name] else { return }
        let input = try InputFile(path: path)
        let checksum = StreamingChecksum()
        var sha = provenance?.sha256[name] == nil ? nil : SHA256()
        try input.forEachPiece(pieceBytes: 4 << 20) { piece in
            checksum.update(piece)
            sha?.update(piece)
        }
        guard input.size == want.bytes, checksum.digest == want.xxh3 else {
            throw DFloat11MismatchError("restored-file-differs", "the restored '\(name)' (\(input.size) bytes, XXH3-64 "
                + "\(ReleaseManifest.hex(checksum.digest))) is not the original the manifest records (\(want.bytes) bytes, "
                + "\(ReleaseManifest.hex(want.xxh3)))")
        }
        if var sha, let provenance { try provenance.check(name: name, digest: sha.finish(), path: path) }
    }
}
