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
official FLUX.1 example's pattern_dict, save_single_file=False), `official-single/` (save_single_file=True).
Then, directory layout only, one tiny model of each other diffusers class a df11 preset names, compressed
with that preset's pattern_dict (which shows the published dictionaries fit diffusers' real module names):
`wan-diffusers` (WanTransformer3DModel, Conv3d patch embedding in the rest), `qwen-image-diffusers`,
`sd35-diffusers` (SD3Transformer2DModel with Large's 38 blocks), `chroma-diffusers`, `hidream-diffusers`
(HiDreamImageTransformer2DModel: a shared and 4 routed experts). MANIFEST-diffusers.json: versions, pattern
dictionaries, sha256 of every file. Weights come from numpy's seeded generator (cast to bf16 by torch, round to
nearest even), so they do not depend on torch's generator.

Only our own code is here; the official package is called unchanged, with check_correctness=False (its only
GPU use on this path); `cupy` is replaced by tools/golden/cupy_stub.
"""
import contextlib
import io
import json
import os
import shutil
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "golden" / "cupy_stub"))
sys.path.insert(0, str(ROOT / "tools"))
os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import diffusers  # noqa: E402
from diffusers import FluxTransformer2DModel  # noqa: E402

from dfloat11 import compress_model  # noqa: E402
import stlib  # noqa: E402

FIX = ROOT / "Fixtures" / "dfloat11-golden"


# The other diffusers classes: (case, preset, class, constructor arguments, seed).
OTHERS = [
    ("wan-diffusers", "wan", "WanTransformer3DModel",
     dict(patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=16, in_channels=4, out_channels=4,
          text_dim=32, freq_dim=32, ffn_dim=64, num_layers=2, rope_max_seq_len=32), 31),
    ("qwen-image-diffusers", "qwen-image", "QwenImageTransformer2DModel",
     dict(patch_size=2, in_channels=16, out_channels=4, num_layers=2, attention_head_dim=16, num_attention_heads=2,
          joint_attention_dim=32, axes_dims_rope=(4, 6, 6)), 32),
    ("sd35-diffusers", "sd3.5-large", "SD3Transformer2DModel",
     dict(sample_size=16, patch_size=2, in_channels=4, num_layers=38, attention_head_dim=4, num_attention_heads=2,
          joint_attention_dim=8, caption_projection_dim=8, pooled_projection_dim=8, out_channels=4,
          pos_embed_max_size=16, qk_norm="rms_norm"), 33),
    ("chroma-diffusers", "chroma-diffusers", "ChromaTransformer2DModel",
     dict(patch_size=1, in_channels=16, num_layers=2, num_single_layers=2, attention_head_dim=16,
          num_attention_heads=2, joint_attention_dim=32, axes_dims_rope=(4, 6, 6), approximator_num_channels=8,
          approximator_hidden_dim=32, approximator_layers=5), 34),
    ("hidream-diffusers", "hidream", "HiDreamImageTransformer2DModel",
     dict(patch_size=2, in_channels=4, out_channels=4, num_layers=1, num_single_layers=1, attention_head_dim=8,
          num_attention_heads=2, caption_channels=[8, 8], text_emb_dim=16, num_routed_experts=4,
          num_activated_experts=2, axes_dims_rope=(4, 2, 2), max_resolution=(16, 16), llama_layers=[0, 1]), 35),
]

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


def compress(source, out, single, cls=FluxTransformer2DModel, pattern=FLUX_PATTERN):
    model = cls.from_pretrained(source, torch_dtype=torch.bfloat16)
    with contextlib.redirect_stdout(io.StringIO()):       # the official code prints its code tables
        compress_model(model, pattern_dict=pattern, save_path=str(out), save_single_file=single,
                       check_correctness=False)


def main():
    manifest = {
        "versions": {p: version(p) for p in ["dfloat11", "dahuffman", "torch", "numpy", "diffusers", "safetensors"]},
        "cases": {},
    }
    case = FIX / "flux-diffusers"
    shutil.rmtree(case, ignore_errors=True)
    flux_source(case / "source")
    compress(case / "source", case / "official", single=False)
    compress(case / "source", case / "official-single", single=True)
    manifest["cases"]["flux-diffusers"] = {"preset": "flux", "class": "FluxTransformer2DModel",
                                           "pattern_dict": {k: list(v) for k, v in FLUX_PATTERN.items()},
                                           "files": stlib.file_listing(case)}
    for name, preset, class_name, arguments, seed in OTHERS:
        case = FIX / name
        shutil.rmtree(case, ignore_errors=True)
        cls = getattr(diffusers, class_name)
        model = cls(**arguments)
        model.load_state_dict(seeded_state(model, seed))
        model.to(torch.bfloat16).save_pretrained(case / "draft")
        # The source as the model is when loaded in bf16 (what compress_model gets): classes with
        # _keep_in_fp32_modules (Wan's norms, scale_shift_table, time embedder) hold those in F32.
        cls.from_pretrained(case / "draft", torch_dtype=torch.bfloat16).save_pretrained(case / "source")
        shutil.rmtree(case / "draft")
        pattern = stlib.preset_pattern(preset)
        compress(case / "source", case / "official", single=False, cls=cls, pattern=pattern)
        manifest["cases"][name] = {"preset": preset, "class": class_name, "pattern_dict": pattern, "files": stlib.file_listing(case)}
    (FIX / "MANIFEST-diffusers.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    for name, entry in manifest["cases"].items():
        for file, info in entry["files"].items():
            print(f"{info['bytes']:>8} {name}/{file}")


if __name__ == "__main__":
    main()
