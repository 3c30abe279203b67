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
/// `⌈(n·L + L + 1) / 8⌉` bytes (`maxBytes`).
///
/// The encoder runs backwards, as every ANS coder: with `x = 2^L + u`, coding `s` emits the `b` low bits of
/// `x` where `b` is the one count for which `x >> b ∈ [f(s), 2f(s))`, then moves to the state whose position
/// is that value's in `s`'s list of states.
public struct TANSEncoder: Sendable {
    public let table: TANSTable
    /// Per symbol of 0..<4096: `deltaNbBits` (bits 0–31) and `deltaFindState + 2^L` (bits 32–63), as FSE's
    /// symbol transform. `b = (x + deltaNbBits) >> 16`, next index `(x >> b) + deltaFindState`. A symbol
    /// without frequency gets `b = 16` (which flags it) and index 0.
    private let transforms: [UInt64]
    /// `2^L + u` for the states `u` of each symbol, grouped by symbol (in cumulative-frequency order), each
    /// group in increasing `u`.
    private let nextStates: [UInt16]

    /// The number of interleaved lanes (streams).
    public static let laneCount = 4

    public init(table: TANSTable) {
        self.table = table
        let log = table.tableLog
        let size = 1 << log
        var cumulative = [Int](repeating: 0, count: table.frequencies.count)
        var total = 0
        var transforms = [UInt64](repeating: UInt64(1) << 20 | UInt64(size) << 32, count: TANSTable.maxAlphabet)
        for (s, f) in table.frequencies.enumerated() {
            cumulative[s] = total
            guard f > 0 else { continue }
            let f = Int(f)
            // b is maxBits for x ≥ f·2^maxBits, else maxBits − 1 (maxBits = L − ⌊log2(f − 1)⌋; L for f = 1).
            let maxBits = f == 1 ? log : log - (Int.bitWidth - 1 - (f - 1).leadingZeroBitCount)
            let deltaNbBits = (maxBits << 16) - (f << maxBits)
            let deltaFindState = total - f
            transforms[s] = UInt64(UInt32(deltaNbBits)) | UInt64(UInt32(deltaFindState + size)) << 32
            total += f
        }
        var nextStates = [UInt16](repeating: 0, count: size)
        for (u, s) in table.spread.enumerated() {
            nextStates[cumulative[Int(s)]] = UInt16(size + u)
            cumulative[Int(s)] += 1
        }
        self.transforms = transforms
        self.nextStates = nextStates
    }

    /// The number of symbols lane `lane` (0...3) holds in a message of `count` symbols.
    @inlinable
    public static func laneCount(_ lane: Int, count: Int) -> Int { Swift.max(0, (count - lane + 3) / 4) }

    /// The most bytes lane `lane` can take for a message of `count` symbols at `tableLog`.
    public static func maxLaneBytes(_ lane: Int, count: Int, tableLog: Int) -> Int {
        let n = laneCount(lane, count: count)
        return n == 0 ? 0 : (n * tableLog + tableLog + 1 + 7) / 8
    }

    /// The most bytes a message of `count` symbols can take at `tableLog`.
    public static func maxBytes(count: Int, tableLog: Int) -> Int {
        (0..<laneCount).reduce(0) { $0 + maxLaneBytes($1, count: count, tableLog: tableLog) }
    }

    /// Encodes `symbols` into the start of `out` (the four streams, concatenated) and returns their sizes.
    ///
    /// - Preconditions: `out.count ≥ maxBytes(count: symbols.count, tableLog: table.tableLog)`.
    /// - Throws: `EntropyCodingError.exponentWithoutCode` for a symbol the table cannot code (outside the
    ///   alphabet or of frequency 0).
    public func encode(_ symbols: UnsafeBufferPointer<UInt16>, into out: UnsafeMutableRawBufferPointer) throws -> StreamSizes {
        let count = symbols.count
        let log = table.tableLog
        precondition(out.count >= Self.maxBytes(count: count, tableLog: log), "tANS output buffer below maxBytes")
        if count == 0 { return StreamSizes(0, 0, 0, 0) }
        let base = out.baseAddress!
        // Each lane writes backwards from the end of its own region; the streams are moved together after.
        var ends = [Int](repeating: 0, count: 4)
        var end = 0
        for lane in 0..<4 {
            end += Self.maxLaneBytes(lane, count: count, tableLog: log)
            ends[lane] = end
        }
        var w0 = BackwardBitWriter(end: ends[0]), w1 = BackwardBitWriter(end: ends[1])
        var w2 = BackwardBitWriter(end: ends[2]), w3 = BackwardBitWriter(end: ends[3])
        let size = 1 << log
        var x0 = size, x1 = size, x2 = size, x3 = size
        var flags = 0
        transforms.withUnsafeBufferPointer { transforms in
            nextStates.withUnsafeBufferPointer { nextStates in
                let t = transforms.baseAddress!, next = nextStates.baseAddress!
                @inline(__always) func put(_ x: inout Int, _ writer: inout BackwardBitWriter, _ symbol: UInt16) {
                    let e = t[Int(symbol & 0x0FFF)]
                    let bits = (x &+ Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: e))) &>> 16
                    flags |= bits &>> 4 | Int(symbol &>> 12)
                    writer.put(UInt64(truncatingIfNeeded: x) & ((1 &<< UInt64(bits)) &- 1), bits, base)
                    x = Int(next[(x &>> bits) &+ Int(truncatingIfNeeded: e &>> 32) &- size])
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
                while i >= 3 {
                    put(&x3, &w3, symbols[i]); put(&x2, &w2, symbols[i - 1])
                    put(&x1, &w1, symbols[i - 2]); put(&x0, &w0, symbols[i - 3])
                    i -= 4
                }
            }
        }
        if flags != 0 {
            let frequencies = table.frequencies
            let first = (0..<count).first { (i: Int) -> Bool in
                let s = Int(symbols[i])
                return s >= frequencies.count || frequencies[s] == 0
            } ?? 0
            throw EntropyCodingError.exponentWithoutCode("symbol \(first) of the message (\(symbols[first])) has no tANS frequency")
        }
        // Each non-empty lane: its first state, the start marker, zero bits to a whole byte.
        var sizes = StreamSizes(0, 0, 0, 0)
        var writers = [w0, w1, w2, w3]
        let states = [x0, x1, x2, x3]
        var destination = 0
        for lane in 0..<4 where Self.laneCount(lane, count: count) > 0 {
            writers[lane].put(UInt64(states[lane] - size), log, base)
            writers[lane].put(1, 1, base)
            let start = writers[lane].finish(base)
            let length = ends[lane] - start
            if start != destination { (base + destination).copyMemory(from: base + start, byteCount: length) }
            sizes[lane] = UInt32(length)
            destination += length
        }
        return sizes
    }
}

/// Writes a bitstream backwards: each `put` goes below the bits already written (so a forward LSB-first
/// reader meets the last value first), in whole 32-bit words from the end of its region.
struct BackwardBitWriter {
    /// The bits not yet stored: the most recent `pending` bits of `accumulator` (older bits above them).
    private var accumulator: UInt64 = 0
    private var pending = 0
    /// The byte offset below which the next word goes.
    private(set) var position: Int

    init(end: Int) { position = end }

    /// Puts the `count` (0...16) low bits of `value` (no bits above them set) below the bits written so far.
    @inline(__always)
    mutating func put(_ value: UInt64, _ count: Int, _ base: UnsafeMutableRawPointer) {
        accumulator = accumulator &<< UInt64(count) | value
        pending &+= count
        if pending >= 32 {
            pending &-= 32
            position &-= 4
            base.storeBytes(of: UInt32(truncatingIfNeeded: accumulator &>> UInt64(pending)).littleEndian,
                            toByteOffset: position, as: UInt32.self)
        }
    }

    /// Pads with zero bits below to a whole byte, stores what is pending, and returns the stream's first byte.
    mutating func finish(_ base: UnsafeMutableRawPointer) -> Int {
        let padding = (8 - pending % 8) % 8
        accumulator &<<= UInt64(padding)
        pending += padding
        while pending > 0 {
            pending -= 8
            position -= 1
            base.storeBytes(of: UInt8(truncatingIfNeeded: accumulator >> UInt64(pending)), toByteOffset: position, as: UInt8.self)
        }
        return position
    }
}
