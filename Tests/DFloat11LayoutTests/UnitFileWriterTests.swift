import DF11TestSupport
import XCTest
import DF11IO
import Safetensors
@testable import DFloat11Layout

final class UnitFileWriterTests: XCTestCase {
    /// Every unit file of every golden case, written from the source checkpoint, equals the official file byte
    /// for byte (and its SHA-256 is the one recorded in MANIFEST.json).
    func testEveryOfficialUnitFileIsReproducedByteForByte() throws {
        var checked = 0
        for goldenCase in GoldenCase.all {
            let source = try goldenCase.openSource()
            let units = try goldenCase.units(of: source)
            let expectedFiles = Set(goldenCase.officialFiles.keys.filter { $0 != "model.safetensors" && $0.hasSuffix(".safetensors") })
            XCTAssertEqual(Set(units.map(\.fileName)), expectedFiles, goldenCase.name)
            for unit in units {
                let sink = MemorySink()
                try UnitFileWriter.write(unit: unit, from: source, to: sink, fileName: unit.fileName)
                let official = try FileSystem.readSmallFile(golden(goldenCase.officialDirectory + "/" + unit.fileName))
                XCTAssertEqual(sink.bytes.count, official.count, "\(goldenCase.name)/\(unit.fileName) size")
                XCTAssert(sink.bytes == official, "\(goldenCase.name)/\(unit.fileName) differs")
                XCTAssertEqual(sha256Hex(sink.bytes), goldenCase.officialFiles[unit.fileName], "\(goldenCase.name)/\(unit.fileName)")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 2 + 4 + 4 + 2)
    }

    /// The first pass done by the caller (`counted`, as `compress` takes it from the manifest's read of the source)
    /// gives the same bytes; counts that are not the weights' are reported as a changed input, not written.
    func testCountsGivenByTheCallerGiveTheSameBytesAndWrongOnesAreReported() throws {
        let goldenCase = GoldenCase.all.first { $0.name == "bert-1layer" }!
        let source = try goldenCase.openSource()
        let chunkWords = 4_097
        var wrongCases = 0
        for unit in try goldenCase.units(of: source) {
            let reference = MemorySink()
            try UnitFileWriter.write(unit: unit, from: source, to: reference, chunkWords: chunkWords)
            var counted: [String: [UnitStatistics.Chunk]] = [:]
            for weight in unit.weights {
                let words = try sourceWords(DFloat11Unit(module: unit.module, weights: [weight], otherTensors: []), source)
                counted[weight.source] = stride(from: 0, to: words.count, by: chunkWords).map { start in
                    words[start ..< min(start + chunkWords, words.count)].withUnsafeBufferPointer { UnitStatistics.Chunk(words: $0) }
                }
            }
            let sink = MemorySink()
            try UnitFileWriter.write(unit: unit, from: source, to: sink, chunkWords: chunkWords, threads: 2, counted: counted)
            XCTAssert(sink.bytes == reference.bytes, unit.module)

            // The first chunk's counts swapped with the last's: same exponents, other bit counts per chunk.
            guard let name = counted.keys.sorted().first, let chunks = counted[name], chunks.count > 2 else { continue }
            var wrong = counted
            wrong[name]!.swapAt(0, chunks.count - 1)
            XCTAssertThrowsError(try UnitFileWriter.write(unit: unit, from: source, to: MemorySink(), chunkWords: chunkWords,
                                                          counted: wrong), unit.module) { error in
                XCTAssert("\(error)".contains("changed"), "\(error)")
            }
            wrongCases += 1
        }
        XCTAssertGreaterThan(wrongCases, 0)
    }
}
