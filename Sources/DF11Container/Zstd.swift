import CZstd

/// A reusable zstd compression context (one per worker thread: contexts are not thread-safe).
final class ZstdCompressor {
    private let context: OpaquePointer
    let level: Int32

    init(level: Int32) {
        context = ZSTD_createCCtx()
        self.level = level
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Room a compressed block of `count` bytes may need.
    static func bound(_ count: Int) -> Int { ZSTD_compressBound(count) }

    /// Compresses `source` into `destination`; nil if it does not fit (the caller then stores raw bytes).
    func compress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> Int? {
        let written = ZSTD_compressCCtx(context, destination.baseAddress, destination.count,
                                        source.baseAddress, source.count, level)
        if ZSTD_isError(written) != 0 { return nil }
        return written
    }
}

/// A reusable zstd decompression context.
final class ZstdDecompressor {
    private let context: OpaquePointer

    init() { context = ZSTD_createDCtx() }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses one frame that must produce exactly `destination.count` bytes; the reason if not.
    func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> String? {
        let written = ZSTD_decompressDCtx(context, destination.baseAddress, destination.count,
                                          source.baseAddress, source.count)
        if ZSTD_isError(written) != 0 { return String(cString: ZSTD_getErrorName(written)) }
        if written != destination.count { return "zstd gave \(written) bytes instead of \(destination.count)" }
        return nil
    }
}
