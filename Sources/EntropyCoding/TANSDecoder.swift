/// Decodes the four interleaved streams `TANSEncoder` writes, with the same table.
///
/// One table entry per state gives the symbol, the bits to read and the next state's base; the
/// four lanes are four independent dependency chains, each reading its own stream through a 64-bit window
/// refilled once per round. Rounds that cannot leave any stream run without checks; the rest of each message
/// is decoded with every read checked.
///
/// **What it guarantees on damaged input.** It never reads outside `stream` and never crashes (every table
/// entry leads to a valid state, whatever bits follow). It throws `EntropyCodingError.corruptStream` when
/// the sizes do not add up to the stream, a lane's stream is empty where it must hold symbols (or the
/// reverse), lacks its start marker, ends before its symbols do, leaves bits unread, or ends in a state other
/// than 0. A truncated or extended stream is therefore always refused. A changed bit is refused unless the
/// damaged lane's decoding falls back into step with the encoder's (tANS decoders resynchronize after a few
/// symbols), which happens often enough that these checks refuse only 88 %, 94 % and 99.5 % of single-bit
/// flips at table logs 10, 12 and 15 (`TANSTests`); an accepted flip always decodes to other symbols
/// (decoding is the inverse of the deterministic encoder, so only the encoder's own stream yields the
/// message), which the container's block checksum catches. It does not promise that every changed bit throws.
public struct TANSDecoder: Sendable {
    public let table: TANSTable
    /// Per state, 8 bytes (`DecodingEntry`): the bit count, the symbol, the mask of the bits to read and the
    /// next state's base, each loaded on its own so that a step needs almost no arithmetic.
    private let entries: [UInt64]

    public init(table: TANSTable) {
        self.table = table
        let log = table.tableLog
        let size = 1 << log
        var next = table.frequencies.map { Int($0) }
        var entries = [UInt64](repeating: 0, count: size)
        entries.withUnsafeMutableBufferPointer { entries in
            next.withUnsafeMutableBufferPointer { next in
                table.spread.withUnsafeBufferPointer { spread in
                    for u in 0..<size {
                        let s = Int(spread[u])
                        let x = next[s]
                        next[s] = x &+ 1
                        let bits = log &- (Int.bitWidth &- 1 &- x.leadingZeroBitCount)
                        entries[u] = DecodingEntry.make(bits: bits, symbol: UInt16(truncatingIfNeeded: s),
                                                        base: (x &<< bits) &- size)
                    }
                }
            }
        }
        self.entries = entries
    }

    /// Decodes `count` symbols from `stream` (the four lanes' streams concatenated, `sizes` their lengths)
    /// into `out`.
    ///
    /// - Preconditions: `out.count ≥ count`.
    /// - Throws: `EntropyCodingError.corruptStream` for a stream that is not exactly the encoding of `count`
    ///   symbols with this table, as far as the type's checks can tell (see the type's documentation).
    public func decode(_ stream: UnsafeRawBufferPointer, sizes: StreamSizes, count: Int,
                       into out: UnsafeMutableBufferPointer<UInt16>) throws(EntropyCodingError) {
        var sink = SymbolStore(out: out.baseAddress ?? UnsafeMutablePointer(bitPattern: 2)!)
        _ = try decode(stream, sizes: sizes, count: count, into: out, sink: &sink, fastLimit: count, decoded: nil)
    }

    /// `decode` for a table of at most 256 symbols, straight into bytes (FP8 elements as df11 splits them): the
    /// fast rounds store bytes; the checked rest goes through `scratch` (at least `count` long) and is copied.
    ///
    /// - Throws: `EntropyCodingError.corruptStream` as `decode` does.
    public func decodeBytes(_ stream: UnsafeRawBufferPointer, sizes: StreamSizes, count: Int,
                            scratch: UnsafeMutableBufferPointer<UInt16>, into bytes: UnsafeMutablePointer<UInt8>) throws(EntropyCodingError) {
        precondition(table.frequencies.count <= 256, "decodeBytes needs an alphabet of at most 256 symbols")
        var sink = ByteStore(out: bytes)
        let fastEnd = try decode(stream, sizes: sizes, count: count, into: scratch, sink: &sink, fastLimit: count, decoded: nil)
        for i in fastEnd..<count { bytes[i] = UInt8(truncatingIfNeeded: scratch[i]) }
    }

    /// Decodes 2-byte elements whose symbols are this stream and whose raw bits are `raw` (`RawBitPacking`
    /// of `split.rawBits` per element, exactly `RawBitPacking.byteCount` bytes; `split` without planes):
    /// `decode` and `ElementSplit.joinWords` in one pass, each stretch of about a thousand symbols joined
    /// while it is still in the L1 cache, in place in `words`.
    ///
    /// - Throws: `EntropyCodingError.corruptStream` as `decode` and `joinWords` do.
    public func decodeWords(_ stream: UnsafeRawBufferPointer, sizes: StreamSizes, count: Int, raw: UnsafeRawBufferPointer,
                            split: ElementSplit, into words: UnsafeMutablePointer<UInt16>) throws(EntropyCodingError) {
        precondition(split.layout.width == 2 && split.planeCount == 0, "decodeWords is for 2-byte elements without planes")
        let width = split.rawBits
        guard raw.count == RawBitPacking.byteCount(count: count, width: width) else {
            throw .corruptStream("\(raw.count) bytes of raw bits for \(count) elements of \(width) bits")
        }
        let out = UnsafeMutableBufferPointer(start: words, count: count)
        // BF16 splits with the sign raw, at table logs up to 14 (16 elements a round): the join happens inside
        // the decoding rounds, with constant shifts. Rounds stop 8 elements early so that their 8-byte loads of
        // raw bits stay inside `raw`; the rest is joined after.
        if split.layout == .bf16, !split.signInSymbol, split.symbolMantissaBits <= 4, table.tableLog <= 14, let base = raw.baseAddress {
            let fastEnd: Int
            switch split.symbolMantissaBits {
            case 0: var sink = BF16WordStore<BF16RawK0>(words: words, raw: base); fastEnd = try decode(stream, sizes: sizes, count: count, into: out, sink: &sink, fastLimit: count - 8, decoded: nil)
            case 1: var sink = BF16WordStore<BF16RawK1>(words: words, raw: base); fastEnd = try decode(stream, sizes: sizes, count: count, into: out, sink: &sink, fastLimit: count - 8, decoded: nil)
            case 2: var sink = BF16WordStore<BF16RawK2>(words: words, raw: base); fastEnd = try decode(stream, sizes: sizes, count: count, into: out, sink: &sink, fastLimit: count - 8, decoded: nil)
            case 3: var sink = BF16WordStore<BF16RawK3>(words: words, raw: base); fastEnd = try decode(stream, sizes: sizes, count: count, into: out, sink: &sink, fastLimit: count - 8, decoded: nil)
            default: var sink = BF16WordStore<BF16RawK4>(words: words, raw: base); fastEnd = try decode(stream, sizes: sizes, count: count, into: out, sink: &sink, fastLimit: count - 8, decoded: nil)
            }
            let first = fastEnd * width / 8
            try split.joinWords(symbols: words + fastEnd, raw: UnsafeRawBufferPointer(rebasing: raw[first...]),
                                count: count - fastEnd, into: words + fastEnd)
            return
        }
        // Otherwise stretches, starting at multiples of 16 elements so that their raw bits start on a byte.
        var sink = SymbolStore(out: words)
        _ = try decode(stream, sizes: sizes, count: count, into: out, sink: &sink, fastLimit: count) {
            (start: Int, end: Int) throws(EntropyCodingError) in
            let first = start * width / 8
            let last = end == count ? raw.count : end * width / 8
            try split.joinWords(symbols: words + start, raw: UnsafeRawBufferPointer(rebasing: raw[first..<last]),
                                count: end - start, into: words + start)
        }
    }

    /// `decode`, the fast rounds handing their symbols to `sink` and stopping by `fastLimit` elements (the
    /// checked rest going to `out`), calling `decoded(start, end)` for each stretch of symbols as it is done
    /// (starts at multiples of 16, at most `stretch` symbols, the last stretch ending at `count`). Returns where
    /// the fast rounds stopped.
    private func decode<Sink: SymbolSink>(_ stream: UnsafeRawBufferPointer, sizes: StreamSizes, count: Int,
                                          into out: UnsafeMutableBufferPointer<UInt16>, sink: inout Sink, fastLimit: Int,
                                          decoded: ((Int, Int) throws(EntropyCodingError) -> Void)?) throws(EntropyCodingError) -> Int {
        precondition(out.count >= count, "tANS output buffer below the symbol count")
        guard sizes.total == stream.count else {
            throw .corruptStream("tANS stream sizes \(sizes) add up to \(sizes.total) bytes, but the stream has \(stream.count)")
        }
        if count == 0 {
            guard stream.isEmpty else { throw .corruptStream("tANS stream of an empty message is not empty") }
            return 0
        }
        let log = table.tableLog
        let base = stream.baseAddress!
        var lanes = [LaneReader]()
        var start = 0
        for lane in 0..<4 {
            let size = Int(sizes[lane])
            let symbols = TANSEncoder.laneCount(lane, count: count)
            guard (size == 0) == (symbols == 0) else {
                throw .corruptStream("tANS lane \(lane) has \(size) bytes for \(symbols) symbols")
            }
            var reader = LaneReader(start: base + start, size: size)
            if symbols > 0 { try reader.begin(lane: lane, tableLog: log) }
            lanes.append(reader)
            start += size
        }
        var r0 = lanes[0], r1 = lanes[1], r2 = lanes[2], r3 = lanes[3]
        let dst = out.baseAddress!
        var i = 0
        var fastEnd = 0
        try entries.withUnsafeBufferPointer { entries throws(EntropyCodingError) in
            let t = UnsafeRawPointer(entries.baseAddress!)
            // Symbols per lane between two refills: a window holds 56 bits.
            let perRefill = log <= 14 ? 4 : 3
            let step = perRefill * log
            // With a `decoded` callback, stretches of about 1,000 symbols (whole groups of 16), else no limit.
            let maxRounds = decoded == nil ? Int.max : Self.stretch / (4 * perRefill) / 4 * 4
            var reported = 0
            while true {
                var rounds = Swift.max(0, fastLimit - i) / (4 * perRefill)
                rounds = Swift.min(rounds, maxRounds, r0.safeRounds(step), r1.safeRounds(step), r2.safeRounds(step), r3.safeRounds(step))
                if let decoded, perRefill == 3 { rounds -= rounds % 4 }  // 12·4 = 48 symbols: a multiple of 16
                if rounds <= 0 { break }
                if perRefill == 4 {
                    Self.fastRounds(rounds, perRefill: 4, t, &sink, &i, &r0, &r1, &r2, &r3)
                } else {
                    Self.fastRounds(rounds, perRefill: 3, t, &sink, &i, &r0, &r1, &r2, &r3)
                }
                if let decoded {
                    try decoded(reported, i)
                    reported = i
                }
            }
            fastEnd = i
            while i < count {
                switch i & 3 {
                case 0: dst[i] = try r0.checkedSymbol(t, lane: 0, index: i)
                case 1: dst[i] = try r1.checkedSymbol(t, lane: 1, index: i)
                case 2: dst[i] = try r2.checkedSymbol(t, lane: 2, index: i)
                default: dst[i] = try r3.checkedSymbol(t, lane: 3, index: i)
                }
                i += 1
            }
            if let decoded, reported < count { try decoded(reported, count) }
        }
        for (lane, reader) in [r0, r1, r2, r3].enumerated() where TANSEncoder.laneCount(lane, count: count) > 0 {
            guard reader.position == 8 * reader.size else {
                throw .corruptStream("tANS lane \(lane) has \(8 * reader.size - reader.position) bits left after its symbols")
            }
            guard reader.state == 0 else {
                throw .corruptStream("tANS lane \(lane) ends in state \(reader.state), not the encoder's initial state 0")
            }
        }
        return fastEnd
    }

    /// Symbols per stretch that `decodeWords` joins at once: 1,024 (2 KiB of symbols, in L1).
    static let stretch = 1024

    /// `rounds` rounds of: refill each lane's window, decode `perRefill` symbols from each, interleaved.
    ///
    /// Each window is refilled with 56 stream bits and a marker bit above them; the bits a round consumed are
    /// read back from where the marker went, so the positions need no update per symbol.
    @inline(__always)
    private static func fastRounds<Sink: SymbolSink>(_ rounds: Int, perRefill: Int, _ t: UnsafeRawPointer, _ sink: inout Sink,
                                                     _ i: inout Int, _ r0: inout LaneReader, _ r1: inout LaneReader,
                                                     _ r2: inout LaneReader, _ r3: inout LaneReader) {
        var s0 = r0.state, s1 = r1.state, s2 = r2.state, s3 = r3.state
        // Each lane's place as one number, its bit offset from the first lane's start (the lanes lie one after the
        // other in one stream): one register per lane and one for them all, not two per lane.
        let base = r0.start
        var a0 = r0.bitOffset(from: base), a1 = r1.bitOffset(from: base)
        var a2 = r2.bitOffset(from: base), a3 = r3.bitOffset(from: base)
        var k = i
        for _ in 0..<rounds {
            var w0 = LaneReader.window56(base, a0), w1 = LaneReader.window56(base, a1)
            var w2 = LaneReader.window56(base, a2), w3 = LaneReader.window56(base, a3)
            sink.beginRound(at: k)
            // Written out: the compiler keeps a loop over `perRefill` otherwise.
            sink.put(step(t, &s0, &w0), 0, k); sink.put(step(t, &s1, &w1), 1, k)
            sink.put(step(t, &s2, &w2), 2, k); sink.put(step(t, &s3, &w3), 3, k)
            sink.put(step(t, &s0, &w0), 4, k); sink.put(step(t, &s1, &w1), 5, k)
            sink.put(step(t, &s2, &w2), 6, k); sink.put(step(t, &s3, &w3), 7, k)
            sink.put(step(t, &s0, &w0), 8, k); sink.put(step(t, &s1, &w1), 9, k)
            sink.put(step(t, &s2, &w2), 10, k); sink.put(step(t, &s3, &w3), 11, k)
            if perRefill == 4 {
                sink.put(step(t, &s0, &w0), 12, k); sink.put(step(t, &s1, &w1), 13, k)
                sink.put(step(t, &s2, &w2), 14, k); sink.put(step(t, &s3, &w3), 15, k)
            }
            k &+= 4 * perRefill
            a0 &+= LaneReader.consumedBits(w0); a1 &+= LaneReader.consumedBits(w1)
            a2 &+= LaneReader.consumedBits(w2); a3 &+= LaneReader.consumedBits(w3)
        }
        r0.setBitOffset(a0, from: base); r1.setBitOffset(a1, from: base)
        r2.setBitOffset(a2, from: base); r3.setBitOffset(a3, from: base)
        i = k
        r0.state = s0; r1.state = s1; r2.state = s2; r3.state = s3
    }

    /// One decoding step: the state's symbol; reads its bits from the window into the next state.
    @inline(__always)
    private static func step(_ t: UnsafeRawPointer, _ state: inout Int, _ window: inout UInt64) -> UInt16 {
        let entry = t + state &<< 3
        let symbol = DecodingEntry.symbol(entry)
        let value = window & DecodingEntry.mask(entry)
        window &>>= DecodingEntry.bits(entry)
        state = DecodingEntry.base(entry) &+ Int(truncatingIfNeeded: value)
        return symbol
    }
}

/// Where the decoder's fast rounds put each symbol: element `k + j` of a round that starts at element `k`.
protocol SymbolSink {
    mutating func beginRound(at k: Int)
    func put(_ symbol: UInt16, _ j: Int, _ k: Int)
}

/// The symbols themselves.
struct SymbolStore: SymbolSink {
    let out: UnsafeMutablePointer<UInt16>
    @inline(__always) mutating func beginRound(at k: Int) {}
    @inline(__always) func put(_ symbol: UInt16, _ j: Int, _ k: Int) { out[k &+ j] = symbol }
}

/// The symbols as bytes (an alphabet of at most 256).
struct ByteStore: SymbolSink {
    let out: UnsafeMutablePointer<UInt8>
    @inline(__always) mutating func beginRound(at k: Int) {}
    @inline(__always) func put(_ symbol: UInt16, _ j: Int, _ k: Int) { out[k &+ j] = UInt8(truncatingIfNeeded: symbol) }
}

/// A BF16 split with k mantissa bits in the symbol and the sign raw, as a type (so its shifts are constants).
protocol BF16RawShape { static var k: Int { get } }
enum BF16RawK0: BF16RawShape { static var k: Int { 0 } }
enum BF16RawK1: BF16RawShape { static var k: Int { 1 } }
enum BF16RawK2: BF16RawShape { static var k: Int { 2 } }
enum BF16RawK3: BF16RawShape { static var k: Int { 3 } }
enum BF16RawK4: BF16RawShape { static var k: Int { 4 } }

/// Whole bf16 words: each symbol joined with its element's packed raw bits (`RawBitPacking`, 8 − k bits:
/// the sign above 7 − k mantissa bits). A round of 16 elements reads their 2·(8 − k) bytes of raw bits with
/// two 8-byte loads; the caller keeps those inside the raw bits.
struct BF16WordStore<Shape: BF16RawShape>: SymbolSink {
    let words: UnsafeMutablePointer<UInt16>
    let raw: UnsafeRawPointer
    var low: UInt64 = 0, high: UInt64 = 0

    init(words: UnsafeMutablePointer<UInt16>, raw: UnsafeRawPointer) {
        self.words = words
        self.raw = raw
    }

    @inline(__always) mutating func beginRound(at k: Int) {
        let width = 8 - Shape.k
        let offset = (k &* width) &>> 3  // k is a multiple of 16: a whole byte
        low = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        high = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset &+ width, as: UInt64.self))
    }

    @inline(__always) func put(_ symbol: UInt16, _ j: Int, _ k: Int) {
        let width = 8 - Shape.k, mantissaBits = 7 - Shape.k
        let field = ((j < 8 ? low : high) &>> UInt64(truncatingIfNeeded: (j & 7) &* width)) & ((1 &<< UInt64(width)) &- 1)
        let sign = (field &>> UInt64(mantissaBits)) &<< 15
        let mantissa = field & ((1 &<< UInt64(mantissaBits)) &- 1)
        words[k &+ j] = UInt16(truncatingIfNeeded: sign | UInt64(symbol) &<< UInt64(mantissaBits) | mantissa)
    }
}

/// The decoder's 8-byte entry for one state, little-endian: byte 0 the number of bits to read (0...15),
/// byte 1 zero, bytes 2–3 the symbol, 4–5 the mask `2^bits − 1`, 6–7 the next state's base.
enum DecodingEntry {
    /// The entry as a little-endian `UInt64` (df11 runs on little-endian hosts only, ARCHITECTURE.md).
    @inline(__always)
    static func make(bits: Int, symbol: UInt16, base: Int) -> UInt64 {
        UInt64(truncatingIfNeeded: bits) | UInt64(symbol) << 16 | UInt64(truncatingIfNeeded: (1 &<< bits) &- 1) << 32
            | UInt64(truncatingIfNeeded: base) << 48
    }

    @inline(__always)
    static func bits(_ entry: UnsafeRawPointer) -> UInt64 { UInt64(entry.load(as: UInt8.self)) }
    @inline(__always)
    static func symbol(_ entry: UnsafeRawPointer) -> UInt16 { entry.load(fromByteOffset: 2, as: UInt16.self) }
    @inline(__always)
    static func mask(_ entry: UnsafeRawPointer) -> UInt64 { UInt64(entry.load(fromByteOffset: 4, as: UInt16.self)) }
    @inline(__always)
    static func base(_ entry: UnsafeRawPointer) -> Int { Int(entry.load(fromByteOffset: 6, as: UInt16.self)) }
}

/// One lane's stream as the decoder reads it: where it is, how far it has read, its state.
struct LaneReader {
    let start: UnsafeRawPointer
    let size: Int
    var position = 0
    var state = 0

    init(start: UnsafeRawPointer, size: Int) {
        self.start = start
        self.size = size
    }

    /// Reads the start marker and the first state.
    mutating func begin(lane: Int, tableLog: Int) throws(EntropyCodingError) {
        let first = start.load(as: UInt8.self)
        guard first != 0 else { throw .corruptStream("tANS lane \(lane) has no start marker in its first byte") }
        position = first.trailingZeroBitCount + 1
        guard position + tableLog <= 8 * size else {
            throw .corruptStream("tANS lane \(lane) ends inside its first state")
        }
        state = Int(truncatingIfNeeded: bits(at: position) & ((1 << UInt64(tableLog)) - 1))
        position += tableLog
    }

    /// How many rounds of at most `step` bits can start with an 8-byte load inside the lane.
    @inline(__always)
    func safeRounds(_ step: Int) -> Int {
        let room = (size - 8) * 8 - position
        return room < 0 ? 0 : room / step + 1
    }

    /// The read position as bits from `base` (at or before the lane's start).
    @inline(__always)
    func bitOffset(from base: UnsafeRawPointer) -> Int { (start - base) &* 8 &+ position }

    /// Sets the read position from bits counted from `base`.
    @inline(__always)
    mutating func setBitOffset(_ offset: Int, from base: UnsafeRawPointer) { position = offset &- (start - base) &* 8 }

    /// The 56 bits from bit `offset` of `base` with a marker bit (bit 56) above them; the caller guarantees the
    /// 8 bytes from its byte are inside the lane.
    @inline(__always)
    static func window56(_ base: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        let bytes = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset &>> 3, as: UInt64.self))
        return (bytes &>> UInt64(truncatingIfNeeded: offset & 7)) & (1 << 56 - 1) | 1 << 56
    }

    /// The bits consumed from a `window56` window, found from where its marker went.
    @inline(__always)
    static func consumedBits(_ window: UInt64) -> Int { window.leadingZeroBitCount &- 7 }

    /// Up to 64 bits from bit `position` (bits past the end of the lane read as 0).
    func bits(at position: Int) -> UInt64 {
        let byte = position >> 3
        var window: UInt64
        if byte + 8 <= size {
            window = UInt64(littleEndian: start.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
        } else {
            window = 0
            for b in 0..<Swift.max(0, size - byte) {
                window |= UInt64(start.load(fromByteOffset: byte + b, as: UInt8.self)) << UInt64(8 * b)
            }
        }
        return window >> UInt64(position & 7)
    }

    /// One decoding step with the read checked against the lane's end.
    mutating func checkedSymbol(_ t: UnsafeRawPointer, lane: Int, index: Int) throws(EntropyCodingError) -> UInt16 {
        let entry = t + 8 * state
        let count = Int(DecodingEntry.bits(entry))
        guard position + count <= 8 * size else {
            throw .corruptStream("tANS lane \(lane) ends inside the bits of symbol \(index)")
        }
        state = DecodingEntry.base(entry) + Int(bits(at: position) & DecodingEntry.mask(entry))
        position += count
        return DecodingEntry.symbol(entry)
    }
}
