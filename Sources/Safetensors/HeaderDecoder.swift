import JSON
/// Turns header JSON into tensor descriptions, checking each entry on its own (types, dtype, shape, sizes).
struct HeaderDecoder {
    let fileName: String

    struct Decoded {
        var tensors: [TensorInfo]
        var metadata: [(key: String, value: String)]?
    }

    func fail(_ problem: SafetensorsError.Problem, tensor: String? = nil) -> SafetensorsError {
        SafetensorsError(file: fileName, tensor: tensor, problem: problem)
    }

    func decode(_ bytes: [UInt8]) throws -> Decoded {
        if UInt64(bytes.count) > SafetensorsHeader.maxHeaderLength {
            throw fail(.headerTooLarge(length: UInt64(bytes.count), limit: SafetensorsHeader.maxHeaderLength))
        }
        let root: JSONValue
        do {
            root = try JSONParser().parse(bytes)
        } catch let error as JSONParseError {
            throw translate(error)
        }
        guard let members = root.members else { throw fail(.headerNotObject(found: root.kindDescription)) }
        var decoded = Decoded(tensors: [], metadata: nil)
        decoded.tensors.reserveCapacity(members.count)
        for member in members {
            if member.key == "__metadata__" {
                decoded.metadata = try metadata(member.value)
            } else {
                decoded.tensors.append(try tensor(member.key, member.value))
            }
        }
        return decoded
    }

    func translate(_ error: JSONParseError) -> SafetensorsError {
        switch error.reason {
        case .invalidUTF8:
            return fail(.invalidUTF8(offset: error.offset))
        case .duplicateKey(let key, let path):
            if path.isEmpty { return fail(.duplicateTensor, tensor: key) }
            if path.count == 1 && path[0] != "__metadata__" { return fail(.duplicateKey(key), tensor: path[0]) }
            return fail(.invalidJSON(error.description))
        default:
            return fail(.invalidJSON(error.description))
        }
    }

    func metadata(_ value: JSONValue) throws -> [(key: String, value: String)] {
        guard let members = value.members else { throw fail(.metadataNotObject(found: value.kindDescription)) }
        return try members.map { member in
            guard let text = member.value.stringValue else {
                throw fail(.metadataValueNotString(key: member.key, found: member.value.kindDescription))
            }
            return (key: member.key, value: text)
        }
    }

    func tensor(_ name: String, _ value: JSONValue) throws -> TensorInfo {
        if name.isEmpty { throw fail(.emptyTensorName) }
        guard value.members != nil else { throw fail(.tensorNotObject(found: value.kindDescription), tensor: name) }
        guard let dtypeValue = value["dtype"] else { throw fail(.missingKey("dtype"), tensor: name) }
        guard let shapeValue = value["shape"] else { throw fail(.missingKey("shape"), tensor: name) }
        guard let offsetsValue = value["data_offsets"] else { throw fail(.missingKey("data_offsets"), tensor: name) }
        guard let dtypeText = dtypeValue.stringValue, let dtype = DType(rawValue: dtypeText) else {
            let shown = dtypeValue.stringValue.map { "'\($0)'" } ?? dtypeValue.kindDescription
            throw fail(.unknownDType(shown), tensor: name)
        }
        let shape = try self.shape(shapeValue, tensor: name)
        let (begin, end) = try offsets(offsetsValue, tensor: name)
        if begin > end { throw fail(.offsetsReversed(begin: begin, end: end), tensor: name) }
        guard let elements = DType.elementCount(of: shape) else {
            throw fail(.sizeOverflow(shape: shape, dtype: dtype), tensor: name)
        }
        switch dtype.byteCount(forElementCount: elements) {
        case .failure(.overflow):
            throw fail(.sizeOverflow(shape: shape, dtype: dtype), tensor: name)
        case .failure(.partialByte(let bits)):
            throw fail(.partialByte(shape: shape, dtype: dtype, bits: bits), tensor: name)
        case .success(let size):
            if size != end - begin {
                throw fail(.shapeSizeMismatch(shape: shape, dtype: dtype, expected: size, begin: begin, end: end),
                           tensor: name)
            }
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin ..< end)
    }

    func shape(_ value: JSONValue, tensor name: String) throws -> [Int] {
        guard let elements = value.elements else {
            throw fail(.invalidShape("expected an array of non-negative integers, found \(value.kindDescription)"),
                       tensor: name)
        }
        return try elements.enumerated().map { position, element in
            guard let dimension = element.uint64Value, let exact = Int(exactly: dimension) else {
                throw fail(.invalidShape("dimension \(position) is \(element.kindDescription), "
                    + "not a non-negative integer below 2^63"), tensor: name)
            }
            return exact
        }
    }

    func offsets(_ value: JSONValue, tensor name: String) throws -> (UInt64, UInt64) {
        guard let elements = value.elements, elements.count == 2 else {
            throw fail(.invalidOffsets("expected [begin, end], found \(value.kindDescription)"), tensor: name)
        }
        guard let begin = elements[0].uint64Value, let end = elements[1].uint64Value else {
            let bad = elements[0].uint64Value == nil ? elements[0] : elements[1]
            throw fail(.invalidOffsets("offsets must be non-negative 64-bit integers, found \(bad.kindDescription)"),
                       tensor: name)
        }
        return (begin, end)
    }
}
