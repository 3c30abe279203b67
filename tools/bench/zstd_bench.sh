#!/usr/bin/env bash
# zstd compress / decompress throughput and ratio, best of N, on one or more files.
#
#   zstd_bench.sh [--json] [--repeat N] [--levels "1 3"] [--threads 2] FILE [FILE...]
#
# For each level: `zstd -L -T2 FILE -o TMP/x.zst` then `zstd -d -T2 TMP/x.zst -o TMP/x.out`,
# timed with timecmd.py (wall clock, peak RSS), the page cache warmed before every run
# (the input for compression, the .zst for decompression). Outputs go to /dev/shm
# (bench-data/tmp when /dev/shm is too small). The round trip is checked with SHA-256.
# MB/s are of the original bytes (MB = 10^6 bytes); ratio = compressed / original.
# Several files are also summed into a TOTAL row (sum of the best times).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PY="${PYTHON:-python3}"
JSON=0 REPEAT=3 LEVELS="1 3" THREADS=2
FILES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --json) JSON=1 ;;
    --repeat) REPEAT="$2"; shift ;;
    --levels) LEVELS="$2"; shift ;;
    --threads) THREADS="$2"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) FILES+=("$1") ;;
  esac
  shift
done
[ ${#FILES[@]} -gt 0 ] || { echo "usage: zstd_bench.sh [--json] FILE..." >&2; exit 2; }
command -v zstd >/dev/null || { echo "zstd_bench: zstd is not installed (apt-get install zstd)" >&2; exit 2; }

biggest=0
for f in "${FILES[@]}"; do
  [ -f "$f" ] || { echo "zstd_bench: no such file: $f" >&2; exit 2; }
  s=$(stat -c %s "$f"); [ "$s" -gt "$biggest" ] && biggest=$s
done
shm_free=$(( $(stat -f -c '%a * %S' /dev/shm 2>/dev/null || echo 0) ))
if [ "$shm_free" -gt $(( biggest * 5 / 2 )) ]; then TMPD=$(mktemp -d /dev/shm/zstd-bench.XXXXXX)
else mkdir -p "$ROOT/bench-data/tmp"; TMPD=$(mktemp -d "$ROOT/bench-data/tmp/zstd-bench.XXXXXX"); fi
trap 'rm -rf "$TMPD"' EXIT
RESULTS="$TMPD/results.jsonl"
: > "$RESULTS"

for f in "${FILES[@]}"; do
  orig_sha=$(sha256sum "$f" | cut -d' ' -f1)
  for lvl in $LEVELS; do
    c=$("$PY" "$HERE/timecmd.py" --repeat "$REPEAT" --warm "$f" -- zstd -q -f "-$lvl" "-T$THREADS" "$f" -o "$TMPD/x.zst")
    d=$("$PY" "$HERE/timecmd.py" --repeat "$REPEAT" --warm "$TMPD/x.zst" -- zstd -q -f -d "-T$THREADS" "$TMPD/x.zst" -o "$TMPD/x.out")
    out_sha=$(sha256sum "$TMPD/x.out" | cut -d' ' -f1)
    printf '{"file":"%s","level":%s,"bytes":%s,"compressed_bytes":%s,"sha256":"%s","roundtrip_sha256":"%s","compress":%s,"decompress":%s}\n' \
      "$(realpath "$f")" "$lvl" "$(stat -c %s "$f")" "$(stat -c %s "$TMPD/x.zst")" "$orig_sha" "$out_sha" "$c" "$d" >> "$RESULTS"
    rm -f "$TMPD/x.zst" "$TMPD/x.out"
  done
done

"$PY" - "$RESULTS" "$JSON" "$THREADS" "$REPEAT" "$(zstd -V | head -1)" <<'PYEOF'
import json, os, sys
path, as_json, threads, repeat, version = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rows = []
for line in open(path):
    r = json.loads(line)
    n, c = r["bytes"], r["compressed_bytes"]
    rows.append({
        "file": r["file"], "level": r["level"], "bytes": n, "compressed_bytes": c, "ratio": c / n,
        "compress_s": r["compress"]["best_s"], "compress_runs_s": r["compress"]["runs_s"],
        "decompress_s": r["decompress"]["best_s"], "decompress_runs_s": r["decompress"]["runs_s"],
        "compress_MBps": n / r["compress"]["best_s"] / 1e6, "decompress_MBps": n / r["decompress"]["best_s"] / 1e6,
        "compress_peak_rss_kib": r["compress"]["max_rss_kib"], "decompress_peak_rss_kib": r["decompress"]["max_rss_kib"],
        "roundtrip_ok": r["sha256"] == r["roundtrip_sha256"], "sha256": r["sha256"],
    })
totals = []
files = sorted({r["file"] for r in rows})
if len(files) > 1:
    for lvl in sorted({r["level"] for r in rows}):
        sel = [r for r in rows if r["level"] == lvl]
        n = sum(r["bytes"] for r in sel); c = sum(r["compressed_bytes"] for r in sel)
        tc = sum(r["compress_s"] for r in sel); td = sum(r["decompress_s"] for r in sel)
        totals.append({"file": "TOTAL", "level": lvl, "bytes": n, "compressed_bytes": c, "ratio": c / n,
                       "compress_s": tc, "decompress_s": td, "compress_MBps": n / tc / 1e6, "decompress_MBps": n / td / 1e6,
                       "compress_peak_rss_kib": max(r["compress_peak_rss_kib"] for r in sel),
                       "decompress_peak_rss_kib": max(r["decompress_peak_rss_kib"] for r in sel),
                       "roundtrip_ok": all(r["roundtrip_ok"] for r in sel)})
report = {"tool": "zstd", "version": version, "threads": threads, "repeat": repeat, "rows": rows, "totals": totals}
if as_json:
    print(json.dumps(report, indent=1)); sys.exit(0)
print(f"{version}; -T{threads}; best of {repeat}")
print(f"{'file':<36} {'lvl':>3} {'MB':>9} {'ratio':>7} {'comp MB/s':>10} {'decomp MB/s':>11} {'RSS MiB c/d':>12} ok")
for r in rows + totals:
    print(f"{os.path.basename(r['file']):<36} {r['level']:>3} {r['bytes']/1e6:>9.1f} {r['ratio']:>7.4f} "
          f"{r['compress_MBps']:>10.1f} {r['decompress_MBps']:>11.1f} "
          f"{r['compress_peak_rss_kib']/1024:>5.0f}/{r['decompress_peak_rss_kib']/1024:<6.0f} {r['roundtrip_ok']}")
PYEOF
