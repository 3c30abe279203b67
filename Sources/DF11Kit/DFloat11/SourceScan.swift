import DF11Container
import DF11IO
import DF11Pipeline
import DFloat11Layout
import Foundation
import Safetensors

/// One read of a source's weight files for two jobs: each file's and each tensor's XXH3-64 (the manifest's
/// checksums), and, for the tensors named, the exponent counts of each chunk (the unit writer's first pass,
/// `UnitFileWriter`'s `counted`), so that `compress --format dfloat11` reads the source twice, not three times.
///
/// The files are mapped a window at a time, in file order, one file open at a time (besides those the windows in
/// flight hold: a checkpoint of a thousand shards stays within the descriptor limit). Each worker maps a window,
/// counts its chunks, then waits for the windows before it to be hashed and hashes its own, a piece at a time into
/// the file's checksum and into those of the tensors the piece overlaps: a window is read from memory once, and
/// hashed from the cache of the core that counted it. (Hashing on the calling thread instead read every window
/// from memory a second time: 13 % of the CPU time of an 8.85 GB model.) A chunk split by a window is counted in
/// pieces, merged in order.
final class SourceScan {
    /// Bytes hashed into both checksums before the next: small enough to stay cached between the two.
    static let pieceBytes = 256 << 10
    /// Bytes mapped, counted and hashed per job: small enough to stay in a core's second-level cache between the
    /// counting and the hashing.
    static let defaultWindowBytes = 1 << 20

    /// A weight file's checksums.
    struct FileHashes {
        /// The file's size.
        let bytes: UInt64
        /// The whole file's XXH3-64.
        let file: UInt64
        /// Each tensor's, in `header.tensorsInFileOrder`.
        let tensors: [UInt64]
    }

    /// Per file, in the order given.
    private(set) var hashes: [FileHashes] = []
    /// The headers of the files, in the order given.
    let headers: [SafetensorsHeader]
    /// By tensor name, the counts of each chunk of `chunkWords` words, for the tensors named that are bf16 and
    /// word-aligned in their file (the unit writer counts any other itself).
    private(set) var counted: [String: [UnitStatistics.Chunk]] = [:]

    /// Reads the weight files at `paths` once, counting the chunks of the tensors in `counting`, `windowBytes`
    /// (even) mapped per job; each window's bytes are reported to `progress` once hashed.
    init(paths: [String], counting: Set<String> = [], chunkWords: Int = 1 << 20, threads: Int = 1,
         windowBytes: Int = SourceScan.defaultWindowBytes, progress: ProgressObserver? = nil) throws {
        precondition(chunkWords > 0 && windowBytes > 0 && windowBytes % 2 == 0)
        let headers = try paths.map { path in
            let file = try SafetensorsFile(path: path)
            defer { file.close() }
            return file.header
        }
        self.headers = headers
        let ordered = headers.map(\.tensorsInFileOrder)
        // Which tensors of each file are counted (a name in two files is counted in neither).
        var seen = Set<String>()
        var twice = Set<String>()
        for tensors in ordered { for t in tensors where !seen.insert(t.name).inserted { twice.insert(t.name) } }
        let countedHere: [[Bool]] = zip(headers, ordered).map { header, tensors in
            tensors.map { t in
                counting.contains(t.name) && !twice.contains(t.name) && t.dtype == .bf16
                    && (header.dataStart + t.dataOffsets.lowerBound) % 2 == 0
            }
        }
        for (tensors, counts) in zip(ordered, countedHere) {
            for (t, counts) in zip(tensors, counts) where counts {
                counted[t.name] = Array(repeating: UnitStatistics.Chunk(),
                                        count: (Int(t.elementCount) + chunkWords - 1) / chunkWords)
            }
        }

        /// A window of a file, which its job keeps open (one file at a time is opened, in order).
        struct Window {
            let sequence: Int
            let file: Int
            let input: InputFile
            let offset: UInt64
            let count: Int
        }
        struct Piece {
            let tensor: String
            let chunk: Int
            let counts: UnitStatistics.Chunk
        }
        var current: (file: Int, input: InputFile)?
        var offset: UInt64 = 0
        var produced = 0
        let hashing = OrderedHashing(headers: headers, tensors: ordered)
        try OrderedPipeline.run(threads: threads, maxInFlight: 2 * max(1, threads), produce: { () -> Window? in
            while current == nil || offset >= current!.input.size {
                let file = (current?.file ?? -1) + 1
                guard file < paths.count else { return nil }
                current = (file, try InputFile(path: paths[file]))
                offset = 0
            }
            let count = Int(min(UInt64(windowBytes), current!.input.size - offset))
            defer { offset += UInt64(count); produced += 1 }
            return Window(sequence: produced, file: current!.file, input: current!.input, offset: offset, count: count)
        }, work: { (window: Window) -> (Window, [Piece]) in
            // The window's turn passes to the next even if mapping it fails (the run then stops with the error).
            var mapped: MappedRegion?
            defer { hashing.hash(mapped, of: window.file, at: window.offset, turn: window.sequence) }
            let region = try MappedRegion(window.input, offset: window.offset, count: window.count, populate: true)
            mapped = region
            let start = headers[window.file].dataStart
            let end = window.offset + UInt64(window.count)
            var pieces: [Piece] = []
            for (t, tensor) in ordered[window.file].enumerated() where countedHere[window.file][t] {
                let lo = start + tensor.dataOffsets.lowerBound, hi = start + tensor.dataOffsets.upperBound
                let a = max(lo, window.offset), b = min(hi, end)
                guard a < b else { continue }
                // Tensor-relative bytes a - lo ..< b - lo, cut at chunk boundaries.
                let chunkBytes = UInt64(chunkWords) * 2
                var from = a - lo
                while from < b - lo {
                    let chunk = from / chunkBytes
                    let to = min(b - lo, (chunk + 1) * chunkBytes)
                    let inWindow = Int(lo + from - window.offset) ..< Int(lo + to - window.offset)
                    let counts = UnsafeRawBufferPointer(rebasing: region.bytes[inWindow])
                        .withMemoryRebound(to: UInt16.self) { UnitStatistics.Chunk(words: $0) }
                    pieces.append(Piece(tensor: tensor.name, chunk: Int(chunk), counts: counts))
                    from = to
                }
            }
            return (window, pieces)
        }, consume: { window, pieces in
            for piece in pieces { counted[piece.tensor]![piece.chunk].merge(piece.counts) }
            progress?.advance(by: UInt64(window.count))
        })
        hashes = hashing.finish()
    }

    /// The files' checksums, fed window by window in file order: each worker hashes its window when every window
    /// before it is hashed (its turn), so the windows reach the checksums in order whichever worker holds them.
    private final class OrderedHashing: @unchecked Sendable {
        private let condition = NSCondition()
        private let headers: [SafetensorsHeader]
        private let tensors: [[TensorInfo]]
        /// The window whose turn it is.
        private var turn = 0
        private var digests: Hashing
        private var hashes: [FileHashes] = []

        init(headers: [SafetensorsHeader], tensors: [[TensorInfo]]) {
            self.headers = headers
            self.tensors = tensors
            digests = Hashing(header: headers.first, tensors: tensors.first ?? [])
        }

        /// Waits for window `turn`'s turn, hashes `region` (file `file`'s bytes from `offset`; nil for a window
        /// that could not be mapped, whose run is failing), and passes the turn on.
        func hash(_ region: MappedRegion?, of file: Int, at offset: UInt64, turn: Int) {
            condition.lock()
            while self.turn != turn { condition.wait() }
            condition.unlock()
            if let region {
                while file != hashes.count { startNextFile() }
                var done = 0
                while done < region.bytes.count {
                    let n = min(SourceScan.pieceBytes, region.bytes.count - done)
                    digests.update(UnsafeRawBufferPointer(rebasing: region.bytes[done ..< done + n]),
                                   at: offset + UInt64(done))
                    done += n
                }
            }
            condition.lock()
            self.turn += 1
            condition.broadcast()
            condition.unlock()
        }

        /// Every file's checksums, once every window has been hashed.
        func finish() -> [FileHashes] {
            while hashes.count < headers.count { startNextFile() }
            return hashes
        }

        private func startNextFile() {
            hashes.append(digests.finish())
            if hashes.count < headers.count {
                digests = Hashing(header: headers[hashes.count], tensors: tensors[hashes.count])
            }
        }
    }

    /// The checksums of one file, fed in order.
    private struct Hashing {
        let whole = StreamingChecksum()
        let tensors: [TensorInfo]
        let digests: [StreamingChecksum]
        let dataStart: UInt64
        var bytes: UInt64 = 0
        /// The first tensor not yet finished.
        var first = 0

        init(header: SafetensorsHeader?, tensors: [TensorInfo]) {
            self.tensors = tensors
            digests = tensors.map { _ in StreamingChecksum() }
            dataStart = header?.dataStart ?? 0
        }

        /// Hashes `piece`, the file's bytes from `offset`.
        mutating func update(_ piece: UnsafeRawBufferPointer, at offset: UInt64) {
            whole.update(piece)
            bytes += UInt64(piece.count)
            let range = offset ..< offset + UInt64(piece.count)
            var t = first
            while t < tensors.count {
                let lo = dataStart + tensors[t].dataOffsets.lowerBound, hi = dataStart + tensors[t].dataOffsets.upperBound
                if lo >= range.upperBound { break }
                let a = max(lo, range.lowerBound), b = min(hi, range.upperBound)
                if a < b {
                    digests[t].update(UnsafeRawBufferPointer(rebasing: piece[Int(a - offset) ..< Int(b - offset)]))
                }
                if hi <= range.upperBound && t == first { first += 1 }
                t += 1
            }
        }

        func finish() -> FileHashes {
            FileHashes(bytes: bytes, file: whole.digest, tensors: digests.map(\.digest))
        }
    }
}
