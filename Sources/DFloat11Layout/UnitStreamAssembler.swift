/// Splices a unit's encoded chunks, in order, into the official byte stream and collects its two indexes.
///
/// Chunks must arrive in stream order, each starting where the previous one ended. The byte shared by two
/// chunks is ORed together; complete bytes go to `emit` at once with their offset in the stream (or, when the
/// caller already wrote each chunk's `ownBytes` itself, only the shared bytes do), so the assembler holds one
/// byte of stream plus the packed gaps (5 bits per 64 bits of stream) and the output positions (4 bytes per
/// 4096). `finish()`
/// applies the end rule: if the stream does not end on a byte boundary, the window and block marks are checked
/// once more at the end position, and one last byte is written holding the pending bits followed by the
/// end-of-file code, cut or zero-padded to 8 bits. Then N is appended to the output positions and the gaps are
/// zero-padded to 512 per 4096-byte block.
public final class UnitStreamAssembler {
    /// The packed gaps and output-position bytes, ready to write.
    public struct Indexes: Sendable {
        /// `M.gaps`.
        public let gaps: [UInt8]
        /// `M.output_positions` (uint32 little-endian).
        public let outputPositions: [UInt8]
    }

    private let encoder: UnitEncoder
    private let emit: (UnsafeRawBufferPointer, UInt64) throws -> Void
    private var position: UInt64 = 0
    private var elements: UInt64 = 0
    private var pendingByte: UInt8 = 0
    private var emittedBytes: UInt64 = 0
    private var gaps: GapPacker
    private var positions: [UInt32] = []
    private var finished = false

    /// An assembler for `encoder`'s unit that passes each complete stream byte range to `emit` with the offset
    /// of its first byte in the stream, in stream order.
    public init(encoder: UnitEncoder, emit: @escaping (UnsafeRawBufferPointer, UInt64) throws -> Void) {
        self.encoder = encoder
        self.emit = emit
        gaps = GapPacker(reservingFor: encoder.geometry.gapCount)
        positions.reserveCapacity(Int(encoder.geometry.outputPositionCount))
    }

    private func fail(_ why: String) -> DFloat11LayoutError {
        DFloat11LayoutError(unit: encoder.unit, .inconsistentInput(why))
    }

    /// Appends the next chunk. With `ownBytesWritten`, the caller has written the chunk's `ownBytes` at their
    /// place already, and only the byte it shares with the chunk before goes to `emit`.
    public func append(_ chunk: EncodedChunk, ownBytesWritten: Bool = false) throws {
        precondition(!finished, "append after finish")
        guard chunk.startingBit == position, chunk.firstElementIndex == elements else {
            throw fail("chunk starts at bit \(chunk.startingBit), weight \(chunk.firstElementIndex); "
                       + "the stream is at bit \(position), weight \(elements)")
        }
        try gaps.append(contentsOf: newMarks(chunk.gapOffsets, first: chunk.firstWindow, count: gaps.count))
        let blocks = try newMarks(chunk.blockPositions, first: chunk.firstBlock, count: UInt64(positions.count))
        positions.append(contentsOf: blocks.lazy.map { UInt32(truncatingIfNeeded: $0) })
        let end = position + chunk.bitCount
        let complete = Int(end / 8 - position / 8)
        // The chunk's first byte shares its leading bits with the previous chunk's last one.
        let shared = position % 8 != 0 ? pendingByte : 0
        try chunk.bytes.withUnsafeBytes { bytes in
            if complete > 0 {
                if position % 8 != 0 || !ownBytesWritten {
                    var first = bytes[0] | shared
                    try withUnsafeBytes(of: &first) { try emit($0, position / 8) }
                }
                if complete > 1 && !ownBytesWritten {
                    try emit(UnsafeRawBufferPointer(rebasing: bytes[1..<complete]), position / 8 + 1)
                }
                emittedBytes += UInt64(complete)
            }
            if end % 8 != 0 {
                pendingByte = bytes[complete] | (complete == 0 ? shared : 0)
            }
        }
        position = end
        elements += chunk.elementCount
    }

    /// The marks of a chunk (from window or block `first` on) that the unit lacks, which has `count` so far.
    private func newMarks<T>(_ marks: [T], first: UInt64, count: UInt64) throws -> ArraySlice<T> {
        guard !marks.isEmpty else { return marks[...] }
        if first + 1 == count {
            return marks.dropFirst()           // the window (block) already has its first code from a chunk before
        } else if first != count {
            throw fail("chunk marks start at \(first), expected \(count)")
        }
        return marks[...]
    }

    /// Writes the last byte (end rule) and returns the gaps and output positions. Checks the sizes against the
    /// encoder's geometry.
    public func finish() throws -> Indexes {
        precondition(!finished, "finish twice")
        finished = true
        let geometry = encoder.geometry
        guard elements == geometry.elementCount, position == geometry.payloadBits else {
            throw fail("the chunks hold \(elements) weights and \(position) bits; the statistics announced "
                       + "\(geometry.elementCount) weights and \(geometry.payloadBits) bits")
        }
        if position % 8 != 0 {
            if position / UnitGeometry.windowBits == gaps.count { gaps.append(UInt8(position % 64)) }
            if position / UnitGeometry.blockBits == UInt64(positions.count) {
                positions.append(UInt32(truncatingIfNeeded: elements))
            }
            let eof = encoder.code.endOfFile
            let room = 8 - Int(position % 8)
            let tail: UInt64 = eof.length >= room ? eof.value >> UInt64(eof.length - room)
                                                  : eof.value << UInt64(room - eof.length)
            var last = pendingByte | UInt8(truncatingIfNeeded: tail & ((1 << UInt64(room)) - 1))
            try withUnsafeBytes(of: &last) { try emit($0, emittedBytes) }
            emittedBytes += 1
        }
        positions.append(UInt32(truncatingIfNeeded: elements))
        guard emittedBytes == geometry.encodedBytes, UInt64(positions.count) == geometry.outputPositionCount,
              gaps.count <= geometry.gapCount else {
            throw fail("assembled \(emittedBytes) bytes, \(positions.count) output positions, \(gaps.count) gaps; "
                       + "expected \(geometry.encodedBytes), \(geometry.outputPositionCount), ≤ \(geometry.gapCount)")
        }
        let packed = gaps.finish(padTo: geometry.gapCount)
        var positionBytes = [UInt8]()
        positionBytes.reserveCapacity(positions.count * 4)
        for p in positions { withUnsafeBytes(of: p.littleEndian) { positionBytes.append(contentsOf: $0) } }
        return Indexes(gaps: packed, outputPositions: positionBytes)
    }
}
