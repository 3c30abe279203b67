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
        accumulator = accumulator << 5 | UInt32(gap & 31)
        pending += 5
        count += 1
        if pending >= 8 {
            pending -= 8
            bytes.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(pending)))
        }
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
