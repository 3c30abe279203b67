import DF11Pipeline
import Foundation

/// One progress line for the whole batch on standard error: checkpoints done, bytes, rate, ETA, current.
public final class BatchProgress: @unchecked Sendable {
    private let enabled: Bool
    private let lock = NSLock()
    private var total = 0, finished = 0
    private var totalBytes: UInt64 = 0, doneBytes: UInt64 = 0
    private var current: [String] = []
    private let started = Date()
    private var timer: DispatchSourceTimer?
    private var drawn = false

    public init(enabled: Bool) { self.enabled = enabled }

    public func plan(_ items: [BatchItem]) {
        guard enabled else { return }
        lock.lock()
        total = items.count
        totalBytes = items.reduce(0) { $0 + $1.bytes }
        lock.unlock()
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + 0.5, repeating: 0.5)
        timer.setEventHandler { [weak self] in self?.draw() }
        timer.resume()
        self.timer = timer
    }

    public func start(_ item: BatchItem) {
        guard enabled else { return }
        lock.lock(); current.append(item.name); lock.unlock()
        draw()
    }

    public func done(_ result: BatchResult) {
        guard enabled else { return }
        lock.lock()
        finished += 1
        doneBytes += result.item.bytes
        if let i = current.firstIndex(of: result.item.name) { current.remove(at: i) }
        lock.unlock()
    }

    public func clear() {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)); drawn = false }
    }

    public func stop() {
        timer?.cancel()
        timer = nil
        clear()
    }

    private func draw() {
        lock.lock(); defer { lock.unlock() }
        let seconds = Date().timeIntervalSince(started)
        var line = "batch \(finished)/\(total)  \(ByteFormatting.bytes(doneBytes)) / \(ByteFormatting.bytes(totalBytes))"
        if seconds > 0 && doneBytes > 0 {
            line += "  " + ByteFormatting.rate(bytes: doneBytes, seconds: seconds)
            if doneBytes < totalBytes {
                line += "  ETA " + ByteFormatting.duration(seconds * Double(totalBytes - doneBytes) / Double(doneBytes))
            }
        }
        if !current.isEmpty { line += "  " + current.joined(separator: ", ") }
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
        drawn = true
    }
}
