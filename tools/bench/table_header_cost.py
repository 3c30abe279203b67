#!/usr/bin/env python3
"""What a tANS table costs to store, per tensor and per 64 Ki block, for the BF16 tensors of a safetensors
file (exponent + 2 mantissa bits, tables of 2^12), under three codings of the normalized counts:

* model: coder_bounds.py's `ans_table_bits` (16 bits + per symbol of the used span 1 bit if unused, else
  1 + ceil(log2(q + 1))), the estimate docs/CODER2.md §2 uses;
* delta: the coding proposed for format 2.0 (docs/CODER2.md §8), exactly as df11's `TANSCounts` writes it:
  per symbol of the span its class l = bit length of q (0 if unused), as the zigzag difference to the
  previous class in Elias gamma, then the l - 1 bits of q below its top bit; padded to bytes, after 6 bytes
  of span and length;
* fse: an estimate of zstd's FSE_writeNCount (RFC 8878 §4.1.1) from symbol 0, no "less than 1" counts.

Usage: python3 tools/bench/table_header_cost.py FILE.safetensors
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import coder_bounds as cb  # noqa: E402
import stlib  # noqa: E402

def gamma_bits(v):  # v >= 1
    return 2 * int(math.floor(math.log2(v))) + 1

def class_delta_bits(h, tl):
    """Proposed CDE2 count coding: span [a,b]; per symbol class l = ceil(log2(q+1)) (0 unused) coded as the
    zigzag difference to the previous class in Elias gamma, then l-1 low bits of q. Header 16 bits."""
    a, b = cb.span(h)
    c = h[a:b + 1]
    used = c > 0
    q = np.zeros(len(c), dtype=np.int64)
    q[used] = cb.normalize(c[used], tl)
    bits = 0
    prev = 0
    for x in q:
        l = 0 if x == 0 else int(x).bit_length()
        d = l - prev
        z = 2 * d if d >= 0 else -2 * d - 1
        bits += gamma_bits(z + 1) + max(0, l - 1)
        prev = l
    return float(48 + 8 * ((bits + 7) // 8))  # a, n, byte length; bits padded to bytes (TANSCounts)

def fse_bits(h, tl):
    """zstd's FSE_writeNCount size (RFC 8878 4.1.1), no -1 counts, generalized alphabet."""
    a, b = 0, cb.span(h)[1]
    c = h[:b + 1]
    used = c > 0
    if used.sum() <= 1:
        return 16.0
    q = np.zeros(len(c), dtype=np.int64)
    q[used] = cb.normalize(c[used], tl)
    bits = 4
    remaining = (1 << tl) + 1
    threshold = 1 << tl
    nb = tl + 1
    i = 0
    n = len(q)
    while remaining > 1 and i < n:
        if q[i] == 0:
            # run of zeros: repeat flags, 2 bits per up to 3, 16 bits per 24
            j = i
            while j < n and q[j] == 0:
                j += 1
            run = j - i
            # the first zero is coded as value 1 (prob 0) with nb bits, then 2-bit repeat codes
            bits += nb - (1 if 1 < (2 * threshold - 1 - remaining) else 0)
            run -= 1
            bits += 2 * (run // 3 + 1)
            i = j
            continue
        count = int(q[i]) + 1
        maxv = 2 * threshold - 1 - remaining
        bits += nb - (1 if count < maxv else 0)
        remaining -= count - 1
        while remaining < threshold:
            nb -= 1
            threshold >>= 1
        i += 1
    return float(bits)

def main():
    path = sys.argv[1]
    h, ds = stlib.read_header(path)
    tot = {'model': 0.0, 'delta': 0.0, 'fse': 0.0}
    blk = {'model': 0.0, 'delta': 0.0, 'fse': 0.0}
    n = 0
    for name, info in stlib.tensors_of(h):
        if info['dtype'] != 'BF16':
            continue
        a, e = info['data_offsets']
        w = np.memmap(path, dtype=np.uint16, mode='r', offset=ds + a, shape=((e - a) // 2,))
        sym = ((w.astype(np.int64) >> 5) & 1023)
        n += len(sym)
        ht = np.bincount(sym, minlength=1024)
        tot['model'] += cb.ans_table_bits(ht, 12); tot['delta'] += class_delta_bits(ht, 12); tot['fse'] += fse_bits(ht, 12)
        for s in range(0, len(sym), 65536):
            hb = np.bincount(sym[s:s + 65536], minlength=1024)
            blk['model'] += cb.ans_table_bits(hb, 12); blk['delta'] += class_delta_bits(hb, 12); blk['fse'] += fse_bits(hb, 12)
    for k in tot:
        print(f"{k:6s} per tensor {tot[k]/8:10.0f} bytes = {tot[k]/(16*n)*100:.4f} points; per 64Ki block {blk[k]/8:10.0f} bytes = {blk[k]/(16*n)*100:.4f} points")


if __name__ == "__main__":
    main()
