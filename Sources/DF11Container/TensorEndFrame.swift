/// The payload of a `TEND` frame (docs/FORMAT.md): which tensor it closes, after how many blocks, and the
/// checksum of the tensor's original bytes. Read by the streaming reader and by `ContainerFile`.
struct TensorEndFrame {
    /// Bytes of the payload.
    static let payloadSize = 16

    let tensorIndex: UInt32
    let blocks: UInt32
    /// XXH3 over the tensor's block checksums (`TensorDigest`).
    let digest: UInt64

    /// Parses `payload`; a payload of another size is a malformed frame.
    init(payload: [UInt8], file: String) throws {
        guard payload.count == Self.payloadSize else {
            throw ContainerError(file: file, .malformedFrame(
                frame: "TEND", reason: "payload of \(payload.count) bytes, not \(Self.payloadSize)"))
        }
        (tensorIndex, blocks, digest) = payload.withUnsafeBytes { raw in
            (UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)),
             UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self)),
             UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
    }
}
