import DF11IO
import Foundation
import Safetensors

/// Writes `dir/model.safetensors` holding `tensors` (name, dtype, shape, bytes) in the official library's order,
/// with `{"format": "pt"}` metadata, and `dir/config.json` when `config` is given. `dir` must exist.
public func writeCheckpoint(_ tensors: [(String, DType, [Int], [UInt8])], config: String? = nil, into dir: String) throws {
    let writer = try SafetensorsWriter(tensors: tensors.map { TensorDescription(name: $0.0, dtype: $0.1, shape: $0.2) },
                                       metadata: [("format", "pt")], order: .safetensorsLibrary)
    let file = try AtomicOutputFile(path: dir + "/model.safetensors", overwrite: false)
    let stream = try writer.start(sink: file)
    for info in writer.tensors {
        try stream.beginTensor(info.name)
        try tensors.first { $0.0 == info.name }!.3.withUnsafeBytes { try stream.write($0) }
    }
    try stream.finish()
    try file.commit()
    if let config { try AtomicOutputFile.write(contents: Array(config.utf8), to: dir + "/config.json", overwrite: false) }
}

/// Changes the bytes of tensor `name` of the safetensors file `file` in place.
public func patchTensor(_ file: String, _ name: String, _ change: (inout [UInt8]) -> Void) throws {
    let st = try SafetensorsFile(path: file)
    let info = st.header.tensor(named: name)!
    var bytes = [UInt8](repeating: 0, count: Int(info.byteCount))
    try bytes.withUnsafeMutableBytes { try st.read(tensor: info, range: 0 ..< info.byteCount, into: $0) }
    st.close()
    change(&bytes)
    let handle = FileHandle(forUpdatingAtPath: file)!
    try handle.seek(toOffset: st.header.dataStart + info.dataOffsets.lowerBound)
    handle.write(Data(bytes))
    try handle.close()
}
