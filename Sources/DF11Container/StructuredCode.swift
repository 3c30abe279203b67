import EntropyCoding
import Safetensors

// Format 2.0's structured coding (docs/FORMAT.md §2, `CDE2` and `BLK ` method 3): the `CDE2` payload, the
// segment's tables as a reader rebuilds them, and the fixed parts of a structured block.

extension FloatLayout {
    /// The layout of a float dtype the structured coder codes (BF16, F16, F32, F64, F8_E4M3, F8_E5M2); nil for
    /// every other dtype, which format 2.0 stores raw or through zstd as 1.0 does.
    init?(dtype: DType) {
        switch dtype {
        case .bf16: self = .bf16
        case .f16: self = .f16
        case .f32: self = .f32
        case .f64: self = .f64
        case .f8E4M3: self = .f8E4M3
        case .f8E5M2: self = .f8E5M2
        default: return nil
        }
    }
}

/// One stream's table as stored: its log and normalized frequencies (`TANSCounts`).
struct StreamTable: Equatable {
    let tableLog: Int
    let frequencies: [UInt32]

    /// Bytes it takes in a frame: the log, then the counts.
    var size: Int { 1 + TANSCounts.encodedSize(frequencies: frequencies) }

    func encode(into w: inout LittleEndianWriter) {
        w.append(UInt8(tableLog))
        w.append(TANSCounts.encode(frequencies: frequencies))
    }

    /// Reads a table of log `tableLog` (already read) over `alphabetSize` symbols from the reader's bytes.
    static func parse(tableLog: Int, alphabetSize: Int, from reader: inout LittleEndianReader) throws(EntropyCodingError) -> StreamTable {
        let rest = reader.read(count: reader.remaining)!
        let (frequencies, used) = try TANSCounts.decode(rest, tableLog: tableLog, alphabetSize: alphabetSize)
        reader = LittleEndianReader(UnsafeRawBufferPointer(rebasing: rest[used...]))
        return StreamTable(tableLog: tableLog, frequencies: frequencies)
    }
}

/// The `CDE2` payload: how a segment's elements are split, and the segment's table of each stream (the
/// symbols, then each low byte plane), or none.
struct StructuredCodePayload {
    /// The only coder: tANS in four lanes.
    static let coderTANS: UInt8 = 1
    /// The largest payload: the fixed fields, then for each of up to 7 streams a log and at most 64 KiB of counts.
    static let maxSize = 4 + 7 * (1 + 6 + 65_535)

    let split: ElementSplit
    /// One per stream: symbols first, then planes 0 … p − 1.
    let tables: [StreamTable?]

    var streamCount: Int { 1 + split.planeCount }

    var size: Int { 4 + tables.reduce(0) { $0 + ($1?.size ?? 1) } }

    func encode(into w: inout LittleEndianWriter) {
        w.append(Self.coderTANS)
        w.append(UInt8(split.symbolMantissaBits))
        w.append(UInt8(split.planeCount))
        w.append(UInt8(split.signInSymbol ? 1 : 0))
        for table in tables {
            if let table { table.encode(into: &w) } else { w.append(UInt8(0)) }
        }
    }

    /// The alphabet of stream `s`: the symbols', or a byte's.
    static func alphabetSize(stream s: Int, split: ElementSplit) -> Int { s == 0 ? split.alphabetSize : 256 }
}

extension StructuredCodePayload {
    /// Parses a `CDE2` payload for a tensor of `layout`: the split must be one of that layout's, every table
    /// valid for its stream's alphabet, and no byte left over.
    init(parsing payload: [UInt8], layout: FloatLayout, file: String) throws {
        func malformed(_ why: String) -> ContainerError {
            ContainerError(file: file, .malformedFrame(frame: "CDE2", reason: why))
        }
        guard payload.count >= 4 else { throw malformed("shorter than its 4 fixed bytes") }
        guard payload[0] == Self.coderTANS else { throw malformed("unknown coder \(payload[0])") }
        guard payload[3] <= 1 else { throw malformed("flags \(payload[3]) set reserved bits") }
        let split: ElementSplit
        do {
            split = try ElementSplit(layout: layout, symbolMantissaBits: Int(payload[1]), signInSymbol: payload[3] == 1,
                                     planeCount: Int(payload[2]))
        } catch { throw malformed("\(error)") }
        var tables: [StreamTable?] = []
        try payload.withUnsafeBytes { raw in
            var reader = LittleEndianReader(UnsafeRawBufferPointer(rebasing: raw[4...]))
            for s in 0..<(1 + split.planeCount) {
                guard let log = reader.read(UInt8.self) else { throw malformed("ends before the table of stream \(s)") }
                if log == 0 { tables.append(nil); continue }
                guard TANSTable.tableLogRange.contains(Int(log)) else {
                    throw malformed("table log \(log) of stream \(s) is outside \(TANSTable.tableLogRange)")
                }
                do {
                    tables.append(try StreamTable.parse(tableLog: Int(log),
                                                        alphabetSize: Self.alphabetSize(stream: s, split: split),
                                                        from: &reader))
                } catch { throw malformed("stream \(s): \(error)") }
            }
            guard reader.remaining == 0 else { throw malformed("\(reader.remaining) bytes left over") }
        }
        self.split = split
        self.tables = tables
    }
}

/// A segment's `CDE2` ready for decoding: the split and a decoder per stream that has a segment table.
struct StructuredSegmentCode {
    let split: ElementSplit
    let decoders: [TANSDecoder?]

    init(_ payload: StructuredCodePayload) throws {
        split = payload.split
        decoders = try payload.tables.map { table in
            try table.map { TANSDecoder(table: try TANSTable(frequencies: $0.frequencies, tableLog: $0.tableLog)) }
        }
    }
}

/// How one stream of a structured block is stored (the block's mode bytes).
enum StreamMode: UInt8 {
    case raw = 0
    /// Coded with the segment's table.
    case segment = 1
    /// Coded with a table stored in the block.
    case own = 2
}

/// Sizes of the parts of a structured block (`BLK ` method 3) that do not depend on its content.
enum StructuredBlock {
    /// Bytes of one coded stream's four lane lengths.
    static let laneLengthsSize = 16

    /// Bytes of `count` symbols stored raw, packed at `split.symbolBits` each.
    static func rawSymbolBytes(count: Int, split: ElementSplit) -> Int {
        RawBitPacking.byteCount(count: count, width: split.symbolBits)
    }

    /// The room a writer needs to try coding a block of `blockBytes` bytes of any layout before it knows whether
    /// coding pays (it stores the block raw when it does not): every stream coded at the largest table log with
    /// its own table, the raw bits, and the fixed fields.
    static func maxTrialBytes(blockBytes: Int) -> Int {
        2 * blockBytes + 7 * (StreamTable.maxSize + laneLengthsSize + 64) + 64
    }
}

extension StreamTable {
    /// The largest stored table: the log, the counts' 6-byte head and at most 26 bits per symbol of 4096.
    static let maxSize = 1 + 6 + (4096 * 26 + 7) / 8
}
