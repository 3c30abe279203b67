/// The decode tables of a unit (`M.luts`, U8 `[k+1, 256]`), built exactly as the official compressor builds
/// them from a dahuffman code.
///
/// - Tables: table 0 is the empty prefix; then one table per distinct whole-byte prefix of the codes — the
///   first `8 * ((L - 1) / 8)` bits of each exponent's code of length L — in the order the prefixes first
///   appear in the code table (ascending code bits), stably sorted by prefix length.
/// - Entries of the table of an m-byte prefix, for each exponent code starting with that prefix: a code that
///   ends within the next byte sits at the byte value of its remaining bits, left-aligned; a longer one puts,
///   at the value of its next byte, the pointer `256 - t` to the table t of its (m + 1)-byte prefix. The
///   end-of-file symbol has no entry.
/// - Fill: one running value across **all** tables, in order: each byte takes the entry at its index if there is
///   one, else the running value. So an entry is carried forward up to the next entry, and a table with no entry
///   at byte 0 begins with the last value of the table before it (unreachable by a decoder, but in the file).
/// - Last row: the code length of each exponent present, 0 elsewhere.
///
/// Refused: exponents 240–255 (they would read as pointers), more than 16 tables (pointers would fall below
/// 240), and a table 0 without an entry at byte 0 (the official tool crashes there).
public struct DecodeTables: Equatable, Sendable {
    /// A whole-byte prefix of a code: `byteCount` bytes whose bits are the low `8 * byteCount` bits of `bits`.
    public struct Prefix: Hashable, Sendable {
        public let byteCount: Int
        public let bits: UInt32
    }

    /// The most tables whose pointers (`256 - t`) all stay in 240…255 while table 0 is never pointed to.
    public static let maximumTableCount = 16

    /// The rows, row-major: `tableCount` tables then the code-length row, 256 bytes each.
    public let bytes: [UInt8]
    /// The number of decode tables (k); the tensor's shape is `[k + 1, 256]`.
    public let tableCount: Int
    /// Each table's prefix, table 0 first (the empty prefix).
    public let prefixes: [Prefix]
    /// Tables that have no entry at byte 0 and begin with a value carried over from the table before.
    public let tablesWithCarriedEntry0: [Int]

    /// The tables for `code`, whose codes must be at most 32 bits (see `LengthLimiter32`).
    public init(code: DahuffmanCode, unit: String) throws {
        precondition(code.maxLength <= LengthLimiter32.maximumLength, "decode tables need codes of at most 32 bits")
        var real: [(exponent: UInt8, length: Int, value: UInt32)] = []
        for entry in code.entries {
            guard case .exponent(let e) = entry.symbol else { continue }
            if e >= 240 { throw DFloat11LayoutError(unit: unit, .exponentNotRepresentable(e)) }
            real.append((e, entry.length, UInt32(truncatingIfNeeded: entry.value)))
        }
        func prefix(_ length: Int, _ value: UInt32, bytes m: Int) -> Prefix {
            Prefix(byteCount: m, bits: m == 0 ? 0 : value >> UInt32(length - 8 * m))
        }
        var order: [Prefix] = [Prefix(byteCount: 0, bits: 0)]
        var seen: Set<Prefix> = [order[0]]
        for (_, length, value) in real {
            let p = prefix(length, value, bytes: (length - 1) / 8)
            if seen.insert(p).inserted { order.append(p) }
        }
        // Stable sort by length (Swift's sort is not guaranteed stable: sort by (length, first appearance)).
        order = order.enumerated().sorted { ($0.element.byteCount, $0.offset) < ($1.element.byteCount, $1.offset) }
            .map(\.element)
        if order.count > Self.maximumTableCount {
            throw DFloat11LayoutError(unit: unit, .tooManyDecodeTables(order.count))
        }
        var index: [Prefix: Int] = [:]
        for (i, p) in order.enumerated() { index[p] = i }

        var rows = [UInt8](repeating: 0, count: (order.count + 1) * 256)
        var running: UInt8? = nil
        var carried: [Int] = []
        for (t, p) in order.enumerated() {
            var entries = [UInt8?](repeating: nil, count: 256)
            let m = p.byteCount
            for (exponent, length, value) in real where length > 8 * m {
                guard prefix(length, value, bytes: m) == p else { continue }
                let rest = length - 8 * m
                if (length - 1) / 8 == m {
                    let key = Int((value & ((1 << UInt32(rest)) - 1)) << UInt32(8 - rest))
                    entries[key] = exponent
                } else {
                    let key = Int((value >> UInt32(rest - 8)) & 0xFF)
                    entries[key] = UInt8(256 - index[prefix(length, value, bytes: m + 1)]!)
                }
            }
            if entries[0] == nil {
                if running == nil { throw DFloat11LayoutError(unit: unit, .firstTableStartsWithEndOfFile) }
                carried.append(t)
            }
            for i in 0..<256 {
                if let entry = entries[i] { running = entry }
                rows[t * 256 + i] = running!
            }
        }
        for (exponent, length, _) in real { rows[order.count * 256 + Int(exponent)] = UInt8(length) }
        bytes = rows
        tableCount = order.count
        prefixes = order
        tablesWithCarriedEntry0 = carried
    }
}
