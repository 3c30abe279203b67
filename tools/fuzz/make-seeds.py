#!/usr/bin/env python3
"""Regenerates the fuzzing seed corpora under Fixtures/fuzz/ from the other fixtures (`make fuzz-seeds`).

  Fixtures/fuzz/safetensors/    small .safetensors files: edge-cases, the malformed catalogue, slices of tiny-llama
  Fixtures/fuzz/container/      those slices and edge-cases as DF11 containers, with small blocks (1024 weights,
                                1–2 blocks per segment) so that a few KB hold many frames, segments and codes: format
                                1.0 (level fast), and 2.0 (levels default and max) of the tiny-llama slice and of a
                                slice of every float dtype (Fixtures/float-dtypes.safetensors); files named
                                regression-* (inputs that once crashed a target) are kept
  Fixtures/fuzz/dfloat11-unit/  small DFloat11 unit files, written by df11 compress --format dfloat11

Containers are written by df11's own writer through .build-fuzz/bin/seedgen (tools/fuzz/build.py builds it).
Deterministic: the same fixtures give the same bytes.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(ROOT, "Fixtures")
OUT = os.path.join(FIX, "fuzz")


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    return header, data[8 + n:]


def write_slice(path, source, names, max_elements):
    """A safetensors file with tensors `names` of `source`, each cut to at most `max_elements` (1-D)."""
    header, data = read_safetensors(source)
    out_header, chunks, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in names:
        info = header[name]
        begin, end = info["data_offsets"]
        width = {"BF16": 2, "F16": 2, "F32": 4, "F64": 8, "I64": 8, "U8": 1, "F8_E4M3": 1, "F8_E5M2": 1}[info["dtype"]]
        count = min((end - begin) // width, max_elements)
        chunk = data[begin:begin + count * width]
        out_header[name] = {"dtype": info["dtype"], "shape": [count], "data_offsets": [offset, offset + len(chunk)]}
        chunks.append(chunk)
        offset += len(chunk)
    text = json.dumps(out_header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def df11_binary():
    """The df11 binary: DF11 if set, else the release or debug build (built if neither exists)."""
    if os.environ.get("DF11"):
        return os.environ["DF11"]
    for config in ("release", "debug"):
        path = os.path.join(ROOT, ".build", config, "df11")
        if os.path.exists(path):
            return path
    subprocess.run(["swift", "build", "--product", "df11"], check=True, cwd=ROOT)
    return os.path.join(ROOT, ".build", "debug", "df11")


def main():
    for sub in ("safetensors", "container", "dfloat11-unit"):
        directory = os.path.join(OUT, sub)
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if not name.startswith("regression-"):
                os.remove(os.path.join(directory, name))

    # safetensors
    st = os.path.join(OUT, "safetensors")
    shutil.copy(os.path.join(FIX, "edge-cases.safetensors"), st)
    malformed = os.path.join(FIX, "malformed")
    for name in sorted(os.listdir(malformed)):
        path = os.path.join(malformed, name)
        if name.endswith(".safetensors") and os.path.getsize(path) <= 8192:
            shutil.copy(path, os.path.join(st, "malformed-" + name))
    shard = os.path.join(FIX, "tiny-llama", "model-00001-of-00002.safetensors")
    layer = "model.layers.0."
    write_slice(os.path.join(st, "tiny-llama-norms.safetensors"), shard,
                [layer + "input_layernorm.weight", layer + "post_attention_layernorm.weight"], 64)
    write_slice(os.path.join(st, "tiny-llama-proj.safetensors"), shard,
                [layer + "self_attn.k_proj.weight", layer + "self_attn.v_proj.weight", layer + "mlp.up_proj.weight"], 1500)

    # container
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "fuzz", "build.py")], check=True)
    seedgen = os.path.join(ROOT, os.environ.get("FUZZ_BUILD", ".build-fuzz"), "bin", "seedgen")
    ct = os.path.join(OUT, "container")
    inputs = [os.path.join(st, n) for n in ("edge-cases.safetensors", "tiny-llama-norms.safetensors",
                                            "tiny-llama-proj.safetensors")]
    floats = os.path.join(st, "float-dtypes-slice.safetensors")
    write_slice(floats, os.path.join(FIX, "float-dtypes.safetensors"),
                ["bf16.weights", "f16.every", "f32.mixed", "f64.mixed", "e4m3.constant", "e5m2.every"], 700)
    subprocess.run([seedgen, ct, "1024", "1", "fast"] + inputs, check=True)
    subprocess.run([seedgen, ct, "1024", "2", "fast", inputs[2]], check=True)
    subprocess.run([seedgen, ct, "1024", "1", "default", inputs[2], floats], check=True)
    subprocess.run([seedgen, ct, "1024", "2", "max", floats], check=True)

    # dfloat11-unit: small units written by df11 compress --format dfloat11 (byte-identical to the official
    # compressor's, Fixtures/dfloat11-golden) from slices of tiny-llama: a unit of one weight, and one of two
    # weights (non-empty split_positions). Small, so that each input decodes in well under a millisecond.
    unit = os.path.join(OUT, "dfloat11-unit")
    df11 = df11_binary()
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src")
        os.makedirs(src)
        shutil.copy(os.path.join(FIX, "tiny-llama", "config.json"), src)
        write_slice(os.path.join(src, "model.safetensors"), shard,
                    ["model.embed_tokens.weight", layer + "mlp.up_proj.weight", layer + "mlp.down_proj.weight"], 1200)
        with open(os.path.join(tmp, "pattern.json"), "w") as f:
            json.dump({"model\\.embed_tokens": [], "model\\.layers\\.\\d+\\.mlp": ["up_proj", "down_proj"]}, f)
        out = os.path.join(tmp, "out")
        subprocess.run([df11, "compress", src, "--format", "dfloat11", "--pattern", os.path.join(tmp, "pattern.json"),
                        "-o", out, "--quiet"], check=True)
        for name in ("model_embed_tokens", "model_layers_0_mlp"):
            shutil.copy(os.path.join(out, name + ".safetensors"), os.path.join(unit, "tiny-llama-" + name + ".safetensors"))

    total = 0
    for base, _, files in os.walk(OUT):
        for f in files:
            total += os.path.getsize(os.path.join(base, f))
    print("fuzz seeds: %d KB in %s" % (total // 1024, os.path.relpath(OUT, ROOT)))


if __name__ == "__main__":
    main()
