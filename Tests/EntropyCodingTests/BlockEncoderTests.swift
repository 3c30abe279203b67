import DF11TestSupport
import XCTest
import EntropyCoding

final class BlockEncoderTests: XCTestCase {
    func testOutputMatchesTheFormatBitForBit() throws {
        var rng = SplitMix64(seed: 11)
        for count in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 100, 1000, 4099] {
            for limit in [8, 11, 15] {
                let words = count % 2 == 0 ? normalWords(count: count, sigma: 0.02, rng: &rng)
                    : randomWords(count: count, exponents: (0...255).map { UInt8($0) }, rng: &rng)
                let code = try codeFor(words, limit: limit)
                let got = encodeBlock(words, code)
                let expected = referenceEncode(words, code)
                XCTAssertEqual(got.sizes, expected.sizes, "count \(count) limit \(limit)")
                XCTAssertEqual(got.bits, expected.bits, "count \(count) limit \(limit)")
                XCTAssertEqual(got.signMantissa, expected.signMantissa)
                XCTAssertLessThanOrEqual(got.sizes.total, BlockEncoder.maxBitsBytes(count: count, maxLength: code.maxLength))
            }
        }
    }

    func testSegmentsAndSizesForTinyBlocks() throws {
        // count 5: q = 2, segments of 2, 2, 1, 0 words; one-symbol code: one zero bit per word.
        let words = [UInt16](repeating: 0x3F80, count: 5)
        let code = try codeFor(words)
        XCTAssertEqual(code.symbolCount, 1)
        let block = encodeBlock(words, code)
        XCTAssertEqual(block.sizes, StreamSizes(1, 1, 1, 0))
        XCTAssertEqual(block.bits, [0, 0, 0])
        XCTAssertEqual(BlockFormat.segmentCount(3, count: 5), 0)
        XCTAssertEqual(BlockFormat.segmentCount(2, count: 5), 1)
    }

    func testStreamSizesAreTheCodedBitsOfEachSegment() throws {
        var rng = SplitMix64(seed: 12)
        let words = normalWords(count: 65536 + 3, sigma: 0.05, rng: &rng)
        let code = try codeFor(words, limit: 12)
        let block = encodeBlock(words, code)
        let q = (words.count + 3) / 4
        for i in 0..<4 {
            let segment = Array(words[(i * q)..<Swift.min((i + 1) * q, words.count)])
            let bits = ExponentHistogram(counts: naiveCounts(segment)).codedBits(lengths: code.lengths)
            XCTAssertEqual(UInt64(block.sizes[i]), (bits + 7) / 8)
        }
    }

    /// Issue #12, defect 4: words whose exponent the code lacks (the input changed between the histogram pass and
    /// the encode pass) used to stop the process with SIGILL (a precondition); now a typed error, at any position
    /// and for every code length limit, while words the code covers still encode.
    func testAnExponentWithoutACodeIsAnErrorNotATrap() throws {
        var rng = SplitMix64(seed: 12)
        for count in [1, 5, 100, 4096] {
            for limit in [8, 15] {
                let words = normalWords(count: count, sigma: 0.02, rng: &rng)
                let code = try codeFor(words, limit: limit)
                let missing = (0...255).map(UInt16.init).first { code.lengths[Int($0)] == 0 }!
                for position in Set([0, count / 2, count - 1]) {
                    var changed = words
                    changed[position] = missing << 7 | 0x25
                    let encoder = BlockEncoder(code: code)
                    var sm = [UInt8](repeating: 0, count: count)
                    var bits = [UInt8](repeating: 0, count: BlockEncoder.maxBitsBytes(count: count, maxLength: code.maxLength))
                    XCTAssertThrowsError(try changed.withUnsafeBufferPointer { w in
                        try sm.withUnsafeMutableBufferPointer { s in
                            try bits.withUnsafeMutableBytes { b in
                                try encoder.encode(words: w.baseAddress!, count: count, signMantissa: s.baseAddress!, bits: b)
                            }
                        }
                    }) { error in
                        XCTAssertEqual(error as? EntropyCodingError, .exponentWithoutCode(
                            "word \(position) of the block has exponent \(missing), which the code built from the "
                            + "words' histogram does not contain"))
                    }
                }
            }
        }
    }
}
