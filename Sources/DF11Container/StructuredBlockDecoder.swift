import EntropyCoding

/// Decodes the data of a `BLK ` method 3 frame (after its fixed fields) into the block's original bytes.
///
/// Every length is checked against the payload before it is used; a stream that does not decode exactly, raw
/// bits with non-zero padding, or bytes left over are refused. A damaged stream that still decodes is caught by
/// the frame's checksum and the tensor's (as in format 1.0).
struct StructuredBlockDecoder {
    let code: StructuredSegmentCode
    let scratch: StructuredScratch

    /// Decodes `reader`'s bytes (the whole rest of the payload) into `output` (`output.count` original bytes).
    func decode(_ reader: inout LittleEndianReader, into output: UnsafeMutableRawBufferPointer) -> ContainerError.Problem? {
        func malformed(_ why: String) -> ContainerError.Problem { .malformedFrame(frame: "BLK", reason: why) }
        let split = code.split
        let width = split.layout.width
        guard output.count % width == 0 else {
            return .sizeMismatch("\(output.count) bytes are not a whole number of \(split.layout) elements")
        }
        let n = output.count / width
        guard n <= scratch.symbols.count, split.planeCount * n <= scratch.planes.count else {
            return malformed("\(n) elements exceed the block size")
        }
        let streams = 1 + split.planeCount
        var modes: [StreamMode] = []
        for s in 0..<streams {
            guard let byte = reader.read(UInt8.self), let mode = StreamMode(rawValue: byte) else {
                return malformed("missing or unknown mode of stream \(s)")
            }
            if mode == .segment && code.decoders[s] == nil {
                return malformed("stream \(s) uses the segment's table, but its CDE2 has none")
            }
            modes.append(mode)
        }
        // Per stream, its lanes' byte lengths (nil for a raw stream), in stream order.
        var sizes: [StreamSizes?] = []
        for mode in modes {
            guard mode != .raw else { sizes.append(nil); continue }
            guard let a = reader.read(UInt32.self), let b = reader.read(UInt32.self), let c = reader.read(UInt32.self),
                  let d = reader.read(UInt32.self) else { return malformed("lane lengths missing") }
            sizes.append(StreamSizes(a, b, c, d))
        }
        var decoders: [TANSDecoder?] = []
        for (s, mode) in modes.enumerated() {
            switch mode {
            case .raw: decoders.append(nil)
            case .segment: decoders.append(code.decoders[s])
            case .own:
                guard let log = reader.read(UInt8.self), TANSTable.tableLogRange.contains(Int(log)) else {
                    return malformed("stream \(s)'s own table has no valid table log")
                }
                do {
                    let table = try StreamTable.parse(tableLog: Int(log), alphabetSize: StructuredCodePayload.alphabetSize(
                        stream: s, split: split), from: &reader)
                    decoders.append(TANSDecoder(table: try TANSTable(frequencies: table.frequencies, tableLog: table.tableLog)))
                } catch {
                    return malformed("stream \(s)'s own table: \(error)")
                }
            }
        }
        guard let raw = reader.read(count: RawBitPacking.byteCount(count: n, width: split.rawBits)) else {
            return malformed("raw bits missing")
        }
        var rawPlanes: [Int: UnsafeRawBufferPointer] = [:]
        for j in 0..<split.planeCount where modes[1 + j] == .raw {
            guard let bytes = reader.read(count: n) else { return malformed("plane \(j) missing") }
            rawPlanes[j] = bytes
        }
        var rawSymbols: UnsafeRawBufferPointer?
        if modes[0] == .raw {
            guard let bytes = reader.read(count: StructuredBlock.rawSymbolBytes(count: n, split: split)) else {
                return malformed("raw symbols missing")
            }
            rawSymbols = bytes
        }
        var streamBytes: [UnsafeRawBufferPointer?] = []
        for size in sizes {
            guard let size else { streamBytes.append(nil); continue }
            guard let bytes = reader.read(count: size.total) else {
                return malformed("coded streams are shorter than their lane lengths")
            }
            streamBytes.append(bytes)
        }
        guard reader.remaining == 0 else { return malformed("\(reader.remaining) bytes after the coded streams") }

        do {
            let symbols = UnsafeMutableBufferPointer(rebasing: scratch.symbols[0..<n])
            if width == 2 && split.planeCount == 0 {
                let words = output.baseAddress!.assumingMemoryBound(to: UInt16.self)
                if let decoder = decoders[0] {
                    try decoder.decodeWords(streamBytes[0]!, sizes: sizes[0]!, count: n, raw: raw, split: split, into: words)
                } else {
                    try unpackSymbols(rawSymbols!, split: split, into: UnsafeMutableBufferPointer(start: words, count: n))
                    try split.joinWords(symbols: words, raw: raw, count: n, into: words)
                }
                return nil
            }
            let out = output.baseAddress!
            if width == 1 && split.symbolBits == 8 {
                // FP8 as df11 writes it: the whole byte is the symbol.
                let bytes = out.assumingMemoryBound(to: UInt8.self)
                if let decoder = decoders[0] {
                    try decoder.decodeBytes(streamBytes[0]!, sizes: sizes[0]!, count: n, scratch: symbols, into: bytes)
                } else {
                    try unpackSymbols(rawSymbols!, split: split, into: symbols)
                    for i in 0..<n { bytes[i] = UInt8(truncatingIfNeeded: symbols[i]) }
                }
                return nil
            }
            if let decoder = decoders[0] {
                try decoder.decode(streamBytes[0]!, sizes: sizes[0]!, count: n, into: symbols)
            } else {
                try unpackSymbols(rawSymbols!, split: split, into: symbols)
            }
            // Any other split the format allows (every F32 and F64 one; an FP8 or 16-bit one another writer may
            // choose): element by element.
            for j in 0..<split.planeCount {
                let plane = scratch.plane(j, count: n)
                if let decoder = decoders[1 + j] {
                    try decoder.decode(streamBytes[1 + j]!, sizes: sizes[1 + j]!, count: n, into: plane)
                } else {
                    let bytes = rawPlanes[j]!
                    for i in 0..<n { plane[i] = UInt16(bytes[i]) }
                }
            }
            let values = UnsafeMutableBufferPointer(rebasing: scratch.values[0..<n])
            try RawBitPacking.unpack(raw, width: split.rawBits, into: values)
            let planes = scratch.planes.baseAddress!, stride = n
            let fields = split.fields
            if width == 4 && split.planeCount == 2 {
                // F32 as df11 splits it: the planes' loop written out (the general loop below costs twice as much).
                let plane1 = planes + stride
                for i in 0..<n {
                    let low = UInt64(planes[i] & 0xFF) | UInt64(plane1[i] & 0xFF) &<< 8
                    let x = fields.element(symbol: symbols[i], raw: values[i], low: low)
                    out.storeBytes(of: UInt32(truncatingIfNeeded: x).littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                }
                return nil
            }
            for i in 0..<n {
                var low: UInt64 = 0
                for j in 0..<split.planeCount { low |= UInt64(planes[j * stride + i] & 0xFF) << UInt64(8 * j) }
                let x = fields.element(symbol: symbols[i], raw: values[i], low: low)
                switch width {
                case 1: out.storeBytes(of: UInt8(truncatingIfNeeded: x), toByteOffset: i, as: UInt8.self)
                case 2: out.storeBytes(of: UInt16(truncatingIfNeeded: x).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                case 4: out.storeBytes(of: UInt32(truncatingIfNeeded: x).littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                default: out.storeBytes(of: x.littleEndian, toByteOffset: 8 * i, as: UInt64.self)
                }
            }
        } catch {
            return .corruptBlock(reason: "\(error)")
        }
        return nil
    }

    /// Unpacks symbols stored raw at `split.symbolBits` each.
    private func unpackSymbols(_ bytes: UnsafeRawBufferPointer, split: ElementSplit,
                               into out: UnsafeMutableBufferPointer<UInt16>) throws {
        let values = UnsafeMutableBufferPointer(rebasing: scratch.values[0..<out.count])
        try RawBitPacking.unpack(bytes, width: split.symbolBits, into: values)
        for i in 0..<out.count { out[i] = UInt16(truncatingIfNeeded: values[i]) }
    }
}
