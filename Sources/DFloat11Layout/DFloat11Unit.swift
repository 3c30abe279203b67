/// The six tensors the published layout stores for each unit, under `<module>.<name>`.
public enum UnitTensor: String, CaseIterable, Sendable {
    /// U8 `[k+1, 256]`: k decode tables, then the code-length row.
    case luts
    /// U8 `[bytes]`: the Huffman bitstream of the exponents, MSB-first.
    case encodedExponent = "encoded_exponent"
    /// U8 `[N]`: sign bit and mantissa of each weight.
    case signMantissa = "sign_mantissa"
    /// U8 `[4 * (entries)]`: uint32 little-endian index of the first weight starting in each 4096-byte block, then N.
    case outputPositions = "output_positions"
    /// U8: 5-bit offsets of the first code starting in each 64-bit window, packed MSB-first.
    case gaps
    /// I64 `[n - 1]`: cumulative sizes of the unit's n weight tensors, the last left out.
    case splitPositions = "split_positions"
}

/// One unit of the published layout: a module whose weights share one Huffman code and one file.
public struct DFloat11Unit: Equatable, Sendable {
    /// The module's full dotted name, e.g. `model.layers.3` (the prefix of every tensor of the unit file).
    public let module: String
    /// The unit's weights in unit order: each name as the model knows it (`weights[i].name`) and the checkpoint
    /// tensor that holds its data (`weights[i].source`, different only for tied weights).
    public let weights: [(name: String, source: String)]
    /// The module's other tensors (biases, norms, unlisted sub-modules), stored unchanged under the same name.
    public let otherTensors: [String]

    /// A unit of `module` made of `weights` plus `otherTensors`.
    public init(module: String, weights: [(name: String, source: String)], otherTensors: [String]) {
        self.module = module
        self.weights = weights
        self.otherTensors = otherTensors
    }

    public static func == (lhs: DFloat11Unit, rhs: DFloat11Unit) -> Bool {
        lhs.module == rhs.module && lhs.otherTensors == rhs.otherTensors
            && lhs.weights.elementsEqual(rhs.weights, by: { $0 == $1 })
    }

    /// The name of unit tensor `kind` in the file: `<module>.<kind>`.
    public func tensorName(_ kind: UnitTensor) -> String { module + "." + kind.rawValue }

    /// The file the directory layout writes the unit to: the module name with `.` replaced by `_`.
    public var fileName: String { String(module.map { $0 == "." ? "_" : $0 }) + ".safetensors" }
}
