import DF11Container
import DF11IO
import Safetensors

/// `df11 ls`: the tensors of a container or container directory, read from headers and indexes only.
/// JSON schema `df11.ls/1`.
public struct ContainerListing: JSONRepresentable, Sendable {
    public struct Entry: Sendable {
        public let name: String
        public let container: String
        public let dtype: DType
        public let shape: [Int]
        public let bytes: UInt64
        public let storedBytes: UInt64
        public let blocks: Int
    }

    public let path: String
    public let entries: [Entry]

    /// Lists `path`: one container, or a directory written by `df11 compress`.
    public static func list(path: String) throws -> ContainerListing {
        var entries: [Entry] = []
        for (display, file) in try containers(at: path) {
            let container = try ContainerFile(path: file)
            let stored = container.storedBytes     // computed from the index: once, not once per tensor
            entries.reserveCapacity(entries.count + stored.count)
            for (i, tensor) in container.header.tensorsInFileOrder.enumerated() {
                entries.append(Entry(name: tensor.name, container: display, dtype: tensor.dtype, shape: tensor.shape,
                                     bytes: tensor.byteCount, storedBytes: stored[i],
                                     blocks: container.index.tensors[i].blockFrames.count))
            }
        }
        return ContainerListing(path: path, entries: entries)
    }

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

    public var json: JSONValue {
        .object([
            "schema": .string("df11.ls/1"),
            "path": .string(path),
            "tensors": .array(entries.map { e in
                .object(["name": .string(e.name), "container": .string(e.container), "dtype": .string(e.dtype.rawValue),
                         "shape": .array(e.shape.map { .int($0) }), "bytes": .int(e.bytes),
                         "stored_bytes": .int(e.storedBytes), "blocks": .int(e.blocks)])
            }),
        ])
    }

    /// One line per tensor: name, dtype, shape, original size, stored size.
    public var text: String {
        let width = min(60, entries.map(\.name.count).max() ?? 4)
        return entries.map { e in
            let shape = "[" + e.shape.map(String.init).joined(separator: ", ") + "]"
            let name = e.name.count >= width ? e.name : e.name + String(repeating: " ", count: width - e.name.count)
            let pct = e.bytes == 0 ? "" : "  \(Int((100 * Double(e.storedBytes) / Double(e.bytes)).rounded()))%"
            return "\(name)  \(e.dtype.rawValue)  \(shape)  \(e.bytes) → \(e.storedBytes) bytes\(pct)"
        }.joined(separator: "\n")
    }
}
