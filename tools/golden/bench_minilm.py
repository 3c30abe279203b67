#!/usr/bin/env python3
"""Times the official dfloat11.compress_model on the whole all-MiniLM-L6-v2 cast to bf16
(6 BERT layers as 6-tensor units + word embeddings), on the CPU. Output goes to
bench-data/minilm-df11/ (gitignored). Run under /usr/bin/time -v for peak RSS:

    /usr/bin/time -v .venv-golden/bin/python tools/golden/bench_minilm.py
"""
import contextlib
import io
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "golden" / "cupy_stub"))
sys.path.insert(0, str(ROOT / "tools" / "golden"))
os.environ.setdefault("TQDM_DISABLE", "1")

import torch  # noqa: E402
from transformers import BertConfig, BertModel  # noqa: E402

from dfloat11 import compress_model  # noqa: E402
import make_golden as mg  # noqa: E402  (helpers only: MiniLM download, RNE cast)


def main():
    torch.set_num_threads(1)
    W = mg.minilm()
    cfg = BertConfig.from_json_file(str(mg.MINILM_ST.parent / "config.json"))
    model = BertModel(cfg).to(torch.bfloat16)
    sd = {k: mg.to_bf16(v) for k, v in W.items() if v.dtype.kind == "f"}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert not unexpected, unexpected
    src_bytes = sum(p.numel() * 2 for p in model.parameters())
    n_unit = sum(model.get_submodule(f"encoder.layer.{i}").get_submodule(a).weight.numel()
                 for i in range(cfg.num_hidden_layers) for a in mg.BERT_UNIT)
    n_unit += model.embeddings.word_embeddings.weight.numel()
    out = mg.BENCH / "minilm-df11"
    if out.exists():
        shutil.rmtree(out)
    t0 = time.time()
    with contextlib.redirect_stdout(io.StringIO()):
        compress_model(model, pattern_dict=mg.BERT_PATTERN, save_path=str(out),
                       save_single_file=False, check_correctness=False)
    dt = time.time() - t0
    out_bytes = sum(p.stat().st_size for p in out.glob("*.safetensors"))
    unit_bytes = sum(p.stat().st_size for p in out.glob("*.safetensors") if p.name != "model.safetensors")
    res = {"seconds": round(dt, 2), "weights_compressed": n_unit,
           "weights_per_s": round(n_unit / dt), "bf16_MB_per_s": round(n_unit * 2 / dt / 1e6, 3),
           "model_bf16_bytes": src_bytes, "output_safetensors_bytes": out_bytes,
           "output_ratio": round(out_bytes / src_bytes, 4),
           "unit_files_bytes": unit_bytes, "unit_ratio": round(unit_bytes / (n_unit * 2), 4),
           "unit_bits_per_weight": round(unit_bytes * 8 / n_unit, 3)}
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
