import JSON
import DF11Container
import DF11IO
import Safetensors

/// `df11.index.json`: what a directory of containers holds, written last by `df11 compress DIR`.
///
/// It maps each original weight file to its container, lists the files copied unchanged, and rewrites the
/// checkpoint's weight map to point at the containers (docs/FORMAT.md, section 4).
struct DirectoryManifest {
    static let fileName = "df11.index.json"
    /// The version of this JSON layout (docs/FORMAT.md §4), independent of the containers' format version: the
    /// directory index has not changed since df11 1.0, whichever level wrote the containers.
    static let majorVersion: UInt16 = 1
    static let minorVersion: UInt16 = 0

    struct Entry {
        var original: String
        var container: String
        var originalSize: UInt64
        var containerSize: UInt64
    }

    var files: [Entry]
    var copied: [String]
    var weightMap: [(tensor: String, container: String)]
    /// XXH3-64 of each copied file (`copied_xxh3`); empty in a manifest written before df11 recorded them.
    var copiedChecksums: [(name: String, xxh3: UInt64)]

    /// Whether the manifest records the copied files' checksums (every directory df11 writes now does).
    var recordsChecksums: Bool { !copiedChecksums.isEmpty || copied.isEmpty }

    /// The recorded checksum of the copied file `name`, if any.
    func checksum(of name: String) -> UInt64? { copiedChecksums.first { $0.name == name }?.xxh3 }

    /// A checksum as stored: 16 lowercase hexadecimal digits.
    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    var json: JSONValue {
        .object([
            "format": .string("df11"),
            "version": .string("\(Self.majorVersion).\(Self.minorVersion)"),
            "files": .array(files.map { e in
                .object(["original": .string(e.original), "container": .string(e.container),
                         "original_size": .int(e.originalSize), "container_size": .int(e.containerSize)])
            }),
            "copied": .strings(copied),
            "copied_xxh3": .object(copiedChecksums.map { JSONMember(key: $0.name, value: .string(Self.hex($0.xxh3))) }),
            "weight_map": .object(weightMap.map { JSONMember(key: $0.tensor, value: .string($0.container)) }),
        ])
    }

    /// Reads and checks the manifest of the container directory `directory`.
    static func read(directory: String) throws -> DirectoryManifest {
        let path = FileSystem.join(directory, fileName)
        guard FileSystem.kind(of: path) == .regularFile else {
            if DFloat11Model.isDFloat11Directory(directory) {
                // Reached only by library callers: the df11 command sends DFloat11 models to their own operations.
                throw UsageError("'\(directory)' is a DFloat11 model (config.json has dfloat11_config), not df11 containers: "
                                 + "use DFloat11Verification.verify or DFloat11Decompression.decompress (the df11 "
                                 + "command chooses them itself)")
            }
            throw UsageError("'\(directory)' has no \(fileName): it is not a directory written by df11 compress")
        }
        let value = try JSONParser().parse(try FileSystem.readSmallFile(path))
        func bad(_ why: String) -> ContainerError {
            ContainerError(file: path, .malformedDirectoryIndex(why))
        }
        guard value["format"]?.stringValue == "df11", let entries = value["files"]?.elements,
              let copied = value["copied"]?.elements, let map = value["weight_map"]?.members else {
            throw bad("missing format, files, copied or weight_map")
        }
        // This reader's major version of the index (not the containers'); a newer minor only adds members.
        let parts = (value["version"]?.stringValue ?? "").split(separator: ".").map { UInt16($0) }
        guard parts.count == 2, let major = parts[0], let minor = parts[1] else {
            throw bad("missing or malformed version (expected MAJOR.MINOR)")
        }
        guard major == Self.majorVersion else {
            throw ContainerError(file: path, .unsupportedVersion(major: major, minor: minor))
        }
        var files: [Entry] = []
        for entry in entries {
            guard let original = entry["original"]?.stringValue, let container = entry["container"]?.stringValue,
                  let originalSize = entry["original_size"]?.uint64Value,
                  let containerSize = entry["container_size"]?.uint64Value,
                  isPlainRelativePath(original), isPlainRelativePath(container) else {
                throw bad("a files entry lacks original, container or sizes, or has an unsafe path")
            }
            files.append(Entry(original: original, container: container, originalSize: originalSize,
                               containerSize: containerSize))
        }
        let copiedNames = try copied.map { element -> String in
            guard let name = element.stringValue, isPlainRelativePath(name) else { throw bad("unsafe copied path") }
            return name
        }
        let weightMap = try map.map { member -> (String, String) in
            guard let file = member.value.stringValue else { throw bad("weight_map values must be strings") }
            return (member.key, file)
        }
        // Every output path once: two entries writing one file would silently overwrite each other.
        var outputs = Set<String>()
        for name in files.map(\.original) + copiedNames where !outputs.insert(name).inserted {
            throw bad("'\(name)' is listed twice (as an original or a copied file)")
        }
        let containers = Set(files.map(\.container))
        guard containers.count == files.count else { throw bad("two files entries share one container") }
        if let dangling = weightMap.first(where: { !containers.contains($0.1) }) {
            throw bad("weight_map sends '\(dangling.0)' to '\(dangling.1)', which no files entry holds")
        }
        var checksums: [(String, UInt64)] = []
        if let recorded = value["copied_xxh3"] {
            guard let members = recorded.members else { throw bad("copied_xxh3 must be an object") }
            for member in members {
                guard copiedNames.contains(member.key), let text = member.value.stringValue, text.utf8.count == 16,
                      let digest = UInt64(text, radix: 16) else {
                    throw bad("copied_xxh3 entry '\(member.key)' is not a copied file with 16 hexadecimal digits")
                }
                checksums.append((member.key, digest))
            }
            if let missing = copiedNames.first(where: { name in !checksums.contains { $0.0 == name } }) {
                throw bad("copied_xxh3 has no checksum for the copied file '\(missing)'")
            }
        }
        return DirectoryManifest(files: files, copied: copiedNames, weightMap: weightMap, copiedChecksums: checksums)
    }

    /// A relative path that stays inside its directory (no absolute paths, no `..` or `.`, no empty part, no NUL).
    static func isPlainRelativePath(_ path: String) -> Bool {
        FileSystem.isSafeRelativePath(path)
    }
}
