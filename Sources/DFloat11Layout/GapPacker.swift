/// Packs the 5-bit gap fields MSB-first into bytes, as `numpy.packbits` over their binary digits does.
struct GapPacker {
    private(set) var bytes: [UInt8] = []
    private var accumulator: UInt32 = 0
    private var pending = 0
    private(set) var count: UInt64 = 0

    init(reservingFor entries: UInt64) {
        bytes.reserveCapacity(Int(min(entries * 5 / 8 + 1, 1 << 28)))
    }

    /// Appends one field (0…31).
    mutating func append(_ gap: UInt8) {
        append(contentsOf: CollectionOfOne(gap))
    }

    /// Appends fields (0…31 each), in order: packed into a scratch buffer, then added to `bytes` at once.
    mutating func append<Fields: Collection>(contentsOf gaps: Fields) where Fields.Element == UInt8 {
        // At most 7 bits are pending: 5 bits a field give at most 5/8 of a byte each, plus one.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: gaps.count * 5 / 8 + 1) { out in
            var filled = 0
            for gap in gaps {
                accumulator = accumulator << 5 | UInt32(gap & 31)
                pending += 5
                if pending >= 8 {
                    pending -= 8
                    out[filled] = UInt8(truncatingIfNeeded: accumulator >> UInt32(pending))
                    filled += 1
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: out[0 ..< filled]))
        }
        count += UInt64(gaps.count)
    }

    /// Pads with zero fields up to `entries`, then the last byte with zero bits; returns the bytes.
    mutating func finish(padTo entries: UInt64) -> [UInt8] {
        while count < entries { append(0) }
        if pending > 0 {
            bytes.append(UInt8(truncatingIfNeeded: accumulator << UInt32(8 - pending)))
            pending = 0
        }
        return bytes
    }
}
