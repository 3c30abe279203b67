// libFuzzer target: one input is one .safetensors file.
//
// It goes through the random-access header parser (what `SafetensorsFile`, `--format dfloat11` and
// `verify --against` use) and the streaming reader twice: as a regular file (size known) and as a pipe that
// returns a few bytes per read. Besides memory errors and traps, it checks: only typed errors; both readers
// agree on accepting the file and on its tensors; the chunks cover each tensor exactly, in file order.
import DF11IO
import Safetensors

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzSetUp
    guard let data else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)

    // The random-access parser, exactly as SafetensorsFile.init drives it.
    var parsed: SafetensorsHeader?
    if size >= 8 {
        let prefix = UInt64(littleEndian: input.loadUnaligned(as: UInt64.self))
        do {
            let length = try SafetensorsHeader.headerLength(prefix: prefix, fileName: "fuzz",
                                                            available: UInt64(size - 8))
            parsed = try SafetensorsHeader.parse(UnsafeRawBufferPointer(rebasing: input[8 ..< 8 + Int(length)]),
                                                 fileName: "fuzz",
                                                 dataSectionSize: UInt64(size - 8) - length)
        } catch { checkTyped(error) }
    }

    // The streaming reader, as a file and as a pipe.
    for isFile in [true, false] {
        let source = MemorySource(input, isFile: isFile, maxRead: isFile ? Int.max : 1 + size % 61)
        let reader: SafetensorsReader
        do { reader = try SafetensorsReader(source: source) } catch {
            checkTyped(error)
            if isFile { invariant(parsed == nil, "the streaming reader refuses what the parser accepts: \(error)") }
            continue
        }
        let header = reader.header
        if isFile {
            invariant(parsed != nil, "the streaming reader accepts what the parser refuses")
            invariant(parsed!.tensors == header.tensors, "the two readers disagree on the tensors")
        }
        invariant(header.tensorsInFileOrder.count == header.tensors.count, "file order loses tensors")
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 + size % 97, alignment: 16)
        defer { buffer.deallocate() }
        var expectedIndex = 0
        var expectedOffset: UInt64 = 0
        do {
            while let chunk = try reader.nextChunk(into: buffer) {
                invariant(chunk.tensorIndex == expectedIndex, "chunk of tensor \(chunk.tensorIndex), expected \(expectedIndex)")
                let tensor = header.tensorsInFileOrder[chunk.tensorIndex]
                invariant(chunk.tensor == tensor, "chunk names the wrong tensor")
                invariant(chunk.offsetInTensor == expectedOffset, "chunk at \(chunk.offsetInTensor), expected \(expectedOffset)")
                invariant(chunk.count <= buffer.count, "chunk larger than the buffer")
                invariant(chunk.offsetInTensor + UInt64(chunk.count) <= tensor.byteCount, "chunk past its tensor")
                invariant(chunk.isLastOfTensor == (chunk.offsetInTensor + UInt64(chunk.count) == tensor.byteCount),
                          "isLastOfTensor wrong")
                if chunk.isLastOfTensor { expectedIndex += 1; expectedOffset = 0 } else { expectedOffset += UInt64(chunk.count) }
            }
            invariant(expectedIndex == header.tensors.count, "stream ended after \(expectedIndex) of \(header.tensors.count) tensors")
            if isFile { invariant(header.dataStart + header.dataSectionSize == UInt64(size), "sizes do not add up") }
        } catch {
            checkTyped(error)
            invariant(!isFile, "a file whose header matched its size failed while streaming: \(error)")
        }
    }
    return 0
}
