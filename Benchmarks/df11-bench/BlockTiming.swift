/// Times a block coder over `items` symbols cut into blocks of `blockSize`, each block coded into its own
/// `stride` bytes of one buffer: `encode` codes the block starting at `start` (of `count` symbols) into its
/// bytes and returns what its decoder needs (a byte count, stream sizes); `decode` decodes it back. What the rANS,
/// tANS and Huffman rows of `df11-bench rans` and `tans` share; the caller checks the round trip.
func timeBlocks<Sizes>(items n: Int, blockSize: Int, stride: Int, repeats: Int, empty: Sizes,
                       encode: (_ start: Int, _ count: Int, _ block: UnsafeMutableRawBufferPointer) throws -> Sizes,
                       decode: (_ start: Int, _ count: Int, _ block: UnsafeRawBufferPointer, _ sizes: Sizes) throws -> Void)
    throws -> (sizes: [Sizes], encode: Rate, decode: Rate) {
    let blocks = (n + blockSize - 1) / blockSize
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: stride * blocks, alignment: 64)
    defer { buffer.deallocate() }
    func block(_ b: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: buffer[(b * stride)..<((b + 1) * stride)])
    }
    var sizes = [Sizes](repeating: empty, count: blocks)
    let encodeRate = Rate(items: n, repeats: repeats) {
        for b in 0..<blocks {
            sizes[b] = try! encode(b * blockSize, Swift.min(blockSize, n - b * blockSize), block(b))
        }
    }
    var failure: Error?
    let decodeRate = Rate(items: n, repeats: repeats) {
        do {
            for b in 0..<blocks {
                try decode(b * blockSize, Swift.min(blockSize, n - b * blockSize), UnsafeRawBufferPointer(block(b)), sizes[b])
            }
        } catch { failure = error }
    }
    if let failure { throw failure }
    return (sizes, encodeRate, decodeRate)
}
