#!/usr/bin/env bash
# Builds the CPU-only environment for the golden-fixture tools. Idempotent: re-running it
# leaves an existing, complete environment as it is (pip only checks the pins).
# Result: /path/to/repo/.venv-golden (gitignored). Needs PyPI only.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv-golden"
REQ="$ROOT/tools/golden/requirements.txt"

if [ ! -x "$VENV/bin/python" ]; then
    python3.11 -m venv "$VENV" 2>/dev/null || python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# torch from PyPI: the plain Linux wheel. It pulls the nvidia-*-cu12 wheels (about 3 GB,
# 6.5 GB venv in all); they are never used here (torch.cuda.is_available() is False) but
# installing them is the simplest way that works from PyPI alone.
"$VENV/bin/python" -m pip install --quiet torch==2.8.0
"$VENV/bin/python" -m pip install --quiet -r "$REQ"

# cupy is imported by dfloat11 at load time; tools/golden/cupy_stub stands in for it.
PYTHONPATH="$ROOT/tools/golden/cupy_stub" "$VENV/bin/python" - <<'PY'
import dfloat11, dahuffman, torch, numpy, transformers, safetensors
from importlib.metadata import version
print("ok:", {p: version(p) for p in ["dfloat11", "dahuffman", "torch", "numpy", "transformers", "safetensors"]},
      "cuda:", torch.cuda.is_available())
PY
