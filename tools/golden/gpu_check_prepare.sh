#!/usr/bin/env bash
# Prepares the GPU loader check (tools/golden/gpu_load_check.py) for a GPU machine that has no network:
#   .gpu-check/<case>/     df11's DFloat11 output for each golden case (compress --format dfloat11)
#   .whl/                  wheels the GPU machine lacks: dfloat11 0.5.0 and dahuffman 0.4.2 (pure Python)
#   .whl-compat/           transformers 4.55.4 with the huggingface_hub and tokenizers it wants, for when the
#                          machine's transformers is too new for dfloat11 0.5.0's loader
# All three are excluded from git (.git/info/exclude) and must be named in the device tool's `carry`.
# Needs pip with network here and a release df11 (make build). See tools/golden/README.md, "GPU check".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
for path in /.gpu-check/ /.whl/ /.whl-compat/; do
  grep -qxF "$path" .git/info/exclude 2>/dev/null || echo "$path" >> .git/info/exclude
done
DF11=.build/release/df11
[ -x "$DF11" ] || { echo "build df11 first: make build" >&2; exit 2; }
rm -rf .gpu-check && mkdir -p .gpu-check
for case in bert-1layer llama-tied llama-untied; do
  "$DF11" compress "Fixtures/dfloat11-golden/$case/source" --format dfloat11 -o ".gpu-check/$case" --quiet
done
wheel_args=(--no-deps --only-binary=:all: --python-version 3.12 --implementation cp
            --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64)
python3 -m pip download -q "${wheel_args[@]}" -d .whl dfloat11==0.5.0 dahuffman==0.4.2
python3 -m pip download -q "${wheel_args[@]}" -d .whl-compat transformers==4.55.4 huggingface_hub==0.34.4 \
    tokenizers==0.21.4
du -sh .gpu-check .whl .whl-compat
echo "ready: carry .gpu-check .whl (.whl-compat if needed); the command is in tools/golden/README.md"
