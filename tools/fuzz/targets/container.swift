// libFuzzer target: one input is one DF11 container (docs/FORMAT.md).
//
// The input is "resealed" first (the file header's and every frame's XXH3 recomputed over the mutated bytes), so
// that mutations get past the frame checksums into the frame parsers, the index, the Huffman and zstd block
// decoders and the tensor checksums; if that changed it, the input as it is must be refused (from a pipe). The
// resealed input is then read three ways:
// `ContainerReader` from a pipe (a few bytes per read) and from a file (positioned reads and mappings), and
// `ContainerFile` (footer index: list, then extract every tensor). Besides memory errors and traps, it checks:
// only typed errors; the pipe and the file agree on success and on every byte; a successful decode has exactly
// the promised size; each extracted tensor equals its bytes in the full decode.
import DF11Container
import DF11IO
import Safetensors

/// Collects what it is given in order, up to a cap (then only counts): a pipe or standard output.
final class CollectingSink: ByteSink {
    var bytes: [UInt8] = []
    var count: UInt64 = 0
    let cap: Int

    init(cap: Int) { self.cap = cap }

    func write(_ data: UnsafeRawBufferPointer) throws {
        count += UInt64(data.count)
        if bytes.count + data.count <= cap { bytes += data }
    }
}

/// An output file: writes land at their offsets, which must stay inside the declared size (kept in memory
/// when it is at most `cap`).
final class PositionedSink: PositionedByteSink {
    var count: UInt64 = 0
    let declaredSize: UInt64
    private(set) var bytes: [UInt8]?

    init(declaredSize: UInt64, cap: Int) {
        self.declaredSize = declaredSize
        bytes = declaredSize <= UInt64(cap) ? [UInt8](repeating: 0, count: Int(declaredSize)) : nil
    }

    func write(_ data: UnsafeRawBufferPointer) throws {
        invariant(false, "a sequential write to a positioned sink")
    }

    func write(_ data: UnsafeRawBufferPointer, concurrentlyAt offset: UInt64) throws {
        count += UInt64(data.count)
        invariant(offset <= declaredSize && UInt64(data.count) <= declaredSize - offset,
                  "positioned write \(offset)+\(data.count) past the declared size \(declaredSize)")
        guard data.count > 0, bytes != nil else { return }
        bytes!.withUnsafeMutableBytes { out in
            (out.baseAddress! + Int(offset)).copyMemory(from: data.baseAddress!, byteCount: data.count)
        }
    }
}

/// The input with the file header's checksum and every complete frame's checksum recomputed.
func resealed(_ input: UnsafeRawBufferPointer) -> [UInt8] {
    var bytes = Array(input)
    let headerSize = ContainerFormat.fileHeaderSize
    guard bytes.count >= headerSize else { return bytes }
    bytes.withUnsafeMutableBytes { raw in
        raw.storeBytes(of: Checksum.xxh3(UnsafeRawBufferPointer(rebasing: raw[0 ..< 32])).littleEndian,
                       toByteOffset: 32, as: UInt64.self)
        var offset = headerSize
        while offset + ContainerFormat.frameHeaderSize + ContainerFormat.frameChecksumSize <= raw.count {
            let length = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
            let available = UInt64(raw.count - offset - ContainerFormat.frameHeaderSize - ContainerFormat.frameChecksumSize)
            guard length <= available else { break }
            let checked = offset + ContainerFormat.frameHeaderSize + Int(length)
            raw.storeBytes(of: Checksum.xxh3(UnsafeRawBufferPointer(rebasing: raw[offset ..< checked])).littleEndian,
                           toByteOffset: checked, as: UInt64.self)
            offset = checked + ContainerFormat.frameChecksumSize
        }
    }
    return bytes
}

let outputCap = 16 << 20

func check(_ input: UnsafeRawBufferPointer) {
    // From a pipe.
    let pipeSink = CollectingSink(cap: outputCap)
    let fromPipe = Result {
        try ContainerReader(threads: 1).decompress(
            source: MemorySource(input, isFile: false, maxRead: 1 + input.count % 4093), to: pipeSink)
    }
    // From a file.
    let path = ScratchFile.write(input)
    let declared = input.count >= 40 ? UInt64(littleEndian: input.loadUnaligned(fromByteOffset: 24, as: UInt64.self)) : 0
    let fileSink = PositionedSink(declaredSize: declared, cap: outputCap)
    let fromFile = Result { try ContainerReader(threads: 1).decompress(source: try InputFile(path: path), to: fileSink) }
    switch (fromPipe, fromFile) {
    case let (.success(a), .success(b)):
        invariant(a.originalBytes == b.originalBytes && a.tensors == b.tensors && a.blocks == b.blocks,
                  "pipe and file decode differently: \(a) \(b)")
        invariant(pipeSink.count == a.originalBytes && fileSink.count == a.originalBytes,
                  "wrote \(pipeSink.count)/\(fileSink.count) bytes, decoded \(a.originalBytes)")
        if let positioned = fileSink.bytes, pipeSink.count <= UInt64(outputCap) {
            invariant(positioned == pipeSink.bytes, "pipe and file decode to different bytes")
        }
    case let (.failure(a), .failure(b)):
        checkTyped(a); checkTyped(b)
    default:
        invariant(false, "pipe and file disagree: \(fromPipe) \(fromFile)")
    }

    // Random access through the index.
    let container: ContainerFile
    do { container = try ContainerFile(path: path) } catch {
        checkTyped(error)
        return
    }
    _ = container.storedBytes
    invariant(container.index.tensors.count == container.header.tensorsInFileOrder.count, "index and header disagree")
    for tensor in container.header.tensorsInFileOrder.prefix(16) {
        let sink = CollectingSink(cap: outputCap)
        do {
            try container.extract(tensor: tensor.name, to: sink, threads: 1)
            invariant(sink.count == tensor.byteCount, "extracted \(sink.count) bytes of \(tensor.name), expected \(tensor.byteCount)")
            if case .success = fromPipe, pipeSink.count <= UInt64(outputCap) {
                let start = Int(container.header.dataStart + tensor.dataOffsets.lowerBound)
                invariant(Array(pipeSink.bytes[start ..< start + Int(tensor.byteCount)]) == sink.bytes,
                          "extract and decompress differ on \(tensor.name)")
            }
        } catch {
            checkTyped(error)
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzContainer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzSetUp
    guard let data else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let sealed = resealed(input)
    if sealed.elementsEqual(input) {
        check(input)
    } else {
        // As it is, the input must be refused (a checksum no longer matches): from a pipe, the cheapest way.
        let sink = CollectingSink(cap: 0)
        do {
            _ = try ContainerReader(threads: 1).decompress(
                source: MemorySource(input, isFile: false, maxRead: 1 + input.count % 4093), to: sink)
            invariant(false, "a container whose checksums do not match was decoded")
        } catch { checkTyped(error) }
        sealed.withUnsafeBytes { check($0) }
    }
    return 0
}
