import DF11TestSupport
import XCTest
import EntropyCoding

final class BlockDecoderTests: XCTestCase {
    private let sizes = [0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 64, 1000, 65536 + 3]

    func testRoundTripsRealisticBlocks() throws {
        var rng = SplitMix64(seed: 21)
        for count in sizes {
            for limit in [9, 12, 15] {
                let words = normalWords(count: count, sigma: count % 2 == 0 ? 0.02 : 0.05, rng: &rng)
                let code = try codeFor(words, limit: limit)
                let block = encodeBlock(words, code)
                let decoder = try BlockDecoder(lengths: code.lengths)
                XCTAssertEqual(try decodeBlock(block, decoder, count: count), words, "count \(count) limit \(limit)")
            }
        }
    }

    func testRoundTripsAllExponentsOneSymbolAndLongCodes() throws {
        var rng = SplitMix64(seed: 22)
        let everyExponent = (0...255).map { UInt8($0) }
        for count in sizes {
            // All 256 exponents (uniform: 8-bit codes).
            var words = randomWords(count: count, exponents: everyExponent, rng: &rng)
            if count >= 256 { for e in 0..<256 { words[e] = BF16.word(exponent: UInt8(e), signMantissa: 0x80) } }
            var code = try codeFor(words)
            XCTAssertEqual(try decodeBlock(encodeBlock(words, code), BlockDecoder(code: code), count: count), words)
            // One symbol.
            words = randomWords(count: count, exponents: [200], rng: &rng)
            code = try codeFor(words)
            XCTAssertEqual(try decodeBlock(encodeBlock(words, code), BlockDecoder(code: code), count: count), words)
            // Codes up to 15 bits: a geometric exponent distribution.
            words = (0..<count).map { _ in
                var e: UInt8 = 100
                while e < 140 && Bool.random(using: &rng) { e += 1 }
                return BF16.word(exponent: e, signMantissa: UInt8.random(in: 0...255, using: &rng))
            }
            code = try codeFor(words)
            XCTAssertEqual(try decodeBlock(encodeBlock(words, code), BlockDecoder(code: code), count: count), words)
        }
    }

    func testRejectsInvalidLengths() {
        var over = [UInt8](repeating: 0, count: 256)
        over[1] = 1; over[2] = 1; over[3] = 2
        XCTAssertThrowsError(try BlockDecoder(lengths: over))
        var under = [UInt8](repeating: 0, count: 256)
        under[1] = 1; under[2] = 3
        XCTAssertThrowsError(try BlockDecoder(lengths: under))
        var long = [UInt8](repeating: 0, count: 256)
        for s in 0..<16 { long[s] = UInt8(s + 1) }
        long[16] = 16
        XCTAssertThrowsError(try BlockDecoder(lengths: long), "lengths of 16 bits")
        XCTAssertThrowsError(try BlockDecoder(lengths: []))
    }

    /// Expects a throw of `.corruptStream` (or `.invalidArgument`), or at least a decode that does not crash.
    private func decodeOrThrow(_ block: EncodedBlock, _ decoder: BlockDecoder, count: Int) -> [UInt16]? {
        do {
            return try decodeBlock(block, decoder, count: count)
        } catch let error as EntropyCodingError {
            switch error {
            case .corruptStream, .invalidArgument: return nil
            case .invalidCodeLengths, .exponentWithoutCode: XCTFail("unexpected \(error)"); return nil
            }
        } catch {
            XCTFail("unexpected \(error)")
            return nil
        }
    }

    func testCorruptInputThrowsInsteadOfCrashing() throws {
        var rng = SplitMix64(seed: 23)
        var threw = 0, mutations = 0
        for round in 0..<3000 {
            let count = [1, 2, 5, 17, 100, 333, 2000][round % 7]
            let words = round % 3 == 0
                ? randomWords(count: count, exponents: [7], rng: &rng)
                : normalWords(count: count, sigma: 0.02, rng: &rng)
            let code = try codeFor(words, limit: [9, 12, 15][round % 3])
            let decoder = BlockDecoder(code: code)
            var block = encodeBlock(words, code)
            var decodeCount = count
            switch round % 6 {
            case 0:  // flip random bits
                for _ in 0...Int.random(in: 0...3, using: &rng) where !block.bits.isEmpty {
                    block.bits[Int.random(in: 0..<block.bits.count, using: &rng)] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                }
            case 1:  // random garbage of the same sizes
                block.bits = block.bits.map { _ in UInt8.random(in: 0...255, using: &rng) }
            case 2:  // a truncated stream
                let i = Int.random(in: 0..<4, using: &rng)
                guard block.sizes[i] > 0 else { continue }
                let start = (0..<i).reduce(0) { $0 + Int(block.sizes[$1]) }
                block.bits.remove(at: start + Int(block.sizes[i]) - 1)
                block.sizes[i] -= 1
            case 3:  // sizes moved between streams, total unchanged
                let a = Int.random(in: 0..<4, using: &rng), b = (a + 1 + Int.random(in: 0..<3, using: &rng)) % 4
                let d = UInt32.random(in: 1...3, using: &rng)
                guard block.sizes[a] >= d else { continue }
                block.sizes[a] -= d
                block.sizes[b] += d
            case 4:  // sizes that do not match the buffer, or garbage of random length
                if Bool.random(using: &rng) {
                    block.sizes[Int.random(in: 0..<4, using: &rng)] &+= UInt32.random(in: 1...1000, using: &rng)
                } else {
                    let n = Int.random(in: 0...64, using: &rng)
                    block.bits = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    var rest = n
                    for i in 0..<3 { block.sizes[i] = UInt32(Int.random(in: 0...rest, using: &rng)); rest -= Int(block.sizes[i]) }
                    block.sizes[3] = UInt32(rest)
                }
            default:  // a wrong word count
                decodeCount = Swift.max(0, count + [-3, -1, 1, 2, 4][Int.random(in: 0..<5, using: &rng)])
            }
            mutations += 1
            if let decoded = decodeOrThrow(block, decoder, count: decodeCount) {
                // A mutation that still decodes must at least be a complete, different block or the
                // same words (a flipped bit can turn one valid code into another).
                XCTAssertEqual(decoded.count, decodeCount)
            } else {
                threw += 1
            }
            if round % 6 == 2 || round % 6 == 4 {
                // Truncations and mismatched sizes must be caught.
                XCTAssertNil(try? decodeBlock(block, decoder, count: decodeCount), "round \(round)")
            }
        }
        XCTAssertGreaterThan(threw, mutations / 2, "most mutations are detected (\(threw) of \(mutations))")
    }

    func testGarbageWithLongCodesNeverCrashes() throws {
        var rng = SplitMix64(seed: 25)
        // Exponent e has weight 2^-(e-99): codes of 1...15 bits.
        var lengths = [UInt8](repeating: 0, count: 256)
        for e in 100..<115 { lengths[e] = UInt8(e - 99) }
        lengths[115] = 15
        let decoder = try BlockDecoder(lengths: lengths)
        XCTAssertEqual(decoder.code.maxLength, 15)
        for _ in 0..<1000 {
            let count = Int.random(in: 1...3000, using: &rng)
            let n = Int.random(in: 0...(count * 2), using: &rng)
            let bits = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var sizes = StreamSizes(0, 0, 0, 0), rest = n
            for i in 0..<3 { sizes[i] = UInt32(Int.random(in: 0...rest, using: &rng)); rest -= Int(sizes[i]) }
            sizes[3] = UInt32(rest)
            let block = EncodedBlock(signMantissa: [UInt8](repeating: 0, count: count), bits: bits, sizes: sizes)
            _ = decodeOrThrow(block, decoder, count: count)
        }
    }

    func testRejectsCountsOutOfRangeAndEmptyCodes() throws {
        let empty = try BlockDecoder(lengths: [UInt8](repeating: 0, count: 256))
        let nothing = EncodedBlock(signMantissa: [], bits: [], sizes: StreamSizes(0, 0, 0, 0))
        XCTAssertEqual(try decodeBlock(nothing, empty, count: 0), [])
        XCTAssertThrowsError(try decodeBlock(nothing, empty, count: 3))
        XCTAssertThrowsError(try decodeBlock(nothing, empty, count: -1))
        XCTAssertThrowsError(try decodeBlock(nothing, empty, count: BlockFormat.maxCount + 1))
        // A real code but no bits at all, from a buffer without a base address.
        let words: [UInt16] = [0x3F80, 0x4000, 0x3F80]
        let decoder = try BlockDecoder(code: codeFor(words))
        let sm = [UInt8](repeating: 0, count: 3)
        var out = [UInt16](repeating: 0, count: 3)
        XCTAssertThrowsError(try sm.withUnsafeBufferPointer { s in
            try out.withUnsafeMutableBufferPointer { o in
                try decoder.decode(bits: UnsafeRawBufferPointer(start: nil, count: 0), sizes: StreamSizes(0, 0, 0, 0),
                                   signMantissa: s.baseAddress!, count: 3, into: o.baseAddress!)
            }
        })
        let stray = EncodedBlock(signMantissa: [], bits: [0], sizes: StreamSizes(1, 0, 0, 0))
        XCTAssertThrowsError(try decodeBlock(stray, empty, count: 0))
    }

    func testRejectsNonZeroPaddingAndExtraBytes() throws {
        var rng = SplitMix64(seed: 24)
        let words = normalWords(count: 999, sigma: 0.02, rng: &rng)
        let code = try codeFor(words)
        let decoder = BlockDecoder(code: code)
        let block = encodeBlock(words, code)
        XCTAssertEqual(try decodeBlock(block, decoder, count: words.count), words)
        // Which streams end inside a byte? Set one of their padding bits.
        var offset = 0
        for i in 0..<4 {
            offset += Int(block.sizes[i])
            let q = (words.count + 3) / 4
            let segment = Array(words[(i * q)..<Swift.min((i + 1) * q, words.count)])
            let used = ExponentHistogram(counts: naiveCounts(segment)).codedBits(lengths: code.lengths)
            if used % 8 != 0 {  // bit 7 of the last byte is padding
                var padded = block
                XCTAssertEqual(padded.bits[offset - 1] & 0x80, 0)
                padded.bits[offset - 1] |= 0x80
                XCTAssertThrowsError(try decodeBlock(padded, decoder, count: words.count), "stream \(i)")
            }
            var longer = block
            longer.bits.insert(0, at: offset)
            longer.sizes[i] += 1
            XCTAssertThrowsError(try decodeBlock(longer, decoder, count: words.count), "stream \(i) with a spare byte")
        }
    }
}
