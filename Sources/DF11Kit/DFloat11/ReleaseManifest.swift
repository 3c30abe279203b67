import DF11Container
import DF11IO
import DFloat11Layout
import Foundation
import JSON
import Safetensors

/// `df11-manifest.json`, written by df11 beside the files of a DFloat11 release (docs/DFLOAT11.md, "The
/// manifest"): every original tensor's name, dtype, shape and XXH3-64 of its bytes, the XXH3-64 of each source
/// file, the tied weights the release holds in place of a source tensor, and the df11 version. The official
/// loader reads only `config.json` and `*.safetensors`, so it ignores the file; `df11 verify` decodes every
/// unit and checks every checksum against it: a proof of losslessness without the source.
struct ReleaseManifest: Equatable {
    static let fileName = "df11-manifest.json"
    static let format = "df11-manifest/1"

    struct Tensor: Equatable {
        let name: String
        let dtype: String
        let shape: [Int]
        let bytes: UInt64
        let xxh3: UInt64
    }

    struct SourceFile: Equatable {
        let name: String
        let bytes: UInt64
        let xxh3: UInt64
        /// A weight file's safetensors header, the JSON exactly as it was (padding included): with every tensor's
        /// bytes, all decompress needs to write the original file again byte for byte.
        var header: String? = nil
        /// The whole text of a small file the release does not hold as it was (`config.json`, which gains
        /// `dfloat11_config`; the shards' index).
        var text: String? = nil
    }

    /// Files that decompress writes from the manifest's `text` rather than copies from the release.
    static let restoredFromText: Set<String> = ["config.json", Checkpoint.indexFileName, diffusersIndexName]
    /// A sharded diffusers model's index (the release holds its weights in one file and does not copy it).
    static let diffusersIndexName = "diffusion_pytorch_model.safetensors.index.json"
    /// The largest file kept whole as `text`.
    static let maxTextBytes: UInt64 = 4 << 20

    var df11Version: String
    var tensors: [Tensor]
    var sourceFiles: [SourceFile]
    /// Weights of the release that are not source tensors but the same bytes as one (a tied `lm_head.weight`
    /// compressed from `model.embed_tokens.weight`): name → source tensor name.
    var tied: [(name: String, source: String)]

    init(df11Version: String, tensors: [Tensor], sourceFiles: [SourceFile], tied: [(name: String, source: String)]) {
        self.df11Version = df11Version
        self.tensors = tensors
        self.sourceFiles = sourceFiles
        self.tied = tied
    }

    static func == (a: ReleaseManifest, b: ReleaseManifest) -> Bool {
        a.df11Version == b.df11Version && a.tensors == b.tensors && a.sourceFiles == b.sourceFiles
            && a.tied.map(\.name) == b.tied.map(\.name) && a.tied.map(\.source) == b.tied.map(\.source)
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    // MARK: - Building from a source

    /// Hashes the source: each weight file whole and each of its tensors, in one read of the file (`scanned`, if
    /// given, is that read already done, of the same files in the same order); then the other files named
    /// (`config.json`, copied files). `tied` as above.
    static func of(weightFiles: [(name: String, path: String)], otherFiles: [(name: String, path: String)],
                   tied: [(name: String, source: String)], scanned: SourceScan? = nil) throws -> ReleaseManifest {
        var tensors: [Tensor] = []
        var files: [SourceFile] = []
        let chunk = 8 << 20
        let scan = try scanned ?? SourceScan(paths: weightFiles.map(\.path))
        precondition(scan.hashes.count == weightFiles.count, "a scan of other files")
        for ((name, _), (header, hashes)) in zip(weightFiles, zip(scan.headers, scan.hashes)) {
            for (info, digest) in zip(header.tensorsInFileOrder, hashes.tensors) {
                tensors.append(Tensor(name: info.name, dtype: info.dtype.rawValue, shape: info.shape,
                                      bytes: info.byteCount, xxh3: digest))
            }
            files.append(SourceFile(name: name, bytes: hashes.bytes, xxh3: hashes.file,
                                    header: String(bytes: header.rawHeader, encoding: .utf8)))
        }
        for (name, path) in otherFiles {
            let input = try InputFile(path: path)
            defer { input.close() }
            if restoredFromText.contains(name) && input.size <= maxTextBytes {
                let bytes = try FileSystem.readSmallFile(path, limit: maxTextBytes)
                let digest = bytes.withUnsafeBytes { Checksum.xxh3($0) }
                files.append(SourceFile(name: name, bytes: UInt64(bytes.count), xxh3: digest,
                                        text: String(bytes: bytes, encoding: .utf8)))
                continue
            }
            let whole = StreamingChecksum()
            try input.forEachPiece(pieceBytes: chunk) { whole.update($0) }
            files.append(SourceFile(name: name, bytes: input.size, xxh3: whole.digest))
        }
        tensors.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        return ReleaseManifest(df11Version: DF11.version, tensors: tensors, sourceFiles: files, tied: tied)
    }

    /// The weight files of a source as the manifest names them (relative to its directory: a file given alone by
    /// its own name) with their paths.
    static func weightFileNames(_ checkpoint: Checkpoint) -> [(name: String, path: String)] {
        checkpoint.weightFiles.map {
            (checkpoint.kind == .file ? FileSystem.baseName(of: $0.displayPath) : $0.displayPath, $0.resolvedPath)
        }
    }

    /// The manifest of the source of `plan`: its weight files (`scanned` as above), `config.json` and the files
    /// copied.
    static func of(_ plan: DFloat11CompressionPlan, scanned: SourceScan? = nil) throws -> ReleaseManifest {
        let root = plan.checkpoint.kind == .file ? FileSystem.directoryName(of: plan.checkpoint.root) : plan.checkpoint.root
        var others: [(name: String, path: String)] = []
        let config = FileSystem.join(root, "config.json")
        if FileSystem.kind(of: config) == .regularFile { others.append(("config.json", config)) }
        for name in plan.copied where name != "config.json" { others.append((name, FileSystem.join(root, name))) }
        if plan.checkpoint.index != nil, !plan.copied.contains(Checkpoint.indexFileName) {
            others.append((Checkpoint.indexFileName, FileSystem.join(root, Checkpoint.indexFileName)))
        }
        if plan.checkpoint.otherFiles.contains(diffusersIndexName) {
            others.append((diffusersIndexName, FileSystem.join(root, diffusersIndexName)))
        }
        var tied: [(name: String, source: String)] = []
        for unit in plan.units { for w in unit.weights where w.name != w.source { tied.append((w.name, w.source)) } }
        for r in plan.rest where r.name != r.source { tied.append((r.name, r.source)) }
        return try of(weightFiles: weightFileNames(plan.checkpoint), otherFiles: others, tied: tied, scanned: scanned)
    }

    /// Every recorded shape by weight name, tied weights under their own names too (`WeightShapes`).
    var shapes: [String: [Int]] {
        var shapes = Dictionary(tensors.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        for tie in tied { if let shape = shapes[tie.source] { shapes[tie.name] = shape } }
        return shapes
    }

    // MARK: - JSON

    var json: JSONValue {
        .object([
            "format": .string(Self.format),
            "df11_version": .string(df11Version),
            "checksum": .string("xxh3-64"),
            "source_files": .array(sourceFiles.map { file in
                var members: [JSONMember] = [JSONMember(key: "name", value: .string(file.name)),
                                             JSONMember(key: "bytes", value: .integer(file.bytes)),
                                             JSONMember(key: "xxh3_64", value: .string(Self.hex(file.xxh3)))]
                if let header = file.header { members.append(JSONMember(key: "header", value: .string(header))) }
                if let text = file.text { members.append(JSONMember(key: "text", value: .string(text))) }
                return .object(members)
            }),
            "tied": .object(tied.map { JSONMember(key: $0.name, value: .string($0.source)) }),
            "tensors": .array(tensors.map { tensor in
                .object(["name": .string(tensor.name), "dtype": .string(tensor.dtype),
                         "shape": .array(tensor.shape.map { .integer(UInt64($0)) }),
                         "bytes": .integer(tensor.bytes), "xxh3_64": .string(Self.hex(tensor.xxh3))])
            }),
        ])
    }

    var bytes: [UInt8] { json.encode(.indented) + [0x0A] }

    /// A manifest that cannot be read is bad data (exit 1), naming the file.
    static func invalid(_ path: String, _ why: String) -> DFloat11MismatchError {
        DFloat11MismatchError("bad-manifest", "\(path): not a valid df11 manifest: \(why)")
    }

    /// Reads and checks `path`.
    init(path: String) throws {
        let value: JSONValue
        do { value = try JSONParser().parse(try FileSystem.readSmallFile(path, limit: 1 << 30)) } catch {
            throw Self.invalid(path, "\(error)")
        }
        func fail(_ why: String) -> DFloat11MismatchError { Self.invalid(path, why) }
        guard value["format"]?.stringValue == Self.format else {
            throw fail("\"format\" is not \"\(Self.format)\"")
        }
        guard value["checksum"]?.stringValue == "xxh3-64" else { throw fail("\"checksum\" is not \"xxh3-64\"") }
        func checksum(_ v: JSONValue?, _ what: String) throws -> UInt64 {
            guard let text = v?.stringValue, text.utf8.count == 16, let n = UInt64(text, radix: 16) else {
                throw fail("\(what): xxh3_64 is not 16 hexadecimal digits")
            }
            return n
        }
        df11Version = value["df11_version"]?.stringValue ?? "(none)"
        guard let fileList = value["source_files"]?.elements, let tensorList = value["tensors"]?.elements,
              let tiedMembers = value["tied"]?.members else {
            throw fail("\"source_files\", \"tensors\" (arrays) and \"tied\" (an object) are required")
        }
        sourceFiles = try fileList.map { f in
            guard let name = f["name"]?.stringValue, let bytes = f["bytes"]?.uint64Value else {
                throw fail("a source file without name or bytes")
            }
            return SourceFile(name: name, bytes: bytes, xxh3: try checksum(f["xxh3_64"], name),
                              header: f["header"]?.stringValue, text: f["text"]?.stringValue)
        }
        var seen = Set<String>()
        tensors = try tensorList.map { t in
            guard let name = t["name"]?.stringValue, let dtype = t["dtype"]?.stringValue,
                  let shape = t["shape"]?.elements?.map({ $0.uint64Value }), !shape.contains(nil),
                  let bytes = t["bytes"]?.uint64Value else {
                throw fail("a tensor entry without name, dtype, shape or bytes")
            }
            guard seen.insert(name).inserted else { throw fail("tensor '\(name)' is listed twice") }
            return Tensor(name: name, dtype: dtype, shape: shape.map { Int($0!) }, bytes: bytes,
                          xxh3: try checksum(t["xxh3_64"], name))
        }
        tied = try tiedMembers.map { member in
            guard let source = member.value.stringValue, seen.contains(source) else {
                throw fail("tied weight '\(member.key)' names no tensor of the manifest")
            }
            return (member.key, source)
        }
    }
}

/// Checks a release against its manifest while `verify` decodes it: each unit weight's decoded bf16 bytes
/// (fed in order, one unit's blocks after another) and every other tensor's stored bytes against the
/// checksum, dtype and shape recorded; then that every tensor of the manifest was seen. Used from the
/// pipeline's consumer only (one thread at a time).
final class ManifestChecker: @unchecked Sendable {
    let manifest: ReleaseManifest
    private let byName: [String: ReleaseManifest.Tensor]
    private let tiedTo: [String: String]
    /// Per unit: its weights' names and the unit-relative index where each ends.
    private let weights: [[(name: String, end: UInt64)]]
    private let modules: [String]
    private var position: [UInt64]
    private var current: [Int]
    private let digest = StreamingChecksum()
    private var digestUnit = -1
    /// Names checked so far (manifest names: a tied weight counts under its own name).
    private(set) var checked = Set<String>()

    init(manifest: ReleaseManifest, decoders: [UnitDecoder], names: [[String]]) {
        self.manifest = manifest
        byName = Dictionary(manifest.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        tiedTo = Dictionary(manifest.tied.map { ($0.name, $0.source) }, uniquingKeysWith: { a, _ in a })
        weights = zip(decoders, names).map { decoder, unitNames in
            let ends = decoder.splitPositions.map { UInt64($0) } + [decoder.elementCount]
            return Array(zip(unitNames, ends)).map { (name: $0.0, end: $0.1) }
        }
        modules = decoders.map(\.module)
        position = decoders.map { _ in 0 }
        current = decoders.map { _ in 0 }
    }

    private func expected(_ name: String, place: String) throws -> ReleaseManifest.Tensor {
        if let entry = byName[name] { return entry }
        if let source = tiedTo[name], let entry = byName[source] { return entry }
        throw DFloat11MismatchError("manifest-mismatch", "\(place)tensor '\(name)' is not in the manifest (\(ReleaseManifest.fileName))")
    }

    private func finish(_ name: String, dtype: String, elements: UInt64, shape: [Int]?, bytes: UInt64, xxh3: UInt64,
                        place: String) throws {
        let entry = try expected(name, place: place)
        let recordedElements = entry.shape.reduce(UInt64(1)) { $0 * UInt64($1) }
        guard entry.dtype == dtype, recordedElements == elements, shape == nil || shape == entry.shape,
              entry.bytes == bytes else {
            throw DFloat11MismatchError("manifest-mismatch", "\(place)tensor '\(name)': \(dtype) \(shape.map { "\($0)" } ?? "of \(elements) elements"), "
                                        + "the manifest records \(entry.dtype) \(entry.shape)")
        }
        guard entry.xxh3 == xxh3 else {
            throw DFloat11MismatchError("manifest-mismatch", "\(place)tensor '\(name)': its bytes have XXH3-64 "
                                        + "\(ReleaseManifest.hex(xxh3)), the manifest records \(ReleaseManifest.hex(entry.xxh3)): "
                                        + "the release does not hold the original weights")
        }
        checked.insert(name)
    }

    /// The next decoded words of unit `u`, in order.
    func add(unit u: Int, words: [UInt16]) throws {
        var offset = 0
        let place = "DFloat11 unit '\(modules[u])', "
        while offset < words.count {
            if digestUnit != u { digest.reset(); digestUnit = u }
            let weight = weights[u][current[u]]
            let take = Int(min(UInt64(words.count - offset), weight.end - position[u]))
            words[offset ..< offset + take].withUnsafeBytes { digest.update($0) }
            offset += take
            position[u] += UInt64(take)
            if position[u] == weight.end {
                let start = current[u] == 0 ? 0 : weights[u][current[u] - 1].end
                try finish(weight.name, dtype: DType.bf16.rawValue, elements: weight.end - start, shape: nil,
                           bytes: 2 * (weight.end - start), xxh3: digest.digest, place: place)
                digest.reset()
                current[u] += 1
            }
        }
    }

    /// Every tensor of the release that no unit holds, read and hashed; then every manifest tensor seen.
    func checkRemainder(_ model: DFloat11Model) throws {
        let chunk: UInt64 = 8 << 20
        var buffer = [UInt8](repeating: 0, count: Int(chunk))
        for name in model.remainder {
            guard let info = model.tensors.tensor(named: name) else { continue }
            let hash = StreamingChecksum()
            var offset: UInt64 = 0
            while offset < info.byteCount {
                let n = min(chunk, info.byteCount - offset)
                try buffer.withUnsafeMutableBytes { raw in
                    let piece = UnsafeMutableRawBufferPointer(rebasing: raw[0 ..< Int(n)])
                    try model.tensors.read(tensor: info, range: offset ..< offset + n, into: piece)
                    hash.update(UnsafeRawBufferPointer(piece))
                }
                offset += n
            }
            try finish(name, dtype: info.dtype.rawValue, elements: info.elementCount, shape: info.shape,
                       bytes: info.byteCount, xxh3: hash.digest, place: "\(model.file(of: name)): ")
        }
        let missing = manifest.tensors.map(\.name).filter { !checked.contains($0) && !tiedNames.contains($0) }
        if let first = missing.first {
            throw DFloat11MismatchError("manifest-mismatch", "tensor '\(first)' of the manifest is not in the release"
                                        + (missing.count > 1 ? " (and \(missing.count - 1) more)" : ""))
        }
    }

    /// The headers of the release's files are as the safetensors library (df11's writer) writes them: compact
    /// JSON padded with spaces. JSON would accept other whitespace there; a release that proves itself must be
    /// exactly what was written, so a changed padding byte is reported too.
    func checkHeaders(_ model: DFloat11Model) throws {
        for (name, file) in zip(model.fileNames, model.files) {
            let raw = file.header.rawHeader
            let end = (raw.lastIndex(of: UInt8(ascii: "}")) ?? -1) + 1
            if raw.contains(where: { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) || raw[end...].contains(where: { $0 != 0x20 }) {
                throw DFloat11MismatchError("manifest-mismatch", "\(name): the safetensors header is not as it was written "
                                            + "(whitespace other than the trailing space padding)")
            }
        }
    }

    /// Source tensors that count as present through a tied weight that was checked.
    private var tiedNames: Set<String> {
        Set(manifest.tied.filter { checked.contains($0.name) }.map(\.source))
    }
}
