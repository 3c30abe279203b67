#!/usr/bin/env bash
# Install the peer tools the benchmark compares df11 with, idempotently:
#   - a venv at .venv-bench with numpy and zipnn (PyPI; zipnn pulls torch and its CUDA
#     wheels, several GB, even though the benchmark runs on the CPU)
#   - GNU time (/usr/bin/time, Debian package "time") for peak-RSS measurements
#   - zstd (Debian package "zstd")
# Re-running does nothing when everything is already there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${BENCH_VENV:-$ROOT/.venv-bench}"
ZIPNN_VERSION="${ZIPNN_VERSION:-0.5.4}"
PY="${PYTHON:-python3}"

apt_install() {  # apt_install CMD PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup_peers: installing Debian package $2" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  else
    echo "setup_peers: $1 missing and cannot apt-get install $2 here" >&2
  fi
}
apt_install zstd zstd
[ -x /usr/bin/time ] || apt_install /usr/bin/time time

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup_peers: creating $VENV" >&2
  "$PY" -m venv "$VENV"
fi
if "$VENV/bin/python" - "$ZIPNN_VERSION" <<'PYEOF' 2>/dev/null
import sys, importlib.metadata as md
import numpy, zipnn  # noqa: F401  (zipnn imports torch: checks the whole stack)
sys.exit(0 if md.version("zipnn") == sys.argv[1] else 1)
PYEOF
then
  echo "setup_peers: zipnn $ZIPNN_VERSION and numpy already in $VENV" >&2
else
  echo "setup_peers: pip install zipnn==$ZIPNN_VERSION numpy into $VENV (large: torch + CUDA wheels)" >&2
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "zipnn==$ZIPNN_VERSION" numpy
  "$VENV/bin/python" -c "import zipnn, numpy, importlib.metadata as md; print('setup_peers: zipnn', md.version('zipnn'), 'numpy', numpy.__version__)" >&2
fi
