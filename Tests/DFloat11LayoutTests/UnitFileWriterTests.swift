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
}
