"""Small, dependency-free (numpy only) helpers shared by df11's Python tools (tools/bench, tools/golden).

A script in tools/bench or tools/golden imports it with:

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import stlib


- safetensors header reading and writing (compact JSON, space padding to 8)
- float32 -> bfloat16 round-to-nearest-even on raw bits
- sha256 of files and of a directory's files, human sizes
- df11's preset pattern dictionaries (for the golden-fixture scripts)

Written for df11's benchmark tooling; the format rules follow the public
safetensors description: 8-byte little-endian header length N, N bytes of
UTF-8 JSON, then the data section; offsets are relative to the data section.
"""
from __future__ import annotations

import hashlib
import json
import os
import struct

import numpy as np

DTYPE_SIZES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1,
    "U16": 2, "I16": 2, "F16": 2, "BF16": 2,
    "U32": 4, "I32": 4, "F32": 4,
    "U64": 8, "I64": 8, "F64": 8,
}


def read_header(path: str):
    """Return (header_dict_in_file_order, data_start) of a safetensors file."""
    with open(path, "rb") as f:
        raw_len = f.read(8)
        if len(raw_len) != 8:
            raise ValueError(f"{path}: shorter than 8 bytes, not a safetensors file")
        (n,) = struct.unpack("<Q", raw_len)
        size = os.fstat(f.fileno()).st_size
        if n > size - 8 or n > 100 * 1024 * 1024:
            raise ValueError(f"{path}: header length {n} is impossible for a {size}-byte file")
        raw = f.read(n)
    header = json.loads(raw.decode("utf-8"))  # dicts keep file order
    return header, 8 + n


def tensors_of(header: dict):
    """(name, info) pairs in header order, without __metadata__."""
    return [(k, v) for k, v in header.items() if k != "__metadata__"]


def encode_header(header: dict) -> bytes:
    """Compact JSON, UTF-8, padded with spaces so its length is a multiple of 8."""
    js = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    pad = (-len(js)) % 8
    js += b" " * pad
    return struct.pack("<Q", len(js)) + js


def layout(entries, metadata=None):
    """entries: list of (name, dtype, shape). Returns header dict with
    contiguous data_offsets in the given order (metadata first if given)."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    off = 0
    for name, dtype, shape in entries:
        n = DTYPE_SIZES[dtype]
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + n]}
        off += n
    return header, off


def f32_bits_to_bf16(bits: np.ndarray) -> np.ndarray:
    """uint32 float32 bit patterns -> uint16 bfloat16 bit patterns,
    round-to-nearest-even; NaNs stay NaN (quiet bit set, sign kept)."""
    bits = np.asarray(bits, dtype=np.uint32)
    # uint32 arithmetic wraps only for NaN patterns >= 0xFFFF8000, which are replaced below.
    rounded = (bits + np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))) >> np.uint32(16)
    out = rounded.astype(np.uint16)
    nan = (bits & np.uint32(0x7FFFFFFF)) > np.uint32(0x7F800000)
    if nan.any():
        out[nan] = ((bits[nan] >> np.uint32(16)) | np.uint32(0x0040)).astype(np.uint16)
    return out


def f32_to_bf16(x: np.ndarray, inplace: bool = False) -> np.ndarray:
    """float32 values -> uint16 bfloat16 bit patterns, round-to-nearest-even.

    inplace=True consumes a contiguous float32 array without NaNs as scratch (no uint32 copy: for large
    generated tensors); otherwise, or when it holds a NaN, the careful path above is taken."""
    if inplace and x.dtype == np.float32 and x.flags.c_contiguous and not np.isnan(x).any():
        b = x.view(np.uint32)
        t = b >> np.uint32(16)
        t &= np.uint32(1)
        t += np.uint32(0x7FFF)
        t += b
        t >>= np.uint32(16)
        return t.astype(np.uint16)
    return f32_bits_to_bf16(np.ascontiguousarray(x, dtype=np.float32).view(np.uint32))


def sha256_file(path: str, bufsize: int = 8 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(bufsize)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def file_listing(directory) -> dict:
    """Every file under `directory` (sorted), by path relative to it: its size and SHA-256."""
    from pathlib import Path
    root = Path(directory)
    return {str(p.relative_to(root)): {"bytes": p.stat().st_size, "sha256": sha256_file(str(p))}
            for p in sorted(root.rglob("*")) if p.is_file()}


def preset_pattern(name: str) -> dict:
    """The pattern dictionary of df11's preset `name` (Sources/DFloat11Layout/Architectures/NAME.json, which
    cites its source)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "Sources", "DFloat11Layout", "Architectures", name + ".json")) as f:
        return json.load(f)["pattern_dict"]


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000.0
    return str(n)
