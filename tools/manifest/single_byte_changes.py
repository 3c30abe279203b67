#!/usr/bin/env python3
"""Issue #11, point 4: random single-byte changes to the unit files of a df11-made DFloat11 release, each
checked with `df11 verify` (no source): every change must exit 1 with a message naming the unit, the tensor
or the file. Also swaps the runs of two exponents of the same code length in each unit's first decode table
(a valid prefix code that only the manifest's checksums can catch).

    python3 tools/manifest/single_byte_changes.py [--df11 .build/debug/df11] [--changes 1000] [--seed 11]

Prints one line per undetected change and a summary; exits 1 if any change went undetected.
"""
import argparse, json, os, random, shutil, struct, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def tensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    return 8 + n, {k: v for k, v in header.items() if k != "__metadata__"}


def verify(df11, release):
    r = subprocess.run([df11, "verify", release], capture_output=True, text=True)
    return r.returncode, r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--df11", default=os.path.join(ROOT, ".build/debug/df11"))
    ap.add_argument("--source", default=os.path.join(ROOT, "Fixtures/dfloat11-golden/llama-tied/source"))
    ap.add_argument("--changes", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="df11-changes-")
    try:
        release = os.path.join(work, "release")
        subprocess.run([a.df11, "compress", a.source, "--format", "dfloat11", "-o", release, "-q"], check=True)
        code, line = verify(a.df11, release)
        assert code == 0 and "df11-manifest.json" in line, line
        units = sorted(n for n in os.listdir(release) if n.endswith(".safetensors") and n != "model.safetensors")
        originals = {n: open(os.path.join(release, n), "rb").read() for n in units}
        total = sum(len(b) for b in originals.values())
        rng = random.Random(a.seed)
        missed, wrong_exit, unnamed, by_kind = [], [], [], {}
        for i in range(a.changes):
            at = rng.randrange(total)
            for name in units:
                if at < len(originals[name]):
                    break
                at -= len(originals[name])
            data = bytearray(originals[name])
            old = data[at]
            data[at] = (old + rng.randrange(1, 256)) & 0xFF
            open(os.path.join(release, name), "wb").write(data)
            code, line = verify(a.df11, release)
            open(os.path.join(release, name), "wb").write(originals[name])
            what = f"{name} byte {at}: {old} -> {data[at]}"
            if code == 0:
                missed.append(what)
                print("UNDETECTED", what)
                continue
            if code != 1:
                wrong_exit.append(what)
                print(f"EXIT {code}", what, line)
            if "DFloat11 unit '" not in line and "tensor '" not in line and name not in line:
                unnamed.append(what)
                print("UNNAMED", what, line)
            kind = line.split(": ")[1] if line.count(": ") >= 2 else line
            key = "bad-decode-tables" if "decode tables" in line else "manifest" if "manifest" in line \
                else "bitstream" if "decode consistently" in line else "header/tensor"
            by_kind[key] = by_kind.get(key, 0) + 1
        # Same-length swaps in each unit's first table.
        swaps, swaps_caught = 0, 0
        for name in units:
            start, header = tensors(os.path.join(release, name))
            (luts_name, info), = [(k, v) for k, v in header.items() if k.endswith(".luts")]
            lo, hi = info["data_offsets"]
            data = bytearray(originals[name])
            luts = data[start + lo:start + hi]
            k = len(luts) // 256 - 1
            lengths = luts[k * 256:]
            first = set(luts[:256])
            pairs = [(x, y) for x in range(240) for y in range(x + 1, 240)
                     if 0 < lengths[x] <= 8 and lengths[x] == lengths[y] and x in first and y in first]
            if not pairs:
                continue
            x, y = pairs[0]
            for j in range(256):
                if luts[j] in (x, y):
                    data[start + lo + j] = y if luts[j] == x else x
            open(os.path.join(release, name), "wb").write(data)
            code, line = verify(a.df11, release)
            open(os.path.join(release, name), "wb").write(originals[name])
            swaps += 1
            if code == 1 and "manifest" in line:
                swaps_caught += 1
            else:
                print("SWAP NOT CAUGHT", name, x, y, code, line)
        print(f"{a.changes} single-byte changes to {len(units)} unit files ({total} bytes): "
              f"{a.changes - len(missed)} detected, {len(missed)} undetected, {len(wrong_exit)} with an exit status "
              f"other than 1, {len(unnamed)} without unit, tensor or file named; by check: {by_kind}")
        print(f"{swaps} same-length symbol swaps in first decode tables: {swaps_caught} caught by the manifest")
        return 1 if missed or wrong_exit or unnamed or swaps_caught != swaps else 0
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    sys.exit(main())
