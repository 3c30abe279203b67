import DF11Container
import DF11IO
import Safetensors

/// The XXH3-64 of a safetensors file, whole, and of each of its tensors, from one read of the file (the
/// manifest's checksums of a weight file).
///
/// The file is mapped a window at a time, not copied, and each piece of a window is hashed twice while it is
/// in the second-level cache: into the whole file's checksum, then into those of the tensors it overlaps.
struct WeightFileHashes {
    /// Bytes mapped at once.
    static let windowBytes = 16 << 20
    /// Bytes hashed into both checksums before the next: small enough to stay cached between the two.
    static let pieceBytes = 256 << 10

    /// The whole file's XXH3-64.
    let file: UInt64
    /// Each tensor's, in `header.tensorsInFileOrder`.
    let tensors: [UInt64]

    init(header: SafetensorsHeader, input: InputFile) throws {
        let whole = StreamingChecksum()
        let ordered = header.tensorsInFileOrder
        let start = header.dataStart
        let digests = ordered.map { _ in StreamingChecksum() }
        var first = 0      // the first tensor not yet finished
        /// Hashes `piece`, the file's bytes from `offset`.
        func hash(_ piece: UnsafeRawBufferPointer, at offset: UInt64) {
            whole.update(piece)
            let range = offset ..< offset + UInt64(piece.count)
            var t = first
            while t < ordered.count {
                let lo = start + ordered[t].dataOffsets.lowerBound, hi = start + ordered[t].dataOffsets.upperBound
                if lo >= range.upperBound { break }
                let a = max(lo, range.lowerBound), b = min(hi, range.upperBound)
                if a < b {
                    digests[t].update(UnsafeRawBufferPointer(rebasing: piece[Int(a - offset) ..< Int(b - offset)]))
                }
                if hi <= range.upperBound && t == first { first += 1 }
                t += 1
            }
        }
        var offset: UInt64 = 0
        while offset < input.size {
            let count = Int(min(UInt64(Self.windowBytes), input.size - offset))
            let window = try MappedRegion(input, offset: offset, count: count, populate: true)
            withExtendedLifetime(window) {
                var done = 0
                while done < count {
                    let n = min(Self.pieceBytes, count - done)
                    hash(UnsafeRawBufferPointer(rebasing: window.bytes[done ..< done + n]), at: offset + UInt64(done))
                    done += n
                }
            }
            offset += UInt64(count)
        }
        file = whole.digest
        tensors = digests.map(\.digest)
    }
}
