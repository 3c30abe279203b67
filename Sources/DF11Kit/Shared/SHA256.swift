#if canImport(Glibc)
import Glibc
#endif
import DF11IO

/// SHA-256 (FIPS 180-4), for the provenance of source files outside a Hugging Face cache (inside one, the blob's
/// file name already is the hash). Streams a file in 1 MiB pieces.
///
/// OpenSSL's libcrypto, when the system has it (`libcrypto.so.3`, loaded at run time: no build dependency), hashes
/// with the CPU's SHA instructions at about 1.5 GB/s a core, five times this file's portable implementation, which
/// is used otherwise (and by `portable: true`).
struct SHA256 {
    private var crypto: LibCryptoDigest?
    private var state: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    private var pending: [UInt8] = []
    private var length: UInt64 = 0

    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    init(portable: Bool = false) {
        crypto = portable ? nil : LibCryptoDigest()
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        if let crypto { crypto.update(bytes); return }
        length &+= UInt64(bytes.count)
        var offset = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, bytes.count)
            pending += bytes[0..<take]
            offset = take
            if pending.count == 64 {
                let block = pending
                block.withUnsafeBytes { compress(blocks: $0) }
                pending.removeAll(keepingCapacity: true)
            }
        }
        let whole = (bytes.count - offset) / 64 * 64
        if whole > 0 { compress(blocks: UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + whole])) }
        offset += whole
        if offset < bytes.count { pending += bytes[offset...] }
    }

    mutating func finish() -> String {
        if let crypto { return crypto.finish() }
        var tail = pending
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        let bits = length &* 8
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        tail.withUnsafeBytes { compress(blocks: $0) }
        pending = []
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for word in state {
            for shift in stride(from: 28, through: 0, by: -4) { out.append(hex[Int((word >> UInt32(shift)) & 0xf)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func compress(blocks: UnsafeRawBufferPointer) {
        var w = [UInt32](repeating: 0, count: 64)
        var h0 = state[0], h1 = state[1], h2 = state[2], h3 = state[3]
        var h4 = state[4], h5 = state[5], h6 = state[6], h7 = state[7]
        Self.k.withUnsafeBufferPointer { k in
            w.withUnsafeMutableBufferPointer { w in
                var base = 0
                while base < blocks.count {
                    for i in 0..<16 {
                        let p = base + 4 * i
                        w[i] = UInt32(blocks[p]) << 24 | UInt32(blocks[p + 1]) << 16 | UInt32(blocks[p + 2]) << 8
                            | UInt32(blocks[p + 3])
                    }
                    for i in 16..<64 {
                        let s0 = w[i - 15].rotr(7) ^ w[i - 15].rotr(18) ^ (w[i - 15] >> 3)
                        let s1 = w[i - 2].rotr(17) ^ w[i - 2].rotr(19) ^ (w[i - 2] >> 10)
                        w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
                    }
                    var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                    for i in 0..<64 {
                        let s1 = e.rotr(6) ^ e.rotr(11) ^ e.rotr(25)
                        let ch = (e & f) ^ (~e & g)
                        let t1 = h &+ s1 &+ ch &+ k[i] &+ w[i]
                        let s0 = a.rotr(2) ^ a.rotr(13) ^ a.rotr(22)
                        let maj = (a & b) ^ (a & c) ^ (b & c)
                        let t2 = s0 &+ maj
                        h = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
                    }
                    h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                    base += 64
                }
            }
        }
        state = [h0, h1, h2, h3, h4, h5, h6, h7]
    }

    /// The SHA-256 of `bytes`, as 64 lowercase hex digits.
    static func hex(_ bytes: [UInt8], portable: Bool = false) -> String {
        var hasher = SHA256(portable: portable)
        bytes.withUnsafeBytes { hasher.update($0) }
        return hasher.finish()
    }

    /// The SHA-256 of the file at `path`, as 64 lowercase hex digits.
    static func hex(ofFile path: String) throws -> String {
        var hasher = SHA256()
        try InputFile(path: path).forEachPiece { hasher.update($0) }
        return hasher.finish()
    }
}

private extension UInt32 {
    @inline(__always) func rotr(_ n: UInt32) -> UInt32 { (self >> n) | (self << (32 - n)) }
}

/// A SHA-256 context of OpenSSL's libcrypto through its EVP interface, if the library can be loaded.
private final class LibCryptoDigest {
    private typealias NewContext = @convention(c) () -> OpaquePointer?
    private typealias FreeContext = @convention(c) (OpaquePointer?) -> Void
    private typealias Algorithm = @convention(c) () -> OpaquePointer?
    private typealias Initialize = @convention(c) (OpaquePointer?, OpaquePointer?, OpaquePointer?) -> Int32
    private typealias Update = @convention(c) (OpaquePointer?, UnsafeRawPointer?, Int) -> Int32
    private typealias Final = @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt32>?) -> Int32

    private struct Functions: @unchecked Sendable {
        let new: NewContext, free: FreeContext, sha256: Algorithm, initialize: Initialize, update: Update, final: Final
    }

    private static let functions: Functions? = {
        guard let library = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL) ?? dlopen("libcrypto.so", RTLD_NOW | RTLD_LOCAL)
        else { return nil }
        func symbol<T>(_ name: String, _ type: T.Type) -> T? {
            dlsym(library, name).map { unsafeBitCast($0, to: type) }
        }
        guard let new = symbol("EVP_MD_CTX_new", NewContext.self), let free = symbol("EVP_MD_CTX_free", FreeContext.self),
              let sha256 = symbol("EVP_sha256", Algorithm.self), let initialize = symbol("EVP_DigestInit_ex", Initialize.self),
              let update = symbol("EVP_DigestUpdate", Update.self), let final = symbol("EVP_DigestFinal_ex", Final.self)
        else { return nil }
        return Functions(new: new, free: free, sha256: sha256, initialize: initialize, update: update, final: final)
    }()

    private let functions: Functions
    private let context: OpaquePointer

    init?() {
        guard let functions = Self.functions, let context = functions.new() else { return nil }
        guard functions.initialize(context, functions.sha256(), nil) == 1 else { functions.free(context); return nil }
        self.functions = functions
        self.context = context
    }

    deinit { functions.free(context) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        _ = functions.update(context, bytes.baseAddress, bytes.count)
    }

    func finish() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = functions.final(context, &digest, &length)
        let hex = Array("0123456789abcdef".utf8)
        return String(decoding: digest.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] }, as: UTF8.self)
    }
}

/// A sink that hashes what passes through it (SHA-256), and passes it on to `next` if there is one.
final class HashingSink: ByteSink {
    private var hasher = SHA256()
    private let next: ByteSink?

    init(passingTo next: ByteSink? = nil) { self.next = next }

    func write(_ data: UnsafeRawBufferPointer) throws {
        hasher.update(data)
        try next?.write(data)
    }

    /// The SHA-256 of everything written, as 64 lowercase hex digits.
    func finish() -> String { hasher.finish() }
}
