/// Working memory for splitting or joining one block of any layout, allocated once per segment.
final class StructuredScratch {
    let symbols: UnsafeMutableBufferPointer<UInt16>
    let values: UnsafeMutableBufferPointer<UInt64>
    /// The planes of one block, one after the other (`p` planes of `n` elements: at most 3/4 of a block's bytes,
    /// F64's 6 planes of an eighth each).
    let planes: UnsafeMutableBufferPointer<UInt16>

    init(blockBytes: Int) {
        symbols = .allocate(capacity: blockBytes)
        values = .allocate(capacity: blockBytes)
        planes = .allocate(capacity: blockBytes)
    }

    deinit {
        symbols.deallocate()
        values.deallocate()
        planes.deallocate()
    }

    /// Plane `j` of a block of `count` elements.
    func plane(_ j: Int, count: Int) -> UnsafeMutableBufferPointer<UInt16> {
        UnsafeMutableBufferPointer(rebasing: planes[j * count ..< (j + 1) * count])
    }
}
