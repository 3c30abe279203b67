/// Every element type of the safetensors format (the Rust crate's `Dtype`, version 0.8), in the crate's
/// declaration order, which is also the order its writer sorts by (descending). `rawValue` is the header
/// spelling.
public enum DType: String, CaseIterable, Sendable, Comparable {
    case bool = "BOOL"
    case f4 = "F4"
    case f6E2M3 = "F6_E2M3"
    case f6E3M2 = "F6_E3M2"
    case u8 = "U8"
    case i8 = "I8"
    case f8E5M2 = "F8_E5M2"
    case f8E4M3 = "F8_E4M3"
    case f8E8M0 = "F8_E8M0"
    case f8E4M3FNUZ = "F8_E4M3FNUZ"
    case f8E5M2FNUZ = "F8_E5M2FNUZ"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case c64 = "C64"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// The size of one element in bits (4 for F4, 6 for the F6 types, 8 to 64 for the others).
    public var bitsPerElement: Int {
        switch self {
        case .f4: return 4
        case .f6E2M3, .f6E3M2: return 6
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .c64, .f64, .i64, .u64: return 64
        }
    }

    /// Whether elements are integers or booleans (indices, masks, counters) rather than real values.
    public var isFloatingPoint: Bool {
        switch self {
        case .bool, .u8, .i8, .i16, .u16, .i32, .u32, .i64, .u64: return false
        default: return true
        }
    }

    /// The position in the Rust crate's declaration order (BOOL = 0 … U64 = 21).
    public var declarationRank: Int {
        DType.allCases.firstIndex(of: self) ?? 0
    }

    /// Orders by the Rust crate's declaration order.
    public static func < (lhs: DType, rhs: DType) -> Bool {
        lhs.declarationRank < rhs.declarationRank
    }

    /// Why an element count cannot be stored.
    public enum SizeProblem: Error, Equatable, Sendable {
        /// The byte count does not fit in 64 bits.
        case overflow
        /// The elements of a sub-byte type do not fill a whole number of bytes (`bits` in total).
        case partialByte(bits: UInt64)
    }

    /// The number of bytes taken by `elementCount` elements: `elementCount × bits / 8`, computed with
    /// overflow checks. Sub-byte types must fill whole bytes (as the Rust crate requires).
    public func byteCount(forElementCount elementCount: UInt64) -> Result<UInt64, SizeProblem> {
        let (bits, overflow) = elementCount.multipliedReportingOverflow(by: UInt64(bitsPerElement))
        if overflow { return .failure(.overflow) }
        if bits % 8 != 0 { return .failure(.partialByte(bits: bits)) }
        return .success(bits / 8)
    }

    /// The product of `shape`'s entries, nil on overflow or a negative entry. The empty shape (a scalar) has 1.
    public static func elementCount(of shape: [Int]) -> UInt64? {
        var count: UInt64 = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: UInt64(dimension))
            if overflow { return nil }
            count = product
        }
        return count
    }
}
