#!/usr/bin/env python3
"""A/B timing of df11 binaries, alternating them run by run so that a noisy machine hits all alike.

  ab_compare.py [--rounds 15] [--out /dev/shm/df11-ab] BINARY... -- ARGS...

Each round runs every BINARY once with ARGS plus --json (in ARGS, {out} stands for --out, which is deleted
before every run), and records the whole process's wall time and the report's in-process "seconds". Prints,
per binary, the median and the best of both. Example, two builds of compress --format dfloat11:

  python3 tools/bench/ab_compare.py /tmp/df11-old .build/release/df11 -- \\
      compress bench-data/minilm-bf16 --format dfloat11 -o {out} --threads 2
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time


def main() -> None:
    argv = sys.argv[1:]
    if "--" not in argv:
        sys.exit(__doc__)
    split = argv.index("--")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--out", default="/dev/shm/df11-ab")
    parser.add_argument("binaries", nargs="+")
    options = parser.parse_args(argv[:split])
    arguments = [a.replace("{out}", options.out) for a in argv[split + 1:]] + ["--json"]
    walls = {b: [] for b in options.binaries}
    inner = {b: [] for b in options.binaries}
    for _ in range(options.rounds):
        for binary in options.binaries:
            shutil.rmtree(options.out, ignore_errors=True)
            t0 = time.perf_counter()
            run = subprocess.run([binary] + arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            wall = time.perf_counter() - t0
            if run.returncode != 0:
                sys.exit(f"{binary} failed ({run.returncode}): {run.stderr.decode(errors='replace')}")
            walls[binary].append(wall)
            inner[binary].append(json.loads(run.stdout)["seconds"])
    shutil.rmtree(options.out, ignore_errors=True)
    for binary in options.binaries:
        w, s = walls[binary], inner[binary]
        print(f"{binary}: process median {statistics.median(w) * 1000:.1f} ms (best {min(w) * 1000:.1f}); "
              f"in process median {statistics.median(s) * 1000:.1f} ms (best {min(s) * 1000:.1f})")


if __name__ == "__main__":
    main()
