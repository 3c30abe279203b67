// libFuzzer target: one input is one DFloat11 unit file (a .safetensors file holding, per module, the six tensors
// luts, encoded_exponent, sign_mantissa, output_positions, gaps, split_positions).
//
// Each module found (a tensor named `M.luts`) is checked by `UnitDecoder.init` and decoded three ways: the
// reference walk (`decodeAll`, from the unit file opened by path and mapped, as verify and decompress open it),
// all blocks at once and block by block (`decodeBlocks`, the path the parallel verify and decompress take, over
// the bytes in memory). Besides memory errors and traps, it checks: only typed errors; the three agree (all
// refuse, or all return the same words); the decoder reads only inside each tensor.
//
// The reference walk is test support, not product code (tools/fuzz/build.py compiles this file with it):
// fuzz-sources: Tests/DF11TestSupport/ReferenceUnitDecoder.swift
import DF11IO
import DFloat11Layout
import Safetensors

/// The input's tensors, read from memory; every read is checked to lie inside its tensor.
final class CheckedMemoryTensors: TensorSource {
    let header: SafetensorsHeader
    let bytes: UnsafeRawBufferPointer

    init(header: SafetensorsHeader, bytes: UnsafeRawBufferPointer) {
        self.header = header
        self.bytes = bytes
    }

    func tensor(named name: String) -> TensorInfo? { header.tensor(named: name) }

    func read(tensor: TensorInfo, range: Range<UInt64>, into buffer: UnsafeMutableRawBufferPointer) throws {
        invariant(range.upperBound <= tensor.byteCount, "read \(range) outside tensor \(tensor.name) of \(tensor.byteCount) bytes")
        invariant(UInt64(buffer.count) >= range.upperBound - range.lowerBound, "read into a short buffer")
        let start = Int(header.dataStart + tensor.dataOffsets.lowerBound + range.lowerBound)
        let count = Int(range.upperBound - range.lowerBound)
        if count > 0 { buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + start, byteCount: count) }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDFloat11Unit(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzSetUp
    guard let data, size >= 8 else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let header: SafetensorsHeader
    do {
        let prefix = UInt64(littleEndian: input.loadUnaligned(as: UInt64.self))
        let length = try SafetensorsHeader.headerLength(prefix: prefix, fileName: "fuzz", available: UInt64(size - 8))
        header = try SafetensorsHeader.parse(UnsafeRawBufferPointer(rebasing: input[8 ..< 8 + Int(length)]),
                                             fileName: "fuzz", dataSectionSize: UInt64(size - 8) - length)
    } catch {
        checkTyped(error)
        return 0
    }
    let modules = header.tensors.compactMap { $0.name.hasSuffix(".luts") ? String($0.name.dropLast(5)) : nil }
    guard !modules.isEmpty else { return 0 }
    let memory = CheckedMemoryTensors(header: header, bytes: input)
    let file: SafetensorsFile
    do { file = try SafetensorsFile(path: ScratchFile.write(input)) } catch {
        fatalError("the unit file opened by path is refused, its bytes in memory were not: \(error)")
    }
    for module in modules.prefix(4) {
        // The reference walk, from the file.
        var reference: Result<[UInt16], Error>
        do {
            let decoder = try UnitDecoder(module: module, source: file)
            reference = Result { try decoder.decodeAll() }
        } catch {
            reference = .failure(error)
        }
        // The block decoder, from memory: all blocks, then one at a time.
        let decoder: UnitDecoder
        do { decoder = try UnitDecoder(module: module, source: memory) } catch {
            checkTyped(error)
            if case .success = reference { invariant(false, "the unit is accepted from a file, refused from memory") }
            continue
        }
        let scratch = BlockDecodeScratch()
        let whole = Result { Array(try decoder.decodeBlocks(0 ..< decoder.blockCount, scratch: scratch)) }
        let pieces = Result { () -> [UInt16] in
            var words: [UInt16] = []
            for block in 0 ..< decoder.blockCount { words += try decoder.decodeBlocks(block ..< block + 1, scratch: scratch) }
            return words
        }
        switch (reference, whole, pieces) {
        case let (.success(a), .success(b), .success(c)):
            invariant(a == b && b == c, "the decoders return different words for \(module)")
            invariant(UInt64(a.count) == decoder.elementCount, "decoded \(a.count) weights, the unit has \(decoder.elementCount)")
        case let (.failure(a), .failure(b), .failure(c)):
            checkTyped(a); checkTyped(b); checkTyped(c)
        default:
            invariant(false, "the decoders disagree on \(module): decodeAll \(reference), decodeBlocks all \(whole), "
                             + "block by block \(pieces)")
        }
    }
    return 0
}
