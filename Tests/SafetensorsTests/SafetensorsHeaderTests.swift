import DF11TestSupport
import XCTest
import Foundation
import DF11IO
@testable import Safetensors

final class SafetensorsHeaderTests: XCTestCase {
    struct Expectation: Decodable {
        let code: String
        let message: String
    }

    func testEveryMalformedFixtureFailsWithItsCodeAndMessage() throws {
        let manifestData = try Data(contentsOf: URL(fileURLWithPath: fixture("malformed/manifest.json")))
        let manifest = try JSONDecoder().decode([String: Expectation].self, from: manifestData)
        XCTAssertGreaterThanOrEqual(manifest.count, 18)
        for (name, expected) in manifest.sorted(by: { $0.key < $1.key }) {
            let path = fixture("malformed/" + name)
            // Each reader on its own: the streaming reader (compress, inspect), the random-access parser
            // (`--format dfloat11`, `verify --against`, `ls`), and the streaming reader over a pipe. Before, one
            // `do` ran the first two in turn, so the random-access parser never saw a fixture the reader refused.
            for via in ["stream", "random-access", "pipe"] {
                do {
                    if via == "stream" {
                        _ = try readAllChunks(try InputFile(path: path), bufferSize: 64)
                    } else if via == "random-access" {
                        _ = try SafetensorsFile(path: path)
                    } else {
                        let bytes = try FileSystem.readSmallFile(path)
                        _ = try readAllChunks(pipeSource(bytes, name: path), bufferSize: 64)
                    }
                    XCTFail("\(name) via \(via): accepted")
                } catch let error as SafetensorsError {
                    // Over a pipe the length is unknown up front, so a few defects surface as their streaming form.
                    let pipeForms = ["header-beyond-end": "header-beyond-end", "truncated-data": "truncated-data",
                                     "trailing-data": "trailing-data"]
                    if via == "pipe", pipeForms[expected.code] != nil {
                        XCTAssertEqual(error.code, pipeForms[expected.code], "\(name) via pipe: \(error)")
                        continue
                    }
                    XCTAssertEqual(error.code, expected.code, "\(name) via \(via): \(error)")
                    XCTAssertTrue(error.description.contains(expected.message),
                                  "\(name) via \(via): '\(error.description)' lacks '\(expected.message)'")
                    XCTAssertTrue(error.description.hasPrefix(path), "\(name): names the file")
                    XCTAssertEqual(error.category, .badData)
                } catch {
                    XCTFail("\(name) via \(via): unexpected error \(error)")
                }
            }
        }
    }

    func testEdgeCasesParse() throws {
        let file = try SafetensorsFile(path: fixture("edge-cases.safetensors"))
        let header = file.header
        XCTAssertEqual(header.metadata?.map(\.key), ["format"])
        XCTAssertEqual(header.tensor(named: "scalar")?.shape, [])
        XCTAssertEqual(header.tensor(named: "scalar")?.byteCount, 4)
        XCTAssertEqual(header.tensor(named: "empty_matrix")?.byteCount, 0)
        XCTAssertEqual(header.tensor(named: "ünïcode name")?.dtype, .f32)
        XCTAssertEqual(header.headerLength % 8, 0)
        XCTAssertEqual(header.dataStart + header.dataSectionSize, file.size)
        // Library order: I64 first, U8 last.
        XCTAssertEqual(header.tensorsInFileOrder.first?.dtype, .i64)
        XCTAssertEqual(header.tensorsInFileOrder.last?.dtype, .u8)
    }

    func testUnknownKeysAreIgnoredLikeUpstream() throws {
        let json = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2],"extra":true}}"#
        let header = try SafetensorsHeader.parse(Array(json.utf8), fileName: "x", dataSectionSize: 2)
        XCTAssertEqual(header.tensors.map(\.name), ["a"])
        XCTAssertEqual(header.rawHeader, Array(json.utf8))
    }

    func testSubByteTypes() throws {
        XCTAssertEqual(DType.f4.byteCount(forElementCount: 4), .success(2))
        XCTAssertEqual(DType.f6E2M3.byteCount(forElementCount: 4), .success(3))
        XCTAssertEqual(DType.f6E3M2.byteCount(forElementCount: 3), .failure(.partialByte(bits: 18)))
        XCTAssertEqual(DType.u64.byteCount(forElementCount: UInt64.max), .failure(.overflow))
        XCTAssertEqual(DType.allCases.count, 22)
    }
}
