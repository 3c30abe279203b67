#!/usr/bin/env bash
# Orchestrator for `make bench`: peers, data, then zstd / ZipNN / df11 side by side.
#
#   tools/bench/run_bench.sh [--data-only | --peers-only] [run_bench.py options...]
#
# 1. tools/bench/setup_peers.sh  — .venv-bench with zipnn + numpy, GNU time, zstd (idempotent)
# 2. data in bench-data/ (idempotent):
#      minilm_bf16.py                               -> bench-data/minilm-bf16/
#      make_checkpoint.py bench-data/ckpt-1gb --size-gb 1 -> about 1 GB Llama-shaped, sharded
#      make_casts.py bench-data/minilm-f32/model.safetensors bench-data/casts -> F16, FP8 E4M3/E5M2 casts
# 3. run_bench.py — bounds (numpy), zstd -3/-19, ZipNN, df11 at each level: tables on stdout,
#    bench-data/results.json (options pass through: --datasets, --levels, --repeat, --snapshot, ...)
# df11 is used from .build/release/df11 when it exists; BENCH_BUILD=1 builds it first
# (statically linked, as `make build` does). Missing binary or subcommands: df11 rows are skipped with a note.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DATA="${BENCH_DATA:-$ROOT/bench-data}"
PY="${PYTHON:-python3}"
CKPT_GB="${BENCH_CKPT_GB:-1}"

mode=all
case "${1:-}" in
  --data-only) mode=data; shift ;;
  --peers-only) mode=peers; shift ;;
esac

if [ "$mode" != data ]; then
  bash "$HERE/setup_peers.sh"
fi
[ "$mode" = peers ] && exit 0

mkdir -p "$DATA"
echo "== data" >&2
"$PY" "$HERE/minilm_bf16.py" --data "$DATA" >&2
"$PY" "$HERE/make_checkpoint.py" "$DATA/ckpt-1gb" --size-gb "$CKPT_GB" --seed 0 >&2
if [ ! -f "$DATA/casts/model-f16.safetensors" ] || [ ! -f "$DATA/casts/model-fp8-e4m3.safetensors" ]; then
  "$PY" "$HERE/make_casts.py" "$DATA/minilm-f32/model.safetensors" "$DATA/casts" >&2
fi
[ "$mode" = data ] && exit 0

if [ "${BENCH_BUILD:-0}" = 1 ]; then
  echo "== swift build -c release (df11 as make build links it)" >&2
  (cd "$ROOT" && swift build -c release --product df11-bench && swift build -c release --product df11 --static-swift-stdlib) >&2
fi

echo "== bench" >&2
exec "$PY" "$HERE/run_bench.py" --data "$DATA" --ckpt "$DATA/ckpt-1gb" "$@"
