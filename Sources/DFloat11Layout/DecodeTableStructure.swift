/// The strict structure check of a unit's decode tables (`M.luts`, `[k+1, 256]`): the tables must be exactly
/// the tables of one prefix code, as `DecodeTables` builds them.
///
/// - Code lengths (last row): only exponents below 240, lengths 1–32, and Kraft's **equality** with the one
///   code the row does not list, the end-of-file symbol's: `Σ 2^-L` over the exponents leaves exactly `2^-Le`
///   for some `Le` ≤ 32 (a Huffman code is a full binary tree).
/// - Tables, read in index order (table 0 is the empty prefix; tables are ordered by level): a table of level
///   m (m bytes of prefix) is reached by exactly one pointer entry (`256 - t`, ≥ 240) of an earlier table of
///   level m - 1, and every one of its 256 entries belongs to exactly one of:
///   - the run of an exponent e whose code length L ends in this byte (`8m < L ≤ 8m + 8`): `2^(8m + 8 - L)`
///     equal entries aligned on their size — each exponent has exactly one such run in all the tables;
///   - one pointer entry to a later, not yet reached table (levels stop at 3: codes are at most 32 bits);
///   - the end-of-file code's run (size from `Le`, aligned, at level `(Le - 1) / 8`), which no decoder reads:
///     all its entries equal to the entry before it (the official fill, which carries the last value forward,
///     across table boundaries too) or all zero (an independent writer's fill). Nothing else is accepted there.
///
/// So a single changed entry always breaks a run, a pointer, or the one-run-per-exponent rule: an exponent
/// replaced by another of the same length leaves the first without its run and gives the second two. What no
/// structure can show is two runs of equal size swapped (that needs the decoded weights' checksums).
///
/// Tables are read greedily: an entry that can start a valid run is read as one before it is tried as the
/// end-of-file run. With the official fill that is exact (the carried value is always an exponent already
/// seen or a pointer already used); a zero fill is misread only when exponent 0 has a run of the end-of-file
/// run's size, at its level, that follows the end-of-file run — then the table is reported as invalid.
public enum DecodeTableStructure {
    /// Why `luts` (k tables then the code-length row, 256 bytes each) is not exactly a prefix code's tables,
    /// naming the table and entry; nil when it is.
    public static func problem(_ luts: [UInt8], tableCount k: Int) -> String? {
        if case .invalid(let why) = analyse(luts, tableCount: k) { return why }
        return nil
    }

    /// The outcome of the check: the end-of-file code the tables leave (its length and bits, read off where
    /// its run is), or why the tables are not a prefix code's.
    public enum Outcome: Equatable, Sendable {
        case valid(endOfFileLength: Int, endOfFileBits: UInt32)
        case invalid(String)
    }

    /// The check, with the end-of-file code when the tables pass.
    public static func analyse(_ luts: [UInt8], tableCount k: Int) -> Outcome {
        func invalid(_ why: String) -> Outcome { .invalid(why) }
        precondition(luts.count == (k + 1) * 256 && k >= 1)
        let row = k * 256
        // Lengths and Kraft's equality, in units of 2^-32.
        let total: UInt64 = 1 << 32
        var used: UInt64 = 0
        for e in 0 ..< 256 {
            let length = Int(luts[row + e])
            guard length > 0 else { continue }
            if e >= 240 { return invalid("exponent \(e) has a code length but 240–255 are pointers") }
            if length > 32 { return invalid("exponent \(e) has code length \(length), more than 32") }
            used += 1 << UInt64(32 - length)
        }
        guard used < total else {
            return invalid("code lengths leave no room for the end-of-file code (Kraft sum \(Double(used) / Double(total)))")
        }
        let left = total - used
        guard left & (left - 1) == 0 else {
            return invalid("code lengths break Kraft's equality: with the end-of-file code the sum of 2^-length must be "
                + "exactly 1, but the exponents' lengths leave \(left)/2^32, which no single code fills")
        }
        let endLength = 32 - left.trailingZeroBitCount
        let endLevel = (endLength - 1) / 8
        let endRun = 1 << (8 - (endLength - 8 * endLevel))

        var level = [Int](repeating: -1, count: k)
        level[0] = 0
        var hasRun = [Bool](repeating: false, count: 240)
        var endFound = false
        var endBits: UInt32 = 0
        var prefixBits = [UInt32](repeating: 0, count: k)
        for t in 0 ..< k {
            let m = level[t]
            guard m >= 0 else { return invalid("table \(t) is not reached through a pointer entry of an earlier table") }
            var i = 0
            while i < 256 {
                let flat = t * 256 + i
                let v = luts[flat]
                var why: String
                if v >= 240 {
                    let target = 256 - Int(v)
                    if target <= t || target >= k {
                        why = "points to table \(target), " + (target >= k ? "which does not exist (\(k) tables)"
                                                                           : "not a later table (tables are ordered by level)")
                    } else if level[target] >= 0 {
                        why = "points to table \(target), which another entry already points to"
                    } else if m >= 3 {
                        why = "points to table \(target) at a fifth level (codes are at most 32 bits)"
                    } else {
                        level[target] = m + 1
                        prefixBits[target] = prefixBits[t] << 8 | UInt32(i)
                        i += 1
                        continue
                    }
                } else {
                    let e = Int(v)
                    let length = Int(luts[row + e])
                    let rest = length - 8 * m
                    if length == 0 {
                        why = "holds exponent \(e), which has no code length"
                    } else if rest < 1 || rest > 8 {
                        why = "holds exponent \(e), whose code of length \(length) does not end in a table of level \(m)"
                    } else if hasRun[e] {
                        why = "holds exponent \(e) again, but each exponent has one code, one run of entries"
                    } else {
                        let size = 1 << (8 - rest)
                        let start = i - i % size
                        if i % size == 0 && luts[flat ..< flat + size].allSatisfy({ $0 == v }) {
                            hasRun[e] = true
                            i += size
                            continue
                        }
                        why = "holds exponent \(e), whose code of length \(length) must fill the \(size) aligned entries "
                            + "\(start)…\(start + size - 1), but they hold \(Array(luts[(t * 256 + start) ..< (t * 256 + start + size)]).prefix(8))"
                            + (size > 8 ? "…" : "")
                    }
                }
                // Not a run, not a pointer: the end-of-file code's run, if it can be.
                if !endFound && m == endLevel && i % endRun == 0 && flat > 0 && (v == luts[flat - 1] || v == 0)
                    && luts[flat ..< flat + endRun].allSatisfy({ $0 == v }) {
                    endFound = true
                    let rest = endLength - 8 * m
                    endBits = (m == 0 ? 0 : prefixBits[t] << UInt32(rest)) | UInt32(i >> (8 - rest))
                    i += endRun
                    continue
                }
                return invalid("table \(t) (level \(m)), entry \(i): \(why)")
            }
        }
        for e in 0 ..< 240 where luts[row + e] > 0 && !hasRun[e] {
            return invalid("exponent \(e) has code length \(luts[row + e]) but no table holds its run of entries")
        }
        if !endFound {
            return invalid("no table holds the run of the end-of-file code (length \(endLength)) that the code lengths leave")
        }
        return .valid(endOfFileLength: endLength, endOfFileBits: endBits)
    }
}
