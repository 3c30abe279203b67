import DF11TestSupport
import XCTest
@testable import EntropyCoding

final class TANSTests: XCTestCase {
    private func encode(_ symbols: [UInt16], _ table: TANSTable) throws -> ([UInt8], StreamSizes) {
        var out = [UInt8](repeating: 0xA5, count: TANSEncoder.maxBytes(count: symbols.count, tableLog: table.tableLog))
        let sizes = try symbols.withUnsafeBufferPointer { s in
            try out.withUnsafeMutableBytes { try TANSEncoder(table: table).encode(s, into: $0) }
        }
        return (Array(out.prefix(sizes.total)), sizes)
    }

    private func decode(_ stream: [UInt8], _ sizes: StreamSizes, count: Int, _ table: TANSTable) throws -> [UInt16] {
        try decode(stream, sizes, count: count, TANSDecoder(table: table))
    }

    private func decode(_ stream: [UInt8], _ sizes: StreamSizes, count: Int, _ decoder: TANSDecoder) throws -> [UInt16] {
        var out = [UInt16](repeating: 0xFFFF, count: count)
        try stream.withUnsafeBytes { s in
            try out.withUnsafeMutableBufferPointer { try decoder.decode(s, sizes: sizes, count: count, into: $0) }
        }
        return out
    }

    /// Counts over `alphabet` symbols of one of four shapes: random, geometric, a 0.35-probability top symbol
    /// with the rest spread, or one huge symbol among singletons.
    private func counts(alphabet: Int, tableLog: Int, shape: Int, rng: inout SplitMix64) -> [UInt64] {
        var counts = [UInt64](repeating: 0, count: alphabet)
        let usedCount = Int.random(in: 1...Swift.min(alphabet, 1 << tableLog), using: &rng)
        let used = Array((0..<alphabet).shuffled(using: &rng).prefix(usedCount))
        switch shape % 4 {
        case 0: for s in used { counts[s] = UInt64.random(in: 1...1000, using: &rng) }
        case 1: var c: UInt64 = 1 << 30; for s in used { counts[s] = c; c = Swift.max(1, c / 2) }
        case 2:
            for s in used { counts[s] = UInt64.random(in: 1...100, using: &rng) }
            let rest = counts.reduce(0, +) - counts[used[0]]
            counts[used[0]] = Swift.max(1, rest * 35 / 65)
        default: for s in used { counts[s] = 1 }; counts[used[0]] = 1 << 20
        }
        return counts
    }

    /// Random and skewed alphabets of 1...4096 symbols, every table log 10...15, messages of 0, 1, 3, 4096
    /// and 65536 + odd symbols (and a few around the lane count): the round trip is exact, the stream fits
    /// `maxBytes`, and its size is the table's ideal coded size plus at most the spread's loss and, per lane,
    /// the first state, the start marker and padding.
    func testRoundTripProperty() throws {
        var rng = SplitMix64(seed: 0x7A45)
        let lengths = [0, 1, 3, 4096, 65_537, 2, 4, 5, 7, 8, 9, 100]
        for trial in 0..<96 {
            let alphabet = [1, 2, 3, 16, 256, 257, 1024, 4096][trial % 8]
            let tableLog = TANSTable.tableLogRange.lowerBound + (trial / 8) % TANSTable.tableLogRange.count
            let counts = counts(alphabet: alphabet, tableLog: tableLog, shape: trial / 3, rng: &rng)
            let count = lengths[trial % lengths.count]
            let symbols = message(counts: counts, count: count, rng: &rng)
            // Code the message's own histogram half the time and the drawing distribution otherwise.
            let table = try TANSTable.build(counts: trial % 2 == 0 && count > 0 ? histogram(symbols, alphabet: alphabet) : counts,
                                            tableLog: tableLog)
            XCTAssertEqual(table.frequencies.reduce(0, +), UInt32(1) << UInt32(tableLog))
            let (stream, sizes) = try encode(symbols, table)
            XCTAssertLessThanOrEqual(stream.count, TANSEncoder.maxBytes(count: count, tableLog: tableLog))
            XCTAssertEqual(try decode(stream, sizes, count: count, table), symbols, "trial \(trial)")
            for lane in 0..<4 {
                XCTAssertEqual(sizes[lane] == 0, TANSEncoder.laneCount(lane, count: count) == 0, "trial \(trial) lane \(lane)")
                XCTAssertLessThanOrEqual(Int(sizes[lane]), TANSEncoder.maxLaneBytes(lane, count: count, tableLog: tableLog))
            }
            if count > 0 {
                let ideal = table.codedBits(counts: histogram(symbols, alphabet: alphabet))!
                let lanes = (0..<4).filter { TANSEncoder.laneCount($0, count: count) > 0 }.count
                // The spread's loss is well under 1 % on these alphabets (measured: ≤ 0.5 %).
                XCTAssertLessThanOrEqual(Double(8 * stream.count), ideal * 1.01 + Double(lanes * (tableLog + 8)),
                                         "trial \(trial)")
            }
        }
    }

    /// Every message of a two-symbol alphabet up to 9 symbols long, at table log 10: exact round trips.
    func testEveryShortMessageOfTwoSymbols() throws {
        let table = try TANSTable.build(counts: [3, 1], tableLog: 10)
        for count in 0...9 {
            for pattern in 0..<(1 << count) {
                let symbols = (0..<count).map { UInt16((pattern >> $0) & 1) }
                let (stream, sizes) = try encode(symbols, table)
                XCTAssertEqual(try decode(stream, sizes, count: count, table), symbols, "\(count) symbols, pattern \(pattern)")
            }
        }
    }

    /// The spread gives each symbol exactly its frequency of states, and the decoding table is a bijection
    /// between (state, bits read) and next states: each state's entry leads into `0..<2^L` for every value.
    func testSpreadAndDecodingTable() throws {
        var rng = SplitMix64(seed: 11)
        for tableLog in TANSTable.tableLogRange {
            let table = try TANSTable.build(counts: counts(alphabet: 4096, tableLog: tableLog, shape: tableLog, rng: &rng),
                                            tableLog: tableLog)
            XCTAssertEqual(histogram(table.spread, alphabet: 4096).map(UInt32.init), table.frequencies)
            // Per symbol, the intervals [base, base + 2^bits) of its states tile 0..<2^L.
            var intervals = [Int: [(Int, Int)]]()
            var next = table.frequencies.map { Int($0) }
            for s in table.spread {
                let x = next[Int(s)]
                next[Int(s)] += 1
                let bits = tableLog - (Int.bitWidth - 1 - x.leadingZeroBitCount)
                intervals[Int(s), default: []].append(((x << bits) - (1 << tableLog), 1 << bits))
            }
            for (s, list) in intervals {
                var end = 0
                for (base, length) in list.sorted(by: { $0.0 < $1.0 }) {
                    XCTAssertEqual(base, end, "symbol \(s) at table log \(tableLog)")
                    end = base + length
                }
                XCTAssertEqual(end, 1 << tableLog, "symbol \(s) at table log \(tableLog)")
            }
        }
        XCTAssertThrowsError(try TANSTable(frequencies: [1, 2], tableLog: 10))
        XCTAssertThrowsError(try TANSTable(frequencies: [1024], tableLog: 9))
        XCTAssertThrowsError(try TANSTable(frequencies: [UInt32](repeating: 0, count: 4097), tableLog: 12))
        XCTAssertThrowsError(try TANSTable.build(counts: [UInt64](repeating: 1, count: 2048), tableLog: 10))
        XCTAssertThrowsError(try TANSTable.build(counts: [0, 0], tableLog: 12))
    }

    /// Random bytes cut into random lane lengths, for random symbol counts and tables: decoding throws or
    /// returns, never reads outside the stream or crashes (run under the address sanitizer by
    /// tools/sanitize.sh).
    func testRandomStreamsNeverCrash() throws {
        var rng = SplitMix64(seed: 0x6A7BA6E)
        var decoders: [TANSDecoder] = []
        for (i, tableLog) in TANSTable.tableLogRange.enumerated() {
            for (j, alphabet) in [2, 17, 256, 4096].enumerated() {
                let counts = counts(alphabet: alphabet, tableLog: tableLog, shape: i + j, rng: &rng)
                decoders.append(TANSDecoder(table: try TANSTable.build(counts: counts, tableLog: tableLog)))
            }
        }
        var accepted = 0
        for trial in 0..<3000 {
            let decoder = decoders[trial % decoders.count]
            let count = Int.random(in: 0...200, using: &rng)
            var sizes = StreamSizes(0, 0, 0, 0)
            for lane in 0..<4 where TANSEncoder.laneCount(lane, count: count) > 0 || Int.random(in: 0..<8, using: &rng) == 0 {
                sizes[lane] = UInt32.random(in: 0...40, using: &rng)
            }
            let bytes = (0..<sizes.total).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if (try? decode(bytes, sizes, count: count, decoder)) != nil { accepted += 1 }
        }
        // Random bytes almost never pass the end checks.
        XCTAssertLessThan(accepted, 30)
    }

    /// `decodeWords` gives back the words `splitWords` and `encode` took, for bf16 and f16 splits, messages
    /// around the stretch and group sizes, table logs 12 and 15; wrong raw lengths are refused.
    func testDecodeWordsRoundTrip() throws {
        var rng = SplitMix64(seed: 0x30_2D5)
        var splits: [ElementSplit] = []
        for layout in [FloatLayout.bf16, .f16] {
            for k in 0...4 {
                for sign in [false, true] {
                    if let split = try? ElementSplit(layout: layout, symbolMantissaBits: k, signInSymbol: sign) { splits.append(split) }
                }
            }
        }
        let counts = [0, 1, 15, 16, 17, 47, 48, 1023, 1024, 1025, 3000, 65_537]
        for trial in 0..<(2 * splits.count) {
            let split = splits[trial % splits.count]
            // Every split meets a long message once and short ones otherwise.
            let count = trial < splits.count ? [1025, 3000][trial % 2] : counts[trial % counts.count]
            let words = gaussianBF16(count: count, sigma: 0.02, rng: &rng)
            var symbols = [UInt16](repeating: 0, count: count)
            var raw = [UInt8](repeating: 0, count: RawBitPacking.byteCount(count: count, width: split.rawBits))
            words.withUnsafeBufferPointer { w in
                symbols.withUnsafeMutableBufferPointer { s in
                    raw.withUnsafeMutableBytes { split.splitWords(w.baseAddress ?? UnsafePointer(bitPattern: 8)!, count: count,
                                                                  symbols: s.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!, raw: $0) }
                }
            }
            for tableLog in [12, 15] {
                var counts = [UInt64](repeating: 0, count: split.alphabetSize)
                for x in symbols { counts[Int(x)] += 1 }
                if count == 0 { counts[0] = 1 }
                let table = try TANSTable.build(counts: counts, tableLog: tableLog)
                let (stream, sizes) = try encode(symbols, table)
                let decoder = TANSDecoder(table: table)
                func decodeWords(_ raw: [UInt8]) throws -> [UInt16] {
                    var out = [UInt16](repeating: 0xFFFF, count: Swift.max(count, 1))
                    try stream.withUnsafeBytes { st in
                        try raw.withUnsafeBytes { r in
                            try out.withUnsafeMutableBufferPointer {
                                try decoder.decodeWords(st, sizes: sizes, count: count, raw: r, split: split, into: $0.baseAddress!)
                            }
                        }
                    }
                    return Array(out.prefix(count))
                }
                XCTAssertEqual(try decodeWords(raw), words, "\(split), \(count) words, 2^\(tableLog)")
                XCTAssertThrowsError(try decodeWords(raw + [0]))
                if !raw.isEmpty { XCTAssertThrowsError(try decodeWords(Array(raw.dropLast()))) }
            }
        }
    }

    /// Byte symbols (FP8 as df11 codes them) encode to the same streams as the bytes widened, and
    /// `decodeBytes` gives the bytes back: messages around a round's 16 symbols and the checked tail, table
    /// logs 10, 12 and 15; a symbol without frequency is refused; a truncated stream is refused.
    func testByteSymbolsEncodeAndDecodeAsWidenedOnes() throws {
        var rng = SplitMix64(seed: 0xB17E)
        for (trial, count) in [1, 15, 16, 17, 63, 64, 65, 1000, 4096, 65_537].enumerated() {
            let bytes = gaussianBF16(count: count, sigma: 0.02, rng: &rng).map { UInt8(truncatingIfNeeded: $0 >> 4) }
            var counts = [UInt64](repeating: 0, count: 256)
            for b in bytes { counts[Int(b)] += 1 }
            for tableLog in [10, 12, 15] {
                let table = try TANSTable.build(counts: counts, tableLog: tableLog)
                let (wide, wideSizes) = try encode(bytes.map { UInt16($0) }, table)
                var out = [UInt8](repeating: 0xA5, count: TANSEncoder.maxBytes(count: count, tableLog: tableLog))
                let sizes = try bytes.withUnsafeBufferPointer { b in
                    try out.withUnsafeMutableBytes { try TANSEncoder(table: table).encode(b, into: $0) }
                }
                XCTAssertEqual(sizes, wideSizes, "trial \(trial), 2^\(tableLog)")
                XCTAssertEqual(Array(out.prefix(sizes.total)), wide, "trial \(trial), 2^\(tableLog)")
                func decodeBytes(_ stream: [UInt8], _ sizes: StreamSizes) throws -> [UInt8] {
                    var decoded = [UInt8](repeating: 0, count: count)
                    var scratch = [UInt16](repeating: 0xFFFF, count: count)
                    try stream.withUnsafeBytes { s in
                        try scratch.withUnsafeMutableBufferPointer { scratch in
                            try decoded.withUnsafeMutableBufferPointer {
                                try TANSDecoder(table: table).decodeBytes(s, sizes: sizes, count: count, scratch: scratch, into: $0.baseAddress!)
                            }
                        }
                    }
                    return decoded
                }
                XCTAssertEqual(try decodeBytes(wide, sizes), bytes, "trial \(trial), 2^\(tableLog)")
                var cut = sizes
                let last = (0..<4).last { sizes[$0] > 0 }!
                cut[last] -= 1
                XCTAssertThrowsError(try decodeBytes(Array(wide.dropLast()), cut), "trial \(trial), 2^\(tableLog)")
            }
        }
        let table = try TANSTable.build(counts: [5, 0, 3], tableLog: 12)
        var out = [UInt8](repeating: 0, count: TANSEncoder.maxBytes(count: 3, tableLog: 12))
        XCTAssertThrowsError(try ([0, 1, 2] as [UInt8]).withUnsafeBufferPointer { b in
            try out.withUnsafeMutableBytes { try TANSEncoder(table: table).encode(b, into: $0) }
        })
    }

    func testSymbolWithoutFrequencyIsAnErrorNotAStream() throws {
        let table = try TANSTable.build(counts: [5, 0, 3], tableLog: 12)
        for bad: UInt16 in [1, 3, 4095, 4096, 0xFFFF] {
            for position in 0..<5 {
                var symbols: [UInt16] = [0, 2, 0, 0, 2]
                symbols[position] = bad
                XCTAssertThrowsError(try encode(symbols, table)) { error in
                    guard case EntropyCodingError.exponentWithoutCode = error else { return XCTFail("\(error)") }
                }
            }
        }
    }

    /// A truncated, extended or re-cut stream is always refused; a single flipped bit is refused or decodes
    /// to other symbols (which the container's checksum catches) and never crashes; the final-state and
    /// whole-stream checks refuse most flips on their own.
    func testDamagedStreamsAreRejectedWithoutCrashing() throws {
        var rng = SplitMix64(seed: 99)
        let counts = damageTestCounts
        for tableLog in [10, 12, 15] {
            let table = try TANSTable.build(counts: counts, tableLog: tableLog)
            let decoder = TANSDecoder(table: table)
            let symbols = message(counts: counts, count: 1001, rng: &rng)
            let (stream, sizes) = try encode(symbols, table)
            // Truncations: any lane shortened (the sizes saying so, or not).
            for lane in 0..<4 {
                let laneStart = (0..<lane).reduce(0) { $0 + Int(sizes[$1]) }
                for cut in 1...Int(sizes[lane]) {
                    var short = sizes
                    short[lane] -= UInt32(cut)
                    var bytes = stream
                    bytes.removeSubrange((laneStart + Int(sizes[lane]) - cut)..<(laneStart + Int(sizes[lane])))
                    XCTAssertThrowsError(try decode(bytes, short, count: symbols.count, decoder), "lane \(lane) cut \(cut)")
                }
            }
            for cut in 1..<stream.count {
                XCTAssertThrowsError(try decode(Array(stream.prefix(cut)), sizes, count: symbols.count, decoder))
            }
            var longer = sizes
            longer[3] += 2
            XCTAssertThrowsError(try decode(stream + [0, 0], longer, count: symbols.count, decoder))
            XCTAssertThrowsError(try decode(stream + [1, 0], longer, count: symbols.count, decoder))
            var moved = sizes
            moved[0] += 1; moved[1] -= 1
            XCTAssertThrowsError(try decode(stream, moved, count: symbols.count, decoder))
            XCTAssertThrowsError(try decode(stream, sizes, count: symbols.count + 1, decoder))
            XCTAssertThrowsError(try decode(stream, sizes, count: symbols.count - 1, decoder))
            XCTAssertEqual(try decode([], StreamSizes(0, 0, 0, 0), count: 0, decoder), [])
            XCTAssertThrowsError(try decode([0x80], StreamSizes(1, 0, 0, 0), count: 0, decoder))
            var detected = 0, flips = 0
            for position in 0..<(8 * stream.count) {
                var damaged = stream
                damaged[position / 8] ^= UInt8(1 << (position % 8))
                flips += 1
                if let decoded = try? decode(damaged, sizes, count: symbols.count, decoder) {
                    // Accepted damage still changes the message (the container's checksum catches it).
                    XCTAssertNotEqual(decoded, symbols, "flip \(position) at table log \(tableLog)")
                } else {
                    detected += 1
                }
            }
            // tANS resynchronizes after most damage, so the structure checks alone refuse about 9 flips in 10
            // at table log 10 and more at larger logs (measured 88 %, 94 %, 99.5 % at 10, 12, 15).
            XCTAssertGreaterThan(detected, flips * 8 / 10, "table log \(tableLog)")
        }
    }
}
