import XCTest
import Foundation
import DF11IO
import Safetensors
@testable import DFloat11Layout

/// The repository root: three levels up from this file.
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0 ..< 3 { url.deleteLastPathComponent() }
    return url.path
}()

/// The path of a file under `Fixtures/dfloat11-golden/`.
func golden(_ relative: String) -> String { repositoryRoot + "/Fixtures/dfloat11-golden/" + relative }

/// The parsed `MANIFEST.json` of the golden fixtures.
let manifest: JSONValue = {
    try! JSONParser().parse(try! FileSystem.readSmallFile(golden("MANIFEST.json")))
}()

/// A JSON file under the golden fixtures.
func goldenJSON(_ relative: String) throws -> JSONValue {
    try JSONParser().parse(try FileSystem.readSmallFile(golden(relative)))
}

/// The tensors of bert-1layer's `encoder.layer.0` unit file (110,592 weights, 10 blocks), in memory, so that a
/// test can corrupt them.
func goldenBertLayer() throws -> InMemoryTensors {
    let file = try SafetensorsFile(path: golden("bert-1layer/official/encoder_layer_0.safetensors"))
    let tensors = InMemoryTensors()
    for info in file.header.tensors {
        var bytes = [UInt8](repeating: 0, count: Int(info.byteCount))
        try bytes.withUnsafeMutableBytes { try file.read(tensor: info, range: 0..<info.byteCount, into: $0) }
        tensors.set(info.name, dtype: info.dtype, shape: info.shape, bytes: bytes)
    }
    return tensors
}

/// A sink that keeps everything in memory; positioned writes may come from several threads.
final class MemorySink: PositionedByteSink {
    var bytes: [UInt8] = []
    private let lock = NSLock()
    func write(_ buffer: UnsafeRawBufferPointer) throws {
        lock.lock(); defer { lock.unlock() }
        bytes.append(contentsOf: buffer)
    }
    func write(_ buffer: UnsafeRawBufferPointer, concurrentlyAt offset: UInt64) throws {
        lock.lock(); defer { lock.unlock() }
        let end = Int(offset) + buffer.count
        if bytes.count < end { bytes += [UInt8](repeating: 0, count: end - bytes.count) }
        guard let source = buffer.baseAddress, !buffer.isEmpty else { return }
        bytes.withUnsafeMutableBytes { ($0.baseAddress! + Int(offset)).copyMemory(from: source, byteCount: buffer.count) }
    }
}

/// The lowercase hex SHA-256 of `bytes` (FIPS 180-4; no system library needed).
func sha256Hex(_ bytes: [UInt8]) -> String {
    let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]
    var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    var message = bytes
    message.append(0x80)
    while message.count % 64 != 56 { message.append(0) }
    let bitLength = UInt64(bytes.count) * 8
    for i in (0..<8).reversed() { message.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(8 * i))) }
    func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
    var w = [UInt32](repeating: 0, count: 64)
    for block in stride(from: 0, to: message.count, by: 64) {
        for i in 0..<16 {
            w[i] = (0..<4).reduce(0) { $0 << 8 | UInt32(message[block + 4 * i + $1]) }
        }
        for i in 16..<64 {
            let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
            let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
            w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
        }
        var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
        for i in 0..<64 {
            let t1 = hh &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k[i] &+ w[i]
            let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
            (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
        }
        for (i, v) in [a, b, c, d, e, f, g, hh].enumerated() { h[i] = h[i] &+ v }
    }
    return h.map { String(format: "%08x", $0) }.joined()
}

/// One golden model case: where its source and official output are, and how to plan its units.
struct GoldenCase {
    let name: String
    let sourceDirectory: String
    let officialDirectory: String
    let officialFiles: [String: String]   // file name → SHA-256

    static var all: [GoldenCase] {
        manifest["cases"]!.members!.compactMap { member in
            guard let official = member.value["official"], let dir = official["dir"]?.stringValue,
                  let sourceDir = member.value["source"]?["dir"]?.stringValue else { return nil }
            var files: [String: String] = [:]
            for file in official["files"]?.members ?? [] {
                if let sha = file.value["sha256"]?.stringValue { files[file.key] = sha }
            }
            return GoldenCase(name: member.key, sourceDirectory: sourceDir, officialDirectory: dir, officialFiles: files)
        }
    }

    /// The source checkpoint.
    func openSource() throws -> SafetensorsFile {
        try SafetensorsFile(path: golden(sourceDirectory + "/model.safetensors"))
    }

    /// The official pattern dictionary (from the official config.json).
    func patterns() throws -> PatternDictionary {
        try PatternDictionary(configJSON: try goldenJSON(officialDirectory + "/config.json"))
    }

    /// `lm_head.weight → model.embed_tokens.weight` when the source config ties them.
    func tiedWeights() throws -> [String: String] {
        let config = try goldenJSON(sourceDirectory + "/config.json")
        if case .bool(true)? = config["tie_word_embeddings"] { return ["lm_head.weight": "model.embed_tokens.weight"] }
        return [:]
    }

    /// The units the official tool built, planned from the source checkpoint.
    func units(of source: SafetensorsFile) throws -> [DFloat11Unit] {
        try patterns().units(tensorNames: source.header.tensors.map(\.name), tiedWeights: try tiedWeights())
    }
}

/// Calls `body` with every unit of every golden case, its source checkpoint and a decoder of the official unit
/// file; returns how many units there were.
@discardableResult
func forEachOfficialUnit(_ body: (GoldenCase, DFloat11Unit, SafetensorsFile, UnitDecoder) throws -> Void) throws -> Int {
    var count = 0
    for goldenCase in GoldenCase.all {
        let source = try goldenCase.openSource()
        for unit in try goldenCase.units(of: source) {
            let file = try SafetensorsFile(path: golden(goldenCase.officialDirectory + "/" + unit.fileName))
            try body(goldenCase, unit, source, try UnitDecoder(module: unit.module, source: file))
            count += 1
        }
    }
    return count
}

/// The source weights of `unit`, concatenated in unit order.
func sourceWords(_ unit: DFloat11Unit, _ source: SafetensorsFile) throws -> [UInt16] {
    var all: [UInt16] = []
    for weight in unit.weights {
        let info = source.header.tensor(named: weight.source)!
        var words = [UInt16](repeating: 0, count: Int(info.elementCount))
        try words.withUnsafeMutableBytes { try source.read(tensor: info, range: 0..<info.byteCount, into: $0) }
        all += words
    }
    return all
}
