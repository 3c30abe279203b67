/// Encodes messages of symbols with a `TANSTable` into four interleaved streams.
///
/// **Stream** (the building block's; not in the DF11 format yet). Symbol `i` of a message of `count` symbols
/// goes to lane `i % 4`; each lane has its own bitstream, and the four are concatenated in lane order, their
/// byte lengths returned as `StreamSizes`. A lane without symbols has an empty stream. Otherwise its stream,
/// read LSB-first (bit `b` is bit `b % 8` of byte `b / 8`), holds:
///
/// 1. `p ∈ 0...7` zero bits and a one bit (the start marker; `p` makes the stream whole bytes),
/// 2. `L` bits: the decoder's first state `u` (`L` = the table log),
/// 3. for each of the lane's symbols in message order, the `b` bits the decoder reads after it (see
///    `TANSTable`: the value's least significant bit first).
///
/// After its last symbol every lane's state is 0, the encoder's initial state, and every bit is read: the
/// decoder checks both. A symbol costs at most `L` bits, so a lane of `n` symbols takes at most
/// `⌈(n·L + L + 1) / 8⌉` bytes (`maxLaneBytes`; `maxBytes` is the room `encode` needs, a little more).
///
/// The encoder runs backwards, as every ANS coder: with `x = 2^L + u`, coding `s` emits the `b` low bits of
/// `x` where `b` is the one count for which `x >> b ∈ [f(s), 2f(s))`, then moves to the state whose position
/// is that value's in `s`'s list of states.
public struct TANSEncoder: Sendable {
    public let table: TANSTable
    /// One table of 8-byte words, so that the coding loop needs one base register for both lookups: entries
    /// 0...16 are the masks `2^b − 1` of the bits a symbol emits; entry `17 + s` is symbol `s`'s FSE transform,
    /// `deltaNbBits` in its low 32 bits and `deltaFindState` (signed) in its high 32. The bit count is
    /// `(x + deltaNbBits) >> 16`, the next state `nextStates[(x >> bits) + deltaFindState]`. A symbol without
    /// frequency gets `L` bits and index `2^L`, the one index of `nextStates` past the states: the loop ORs the
    /// indices together and so learns of it without a branch.
    private let codes: [UInt64]
    static let transformsStart = 17
    /// `2^L + u` for the states `u` of each symbol, grouped by symbol (in cumulative-frequency order), each
    /// group in increasing `u`.
    private let nextStates: [UInt16]

    /// The number of interleaved lanes (streams).
    public static let laneCount = 4
    /// Bytes below each lane's region that a flush may scribble on before the lane is complete.
    static let laneSlack = 8

    public init(table: TANSTable) {
        self.table = table
        let log = table.tableLog
        let size = 1 << log
        var cumulative = [Int](repeating: 0, count: table.frequencies.count)
        var total = 0
        var codes = (0...16).map { UInt64((1 << $0) - 1) }
        let missing = UInt64(UInt32(truncatingIfNeeded: (log << 16) - size)) | UInt64(UInt32(bitPattern: Int32(size - 1))) << 32
        codes += [UInt64](repeating: missing, count: TANSTable.maxAlphabet)
        for (s, f) in table.frequencies.enumerated() {
            cumulative[s] = total
            guard f > 0 else { continue }
            let f = Int(f)
            // b is maxBits for x ≥ f·2^maxBits, else maxBits − 1 (maxBits = L − ⌊log2(f − 1)⌋; L for f = 1).
            let maxBits = f == 1 ? log : log - (Int.bitWidth - 1 - (f - 1).leadingZeroBitCount)
            codes[Self.transformsStart + s] = UInt64(UInt32(truncatingIfNeeded: (maxBits << 16) - (f << maxBits)))
                | UInt64(UInt32(bitPattern: Int32(total - f))) << 32
            total += f
        }
        // One more entry (a valid state) for the symbols without frequency.
        var nextStates = [UInt16](repeating: UInt16(size), count: size + 1)
        nextStates.withUnsafeMutableBufferPointer { nextStates in
            cumulative.withUnsafeMutableBufferPointer { cumulative in
                table.spread.withUnsafeBufferPointer { spread in
                    for u in 0..<size {
                        let s = Int(spread[u])
                        nextStates[cumulative[s]] = UInt16(truncatingIfNeeded: size &+ u)
                        cumulative[s] &+= 1
                    }
                }
            }
        }
        self.codes = codes
        self.nextStates = nextStates
    }

    /// The number of symbols lane `lane` (0...3) holds in a message of `count` symbols.
    @inlinable
    public static func laneCount(_ lane: Int, count: Int) -> Int { Swift.max(0, (count - lane + 3) / 4) }

    /// The most bytes lane `lane`'s stream can take for a message of `count` symbols at `tableLog`.
    public static func maxLaneBytes(_ lane: Int, count: Int, tableLog: Int) -> Int {
        let n = laneCount(lane, count: count)
        return n == 0 ? 0 : (n * tableLog + tableLog + 1 + 7) / 8
    }

    /// The room `encode` needs for a message of `count` symbols at `tableLog`: the four streams at their
    /// largest, and a few bytes of working room each.
    public static func maxBytes(count: Int, tableLog: Int) -> Int {
        count == 0 ? 0 : (0..<laneCount).reduce(0) { $0 + maxLaneBytes($1, count: count, tableLog: tableLog) + laneSlack }
    }

    /// Encodes `symbols` into the start of `out` (the four streams, concatenated) and returns their sizes.
    ///
    /// - Preconditions: `out.count ≥ maxBytes(count: symbols.count, tableLog: table.tableLog)`.
    /// - Throws: `EntropyCodingError.exponentWithoutCode` for a symbol the table cannot code (outside the
    ///   alphabet or of frequency 0).
    public func encode(_ symbols: UnsafeBufferPointer<UInt16>, into out: UnsafeMutableRawBufferPointer) throws -> StreamSizes {
        try encodeSymbols(symbols, into: out)
    }

    /// `encode` for symbols that are whole bytes (FP8 elements as they lie in the tensor): the same streams as
    /// encoding the bytes widened to `UInt16`, without the copy.
    public func encode(_ symbols: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableRawBufferPointer) throws -> StreamSizes {
        try encodeSymbols(symbols, into: out)
    }

    @inline(__always)
    private func encodeSymbols<Symbol: FixedWidthInteger & UnsignedInteger>(
        _ symbols: UnsafeBufferPointer<Symbol>, into out: UnsafeMutableRawBufferPointer
    ) throws -> StreamSizes {
        let count = symbols.count
        let log = table.tableLog
        precondition(out.count >= Self.maxBytes(count: count, tableLog: log), "tANS output buffer below maxBytes")
        if count == 0 { return StreamSizes(0, 0, 0, 0) }
        // Symbols past the tables' 4096 are refused before coding (the loop indexes the tables by 12 bits).
        if Symbol.bitWidth > 12 {
            var all: Symbol = 0
            for s in symbols { all |= s }
            if all > 0x0FFF { throw invalidSymbol(symbols) }
        }
        let base = out.baseAddress!
        // Each lane writes backwards from the end of its own region; the streams are moved together after.
        var ends = [Int](repeating: 0, count: 4)
        var end = 0
        for lane in 0..<4 {
            end += Self.maxLaneBytes(lane, count: count, tableLog: log) + Self.laneSlack
            ends[lane] = end
        }
        var w0 = BackwardBitWriter(end: ends[0]), w1 = BackwardBitWriter(end: ends[1])
        var w2 = BackwardBitWriter(end: ends[2]), w3 = BackwardBitWriter(end: ends[3])
        let size = 1 << log
        var x0 = size, x1 = size, x2 = size, x3 = size
        var indices = 0
        codes.withUnsafeBufferPointer { codes in
            nextStates.withUnsafeBufferPointer { nextStates in
                let c = codes.baseAddress!, next = nextStates.baseAddress!
                @inline(__always) func put(_ x: inout Int, _ writer: inout BackwardBitWriter, _ symbol: Symbol) {
                    let transform = c[Self.transformsStart &+ Int(truncatingIfNeeded: symbol)]
                    let bits = (x &+ Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: transform))) &>> 16
                    writer.put(UInt64(truncatingIfNeeded: x) & c[bits], bits)
                    let index = (x &>> bits) &+ Int(truncatingIfNeeded: Int64(bitPattern: transform) &>> 32)
                    indices |= index
                    x = Int(truncatingIfNeeded: next[index])
                }
                @inline(__always) func flush() {
                    w0.flush(base); w1.flush(base); w2.flush(base); w3.flush(base)
                }
                var i = count - 1
                while i >= 0 && i % 4 != 3 {
                    switch i % 4 {
                    case 0: put(&x0, &w0, symbols[i])
                    case 1: put(&x1, &w1, symbols[i])
                    default: put(&x2, &w2, symbols[i])
                    }
                    i -= 1
                }
                flush()
                // Between two flushes a writer takes at most 4 symbols of ≤ 14 bits or 3 of 15 on top of
                // its ≤ 7 pending bits: at most 63.
                let perFlush = log <= 14 ? 4 : 3
                while i >= 4 * perFlush - 1 {
                    for _ in 0..<perFlush {
                        put(&x3, &w3, symbols[i]); put(&x2, &w2, symbols[i - 1])
                        put(&x1, &w1, symbols[i - 2]); put(&x0, &w0, symbols[i - 3])
                        i -= 4
                    }
                    flush()
                }
                while i >= 3 {
                    put(&x3, &w3, symbols[i]); put(&x2, &w2, symbols[i - 1])
                    put(&x1, &w1, symbols[i - 2]); put(&x0, &w0, symbols[i - 3])
                    i -= 4
                    flush()
                }
            }
        }
        // An index of 2^L or more: a symbol without frequency.
        if indices >= size { throw invalidSymbol(symbols) }
        // Each non-empty lane: its first state, the start marker, zero bits to a whole byte.
        var sizes = StreamSizes(0, 0, 0, 0)
        var writers = [w0, w1, w2, w3]
        let states = [x0, x1, x2, x3]
        var destination = 0
        for lane in 0..<4 where Self.laneCount(lane, count: count) > 0 {
            writers[lane].put(UInt64(states[lane] - size), log)
            writers[lane].put(1, 1)
            let start = writers[lane].finish(base)
            let length = ends[lane] - start
            if start != destination { (base + destination).copyMemory(from: base + start, byteCount: length) }
            sizes[lane] = UInt32(length)
            destination += length
        }
        return sizes
    }

    /// The error for the first symbol of `symbols` the table cannot code.
    private func invalidSymbol<Symbol: FixedWidthInteger & UnsignedInteger>(_ symbols: UnsafeBufferPointer<Symbol>) -> EntropyCodingError {
        let frequencies = table.frequencies
        let first = (0..<symbols.count).first { (i: Int) -> Bool in
            let s = Int(symbols[i])
            return s >= frequencies.count || frequencies[s] == 0
        } ?? 0
        return .exponentWithoutCode("symbol \(first) of the message (\(symbols[first])) has no tANS frequency")
    }
}

/// Writes a bitstream backwards: each `put` goes below the bits already written (so a forward LSB-first
/// reader meets the last value first); `flush` stores the whole bytes, below those stored before.
struct BackwardBitWriter {
    /// The bits not yet stored, most recent lowest, under a marker bit: `pending` bits under a 1 at bit
    /// `pending` (so the count needs no register of its own in the coding loop).
    private var accumulator: UInt64 = 1
    /// The byte offset of the lowest byte stored.
    private(set) var position: Int

    init(end: Int) { position = end }

    /// The number of bits not yet stored (0...63).
    @inline(__always)
    private var pending: Int { 63 &- accumulator.leadingZeroBitCount }

    /// Puts the `count` (0...16) low bits of `value` (no bits above them set) below the bits written so far.
    /// At most 63 bits may be pending: flush in time.
    @inline(__always)
    mutating func put(_ value: UInt64, _ count: Int) {
        accumulator = accumulator &<< UInt64(truncatingIfNeeded: count) | value
    }

    /// Stores the pending whole bytes below `position`, keeping the remaining bits (< 8). Stores 8 bytes
    /// whatever their number, so up to 8 bytes below `position` may be overwritten (the lane's slack).
    @inline(__always)
    mutating func flush(_ base: UnsafeMutableRawPointer) {
        let pending = self.pending
        let aligned = accumulator &<< UInt64(truncatingIfNeeded: 64 &- pending)
        base.storeBytes(of: aligned.littleEndian, toByteOffset: position &- 8, as: UInt64.self)
        position &-= pending &>> 3
        let kept = UInt64(truncatingIfNeeded: pending & 7)
        accumulator = accumulator & ((1 &<< kept) &- 1) | 1 &<< kept
    }

    /// Pads with zero bits below to a whole byte, stores what is pending, and returns the stream's first byte.
    mutating func finish(_ base: UnsafeMutableRawPointer) -> Int {
        var pending = self.pending
        let padding = (8 - pending % 8) % 8
        let bits = (accumulator & ((1 << UInt64(pending)) - 1)) << UInt64(padding)
        pending += padding
        while pending > 0 {
            pending -= 8
            position -= 1
            base.storeBytes(of: UInt8(truncatingIfNeeded: bits >> UInt64(pending)), toByteOffset: position, as: UInt8.self)
        }
        accumulator = 1
        return position
    }
}
