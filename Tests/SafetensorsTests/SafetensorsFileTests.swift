import DF11TestSupport
import XCTest
import Foundation
import DF11IO
@testable import Safetensors

final class SafetensorsFileTests: XCTestCase {
    func testPositionedReadsMatchTheFileBytes() throws {
        let path = fixture("tiny-llama/model-00002-of-00002.safetensors")
        let whole = try FileSystem.readSmallFile(path)
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(file.name, path)
        guard let tensor = file.header.tensor(named: "lm_head.weight") else { return XCTFail("missing tensor") }
        XCTAssertEqual(tensor.shape, [320, 64])
        var buffer = [UInt8](repeating: 0, count: 100)
        try buffer.withUnsafeMutableBytes { try file.read(tensor: tensor, range: 10 ..< 110, into: $0) }
        let start = Int(file.header.dataStart + tensor.dataOffsets.lowerBound) + 10
        XCTAssertEqual(buffer, Array(whole[start ..< start + 100]))
    }

    func testConcurrentPositionedReads() throws {
        let path = fixture("tiny-llama/model-00001-of-00002.safetensors")
        let file = try SafetensorsFile(path: path)
        let whole = try FileSystem.readSmallFile(path)
        let tensors = file.header.tensors
        let dataStart = file.header.dataStart
        DispatchQueue.concurrentPerform(iterations: tensors.count) { index in
            let tensor = tensors[index]
            var buffer = [UInt8](repeating: 0, count: Int(tensor.byteCount))
            do {
                try buffer.withUnsafeMutableBytes { try file.read(tensor: tensor, range: 0 ..< tensor.byteCount, into: $0) }
            } catch {
                XCTFail("\(error)")
            }
            let start = Int(dataStart + tensor.dataOffsets.lowerBound)
            XCTAssertEqual(buffer, Array(whole[start ..< start + buffer.count]))
        }
    }

    func testMappedRangesMatchPositionedReads() throws {
        let file = try SafetensorsFile(path: fixture("tiny-llama/model-00002-of-00002.safetensors"))
        let tensor = try XCTUnwrap(file.header.tensor(named: "lm_head.weight"))
        for (range, populate) in [(0 ..< tensor.byteCount, true), (4097 ..< 9001, false), (7 ..< 8, true)] {
            var expected = [UInt8](repeating: 0, count: Int(range.count))
            try expected.withUnsafeMutableBytes { try file.read(tensor: tensor, range: range, into: $0) }
            let region = try file.map(tensor: tensor, range: range, populate: populate)
            XCTAssertEqual(Array(region.bytes), expected, "\(range)")
        }
    }

    func testFloatingPointDTypes() {
        let integers: Set<DType> = [.bool, .u8, .i8, .i16, .u16, .i32, .u32, .i64, .u64]
        for dtype in DType.allCases {
            XCTAssertEqual(dtype.isFloatingPoint, !integers.contains(dtype), dtype.rawValue)
        }
    }
}
