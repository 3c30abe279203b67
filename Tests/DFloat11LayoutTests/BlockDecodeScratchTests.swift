#if canImport(Glibc)
import DF11TestSupport
import Glibc
#endif
import XCTest
@testable import DFloat11Layout

/// Regression tests for what the fuzz targets found (tools/fuzz).
final class BlockDecodeScratchTests: XCTestCase {
    /// A scratch frees its buffers when released. Found by LeakSanitizer in the dfloat11-unit fuzz target: every
    /// scratch's buffers (a few MB for a large unit; one per worker per verify or decompress) were never freed.
    func testReleasedScratchesFreeTheirBuffers() throws {
        #if canImport(Glibc)
        // Under AddressSanitizer freed memory stays resident (its quarantine); LeakSanitizer checks this there.
        if dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__asan_init") != nil {
            throw XCTSkip("AddressSanitizer keeps freed memory resident; LeakSanitizer reports this leak instead")
        }
        let tensors = try goldenBertLayer()
        let decoder = try UnitDecoder(module: "encoder.layer.0", source: tensors)
        // Resident memory: the buffers are written by the decode, so a leaked one stays resident.
        func heapInUse() -> Int {
            guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
                  let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
            return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        }
        // One scratch's buffers for the whole unit: stream, gaps, exponents, sign-mantissa bytes and words.
        let oneScratch = Int(decoder.encodedBytes) + 3 * Int(decoder.elementCount) + 2 * Int(decoder.elementCount)
        try decoder.decodeBlocks(0 ..< decoder.blockCount, scratch: BlockDecodeScratch())   // warm up
        let before = heapInUse()
        for _ in 0 ..< 20 {
            try decoder.decodeBlocks(0 ..< decoder.blockCount, scratch: BlockDecodeScratch())
        }
        let grown = heapInUse() - before
        XCTAssertLessThan(grown, 2 * oneScratch, "20 released scratches left \(grown) bytes allocated "
                          + "(one scratch holds about \(oneScratch))")
        #endif
    }
}
