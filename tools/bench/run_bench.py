#!/usr/bin/env python3
"""Side-by-side benchmark of zstd, ZipNN and df11 on the bench data sets (driven by run_bench.sh).

Data sets (prepared by run_bench.sh): MiniLM bf16 (one 45 MB file) and a generated
Llama-shaped checkpoint of about 1 GB in shards. For each data set, in the same run:
  - reference: exponent entropy (entropy_reference.py) -> the DFloat11 size bound
  - zstd -1 and -3 (-T2) on the weight files (zstd_bench.sh)
  - ZipNN bf16 (threads 2) on the weight files (zipnn_bench.py, in .venv-bench)
  - df11 inspect / compress / verify / decompress on the checkpoint, when .build/release/df11
    exists and has the subcommand (rows are skipped with a note otherwise)
Every timed run: page cache warmed first (input read once), best of --repeat wall times,
peak RSS from GNU time. Round trips are checked with SHA-256. MB/s are bf16 (original)
bytes per second, MB = 10^6 bytes; ratio = compressed / original.
Writes a markdown table to stdout and everything to bench-data/results.json.
"""
from __future__ import annotations

import argparse
import datetime
import glob
import json
import os
import platform
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import stlib  # noqa: E402
import timecmd  # noqa: E402


def weight_files(path):
    if os.path.isdir(path):
        return sorted(glob.glob(os.path.join(path, "*.safetensors")))
    return [path]


def tree_size(path):
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(r, f)) for r, _d, fs in os.walk(path) for f in fs)
    return os.path.getsize(path)


def rm(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)


def run_json(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
    return json.loads(p.stdout)


# ---------------------------------------------------------------- df11
def df11_has(binary, sub):
    """True if `df11 SUB --help` works and names SUB in its usage line."""
    try:
        p = subprocess.run([binary, sub, "--help"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    text = p.stdout + p.stderr
    return p.returncode == 0 and f"df11 {sub}" in text


def parse_json_maybe(text):
    try:
        return json.loads(text)
    except (ValueError, TypeError):
        return None


def compare_inspect(inspect_json, reference):
    """Compare df11 inspect's per-tensor entropies (schema df11.inspect/1, docs/JSON.md) and exponent
    histograms with the numpy reference."""
    if not isinstance(inspect_json, dict) or inspect_json.get("schema") != "df11.inspect/1":
        return {"compared": False, "note": "inspect output is not df11.inspect/1 JSON"}
    ours = {t["name"]: t["bf16"] for t in inspect_json["tensors"] if "bf16" in t}
    ref = {t["name"]: t for t in reference["tensors"]}
    common = set(ours) & set(ref)
    if not common:
        return {"compared": False, "note": "no BF16 tensors in common"}
    worst = max(abs(ours[k]["entropy_bits"] - ref[k]["entropy_bits"]) for k in common)
    histograms_equal = all({int(e): c for e, c in ours[k]["exponent_histogram"].items()}
                           == {int(e): c for e, c in ref[k]["histogram"].items()} for k in common)
    return {"compared": True, "tensors_compared": len(common), "missing_in_df11": len(set(ref) - set(ours)),
            "max_abs_diff_bits": worst, "within_1e-6": worst <= 1e-6, "histograms_equal": histograms_equal}


def find_restored(restored, original_file, single):
    """Where the restored copy of original_file is, in a decompress output."""
    if single and os.path.isfile(restored):
        return restored
    if os.path.isdir(restored):
        cand = os.path.join(restored, os.path.basename(original_file))
        if os.path.isfile(cand):
            return cand
        hits = [os.path.join(r, f) for r, _d, fs in os.walk(restored) for f in fs
                if f == os.path.basename(original_file)]
        if len(hits) == 1:
            return hits[0]
    return None


def bench_df11(binary, ds, reference, repeat, threads, out_root, notes):
    rows = []
    name, src, files = ds["name"], ds["df11_input"], ds["files"]
    n = sum(os.path.getsize(f) for f in files)
    if not os.path.exists(binary):
        notes.append(f"df11: {os.path.relpath(binary, ROOT)} not built (swift build -c release); df11 rows skipped")
        return rows
    missing = [s for s in ("inspect", "compress", "decompress", "verify") if not df11_has(binary, s)]
    for s in missing:
        notes.append(f"df11 {name}: subcommand '{s}' not available yet; its row is skipped")

    def row(op, res, extra=None, nbytes=n):
        r = {"dataset": name, "tool": "df11", "op": op, "bytes": n, "best_s": res["best_s"],
             "runs_s": res["runs_s"], "MBps": nbytes / res["best_s"] / 1e6 if res["best_s"] else None,
             "peak_rss_kib": res["max_rss_kib"], "rc": res["rc"]}
        if res["rc"] != 0:
            r["error"] = res["stderr"].strip()[-1000:]
            notes.append(f"df11 {op} on {name} exited {res['rc']}: {r['error'][:300]}")
        r.update(extra or {})
        rows.append(r)
        return r

    if "inspect" not in missing:
        res = timecmd.best_of([binary, "inspect", src, "--json", "--threads", str(threads)], repeat,
                              warm_paths=[src], capture=True)
        cmp = compare_inspect(parse_json_maybe(res["stdout"]), reference) if res["rc"] == 0 else {}
        row("inspect", res, {"entropy_check": cmp})
    os.makedirs(out_root, exist_ok=True)
    comp_out = os.path.join(out_root, name + ".df11")
    if "compress" not in missing:
        res = timecmd.best_of([binary, "compress", src, "-o", comp_out, "--threads", str(threads), "--json"],
                              repeat, warm_paths=[src], capture=True, before=lambda: rm(comp_out))
        extra = {}
        if res["rc"] == 0 and os.path.exists(comp_out):
            c = tree_size(comp_out)
            extra = {"compressed_bytes": c, "ratio": c / n, "report": parse_json_maybe(res["stdout"])}
        row("compress", res, extra)
    have_out = os.path.exists(comp_out)
    if "verify" not in missing and have_out:
        res = timecmd.best_of([binary, "verify", comp_out, "--json", "--threads", str(threads)], repeat,
                              warm_paths=[comp_out], capture=True)
        row("verify", res, {"report": parse_json_maybe(res["stdout"])})
        if not os.path.isdir(comp_out):
            # Decoding alone: the same decompress, its output discarded instead of written to a file.
            res = timecmd.best_of(["sh", "-c", f'"{binary}" decompress "{comp_out}" -o - --quiet --threads {threads} > /dev/null'],
                                  repeat, warm_paths=[comp_out], capture=True)
            row("decompress to /dev/null", res)
            # The whole pipeline through pipes, checked with cmp.
            res = timecmd.best_of(["sh", "-c", f'cat "{src}" | "{binary}" compress - -o - --quiet --threads {threads} '
                                              f'| "{binary}" decompress - -o - --quiet --threads {threads} | cmp - "{src}"'],
                                  repeat, warm_paths=[src], capture=True)
            row("pipe: compress | decompress | cmp", res, {"roundtrip_ok": res["rc"] == 0})
    if "decompress" not in missing and have_out:
        # The ceiling for any decompressor writing files here: copying the original bytes into tmpfs.
        baseline = os.path.join(out_root, name + ".copy")
        quoted = " ".join(f'"{f}"' for f in files)
        res = timecmd.best_of(["sh", "-c", f'cat {quoted} > "{baseline}"'], repeat, warm_paths=files, capture=True,
                              before=lambda: rm(baseline))
        rows.append({"dataset": name, "tool": "cat (write baseline)", "op": "copy to tmpfs", "bytes": n,
                     "best_s": res["best_s"], "runs_s": res["runs_s"],
                     "MBps": n / res["best_s"] / 1e6 if res["best_s"] else None, "peak_rss_kib": res["max_rss_kib"]})
        rm(baseline)
        restored = os.path.join(out_root, name + ".restored")
        res = timecmd.best_of([binary, "decompress", comp_out, "-o", restored, "--json", "--threads", str(threads)], repeat,
                              warm_paths=[comp_out], capture=True, before=lambda: rm(restored))
        extra = {}
        if res["rc"] == 0:
            checks = []
            for f in files:
                got = find_restored(restored, f, single=not os.path.isdir(src))
                checks.append(got is not None and stlib.sha256_file(got) == stlib.sha256_file(f))
            extra = {"roundtrip_ok": all(checks), "files_checked": len(checks)}
            comp_row = next((r for r in rows if r["op"] == "compress" and "ratio" in r), None)
            if comp_row:
                extra.update(compressed_bytes=comp_row["compressed_bytes"], ratio=comp_row["ratio"])
            if not all(checks):
                notes.append(f"df11 {name}: decompressed output does not match the original (SHA-256)")
        row("decompress", res, extra)
        rm(restored)
    elif "decompress" not in missing:
        notes.append(f"df11 {name}: no compressed output, decompress skipped")
    return rows


# ---------------------------------------------------------------- peers
def bench_zstd(ds, repeat, threads):
    rep = run_json(["bash", os.path.join(HERE, "zstd_bench.sh"), "--json", "--repeat", str(repeat),
                    "--threads", str(threads)] + ds["files"])
    rows = []
    summary = rep["totals"] or rep["rows"]
    for r in summary:
        for op in ("compress", "decompress"):
            rows.append({"dataset": ds["name"], "tool": f"zstd -{r['level']} -T{threads}", "op": op,
                         "bytes": r["bytes"], "compressed_bytes": r["compressed_bytes"], "ratio": r["ratio"],
                         "best_s": r[f"{op}_s"], "MBps": r[f"{op}_MBps"],
                         "peak_rss_kib": r[f"{op}_peak_rss_kib"], "roundtrip_ok": r["roundtrip_ok"]})
    return rows, rep


def bench_zipnn(ds, repeat, threads, venv_python, notes):
    if not os.path.exists(venv_python):
        notes.append("zipnn: .venv-bench missing (run tools/bench/setup_peers.sh); ZipNN rows skipped")
        return [], None
    cmd = [venv_python, os.path.join(HERE, "zipnn_bench.py"), "--json", "--repeat", str(repeat),
           "--threads", str(threads)] + ds["files"]
    for f in ds["files"]:
        timecmd.warm(f)
    res = timecmd.run_timed(cmd, capture=True)
    if res["rc"] != 0:
        notes.append(f"zipnn on {ds['name']} failed: {res['stderr'].strip()[-500:]}")
        return [], None
    rep = json.loads(res["stdout"])
    t = rep.get("total") or rep["files"][0]
    rows = []
    for op in ("compress", "decompress"):
        rows.append({"dataset": ds["name"], "tool": f"zipnn {rep['version']} (bf16, {threads} thr)", "op": op,
                     "bytes": t["bytes"], "compressed_bytes": t["compressed_bytes"], "ratio": t["ratio"],
                     "best_s": t[f"{op}_s"], "MBps": t[f"{op}_MBps"],
                     "MBps_with_read": t.get(f"{op}_with_read_MBps"),
                     "peak_rss_kib": res["max_rss_kib"], "roundtrip_ok": t["roundtrip_ok"],
                     "note": "in-memory; peak RSS is the whole Python process (torch import, buffers)"})
    for op in ("compress", "decompress"):
        mbps = t.get(f"{op}_file_to_file_MBps")
        if mbps:
            rows.append({"dataset": ds["name"], "tool": f"zipnn {rep['version']} (bf16, {threads} thr)",
                         "op": f"{op}, file to file", "bytes": t["bytes"], "ratio": t["ratio"],
                         "best_s": t["bytes"] / mbps / 1e6, "MBps": mbps, "peak_rss_kib": res["max_rss_kib"],
                         "roundtrip_ok": t["roundtrip_ok"],
                         "note": "read the file, (de)compress, write the result to tmpfs, as df11 does"})
    return rows, rep


# ---------------------------------------------------------------- output
def fmt(v, spec):
    return "—" if v is None else format(v, spec)


def markdown(rows):
    lines = ["| data set | tool | op | MB | ratio | best s | MB/s | peak RSS MiB | check |",
             "|---|---|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        rt = r.get("roundtrip_ok")
        check = "—" if rt is None else ("SHA-256 ok" if rt else "MISMATCH")
        ec = r.get("entropy_check")
        if ec:
            check = (f"entropy max diff {ec['max_abs_diff_bits']:.1e} bits over {ec['tensors_compared']} tensors, "
                     f"histograms {'equal' if ec.get('histograms_equal') else 'DIFFER'}"
                     if ec.get("compared") else f"entropy not compared: {ec.get('note')}")
        lines.append(
            f"| {r['dataset']} | {r['tool']} | {r['op']} | {r['bytes'] / 1e6:.1f} | {fmt(r.get('ratio'), '.4f')} "
            f"| {fmt(r.get('best_s'), '.3f')} | {fmt(r.get('MBps'), '.1f')} "
            f"| {fmt(r['peak_rss_kib'] / 1024 if r.get('peak_rss_kib') else None, '.0f')} "
            f"| {check} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(ROOT, "bench-data"))
    ap.add_argument("--ckpt", default=None, help="generated checkpoint folder (default DATA/ckpt-1gb)")
    ap.add_argument("--df11", default=os.path.join(ROOT, ".build", "release", "df11"))
    ap.add_argument("--venv-python", default=os.path.join(ROOT, ".venv-bench", "bin", "python"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scratch", default="/dev/shm/df11-bench" if os.path.isdir("/dev/shm") else None,
                    help="where df11 writes its outputs (default: tmpfs, as zstd_bench.sh does; else DATA/df11-out)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default="zstd,zipnn,df11", help="comma list of tools to run")
    ap.add_argument("--datasets", default="minilm-bf16,llama-1gb")
    ap.add_argument("--out", default=None, help="results JSON (default DATA/results.json)")
    args = ap.parse_args()
    tools = set(args.only.split(","))
    args.scratch = args.scratch or os.path.join(args.data, "df11-out")

    all_ds = {
        "minilm-bf16": {"name": "minilm-bf16", "df11_input": os.path.join(args.data, "minilm-bf16", "model.safetensors")},
        "llama-1gb": {"name": "llama-1gb", "df11_input": args.ckpt or os.path.join(args.data, "ckpt-1gb")},
    }
    datasets = []
    notes = []
    for key in args.datasets.split(","):
        ds = all_ds[key]
        ds["files"] = weight_files(ds["df11_input"])
        if not ds["files"] or not all(os.path.exists(f) for f in ds["files"]):
            notes.append(f"{key}: data missing at {ds['df11_input']} (run make bench-data); skipped")
            continue
        datasets.append(ds)

    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()
    rows, raw = [], {}
    for ds in datasets:
        print(f"== {ds['name']}: {len(ds['files'])} file(s), {sum(map(os.path.getsize, ds['files'])) / 1e6:.1f} MB",
              file=sys.stderr, flush=True)
        ref = run_json([sys.executable, os.path.join(HERE, "entropy_reference.py"), "--json", ds["df11_input"]])
        tot = ref["total"]
        ds["entropy"] = {"count": tot["count"], "entropy_bits": tot["entropy_bits"],
                         "mean_tensor_entropy_bits": tot["mean_tensor_entropy_bits"],
                         "dfloat11_bound_ratio": (8 + tot["mean_tensor_entropy_bits"]) / 16}
        n = sum(os.path.getsize(f) for f in ds["files"])
        rows.append({"dataset": ds["name"], "tool": "entropy bound", "op": "—", "bytes": n,
                     "ratio": ds["entropy"]["dfloat11_bound_ratio"], "peak_rss_kib": None})
        raw[ds["name"]] = {}
        if "zstd" in tools:
            print("   zstd", file=sys.stderr, flush=True)
            r, raw[ds["name"]]["zstd"] = bench_zstd(ds, args.repeat, args.threads)
            rows += r
        if "zipnn" in tools:
            print("   zipnn", file=sys.stderr, flush=True)
            r, raw[ds["name"]]["zipnn"] = bench_zipnn(ds, args.repeat, args.threads, args.venv_python, notes)
            rows += r
        if "df11" in tools:
            print("   df11", file=sys.stderr, flush=True)
            rows += bench_df11(args.df11, ds, ref, args.repeat, args.threads,
                               args.scratch, notes)

    git = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    result = {
        "started_utc": started.isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "git_commit": git.stdout.strip(),
        "repeat": args.repeat, "threads": args.threads,
        "units": {"MBps": "original bf16 bytes per second / 1e6", "ratio": "compressed / original"},
        "datasets": [{k: v for k, v in d.items()} for d in datasets],
        "rows": rows,
        "notes": list(dict.fromkeys(notes)),
        "raw": raw,
    }
    out = args.out or os.path.join(args.data, "results.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out + ".tmp", "w") as f:
        json.dump(result, f, indent=1)
    os.replace(out + ".tmp", out)

    print(markdown(rows))
    print()
    print(f"best of {args.repeat}, {args.threads} threads, load average {load_before[0]:.2f} -> {os.getloadavg()[0]:.2f}; "
          f"MB/s of original bf16 bytes; ratio = compressed/original")
    for nt in dict.fromkeys(notes):
        print(f"- note: {nt}")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
