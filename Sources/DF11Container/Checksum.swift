import CXXHash

/// XXH3-64 (seed 0), the checksum of every frame and of every original tensor.
public enum Checksum {
    /// The checksum of `bytes` in one call.
    public static func xxh3(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        XXH3_64bits(bytes.baseAddress, bytes.count)
    }
}

/// An XXH3-64 checksum computed over bytes that arrive in pieces.
public final class StreamingChecksum {
    private let state: OpaquePointer

    public init() {
        state = XXH3_createState()
        reset()
    }

    deinit { XXH3_freeState(state) }

    /// Starts over, as for a new stream.
    public func reset() {
        _ = XXH3_64bits_reset(state)
    }

    /// Adds the next piece of the stream.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        _ = XXH3_64bits_update(state, bytes.baseAddress, bytes.count)
    }

    /// The checksum of everything added since the last reset.
    public var digest: UInt64 { XXH3_64bits_digest(state) }
}

/// The checksum of a tensor's original bytes as the container stores it (`TEND`): XXH3-64 over the
/// sequence of each block's XXH3-64 of its original bytes, as 8 little-endian bytes each, in block order.
///
/// Blocks are hashed on the worker threads that encode or decode them; only the combination, 8 bytes per
/// block, is sequential.
public final class TensorDigest {
    private let state = StreamingChecksum()

    public init() {}

    /// Starts a new tensor.
    public func reset() { state.reset() }

    /// Adds the next block's checksum.
    public func add(blockDigest: UInt64) {
        withUnsafeBytes(of: blockDigest.littleEndian) { state.update($0) }
    }

    public var value: UInt64 { state.digest }
}
