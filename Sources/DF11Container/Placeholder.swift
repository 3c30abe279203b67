import CZstd
import CXXHash
/// Version of the zstd library linked in, e.g. 10504 for 1.5.4.
public var linkedZstdVersion: UInt32 { UInt32(ZSTD_versionNumber()) }
/// Version of the xxHash library linked in.
public var linkedXXHashVersion: UInt32 { UInt32(XXH_versionNumber()) }
