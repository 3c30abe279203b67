#!/usr/bin/env python3
"""Entropy bounds and real-coder costs for a second-generation df11 block coder (issue #10), numpy only.

For every float tensor of a safetensors file, independently of df11, this computes what each symbol model
and each entropy coder would spend:

* symbol models ("streams"): for BF16 and F16 the exponent coded jointly with the top k mantissa bits
  (k = 0 is DFloat11's exponent-only model), the rest raw; the whole 16-bit value; for F32 the same joint
  symbol plus the byte planes below it; for F16 its two byte planes; for FP8 the whole byte;
* granularities: one table per tensor, and one table per block of 16, 64 and 256 Ki elements;
* coders: the Shannon bound (order 0, table not counted), "ideal ANS" (bound + a table cost), real
  Huffman length-limited to 12 and 15 bits (package-merge, optimal under the limit), and real tANS/rANS
  with probabilities quantized to 2^11, 2^12 and 2^15 (the exact cross-entropy of the quantized table).

Casts made here from the F32 original (bit-exact, see `fp8_from_f32`): F16 (numpy's IEEE round to nearest
even), FP8 E4M3FN and E5M2 with a per-tensor scale amax / max-finite (as FP8 checkpoints are made), round to
nearest even, saturating. `--check-torch` compares the FP8 casts with torch's `.to(torch.float8_*)`.

Table costs (bits, per table): Huffman = 16 + 4 per symbol of the used span [first used, last used] (code
lengths, no run-length coding); ANS = 16 + per symbol of the used span, 1 bit if unused else
1 + ceil(log2(q + 1)) for its count q normalized to 2^12 (roughly FSE's header). Per block the real coders
also pay 16 bytes of stream sizes (as the current format does) and rANS 16 bytes of final states (4
interleaved 32-bit states); those are added in the "real" rows (`--blocks-real`).

Usage:
  coder_bounds.py --bf16 FILE_OR_DIR [--f32 FILE] [--sample-every N] [--json OUT] [--blocks-real]
  coder_bounds.py --file FILE_OR_DIR [--quick] [--json OUT]

`--file` measures a file as stored (every BF16, F16, F32, F8_E4M3, F8_E5M2 tensor; one data set per dtype,
with the tensors' and the files' bytes, so a bound can be stated as % of the whole file); `--quick` keeps
only the Shannon bounds (per tensor, and per 64 Ki block), which is what run_bench.py reports.

Prints markdown tables (bits per element and % of the input) and writes everything to --json.
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import stlib  # noqa: E402

BLOCK_SIZES = (16 << 10, 64 << 10, 256 << 10)
QUICK = False  # --quick: Shannon bounds only (per tensor, and per 64 Ki block), no real coders or table costs
SLICE = 4 << 20  # elements per slice: a multiple of every block size


# ---------------------------------------------------------------------------------------------------------
# Costs of one histogram

def entropy_bits(c: np.ndarray) -> float:
    """Total Shannon bits of a histogram (n·H)."""
    c = c[c > 0].astype(np.float64)
    n = c.sum()
    if n == 0:
        return 0.0
    return float(n * math.log2(n) - (c * np.log2(c)).sum())


def normalize(c: np.ndarray, tl: int):
    """Counts of the used symbols `c` (> 0) quantized to sum 2^tl, each ≥ 1, at the smallest coded size
    Σ c·(tl − log2 q); None if impossible."""
    L = 1 << tl
    if len(c) > L:
        return None
    n = c.sum()
    cf = c.astype(np.float64)
    q = np.maximum(1, np.floor(cf * L / n)).astype(np.int64)
    for _ in range(1 << 16):  # one unit per used symbol per pass; a surplus on one big symbol takes many
        d = L - int(q.sum())
        if d == 0:
            return exchange(cf, q)
        if d > 0:
            gain = cf * np.log2((q + 1) / q)
            idx = np.argsort(-gain, kind="stable")[:d]
            q[idx] += 1
        else:
            loss = np.where(q > 1, cf * np.log2(q / np.maximum(q - 1, 1)), np.inf)
            k = min(-d, int((q > 1).sum()))
            idx = np.argsort(loss, kind="stable")[:k]
            q[idx] -= 1
    raise RuntimeError("normalization did not converge")


EXCHANGE_TOLERANCE = 1e-12  # as ANSFrequencies.exchangeTolerance in df11


def exchange(cf: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Moves single units from the symbol that loses least to the one that gains most while that saves bits.
    The cost is separable and convex in q, so the result is the optimum (the same as df11's
    ANSFrequencies.normalize, whatever the starting point)."""
    if len(q) <= 1:
        return q
    while True:
        gain = cf * np.log2((q + 1) / q)
        loss = np.where(q > 1, cf * np.log2(q / np.maximum(q - 1, 1)), np.inf)
        b, a = int(np.argmax(gain)), int(np.argmin(loss))
        if a == b or not np.isfinite(loss[a]) or not gain[b] > loss[a] * (1 + EXCHANGE_TOLERANCE):
            return q
        q[b] += 1
        q[a] -= 1


def ans_bits(c: np.ndarray, tl: int):
    """Exact coded bits of tANS/rANS with probabilities q/2^tl (state flush not counted)."""
    c = c[c > 0]
    if len(c) <= 1:
        return 0.0
    q = normalize(c, tl)
    if q is None:
        return None
    return float((c.astype(np.float64) * (tl - np.log2(q))).sum())


def huffman_lengths(c: np.ndarray, limit: int):
    """Optimal code lengths under `limit` bits (package-merge) for used counts c (> 0); None if impossible."""
    n = len(c)
    if n == 1:
        return np.ones(1, dtype=np.int64)
    if n > (1 << limit):
        return None
    order = np.argsort(c, kind="stable")
    leaf_w = c[order].astype(np.int64)
    lists = []  # per level: (weights, is_leaf, ref)
    w, leaf, ref = leaf_w, np.ones(n, dtype=bool), np.arange(n)
    lists.append((w, leaf, ref))
    for _ in range(limit - 1):
        m = len(w) // 2
        pw = w[0:2 * m:2] + w[1:2 * m:2]
        allw = np.concatenate([leaf_w, pw])
        allleaf = np.concatenate([np.ones(n, dtype=bool), np.zeros(m, dtype=bool)])
        allref = np.concatenate([np.arange(n), np.arange(m)])
        o = np.argsort(allw, kind="stable")
        w, leaf, ref = allw[o], allleaf[o], allref[o]
        lists.append((w, leaf, ref))
    lengths = np.zeros(n, dtype=np.int64)
    sel = np.arange(2 * n - 2)
    for t in range(limit - 1, -1, -1):
        w, leaf, ref = lists[t]
        s_leaf = leaf[sel]
        np.add.at(lengths, ref[sel[s_leaf]], 1)
        pk = ref[sel[~s_leaf]]
        sel = np.concatenate([2 * pk, 2 * pk + 1])
    assert abs(sum(2.0 ** -lengths) - 1.0) < 1e-9, "package-merge: Kraft sum is not 1"
    out = np.empty(n, dtype=np.int64)
    out[order] = lengths
    return out


def huffman_bits(c: np.ndarray, limit: int):
    c = c[c > 0]
    if len(c) == 0:
        return 0.0
    lengths = huffman_lengths(c, limit)
    if lengths is None:
        return None
    return float((c * lengths).sum())


def span(h: np.ndarray):
    used = np.nonzero(h)[0]
    return (0, 0) if len(used) == 0 else (int(used[0]), int(used[-1]))


def huffman_table_bits(h: np.ndarray) -> float:
    a, b = span(h)
    return 16 + 4 * (b - a + 1)


def ans_table_bits(h: np.ndarray, tl: int = 12) -> float:
    a, b = span(h)
    c = h[a:b + 1]
    used = c > 0
    if used.sum() <= 1:
        return 16.0
    q = normalize(c[used], max(tl, int(math.ceil(math.log2(used.sum()))) + 1))
    return 16 + float((~used).sum()) + float((1 + np.ceil(np.log2(q + 1))).sum())


# ---------------------------------------------------------------------------------------------------------
# Streams: a coded symbol array per tensor, with its alphabet; costs accumulated per granularity

class Stream:
    """Accumulates, for one symbol model over many tensors, every cost this tool reports."""

    def __init__(self, name: str, alphabet: int, raw_bits: float, per_block: bool, real_blocks: bool):
        self.name, self.alphabet, self.raw_bits = name, alphabet, raw_bits
        self.per_block = per_block and alphabet <= 4096
        self.real_blocks = real_blocks and alphabet <= 4096
        self.n = 0
        self.sum = {}  # key -> bits

    def add(self, key: str, bits):
        if bits is None:
            self.sum[key] = None
        elif self.sum.get(key, 0.0) is not None:
            self.sum[key] = self.sum.get(key, 0.0) + bits

    def tensor(self, hist: np.ndarray):
        """Per-tensor costs from the tensor's full histogram."""
        c = hist[hist > 0]
        self.add("H", entropy_bits(c))
        self.add("raw", self.raw_bits * int(hist.sum()))
        if QUICK:
            return
        self.add("H+ansTable", entropy_bits(c) + ans_table_bits(hist))
        for limit in (12, 15):
            hb = huffman_bits(c, limit)
            self.add(f"huff{limit}", None if hb is None else hb + huffman_table_bits(hist))
        for tl in (11, 12, 15):
            ab = ans_bits(c, tl)
            self.add(f"ans{tl}", None if ab is None else ab + ans_table_bits(hist, tl))

    def blocks(self, sym: np.ndarray):
        """Per-block costs of one slice (a whole number of the largest block, or a tensor's tail)."""
        if not self.per_block:
            return
        A = self.alphabet
        for bs in ((64 << 10),) if QUICK else BLOCK_SIZES:
            nb = (len(sym) + bs - 1) // bs
            ids = np.arange(len(sym), dtype=np.int64) // bs * A + sym
            hb = np.bincount(ids, minlength=nb * A).reshape(nb, A)
            hf = hb.astype(np.float64)
            nbk = hf.sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                xlx = np.where(hf > 0, hf * np.log2(np.where(hf > 0, hf, 1)), 0.0)
            ent = nbk * np.log2(np.maximum(nbk, 1)) - xlx.sum(axis=1)
            self.add(f"H@{bs >> 10}K", float(ent.sum()))
            if QUICK:
                continue
            table = sum(ans_table_bits(hb[i]) for i in range(nb))
            self.add(f"H+ansTable@{bs >> 10}K", float(ent.sum()) + table)
            # coded or raw, whichever is smaller, per block (what a block method byte allows)
            rawb = self.raw_bits_of_symbol() * nbk
            self.add(f"min(H+table,raw)@{bs >> 10}K",
                     float(np.minimum(ent + np.array([ans_table_bits(hb[i]) for i in range(nb)]), rawb).sum()))
            if self.real_blocks and bs == (64 << 10):
                h12 = a12 = a15 = 0.0
                for i in range(nb):
                    c = hb[i][hb[i] > 0]
                    h12 += huffman_bits(c, 12) + huffman_table_bits(hb[i]) + 16 * 8
                    a12 += ans_bits(c, 12) + ans_table_bits(hb[i], 12) + 32 * 8
                    a15 += ans_bits(c, 15) + ans_table_bits(hb[i], 15) + 32 * 8
                self.add("huff12@64K+sizes", h12)
                self.add("ans12@64K+sizes+states", a12)
                self.add("ans15@64K+sizes+states", a15)

    def raw_bits_of_symbol(self) -> float:
        return math.log2(self.alphabet)


class Model:
    """A way to store an element: coded streams plus raw bits per element."""

    def __init__(self, name: str, streams, raw_bits: float):
        self.name, self.streams, self.raw_bits = name, streams, raw_bits


# ---------------------------------------------------------------------------------------------------------
# Data

def tensors(path: str, dtypes):
    header, data_start = stlib.read_header(path)
    for name, info in sorted(stlib.tensors_of(header), key=lambda t: t[1]["data_offsets"][0]):
        if info["dtype"] in dtypes:
            a, b = info["data_offsets"]
            yield name, info["dtype"], data_start + a, data_start + b


def fp8_from_f32(x: np.ndarray, ebits: int, mbits: int, maxcode: int) -> np.ndarray:
    """float32 -> FP8 bit patterns (uint8), round to nearest even, saturating to `maxcode` (the largest
    finite magnitude code: 0x7E for E4M3FN = 448, 0x7B for E5M2 = 57344). Inputs must be finite."""
    bias = (1 << (ebits - 1)) - 1
    b = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    sign = ((b >> np.uint32(24)) & np.uint32(0x80)).astype(np.uint8)
    mag = b & np.uint32(0x7FFFFFFF)
    shift = 23 - mbits
    # normal: round the f32 pattern to mbits mantissa bits (a carry moves into the exponent correctly)
    r = (mag.astype(np.int64) + ((1 << (shift - 1)) - 1) + ((mag >> np.uint32(shift)) & np.uint32(1))) >> shift
    code = r - ((127 - bias) << mbits)
    # subnormal (|x| < 2^(1-bias)): multiples of 2^(1-bias-mbits); exact scaling, rint is half to even
    absx = np.abs(b.view(np.float32)).astype(np.float64)
    small = mag < np.uint32((127 + 1 - bias) << 23)
    sub = np.rint(absx * 2.0 ** (bias - 1 + mbits)).astype(np.int64)
    code = np.where(small, sub, code)
    code = np.minimum(code, maxcode)
    return (code.astype(np.uint8) | sign)


E4M3 = dict(ebits=4, mbits=3, maxcode=0x7E, fmax=448.0)
E5M2 = dict(ebits=5, mbits=2, maxcode=0x7B, fmax=57344.0)


def fp8_cast(x: np.ndarray, fmt) -> np.ndarray:
    amax = float(np.abs(x).max()) if x.size else 0.0
    scale = np.float32(amax / fmt["fmax"]) if amax > 0 else np.float32(1.0)
    y = (x.astype(np.float32) / scale).astype(np.float32)
    return fp8_from_f32(y, fmt["ebits"], fmt["mbits"], fmt["maxcode"]), y


# ---------------------------------------------------------------------------------------------------------
# Data sets: each yields per tensor a uint array of elements, then streams take their symbols

def joint_streams(prefix: str, ebits: int, mbits: int, width: int, ks, opts):
    """Streams for (exponent, top k mantissa bits) of an IEEE-like `width`-bit element, sign and the other
    mantissa bits raw; plus the whole element when width == 16."""
    out = {}
    for k in ks:
        out[f"exp+{k}"] = Stream(f"{prefix} exp+{k}", 1 << (ebits + k), width - ebits - k,
                                 per_block=True, real_blocks=opts.blocks_real)
    if width <= 16:
        out["whole"] = Stream(f"{prefix} whole", 1 << width, 0, per_block=False, real_blocks=False)
    return out


def feed_joint(streams, w: np.ndarray, ebits: int, mbits: int, width: int, ks, per_tensor_hist):
    for k in ks:
        sym = (w >> (mbits - k)) & ((1 << (ebits + k)) - 1)
        sym = sym.astype(np.int64)
        per_tensor_hist[f"exp+{k}"] += np.bincount(sym, minlength=1 << (ebits + k))
        streams[f"exp+{k}"].blocks(sym)
    if "whole" in streams:
        per_tensor_hist["whole"] += np.bincount(w.astype(np.int64), minlength=1 << width)


def byte_plane_streams(prefix: str, planes, opts):
    return {f"b{p}": Stream(f"{prefix} byte {p}", 256, 8, per_block=True, real_blocks=opts.blocks_real)
            for p in planes}


def feed_planes(streams, w: np.ndarray, planes, hist):
    for p in planes:
        sym = ((w >> (8 * p)) & 0xFF).astype(np.int64)
        hist[f"b{p}"] += np.bincount(sym, minlength=256)
        streams[f"b{p}"].blocks(sym)


def run_uint_dataset(label, arrays, spec, opts):
    """arrays: iterator of (name, uint array) per tensor. spec: dtype description."""
    width, ebits, mbits, ks, planes = spec["width"], spec["ebits"], spec["mbits"], spec["ks"], spec["planes"]
    streams = {}
    if ebits:
        streams.update(joint_streams(label, ebits, mbits, width, ks, opts))
    streams.update(byte_plane_streams(label, planes, opts))
    n_total = 0
    t0 = time.perf_counter()
    for name, get_slices in arrays:
        hist = {k: np.zeros(s.alphabet, dtype=np.int64) for k, s in streams.items()}
        for w in get_slices():
            n_total += len(w)
            if ebits:
                feed_joint(streams, w, ebits, mbits, width, ks, hist)
            feed_planes(streams, w, planes, hist)
        for k, s in streams.items():
            if hist[k].sum():
                s.tensor(hist[k])
                s.n += int(hist[k].sum())
    return {"label": label, "elements": n_total, "bits_per_element": width, "seconds": time.perf_counter() - t0,
            "streams": {k: {"name": s.name, "alphabet": s.alphabet, "raw_bits": s.raw_bits, "n": s.n,
                            "bits": s.sum} for k, s in streams.items()}}


def slices_of(path, start, end, dtype, sample_every):
    size = np.dtype(dtype).itemsize

    def gen():
        n = (end - start) // size
        for i, a in enumerate(range(0, n, SLICE)):
            if sample_every > 1 and i % sample_every != (sample_every // 2) % sample_every and n > SLICE:
                continue
            m = min(SLICE, n - a)
            yield np.array(np.memmap(path, dtype=dtype, mode="r", offset=start + a * size, shape=(m,)))
    return gen


def file_list(p):
    return sorted(glob.glob(os.path.join(p, "*.safetensors"))) if os.path.isdir(p) else [p]


def in_memory(name, arr):
    def gen():
        for a in range(0, len(arr), SLICE):
            yield arr[a:a + SLICE]
    return name, gen


BF16_SPEC = dict(width=16, ebits=8, mbits=7, ks=(0, 1, 2, 3, 4), planes=())
F16_SPEC = dict(width=16, ebits=5, mbits=10, ks=(0, 1, 2, 3, 4, 5, 6, 7), planes=(0, 1))
F32_SPEC = dict(width=32, ebits=8, mbits=23, ks=(0, 1, 2, 3, 4, 7), planes=(0, 1, 2, 3))
FP8_SPEC = dict(width=8, ebits=0, mbits=0, ks=(), planes=(0,))


# ---------------------------------------------------------------------------------------------------------
# Report

def pct(bits, n, width):
    return None if bits is None else 100.0 * bits / (n * width)


def report(ds, out):
    n, width = ds["elements"], ds["bits_per_element"]
    out.append(f"\n### {ds['label']}: {n:,} elements of {width} bits ({ds['seconds']:.1f} s)\n")
    keys = ["H", "H+ansTable", "huff12", "huff15", "ans11", "ans12", "ans15",
            "H@16K", "H@64K", "H@256K", "H+ansTable@64K", "min(H+table,raw)@64K",
            "huff12@64K+sizes", "ans12@64K+sizes+states", "ans15@64K+sizes+states"]
    out.append("| stream (raw bits/elem) | " + " | ".join(keys) + " |")
    out.append("|---|" + "---:|" * len(keys))
    for k, s in ds["streams"].items():
        cells = []
        for key in keys:
            b = s["bits"].get(key, "")
            cells.append("" if b == "" else ("n/a" if b is None else f"{b / s['n']:.4f}"))
        out.append(f"| {s['name']} ({s['raw_bits']}) | " + " | ".join(cells) + " |")


def totals(ds, models, out):
    """models: list of (name, [stream keys], raw bits per element)."""
    n, width = ds["elements"], ds["bits_per_element"]
    keys = ["H", "H+ansTable", "huff12", "huff15", "ans12", "ans15", "H@64K", "H+ansTable@64K", "min(H+table,raw)@64K",
            "huff12@64K+sizes", "ans12@64K+sizes+states", "ans15@64K+sizes+states"]
    out.append(f"\n{ds['label']}: % of the input (bits per element / {width})\n")
    out.append("| model | " + " | ".join(keys) + " |")
    out.append("|---|" + "---:|" * len(keys))
    res = {}
    for name, sk, raw in models:
        cells = []
        for key in keys:
            tot = raw * n
            ok = True
            for k in sk:
                b = ds["streams"][k]["bits"].get(key)
                if b is None:
                    ok = False
                    break
                tot += b
            cells.append(f"{pct(tot, n, width):.3f}" if ok else "")
            res.setdefault(name, {})[key] = pct(tot, n, width) if ok else None
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    ds["totals"] = res


def bf16_models():
    return ([(f"exp+{k} coded, {8 - k} bits raw", [f"exp+{k}"], 8 - k) for k in range(5)]
            + [("whole 16-bit value", ["whole"], 0)])


def f32_models():
    models = [("4 byte planes coded (ZipNN-like)", ["b3", "b2", "b1", "b0"], 0)]
    for k in F32_SPEC["ks"]:
        raw = 1 + (7 - k) if k <= 7 else 1
        models.append((f"exp+{k} coded, sign+{7 - k} bits raw, bytes 1,0 coded", [f"exp+{k}", "b1", "b0"], raw))
        models.append((f"exp+{k} coded, the other {24 - k} bits raw", [f"exp+{k}"], 24 - k))
    return models


def f16_models():
    models = [("2 byte planes coded (ZipNN-like)", ["b1", "b0"], 0)]
    for k in F16_SPEC["ks"]:
        models.append((f"exp+{k} coded, {11 - k} bits raw", [f"exp+{k}"], 11 - k))
        if k == 2:
            models.append(("exp+2 coded, sign raw, low byte coded", ["exp+2", "b0"], 1))
    models.append(("whole 16-bit value", ["whole"], 0))
    return models


def fp8_models():
    return [("byte coded", ["b0"], 0)]


# dtype of a safetensors file -> (element bits as numpy, spec, models)
FILE_DTYPES = {
    "BF16": (np.uint16, BF16_SPEC, bf16_models),
    "F16": (np.uint16, F16_SPEC, f16_models),
    "F32": (np.uint32, F32_SPEC, f32_models),
    "F8_E4M3": (np.uint8, FP8_SPEC, fp8_models),
    "F8_E5M2": (np.uint8, FP8_SPEC, fp8_models),
}


def measure_file(path, opts, out):
    """Every float dtype of a file (or a folder of *.safetensors) as stored, one data set per dtype; each
    data set also records its tensors' bytes and the files' bytes, so that a caller can state a bound as %
    of the whole file (the rest counted raw)."""
    files = file_list(path)
    file_bytes = sum(os.path.getsize(f) for f in files)
    results = []
    for dtype, (np_dtype, spec, models) in FILE_DTYPES.items():
        found = [(f, name, a, b) for f in files for name, dt, a, b in tensors(f, {dtype})]
        if not found:
            continue
        arrays = [(name, slices_of(f, a, b, np_dtype, 1)) for f, name, a, b in found]
        ds = run_uint_dataset(f"{os.path.basename(os.path.normpath(path))} {dtype}", arrays, spec, opts)
        ds.update(dtype=dtype, tensors=len(found), tensor_bytes=sum(b - a for _, _, a, b in found),
                  file_bytes=file_bytes, files=[os.path.abspath(f) for f in files])
        report(ds, out)
        totals(ds, models(), out)
        results.append(ds)
        print("\n".join(out)); out.clear(); sys.stdout.flush()
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bf16", action="append", default=[], help="bf16 safetensors file or folder (repeatable)")
    ap.add_argument("--f32", help="F32 safetensors file: measured as is, cast to F16, FP8 E4M3 and E5M2")
    ap.add_argument("--file", action="append", default=[],
                    help="safetensors file or folder measured as stored: every BF16, F16, F32, F8_E4M3 and F8_E5M2 "
                         "tensor, one data set per dtype (repeatable)")
    ap.add_argument("--quick", action="store_true",
                    help="Shannon bounds only: per tensor and per 64 Ki block, no real coders, no table costs "
                         "(seconds on the 1 GB checkpoint instead of minutes)")
    ap.add_argument("--sample-every", type=int, default=1,
                    help="for bf16 inputs, measure one 4 Mi-element slice in N of each tensor (default: all)")
    ap.add_argument("--blocks-real", action="store_true",
                    help="also run real Huffman-12 / ANS-12 per 64 Ki block (slow on big inputs)")
    ap.add_argument("--check-torch", action="store_true", help="compare the FP8 casts with torch's")
    ap.add_argument("--json", help="write all results here")
    opts = ap.parse_args()
    global QUICK
    QUICK = opts.quick

    results, out = [], []
    for p in opts.file:
        results += measure_file(p, opts, out)
    for p in opts.bf16:
        arrays = [(name, slices_of(f, a, b, np.uint16, opts.sample_every))
                  for f in file_list(p) for name, _, a, b in tensors(f, {"BF16"})]
        label = os.path.basename(os.path.normpath(p)) + " bf16" + (
            f" (1 slice in {opts.sample_every})" if opts.sample_every > 1 else "")
        ds = run_uint_dataset(label, arrays, BF16_SPEC, opts)
        report(ds, out)
        totals(ds, bf16_models(), out)
        results.append(ds)
        print("\n".join(out)); out.clear(); sys.stdout.flush()

    if opts.f32:
        f32 = [(name, np.array(np.memmap(opts.f32, dtype=np.float32, mode="r", offset=a, shape=((b - a) // 4,))))
               for name, _, a, b in tensors(opts.f32, {"F32"})]
        ds = run_uint_dataset("F32", [in_memory(nm, x.view(np.uint32)) for nm, x in f32], F32_SPEC, opts)
        report(ds, out)
        totals(ds, f32_models(), out)
        results.append(ds)
        print("\n".join(out)); out.clear(); sys.stdout.flush()

        f16 = [(nm, x.astype(np.float16).view(np.uint16)) for nm, x in f32]
        ds = run_uint_dataset("F16 cast", [in_memory(nm, x) for nm, x in f16], F16_SPEC, opts)
        report(ds, out)
        totals(ds, f16_models(), out)
        results.append(ds)
        print("\n".join(out)); out.clear(); sys.stdout.flush()

        for fname, fmt in (("FP8 E4M3FN", E4M3), ("FP8 E5M2", E5M2)):
            casts = [(nm,) + fp8_cast(x, fmt) for nm, x in f32]
            if opts.check_torch:
                import torch
                tdt = torch.float8_e4m3fn if fmt is E4M3 else torch.float8_e5m2
                bad = 0
                for nm, q, y in casts:
                    t = torch.from_numpy(y).to(tdt).view(torch.uint8).numpy()
                    bad += int((t != q).sum())
                out.append(f"\n{fname}: bit-exact against torch {torch.__version__}: "
                           f"{bad} differing elements of {sum(len(q) for _, q, _ in casts):,}")
            ds = run_uint_dataset(fname + " cast (per-tensor scale)", [in_memory(nm, q) for nm, q, _ in casts],
                                  FP8_SPEC, opts)
            report(ds, out)
            totals(ds, fp8_models(), out)
            results.append(ds)
            print("\n".join(out)); out.clear(); sys.stdout.flush()

    if opts.json:
        with open(opts.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
