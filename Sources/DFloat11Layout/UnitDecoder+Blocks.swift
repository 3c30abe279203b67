#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import DF11Pipeline
import EntropyCoding
import Safetensors

/// Buffers one thread reuses across `UnitDecoder.decodeBlocks` calls (any unit, any block range).
public final class BlockDecodeScratch {
    fileprivate let stream = ScratchBuffer<UInt8>()
    fileprivate let gapBytes = ScratchBuffer<UInt8>()
    fileprivate let gaps = ScratchBuffer<UInt8>()
    fileprivate let exponents = ScratchBuffer<UInt8>()
    fileprivate let signMantissa = ScratchBuffer<UInt8>()
    fileprivate let words = ScratchBuffer<UInt16>()
    fileprivate let slots = ScratchBuffer<UInt8>()

    public init() {}
}

extension UnitDecoder {
    /// The number of blocks that have an output position (a code, or the end-of-file step, starts in them).
    public var markedBlockCount: Int { outputPositions.count - 1 }

    /// The unit's weights that blocks `blocks` decode to: from the first block's output position to the next
    /// output position after the range (N past the marked blocks).
    public func weightRange(ofBlocks blocks: Range<Int>) -> Range<UInt64> {
        func position(_ block: Int) -> UInt64 {
            block < outputPositions.count ? UInt64(outputPositions[block]) : elementCount
        }
        return position(blocks.lowerBound) ..< position(blocks.upperBound)
    }

    /// Table 0 fused with the code-length row: for each first byte, `length | exponent << 8` when a code of at
    /// most 8 bits decodes from it, else 0. The length sits in the low bits so that it is the shift amount.
    static func fastEntries(_ luts: [UInt8], tableCount k: Int) -> [UInt16] {
        (0..<256).map { i in
            let value = luts[i]
            guard value < 240 else { return 0 }
            let length = luts[k * 256 + Int(value)]
            return length >= 1 && length <= 8 ? UInt16(length) | UInt16(value) << 8 : 0
        }
    }

    /// For each 12-bit value: two complete codes decoded exactly as two steps of `fastEntries` would decode
    /// them — `totalLength | firstLength << 8 | first << 16 | second << 24` — or 0 when the first step is not
    /// a fast one, or the second code is not known from the 12 bits alone (longer than the bits left, or table 0
    /// differs across the unknown bits: only possible in corrupt tables).
    static func pairEntries(_ fast: [UInt16]) -> [UInt32] {
        (0 ..< 4096).map { i in
            let first = fast[i >> 4]
            let length1 = Int(first & 0xFF)
            guard length1 != 0 else { return 0 }
            let known = 12 - length1                                  // bits of the second code's byte we know
            let prefix = (i << length1) & 0xFFF                       // 12 bits, the last length1 unknown (0)
            let second = fast[prefix >> 4]
            let length2 = Int(second & 0xFF)
            guard length2 != 0, length2 <= known else { return 0 }
            if known < 8 {
                for fill in 0 ..< (1 << (8 - known)) where fast[(prefix >> 4) | fill] != second { return 0 }
            }
            return UInt32(length1 + length2) | UInt32(length1) << 8 | UInt32(first >> 8) << 16 | UInt32(second >> 8) << 24
        }
    }

    /// Decodes blocks `blocks` of the bitstream on their own, with every check of `decode`, and returns the bf16
    /// words of `weightRange(ofBlocks: blocks)` (valid until the next call with the same `scratch`), or an empty
    /// buffer when `words` is false (the exponents are decoded and checked, the words not assembled).
    ///
    /// Blocks are independent: block `b` starts at bit `4096·8·b + gap` of its first window and must decode
    /// exactly its `output_positions` delta; where the next block starts (its first window's gap) must be where
    /// block `b`'s last code ends. Per block, in order: every 64-bit window in which a code starts has the first
    /// such code at its gap; block 0 starts at bit 0; the last marked block ends the stream in its last byte and
    /// marks the end-of-file step when the stream does not end on a byte boundary; every gap after the last mark
    /// is zero. Per code: a table walk that reaches a symbol at the level its code length implies. The first
    /// failure throws, naming the unit and the block. Decoding every block of a unit (in any grouping) checks
    /// exactly what `decode` checks. Thread-safe for distinct `scratch` objects.
    @discardableResult
    public func decodeBlocks(_ blocks: Range<Int>, scratch: BlockDecodeScratch, words wantWords: Bool = true) throws
        -> UnsafeBufferPointer<UInt16>
    {
        precondition(blocks.lowerBound >= 0 && blocks.upperBound <= blockCount, "blocks \(blocks) outside 0..<\(blockCount)")
        let b0 = blocks.lowerBound, b1 = blocks.upperBound
        let marked = markedBlockCount
        let weights = weightRange(ofBlocks: blocks)
        let weightCount = Int(weights.upperBound - weights.lowerBound)
        let blockBytes = Int(UnitGeometry.blockBytes)

        // Stream bytes of the range plus 16 bytes of the next block (codes cross block ends), zero past the end.
        let firstByte = UInt64(b0) * UnitGeometry.blockBytes
        let spanBytes = (b1 - b0) * blockBytes + 16
        let available = Int(min(UInt64(spanBytes), encodedBytes - firstByte))
        let stream = scratch.stream.reserve(spanBytes)
        try source.read(tensor: encodedInfo, range: firstByte ..< firstByte + UInt64(available),
                        into: UnsafeMutableRawBufferPointer(start: stream, count: available))
        (stream + available).initialize(repeating: 0, count: spanBytes - available)

        // Gaps of the range plus the first window of the next block, unpacked to one byte per window.
        let gapBlocks = min(b1 + 1, blockCount) - b0
        let gapByteCount = gapBlocks * Int(UnitGeometry.gapBytesPerBlock)
        let gapBytes = scratch.gapBytes.reserve(gapByteCount)
        try source.read(tensor: gapsInfo, range: UInt64(b0) * UnitGeometry.gapBytesPerBlock ..< UInt64(b0) * UnitGeometry.gapBytesPerBlock + UInt64(gapByteCount),
                        into: UnsafeMutableRawBufferPointer(start: gapBytes, count: gapByteCount))
        let gaps = scratch.gaps.reserve(gapBlocks * UnitGeometry.threadsPerBlock)
        for group in 0 ..< gapByteCount / 5 {
            let p = gapBytes + 5 * group
            let v = UInt64(p[0]) << 32 | UInt64(p[1]) << 24 | UInt64(p[2]) << 16 | UInt64(p[3]) << 8 | UInt64(p[4])
            for j in 0 ..< 8 { gaps[8 * group + j] = UInt8(truncatingIfNeeded: v >> UInt64(35 - 5 * j)) & 31 }
        }

        let exponents = scratch.exponents.reserve(max(weightCount, 1))
        let slots = scratch.slots.reserve(UnitGeometry.threadsPerBlock + 4)
        try luts.withUnsafeBufferPointer { luts in
            try fastEntries.withUnsafeBufferPointer { fast in
                try pairEntries.withUnsafeBufferPointer { pairs in
                    let range = BlockRange(first: b0, marked: marked, stream: stream, gaps: gaps,
                                           gapBlocks: gapBlocks, slots: slots, luts: luts.baseAddress!,
                                           fast: fast.baseAddress!, pairs: pairs.baseAddress!)
                    var out = exponents
                    for block in b0 ..< b1 { out += try decodeBlock(block, in: range, out: out) }
                    precondition(out - exponents == weightCount)
                }
            }
        }
        guard wantWords else { return UnsafeBufferPointer(start: nil, count: 0) }

        let signMantissa = scratch.signMantissa.reserve(max(weightCount, 1))
        if weightCount > 0 {
            try source.read(tensor: signMantissaInfo, range: weights,
                            into: UnsafeMutableRawBufferPointer(start: signMantissa, count: weightCount))
        }
        let words = scratch.words.reserve(max(weightCount, 1))
        for i in 0 ..< weightCount {
            let sm = UInt16(signMantissa[i])
            words[i] = (sm & 0x80) << 8 | UInt16(exponents[i]) << 7 | (sm & 0x7F)
        }
        return UnsafeBufferPointer(start: words, count: weightCount)
    }

    /// Decodes one block into `out`; returns the number of weights written. Three steps: the codes
    /// (`decodeCodes`), then the checks of the windows they entered (`checkWindows`) and of where they end
    /// (`checkEnd`), run in the order a sequential decoder meets them, so each failure is the one it reports.
    @inline(__always)
    private func decodeBlock(_ block: Int, in range: BlockRange, out: UnsafeMutablePointer<UInt8>) throws -> Int {
        let relative = block - range.first
        let blockGaps = range.gaps + relative * UnitGeometry.threadsPerBlock
        guard block < range.marked else {
            // No code starts here: the stream's last code may end here, the gaps are all padding.
            try checkPaddingGaps(block, blockGaps, after: -1)
            return 0
        }
        let base = relative * Int(UnitGeometry.blockBits)          // bit of this block in `stream`
        let start = base + Int(blockGaps[0])
        if block == 0 && start != 0 {
            throw corrupt(block, "window 0: first code starts at bit offset 0, gap says \(blockGaps[0])")
        }
        let expected = Int(outputPositions[block + 1] - outputPositions[block])
        let run = decodeCodes(block, from: start, base: base, expected: expected, in: range, out: out)
        try checkWindows(block, run, base: base, blockGaps: blockGaps, slots: range.slots)
        try checkEnd(block, run, base: base, expected: expected, blockGaps: blockGaps, in: range)
        return run.count
    }

    /// The codes of one block, decoded without a branch per window: every code writes where the code after it
    /// starts (its offset in the window) into `slots[w + 1]`, `w` its own window. Codes are at most 32 bits, so
    /// no window is skipped and the last code of window `w` to write `slots[w + 1]` is the one after which window
    /// `w + 1` starts: the slot ends up holding where that window's first code starts, which the gaps must say.
    /// Stops after `expected` codes, at the block's end, or at the first code that does not decode.
    @inline(__always)
    private func decodeCodes(_ block: Int, from start: Int, base: Int, expected: Int, in range: BlockRange,
                             out: UnsafeMutablePointer<UInt8>) -> CodeRun {
        let limit = base + Int(UnitGeometry.blockBits)
        let (stream, fast, pairs) = (range.stream, range.fast, range.pairs)
        let slot = range.slots + 1 - (base >> 6)          // slot[p >> 6]: the slot of the window after bit p's
        var run = CodeRun(count: 0, position: start, lastStart: start, invalid: nil)
        while run.count < expected && run.position < limit && run.invalid == nil {
            // 57–64 valid bits; a batch reads at most 16 bytes past `limit`, inside the range's slack.
            var position = run.position
            var count = run.count
            var bits = UInt64(bigEndian: UnsafeRawPointer(stream + (position >> 3)).loadUnaligned(as: UInt64.self))
                << UInt64(position & 7)
            var budget = 45   // bits that may be consumed before refilling, keeping 12 bits of look-ahead
            repeat {
                // Two codes at once when both are short and both belong to this block.
                let pair = pairs[Int(truncatingIfNeeded: bits &>> 52)]
                let total = Int(truncatingIfNeeded: pair & 0xFF)
                if total != 0 && count &+ 2 <= expected {
                    let first = position &+ Int(truncatingIfNeeded: pair &>> 8 & 0xFF)
                    out[count] = UInt8(truncatingIfNeeded: pair &>> 16)
                    out[count &+ 1] = UInt8(truncatingIfNeeded: pair &>> 24)
                    slot[position &>> 6] = UInt8(truncatingIfNeeded: first) & 63
                    position &+= total
                    slot[first &>> 6] = UInt8(truncatingIfNeeded: position) & 63
                    run.lastStart = first
                    bits = bits &<< UInt64(truncatingIfNeeded: pair)     // the shift takes the low 6 bits: total
                    count &+= 2
                    budget &-= total
                    continue
                }
                let entry = fast[Int(truncatingIfNeeded: bits &>> 56)]
                var length = Int(truncatingIfNeeded: entry & 0xFF)
                if length != 0 {
                    bits = bits &<< UInt64(truncatingIfNeeded: length)
                    out[count] = UInt8(truncatingIfNeeded: entry &>> 8)
                } else {
                    // A longer code, or an invalid one: walk the tables with every check.
                    let code = UInt64(bigEndian: UnsafeRawPointer(stream + (position >> 3)).loadUnaligned(as: UInt64.self))
                        << UInt64(position & 7)
                    let walked = walkTables(code, luts: range.luts)
                    if let why = walked.failure {
                        run.invalid = (position, corrupt(block, "weight \(outputPositions[block] + UInt32(count)): \(why)"))
                        break
                    }
                    length = walked.length
                    out[count] = walked.exponent
                    budget = -64   // refill after a long code
                }
                slot[position &>> 6] = UInt8(truncatingIfNeeded: position &+ length) & 63
                run.lastStart = position
                position &+= length
                count &+= 1
                budget &-= length
            } while budget >= 0 && count < expected
            run.position = position
            run.count = count
        }
        return run
    }

    /// A table walk from the 64 bits at a code's start: its exponent and length, or why it does not decode (a
    /// pointer to no table, or an exponent whose code length does not fit the level it was found at).
    @inline(__always)
    private func walkTables(_ code: UInt64, luts: UnsafePointer<UInt8>) -> (exponent: UInt8, length: Int, failure: String?) {
        var table = 0, level = 0, shift = 56
        var value: UInt8
        while true {
            value = luts[table * 256 + Int(truncatingIfNeeded: (code >> UInt64(shift)) & 0xFF)]
            if value < 240 { break }
            table = 256 - Int(value)
            level += 1
            shift -= 8
            if table >= tableCount || level > 3 {
                return (0, 0, "table pointer \(value) leads nowhere (level \(level))")
            }
        }
        let length = Int(luts[tableCount * 256 + Int(value)])
        if length == 0 || (length - 1) / 8 != level {
            return (0, 0, "decoded exponent \(value) whose code length \(length) does not fit table level \(level)")
        }
        return (value, length, nil)
    }

    /// The windows the codes entered, in order, up to the first code that starts past the block or does not
    /// decode, hold their first code where the gaps say; then the code that did not decode, if any; then whether
    /// the block ended before its weights did.
    @inline(__always)
    private func checkWindows(_ block: Int, _ run: CodeRun, base: Int, blockGaps: UnsafeMutablePointer<UInt8>,
                              slots: UnsafeMutablePointer<UInt8>) throws {
        let windows = UnitGeometry.threadsPerBlock
        // Window 0 holds the block's first code (its gap set where decoding started).
        var checkedUpTo = min((run.decodedEnd(base: base, firstGap: blockGaps[0]) - base) >> 6, windows - 1)
        if let invalid = run.invalid { checkedUpTo = min((invalid.start - base) >> 6, windows - 1) }
        if checkedUpTo >= 1, memcmp(slots + 1, blockGaps + 1, checkedUpTo) != 0 {
            var w = 1
            while slots[w] == blockGaps[w] { w += 1 }
            throw corrupt(block, "window \(block * windows + w): first code starts at bit offset \(slots[w]), gap says \(blockGaps[w])")
        }
        if let invalid = run.invalid { throw invalid.error }
    }

    /// Where the block's codes end: its weights all decoded inside it; the next code (or the end-of-file step) at
    /// the gap of the window it starts; the stream's end in the last marked block, with zero gaps after it;
    /// otherwise the next block starting where this one's last code ends.
    @inline(__always)
    private func checkEnd(_ block: Int, _ run: CodeRun, base: Int, expected: Int,
                          blockGaps: UnsafeMutablePointer<UInt8>, in range: BlockRange) throws {
        let windows = UnitGeometry.threadsPerBlock
        let limit = base + Int(UnitGeometry.blockBits)
        let position = run.position
        let isLast = block == range.marked - 1
        if run.count < expected || run.lastStart >= limit {
            // The block ended first (a code decoded past it belongs to the next block).
            throw corrupt(block, "the block ends before its \(expected) weights (output_positions delta) are decoded")
        }
        // After the last code: where the next one starts.
        var window = (run.decodedEnd(base: base, firstGap: blockGaps[0]) - base) >> 6
        let ended = position >= limit
        if ended {
            if isLast && position % 8 != 0 {
                throw corrupt(block, "the end-of-file step starts block \(block + 1) at weight \(elementCount), "
                              + "output_positions has no such block")
            }
        } else if (position - base) >> 6 != window {
            // The next code (or the end-of-file step) starts a window; after the stream's last code only the
            // end-of-file step marks one, when the stream does not end on a byte boundary.
            if !(isLast && position % 8 == 0) {
                let w = (position - base) >> 6
                let offset = (position - base) & 63
                if Int(blockGaps[w]) != offset {
                    throw corrupt(block, "window \(block * windows + w): first code starts at bit offset \(offset), gap says \(blockGaps[w])")
                }
                window = w
            }
        }
        if !ended {
            if !isLast {
                throw corrupt(block, "decodes more than its \(expected) weights (output_positions delta): "
                              + "a code starts at bit \(position - base) of the block")
            }
            if expected == 0 && position % 8 == 0 {
                throw corrupt(block, "no code starts in the block but output_positions marks it")
            }
        }
        if isLast {
            let end = UInt64(block) * UnitGeometry.blockBits + UInt64(position - base)
            guard (end + 7) / 8 == encodedBytes else {
                throw corrupt(block, "the codes end at bit \(end) but the stream has \(encodedBytes) bytes")
            }
            if position % 8 != 0 {
                // The rest of the last byte: the end-of-file code, cut or zero-padded.
                let free = 8 - position % 8
                let (length, bits) = endOfFileCode
                let want = UInt8(truncatingIfNeeded: length >= free ? bits >> UInt32(length - free) : bits << UInt32(free - length))
                    & UInt8((1 << free) - 1)
                let got = range.stream[position / 8] & UInt8((1 << free) - 1)
                if got != want {
                    throw corrupt(block, "the last \(free) bits of the stream are \(got), not the end-of-file code's "
                                  + "first bits (\(want))")
                }
            }
            try checkPaddingGaps(block, blockGaps, after: window)
        } else {
            let relative = block - range.first
            guard block + 1 < range.first + range.gapBlocks else {
                throw corrupt(block, "the block is marked but no block follows it")
            }
            // The next block's first window: reported there, as a sequential decoder would when it reaches it.
            let gap = Int(range.gaps[(relative + 1) * windows])
            if position != limit + gap {
                throw corrupt(block + 1,
                              "window \((block + 1) * windows): first code starts at bit offset \(position - limit), gap says \(gap)")
            }
        }
    }

    /// The gaps of the windows after `window` in the block, after the end of the stream, are zero.
    private func checkPaddingGaps(_ block: Int, _ blockGaps: UnsafeMutablePointer<UInt8>, after window: Int) throws {
        let windows = UnitGeometry.threadsPerBlock
        for w in (window + 1) ..< windows where blockGaps[w] != 0 {
            throw corrupt(block, "gap of window \(block * windows + w), after the end of the stream, is not zero")
        }
    }

    private func corrupt(_ block: Int, _ why: String) -> DFloat11LayoutError {
        DFloat11LayoutError(unit: module, block: block, .corruptBitstream(why))
    }
}

/// The buffers and tables of one `decodeBlocks` call: the range's stream bytes and unpacked gaps start at block
/// `first`; `gapBlocks` blocks of gaps were read (the range plus the next block's first window when there is one).
private struct BlockRange {
    let first: Int
    let marked: Int
    let stream: UnsafeMutablePointer<UInt8>
    let gaps: UnsafeMutablePointer<UInt8>
    let gapBlocks: Int
    let slots: UnsafeMutablePointer<UInt8>
    let luts: UnsafePointer<UInt8>
    let fast: UnsafePointer<UInt16>
    let pairs: UnsafePointer<UInt32>
}

/// Where one block's decoding loop stopped: `count` codes decoded, the next starting at bit `position`, the last
/// decoded one at `lastStart`, and the first code that did not decode, if one did not.
private struct CodeRun {
    var count: Int
    var position: Int
    var lastStart: Int
    var invalid: (start: Int, error: DFloat11LayoutError)?

    /// The start of the last code checked: the last decoded one, or the block's first gap when none was.
    func decodedEnd(base: Int, firstGap: UInt8) -> Int { count == 0 ? base + Int(firstGap) : lastStart }
}
