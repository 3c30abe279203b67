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

    /// Field `index` of packed `bytes` (no bounds beyond the array: the caller checks the length).
    static func field(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int, bitOffset: Int = 0) -> UInt8 {
        let bit = index * 5 + bitOffset
        let byte = bit >> 3
        let high = UInt16(bytes[byte]) << 8 | UInt16(byte + 1 < bytes.count ? bytes[byte + 1] : 0)
        return UInt8(truncatingIfNeeded: high >> UInt16(11 - (bit & 7))) & 31
    }
}
