#!/usr/bin/env python3
"""Golden fixtures of the official DFloat11 compressor (dfloat11==0.5.0, CPU) on plain modules named as three
families' checkpoints name their tensors (issue #11, acceptance: a diffusion transformer, a mixture of experts,
a Conv2d-bearing model), for the layouts the official tool writes for a module without save_pretrained: what
the community ComfyUI nodes produce and load.

    /tmp/venv-golden/bin/python tools/golden/make_golden_modules.py    (venv: see make_golden_diffusers.py)

Per case, Fixtures/dfloat11-golden/<case>/: `source/model.safetensors` (the module's state dict saved with
safetensors' save_file, as ComfyUI single files are: no config.json, no metadata), `official/`
(compress_model(save_single_file=False)), `official-single/` (save_single_file=True); MANIFEST-modules.json
lists versions, pattern dictionaries and the sha256 of every file.

- `flux-comfyui`: FLUX.1 as a ComfyUI single file (double_blocks, single_blocks; 2 of each), the community
  nodes' Flux dictionary (the `flux-comfyui` preset).
- `moe-hidream`: HiDream-I1's block naming, 1 double- and 1 single-stream block, each with a shared expert and
  4 routed experts (w1, w2, w3) and a router, the published release's dictionary (the `hidream` preset).
- `conv-bagel`: BAGEL-7B-MoT's naming with 1 decoder layer and a 26-layer vision tower whose unit ends with
  the Conv2d patch embedding (a 4-D kernel inside a unit), the published release's dictionary (the `bagel`
  preset).

Modules are built from the tensor names: a leaf is an nn.Linear (2-D weight), nn.Conv2d (4-D) or a bare
module holding a parameter; weights come from numpy's seeded generator, cast to bf16 by torch. Only our own
code is here; the official package is called unchanged with check_correctness=False; `cupy` is replaced by
tools/golden/cupy_stub.
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
from torch import nn  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

from dfloat11 import compress_model  # noqa: E402
import stlib  # noqa: E402

FIX = ROOT / "Fixtures" / "dfloat11-golden"


def module_name(pattern, block):
    """A module name the regex fully matches (\\d+ -> block, \\. -> ., other characters as themselves)."""
    return pattern.replace(r"\d++", str(block)).replace(r"\d+", str(block)).replace("\\.", ".")


def build(tensors):
    """A module tree holding `tensors` ({name: (kind, shape)}; kind 'linear', 'conv', 'embedding' or 'param')."""
    root = nn.Module()
    for name, (kind, shape) in tensors.items():
        path, leaf = name.rsplit(".", 1)
        parent = root
        parts = path.split(".")
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if not hasattr(parent, part):
                if last and kind == "linear":
                    child = nn.Linear(shape[1], shape[0], bias=False)
                elif last and kind == "embedding":
                    child = nn.Embedding(shape[0], shape[1])
                elif last and kind == "conv":
                    child = nn.Conv2d(shape[1], shape[0], kernel_size=tuple(shape[2:]), bias=False)
                else:
                    child = nn.Module()
                parent.add_module(part, child)
            parent = getattr(parent, part)
        if leaf == "weight" and kind in ("linear", "conv", "embedding"):
            continue
        parent.register_parameter(leaf, nn.Parameter(torch.zeros(shape)))
    return root


def seeded(module, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            values = rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.05
            p.copy_(torch.from_numpy(values))
    return module.to(torch.bfloat16)


def unit_tensors(pattern, blocks, dims):
    """Tensors for every attribute of every pattern (blocks 0..blocks-1 where the pattern repeats)."""
    tensors = {}
    for regex, attrs in pattern.items():
        for b in range(blocks if "\\d" in regex else 1):
            module = module_name(regex, b)
            if not attrs:
                tensors[module + ".weight"] = ("embedding" if "embed" in module else "linear", [dims * 3, dims])
                continue
            for i, attr in enumerate(attrs):
                if "patch_embedding" in attr:
                    tensors[f"{module}.{attr}.weight"] = ("conv", [dims, 3, 2, 2])
                    tensors[f"{module}.{attr}.bias"] = ("param", [dims])
                else:
                    tensors[f"{module}.{attr}.weight"] = ("linear", [dims + 8 * (i % 3), dims])
            tensors[f"{module}.{attrs[0]}.bias"] = ("param", [dims + 0])
    return tensors


def flux_comfyui():
    pattern = stlib.preset_pattern("flux-comfyui")
    tensors = unit_tensors(pattern, 2, 32)
    tensors.update({"img_in.weight": ("linear", [32, 16]), "img_in.bias": ("param", [32]),
                    "final_layer.linear.weight": ("linear", [16, 32]),
                    "double_blocks.0.img_attn.norm.query_norm.scale": ("param", [16])})
    return pattern, tensors


def moe_hidream():
    pattern = stlib.preset_pattern("hidream")
    tensors = unit_tensors(pattern, 1, 24)
    for block in ("double_stream_blocks.0", "single_stream_blocks.0"):
        tensors[f"{block}.block.ff_i.gate.weight"] = ("param", [4, 24])     # the router stays raw
    tensors["t_embedder.timestep_embedder.linear_1.weight"] = ("linear", [24, 16])
    return pattern, tensors


def conv_bagel():
    pattern = stlib.preset_pattern("bagel")
    tensors = unit_tensors(pattern, 1, 16)
    tensors["vit_model.vision_model.post_layernorm.weight"] = ("param", [16])
    tensors["connector.fc1.weight"] = ("linear", [16, 16])
    return pattern, tensors


CASES = {"flux-comfyui": (flux_comfyui, 21), "moe-hidream": (moe_hidream, 22), "conv-bagel": (conv_bagel, 23)}


def main():
    manifest = {"versions": {p: version(p) for p in ["dfloat11", "dahuffman", "torch", "numpy", "safetensors"]},
                "cases": {}}
    for case, (make, seed) in CASES.items():
        pattern, tensors = make()
        out = FIX / case
        shutil.rmtree(out, ignore_errors=True)
        (out / "source").mkdir(parents=True)
        save_file(seeded(build(tensors), seed).state_dict(), str(out / "source" / "model.safetensors"))
        for single in (False, True):
            model = seeded(build(tensors), seed)
            with contextlib.redirect_stdout(io.StringIO()):
                compress_model(model, pattern_dict=pattern, save_path=str(out / ("official-single" if single else "official")),
                               save_single_file=single, check_correctness=False)
        manifest["cases"][case] = {
            "pattern_dict": pattern,
            "files": stlib.file_listing(out),
        }
        for name, entry in manifest["cases"][case]["files"].items():
            print(f"{entry['bytes']:>8} {case}/{name}")
    (FIX / "MANIFEST-modules.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
