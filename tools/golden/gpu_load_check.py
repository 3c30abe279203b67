#!/usr/bin/env python3
"""Loads DFloat11 models written by df11 with the official GPU loader and checks that they compute exactly
what their bf16 sources compute. Needs a CUDA GPU; run by hand on one (see tools/golden/README.md, "GPU check").

  python3 tools/golden/gpu_load_check.py [--out FILE.json] CASE...

A CASE is `DF11_DIR=SOURCE_DIR:KIND` (KIND `causal` for a decoder such as Llama, `bert` for an encoder);
with no CASE, the golden fixtures' three cases, whose `official/` outputs df11 reproduces byte for byte (the
Swift tests check that), and df11's own outputs for them if `.gpu-check/` holds them (written by
`tools/golden/gpu_check_prepare.sh`).

Per case: the bf16 source is loaded with transformers on the GPU; the DFloat11 directory with
`dfloat11.DFloat11Model.from_pretrained(dir, device="cuda")` (for `bert`, into a fresh `BertModel`: the
official loader builds causal models only); both run the same token ids; the outputs (logits, or the last
hidden state) must be bit-identical (`torch.equal`), since DFloat11 is lossless and the decoded weights go
through the same kernels. Prints one JSON object per case and a summary; exit 0 when every case matches.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "Fixtures" / "dfloat11-golden"
PREPARED = ROOT / ".gpu-check"


def default_cases() -> list[tuple[Path, Path, str]]:
    cases = []
    for name, kind in [("bert-1layer", "bert"), ("llama-tied", "causal"), ("llama-untied", "causal")]:
        cases.append((GOLDEN / name / "official", GOLDEN / name / "source", kind))
        if (PREPARED / name).is_dir():
            cases.append((PREPARED / name, GOLDEN / name / "source", kind))
    return cases


def parse_case(text: str) -> tuple[Path, Path, str]:
    try:
        dirs, kind = text.rsplit(":", 1)
        df11_dir, source = dirs.split("=", 1)
    except ValueError:
        raise SystemExit(f"case '{text}': expected DF11_DIR=SOURCE_DIR:KIND")
    if kind not in ("causal", "bert"):
        raise SystemExit(f"case '{text}': KIND is causal or bert")
    return Path(df11_dir), Path(source), kind


def check(df11_dir: Path, source: Path, kind: str, device: str) -> dict:
    import torch
    from dfloat11 import DFloat11Model

    result = {"dfloat11": str(df11_dir), "source": str(source), "kind": kind}
    torch.manual_seed(0)
    if kind == "causal":
        from transformers import AutoModelForCausalLM
        reference = AutoModelForCausalLM.from_pretrained(str(source), torch_dtype=torch.bfloat16).to(device).eval()
        t0 = time.perf_counter()
        model = DFloat11Model.from_pretrained(str(df11_dir), device=device)
    else:
        from transformers import BertConfig, BertModel
        reference = BertModel.from_pretrained(str(source), torch_dtype=torch.bfloat16).to(device).eval()
        config = BertConfig.from_pretrained(str(source))
        shell = BertModel(config).to(torch.bfloat16).eval()
        t0 = time.perf_counter()
        model = DFloat11Model.from_pretrained(str(df11_dir), device=device, bfloat16_model=shell)
    result["load_s"] = round(time.perf_counter() - t0, 3)
    model.eval()
    vocab = reference.config.vocab_size
    ids = torch.randint(0, vocab, (2, 16), device=device)
    with torch.no_grad():
        if kind == "causal":
            want, got = reference(input_ids=ids).logits, model(input_ids=ids).logits
        else:
            want, got = reference(input_ids=ids).last_hidden_state, model(input_ids=ids).last_hidden_state
    result["output_shape"] = list(got.shape)
    result["identical"] = bool(torch.equal(want, got))
    result["max_abs_diff"] = float((want.float() - got.float()).abs().max())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="*")
    parser.add_argument("--out", default=None, help="also write the results as JSON here")
    parser.add_argument("--device", default="cuda",
                        help="cuda (default); cpu only exercises this script: the official decoder needs CUDA")
    args = parser.parse_args()
    import torch
    if args.device == "cuda" and not torch.cuda.is_available():
        print("no CUDA device: the official loader decodes on the GPU; run this on a GPU machine", file=sys.stderr)
        sys.exit(2)
    versions = {}
    for package in ["torch", "transformers", "dfloat11", "dahuffman", "cupy", "safetensors"]:
        try:
            from importlib.metadata import version
            versions[package] = version(package if package != "cupy" else "cupy-cuda13x")
        except Exception:
            versions[package] = None
    versions["gpu"] = torch.cuda.get_device_name(0) if args.device == "cuda" else None
    print(json.dumps({"versions": versions}))
    cases = [parse_case(c) for c in args.cases] or default_cases()
    results = []
    for df11_dir, source, kind in cases:
        try:
            result = check(df11_dir, source, kind, args.device)
        except Exception as error:  # report and go on: one broken case should not hide the others
            result = {"dfloat11": str(df11_dir), "source": str(source), "kind": kind, "identical": False,
                      "error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()[-3000:]}
        print(json.dumps(result), flush=True)
        results.append(result)
    summary = {"versions": versions, "cases": results,
               "identical": sum(1 for r in results if r.get("identical")), "total": len(results)}
    print(json.dumps({"identical": summary["identical"], "total": summary["total"]}))
    if args.out:
        Path(args.out).write_text(json.dumps(summary, indent=1) + "\n")
    sys.exit(0 if summary["identical"] == summary["total"] else 1)


if __name__ == "__main__":
    main()
