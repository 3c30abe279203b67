#!/usr/bin/env python3
"""Reference exponent statistics of the BF16 tensors of safetensors files (numpy only).

For each BF16 tensor: the histogram of the 8 exponent bits, exponent = (w >> 7) & 0xFF
for each little-endian uint16 word w, and its Shannon entropy in bits per weight,
H = -sum(p * log2 p), p = count / N, in float64. Totals: the histogram of all BF16
weights together and its entropy, plus the count-weighted mean of the per-tensor
entropies (what per-tensor coding can reach in the limit).

PATH may be a .safetensors file or a folder (every *.safetensors in it, sorted by name).
Data is read through short-lived np.memmap slices, so big files do not need big memory.
This is an independent check for `df11 inspect --json` (compare to 1e-6 bits).
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import stlib  # noqa: E402

SLICE_WORDS = 8 << 20  # 16 MiB of bf16 per step (bincount makes an int64 copy: 64 MiB)


def entropy_bits(counts: np.ndarray) -> float:
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if total == 0:
        return 0.0
    p = counts[counts > 0] / total
    return float(-(p * np.log2(p)).sum())


def tensor_histogram(path: str, start: int, end: int) -> np.ndarray:
    """Exponent histogram of the bf16 words in bytes [start, end) of path.
    Each slice is its own short-lived np.memmap, so resident memory stays bounded."""
    hist = np.zeros(256, dtype=np.int64)
    step = SLICE_WORDS * 2
    for a in range(start, end, step):
        n = min(step, end - a) // 2
        w = np.memmap(path, dtype=np.uint16, mode="r", offset=a, shape=(n,))
        e = ((w >> np.uint16(7)) & np.uint16(0xFF)).astype(np.uint8)
        hist += np.bincount(e, minlength=256)
        del w, e
    return hist


def analyse(paths):
    tensors = []
    total = np.zeros(256, dtype=np.int64)
    weighted = 0.0
    skipped = 0
    for path in paths:
        header, data_start = stlib.read_header(path)
        for name, info in header.items():
            if name == "__metadata__":
                continue
            if info["dtype"] != "BF16":
                skipped += 1
                continue
            a, b = info["data_offsets"]
            if (b - a) % 2:
                raise SystemExit(f"{path}: tensor {name} has an odd byte count for BF16")
            hist = tensor_histogram(path, data_start + a, data_start + b)
            n = int(hist.sum())
            h = entropy_bits(hist)
            total += hist
            weighted += h * n
            entry = {"name": name, "count": n, "entropy_bits": h,
                     "histogram": {str(e): int(c) for e, c in enumerate(hist) if c}}
            if len(paths) > 1:
                entry["file"] = os.path.basename(path)
            tensors.append(entry)
    n_all = int(total.sum())
    return {
        "files": [os.path.abspath(p) for p in paths],
        "tensors": tensors,
        "total": {
            "tensors": len(tensors),
            "count": n_all,
            "entropy_bits": entropy_bits(total),
            "mean_tensor_entropy_bits": (weighted / n_all) if n_all else 0.0,
            "histogram": {str(e): int(c) for e, c in enumerate(total) if c},
        },
        "non_bf16_tensors_skipped": skipped,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", help=".safetensors file or folder of them")
    ap.add_argument("--json", action="store_true", help="print the full JSON report")
    args = ap.parse_args()
    if os.path.isdir(args.path):
        paths = sorted(glob.glob(os.path.join(args.path, "*.safetensors")))
        if not paths:
            sys.exit(f"{args.path}: no .safetensors files")
    else:
        paths = [args.path]
    rep = analyse(paths)
    if args.json:
        json.dump(rep, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    w = max([len(t["name"]) for t in rep["tensors"]] + [6])
    print(f"{'tensor':<{w}}  {'count':>12}  {'H bits':>10}  exps")
    for t in rep["tensors"]:
        print(f"{t['name']:<{w}}  {t['count']:>12}  {t['entropy_bits']:>10.6f}  {len(t['histogram'])}")
    tot = rep["total"]
    print(f"{'TOTAL':<{w}}  {tot['count']:>12}  {tot['entropy_bits']:>10.6f}  {len(tot['histogram'])}")
    print(f"count-weighted mean of per-tensor entropies: {tot['mean_tensor_entropy_bits']:.6f} bits/weight")
    if tot["count"]:
        # bits per weight if exponents were coded at their entropy and sign+mantissa (8 bits) kept raw
        print(f"ideal DFloat11-style size: {(8 + tot['mean_tensor_entropy_bits']) / 16:.4%} of bf16 "
              f"(per-tensor codes), {(8 + tot['entropy_bits']) / 16:.4%} (one code)")
    if rep["non_bf16_tensors_skipped"]:
        print(f"non-BF16 tensors skipped: {rep['non_bf16_tensors_skipped']}")


if __name__ == "__main__":
    main()
