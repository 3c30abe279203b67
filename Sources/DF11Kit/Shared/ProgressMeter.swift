import DF11Pipeline
import Foundation

/// A one-line progress bar for a whole job on standard error: bytes done, percentage, rate and ETA.
///
/// The top of the program decides where progress goes; the pipelines below only report it (`ProgressObserver`).
/// It draws only when enabled (by default: when standard error is a terminal), at most ten times a second,
/// and is safe to advance from any thread.
public final class ProgressMeter: ProgressObserver, @unchecked Sendable {
    private let label: String
    private var total: UInt64
    private let enabled: Bool
    private let lock = NSLock()
    private var done: UInt64 = 0
    private let started = DispatchTime.now()
    private var lastDraw: UInt64 = 0
    private var drewSomething = false

    /// Whether standard error is a terminal (where a progress bar belongs).
    public static var standardErrorIsTerminal: Bool { isatty(2) != 0 }

    /// - Parameters:
    ///   - label: what is being done, e.g. `"compress"`.
    ///   - total: bytes the whole job will process; 0 if unknown (no percentage or ETA then).
    ///   - enabled: draw at all; pass `false` for `--quiet`, `--json` or a non-terminal.
    public init(label: String, total: UInt64, enabled: Bool = ProgressMeter.standardErrorIsTerminal) {
        self.label = label
        self.total = total
        self.enabled = enabled
    }

    /// Sets the job's total once it becomes known (e.g. from a container's header), if it was unknown.
    public func setTotalIfUnknown(_ bytes: UInt64) {
        lock.lock()
        if total == 0 { total = bytes }
        lock.unlock()
    }

    /// Records `bytes` more bytes done and redraws if a tenth of a second has passed.
    public func advance(by bytes: UInt64) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        done += bytes
        let now = DispatchTime.now().uptimeNanoseconds
        if now - lastDraw >= 100_000_000 {
            lastDraw = now
            draw(now: now)
        }
    }

    /// Clears the line. Call once when the job ends, successfully or not.
    public func finish() {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        if drewSomething { FileHandle.standardError.write("\r\u{1B}[2K".data(using: .utf8)!) }
        drewSomething = false
    }

    private func draw(now: UInt64) {
        let seconds = Double(now - started.uptimeNanoseconds) / 1e9
        var line = "\(label)  \(ByteFormatting.bytes(done))"
        if total > 0 {
            let fraction = min(1, Double(done) / Double(total))
            let width = 24
            let filled = Int(fraction * Double(width))
            line += " / \(ByteFormatting.bytes(total))  \(Int(fraction * 100)) %  ["
                + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
            line += "  " + ByteFormatting.rate(bytes: done, seconds: seconds)
            if done > 0 && fraction < 1 {
                line += "  ETA " + ByteFormatting.duration(seconds * (1 - fraction) / fraction)
            }
        } else {
            line += "  " + ByteFormatting.rate(bytes: done, seconds: seconds)
        }
        FileHandle.standardError.write(("\r\u{1B}[2K" + line).data(using: .utf8)!)
        drewSomething = true
    }
}
