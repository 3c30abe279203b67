import JSON
import DF11Container
import DF11IO
import DF11Pipeline
import DFloat11Layout
import Safetensors

/// `df11 ls`: the tensors of df11 containers, a DFloat11 model or a plain safetensors checkpoint, read from
/// headers and indexes only. JSON schema `df11.ls/1.1` (docs/JSON.md).
public struct TensorListing: OperationReport {
    public var textRole: ReportTextRole { .result }

    /// What the path holds.
    public enum Format: String, Sendable {
        /// df11 containers (a file, or a directory written by `df11 compress`).
        case container
        /// A model in the published DFloat11 layout.
        case dfloat11
        /// A plain safetensors checkpoint (a file, a directory, a cache snapshot).
        case safetensors
    }

    public struct Entry: Sendable {
        public let name: String
        /// The file that holds it (a container, a unit file, a `.safetensors` file), relative to the path listed.
        public let container: String
        public let dtype: DType
        public let shape: [Int]
        /// Original bytes.
        public let bytes: UInt64
        /// Bytes it takes where it is stored (a DFloat11 weight: its share of its unit's tensors).
        public let storedBytes: UInt64
        /// Container blocks, or the blocks of the DFloat11 unit; 0 for plain safetensors.
        public let blocks: Int
        /// The DFloat11 unit that holds it.
        public let unit: String?
    }

    public let path: String
    public let format: Format
    public let entries: [Entry]

    public var bytes: UInt64 { entries.reduce(0) { $0 + $1.bytes } }
    public var storedBytes: UInt64 { entries.reduce(0) { $0 + $1.storedBytes } }

    /// Lists `path`: containers (a file, or a directory written by `df11 compress`), a DFloat11 model, or a plain
    /// safetensors checkpoint.
    public static func list(path: String) throws -> TensorListing {
        if DFloat11Model.isDFloat11Directory(path) { return try listDFloat11(path: path) }
        if FileSystem.kind(of: path) == .directory {
            if FileSystem.kind(of: FileSystem.join(path, DirectoryManifest.fileName)) == .regularFile {
                return try listContainers(path: path)
            }
            return try listSafetensors(path: path)
        }
        if path.hasSuffix(".safetensors") { return try listSafetensors(path: path) }
        return try listContainers(path: path)
    }

    static func listContainers(path: String) throws -> TensorListing {
        var entries: [Entry] = []
        for (display, file) in try ContainerListing.containers(at: path) {
            let container = try ContainerFile(path: file)
            let stored = container.storedBytes     // computed from the index: once, not once per tensor
            entries.reserveCapacity(entries.count + stored.count)
            for (i, tensor) in container.header.tensorsInFileOrder.enumerated() {
                entries.append(Entry(name: tensor.name, container: display, dtype: tensor.dtype, shape: tensor.shape,
                                     bytes: tensor.byteCount, storedBytes: stored[i],
                                     blocks: container.index.tensors[i].blockFrames.count, unit: nil))
            }
        }
        return TensorListing(path: path, format: .container, entries: entries)
    }

    static func listSafetensors(path: String) throws -> TensorListing {
        let checkpoint = try Checkpoint.open(path: path, followSymlinks: true)  // read only, as verify --against reads
        var entries: [Entry] = []
        for file in checkpoint.weightFiles {
            for tensor in try SafetensorsFile(path: file.resolvedPath).header.tensorsInFileOrder {
                entries.append(Entry(name: tensor.name, container: file.displayPath, dtype: tensor.dtype,
                                     shape: tensor.shape, bytes: tensor.byteCount, storedBytes: tensor.byteCount,
                                     blocks: 0, unit: nil))
            }
        }
        return TensorListing(path: path, format: .safetensors, entries: entries)
    }

    static func listDFloat11(path: String) throws -> TensorListing {
        let model = try DFloat11Model(directory: path)
        let unitWeights = try DFloat11Extraction.unitWeights(of: model)
        var entries: [Entry] = []
        for weight in unitWeights {
            let stored = model.storedBytes(ofUnit: weight.decoder.module)
            let share = weight.decoder.elementCount == 0 ? 0
                : UInt64((Double(stored) * Double(weight.range.count) / Double(weight.decoder.elementCount)).rounded())
            entries.append(Entry(name: weight.name, container: model.file(of: weight.decoder.module + ".luts"),
                                 dtype: .bf16, shape: weight.shape, bytes: 2 * UInt64(weight.range.count),
                                 storedBytes: share, blocks: weight.decoder.blockCount, unit: weight.decoder.module))
        }
        for name in model.remainder {
            guard let tensor = model.tensors.tensor(named: name) else { continue }
            entries.append(Entry(name: name, container: model.file(of: name), dtype: tensor.dtype, shape: tensor.shape,
                                 bytes: tensor.byteCount, storedBytes: tensor.byteCount, blocks: 0, unit: nil))
        }
        return TensorListing(path: path, format: .dfloat11, entries: entries)
    }

    public var json: JSONValue {
        .object([
            "schema": .string("df11.ls/1.1"),
            "path": .string(path),
            "format": .string(format.rawValue),
            "tensors": .array(entries.map { e in
                var members: [JSONMember] = [
                    JSONMember(key: "name", value: .string(e.name)),
                    JSONMember(key: "container", value: .string(e.container)),
                    JSONMember(key: "file", value: .string(e.container)),
                    JSONMember(key: "dtype", value: .string(e.dtype.rawValue)),
                    JSONMember(key: "shape", value: .array(e.shape.map { .int($0) })),
                    JSONMember(key: "bytes", value: .int(e.bytes)),
                    JSONMember(key: "stored_bytes", value: .int(e.storedBytes)),
                    JSONMember(key: "blocks", value: .int(e.blocks)),
                ]
                if let unit = e.unit { members.append(JSONMember(key: "unit", value: .string(unit))) }
                return .object(members)
            }),
            "totals": .object(["tensors": .int(entries.count), "bytes": .int(bytes), "stored_bytes": .int(storedBytes)]),
        ])
    }

    /// Aligned columns: name, dtype, shape, size, stored size and its share, file; then a total.
    public var text: String {
        let rows: [[String]] = entries.map { e in
            ["\(e.name)", e.dtype.rawValue, "[" + e.shape.map(String.init).joined(separator: ", ") + "]",
             ByteFormatting.bytes(e.bytes), ByteFormatting.bytes(e.storedBytes),
             Percent.text(Double(e.storedBytes), of: Double(e.bytes)), e.container]
        }
        let header = ["tensor", "dtype", "shape", "size", "stored", "share", format == .container ? "container" : "file"]
        let total = ["total (\(entries.count) tensor\(entries.count == 1 ? "" : "s"))", "", "",
                     ByteFormatting.bytes(bytes), ByteFormatting.bytes(storedBytes),
                     Percent.text(Double(storedBytes), of: Double(bytes)), ""]
        let all = [header] + rows + [total]
        let widths = (0..<header.count).map { column in all.map { $0[column].count }.max() ?? 0 }
        let rightAligned: Set<Int> = [3, 4, 5]
        return all.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? pad + cell : (column == row.count - 1 ? cell : cell + pad)
            }.joined(separator: "  ")
        }.map { line -> String in
            var trimmed = Substring(line)
            while trimmed.hasSuffix(" ") { trimmed = trimmed.dropLast() }
            return String(trimmed)
        }.joined(separator: "\n")
    }
}

/// `ls` and `cat` of df11 containers.
public enum ContainerListing {
    /// Lists the containers at `path` (one container, or a directory written by `df11 compress`).
    public static func list(path: String) throws -> TensorListing { try TensorListing.listContainers(path: path) }

    /// Writes the original bytes of `tensor` to `sink`, decoding only its blocks.
    public static func extract(path: String, tensor: String, to sink: ByteSink, threads: Int) throws {
        var file = path
        if FileSystem.kind(of: path) == .directory {
            let manifest = try DirectoryManifest.read(directory: path)
            guard let entry = manifest.weightMap.first(where: { $0.tensor == tensor }) else {
                throw ContainerError(file: path, .noSuchTensor(tensor))
            }
            file = FileSystem.join(path, entry.container)
        }
        try ContainerFile(path: file).extract(tensor: tensor, to: sink, threads: threads)
    }

    /// (display name, path) of each container at `path`.
    static func containers(at path: String) throws -> [(String, String)] {
        guard FileSystem.kind(of: path) == .directory else { return [(path, path)] }
        return try DirectoryManifest.read(directory: path).files.map { ($0.container, FileSystem.join(path, $0.container)) }
    }
}
