/// The container's fixed file header.
struct FileHeader {
    let parameters: ContainerParameters
    let originalSize: UInt64
    /// The file's minor version (the writer's when encoding).
    var minorVersion: UInt16 = ContainerFormat.minorVersion

    /// Whether reserved fields (frame flag bits other than bit 0, `TENS` reserved bytes) must be zero: in a
    /// file of this reader's minor version or older they have no meaning yet, so anything else is corruption;
    /// a newer minor version may give them one that this reader can ignore.
    var reservedFieldsAreZero: Bool { minorVersion <= ContainerFormat.minorVersion }

    /// The 40 bytes of the header (docs/FORMAT.md, section 1).
    func encoded() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: ContainerFormat.fileHeaderSize)
        bytes.withUnsafeMutableBytes { buffer in
            var w = LittleEndianWriter(buffer)
            w.append(ContainerFormat.magic)
            w.append(ContainerFormat.majorVersion)
            w.append(ContainerFormat.minorVersion)
            w.append(UInt32(0))
            w.append(UInt32(parameters.blockWeights))
            w.append(UInt32(parameters.segmentBlocks))
            w.append(originalSize)
            w.append(Checksum.xxh3(UnsafeRawBufferPointer(rebasing: buffer[0..<32])))
        }
        return bytes
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws -> FileHeader {
        guard bytes.count == ContainerFormat.fileHeaderSize,
              Array(bytes[0..<8]) == ContainerFormat.magic else {
            throw ContainerError(file: file, .notAContainer)
        }
        let stored = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 32, as: UInt64.self))
        guard Checksum.xxh3(UnsafeRawBufferPointer(rebasing: bytes[0..<32])) == stored else {
            throw ContainerError(file: file, .frameChecksum(frame: "file header"))
        }
        var r = LittleEndianReader(UnsafeRawBufferPointer(rebasing: bytes[8..<32]))
        let major = r.read(UInt16.self)!, minor = r.read(UInt16.self)!
        guard major == ContainerFormat.majorVersion else {
            throw ContainerError(file: file, .unsupportedVersion(major: major, minor: minor))
        }
        let flags = r.read(UInt32.self)!
        guard flags == 0 else { throw ContainerError(file: file, .unsupportedFlags(flags)) }
        var parameters = ContainerParameters.default
        parameters.blockWeights = Int(r.read(UInt32.self)!)
        parameters.segmentBlocks = Int(r.read(UInt32.self)!)
        if let problem = parameters.problem { throw ContainerError(file: file, .badParameters(problem)) }
        return FileHeader(parameters: parameters, originalSize: r.read(UInt64.self)!, minorVersion: minor)
    }
}
