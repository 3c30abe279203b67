import DF11Pipeline

/// The one way df11's reports print a share: two decimals and a space before the sign (`66.71 %`).
enum Percent {
    static func text(_ part: Double, of whole: Double) -> String {
        ByteFormatting.formatted(whole == 0 ? 0 : 100 * part / whole, digits: 2) + " %"
    }

    static func text(fraction: Double) -> String { ByteFormatting.formatted(100 * fraction, digits: 2) + " %" }
}
