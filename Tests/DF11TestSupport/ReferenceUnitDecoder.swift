import DFloat11Layout
import EntropyCoding
import Safetensors

/// The reference decoder of the published layout: the sequential walk of the bitstream a reader of
/// docs/DFLOAT11.md would write first, one code at a time through the tables, with every check of
/// `UnitDecoder.decodeBlocks` made in the order a sequential decoder meets them. It lives in test support, as
/// zstd keeps its educational decoder outside `lib/`: the product decodes with `decodeBlocks` alone, and the
/// tests hold the two to the same words and the same failures (BlockDecodingTests).
extension UnitDecoder {
    /// The unit tensor `kind`, which `init` checked is present.
    private func info(_ kind: UnitTensor) -> TensorInfo { source.tensor(named: module + "." + kind.rawValue)! }

    /// Field `index` of packed 5-bit gaps, MSB-first (no bounds beyond the array: the caller checks the length).
    private func gapField(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int, bitOffset: Int = 0) -> UInt8 {
        let bit = index * 5 + bitOffset
        let byte = bit >> 3
        let high = UInt16(bytes[byte]) << 8 | UInt16(byte + 1 < bytes.count ? bytes[byte + 1] : 0)
        return UInt8(truncatingIfNeeded: high >> UInt16(11 - (bit & 7))) & 31
    }

    /// Decodes the unit, calling `body` with the bf16 words of each block in order (at most 32,768 words per
    /// call). Throws at the first inconsistency, naming the unit and the block.
    public func referenceDecode(_ body: (UnsafeBufferPointer<UInt16>) throws -> Void) throws {
        let blocks = blockCount
        let streamBits = encodedBytes * 8
        let marked = outputPositions.count - 1
        let n = elementCount
        var position: UInt64 = 0          // bit where the next code starts
        var index: UInt64 = 0             // next weight
        var lastWindow: Int64 = -1
        var lastBlock = -1
        var stream = [UInt8](repeating: 0, count: Int(UnitGeometry.blockBytes) + 8)
        var gapBytes = [UInt8](repeating: 0, count: Int(UnitGeometry.gapBytesPerBlock))
        var words: [UInt16] = []
        var signMantissa: [UInt8] = []

        for block in 0..<blocks {
            func fail(_ why: String) -> DFloat11LayoutError {
                DFloat11LayoutError(unit: module, block: block, .corruptBitstream(why))
            }
            // This block's stream bytes plus up to 8 bytes of the next (codes may cross), zero beyond the end.
            let firstByte = UInt64(block) * UnitGeometry.blockBytes
            let available = min(UInt64(stream.count), encodedBytes - firstByte)
            for i in stream.indices { stream[i] = 0 }
            try stream.withUnsafeMutableBytes {
                try source.read(tensor: info(.encodedExponent), range: firstByte ..< firstByte + available, into: $0)
            }
            try gapBytes.withUnsafeMutableBytes {
                let start = UInt64(block) * UnitGeometry.gapBytesPerBlock
                try source.read(tensor: info(.gaps), range: start ..< start + UnitGeometry.gapBytesPerBlock, into: $0)
            }
            let expected = block < marked ? UInt64(outputPositions[block + 1] - outputPositions[block]) : 0
            let blockStart = block < marked ? UInt64(outputPositions[block]) : n
            if signMantissa.count < Int(expected) { signMantissa = [UInt8](repeating: 0, count: Int(expected)) }
            if expected > 0 {
                try signMantissa.withUnsafeMutableBytes {
                    try source.read(tensor: info(.signMantissa), range: blockStart ..< blockStart + expected, into: $0)
                }
            }
            words.removeAll(keepingCapacity: true)
            let blockEndBit = (UInt64(block) + 1) * UnitGeometry.blockBits

            try gapBytes.withUnsafeBufferPointer { gaps in
                try luts.withUnsafeBufferPointer { luts in
                    try stream.withUnsafeBufferPointer { bytes in
                        // Marks the start of a code (or of the end-of-file step) at `position` for weight `index`.
                        func mark() throws {
                            let window = Int64(position / UnitGeometry.windowBits)
                            guard window != lastWindow else { return }
                            if window != lastWindow + 1 {
                                throw fail("no code starts in 64-bit window \(lastWindow + 1)")
                            }
                            let gap = gapField(gaps, Int(window) % UnitGeometry.threadsPerBlock)
                            if UInt64(gap) != position % 64 {
                                throw fail("window \(window): first code starts at bit offset \(position % 64), gap says \(gap)")
                            }
                            lastWindow = window
                            let codeBlock = Int(position / UnitGeometry.blockBits)
                            if codeBlock != lastBlock {
                                guard codeBlock < marked, UInt64(outputPositions[codeBlock]) == index else {
                                    throw fail("block \(codeBlock) starts at weight \(index), output_positions says "
                                               + (codeBlock < marked ? "\(outputPositions[codeBlock])" : "no block"))
                                }
                                lastBlock = codeBlock
                            }
                        }
                        let base = Int(firstByte)
                        while index < n && position < blockEndBit {
                            try mark()
                            if UInt64(words.count) >= expected {
                                throw fail("decodes more than its \(expected) weights (output_positions delta)")
                            }
                            var bit = Int(position) - base * 8
                            var table = 0
                            var level = 0
                            var value: UInt8
                            while true {
                                let byte = bit >> 3, shift = bit & 7
                                let window16 = UInt16(bytes[byte]) << 8 | UInt16(bytes[byte + 1])
                                value = luts[table * 256 + Int(UInt8(truncatingIfNeeded: window16 >> UInt16(8 - shift)))]
                                if value < 240 { break }
                                table = 256 - Int(value)
                                level += 1
                                bit += 8
                                if table >= tableCount || level > 3 {
                                    throw fail("weight \(index): table pointer \(value) leads nowhere (level \(level))")
                                }
                            }
                            let length = Int(luts[tableCount * 256 + Int(value)])
                            if length == 0 || (length - 1) / 8 != level {
                                throw fail("weight \(index): decoded exponent \(value) whose code length \(length) "
                                           + "does not fit table level \(level)")
                            }
                            position += UInt64(length)
                            if position > streamBits {
                                throw fail("weight \(index): code runs past the end of the stream")
                            }
                            words.append(BF16.word(exponent: value, signMantissa: signMantissa[words.count]))
                            index += 1
                        }
                        if index == n && position < blockEndBit && position % 8 != 0 {
                            try mark()   // the end-of-file step marks the end position
                        }
                    }
                }
            }
            if UInt64(words.count) != expected {
                throw fail("decodes \(words.count) weights, output_positions says \(expected)")
            }
            try words.withUnsafeBufferPointer { try body($0) }
        }
        func fail(_ why: String) -> DFloat11LayoutError {
            DFloat11LayoutError(unit: module, block: max(0, blocks - 1), .corruptBitstream(why))
        }
        guard index == n else { throw fail("the stream ends after \(index) of \(n) weights") }
        guard (position + 7) / 8 == encodedBytes else {
            throw fail("the codes end at bit \(position) but the stream has \(encodedBytes) bytes")
        }
        if position % 8 != 0 {
            // The rest of the last byte is the end-of-file code's first bits, zero-padded.
            var last: UInt8 = 0
            try withUnsafeMutableBytes(of: &last) {
                try source.read(tensor: info(.encodedExponent), range: encodedBytes - 1 ..< encodedBytes, into: $0)
            }
            let free = 8 - Int(position % 8)
            let (length, bits) = endOfFileCode
            let mask = UInt8((1 << free) - 1)
            let want = UInt8(truncatingIfNeeded: length >= free ? bits >> UInt32(length - free) : bits << UInt32(free - length)) & mask
            if last & mask != want {
                throw DFloat11LayoutError(unit: module, block: marked - 1, .corruptBitstream(
                    "the last \(free) bits of the stream are \(last & mask), not the end-of-file code's first bits (\(want))"))
            }
        }
        guard lastBlock + 1 == marked else {
            throw fail("codes start in \(lastBlock + 1) blocks, output_positions has \(marked)")
        }
        // Gap padding after the last marked window must be zero (only the tail of `gaps` is read).
        let firstPadding = Int(lastWindow + 1)
        let tailStart = UInt64(firstPadding * 5 / 8)
        var tail = [UInt8](repeating: 0, count: Int(info(.gaps).byteCount - tailStart))
        try tail.withUnsafeMutableBytes { try source.read(tensor: info(.gaps), range: tailStart..<info(.gaps).byteCount, into: $0) }
        try tail.withUnsafeBufferPointer { tail in
            for w in firstPadding ..< blocks * UnitGeometry.threadsPerBlock
            where gapField(tail, 0, bitOffset: 5 * w - 8 * Int(tailStart)) != 0 {
                throw DFloat11LayoutError(unit: module, block: w / UnitGeometry.threadsPerBlock,
                                          .corruptBitstream("gap of window \(w), after the end of the stream, is not zero"))
            }
        }
    }

    /// Decodes the whole unit into memory (tests and small units).
    public func decodeAll() throws -> [UInt16] {
        var all: [UInt16] = []
        all.reserveCapacity(Int(elementCount))
        try referenceDecode { all.append(contentsOf: $0) }
        return all
    }
}
