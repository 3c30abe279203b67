#!/usr/bin/env python3
"""Time a command: wall clock (time.perf_counter) and the command's peak RSS
(GNU time's %M when /usr/bin/time exists — apt-get install time — else os.wait4).

  timecmd.py [--repeat N] [--warm FILE]... [--stdout FILE] -- CMD ARGS...

Runs CMD N times (default 1); before each run every --warm file is read once to warm
the page cache. Prints one JSON object: best/all wall seconds, peak RSS (KiB, the max
over runs), exit code of the last run. Stops at the first failing run.
Importable: run_timed(cmd) and warm(path).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

GNU_TIME = "/usr/bin/time"

def warm(path: str, bufsize: int = 16 << 20) -> None:
    """Read a file (or every file under a folder) once, so it is in the page cache."""
    paths = [path]
    if os.path.isdir(path):
        paths = [os.path.join(r, f) for r, _d, fs in os.walk(path) for f in fs]
    buf = bytearray(bufsize)
    for p in paths:
        with open(p, "rb", buffering=0) as f:
            while f.readinto(buf):
                pass


def run_timed(cmd, stdout_path: str | None = None, capture: bool = False, env=None):
    """Run cmd once. Returns dict(wall_s, max_rss_kib, user_s, sys_s, rc, stdout, stderr).
    stdout goes to stdout_path, or is captured (capture=True), or is dropped; stderr is captured.
    Output goes through files, not pipes, so the child is reaped by os.wait4 (for its rusage)."""
    out = open(stdout_path, "wb") if stdout_path else tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    rss_file = None
    if os.access(GNU_TIME, os.X_OK):
        # GNU time's own fork is tiny, so its %M is the command's peak RSS; os.wait4 on a child
        # forked from this Python process would report at least this process's RSS.
        fd, rss_file = tempfile.mkstemp(prefix="timecmd-", suffix=".rss")
        os.close(fd)
        cmd = [GNU_TIME, "-f", "%M", "-o", rss_file, "--"] + list(cmd)
    try:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _pid, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        so = b""
        if capture and not stdout_path:
            out.seek(0)
            so = out.read()
        err.seek(0)
        se = err.read()
        max_rss = ru.ru_maxrss
        if rss_file:
            with open(rss_file) as f:
                lines = [ln for ln in f.read().split() if ln.isdigit()]
            if lines:
                max_rss = int(lines[-1])
    finally:
        out.close()
        err.close()
        if rss_file:
            os.unlink(rss_file)
    return {
        "wall_s": wall,
        "max_rss_kib": max_rss,
        "user_s": ru.ru_utime,
        "sys_s": ru.ru_stime,
        "rc": p.returncode,
        "stdout": so.decode("utf-8", "replace"),
        "stderr": se.decode("utf-8", "replace"),
    }


def best_of(cmd, repeat=3, warm_paths=(), stdout_path=None, capture=False, before=None):
    runs = []
    cpu = []
    last = None
    max_rss = 0
    for _ in range(repeat):
        if before:
            before()
        for w in warm_paths:
            warm(w)
        last = run_timed(cmd, stdout_path=stdout_path, capture=capture)
        runs.append(last["wall_s"])
        cpu.append(last["user_s"] + last["sys_s"])
        max_rss = max(max_rss, last["max_rss_kib"])
        if last["rc"] != 0:
            break
    return {
        "best_s": min(runs),
        "runs_s": runs,
        # CPU seconds (user + system, the command and its children) of each run: on a loaded machine, what
        # the work costs apart from waiting for a core
        "cpu_s": min(cpu),
        "runs_cpu_s": cpu,
        "max_rss_kib": max_rss,
        "rc": last["rc"],
        "stdout": last["stdout"],
        "stderr": last["stderr"],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--warm", action="append", default=[])
    ap.add_argument("--stdout", default=None, help="send the command's stdout to this file")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no command")
    rss = 0
    runs = []
    r = None
    for _ in range(a.repeat):
        for w in a.warm:
            warm(w)
        r = run_timed(cmd, stdout_path=a.stdout)
        runs.append(r["wall_s"])
        rss = max(rss, r["max_rss_kib"])
        if r["rc"] != 0:
            sys.stderr.write(r["stderr"])
            break
    print(json.dumps({"cmd": cmd, "best_s": min(runs), "runs_s": runs, "max_rss_kib": rss, "rc": r["rc"]}))
    sys.exit(0 if r["rc"] == 0 else 1)


if __name__ == "__main__":
    main()
