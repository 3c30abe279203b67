#!/usr/bin/env python3
"""Runs each libFuzzer target for a while and prints what it did (`make fuzz FUZZ_SECONDS=N`).

  tools/fuzz/run.py [--seconds N] [--runs N] [--targets a,b] [--smoke]

Builds the targets (tools/fuzz/build.py), then runs each for N seconds (or until --runs executions) on its corpus: .build-fuzz/corpus/TARGET
(kept between runs, so coverage accumulates) seeded from Fixtures/fuzz/TARGET. Prints, per target, executions,
executions per second, corpus size, coverage (libFuzzer's cov: edges reached, ft: features) and crashes; exits 1
if any target crashed, leaked, timed out or ran out of memory (the input is saved in .build-fuzz/crashes/TARGET/;
reproduce with `.build-fuzz/bin/TARGET FILE`). --smoke uses a fresh corpus in a temporary directory (CI).
Exit 3 (after a visible message) when the toolchain cannot build libFuzzer targets.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, os.environ.get("FUZZ_BUILD", ".build-fuzz"))
TARGETS = ["safetensors", "container", "dfloat11-unit"]
# Every input is a small file; larger ones only slow the search. 25 s for one input is a hang, even on a busy
# machine under AddressSanitizer.
FLAGS = ["-max_len=16384", "-timeout=25", "-rss_limit_mb=2048", "-print_final_stats=1"]


def run_target(target, seconds, corpus, log_path, runs=None):
    binary = os.path.join(OUT, "bin", target)
    crashes = os.path.join(OUT, "crashes", target)
    os.makedirs(crashes, exist_ok=True)
    os.makedirs(corpus, exist_ok=True)
    seeds = os.path.join(ROOT, "Fixtures", "fuzz", target)
    command = [binary, "-max_total_time=%d" % seconds, "-artifact_prefix=" + crashes + "/"] + FLAGS + [corpus, seeds]
    if runs:
        command.insert(1, "-runs=%d" % runs)
    env = dict(os.environ)
    # Two frames of allocation stack in reports: recording eight cost a third of the container target's speed.
    env.setdefault("ASAN_OPTIONS", "malloc_context_size=2")
    # Swift's own crash handler (the backtracer) reads memory in ways AddressSanitizer reports as overflows,
    # hiding the real failure: leave crashes to libFuzzer.
    env.setdefault("SWIFT_BACKTRACE", "enable=no")
    started = time.time()
    with open(log_path, "w") as log:
        status = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env).returncode
    with open(log_path, errors="replace") as f:
        text = f.read()
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", text, re.M))
    last = re.findall(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/(\d+\w+)", text, re.M)
    cov, ft, units, size = (last[-1][1:] if last else ("?", "?", "?", "?"))
    execs = int(stats.get("number_of_executed_units", last[-1][0] if last else 0))
    elapsed = max(time.time() - started, 1e-9)
    problem = None
    if status != 0:
        kind = re.search(r"ERROR: (?:AddressSanitizer|LeakSanitizer|libFuzzer): ([\w-]+)|(Fatal error|invariant)[^\n]*", text)
        problem = (kind.group(0) if kind else "exit %d" % status)[:100]
    return {"target": target, "execs": execs, "rate": int(execs / elapsed), "units": units, "size": size,
            "cov": cov, "ft": ft, "problem": problem, "log": log_path, "status": status}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", "60")))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("FUZZ_RUNS", "0")),
                        help="stop each target after this many executions (--seconds still caps it)")
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--smoke", action="store_true", help="fresh corpus in a temporary directory")
    args = parser.parse_args()

    built = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "fuzz", "build.py")]).returncode
    if built == 3:
        print("fuzz: SKIPPED: this toolchain cannot build libFuzzer targets (see above)")
        return 3
    if built != 0:
        return built
    scratch = tempfile.mkdtemp(prefix="df11-fuzz-") if args.smoke else None
    logs = os.path.join(OUT, "logs")
    os.makedirs(logs, exist_ok=True)
    results = []
    try:
        for target in args.targets.split(","):
            corpus = os.path.join(scratch or os.path.join(OUT, "corpus"), target)
            print("fuzz: %s for %d s ..." % (target, args.seconds), flush=True)
            results.append(run_target(target, args.seconds, corpus, os.path.join(logs, target + ".log"), args.runs))
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)

    print("\n%-14s %12s %8s %14s %7s %8s  %s" % ("target", "executions", "exec/s", "corpus", "cov", "ft", "result"))
    for r in results:
        print("%-14s %12d %8d %14s %7s %8s  %s" % (r["target"], r["execs"], r["rate"], "%s/%s" % (r["units"], r["size"]),
                                                  r["cov"], r["ft"], r["problem"] or "ok"))
    failed = [r for r in results if r["problem"]]
    for r in failed:
        print("fuzz: %s: %s (log: %s; inputs: %s)" % (r["target"], r["problem"], os.path.relpath(r["log"], ROOT),
                                                     os.path.relpath(os.path.join(OUT, "crashes", r["target"]), ROOT)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
