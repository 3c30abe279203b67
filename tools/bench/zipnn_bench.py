#!/usr/bin/env python3
"""ZipNN (PyPI package zipnn) compress / decompress throughput and ratio on whole files.

  zipnn_bench.py FILE [FILE...] [--threads 2] [--repeat 3] [--json]

Each FILE is read into memory (page cache warmed first) and compressed as one bf16 byte
buffer: ZipNN(input_format="byte", bytearray_dtype="bfloat16", threads=T) — ZipNN's
byte-grouping + Huffman path for bf16. ZipNN's compress rewrites the buffer it is given,
so every run gets a fresh copy (the copy is not timed). After each decompression the
output is compared with the original bytes (and SHA-256 is reported).
Times: best of --repeat for compress and for decompress, excluding the file read; the
"with read" figures add the best warm-cache read time of the input (compress) or of the
compressed bytes written to a temporary file in /dev/shm (decompress). MB/s are of the
original (uncompressed) bytes, MB = 10^6 bytes. ratio = compressed / original.
"process" figures time a whole new Python process per run, as df11 and zstd are timed: start the
interpreter, import zipnn, read the file, (de)compress, write the result to tmpfs (`--one`).
Several FILEs are also summed into a "total" row (sum of best times).
Run it with the venv from setup_peers.sh: .venv-bench/bin/python tools/bench/zipnn_bench.py ...
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings

warnings.filterwarnings("ignore", category=FutureWarning)  # torch.jit deprecation noise on import


def read_file(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def bench_file(path: str, threads: int, repeat: int, dtype: str = "bfloat16"):
    from zipnn import ZipNN

    read_times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        data = read_file(path)
        read_times.append(time.perf_counter() - t0)
    n = len(data)
    digest = hashlib.sha256(data).hexdigest()
    width = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2}.get(dtype, 1)
    if n % width:
        raise SystemExit(f"{path}: length {n} is not a whole number of {dtype} elements")

    znn = ZipNN(input_format="byte", bytearray_dtype=dtype, threads=threads)
    comp_times, decomp_times = [], []
    comp = None
    input_mutated = False
    for _ in range(repeat):
        buf = bytearray(data)  # fresh copy: compress rewrites its input in place
        t0 = time.perf_counter()
        c = znn.compress(buf)
        comp_times.append(time.perf_counter() - t0)
        if buf != data:
            input_mutated = True
        del buf
        if comp is None:
            comp = bytes(c)
        elif bytes(c) != comp:
            raise SystemExit(f"{path}: ZipNN produced different output on a repeat run")
        del c
    for _ in range(repeat):
        cbuf = bytearray(comp)  # in case decompress also writes into its input
        t0 = time.perf_counter()
        out = znn.decompress(cbuf)
        decomp_times.append(time.perf_counter() - t0)
        if len(out) != n or bytes(out) != data:
            raise SystemExit(f"{path}: ZipNN round trip differs from the original")
        out_digest = hashlib.sha256(out).hexdigest()
        del out, cbuf
    # warm-cache read time of the compressed bytes, for the "with read" decompress figure (in tmpfs, so that
    # the data folder is only read)
    scratch = "/dev/shm" if os.path.isdir("/dev/shm") else os.path.dirname(os.path.abspath(path))
    fd, cpath = tempfile.mkstemp(prefix=".zipnn-bench-", suffix=".znn", dir=scratch)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(comp)
        cread_times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            read_file(cpath)
            cread_times.append(time.perf_counter() - t0)
    finally:
        os.unlink(cpath)
    # File to file, as df11 and zstd are measured: read the file, (de)compress, write the result to tmpfs.
    zpath = os.path.join(scratch, f".zipnn-bench-{os.getpid()}.znn")
    rpath = os.path.join(scratch, f".zipnn-bench-{os.getpid()}.out")
    f2f_comp, f2f_decomp = [], []
    try:
        for _ in range(repeat):
            t0 = time.perf_counter()
            c = znn.compress(bytearray(read_file(path)))
            with open(zpath, "wb") as f:
                f.write(c)
            f2f_comp.append(time.perf_counter() - t0)
            del c
        for _ in range(repeat):
            t0 = time.perf_counter()
            out = znn.decompress(bytearray(read_file(zpath)))
            with open(rpath, "wb") as f:
                f.write(out)
            f2f_decomp.append(time.perf_counter() - t0)
            del out
        # Process against process: a new interpreter per run, which imports zipnn (and torch) before it reads.
        with open(zpath, "wb") as f:
            f.write(comp)
        proc_comp = [one_process("compress", path, rpath, dtype, threads) for _ in range(repeat)]
        proc_decomp = [one_process("decompress", zpath, rpath, dtype, threads) for _ in range(repeat)]
        with open(rpath, "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() != digest:
                raise SystemExit(f"{path}: ZipNN's decompress process wrote other bytes than the original")
    finally:
        for p in (zpath, rpath):
            if os.path.exists(p):
                os.unlink(p)
    best_read = min(read_times)
    best_cread = min(cread_times)
    bc, bd = min(comp_times), min(decomp_times)
    return {
        "file": os.path.abspath(path),
        "bytes": n,
        "compressed_bytes": len(comp),
        "ratio": len(comp) / n,
        "read_s": best_read,
        "compress_s": bc,
        "compress_runs_s": comp_times,
        "decompress_s": bd,
        "decompress_runs_s": decomp_times,
        "compress_MBps": n / bc / 1e6,
        "decompress_MBps": n / bd / 1e6,
        "compress_with_read_MBps": n / (bc + best_read) / 1e6,
        "compressed_read_s": best_cread,
        "decompress_with_read_MBps": n / (bd + best_cread) / 1e6,
        "compress_file_to_file_s": min(f2f_comp),
        "decompress_file_to_file_s": min(f2f_decomp),
        "compress_file_to_file_MBps": n / min(f2f_comp) / 1e6,
        "decompress_file_to_file_MBps": n / min(f2f_decomp) / 1e6,
        "compress_process_s": min(proc_comp),
        "decompress_process_s": min(proc_decomp),
        "compress_process_MBps": n / min(proc_comp) / 1e6,
        "decompress_process_MBps": n / min(proc_decomp) / 1e6,
        "sha256": digest,
        "roundtrip_sha256": out_digest,
        "roundtrip_ok": out_digest == digest,
        "zipnn_rewrote_input": input_mutated,
    }


def one_process(op: str, source: str, destination: str, dtype: str, threads: int) -> float:
    """Wall seconds of a new Python process that runs `--one op source destination`."""
    cmd = [sys.executable, os.path.abspath(__file__), "--one", op, source, destination, "--dtype", dtype,
           "--threads", str(threads)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def run_one(op: str, source: str, destination: str, dtype: str, threads: int) -> None:
    """What a script around ZipNN does: import it, read the file, (de)compress, write the result."""
    from zipnn import ZipNN
    znn = ZipNN(input_format="byte", bytearray_dtype=dtype, threads=threads)
    data = bytearray(read_file(source))
    out = znn.compress(data) if op == "compress" else znn.decompress(data)
    with open(destination, "wb") as f:
        f.write(out)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        one = argparse.ArgumentParser()
        one.add_argument("--one", choices=["compress", "decompress"], required=True)
        one.add_argument("source")
        one.add_argument("destination")
        one.add_argument("--dtype", default="bfloat16")
        one.add_argument("--threads", type=int, default=2)
        a = one.parse_args()
        run_one(a.one, a.source, a.destination, a.dtype, a.threads)
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--dtype", default="bfloat16",
                    help="ZipNN's bytearray_dtype: bfloat16 (default), float16, float32, float8_e4m3fn, float8_e5m2")
    args = ap.parse_args()

    rows = [bench_file(p, args.threads, args.repeat, args.dtype) for p in args.files]
    report = {"tool": "zipnn", "version": importlib.metadata.version("zipnn"), "threads": args.threads,
              "repeat": args.repeat, "files": rows}
    if len(rows) > 1:
        n = sum(r["bytes"] for r in rows)
        c = sum(r["compressed_bytes"] for r in rows)
        tc = sum(r["compress_s"] for r in rows)
        td = sum(r["decompress_s"] for r in rows)
        tr = sum(r["read_s"] for r in rows)
        tcr = sum(r["compressed_read_s"] for r in rows)
        report["total"] = {"bytes": n, "compressed_bytes": c, "ratio": c / n, "compress_s": tc,
                           "decompress_s": td, "read_s": tr, "compress_MBps": n / tc / 1e6,
                           "decompress_MBps": n / td / 1e6, "compress_with_read_MBps": n / (tc + tr) / 1e6,
                           "decompress_with_read_MBps": n / (td + tcr) / 1e6,
                           "compress_file_to_file_MBps": n / sum(r["compress_file_to_file_s"] for r in rows) / 1e6,
                           "decompress_file_to_file_MBps": n / sum(r["decompress_file_to_file_s"] for r in rows) / 1e6,
                           "compress_process_MBps": n / sum(r["compress_process_s"] for r in rows) / 1e6,
                           "decompress_process_MBps": n / sum(r["decompress_process_s"] for r in rows) / 1e6,
                           "roundtrip_ok": all(r["roundtrip_ok"] for r in rows)}
    report["peak_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(f"zipnn {report['version']}, threads {args.threads}, best of {args.repeat}")
    print(f"{'file':<40} {'MB':>9} {'ratio':>7} {'comp MB/s':>10} {'decomp MB/s':>11} {'comp+read':>10} "
          f"{'decomp+read':>11} ok")
    for r in rows + ([dict(report["total"], file="TOTAL")] if "total" in report else []):
        print(f"{os.path.basename(r['file']):<40} {r['bytes'] / 1e6:>9.1f} {r['ratio']:>7.4f} "
              f"{r['compress_MBps']:>10.1f} {r['decompress_MBps']:>11.1f} {r['compress_with_read_MBps']:>10.1f} "
              f"{r['decompress_with_read_MBps']:>11.1f} {r['roundtrip_ok']}")
    print(f"peak RSS {report['peak_rss_kib'] / 1024:.0f} MiB (whole process, includes the in-memory copies)")


if __name__ == "__main__":
    main()
