@testable import DF11Kit
import DF11TestSupport
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built df11 with `arguments` and extra environment variables (SLURM_*, JOB_COMPLETION_INDEX, HF_*).
func runDF11(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = try startDF11(arguments, environment: environment)
    let stdout = (process.standardOutput as! Pipe).fileHandleForReading
    let stderr = (process.standardError as! Pipe).fileHandleForReading
    let errBox = BatchDataBox()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async { errBox.data = stderr.readDataToEndOfFile(); group.leave() }
    let out = stdout.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: errBox.data, as: UTF8.self))
}

/// Starts df11 without waiting (standard output and error piped, standard input empty).
func startDF11(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
    let process = Process()
    process.executableURL = df11Binary
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for key in env.keys where key.hasPrefix("SLURM_") || key == "JOB_COMPLETION_INDEX" || key == "DF11_SHARDS" {
        env[key] = nil
    }
    for (key, value) in environment { env[key] = value }
    process.environment = env
    process.standardOutput = Pipe()
    process.standardError = Pipe()
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return process
}

final class BatchDataBox: @unchecked Sendable { var data = Data() }

/// A Hugging Face hub cache as `hf download` leaves it: `models--ORG--NAME/{blobs,snapshots/REV,refs/main}`,
/// every snapshot entry a relative symbolic link into `blobs/` named by the file's hash (SHA-256 for weights,
/// a 40-digit git hash for small files).
struct HubCacheBuilder {
    let root: String

    /// Adds `org/name` at revision `revision` with `files` (name → bytes).
    func add(_ repo: String, revision: String = String(repeating: "a1", count: 20), files: [String: Data],
             refsMain: Bool = true) throws {
        let folder = root + "/models--" + repo.replacingOccurrences(of: "/", with: "--")
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder + "/blobs", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: folder + "/snapshots/" + revision, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: folder + "/refs", withIntermediateDirectories: true)
        if refsMain { try Data(revision.utf8).write(to: URL(fileURLWithPath: folder + "/refs/main")) }
        for (name, bytes) in files {
            let sha = SHA256.hex([UInt8](bytes))
            let blob = name.hasSuffix(".safetensors") ? sha : String(sha.prefix(40))
            try bytes.write(to: URL(fileURLWithPath: folder + "/blobs/" + blob))
            try fm.createSymbolicLink(atPath: folder + "/snapshots/" + revision + "/" + name,
                                      withDestinationPath: "../../blobs/" + blob)
        }
    }

    /// Adds every file of the fixture directory `directory`.
    func add(_ repo: String, fixtureDirectory directory: String, config: Data? = nil) throws {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
        }
        if let config { files["config.json"] = config }
        try add(repo, files: files)
    }
}

/// A safetensors file of F32 tensors named like a Llama layer's (its architecture has a preset; its dtype does
/// not fit the DFloat11 layout).
func float32Llama() -> Data {
    let names = ["model.embed_tokens.weight", "model.layers.0.mlp.down_proj.weight", "model.layers.0.mlp.gate_proj.weight",
                 "model.layers.0.mlp.up_proj.weight", "model.layers.0.self_attn.k_proj.weight",
                 "model.layers.0.self_attn.o_proj.weight", "model.layers.0.self_attn.q_proj.weight",
                 "model.layers.0.self_attn.v_proj.weight", "model.norm.weight"]
    var header = "{"
    var offset = 0
    for (i, name) in names.enumerated() {
        header += (i > 0 ? "," : "") + "\"\(name)\":{\"dtype\":\"F32\",\"shape\":[4,4],\"data_offsets\":[\(offset),\(offset + 64)]}"
        offset += 64
    }
    header += "}"
    while (8 + header.utf8.count) % 8 != 0 { header += " " }
    var data = Data()
    var length = UInt64(header.utf8.count).littleEndian
    data.append(Data(bytes: &length, count: 8))
    data.append(Data(header.utf8))
    for i in 0 ..< offset / 4 {
        var value = Float(i % 13 - 6) * 0.01
        data.append(Data(bytes: &value, count: 4))
    }
    return data
}

let llamaConfigForF32 = Data("""
{"architectures":["LlamaForCausalLM"],"model_type":"llama","hidden_size":4,"intermediate_size":4,
 "num_attention_heads":1,"num_hidden_layers":1,"num_key_value_heads":1,"vocab_size":4,"torch_dtype":"float32"}
""".utf8)

/// Every regular file under `root` (relative path → contents), for comparing output trees.
func treeContents(_ root: String, excluding: (String) -> Bool = { _ in false }) -> [String: Data] {
    var result: [String: Data] = [:]
    guard let walker = FileManager.default.enumerator(atPath: root) else { return [:] }
    for case let relative as String in walker where !excluding(relative) {
        var isDirectory: ObjCBool = false
        let full = root + "/" + relative
        if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
            result[relative] = FileManager.default.contents(atPath: full)
        }
    }
    return result
}

/// The JSON objects of a JSON-lines report.
func jsonLines(_ text: String) -> [[String: Any]] {
    text.split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
}
