import DF11IO

/// Why a unit of the published DFloat11 layout could not be written, read or verified. The message names the
/// unit (the module name, e.g. `model.layers.3`) and, where known, the 4096-byte block of its bitstream.
///
/// Refusals (`category == .couldNotRun`) are inputs the published layout cannot hold, or for which the
/// official compressor's bytes are not determined by the input; they suggest df11's own container instead.
public struct DFloat11LayoutError: DF11Failure, Equatable {
    /// What went wrong.
    public enum Problem: Equatable, Sendable {
        // Refusals while writing.
        /// The unit holds no weights.
        case emptyUnit
        /// A unit weight is not bf16.
        case notBF16(tensor: String, dtype: String)
        /// The unit has an exponent byte of 240 or more (|x| ≥ 2^113, inf or NaN): it would read as a pointer.
        case exponentNotRepresentable(UInt8)
        /// The 32-bit limiter reached a round whose k smallest counts are tied (numpy's pick depends on the CPU).
        case limiterTie(k: Int, count: UInt64)
        /// The 32-bit limiter ran out of counts (numpy's argpartition would fail too).
        case limiterExhausted(k: Int)
        /// The code needs more than 16 decode tables: pointer bytes would fall below 240.
        case tooManyDecodeTables(Int)
        /// Table 0 has no entry at byte 0 (end-of-file owns the all-zero code): the official tool crashes here.
        case firstTableStartsWithEndOfFile
        /// The pattern dictionary or the checkpoint does not describe a unit the official tool could write.
        case badUnitDescription(String)

        // Corruption found while reading.
        /// A unit tensor is missing, has the wrong dtype, or the wrong shape.
        case badTensor(name: String, reason: String)
        /// The decode tables disagree with themselves or with the code-length row.
        case badDecodeTables(String)
        /// The bitstream does not decode consistently with the gaps and output positions.
        case corruptBitstream(String)
        /// The caller's data does not agree with what it announced (a programming or input error).
        case inconsistentInput(String)
    }

    /// The unit's module name.
    public let unit: String
    /// The 4096-byte block of the bitstream, when the problem is located in one.
    public let block: Int?
    /// What went wrong.
    public let problem: Problem

    /// A failure of `unit`, optionally located in `block`.
    public init(unit: String, block: Int? = nil, _ problem: Problem) {
        self.unit = unit
        self.block = block
        self.problem = problem
    }

    /// Refusals are `.couldNotRun` (the input is valid bf16, the layout cannot hold it); corruption is `.badData`.
    public var category: FailureCategory {
        switch problem {
        case .emptyUnit, .notBF16, .exponentNotRepresentable, .limiterTie, .limiterExhausted,
             .tooManyDecodeTables, .firstTableStartsWithEndOfFile, .badUnitDescription:
            return .couldNotRun
        case .badTensor, .badDecodeTables, .corruptBitstream, .inconsistentInput:
            return .badData
        }
    }

    /// A short machine-readable name of the problem.
    public var code: String {
        switch problem {
        case .emptyUnit: return "empty-unit"
        case .notBF16: return "not-bf16"
        case .exponentNotRepresentable: return "exponent-not-representable"
        case .limiterTie: return "limiter-tie"
        case .limiterExhausted: return "limiter-exhausted"
        case .tooManyDecodeTables: return "too-many-decode-tables"
        case .firstTableStartsWithEndOfFile: return "eof-at-table-0"
        case .badUnitDescription: return "bad-unit"
        case .badTensor: return "bad-tensor"
        case .badDecodeTables: return "bad-decode-tables"
        case .corruptBitstream: return "corrupt-bitstream"
        case .inconsistentInput: return "inconsistent-input"
        }
    }

    private static let suggestion = "; use `df11 compress` without --format dfloat11 (df11's own container stores it losslessly)"

    /// "DFloat11 unit 'model.layers.3', block 7: …"; just the reason when `unit` is empty (a problem of the
    /// pattern dictionary or config.json as a whole, whose reason names it).
    public var description: String {
        if unit.isEmpty { return reason }
        var place = "DFloat11 unit '\(unit)'"
        if let block { place += ", block \(block)" }
        return place + ": " + reason
    }

    private var reason: String {
        switch problem {
        case .emptyUnit:
            return "the unit holds no weights; the published layout cannot represent an empty unit" + Self.suggestion
        case let .notBF16(tensor, dtype):
            return "tensor '\(tensor)' is \(dtype), the published layout holds bf16 weights only" + Self.suggestion
        case let .exponentNotRepresentable(exponent):
            return "a weight has exponent byte \(exponent) (|x| ≥ 2^113, inf or NaN); the published layout reads "
                + "exponents 240–255 as table pointers and cannot hold it" + Self.suggestion
        case let .limiterTie(k, count):
            return "the official 32-bit code-length limiter picks \(k) of several exponents tied at count \(count); "
                + "which ones numpy's argpartition picks depends on the CPU (AVX2 or not), so the official bytes "
                + "are not determined by the weights and df11 will not claim to reproduce them" + Self.suggestion
        case let .limiterExhausted(k):
            return "the official 32-bit code-length limiter reached k = \(k), past the number of exponents "
                + "(the official tool fails here too)" + Self.suggestion
        case let .tooManyDecodeTables(count):
            return "the code needs \(count) decode tables; the published layout addresses at most 16" + Self.suggestion
        case .firstTableStartsWithEndOfFile:
            return "the end-of-file code owns byte 0 of the first decode table; the official compressor fails on "
                + "such a unit (typically a very small one)" + Self.suggestion
        case let .badUnitDescription(why):
            return why
        case let .badTensor(name, why):
            return "tensor '\(name)': \(why)"
        case let .badDecodeTables(why):
            return "invalid decode tables (luts): \(why)"
        case let .corruptBitstream(why):
            return "the encoded exponents do not decode consistently: \(why)"
        case let .inconsistentInput(why):
            return why
        }
    }
}
