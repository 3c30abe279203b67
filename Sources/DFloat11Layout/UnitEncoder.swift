import EntropyCoding

/// Encodes a unit's bf16 weights into the published layout's exponent bitstream, in independent chunks.
///
/// Built from the unit's `UnitStatistics` (the first pass), it holds the official code (dahuffman, 32-bit
/// limiter), the decode tables and the tensor sizes. Encoding then works on chunks of consecutive weights:
/// a chunk needs only its start bit — the sum of the code lengths of all weights before it, which
/// `bitCount(of:)` gives for each chunk — and the index of its first weight. Chunks can therefore be encoded
/// on different threads and in any order, and `UnitStreamAssembler` splices them (in order) into the exact
/// official `encoded_exponent`, `gaps` and `output_positions`:
///
/// ```swift
/// var stats = UnitStatistics(); for chunk in chunks { stats.add(words: chunk) }
/// let encoder = try UnitEncoder(unit: "model.layers.0", statistics: stats)
/// let assembler = UnitStreamAssembler(encoder: encoder) { bytes in try sink.write(bytes) }
/// var bit: UInt64 = 0, index: UInt64 = 0
/// for chunk in chunks {                       // or: compute the start bits, encode in parallel, append in order
///     try assembler.append(encoder.encodeChunk(words: chunk, startingBit: bit, firstElementIndex: index))
///     bit += encoder.bitCount(of: chunk); index += UInt64(chunk.count)
/// }
/// let tail = try assembler.finish()          // tail.gaps, tail.outputPositions
/// ```
public struct UnitEncoder: Sendable {
    /// The unit's module name, for messages.
    public let unit: String
    /// The limiter's outcome: the official code and how it was limited.
    public let limited: LengthLimiter32.Result
    /// The decode tables (`M.luts`).
    public let tables: DecodeTables
    /// The tensor sizes.
    public let geometry: UnitGeometry
    /// Code length per exponent byte (0: not in the code).
    public let lengths: [UInt8]
    /// Code bits per exponent byte.
    let values: [UInt32]
    /// `values[e] | lengths[e] << 32` for each exponent `e`.
    let codes: [UInt64]

    /// The official code for the unit.
    public var code: DahuffmanCode { limited.code }

    /// Builds the code, tables and sizes. Throws a refusal (`DFloat11LayoutError`) for an empty unit, an
    /// exponent of 240 or more, an undetermined 32-bit limiter round, or tables the layout cannot address.
    public init(unit: String, statistics: UnitStatistics) throws {
        if statistics.elementCount == 0 { throw DFloat11LayoutError(unit: unit, .emptyUnit) }
        for e in 240..<256 where statistics.histogram.counts[e] > 0 {
            throw DFloat11LayoutError(unit: unit, .exponentNotRepresentable(UInt8(e)))
        }
        self.unit = unit
        limited = try LengthLimiter32.limit(counts: DahuffmanCode.presentCounts(statistics.histogram), unit: unit)
        tables = try DecodeTables(code: limited.code, unit: unit)
        lengths = limited.code.lengthsByExponent
        var values = [UInt32](repeating: 0, count: 256)
        for entry in limited.code.entries {
            if case .exponent(let e) = entry.symbol { values[Int(e)] = UInt32(entry.value) }
        }
        self.values = values
        // One load per weight in the hot loop: the code value in the low 32 bits, its length above.
        var codes = [UInt64](repeating: 0, count: 256)
        for e in 0..<256 { codes[e] = UInt64(values[e]) | UInt64(lengths[e]) << 32 }
        self.codes = codes
        geometry = UnitGeometry(statistics: statistics, lengthsByExponent: lengths)
    }

    /// The number of code bits of `words` (the amount a chunk advances the bit position).
    public func bitCount(of words: UnsafeBufferPointer<UInt16>) -> UInt64 {
        var histogram = ExponentHistogram()
        histogram.add(words: words)
        return bitCount(of: histogram)
    }

    /// The number of code bits of weights with these exponent counts.
    public func bitCount(of histogram: ExponentHistogram) -> UInt64 {
        var bits: UInt64 = 0
        for (e, count) in histogram.counts.enumerated() where count > 0 { bits += count * UInt64(lengths[e]) }
        return bits
    }

    /// Encodes `words`, the unit's weights from index `firstElementIndex` on, whose first code starts at bit
    /// `startingBit` of the stream. Throws if a weight's exponent is not in the code (the statistics did not
    /// cover it).
    ///
    /// `bitCount`, if given, must be `bitCount(of: words)`: the output buffer is then sized to it instead of
    /// the longest code for every weight (which is mostly zeroing and page faults: several times the output).
    public func encodeChunk(words: UnsafeBufferPointer<UInt16>, startingBit: UInt64,
                            firstElementIndex: UInt64, bitCount: UInt64? = nil) throws -> EncodedChunk {
        let lead = Int(startingBit & 7)
        // Upper bound of the output: the longest code for every weight (or the exact count); trimmed at the end.
        let boundBits = bitCount.map { Int($0) } ?? limited.code.maxLength * words.count
        var bytes = [UInt8](repeating: 0, count: (lead + boundBits + 7) / 8 + 8)
        var gapOffsets: [UInt8] = []
        gapOffsets.reserveCapacity(words.count / 16 + 2)
        var blockPositions: [UInt64] = []
        var position = startingBit
        var missing = false
        let written: Int = bytes.withUnsafeMutableBytes { raw in
            codes.withUnsafeBufferPointer { codes in
                    let out = raw.baseAddress!
                    var offset = 0
                    var accumulator: UInt64 = 0
                    var pending = lead           // bits in the accumulator not yet written (leading zeros first)
                    var nextMark = startingBit   // the first bit of the next window without a gap entry
                    var first = true
                    var index = firstElementIndex
                    for word in words {
                        let exponent = Int(truncatingIfNeeded: word &>> 7) & 0xFF
                        let code = codes[exponent]
                        let length = Int(truncatingIfNeeded: code &>> 32)
                        if position >= nextMark {
                            let window = position &>> 6
                            gapOffsets.append(UInt8(truncatingIfNeeded: position & 63))
                            if first || window & 511 == 0 { blockPositions.append(index) }
                            first = false
                            nextMark = (window &+ 1) &<< 6
                        }
                        if length == 0 { missing = true; break }
                        accumulator = accumulator &<< UInt64(length) | (code & 0xFFFF_FFFF)
                        pending &+= length
                        position &+= UInt64(length)
                        index &+= 1
                        if pending >= 32 {
                            pending &-= 32
                            let word32 = UInt32(truncatingIfNeeded: accumulator &>> UInt64(pending))
                            out.storeBytes(of: word32.bigEndian, toByteOffset: offset, as: UInt32.self)
                            offset &+= 4
                        }
                    }
                    // Remaining bits, left-aligned, zero-padded to whole bytes.
                    if pending > 0 {
                        let aligned = accumulator &<< UInt64(64 - pending)
                        for i in 0..<((pending + 7) / 8) {
                            out.storeBytes(of: UInt8(truncatingIfNeeded: aligned &>> UInt64(56 - 8 * i)),
                                           toByteOffset: offset + i, as: UInt8.self)
                        }
                        offset += (pending + 7) / 8
                    }
                    return offset
            }
        }
        if missing {
            throw DFloat11LayoutError(unit: unit, .inconsistentInput(
                "a weight's exponent is not in the unit's code: the statistics pass did not see the same weights"))
        }
        if let bitCount { precondition(position - startingBit == bitCount, "bitCount(of:) disagrees with the encoding") }
        bytes.removeSubrange(written...)
        return EncodedChunk(startingBit: startingBit, bitCount: position - startingBit,
                            firstElementIndex: firstElementIndex, elementCount: UInt64(words.count), bytes: bytes,
                            gapOffsets: gapOffsets, blockPositions: blockPositions)
    }

    /// The sign-mantissa bytes of `words` (`M.sign_mantissa`), written to the front of `output`.
    public static func splitSignMantissa(_ words: UnsafeBufferPointer<UInt16>, into output: UnsafeMutableBufferPointer<UInt8>) {
        precondition(output.count >= words.count)
        for i in 0..<words.count { output[i] = BF16.signMantissa(words[i]) }
    }
}

/// One encoded chunk of a unit: its bits and the window and block marks of the codes that start in it.
public struct EncodedChunk: Sendable {
    /// The stream bit where the chunk's first code starts.
    public let startingBit: UInt64
    /// The number of code bits in the chunk.
    public let bitCount: UInt64
    /// The unit index of the chunk's first weight.
    public let firstElementIndex: UInt64
    /// The number of weights in the chunk.
    public let elementCount: UInt64
    /// The stream bytes from byte `startingBit / 8` through the byte holding the last bit; bits outside the
    /// chunk are zero (the first byte's leading bits belong to the chunk before).
    public var bytes: [UInt8]
    /// For each window in which a code of the chunk starts, from window `startingBit / 64` on, consecutive:
    /// the bit offset of the first such code in the window.
    public let gapOffsets: [UInt8]
    /// For each block in which a code of the chunk starts, from block `startingBit / 32768` on, consecutive:
    /// the unit index of the first such weight.
    public let blockPositions: [UInt64]

    /// The window of `gapOffsets[0]`.
    public var firstWindow: UInt64 { startingBit / UnitGeometry.windowBits }
    /// The block of `blockPositions[0]`.
    public var firstBlock: UInt64 { startingBit / UnitGeometry.blockBits }
}
