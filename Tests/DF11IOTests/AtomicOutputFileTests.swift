import DF11TestSupport
import Dispatch
import XCTest
@testable import DF11IO

final class AtomicOutputFileTests: XCTestCase {
    var directory = ""
    override func setUp() { directory = makeTemporaryDirectory() }
    override func tearDown() { removeTree(directory) }

    func testCommitRoundTrip() throws {
        let path = directory + "/out.df11"
        let output = try AtomicOutputFile(path: path, overwrite: false)
        let big = (0 ..< (3 << 20) + 5).map { UInt8(truncatingIfNeeded: $0) }
        try output.write([1, 2, 3])
        try big.withUnsafeBytes { try output.write($0) }
        try ([9, 9] as [UInt8]).withUnsafeBytes { try output.write($0, at: 1) }
        XCTAssertEqual(FileSystem.kind(of: path), .missing)
        try output.commit()
        let back = try FileSystem.readSmallFile(path)
        XCTAssertTrue(back == [1, 9, 9] + big, "content differs")
        XCTAssertEqual(try FileSystem.entries(of: directory), ["out.df11"])
    }

    func testConcurrentPositionedWritesAssembleTheFile() throws {
        let path = directory + "/pieces.bin"
        let output = try AtomicOutputFile(path: path, overwrite: false)
        let pieces = 64, size = 10_000
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            let bytes = [UInt8](repeating: UInt8(piece), count: size)
            do {
                try bytes.withUnsafeBytes { try output.write($0, concurrentlyAt: UInt64((pieces - 1 - piece) * size)) }
            } catch {
                XCTFail("\(error)")
            }
        }
        try output.commit()
        let back = try FileSystem.readSmallFile(path, limit: 1 << 20)
        XCTAssertEqual(back.count, pieces * size)
        for piece in 0..<pieces { XCTAssertEqual(back[(pieces - 1 - piece) * size], UInt8(piece)) }
    }

    func testRefusesExistingDestinationUnlessOverwrite() throws {
        let path = directory + "/exists.bin"
        writeFile(path, [1])
        XCTAssertThrowsError(try AtomicOutputFile(path: path, overwrite: false)) {
            XCTAssertTrue("\($0)".contains("--force"))
        }
        try AtomicOutputFile.write(contents: [7, 7], to: path, overwrite: true)
        XCTAssertEqual(try FileSystem.readSmallFile(path), [7, 7])
    }

    /// Found by fuzzing: `-o FIFO --force` (and, as root, `-o /dev/null --force`) renamed a regular file over the
    /// special file. Now refused, with or without overwrite, and nothing is replaced or left behind.
    func testSpecialFilesAreRefusedNotReplaced() throws {
        let fifo = directory + "/fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        for overwrite in [false, true] {
            XCTAssertThrowsError(try AtomicOutputFile(path: fifo, overwrite: overwrite)) { error in
                XCTAssert("\(error)".contains("not a regular file"), "\(error)")
            }
        }
        XCTAssertEqual(FileSystem.kind(of: fifo), .other)
        XCTAssertThrowsError(try AtomicOutputFile(path: "/dev/null", overwrite: true))
        XCTAssertEqual(try FileSystem.entries(of: directory), ["fifo"])
    }

    /// A symbolic link is followed: its target is replaced (with overwrite), the link stays a link.
    func testSymbolicLinksAreFollowed() throws {
        let target = directory + "/target", link = directory + "/link"
        try FileSystem.createDirectories(directory)
        try AtomicOutputFile.write(contents: [1], to: target, overwrite: false)
        XCTAssertEqual(symlink("target", link), 0)
        XCTAssertThrowsError(try AtomicOutputFile(path: link, overwrite: false))
        try AtomicOutputFile.write(contents: [2, 3], to: link, overwrite: true)
        XCTAssert(FileSystem.isSymbolicLink(link))
        XCTAssertEqual(try FileSystem.readSmallFile(target), [2, 3])
        XCTAssertEqual(try FileSystem.entries(of: directory), ["link", "target"])
        // A link to nothing is refused rather than replaced.
        XCTAssertEqual(symlink("nowhere", directory + "/dangling"), 0)
        XCTAssertThrowsError(try AtomicOutputFile(path: directory + "/dangling", overwrite: true)) { error in
            XCTAssert("\(error)".contains("symbolic link to nothing"), "\(error)")
        }
    }

    func testAbortAndDeinitLeaveNothing() throws {
        let output = try AtomicOutputFile(path: directory + "/a.bin", overwrite: false)
        try output.write([1, 2, 3])
        output.abort()
        do {
            let dropped = try AtomicOutputFile(path: directory + "/b.bin", overwrite: false)
            try dropped.write([4])
        }
        XCTAssertEqual(try FileSystem.entries(of: directory), [])
    }

    func testWriteHelperCreatesDirectories() throws {
        let path = directory + "/x/y/config.json"
        try AtomicOutputFile.write(contents: Array("{}".utf8), to: path, overwrite: false)
        XCTAssertEqual(try FileSystem.readSmallFile(path), Array("{}".utf8))
    }

    func testDiskFullMessage() {
        let failure = IOFailure(path: "out.df11", operation: .write, errno: ENOSPC, note: "nothing was written to out.df11")
        XCTAssertEqual(failure.description, "disk full while writing 'out.df11' (nothing was written to out.df11)")
        XCTAssertEqual(failure.category, .couldNotRun)
    }
}
