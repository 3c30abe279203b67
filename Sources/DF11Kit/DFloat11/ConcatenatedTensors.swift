import Safetensors

/// A checkpoint's tensors seen as one concatenation (a unit's weights in unit order).
struct ConcatenatedTensors {
    let tensors: [TensorInfo]
    let source: TensorSource
    /// Start of each tensor in the concatenation, in elements, plus the total.
    let starts: [UInt64]

    init(tensors: [TensorInfo], source: TensorSource) {
        self.tensors = tensors
        self.source = source
        var starts: [UInt64] = [0]
        for t in tensors { starts.append(starts.last! + t.elementCount) }
        self.starts = starts
    }

    var count: UInt64 { starts.last! }

    /// The tensor holding element `index` and the element's index inside it.
    func locate(_ index: UInt64) -> (tensor: TensorInfo, element: UInt64) {
        var i = 0
        while starts[i + 1] <= index { i += 1 }
        return (tensors[i], index - starts[i])
    }

    /// Reads the bf16 words `range` into `buffer`.
    func read(_ range: Range<UInt64>, into buffer: UnsafeMutablePointer<UInt16>) throws {
        var done: UInt64 = 0
        var index = range.lowerBound
        while index < range.upperBound {
            let (tensor, element) = locate(index)
            let n = min(range.upperBound - index, tensor.elementCount - element)
            try source.read(tensor: tensor, range: element * 2 ..< (element + n) * 2,
                            into: UnsafeMutableRawBufferPointer(start: buffer + Int(done), count: Int(n) * 2))
            done += n
            index += n
        }
    }
}
