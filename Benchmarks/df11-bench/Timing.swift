#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seconds on the monotonic clock.
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Best and median of repeated timings, as rates.
struct Rate: CustomStringConvertible {
    var best: Double
    var median: Double
    var spread: Double  // (slowest − fastest) / fastest

    /// Runs `body` `repeats` times (after one untimed warm-up) and turns each time into `items / seconds`.
    init(items: Int, repeats: Int, _ body: () -> Void) {
        body()
        var times = [Double]()
        for _ in 0..<repeats {
            let start = now()
            body()
            times.append(now() - start)
        }
        times.sort()
        best = Double(items) / times.first!
        median = Double(items) / times[times.count / 2]
        spread = (times.last! - times.first!) / times.first!
    }

    /// Rates of several bodies timed in alternation (one run of each per round, after one warm-up round), so
    /// that a change of the machine's load affects them alike.
    static func alternating(items: Int, repeats: Int, _ bodies: [() -> Void]) -> [Rate] {
        alternatingTimes(repeats: repeats, bodies).map { Rate(items: items, sortedTimes: $0.sorted()) }
    }

    /// The seconds of each body in each round (`[body][round]`), timed in alternation after a warm-up round.
    static func alternatingTimes(repeats: Int, _ bodies: [() -> Void]) -> [[Double]] {
        for body in bodies { body() }
        var times = [[Double]](repeating: [], count: bodies.count)
        for _ in 0..<repeats {
            for (i, body) in bodies.enumerated() {
                let start = now()
                body()
                times[i].append(now() - start)
            }
        }
        return times
    }

    /// The median over rounds of `reference`'s time / `other`'s time in the same round: `other`'s speed as a
    /// fraction of `reference`'s, each round seeing the same load.
    static func medianRatio(_ other: [Double], to reference: [Double]) -> Double {
        let ratios = zip(other, reference).map { $1 / $0 }.sorted()
        return ratios[ratios.count / 2]
    }

    init(items: Int, sortedTimes times: [Double]) {
        best = Double(items) / times.first!
        median = Double(items) / times[times.count / 2]
        spread = (times.last! - times.first!) / times.first!
    }

    var description: String {
        "best \(fmt(best / 1e6, 0)) M/s, median \(fmt(median / 1e6, 0)) M/s (spread \(fmt(spread * 100, 0))%)"
    }
}

/// `value` with `digits` decimals.
func fmt(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = "\(rounded)"
    if digits == 0, text.hasSuffix(".0") { text.removeLast(2) }
    if let dot = text.firstIndex(of: "."), digits > 0 {
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
    }
    return text
}

/// `text` padded on the left to `width` characters.
func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}
