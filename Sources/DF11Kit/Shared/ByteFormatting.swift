/// Human-readable byte counts, rates and durations, in decimal units (1 GB = 10⁹ bytes) as disks are sold.
public enum ByteFormatting {
    /// `1234567` → `"1.23 MB"`.
    public static func bytes(_ count: UInt64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        if unit == 0 { return "\(count) B" }
        return formatted(value, digits: value < 10 ? 2 : value < 100 ? 1 : 0) + " " + units[unit]
    }

    /// Bytes per second → `"1.52 GB/s"`.
    public static func rate(bytes: UInt64, seconds: Double) -> String {
        guard seconds > 0 else { return "– B/s" }
        return self.bytes(UInt64(Double(bytes) / seconds)) + "/s"
    }

    /// Seconds → `"0:07"`, `"12:34"` or `"1:02:03"`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "–:––" }
        let total = Int(seconds.rounded())
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        let ss = s < 10 ? "0\(s)" : "\(s)"
        if h > 0 { return "\(h):" + (m < 10 ? "0\(m)" : "\(m)") + ":" + ss }
        return "\(m):" + ss
    }

    /// A fixed-point rendering without Foundation's locale-dependent formatters.
    public static func formatted(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (value * scale).rounded()
        let integer = Int64(scaled / scale)
        guard digits > 0 else { return "\(integer)" }
        var fraction = String(Int64(abs(scaled - Double(integer) * scale)))
        while fraction.count < digits { fraction = "0" + fraction }
        return "\(scaled < 0 && integer == 0 ? "-" : "")\(integer).\(fraction)"
    }
}
