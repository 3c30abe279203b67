#!/usr/bin/env python3
"""Differential check of two df11 builds' DFloat11 verifier on random corruptions of a real model.

  verify_differential.py --old OLD_DF11 --new NEW_DF11 [--model DIR] [--count 200] [--seed 1]

Copies the DFloat11 directory (default bench-data/minilm-df11, the official compressor's MiniLM output) to
/dev/shm, then, --count times: flips one random bit of one unit file's encoded_exponent (70 %), gaps (15 %),
output_positions (10 %) or luts (5 %), runs `df11 verify DIR --json` with both builds, compares their exit
status and the unit and block their messages name, and flips the bit back. Prints every disagreement and a
summary; exit 1 if any. For changes to the block decoder (UnitDecoder+Blocks.swift): the unit tests compare
it with the sequential reference decoder on the small fixtures, this compares two builds on a whole model.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import stlib  # noqa: E402


def verdict(binary: str, model: str) -> tuple[int, str | None, str | None, str]:
    run = subprocess.run([binary, "verify", model, "--threads", "2", "--json"], capture_output=True, text=True)
    try:
        report = json.loads(run.stdout)
        message = report.get("message") or report.get("error", {}).get("message", "")
    except (json.JSONDecodeError, AttributeError):
        message = run.stderr
    unit = re.search(r"unit '([^']+)'", message)
    block = re.search(r"block (\d+)", message)
    return run.returncode, unit and unit.group(1), block and block.group(1), message


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", required=True)
    parser.add_argument("--new", required=True)
    parser.add_argument("--model", default=str(ROOT / "bench-data" / "minilm-df11"))
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    work = "/dev/shm/df11-verify-differential"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(args.model, work)
    units = sorted(f for f in os.listdir(work) if f.endswith(".safetensors") and f != "model.safetensors")
    rng = random.Random(args.seed)
    agree = differ = detected = 0
    for _ in range(args.count):
        path = os.path.join(work, rng.choice(units))
        tensors, start = stlib.read_header(path)
        r = rng.random()
        kind = "encoded_exponent" if r < 0.7 else "gaps" if r < 0.85 else "output_positions" if r < 0.95 else "luts"
        name = next(k for k in tensors if k.endswith("." + kind))
        lo, hi = tensors[name]["data_offsets"]
        offset, bit = start + lo + rng.randrange(hi - lo), rng.randrange(8)
        with open(path, "r+b") as f:
            f.seek(offset)
            original = f.read(1)[0]
            f.seek(offset)
            f.write(bytes([original ^ (1 << bit)]))
        a, b = verdict(args.old, work), verdict(args.new, work)
        if a[:3] == b[:3]:
            agree += 1
        else:
            differ += 1
            print(f"differ: {kind} of {os.path.basename(path)}, byte {offset} bit {bit}\n"
                  f"  old: {a[0]} {a[3][:300]}\n  new: {b[0]} {b[3][:300]}")
        detected += a[0] != 0
        with open(path, "r+b") as f:
            f.seek(offset)
            f.write(bytes([original]))
    shutil.rmtree(work, ignore_errors=True)
    print(f"{agree} agree, {differ} differ; {detected} of {args.count} flips detected by the old build "
          f"(the rest turn a code into another valid one)")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
