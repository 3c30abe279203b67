#!/usr/bin/env python3
"""Writes Fixtures/coder-costs.json: small histograms and what tools/bench/coder_bounds.py says they cost, so
that df11's cost functions (Sources/EntropyCoding/CodingCost.swift, CodingChoices.swift) are tested against
the independent numbers to 1e-9 (Tests/EntropyCodingTests/CodingCostTests.swift).

The histograms are made here, deterministically (numpy's PCG64 with fixed seeds):

* "histograms": single histograms of several shapes (bf16 exponents of normal weights, their joint symbol
  with 2 mantissa bits, a flat byte plane, a skewed one with a 0.35 top symbol, one and two symbols); each
  with its entropy, the exact ANS cost at table logs 11, 12 and 15 (`ans_bits`) and the table cost
  (`ans_table_bits`), as coder_bounds.py computes them, and the bytes of its table as format 2.0 would store
  them (`COUNTS`, table_header_cost.py's `class_delta_bits`);
* "k": the joint (exponent, top 4 mantissa bits) histogram of a bf16 tensor and, per k = 0...4, the cost of
  coding exponent + k bits with a 2^12 table plus its table plus the 8 − k raw bits (coder_bounds.py's
  "ans12" per tensor, plus raw), and the best k;
* "blocks": two segments of four 64 Ki-element blocks each (joint k = 2 histograms): one of alike blocks, one
  of different scales with a block of flat noise (raw wins there); per block, the costs of coding it with its own table
  (coded + table + the per-block overhead), with the segment's table (the cross-entropy of the block
  against the segment's normalized counts + the overhead), or raw; the segment table's cost; and the plan
  with the smallest total (a block uses the cheapest of the options allowed; the segment table is paid once if
  any block uses it).

Usage: python3 tools/bench/coder_costs_fixture.py [--out Fixtures/coder-costs.json]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import coder_bounds as cb  # noqa: E402
import table_header_cost  # noqa: E402

TABLE_LOGS = (11, 12, 15)
BLOCK_OVERHEAD_BITS = 16 * 8  # four u32 stream sizes per coded block


def bf16_words(n: int, sigma: float, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).normal(0.0, sigma, n).astype(np.float32)
    b = x.view(np.uint32).astype(np.uint64)
    return ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)  # round to nearest even


def joint(words: np.ndarray, k: int) -> np.ndarray:
    return ((words.astype(np.int64) >> (7 - k)) & ((1 << (8 + k)) - 1))


def hist(sym: np.ndarray, alphabet: int) -> np.ndarray:
    return np.bincount(sym, minlength=alphabet).astype(np.int64)


def ans_bits_full(h: np.ndarray, tl: int):
    """coder_bounds' ans_bits on the used counts (0 for at most one used symbol)."""
    return cb.ans_bits(h, tl)


def cross_bits(block: np.ndarray, segment: np.ndarray, tl: int):
    """Bits of coding `block` with the table normalized from `segment` (None if the block uses a symbol the
    segment lacks, which cannot happen for a block of the segment)."""
    used = segment > 0
    if used.sum() <= 1:
        return 0.0
    q = np.zeros(len(segment), dtype=np.int64)
    q[used] = cb.normalize(segment[used], tl)
    if np.any((block > 0) & (q == 0)):
        return None
    m = block > 0
    return float((block[m].astype(np.float64) * (tl - np.log2(q[m]))).sum())


def plan_case(blocks, tl: int, raw_symbol_bits: int) -> dict:
    """Per block: own table, the segment's table, or raw; the cheapest plan."""
    segment = np.sum(blocks, axis=0)
    seg_table = cb.ans_table_bits(segment, tl)
    rows = []
    for h in blocks:
        rows.append({"own": cb.ans_bits(h, tl) + cb.ans_table_bits(h, tl) + BLOCK_OVERHEAD_BITS,
                     "segment": cross_bits(h, segment, tl) + BLOCK_OVERHEAD_BITS,
                     "raw": float(raw_symbol_bits * int(h.sum()))})
    without = sum(min(r["own"], r["raw"]) for r in rows)
    with_seg = seg_table + sum(min(r["own"], r["raw"], r["segment"]) for r in rows)
    use_segment = with_seg < without
    choice = []
    for r in rows:
        options = {"raw": r["raw"], "own": r["own"]}
        if use_segment:
            options["segment"] = r["segment"]
        choice.append(min(options, key=lambda o: (options[o], ["segment", "own", "raw"].index(o))))
    return {"blocks": [[int(c) for c in h] for h in blocks], "tableLog": tl, "rawSymbolBits": raw_symbol_bits,
            "overheadBits": BLOCK_OVERHEAD_BITS, "segmentTableBits": seg_table, "rows": rows,
            "useSegmentTable": bool(use_segment), "choice": choice, "bits": with_seg if use_segment else without}


def describe(name: str, h: np.ndarray) -> dict:
    return {
        "name": name,
        "counts": [int(c) for c in h],
        "entropy": cb.entropy_bits(h),
        "ans": {str(tl): ans_bits_full(h, tl) for tl in TABLE_LOGS},
        "table": {str(tl): cb.ans_table_bits(h, tl) for tl in TABLE_LOGS},
        "countsBytes": {str(tl): table_header_cost.class_delta_bits(h, tl) / 8 for tl in TABLE_LOGS},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "Fixtures", "coder-costs.json"))
    opts = ap.parse_args()

    words = bf16_words(1 << 16, 0.02, seed=1)
    rng = np.random.default_rng(7)
    skewed = np.zeros(64, dtype=np.int64)
    skewed[1:40] = rng.integers(1, 200, 39)
    skewed[5] = int(skewed.sum() * 35 / 65)
    histograms = [
        describe("bf16 exponents, normal σ=0.02", hist(joint(words, 0), 256)),
        describe("bf16 exponent + 2 bits, normal σ=0.02", hist(joint(words, 2), 1024)),
        describe("flat byte plane", hist(rng.integers(0, 256, 50_000), 256)),
        describe("skewed, top symbol 0.35", skewed),
        describe("one symbol", np.array([0, 0, 12345, 0], dtype=np.int64)),
        describe("two symbols", np.array([7, 0, 0, 1000], dtype=np.int64)),
    ]

    # k per tensor, from the joint histogram at k = 4.
    tensor = np.concatenate([bf16_words(40_000, 0.02, seed=2), bf16_words(20_000, 0.05, seed=3)])
    h4 = hist(joint(tensor, 4), 4096)
    per_k = []
    for k in range(5):
        hk = np.bincount(np.arange(4096) >> (4 - k), weights=h4, minlength=1 << (8 + k)).astype(np.int64)
        per_k.append(cb.ans_bits(hk, 12) + cb.ans_table_bits(hk, 12) + (8 - k) * int(hk.sum()))
    k_case = {"countsAtK4": [int(c) for c in h4], "tableLog": 12, "rawBitsAtK": [8 - k for k in range(5)],
              "bits": per_k, "best": int(np.argmin(per_k))}

    # Tables per block or per segment, and raw: a segment of alike blocks (its table wins), and one whose
    # blocks differ (own tables and raw win).
    b = 1 << 16
    noise = np.random.default_rng(11).integers(0, 1 << 16, b).astype(np.uint16)
    alike = [bf16_words(b, s, seed=20 + i) for i, s in enumerate((0.02, 0.02, 0.02, 0.02))]
    unlike = [bf16_words(b, 0.02, seed=4), bf16_words(b, 0.021, seed=5), bf16_words(b, 0.2, seed=6), noise]
    blocks_cases = [plan_case([hist(joint(w, 2), 1024) for w in ws], 12, 10) for ws in (alike, unlike)]

    with open(opts.out, "w") as f:
        json.dump({"generator": "tools/bench/coder_costs_fixture.py", "histograms": histograms, "k": k_case,
                   "blocks": blocks_cases}, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {opts.out}: k best {k_case['best']} ({[round(x) for x in per_k]}), blocks "
          + "; ".join(f"{c['choice']} (segment table {'used' if c['useSegmentTable'] else 'not used'})" for c in blocks_cases))


if __name__ == "__main__":
    main()
