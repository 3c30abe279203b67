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
