import XCTest
import DF11IO
import DF11TestSupport
import Safetensors
@testable import DF11Container

/// An input file rewritten while it is compressed (found by `make faults`, tools/faults): compress must either
/// fail with `.inputChanged` or write a container that verifies, never exit 0 with one that does not.
final class InputChangeTests: XCTestCase {
    func testAFileRewrittenDuringCompressNeverGivesAContainerThatFailsVerify() throws {
        var rng = SplitMix64(seed: 7)
        let words = gaussianBF16(count: 1 << 20, sigma: 0.02, rng: &rng)
        let original = try safetensorsFile([("w", .bf16, [1 << 20], bytes(of: words)),
                                            ("i", .i64, [1 << 16], [UInt8](repeating: 7, count: 8 << 16))])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("df11-input-change-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("model.safetensors").path
        var parameters = ContainerParameters.default
        parameters.blockWeights = 1 << 12
        parameters.segmentBlocks = 4
        var changed = 0, consistent = 0
        for round in 0 ..< 40 {
            _ = FileManager.default.createFile(atPath: path, contents: Data(original))
            let stop = StopFlag()
            let writer = Thread {
                guard let handle = FileHandle(forWritingAtPath: path) else { return }
                var r = SplitMix64(seed: UInt64(round))
                while true {
                    if stop.isSet { break }
                    let offset = 256 + Int(r.next() % UInt64(original.count - 256 - 4096))
                    try? handle.seek(toOffset: UInt64(offset))
                    handle.write(Data((0 ..< 4096).map { _ in UInt8(truncatingIfNeeded: r.next()) }))
                }
                try? handle.close()
            }
            writer.start()
            let sink = MemorySink()
            let result = Result { try ContainerWriter(parameters: parameters, threads: 2).compress(source: try InputFile(path: path), to: sink) }
            stop.set()
            while !writer.isFinished { usleep(100) }
            switch result {
            case .success:
                // Whatever mix of old and new bytes was read, the container must be consistent.
                XCTAssertNoThrow(try ContainerReader(threads: 1).decompress(source: MemorySource(sink.bytes), to: nil),
                                 "round \(round): compress succeeded but its container does not verify")
                consistent += 1
            case .failure(let error as ContainerError):
                guard case .inputChanged = error.problem else { return XCTFail("round \(round): \(error)") }
                XCTAssertEqual(error.category, .badData)
                changed += 1
            case .failure(let error):
                XCTFail("round \(round): unexpected \(error)")
            }
        }
        XCTAssertEqual(changed + consistent, 40)
    }
}

/// A flag one thread sets and another polls.
private final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }

    func set() { lock.lock(); value = true; lock.unlock() }
}
