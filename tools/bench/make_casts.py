#!/usr/bin/env python3
"""Writes the F16 and FP8 casts of an F32 safetensors file as safetensors files (numpy only).

  make_casts.py F32_FILE OUTDIR

OUTDIR/model-f16.safetensors: every F32 tensor cast to F16 (numpy `astype(float16)`, IEEE round to nearest
even). OUTDIR/model-fp8-e4m3.safetensors and model-fp8-e5m2.safetensors: every F32 tensor of two or more
elements cast to F8_E4M3 / F8_E5M2 with a per-tensor scale (`coder_bounds.fp8_cast`: amax / max-finite,
round to nearest even, saturating; bit-exact against torch), followed by its scale as an F32 scalar tensor
`NAME_scale` (as FP8 checkpoints store them); one-element tensors stay F32. Other dtypes are copied. Tensor
order and `__metadata__` are kept; the header is compact JSON padded with spaces to a multiple of 8. These
are the data sets "F16 cast" and "FP8 cast" of docs/CODER2.md, for peers (zstd, ZipNN) and, later, df11.
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import coder_bounds  # noqa: E402
import stlib  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    header, data_start = stlib.read_header(src)
    metadata = header.get("__metadata__")
    items = sorted(stlib.tensors_of(header), key=lambda t: t[1]["data_offsets"][0])
    raw = np.memmap(src, dtype=np.uint8, mode="r")

    def data(info):
        a, b = info["data_offsets"]
        return np.array(raw[data_start + a:data_start + b])

    def write(name, entries):
        header_out, _ = stlib.layout([(n, d, s) for n, d, s, _ in entries], metadata)
        path = os.path.join(outdir, name)
        with open(path, "wb") as f:
            f.write(stlib.encode_header(header_out))
            for _, _, _, payload in entries:
                f.write(payload.tobytes())
        print(f"{path}: {os.path.getsize(path):,} bytes, sha256 {stlib.sha256_file(path)}")

    f16 = []
    for n, info in items:
        if info["dtype"] == "F32":
            f16.append((n, "F16", info["shape"], data(info).view(np.float32).astype(np.float16)))
        else:
            f16.append((n, info["dtype"], info["shape"], data(info)))
    write("model-f16.safetensors", f16)

    for fname, fmt, dtype in (("model-fp8-e4m3.safetensors", coder_bounds.E4M3, "F8_E4M3"),
                              ("model-fp8-e5m2.safetensors", coder_bounds.E5M2, "F8_E5M2")):
        out = []
        for n, info in items:
            x = data(info)
            if info["dtype"] == "F32" and x.size >= 8:
                x = x.view(np.float32)
                q, _ = coder_bounds.fp8_cast(x, fmt)
                amax = float(np.abs(x).max())
                scale = np.array([amax / fmt["fmax"] if amax > 0 else 1.0], dtype=np.float32)
                out.append((n, dtype, info["shape"], q))
                out.append((n + "_scale", "F32", [], scale))
            else:
                out.append((n, info["dtype"], info["shape"], x))
        write(fname, out)


if __name__ == "__main__":
    main()
