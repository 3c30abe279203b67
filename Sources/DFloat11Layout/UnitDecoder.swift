import EntropyCoding
import Safetensors

/// Decodes a unit of the published layout on the CPU, checking it as it goes.
///
/// `init` reads and checks the small tensors: the six tensors' presence, dtypes and shapes against each other;
/// the decode tables (1–16 tables that are exactly the tables of a prefix code, `DecodeTableStructure`);
/// `output_positions`
/// (starts at 0, never decreases, ends at N, one entry per block with a code start plus N); the size of `gaps`
/// (320 bytes per 4096-byte block).
///
/// `decodeBlocks` then walks the bitstream block by block with the tables, as the GPU kernel's threads
/// would, and checks that every 64-bit window's first code starts at its gap, that every block's first weight
/// is its output position (so each block decodes exactly its `output_positions` delta), that each decoded
/// exponent's length fits the table level it was found at, that the stream ends in its last byte, and that the
/// gap padding is zero. Any disagreement is a `DFloat11LayoutError` naming the unit and the block. Memory: one
/// block of stream, gaps and sign-mantissa bytes at a time; the weights go to the caller one block at a time.
///
/// What no check can see: a code of the stream turned into another code of the same length, or the runs of two
/// exponents of the same length swapped in the tables (the layout has no checksum). Compare the decoded weights
/// with a reference (the source, or the checksums of a df11 manifest) where one exists.
public struct UnitDecoder {
    /// The unit's module name.
    public let module: String
    /// Number of weights (N).
    public let elementCount: UInt64
    /// The cumulative tensor sizes (`split_positions`).
    public let splitPositions: [Int64]
    /// The decode tables and code-length row, as stored.
    public let luts: [UInt8]
    /// The number of decode tables.
    public let tableCount: Int
    /// The output positions, decoded.
    public let outputPositions: [UInt32]
    /// Bytes of bitstream.
    public let encodedBytes: UInt64
    /// Blocks of 4096 bytes.
    public var blockCount: Int { Int((encodedBytes + UnitGeometry.blockBytes - 1) / UnitGeometry.blockBytes) }

    /// The end-of-file code the tables leave (its run's place): the bits after the last code, to the end of
    /// the stream's last byte, are its first bits, zero-padded.
    public let endOfFileCode: (length: Int, bits: UInt32)

    /// Where the unit's tensors are read from.
    public let source: TensorSource
    let encodedInfo: TensorInfo
    let signMantissaInfo: TensorInfo
    let gapsInfo: TensorInfo
    /// Table 0 fused with the code-length row for the fast path of `decodeBlocks`: `exponent | length << 8`
    /// where byte `i` of table 0 is an exponent whose code length is 1–8 (a complete code at level 0), else 0.
    let fastEntries: [UInt16]
    /// Two codes at once from the next 12 bits (see `pairEntries`).
    let pairEntries: [UInt32]

    /// Reads and checks the unit `module`'s tensors in `source` (a unit file or any tensor source).
    public init(module: String, source: TensorSource) throws {
        self.module = module
        self.source = source
        func fail(_ problem: DFloat11LayoutError.Problem, block: Int? = nil) -> DFloat11LayoutError {
            DFloat11LayoutError(unit: module, block: block, problem)
        }
        func info(_ kind: UnitTensor, _ dtype: DType, rank: Int) throws -> TensorInfo {
            let name = module + "." + kind.rawValue
            guard let info = source.tensor(named: name) else { throw fail(.badTensor(name: name, reason: "missing")) }
            guard info.dtype == dtype else {
                throw fail(.badTensor(name: name, reason: "dtype \(info.dtype.rawValue), expected \(dtype.rawValue)"))
            }
            guard info.shape.count == rank else {
                throw fail(.badTensor(name: name, reason: "shape \(info.shape), expected \(rank) dimension(s)"))
            }
            return info
        }
        func readAll(_ info: TensorInfo) throws -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: Int(info.byteCount))
            try bytes.withUnsafeMutableBytes { try source.read(tensor: info, range: 0..<info.byteCount, into: $0) }
            return bytes
        }
        let lutsInfo = try info(.luts, .u8, rank: 2)
        encodedInfo = try info(.encodedExponent, .u8, rank: 1)
        signMantissaInfo = try info(.signMantissa, .u8, rank: 1)
        let positionsInfo = try info(.outputPositions, .u8, rank: 1)
        gapsInfo = try info(.gaps, .u8, rank: 1)
        let splitsInfo = try info(.splitPositions, .i64, rank: 1)
        elementCount = signMantissaInfo.elementCount
        encodedBytes = encodedInfo.elementCount

        // Decode tables.
        let lutsName = module + "." + UnitTensor.luts.rawValue
        guard lutsInfo.shape[1] == 256, lutsInfo.shape[0] >= 2, lutsInfo.shape[0] - 1 <= DecodeTables.maximumTableCount else {
            throw fail(.badTensor(name: lutsName, reason: "shape \(lutsInfo.shape), expected [k+1, 256] with 1 ≤ k ≤ 16"))
        }
        luts = try readAll(lutsInfo)
        tableCount = lutsInfo.shape[0] - 1
        switch DecodeTableStructure.analyse(luts, tableCount: tableCount) {
        case let .invalid(why): throw fail(.badDecodeTables(why))
        case let .valid(length, bits): endOfFileCode = (length, bits)
        }
        fastEntries = Self.fastEntries(luts, tableCount: tableCount)
        pairEntries = Self.pairEntries(fastEntries)

        // Split positions: strictly increasing inside 1..<N, read in pieces of 64 KiB and checked as they come, so
        // a header claiming a huge tensor costs nothing before its first bad value (issue #12, defect 5).
        let splitsName = module + "." + UnitTensor.splitPositions.rawValue
        guard splitsInfo.byteCount % 8 == 0, splitsInfo.byteCount / 8 < max(elementCount, 1) else {
            throw fail(.badTensor(name: splitsName, reason: "\(splitsInfo.byteCount) bytes hold more values than fit "
                                  + "strictly increasing inside 1..<\(elementCount)"))
        }
        var splits: [Int64] = []
        var previous: Int64 = 0
        let piece: UInt64 = 64 << 10
        var pieceBytes = [UInt8](repeating: 0, count: Int(min(piece, splitsInfo.byteCount)))
        var done: UInt64 = 0
        while done < splitsInfo.byteCount {
            let n = min(piece, splitsInfo.byteCount - done)
            try pieceBytes.withUnsafeMutableBytes {
                try source.read(tensor: splitsInfo, range: done ..< done + n, into: UnsafeMutableRawBufferPointer(rebasing: $0[0 ..< Int(n)]))
            }
            for i in stride(from: 0, to: Int(n), by: 8) {
                let split = Int64(littleEndian: pieceBytes[i..<i + 8].reversed().reduce(0) { $0 << 8 | Int64($1) })
                guard split > previous, UInt64(split) < elementCount || elementCount == 0 else {
                    let shown = splits.count < 16 ? "\(splits + [split])" : "[…, \(previous), \(split)]"
                    throw fail(.badTensor(name: splitsName,
                                          reason: "values \(shown) are not increasing inside 1..<\(elementCount)"))
                }
                splits.append(split)
                previous = split
            }
            done += n
        }
        splitPositions = splits

        // Output positions: their count follows from the bitstream's size, checked before they are read (a header
        // claiming gigabytes of them made verify allocate gigabytes first).
        let positionsName = module + "." + UnitTensor.outputPositions.rawValue
        let blocks = Int((encodedBytes + UnitGeometry.blockBytes - 1) / UnitGeometry.blockBytes)
        guard encodedBytes > 0, elementCount > 0 else {
            throw fail(.badTensor(name: module + ".encoded_exponent", reason: "empty unit"))
        }
        guard positionsInfo.byteCount % 4 == 0, positionsInfo.byteCount >= 8 else {
            throw fail(.badTensor(name: positionsName, reason: "\(positionsInfo.byteCount) bytes, expected 4 per entry and at least 2 entries"))
        }
        let entries = positionsInfo.byteCount / 4
        guard entries - 1 == UInt64(blocks) || entries - 1 == UInt64(blocks) - 1 else {
            throw fail(.badTensor(name: positionsName, reason: "\(entries) entries for \(blocks) blocks"))
        }
        let positionBytes = try readAll(positionsInfo)
        outputPositions = stride(from: 0, to: positionBytes.count, by: 4).map { i in
            UInt32(positionBytes[i]) | UInt32(positionBytes[i + 1]) << 8 | UInt32(positionBytes[i + 2]) << 16
                | UInt32(positionBytes[i + 3]) << 24
        }
        guard outputPositions.first == 0, UInt64(outputPositions.last!) == elementCount else {
            throw fail(.badTensor(name: positionsName,
                                  reason: "must start at 0 and end at N = \(elementCount), found \(outputPositions.first!)…\(outputPositions.last!)"))
        }
        for b in 1..<outputPositions.count where outputPositions[b] < outputPositions[b - 1] {
            throw fail(.badTensor(name: positionsName, reason: "decreases after entry \(b - 1)"), block: b - 1)
        }
        guard gapsInfo.byteCount == UInt64(blocks) * UnitGeometry.gapBytesPerBlock else {
            throw fail(.badTensor(name: module + ".gaps",
                                  reason: "\(gapsInfo.byteCount) bytes, expected \(UInt64(blocks) * UnitGeometry.gapBytesPerBlock) (320 per block)"))
        }
    }

}
