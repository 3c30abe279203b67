#!/usr/bin/env python3
"""The published-layout acceptance numbers, side by side in one run, on all-MiniLM-L6-v2 in bf16:

  1. the official dfloat11 0.5.0 `compress_model` (tools/golden/bench_minilm.py, CPU, one torch thread),
     --official-repeat times: seconds inside the call (its own JSON) and the whole process (wall, peak RSS);
  2. `df11 compress MiniLM --format dfloat11 -o OUT --threads 2`, --repeat times: the in-process seconds
     from `--json` and the whole process;
  3. `df11 verify` of the official output and of df11's, --repeat times each;
  4. SHA-256 of every unit file of the two outputs (they must be identical).

    .venv-golden/bin/python tools/golden/compare_minilm.py [--repeat 11] [--official-repeat 3]
        [--out /dev/shm/df11-compare]

Needs .venv-golden (tools/golden/setup.sh), bench-data/minilm-bf16 (make bench-data) and a release df11
(make build). Prints a markdown table and writes bench-data/compare-minilm.json. Outputs go to --out (tmpfs by
default, like make bench). Never run in CI.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "bench"))
from timecmd import run_timed, warm  # noqa: E402

SOURCE = ROOT / "bench-data" / "minilm-bf16"
DF11 = ROOT / ".build" / "release" / "df11"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def df11_json(args: list[str]) -> tuple[dict, dict]:
    """Runs df11 with --json; returns (its report, run_timed's record)."""
    record = run_timed([str(DF11)] + args + ["--json"], capture=True)
    if record["rc"] != 0:
        sys.exit(f"df11 {' '.join(args)} failed ({record['rc']}): {record['stderr']}")
    return json.loads(record["stdout"]), record


def spread(values: list[float]) -> str:
    return f"{min(values):.4f} / {statistics.median(values):.4f} / {max(values):.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--official-repeat", type=int, default=3)
    parser.add_argument("--out", default="/dev/shm/df11-compare")
    args = parser.parse_args()
    for need, hint in [(SOURCE / "model.safetensors", "make bench-data"), (DF11, "make build")]:
        if not need.exists():
            sys.exit(f"missing {need}: run `{hint}` first")
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    warm(str(SOURCE))

    # 1. The official compressor (about 10 s a run); its output is what bench_minilm.py writes.
    official_call, official_process, official_rss = [], [], []
    for _ in range(args.official_repeat):
        official = run_timed([sys.executable, str(ROOT / "tools" / "golden" / "bench_minilm.py")], capture=True)
        if official["rc"] != 0:
            sys.exit(f"bench_minilm.py failed: {official['stderr'][-2000:]}")
        # The official tool prints code tables to stdout around the report; the report is the last JSON object.
        text = official["stdout"]
        official_call.append(json.loads(text[text.rindex("\n{") + 1:] if "\n{" in text else text)["seconds"])
        official_process.append(official["wall_s"])
        official_rss.append(official["max_rss_kib"])
    official_dir = ROOT / "bench-data" / "minilm-df11"

    # 2. df11 compress, repeated.
    ours = out / "df11"
    inner, outer, rss = [], [], []
    for _ in range(args.repeat):
        shutil.rmtree(ours, ignore_errors=True)
        report, record = df11_json(["compress", str(SOURCE), "--format", "dfloat11", "-o", str(ours),
                                    "--threads", "2"])
        inner.append(report["seconds"])
        outer.append(record["wall_s"])
        rss.append(record["max_rss_kib"])
    input_bytes = report["input_bytes"]

    # 3. verify both outputs, repeated.
    verify = {}
    for name, directory in [("official", official_dir), ("df11", ours)]:
        seconds, walls, peaks = [], [], []
        for _ in range(args.repeat):
            report, record = df11_json(["verify", str(directory), "--threads", "2"])
            seconds.append(report["seconds"])
            walls.append(record["wall_s"])
            peaks.append(record["max_rss_kib"])
        verify[name] = (seconds, walls, peaks, report)

    # 4. unit files identical?
    units = sorted(p.name for p in official_dir.glob("*.safetensors") if p.name != "model.safetensors")
    identical = [(name, sha256(official_dir / name) == sha256(ours / name)) for name in units]

    mb = input_bytes / 1e6
    best_inner, med_inner = min(inner), statistics.median(inner)
    best_outer, med_outer = min(outer), statistics.median(outer)
    n = args.official_repeat
    rows = [
        (f"official compress_model (in the call), {n} runs min/median/max", spread(official_call),
         f"{mb / statistics.median(official_call):.1f} (median)", ""),
        (f"official, whole process, {n} runs min/median/max", spread(official_process), "",
         f"{max(official_rss) / 1024:.0f}"),
        (f"df11 compress --format dfloat11 --threads 2, in process (--json), {args.repeat} runs min/median/max",
         spread(inner), f"{mb / med_inner:.0f} (median)", ""),
        ("df11 compress, whole process min/median/max", spread(outer), f"{mb / med_outer:.0f} (median)",
         f"{max(rss) / 1024:.0f}"),
    ]
    for name, (seconds, walls, peaks, _report) in verify.items():
        rows.append((f"df11 verify {name} output, in process min/median/max", spread(seconds),
                     f"{mb / statistics.median(seconds):.0f} (median)", f"{max(peaks) / 1024:.0f}"))
    print(f"MiniLM bf16, {input_bytes:,} bytes of weights; outputs in {out} and {official_dir}\n")
    print("| what | seconds | MB/s of input | peak RSS MiB |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(f"speed-up, compress_model call vs df11 in process: "
          f"{statistics.median(official_call) / med_inner:.0f}x median vs median, "
          f"{min(official_call) / best_inner:.0f}x best vs best")
    print(f"speed-up, whole process vs whole process: "
          f"{statistics.median(official_process) / med_outer:.0f}x median vs median, "
          f"{min(official_process) / best_outer:.0f}x best vs best")
    print(f"unit files identical (SHA-256): {sum(ok for _, ok in identical)} of {len(identical)}")
    result = {"input_bytes": input_bytes, "official": {"call_s": official_call, "process_s": official_process,
                                                       "max_rss_kib": official_rss},
              "df11_compress": {"in_process_s": inner, "process_s": outer, "max_rss_kib": rss},
              "df11_verify": {name: {"in_process_s": v[0], "process_s": v[1], "max_rss_kib": v[2]}
                              for name, v in verify.items()},
              "identical_units": dict(identical)}
    (ROOT / "bench-data" / "compare-minilm.json").write_text(json.dumps(result, indent=1) + "\n")
    if not all(ok for _, ok in identical):
        sys.exit("unit files differ")


if __name__ == "__main__":
    main()
