#!/usr/bin/env python3
"""Golden fixtures of the official DFloat11 compressor (dfloat11==0.5.0, CPU) on diffusers models, for the
diffusers layout (issue #11, point 2): what compress_model writes for a model that has diffusers'
save_pretrained.

    python3.11 -m venv /tmp/venv-golden
    /tmp/venv-golden/bin/pip install /opt/wheels/torch-*+cpu-cp311-*.whl
    /tmp/venv-golden/bin/pip install dfloat11==0.5.0 dahuffman==0.4.2 transformers==4.55.4 accelerate==1.10.0 \
        safetensors==0.6.2 numpy==2.3.2 'setuptools<81' diffusers==0.35.1
    /tmp/venv-golden/bin/python tools/golden/make_golden_diffusers.py

Writes Fixtures/dfloat11-golden/flux-diffusers/: `source/` (a FluxTransformer2DModel with 2 double-stream and
2 single-stream blocks, bf16, saved by diffusers' save_pretrained), `official/` (compress_model with the
official FLUX.1 example's pattern_dict, save_single_file=False), `official-single/` (save_single_file=True),
and MANIFEST-diffusers.json (versions, sha256 of every file). Weights come from numpy's seeded generator
(cast to bf16 by torch, round to nearest even), so they do not depend on torch's generator.

Only our own code is here; the official package is called unchanged, with check_correctness=False (its only
GPU use on this path); `cupy` is replaced by tools/golden/cupy_stub.
"""
import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "golden" / "cupy_stub"))
os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from diffusers import FluxTransformer2DModel  # noqa: E402

from dfloat11 import compress_model  # noqa: E402

FIX = ROOT / "Fixtures" / "dfloat11-golden"

# The official repository's examples/compress_flux1/compress_flux.py dictionary (the `flux` preset).
FLUX_PATTERN = {
    r"transformer_blocks\.\d+": (
        "norm1.linear", "norm1_context.linear", "attn.to_q", "attn.to_k", "attn.to_v", "attn.add_k_proj",
        "attn.add_v_proj", "attn.add_q_proj", "attn.to_out.0", "attn.to_add_out", "ff.net.0.proj", "ff.net.2",
        "ff_context.net.0.proj", "ff_context.net.2"),
    r"single_transformer_blocks\.\d+": ("norm.linear", "proj_mlp", "proj_out", "attn.to_q", "attn.to_k", "attn.to_v"),
}


def seeded_state(model, seed):
    """Every parameter replaced by seeded normal values (std 0.05; norms' weights around 1), in bf16."""
    rng = np.random.default_rng(seed)
    state = {}
    for name, tensor in model.state_dict().items():
        values = rng.standard_normal(tuple(tensor.shape)).astype(np.float32) * 0.05
        if name.endswith("norm.weight") or ".norm_q." in name or ".norm_k." in name or "norm_added" in name:
            values += 1.0
        state[name] = torch.from_numpy(values).to(torch.bfloat16)
    return state


def flux_source(path):
    model = FluxTransformer2DModel(patch_size=1, in_channels=16, num_layers=2, num_single_layers=2,
                                   attention_head_dim=16, num_attention_heads=2, joint_attention_dim=32,
                                   pooled_projection_dim=32, guidance_embeds=True, axes_dims_rope=(4, 6, 6))
    model.load_state_dict(seeded_state(model, 11))
    model = model.to(torch.bfloat16)
    model.save_pretrained(path)


def compress(source, out, single):
    model = FluxTransformer2DModel.from_pretrained(source, torch_dtype=torch.bfloat16)
    with contextlib.redirect_stdout(io.StringIO()):       # the official code prints its code tables
        compress_model(model, pattern_dict=FLUX_PATTERN, save_path=str(out), save_single_file=single,
                       check_correctness=False)


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main():
    case = FIX / "flux-diffusers"
    shutil.rmtree(case, ignore_errors=True)
    flux_source(case / "source")
    compress(case / "source", case / "official", single=False)
    compress(case / "source", case / "official-single", single=True)
    manifest = {
        "versions": {p: version(p) for p in ["dfloat11", "dahuffman", "torch", "numpy", "diffusers", "safetensors"]},
        "pattern_dict": {k: list(v) for k, v in FLUX_PATTERN.items()},
        "files": {str(p.relative_to(case)): {"bytes": p.stat().st_size, "sha256": sha256(p)}
                  for p in sorted(case.rglob("*")) if p.is_file()},
    }
    (case / "MANIFEST-diffusers.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    for name, entry in manifest["files"].items():
        print(f"{entry['bytes']:>8} {name}")


if __name__ == "__main__":
    main()
