#!/usr/bin/env python3
"""Damage a df11 container on purpose and check that `df11 verify` catches every change.

  python3 tools/bench/integrity_check.py CONTAINER [--flips 1000] [--truncations 100] [--seed 1] [--df11 PATH]

For each of N single-bit flips at random positions and M truncations at random lengths, writes the damaged
copy to tmpfs, runs `df11 verify --json`, and requires exit status 1 with an error object (never 0, never a
crash). Reports how many flip errors name a tensor and a block, and the error codes seen. Exit 0 if every
damaged copy was rejected cleanly.
"""
import argparse
import collections
import json
import os
import random
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def verify(df11, path):
    p = subprocess.run([df11, "verify", path, "--json", "--threads", "2"], capture_output=True, text=True)
    try:
        report = json.loads(p.stdout.strip().splitlines()[-1]) if p.stdout.strip() else {}
    except json.JSONDecodeError:
        report = {}
    return p.returncode, report, p.stderr.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("container")
    ap.add_argument("--flips", type=int, default=1000)
    ap.add_argument("--truncations", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--df11", default=os.path.join(ROOT, ".build", "release", "df11"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    original = open(args.container, "rb").read()
    rc, _, err = verify(args.df11, args.container)
    if rc != 0:
        sys.exit(f"the undamaged container does not verify: {err}")
    rng = random.Random(args.seed)
    scratch = tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    damaged_path = os.path.join(scratch, "damaged.df11")
    results = {"flips": collections.Counter(), "truncations": collections.Counter()}
    codes = {"flips": collections.Counter(), "truncations": collections.Counter()}
    failures = []
    named = 0

    def check(kind, data, what):
        nonlocal named
        with open(damaged_path, "wb") as f:
            f.write(data)
        rc, report, err = verify(args.df11, damaged_path)
        if rc == 1 and report.get("status") == "error":
            results[kind]["rejected"] += 1
            codes[kind][report.get("code")] += 1
            msg = report.get("message", "")
            if kind == "flips" and "tensor '" in msg and ", block " in msg:
                named += 1
        else:
            results[kind]["accepted" if rc == 0 else f"exit {rc}"] += 1
            failures.append(f"{what}: exit {rc}: {err[-200:]}")

    for _ in range(args.flips):
        bit = rng.randrange(len(original) * 8)
        data = bytearray(original)
        data[bit // 8] ^= 1 << (bit % 8)
        check("flips", bytes(data), f"bit {bit}")
    for _ in range(args.truncations):
        n = rng.randrange(len(original))
        check("truncations", original[:n], f"truncated to {n} bytes")
    os.remove(damaged_path) if os.path.exists(damaged_path) else None
    os.rmdir(scratch)

    summary = {"container": args.container, "bytes": len(original), "seed": args.seed,
               "flips": dict(results["flips"]), "flip_errors_naming_tensor_and_block": named,
               "flip_codes": dict(codes["flips"]), "truncations": dict(results["truncations"]),
               "truncation_codes": dict(codes["truncations"]), "failures": failures[:20]}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{args.flips} single-bit flips: {dict(results['flips'])}; "
              f"{named} errors name a tensor and a block; codes {dict(codes['flips'])}")
        print(f"{args.truncations} truncations: {dict(results['truncations'])}; codes {dict(codes['truncations'])}")
        for f in failures[:20]:
            print("  NOT CAUGHT:", f)
    sys.exit(0 if not failures else 1)


if __name__ == "__main__":
    main()
