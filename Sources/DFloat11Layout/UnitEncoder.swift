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
/// let assembler = UnitStreamAssembler(encoder: encoder) { bytes, _ in try sink.write(bytes) }
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
    /// The code lengths and code bits indexed by a word's top nine bits, for the hot loop.
    let bySignExponent: SignExponentTables

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
        bySignExponent = SignExponentTables(lengths: lengths, values: values)
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
        histogram.codedBits(lengths: lengths)
    }

    /// Encodes `words`, the unit's weights from index `firstElementIndex` on, whose first code starts at bit
    /// `startingBit` of the stream.
    ///
    /// `bitCount` is `bitCount(of: words)` as the statistics pass counted it (its histogram came from the same
    /// weights, so every exponent has a code). Without it the words are counted here first. Throws if a weight's
    /// exponent has no code, or if the weights do not encode to `bitCount` bits: the input changed between the
    /// passes. With `signMantissa`, also writes the words' sign-mantissa bytes to its front (as
    /// `splitSignMantissa`), each stretch of words split right after it is coded, while it is cached.
    public func encodeChunk(words: UnsafeBufferPointer<UInt16>, startingBit: UInt64,
                            firstElementIndex: UInt64, bitCount: UInt64? = nil,
                            signMantissa: UnsafeMutableBufferPointer<UInt8>? = nil) throws -> EncodedChunk {
        precondition(signMantissa.map { $0.count >= words.count } ?? true, "room for a sign-mantissa byte per word")
        let maxLength = limited.code.maxLength
        precondition(maxLength >= 1 && maxLength <= 32, "the official limiter keeps codes within 32 bits")
        let expectedBits: UInt64
        if let bitCount {
            expectedBits = bitCount
        } else {
            var histogram = ExponentHistogram()
            histogram.add(words: words)
            for (e, count) in histogram.counts.enumerated() where count > 0 && lengths[e] == 0 {
                throw DFloat11LayoutError(unit: unit, .inconsistentInput(
                    "exponent \(e) is not in the unit's code: the statistics pass did not see the same weights"))
            }
            expectedBits = self.bitCount(of: histogram)
        }
        let endBit = startingBit + expectedBits
        let firstWindow = startingBit / UnitGeometry.windowBits
        let firstBlock = startingBit / UnitGeometry.blockBits
        // The stream bytes from byte startingBit / 8, plus slack for the 8-byte stores; one slot per window
        // (block) the chunk reaches, plus one (see `EncodeLoop`). The loop stops once its output passes the
        // expected end, so a changed input is reported below and never writes past these. None is zero-filled:
        // the loop's 8-byte stores cover every byte up to its last one, and it writes every slot that is kept
        // (slot 0 is set below).
        let expectedBytes = Int((endBit + 7) / 8 - startingBit / 8)
        var bytes = Self.uninitialized(UInt8.self, count: expectedBytes + 24)
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: 0, as: UInt64.self) }   // an empty chunk's lead byte
        let gapSlots = UnsafeMutableBufferPointer<UInt8>.allocate(
            capacity: Int(endBit / UnitGeometry.windowBits - firstWindow) + 3)
        let blockSlots = UnsafeMutableBufferPointer<UInt64>.allocate(
            capacity: Int(endBit / UnitGeometry.blockBits - firstBlock) + 3)
        defer {
            gapSlots.deallocate()
            blockSlots.deallocate()
        }
        var loop = EncodeLoop(position: startingBit, index: firstElementIndex)
        if !words.isEmpty {
            bytes.withUnsafeMutableBytes { out in
                loop.run(words, lengths: bySignExponent.lengths, values: bySignExponent.values,
                         out: out.baseAddress!, outLimit: expectedBytes,
                         gaps: gapSlots.baseAddress!, firstWindow: firstWindow,
                         blocks: blockSlots.baseAddress!, firstBlock: firstBlock, signs: signMantissa?.baseAddress)
            }
        }
        let bitsWritten = loop.position - startingBit
        guard loop.done == words.count, bitsWritten == expectedBits else {
            throw DFloat11LayoutError(unit: unit, .inconsistentInput(
                "the weights encode to \(bitsWritten) bits, the statistics pass counted \(expectedBits): "
                + "the input changed while it was being converted"))
        }
        var gapOffsets: [UInt8] = []
        var blockPositions: [UInt64] = []
        if let last = words.last {
            let lastStart = loop.position - UInt64(lengths[Int(BF16.exponent(last))])
            gapSlots[0] = UInt8(truncatingIfNeeded: startingBit)
            blockSlots[0] = firstElementIndex
            let windows = Int(lastStart / UnitGeometry.windowBits - firstWindow + 1)
            let blocks = Int(lastStart / UnitGeometry.blockBits - firstBlock + 1)
            gapOffsets = Array(UnsafeMutableBufferPointer(rebasing: gapSlots[0 ..< windows]))
            gapOffsets.withUnsafeMutableBufferPointer { slots in         // the loop stores whole low bytes
                for i in slots.indices { slots[i] &= UInt8(UnitGeometry.windowBits - 1) }
            }
            blockPositions = Array(UnsafeMutableBufferPointer(rebasing: blockSlots[0 ..< blocks]))
        }
        bytes.removeSubrange(Int((loop.position + 7) / 8 - startingBit / 8)...)
        return EncodedChunk(startingBit: startingBit, bitCount: bitsWritten,
                            firstElementIndex: firstElementIndex, elementCount: UInt64(words.count), bytes: bytes,
                            gapOffsets: gapOffsets, blockPositions: blockPositions)
    }

    /// An array of `count` elements whose values are unspecified (the caller writes the ones it keeps).
    private static func uninitialized<T: FixedWidthInteger>(_ type: T.Type, count: Int) -> [T] {
        [T](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// The sign-mantissa bytes of `words` (`M.sign_mantissa`), written to the front of `output`.
    public static func splitSignMantissa(_ words: UnsafeBufferPointer<UInt16>, into output: UnsafeMutableBufferPointer<UInt8>) {
        precondition(output.count >= words.count)
        for i in 0..<words.count { output[i] = BF16.signMantissa(words[i]) }
    }
}

/// The code lengths and code bits (0 for exponents without a code) indexed by a word's top nine bits (sign and
/// exponent, `word >> 7`), so that the hot loop needs no mask: two copies of the per-exponent tables, allocated
/// once per unit and read through plain pointers.
final class SignExponentTables: @unchecked Sendable {
    let lengths: UnsafeMutablePointer<UInt8>
    let values: UnsafeMutablePointer<UInt32>

    init(lengths byExponent: [UInt8], values valuesByExponent: [UInt32]) {
        lengths = .allocate(capacity: 512)
        values = .allocate(capacity: 512)
        for i in 0 ..< 512 {
            lengths[i] = byExponent[i & 255]
            values[i] = valuesByExponent[i & 255]
        }
    }

    deinit {
        lengths.deallocate()
        values.deallocate()
    }
}

/// The hot loop of `UnitEncoder.encodeChunk`, with no branch per weight.
///
/// Codes go into a `CodeWriter` (a 64-bit accumulator stored eight bytes at a time), flushed after every group of
/// `codesPerGroup` codes. A flush may leave 7 bits pending, so a group fits the accumulator when its codes have at
/// most 57 bits; codes average 2–4 bits, so almost every group does, whatever the longest code. The rare group that
/// does not (long codes side by side: more bits than the accumulator holds) is noticed by its pending bits and,
/// after its flush, coded again from the state before it with a flush after every code (a code has at most 32
/// bits), storing over what that flush stored. Flushing before the check keeps the compiler from moving the
/// group's shifts past the branch, which spilled registers (groups checked before their flush: 800 M weights/s).
/// Tables are indexed by a word's top nine bits (`word >> 7`).
///
/// Window marks (gaps) cost a store per weight instead of a branch: every code writes where the code after it
/// starts (the position's low byte) into the slot of the window after its own. Codes are at most 32 bits, so
/// no window is skipped, and the last code of a window to write that slot is the one after which the next
/// window starts: the slot ends up holding where that window's first code starts. Block marks (every 32768
/// bits) are checked once per group, and the rare group that crosses a block boundary is walked again to find
/// the block's first code. Slot 0 of both, the chunk's first code, is the caller's.
///
/// Per weight the loop is a load, a shift, two table loads, an add, a shift and a store for the gap, and a
/// subtraction, a shift and an or into the accumulator; everything else is per group (`df11-bench unit`, one
/// thread, a FLUX-shaped shard whose longest code has 26 bits: 780 M weights/s with groups sized for the longest
/// code, two codes per flush; 950 M with groups of eight; groups of 6 and 12 gave 840 and 870).
private struct EncodeLoop {
    /// Codes per flush while the group's bits fit the accumulator.
    static let codesPerGroup = 8
    /// The most bytes a group can advance the output: eight when it fits the accumulator, and 7 pending bits
    /// plus eight codes of 32 bits when it is coded again one code at a time.
    static let maxGroupAdvance = (7 + codesPerGroup * 32) / 8
    /// Words coded before their sign-mantissa bytes are split: 8 KiB of words, which stay in the first-level cache.
    static let splitWords = 4096

    /// The stream bit where the next code starts.
    var position: UInt64
    /// The unit index of the chunk's first weight.
    let index: UInt64
    /// The number of weights encoded: all of them, unless the output ran past its limit.
    var done = 0

    init(position: UInt64, index: UInt64) {
        self.position = position
        self.index = index
    }

    mutating func run(_ words: UnsafeBufferPointer<UInt16>, lengths: UnsafePointer<UInt8>, values: UnsafePointer<UInt32>,
                      out: UnsafeMutableRawPointer, outLimit: Int, gaps: UnsafeMutablePointer<UInt8>, firstWindow: UInt64,
                      blocks: UnsafeMutablePointer<UInt64>, firstBlock: UInt64, signs: UnsafeMutablePointer<UInt8>?) {
        let limit = out + outLimit
        let input = words.baseAddress!
        let count = words.count
        let group = Self.codesPerGroup
        var codes = CodeWriter(position: position, out: out, gaps: gaps, firstWindow: firstWindow,
                               lengths: lengths, values: values)
        let blockShift = UInt64(UnitGeometry.blockBits.trailingZeroBitCount)
        /// Marks a block that starts among the codes from weight `i` on, coded since bit `groupStart`.
        @inline(__always) func markBlocks(_ i: Int, since groupStart: UInt64) {
            if (groupStart ^ codes.position) &>> blockShift != 0 {
                Self.markBlock(before: codes.position, from: groupStart, word: i, words: input, count: count,
                               lengths: lengths, index: index, blocks: blocks, firstBlock: firstBlock)
            }
        }
        /// The sign-mantissa bytes of the words from `start` to `i`, just coded (still in the first-level cache).
        @inline(__always) func split(from start: Int) {
            if let signs {
                UnitEncoder.splitSignMantissa(UnsafeBufferPointer(start: input + start, count: i &- start),
                                              into: UnsafeMutableBufferPointer(start: signs + start, count: i &- start))
            }
        }
        var i = 0
        // Whole groups, in runs short enough that they cannot pass `limit` (each group counted at its most,
        // `maxGroupAdvance`) and whose words are split while cached, then the rest one code at a time, checked.
        let wholeGroups = count &- count % group
        while i < wholeGroups {
            let room = (limit - codes.next) / Self.maxGroupAdvance
            if room <= 0 { break }
            let start = i
            let stop = min(wholeGroups, i &+ room &* group, i &+ Self.splitWords)
            while i < stop {
                let groupStart = codes.mark
                codes.put(input + i, count: group)
                let overflowed = codes.overflowed
                codes.flush()
                if overflowed {
                    codes.rewind(to: groupStart)
                    for k in 0 ..< group {
                        codes.put(input + i + k, count: 1)
                        codes.flush()
                    }
                }
                markBlocks(i, since: groupStart.position)
                i &+= group
            }
            split(from: start)
        }
        let rest = i
        while i < count && codes.next <= limit {
            let groupStart = codes.position
            codes.put(input + i, count: 1)
            codes.flush()
            markBlocks(i, since: groupStart)
            i &+= 1
        }
        split(from: rest)
        // The last bits, zero-padded: at most 7 are pending after the last flush (none: a stale store past the
        // end, trimmed by the caller).
        codes.flush()
        self.position = codes.position
        done = i
    }

    /// A block starts within the codes from weight `word` (starting at bit `from`) to the next code (at bit
    /// `end`): walks them again to find the first code starting in it and records its weight index.
    @inline(never)
    private static func markBlock(before end: UInt64, from: UInt64, word: Int, words: UnsafePointer<UInt16>,
                                  count: Int, lengths: UnsafePointer<UInt8>, index: UInt64,
                                  blocks: UnsafeMutablePointer<UInt64>, firstBlock: UInt64) {
        let boundary = end / UnitGeometry.blockBits * UnitGeometry.blockBits
        var start = from
        var k = word
        while start < boundary && k < count {
            start &+= UInt64(lengths[Int(truncatingIfNeeded: words[k] &>> 7)])
            k &+= 1
        }
        blocks[Int(truncatingIfNeeded: boundary / UnitGeometry.blockBits &- firstBlock)] = index &+ UInt64(k)
    }
}

/// The state of `EncodeLoop`: the bits from `flushed` (a multiple of 8) to `position`, not yet stored, at the top
/// of a 64-bit accumulator (bit 63 is bit `flushed`), zeros below them; stored big-endian eight bytes at a time.
/// Each code is or-ed in at the place its end gives, so that codes wait only for the running position (an add),
/// not for each other's shifts. A value type with inlined methods, so that the compiler keeps it in registers.
private struct CodeWriter {
    /// The stream bit where the next code starts.
    var position: UInt64
    private var accumulator: UInt64 = 0
    /// The first bit not yet stored, a multiple of 8.
    private var flushed: UInt64
    /// The output byte of bit b is `outBase[b >> 3]`.
    private let outBase: UnsafeMutableRawPointer
    /// `gapBase[w]`: the slot after window w's.
    private let gapBase: UnsafeMutablePointer<UInt8>
    private let lengths: UnsafePointer<UInt8>
    private let values: UnsafePointer<UInt32>

    /// A writer whose first code starts at bit `position`, the stream byte of that bit being `out[0]` (its
    /// leading bits belong to the chunk before: zeros here, the accumulator starts empty).
    @inline(__always)
    init(position: UInt64, out: UnsafeMutableRawPointer, gaps: UnsafeMutablePointer<UInt8>, firstWindow: UInt64,
         lengths: UnsafePointer<UInt8>, values: UnsafePointer<UInt32>) {
        self.position = position
        flushed = position & ~7
        outBase = out - Int(truncatingIfNeeded: position &>> 3)
        gapBase = gaps + 1 - Int(truncatingIfNeeded: firstWindow)
        self.lengths = lengths
        self.values = values
    }

    /// Where the next flush stores.
    var next: UnsafeMutableRawPointer { outBase + Int(truncatingIfNeeded: flushed &>> 3) }

    /// The accumulator and positions before a group, to code it again (`rewind(to:)`).
    struct Mark {
        let position: UInt64
        let accumulator: UInt64
        let flushed: UInt64
    }

    /// The state to return to if the next group does not fit.
    var mark: Mark { Mark(position: position, accumulator: accumulator, flushed: flushed) }

    /// More than 64 bits are pending since the last flush: the accumulator could not hold them.
    var overflowed: Bool { position &- flushed > 64 }

    /// Returns to `mark` (taken after a flush), before a flush of too many bits: the bytes that flush stored are
    /// stored again, and the window slots written since are written again, alike.
    @inline(__always)
    mutating func rewind(to mark: Mark) {
        position = mark.position
        accumulator = mark.accumulator
        flushed = mark.flushed
    }

    /// Appends the codes of `count` words (tables indexed by `word >> 7`); each writes where the code after it
    /// starts into the slot of the window after its own (see `EncodeLoop`). The caller flushes before more
    /// than 64 bits are pending, or notices (`overflowed`) and rewinds.
    @inline(__always)
    mutating func put(_ words: UnsafePointer<UInt16>, count: Int) {
        let top = flushed &+ 64
        for k in 0..<count {
            let key = Int(truncatingIfNeeded: words[k] &>> 7)
            let length = UInt64(truncatingIfNeeded: lengths[key])
            let start = position
            position &+= length
            gapBase[Int(truncatingIfNeeded: start &>> 6)] = UInt8(truncatingIfNeeded: position)
            accumulator |= UInt64(truncatingIfNeeded: values[key]) &<< (top &- position)
        }
    }

    /// Stores the pending bits (eight bytes, zeros after them) and moves past the whole bytes.
    @inline(__always)
    mutating func flush() {
        next.storeBytes(of: accumulator.bigEndian, as: UInt64.self)
        let stored = (position & ~7) &- flushed
        accumulator = stored == 64 ? 0 : accumulator &<< stored
        flushed = position & ~7
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

    /// The indices of `bytes` that are complete and this chunk's alone: not the first when the chunk starts
    /// inside a byte (the chunk before has bits in it), not the last when it ends inside one (the chunk after,
    /// or the end-of-file padding, completes it). They can be written at their place at once, in any order.
    public var ownBytes: Range<Int> {
        let lead = startingBit % 8 != 0 ? 1 : 0
        let complete = Int((startingBit + bitCount) / 8 - startingBit / 8)
        return lead ..< max(lead, complete)
    }

    /// The window of `gapOffsets[0]`.
    public var firstWindow: UInt64 { startingBit / UnitGeometry.windowBits }
    /// The block of `blockPositions[0]`.
    public var firstBlock: UInt64 { startingBit / UnitGeometry.blockBits }
}
