/// Checks how the tensors' byte ranges tile the data section.
enum HeaderLayout {
    struct Result {
        var fileOrder: [TensorInfo]
        /// The end of the last tensor.
        var end: UInt64
    }

    /// The largest data offset whose file position (8 + N + offset) still fits a signed 64-bit file offset.
    static let maxOffset = UInt64(Int64.max) - 8 - SafetensorsHeader.maxHeaderLength

    static func check(_ tensors: [TensorInfo], fileName: String, dataSectionSize: UInt64?) throws -> Result {
        for tensor in tensors where tensor.dataOffsets.upperBound > maxOffset {
            throw SafetensorsError(file: fileName, tensor: tensor.name,
                                   problem: .offsetsOutOfRange(begin: tensor.dataOffsets.lowerBound,
                                                               end: tensor.dataOffsets.upperBound))
        }
        let order = tensors.indices.sorted { left, right in
            let a = tensors[left].dataOffsets, b = tensors[right].dataOffsets
            if a.lowerBound != b.lowerBound { return a.lowerBound < b.lowerBound }
            if a.upperBound != b.upperBound { return a.upperBound < b.upperBound }
            return left < right
        }
        var fileOrder: [TensorInfo] = []
        fileOrder.reserveCapacity(tensors.count)
        var end: UInt64 = 0
        var previous: TensorInfo?
        for index in order {
            let tensor = tensors[index]
            let range = tensor.dataOffsets
            if range.lowerBound < end, let previous = previous {
                throw SafetensorsError(file: fileName, tensor: tensor.name,
                                       problem: .offsetsOverlap(other: previous.name, begin: range.lowerBound,
                                                                end: range.upperBound))
            }
            if range.lowerBound > end {
                throw SafetensorsError(file: fileName, tensor: tensor.name,
                                       problem: .offsetsHole(from: end, to: range.lowerBound))
            }
            end = range.upperBound
            previous = tensor
            fileOrder.append(tensor)
        }
        if let size = dataSectionSize {
            if end > size {
                let cut = fileOrder.first { $0.dataOffsets.upperBound > size }
                throw SafetensorsError(file: fileName, tensor: cut?.name,
                                       problem: .truncatedData(offset: size, expectedEnd: end, available: size))
            }
            if end < size {
                throw SafetensorsError(file: fileName, problem: .trailingData(declaredEnd: end, actual: size))
            }
        }
        return Result(fileOrder: fileOrder, end: end)
    }
}
