import JSON
import DF11IO

/// A parsed `model.safetensors.index.json`: `weight_map` (tensor → shard file) in file order and `metadata`.
public struct CheckpointIndex: Equatable, Sendable {
    /// The weight map in the order the index lists it.
    public let weightMap: [WeightMapEntry]
    /// The `metadata` object's members in order (empty when absent).
    public let metadata: [JSONMember]
    /// `metadata.total_size` when it is a non-negative integer.
    public var totalSize: UInt64? { metadata.first { $0.key == "total_size" }?.value.uint64Value }

    /// One `weight_map` entry.
    public struct WeightMapEntry: Equatable, Sendable {
        /// The tensor name.
        public let tensor: String
        /// The shard file, relative to the index's directory.
        public let file: String
    }

    /// The distinct shard files, sorted bytewise by name.
    public var files: [String] {
        Array(Set(weightMap.map(\.file))).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Parses index JSON; `path` is used in messages.
    public static func parse(_ bytes: [UInt8], path: String) throws -> CheckpointIndex {
        func fail(_ words: String) -> CheckpointError {
            CheckpointError(path: path, problem: .invalidIndex(words))
        }
        let root: JSONValue
        do {
            root = try JSONParser().parse(bytes)
        } catch let error as JSONParseError {
            throw fail(error.description)
        }
        guard root.members != nil else { throw fail("the top level must be an object") }
        guard let map = root["weight_map"]?.members else { throw fail("'weight_map' must be an object") }
        let entries = try map.map { member -> WeightMapEntry in
            guard let file = member.value.stringValue else {
                throw fail("weight_map entry '\(member.key)' must be a file name string")
            }
            if !FileSystem.isSafeRelativePath(file) {
                let shown = file.unicodeScalars.map { $0 == "\u{0}" ? "\\u0000" : String($0) }.joined()
                throw fail("weight_map entry '\(member.key)' names an unsafe path '\(shown)'")
            }
            return WeightMapEntry(tensor: member.key, file: file)
        }
        var metadata: [JSONMember] = []
        if let value = root["metadata"] {
            guard let members = value.members else { throw fail("'metadata' must be an object") }
            metadata = members
        }
        return CheckpointIndex(weightMap: entries, metadata: metadata)
    }
}
