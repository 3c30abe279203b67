#!/usr/bin/env python3
"""Build a Hugging Face hub cache (the layout `hf download` leaves: models--ORG--NAME/{blobs,snapshots/REV,refs/main},
snapshot entries as relative links into blobs/ named by SHA-256 for weights and a 40-digit hash for small files)
from df11's fixtures, for `df11 batch` demos and checks:

  meta/tiny-llama       bf16 Llama, sharded             -> DFloat11 layout
  meta/llama-single     bf16 Llama, one file            -> DFloat11 layout
  google/bert-1layer    bf16 BERT                       -> DFloat11 layout
  acme/f32-llama        F32 tensors, Llama config       -> native container (not BF16)
  acme/mystery          bf16, unknown architecture      -> native container (no preset)
  acme/broken           malformed safetensors header    -> failed (exit 1)

--generated N adds N more bf16 Llama checkpoints from tools/bench/make_checkpoint.py (--size-gb each, distinct
seeds) as gen/llama-K. Standard library only (make_checkpoint.py needs numpy).
"""
import argparse, hashlib, json, os, shutil, struct, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "Fixtures")
REVISION = "a1" * 20


def add(hub, repo, files, revision=REVISION):
    folder = os.path.join(hub, "models--" + repo.replace("/", "--"))
    snap = os.path.join(folder, "snapshots", revision)
    os.makedirs(os.path.join(folder, "blobs"), exist_ok=True)
    os.makedirs(snap, exist_ok=True)
    os.makedirs(os.path.join(folder, "refs"), exist_ok=True)
    with open(os.path.join(folder, "refs", "main"), "w") as f:
        f.write(revision)
    for name, data in sorted(files.items()):
        sha = hashlib.sha256(data).hexdigest()
        blob = sha if name.endswith(".safetensors") else sha[:40]
        with open(os.path.join(folder, "blobs", blob), "wb") as f:
            f.write(data)
        link = os.path.join(snap, name)
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(os.path.join("..", "..", "blobs", blob), link)


def directory(path, config=None):
    files = {n: open(os.path.join(path, n), "rb").read() for n in os.listdir(path)
             if os.path.isfile(os.path.join(path, n)) and not n.startswith(".")}
    if config is not None:
        files["config.json"] = config
    return files


def f32_llama():
    names = ["model.embed_tokens.weight", "model.layers.0.mlp.down_proj.weight", "model.layers.0.mlp.gate_proj.weight",
             "model.layers.0.mlp.up_proj.weight", "model.layers.0.self_attn.k_proj.weight",
             "model.layers.0.self_attn.o_proj.weight", "model.layers.0.self_attn.q_proj.weight",
             "model.layers.0.self_attn.v_proj.weight", "model.norm.weight"]
    header, offset = {}, 0
    for n in names:
        header[n] = {"dtype": "F32", "shape": [4, 4], "data_offsets": [offset, offset + 64]}
        offset += 64
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - (8 + len(text)) % 8) % 8)
    data = b"".join(struct.pack("<f", ((i % 13) - 6) * 0.01) for i in range(offset // 4))
    return struct.pack("<Q", len(text)) + text.encode() + data


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("hub")
    ap.add_argument("--generated", type=int, default=0)
    ap.add_argument("--size-gb", type=float, default=0.02)
    args = ap.parse_args()
    hub = args.hub
    add(hub, "meta/tiny-llama", directory(os.path.join(FIX, "tiny-llama")))
    add(hub, "meta/llama-single", directory(os.path.join(FIX, "dfloat11-golden/llama-untied/source")))
    add(hub, "google/bert-1layer", directory(os.path.join(FIX, "dfloat11-golden/bert-1layer/source")))
    add(hub, "acme/f32-llama", {"model.safetensors": f32_llama(), "config.json": json.dumps({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4, "intermediate_size": 4,
        "num_attention_heads": 1, "num_hidden_layers": 1, "num_key_value_heads": 1, "vocab_size": 4,
        "torch_dtype": "float32"}).encode()})
    add(hub, "acme/mystery", directory(os.path.join(FIX, "dfloat11-golden/llama-untied/source"),
                                       config=b'{"architectures":["MysteryForCausalLM"],"model_type":"mystery"}'))
    add(hub, "acme/broken", {"model.safetensors": open(os.path.join(FIX, "malformed/invalid-json.safetensors"), "rb").read(),
                             "config.json": open(os.path.join(FIX, "tiny-llama/config.json"), "rb").read()})
    for k in range(args.generated):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "ckpt")
            subprocess.run([sys.executable, os.path.join(ROOT, "tools/bench/make_checkpoint.py"), out,
                            "--size-gb", str(args.size_gb), "--seed", str(k + 1), "--shards", str(1 + k % 2)],
                           check=True, stdout=subprocess.DEVNULL)
            add(hub, "gen/llama-%d" % k, directory(out))
    print("hub cache: %s (%d repositories)" % (hub, len([d for d in os.listdir(hub) if d.startswith("models--")])))


if __name__ == "__main__":
    main()
