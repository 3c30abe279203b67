// Writes the container seeds of Fixtures/fuzz/container/ (run by tools/fuzz/make-seeds.py, not by hand).
//
// Built like the fuzz targets (the library objects carry libFuzzer's instrumentation, so the program links
// libFuzzer's main): it does its work in LLVMFuzzerInitialize and exits before any fuzzing.
//   seedgen OUTDIR BLOCK_WEIGHTS SEGMENT_BLOCKS LEVEL INPUT.safetensors...
// writes OUTDIR/<input name>-<block weights>x<segment blocks>.df11 for each input at LEVEL fast (format 1.0), and
// <…>-default.df11 or <…>-max.df11 (format 2.0) at the other levels.
#if canImport(Glibc)
import Glibc
#endif
import DF11Container
import DF11IO

final class MemorySink: ByteSink {
    var bytes: [UInt8] = []
    func write(_ data: UnsafeRawBufferPointer) throws { bytes += data }
}

@_cdecl("LLVMFuzzerInitialize")
public func seedgenMain(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> Int32 {
    let arguments = (0 ..< Int(argc.pointee)).map { String(cString: argv.pointee[$0]!) }
    guard arguments.count >= 6, let blockWeights = Int(arguments[2]), let segmentBlocks = Int(arguments[3]),
          let level = CompressionLevel(argument: arguments[4]) else {
        fputs("usage: seedgen OUTDIR BLOCK_WEIGHTS SEGMENT_BLOCKS LEVEL INPUT.safetensors...\n", stderr)
        exit(2)
    }
    var parameters = ContainerParameters.default
    parameters.blockWeights = blockWeights
    parameters.segmentBlocks = segmentBlocks
    parameters.level = level
    for input in arguments[5...] {
        do {
            let sink = MemorySink()
            _ = try ContainerWriter(parameters: parameters, threads: 1).compress(source: try InputFile(path: input), to: sink)
            var base = String(input.split(separator: "/").last!)
            if base.hasSuffix(".safetensors") { base.removeLast(".safetensors".count) }
            let suffix = level == .fast ? "" : "-\(level.rawValue)"
            let path = "\(arguments[1])/\(base)-\(blockWeights)x\(segmentBlocks)\(suffix).df11"
            let file = fopen(path, "wb")!
            _ = sink.bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
            print("seedgen: \(path) (\(sink.bytes.count) bytes)")
        } catch {
            fputs("seedgen: \(input): \(error)\n", stderr)
            exit(1)
        }
    }
    exit(0)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func seedgenUnused(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 { 0 }
