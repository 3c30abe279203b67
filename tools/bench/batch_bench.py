#!/usr/bin/env python3
"""`make bench-batch`: df11 batch at scale (issue #9).

1. Scaling: one batch per generated Llama-shaped bf16 checkpoint of 0.25, 0.5, 1, 2 and 4 GB (--sizes), each
   timed with GNU time: seconds per GB and peak resident memory should stay flat with size.
2. Batch against compress: the 1 GB checkpoint through `df11 batch` against `df11 compress --format dfloat11`
   (what --format auto chooses for it), the best of --repeat runs of each, alternated.
3. Overhead: 50 small checkpoints (copies of Fixtures/tiny-llama) in one batch.

Checkpoints come from tools/bench/make_checkpoint.py into $BENCH_DATA/batch/llama-<size>gb (generated once, under
nice; an existing 1 GB checkpoint may be linked there). Writes results JSON and, when matplotlib imports, a PNG
plot of time per GB and peak memory against size.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


CPU = {}


def timed(cmd):
    """(seconds, peak RSS in MB, exit status) of cmd under GNU time; its CPU seconds (user + system) in CPU[id]."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        start = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", t.name] + cmd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        seconds = time.perf_counter() - start
        rss, user, system = open(t.name).read().strip().splitlines()[-1].split()
    if p.returncode not in (0,):
        sys.stderr.write(p.stderr)
    result = (seconds, int(rss) / 1024, p.returncode)
    CPU[id(result)] = float(user) + float(system)
    return result


def hub_copy(path, hub, repo):
    """`path` as the cache entry `repo` under `hub` (copied once; blobs named by SHA-256, as hf names them)."""
    import hashlib
    folder = os.path.join(hub, "models--" + repo.replace("/", "--"))
    snap = os.path.join(folder, "snapshots", "0" * 40)
    if os.path.exists(os.path.join(folder, "refs", "main")):
        return snap
    os.makedirs(os.path.join(folder, "blobs"), exist_ok=True)
    os.makedirs(snap, exist_ok=True)
    for name in sorted(os.listdir(path)):
        if name.startswith("."):
            continue
        h = hashlib.sha256()
        with open(os.path.join(path, name), "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        blob = os.path.join(folder, "blobs", h.hexdigest() if name.endswith(".safetensors") else h.hexdigest()[:40])
        shutil.copyfile(os.path.join(path, name), blob)
        os.symlink(os.path.relpath(blob, snap), os.path.join(snap, name))
    os.makedirs(os.path.join(folder, "refs"), exist_ok=True)
    open(os.path.join(folder, "refs", "main"), "w").write("0" * 40)
    return snap


def size_of(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs
               if f.endswith(".safetensors"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--df11", default=os.path.join(ROOT, ".build/release/df11"))
    ap.add_argument("--data", default=os.environ.get("BENCH_DATA", os.path.join(ROOT, "bench-data")))
    ap.add_argument("--sizes", default="0.25,0.5,1,2,4")
    ap.add_argument("--repeat", type=int, default=3, help="runs of the 1 GB comparison (the best counts)")
    ap.add_argument("--scaling-repeat", type=int, default=1, help="runs per size in the scaling table")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--only", default="scaling,compare,small",
                    help="parts to run; the others keep their numbers from an earlier --json")
    ap.add_argument("--scratch", default=None, help="where outputs go (default: a directory under --data)")
    ap.add_argument("--json", default=os.path.join(ROOT, "Benchmarks/batch-results.json"))
    ap.add_argument("--plot", default=os.path.join(ROOT, "Benchmarks/batch-scaling.png"))
    args = ap.parse_args()
    sizes = [float(s) for s in args.sizes.split(",")]
    data = os.path.join(args.data, "batch")
    os.makedirs(data, exist_ok=True)
    scratch = args.scratch or os.path.join(args.data, "batch-out")
    T = ["-T", str(args.threads)]

    ckpts = []
    for s in sizes:
        path = os.path.join(data, "llama-%sgb" % ("%g" % s))
        if not os.path.exists(os.path.join(path, "config.json")):
            print("generating %s (once)" % path, flush=True)
            subprocess.run(["nice", "-n", "15", sys.executable, os.path.join(ROOT, "tools/bench/make_checkpoint.py"),
                            path, "--size-gb", str(s)], check=True, stdout=subprocess.DEVNULL)
        ckpts.append((s, path, size_of(path)))

    def fresh():
        shutil.rmtree(scratch, ignore_errors=True)
        os.makedirs(scratch)

    parts = set(args.only.split(","))
    results = json.load(open(args.json)) if os.path.exists(args.json) and parts != {"scaling", "compare", "small"} else {}
    results.update({"df11": subprocess.run([args.df11, "--version"], capture_output=True, text=True).stdout.strip(),
                    "threads": args.threads or os.cpu_count(), "cpus": os.cpu_count(), "repeat": args.repeat})
    if "scaling" in parts:
        results["scaling"] = []
    print("%-10s %10s %10s %10s %12s" % ("size", "bytes", "seconds", "s/GB", "peak MB"))
    for s, path, n in (ckpts if "scaling" in parts else []):
        best = None
        for _ in range(args.scaling_repeat):
            fresh()
            r = timed([args.df11, "batch", path, "-o", scratch, "-q"] + T)
            if r[2] != 0:
                raise SystemExit("df11 batch failed on %s" % path)
            best = r if best is None or r[0] < best[0] else best
        row = {"size_gb": s, "bytes": n, "seconds": best[0], "seconds_per_gb": best[0] / (n / 1e9), "peak_mb": best[1]}
        results["scaling"].append(row)
        print("%-10s %10d %10.2f %10.2f %12.0f" % ("%g GB" % s, n, best[0], row["seconds_per_gb"], best[1]), flush=True)

    # One batch of everything against compress of each, one by one.
    def one_by_one(paths):
        total, peak, cpu = 0.0, 0.0, 0.0
        for p in paths:
            fresh()
            r = timed([args.df11, "compress", p, "--format", "dfloat11", "-o", os.path.join(scratch, "x"), "-q"] + T)
            if r[2] != 0:
                raise SystemExit("df11 compress failed on %s" % p)
            total += r[0]
            peak = max(peak, r[1])
            cpu += CPU[id(r)]
        return total, peak, cpu

    def batch(paths):
        fresh()
        r = timed([args.df11, "batch"] + paths + ["-o", scratch, "-q"] + T)
        if r[2] != 0:
            raise SystemExit("df11 batch failed")
        return r[0], r[1], CPU[id(r)]

    comparisons = []
    one_gb = [p for s, p, _ in ckpts if s == 1]
    collections = []
    if "compare" in parts and one_gb:
        collections = [("1 GB checkpoint, a directory (SHA-256 computed)", one_gb),
                       ("1 GB checkpoint in a hub cache (SHA-256 from blob names)",
                        [hub_copy(one_gb[0], os.path.join(args.data, "batch-hub"), "bench/llama-1gb")])]
    for label, paths in collections:
        if not paths:
            continue
        n = sum(size_of(p) for p in paths)
        bs, cs = [], []
        for _ in range(args.repeat):
            bs.append(batch(paths))
            cs.append(one_by_one(paths))
        b, c = min(bs, key=lambda r: r[0]), min(cs, key=lambda r: r[0])
        bcpu, ccpu = min(r[2] for r in bs), min(r[2] for r in cs)
        row = {"collection": label, "bytes": n, "batch_seconds": b[0], "compress_seconds": c[0],
               "batch_over_compress": b[0] / c[0], "batch_cpu_seconds": bcpu, "compress_cpu_seconds": ccpu,
               "batch_over_compress_cpu": bcpu / ccpu, "batch_peak_mb": b[1], "compress_peak_mb": c[1],
               "batch_runs": [r[0] for r in bs], "compress_runs": [r[0] for r in cs]}
        comparisons.append(row)
        print("%s (%.2f GB): batch %.2f s (%.2f s CPU), compress %.2f s (%.2f s CPU): batch/compress = %.3f wall, %.3f CPU"
              % (label, n / 1e9, b[0], bcpu, c[0], ccpu, b[0] / c[0], bcpu / ccpu), flush=True)
    if "compare" in parts:
        results["batch_vs_compress"] = comparisons

    # 50 small checkpoints.
    small = tempfile.mkdtemp(prefix="df11-small-", dir=args.data)
    try:
        if "small" in parts:
            for i in range(50):
                shutil.copytree(os.path.join(ROOT, "Fixtures/tiny-llama"), os.path.join(small, "m%02d" % i))
            by_jobs = {}
            for jobs in (1, 4):
                runs = []
                for _ in range(max(args.repeat, 3)):
                    fresh()
                    runs.append(timed([args.df11, "batch", small, "-r", "-o", scratch, "-q", "-j", str(jobs)] + T))
                by_jobs[jobs] = min(runs, key=lambda r: r[0])
            best = by_jobs[1]
            fresh()
            t0 = time.perf_counter()
            for i in range(50):
                subprocess.run([args.df11, "compress", os.path.join(small, "m%02d" % i), "--format", "dfloat11",
                                "-o", os.path.join(scratch, "m%02d" % i), "-q"] + T, check=True)
            loop = time.perf_counter() - t0
            rerun = timed([args.df11, "batch", small, "-r", "-o", scratch + "-again", "-q"] + T)
            again = timed([args.df11, "batch", small, "-r", "-o", scratch + "-again", "-q"] + T)
            shutil.rmtree(scratch + "-again", ignore_errors=True)
            results["small"] = {"checkpoints": 50, "bytes_each": size_of(os.path.join(small, "m00")), "batch_seconds": best[0],
                                "batch_peak_mb": best[1], "batch_jobs4_seconds": by_jobs[4][0],
                                "batch_jobs4_peak_mb": by_jobs[4][1], "compress_loop_seconds": loop,
                                "rerun_unchanged_seconds": again[0]}
            print("50 small checkpoints: batch %.2f s (peak %.0f MB), with -j4 %.2f s (peak %.0f MB); a shell loop of "
                  "compress %.2f s; rerun, all unchanged, %.2f s"
                  % (best[0], best[1], by_jobs[4][0], by_jobs[4][1], loop, again[0]), flush=True)
    finally:
        shutil.rmtree(small, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)

    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(results, f, indent=1)
    print("results: %s" % args.json)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not available: no plot (pip install matplotlib)")
        return
    xs = [r["bytes"] / 1e9 for r in results["scaling"]]
    fig, ax1 = plt.subplots(figsize=(7, 4))
    ax1.plot(xs, [r["seconds_per_gb"] for r in results["scaling"]], "o-", color="tab:blue", label="seconds per GB")
    ax1.set_xscale("log", base=2)
    ax1.set_xlabel("checkpoint size (GB)")
    ax1.set_ylabel("seconds per GB", color="tab:blue")
    ax1.set_ylim(0, max(r["seconds_per_gb"] for r in results["scaling"]) * 1.3)
    ax2 = ax1.twinx()
    ax2.plot(xs, [r["peak_mb"] for r in results["scaling"]], "s--", color="tab:red", label="peak RSS (MB)")
    ax2.set_ylabel("peak resident memory (MB)", color="tab:red")
    ax2.set_ylim(0, max(r["peak_mb"] for r in results["scaling"]) * 1.3)
    ax1.set_title("df11 batch --format auto (DFloat11 layout), %s threads" % results["threads"])
    fig.tight_layout()
    fig.savefig(args.plot, dpi=110)
    print("plot: %s" % args.plot)


if __name__ == "__main__":
    main()
