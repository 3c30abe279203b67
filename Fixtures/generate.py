#!/usr/bin/env python3
"""Generates df11's safetensors test fixtures deterministically (python3 + numpy only).

Files are laid out exactly as the official safetensors library writes them (implemented here by hand):
tensors sorted by dtype descending in the Rust crate's declaration order, then by name bytewise; compact
JSON with "__metadata__" first; header padded with spaces to a multiple of 8.

Run from anywhere: python3 Fixtures/generate.py
"""
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPE_ORDER = ["BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0",
               "F8_E4M3FNUZ", "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64",
               "F64", "I64", "U64"]


def to_bf16_bytes(values):
    """float32 -> bfloat16 with round-to-nearest-even, as little-endian bytes."""
    bits = np.asarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16).astype("<u2").tobytes()


def json_compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def header_bytes(tensors, metadata):
    """tensors: list of (name, dtype, shape, data bytes) in file order."""
    parts = []
    if metadata is not None:
        parts.append('"__metadata__":' + json_compact(metadata))
    offset = 0
    for name, dtype, shape, data in tensors:
        entry = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        parts.append(json_compact(name) + ":" + json_compact(entry))
        offset += len(data)
    text = ("{" + ",".join(parts) + "}").encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    return text


def library_order(tensors):
    return sorted(tensors, key=lambda t: (-DTYPE_ORDER.index(t[1]), t[0].encode("utf-8")))


def safetensors_bytes(tensors, metadata=None):
    ordered = library_order(tensors)
    head = header_bytes(ordered, metadata)
    return struct.pack("<Q", len(head)) + head + b"".join(t[3] for t in ordered)


def write(path, data):
    full = os.path.join(HERE, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as f:
        f.write(data)


def write_json(path, value):
    write(path, (json.dumps(value, indent=2, sort_keys=True) + "\n").encode())


# ---------------------------------------------------------------------------- tiny-llama
def tiny_llama():
    hidden, inter, layers, heads, kv_heads, vocab = 64, 176, 2, 4, 2, 320
    head_dim = hidden // heads
    rng = np.random.default_rng(20240611)

    def linear(rows, cols):
        return to_bf16_bytes(rng.normal(0.0, 0.02, size=(rows, cols)))

    def norm(n):
        return to_bf16_bytes(1.0 + rng.normal(0.0, 0.01, size=(n,)))

    shard1 = [("model.embed_tokens.weight", "BF16", (vocab, hidden), linear(vocab, hidden))]
    shard2 = []
    for layer in range(layers):
        p = f"model.layers.{layer}."
        target = shard1 if layer == 0 else shard2
        target += [
            (p + "self_attn.q_proj.weight", "BF16", (hidden, hidden), linear(hidden, hidden)),
            (p + "self_attn.k_proj.weight", "BF16", (kv_heads * head_dim, hidden), linear(kv_heads * head_dim, hidden)),
            (p + "self_attn.v_proj.weight", "BF16", (kv_heads * head_dim, hidden), linear(kv_heads * head_dim, hidden)),
            (p + "self_attn.o_proj.weight", "BF16", (hidden, hidden), linear(hidden, hidden)),
            (p + "mlp.gate_proj.weight", "BF16", (inter, hidden), linear(inter, hidden)),
            (p + "mlp.up_proj.weight", "BF16", (inter, hidden), linear(inter, hidden)),
            (p + "mlp.down_proj.weight", "BF16", (hidden, inter), linear(hidden, inter)),
            (p + "input_layernorm.weight", "BF16", (hidden,), norm(hidden)),
            (p + "post_attention_layernorm.weight", "BF16", (hidden,), norm(hidden)),
        ]
    shard2 += [("model.norm.weight", "BF16", (hidden,), norm(hidden)),
               ("lm_head.weight", "BF16", (vocab, hidden), linear(vocab, hidden))]
    names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    weight_map = {}
    total = 0
    for name, shard in zip(names, [shard1, shard2]):
        write("tiny-llama/" + name, safetensors_bytes(shard, {"format": "pt"}))
        for t in shard:
            weight_map[t[0]] = name
            total += len(t[3])
    write_json("tiny-llama/model.safetensors.index.json",
               {"metadata": {"total_size": total}, "weight_map": weight_map})
    write_json("tiny-llama/config.json", {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": hidden,
        "intermediate_size": inter, "num_hidden_layers": layers, "num_attention_heads": heads,
        "num_key_value_heads": kv_heads, "vocab_size": vocab, "max_position_embeddings": 256,
        "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "tie_word_embeddings": False,
        "torch_dtype": "bfloat16", "hidden_act": "silu", "bos_token_id": 1, "eos_token_id": 2})
    write_json("tiny-llama/generation_config.json",
               {"_from_model_config": True, "bos_token_id": 1, "eos_token_id": 2})
    return weight_map, names, shard1, shard2


# ---------------------------------------------------------------------------- edge cases
def edge_cases():
    rng = np.random.default_rng(7)
    tensors = [
        ("empty", "F32", (0,), b""),
        ("empty_matrix", "BF16", (3, 0), b""),
        ("one", "F16", (1,), np.array([1.5], dtype="<f2").tobytes()),
        ("scalar", "F32", (), np.array(3.25, dtype="<f4").tobytes()),
        ("positions", "I64", (2, 3), np.arange(6, dtype="<i8").tobytes()),
        ("bytes", "U8", (5,), bytes([0, 1, 127, 128, 255])),
        ("weights", "BF16", (4, 8), to_bf16_bytes(rng.normal(0, 0.02, size=(4, 8)))),
        ("ünïcode name", "F32", (2,), np.array([1.0, -2.0], dtype="<f4").tobytes()),
    ]
    write("edge-cases.safetensors", safetensors_bytes(tensors, {"format": "pt"}))


# ---------------------------------------------------------------------------- every float dtype
def float_dtypes():
    """Every bit pattern of BF16, F16 and both FP8 types (NaN payloads, infinities, subnormals, -0 included), and
    F32 / F64 tensors of bell-shaped weights with every special value, blocks of constants and random patterns:
    format 2.0's structured coder must restore each byte for byte."""
    rng = np.random.default_rng(11)
    every16 = np.arange(65536, dtype="<u2")
    every8 = bytes(range(256))
    specials32 = np.array([0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001, 0x7F800001,
                           0x00000001, 0x807FFFFF, 0x7F7FFFFF, 0xFF7FFFFF, 0x00800000], dtype="<u4")
    weights32 = rng.normal(0, 0.02, size=12000).astype("<f4").view("<u4")
    random32 = rng.integers(0, 2**32, size=2000, dtype=np.uint64).astype("<u4")
    f32 = np.concatenate([specials32, weights32, np.full(2000, 0x3F800000, dtype="<u4"), random32])
    specials64 = np.array([0, 1 << 63, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000001,
                           0x0000000000000001, 0x800FFFFFFFFFFFFF, 0x7FEFFFFFFFFFFFFF], dtype="<u8")
    weights64 = rng.normal(0, 0.5, size=3000).astype("<f8").view("<u8")
    random64 = rng.integers(0, 2**63, size=500, dtype=np.uint64).astype("<u8") | np.uint64(1 << 63)
    f64 = np.concatenate([specials64, weights64, random64])
    tensors = [
        ("bf16.every", "BF16", (256, 256), rng.permutation(every16).astype("<u2").tobytes()),
        ("bf16.weights", "BF16", (300, 100), to_bf16_bytes(rng.normal(0, 0.02, size=(300, 100)))),
        ("f16.every", "F16", (65536,), every16.tobytes()),
        ("f32.mixed", "F32", (len(f32),), f32.tobytes()),
        ("f64.mixed", "F64", (len(f64),), f64.tobytes()),
        ("e4m3.every", "F8_E4M3", (16, 16), every8),
        ("e5m2.every", "F8_E5M2", (2, 256), every8 + every8[::-1]),
        ("e4m3.constant", "F8_E4M3", (4096,), bytes([0x38]) * 4096),
        ("count", "I32", (3,), np.arange(3, dtype="<i4").tobytes()),
    ]
    write("float-dtypes.safetensors", safetensors_bytes(tensors, {"format": "pt"}))


# ---------------------------------------------------------------------------- malformed files
def raw_file(header_text, data, pad=True):
    head = header_text if isinstance(header_text, bytes) else header_text.encode("utf-8")
    if pad:
        head += b" " * ((8 - len(head) % 8) % 8)
    return struct.pack("<Q", len(head)) + head + data


def entry(name, dtype, shape, begin, end):
    return f'"{name}":{{"dtype":"{dtype}","shape":{json_compact(shape)},"data_offsets":[{begin},{end}]}}'


def malformed():
    d8 = bytes(range(8))
    ok = entry("a", "BF16", [2, 2], 0, 8)
    cases = {}

    def add(name, content, code, message):
        write("malformed/" + name, content)
        cases[name] = {"code": code, "message": message}

    add("truncated-length-prefix.safetensors", b"\x10\x00\x00", "truncated-length-prefix", "too short")
    add("header-beyond-end.safetensors", struct.pack("<Q", 4096) + b'{"a":1}', "header-beyond-end",
        "header length 4096 runs past the end")
    add("header-too-large.safetensors", struct.pack("<Q", 200_000_000) + b"{}      ", "header-too-large",
        "exceeds the 100000000-byte limit")
    add("invalid-json.safetensors", raw_file("{" + ok + ",}", d8), "invalid-json", "not valid JSON")
    add("invalid-utf8.safetensors", raw_file(b'{"a\xff":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]}}', d8),
        "invalid-utf8", "not valid UTF-8")
    add("header-not-object.safetensors", raw_file("[1,2,3]", b""), "header-not-object",
        "must be a JSON object but is an array")
    add("metadata-not-strings.safetensors", raw_file('{"__metadata__":{"format":"pt","step":3},' + ok + "}", d8),
        "metadata-not-string", "__metadata__ value 'step' must be a string")
    add("metadata-not-object.safetensors", raw_file('{"__metadata__":["pt"],' + ok + "}", d8),
        "metadata-not-object", "__metadata__ must be an object")
    add("unknown-dtype.safetensors", raw_file("{" + entry("a", "BF17", [2, 2], 0, 8) + "}", d8),
        "unknown-dtype", "tensor 'a': unknown dtype 'BF17'")
    add("negative-shape.safetensors", raw_file("{" + entry("a", "BF16", [-2, 2], 0, 8) + "}", d8),
        "invalid-shape", "dimension 0 is a negative number")
    add("float-shape.safetensors", raw_file("{" + entry("a", "BF16", [2.0, 2], 0, 8) + "}", d8),
        "invalid-shape", "dimension 0 is a fractional number")
    add("shape-size-mismatch.safetensors",
        raw_file("{" + entry("model.layers.0.mlp.up_proj.weight", "BF16", [4, 8], 0, 60) + "}", bytes(60)),
        "shape-size-mismatch",
        "tensor 'model.layers.0.mlp.up_proj.weight': shape [4, 8] of BF16 needs 64 bytes but data_offsets [0, 60] give 60")
    add("offsets-reversed.safetensors", raw_file("{" + entry("a", "BF16", [2, 2], 8, 0) + "}", d8),
        "offsets-reversed", "data_offsets [8, 0] end before they begin")
    add("offsets-overlap.safetensors",
        raw_file("{" + entry("a", "BF16", [2, 2], 0, 8) + "," + entry("b", "BF16", [2], 4, 8) + "}", d8),
        "offsets-overlap", "tensor 'b': data_offsets [4, 8] overlap those of tensor 'a'")
    add("offsets-hole.safetensors",
        raw_file("{" + entry("a", "BF16", [2, 2], 0, 8) + "," + entry("b", "BF16", [2], 12, 16) + "}", bytes(16)),
        "offsets-hole", "bytes 8 to 12 of the data section belong to no tensor")
    add("truncated-data.safetensors",
        raw_file("{" + entry("a", "BF16", [2, 2], 0, 8) + "," + entry("b", "BF16", [4], 8, 16) + "}", bytes(12)),
        "truncated-data", "tensor 'b': the data is truncated at data offset 12")
    add("trailing-data.safetensors", raw_file("{" + ok + "}", d8 + b"extra"), "trailing-data",
        "unexpected trailing data")
    add("duplicate-tensor.safetensors", raw_file("{" + ok + "," + ok.replace("0,8", "8,16") + "}", bytes(16)),
        "duplicate-tensor", "tensor 'a': the name appears twice")
    add("missing-key.safetensors", raw_file('{"a":{"dtype":"BF16","data_offsets":[0,8]}}', d8),
        "missing-key", "tensor 'a': the entry has no 'shape'")
    add("offsets-out-of-range.safetensors",
        raw_file("{" + ok + "," + entry("z", "BF16", [0], 2**63, 2**63) + "}", d8),
        "offsets-out-of-range", "tensor 'z': data_offsets [9223372036854775808, 9223372036854775808] are beyond")
    add("size-overflow.safetensors", raw_file("{" + entry("a", "BF16", [2**62, 4], 0, 8) + "}", d8),
        "size-overflow", "overflows 64 bits")
    add("partial-byte.safetensors", raw_file("{" + entry("a", "F4", [3], 0, 2) + "}", bytes(2)),
        "partial-byte", "takes 12 bits, not a whole number of bytes")
    add("empty-tensor-name.safetensors", raw_file("{" + entry("", "BF16", [2, 2], 0, 8) + "}", d8),
        "empty-tensor-name", "empty name")
    add("tensor-not-object.safetensors", raw_file('{"a":[0,8]}', b""), "tensor-not-object",
        "tensor 'a': the entry must be an object")
    add("duplicate-key.safetensors",
        raw_file('{"a":{"dtype":"BF16","dtype":"F16","shape":[2,2],"data_offsets":[0,8]}}', d8),
        "duplicate-key", "tensor 'a': the entry has 'dtype' twice")
    add("offsets-too-large.safetensors", raw_file("{" + entry("a", "BF16", [2, 2], 0, 2**64) + "}", d8),
        "invalid-offsets", "an integer too large for 64 bits")
    write_json("malformed/manifest.json", cases)


# ---------------------------------------------------------------------------- malformed checkpoints
def malformed_checkpoints(weight_map, names, shard1, shard2):
    total = sum(len(t[3]) for t in shard1 + shard2)
    small1 = [t for t in shard1][:2]
    # 1: the index references a shard that does not exist.
    base = "malformed-checkpoints/missing-shard/"
    write(base + names[0], safetensors_bytes(small1, {"format": "pt"}))
    write_json(base + "model.safetensors.index.json", {
        "metadata": {"total_size": total},
        "weight_map": {**{t[0]: names[0] for t in small1}, "lm_head.weight": names[1]}})
    # 2: a tensor is in the map but not in its shard.
    base = "malformed-checkpoints/tensor-not-in-shard/"
    write(base + names[0], safetensors_bytes(small1, {"format": "pt"}))
    write_json(base + "model.safetensors.index.json", {
        "metadata": {"total_size": total},
        "weight_map": {**{t[0]: names[0] for t in small1}, "model.norm.weight": names[0]}})
    # 3: a shard holds a tensor the map does not list.
    base = "malformed-checkpoints/tensor-not-in-map/"
    write(base + names[0], safetensors_bytes(small1, {"format": "pt"}))
    write_json(base + "model.safetensors.index.json", {
        "metadata": {"total_size": total}, "weight_map": {small1[0][0]: names[0]}})


if __name__ == "__main__":
    wm, names, s1, s2 = tiny_llama()
    edge_cases()
    float_dtypes()
    malformed()
    malformed_checkpoints(wm, names, s1, s2)
