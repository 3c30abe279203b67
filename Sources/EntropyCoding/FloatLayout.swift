/// The bit fields of a floating-point element: `sign | exponent | mantissa`, most significant first, stored
/// little-endian in `width` bytes. Only the field widths matter to the coder; NaN payloads, infinities,
/// subnormals and negative zero are just bit patterns to it.
public struct FloatLayout: Hashable, Sendable, CustomStringConvertible {
    /// Bytes per element: 1, 2, 4 or 8.
    public let width: Int
    public let exponentBits: Int
    public let mantissaBits: Int
    public let name: String

    public init(name: String, width: Int, exponentBits: Int, mantissaBits: Int) {
        precondition([1, 2, 4, 8].contains(width) && 1 + exponentBits + mantissaBits == 8 * width,
                     "a float layout is 1 sign bit, the exponent and the mantissa, filling its bytes")
        self.name = name
        self.width = width
        self.exponentBits = exponentBits
        self.mantissaBits = mantissaBits
    }

    public static let bf16 = FloatLayout(name: "BF16", width: 2, exponentBits: 8, mantissaBits: 7)
    public static let f16 = FloatLayout(name: "F16", width: 2, exponentBits: 5, mantissaBits: 10)
    public static let f32 = FloatLayout(name: "F32", width: 4, exponentBits: 8, mantissaBits: 23)
    public static let f64 = FloatLayout(name: "F64", width: 8, exponentBits: 11, mantissaBits: 52)
    /// FP8 E4M3 (the FN variant safetensors calls F8_E4M3: no infinities, one NaN per sign).
    public static let f8E4M3 = FloatLayout(name: "F8_E4M3", width: 1, exponentBits: 4, mantissaBits: 3)
    public static let f8E5M2 = FloatLayout(name: "F8_E5M2", width: 1, exponentBits: 5, mantissaBits: 2)

    /// Every layout the structured coder knows.
    public static let all: [FloatLayout] = [.bf16, .f16, .f32, .f64, .f8E4M3, .f8E5M2]

    @inlinable public var bits: Int { 8 * width }

    public var description: String { name }
}
