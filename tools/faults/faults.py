#!/usr/bin/env python3
"""Fault injection against the df11 binary (`make faults`). Python 3 standard library only.

  tools/faults/faults.py [--df11 .build/release/df11] [--kills 240] [--races 240] [--changes 120] [--seed 1]
                         [--only kills,races,changes,disk,links] [--keep]

Five families of cases, each on small inputs built in a scratch directory from Fixtures/tiny-llama:

  kills    SIGKILL at a random moment of compress (container, --format dfloat11), decompress (both) and verify.
           Violation: a file under a final output name that is not complete (differs from a clean run's output),
           or a command that writes nothing (verify) leaving anything. Temporary files of the killed process are
           allowed to remain (nothing can remove them at SIGKILL) but must be gone after a later successful run
           into the same place ("stale temp after rerun").
  races    Two or three processes start the same command into one new output. Violation ("lost output"): a
           process exits 0 but the output is then missing or incomplete; or none succeeds; or temp files remain.
  changes  The input is modified while compress runs: data overwritten in place over and over, the file truncated,
           extended, its header overwritten, or replaced by rename. Violation:
           death by a signal or an exit status other than 0/1/2 ("crash"), temp files left, or exit 0 with an
           output that does not verify.
  disk     Outputs into a full file system: a small tmpfs (mounted as root), else a file-size limit
           (RLIMIT_FSIZE). Violation: an exit status other than 2, or anything left on the file system.
  links    Symbolic-link tricks in an input directory: a link to itself (a loop), a link to /, a link to a
           file outside the checkpoint; and tensor names that make module (unit file) names absolute, with
           `..` or with a NUL. Violation: a hang or a crash, a file outside the output written, an output
           holding the outside file's bytes, or more output files than the checkpoint has.

Prints a table of counts per family and check and exits 1 on any violation (0 otherwise).
"""
import argparse
import ctypes
import filecmp
import json
import os
import random
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TIMEOUT = 60

# --------------------------------------------------------------------------------------------------------------
# Inputs


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + n]), data[8 + n:]


def write_safetensors(path, tensors):
    """tensors: list of (name, dtype, shape, bytes)."""
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(t[3] for t in tensors))


def bf16_like(source, count, rng):
    """`count` bf16 words resampled from `source`'s words (a realistic exponent distribution)."""
    words = struct.unpack("<%dH" % (len(source) // 2), source)
    picks = [words[rng.randrange(len(words))] for _ in range(min(count, 65536))]
    block = struct.pack("<%dH" % len(picks), *picks)
    return (block * (count // len(picks) + 1))[:2 * count]


def make_inputs(work, rng):
    """tiny: tiny-llama (a sharded directory); medium: a one-layer Llama of 3.4 M weights (7 MB, one file, with
    its config.json) for runs long enough to be interrupted."""
    inputs = {}
    tiny = os.path.join(work, "in", "tiny-llama")
    shutil.copytree(os.path.join(ROOT, "Fixtures", "tiny-llama"), tiny)
    inputs["tiny"] = tiny
    header, data = read_safetensors(os.path.join(tiny, "model-00001-of-00002.safetensors"))
    begin, end = header["model.embed_tokens.weight"]["data_offsets"]
    sample = data[begin:end]
    medium = os.path.join(work, "in", "medium")
    os.makedirs(medium)
    hidden, inter, vocab, kv = 512, 1536, 512, 256
    with open(os.path.join(tiny, "config.json")) as f:
        config = json.load(f)
    config.update(hidden_size=hidden, intermediate_size=inter, vocab_size=vocab, num_hidden_layers=1,
                  num_attention_heads=8, num_key_value_heads=4)
    with open(os.path.join(medium, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    layer = "model.layers.0."
    shapes = [("model.embed_tokens.weight", [vocab, hidden]), (layer + "input_layernorm.weight", [hidden]),
              (layer + "mlp.down_proj.weight", [hidden, inter]), (layer + "mlp.gate_proj.weight", [inter, hidden]),
              (layer + "mlp.up_proj.weight", [inter, hidden]), (layer + "post_attention_layernorm.weight", [hidden]),
              (layer + "self_attn.k_proj.weight", [kv, hidden]), (layer + "self_attn.o_proj.weight", [hidden, hidden]),
              (layer + "self_attn.q_proj.weight", [hidden, hidden]), (layer + "self_attn.v_proj.weight", [kv, hidden]),
              ("lm_head.weight", [vocab, hidden]), ("model.norm.weight", [hidden])]
    tensors = []
    for name, shape in shapes:
        count = 1
        for d in shape:
            count *= d
        tensors.append((name, "BF16", shape, bf16_like(sample, count, rng)))
    write_safetensors(os.path.join(medium, "model.safetensors"), tensors)
    inputs["medium"] = medium
    inputs["medium-file"] = os.path.join(medium, "model.safetensors")
    return inputs


# --------------------------------------------------------------------------------------------------------------
# Running df11

SIGNAL_NAMES = {getattr(signal, n): n for n in dir(signal) if n.startswith("SIG") and not n.startswith("SIG_")}


class Runner:
    def __init__(self, df11):
        self.df11 = df11

    def start(self, args, limit_file_size=None, cwd=None):
        def setup():
            os.setpgrp()
            if limit_file_size is not None:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # EFBIG instead of death
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))
        return subprocess.Popen([self.df11] + args + ["--quiet"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, preexec_fn=setup, cwd=cwd)

    def wait(self, process, timeout=TIMEOUT):
        """(exit status or -signal or 'timeout', stderr)."""
        try:
            _, err = process.communicate(timeout=timeout)
            return process.returncode, err.decode(errors="replace")
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return "timeout", ""

    def run(self, args, **kw):
        return self.wait(self.start(args, **kw))


def describe(status):
    if status == "timeout":
        return "timed out"
    if isinstance(status, int) and status < 0:
        return "killed by " + SIGNAL_NAMES.get(-status, str(-status))
    return "exit %s" % status


def temp_leftovers(path):
    """Temporary files and staging directories of df11 under `path` (recursively)."""
    found = []
    if not os.path.lexists(path):
        return found
    if os.path.isfile(path) or os.path.islink(path):
        path = os.path.dirname(path) or "."
    for base, dirs, files in os.walk(path):
        for name in dirs + files:
            if (name.startswith(".") and name.endswith(".tmp") and ".df11-" in name) or name.startswith(".df11-"):
                found.append(os.path.join(base, name))
    return found


def tree(path):
    """{relative path: bytes} of every regular file under `path` (a file: {'': bytes})."""
    if os.path.isfile(path):
        with open(path, "rb") as f:
            return {"": f.read()}
    result = {}
    for base, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith(".df11-")]
        for name in files:
            full = os.path.join(base, name)
            if name.startswith(".") and name.endswith(".tmp"):
                continue
            with open(full, "rb") as f:
                result[os.path.relpath(full, path)] = f.read()
    return result


class Tally:
    def __init__(self):
        self.rows = {}       # (family, check) -> [cases, violations]
        self.examples = {}

    def case(self, family, check, ok, detail=""):
        row = self.rows.setdefault((family, check), [0, 0])
        row[0] += 1
        if not ok:
            row[1] += 1
            self.examples.setdefault((family, check), []).append(detail)

    def violations(self):
        return sum(v for _, v in self.rows.values())


# --------------------------------------------------------------------------------------------------------------
# Commands under test: (name, argv builder(output), kind of output, reference output path)


def commands(inputs, refs):
    tiny, medium = inputs["tiny"], inputs["medium"]
    return [
        ("compress (container, directory)", lambda o: ["compress", medium, "-o", o], refs["container"]),
        ("compress (container, file)", lambda o: ["compress", inputs["medium-file"], "-o", o], refs["container-file"]),
        ("compress --format dfloat11", lambda o: ["compress", medium, "--format", "dfloat11", "-o", o], refs["dfloat11"]),
        ("decompress (container)", lambda o: ["decompress", refs["container"], "-o", o], medium),
        ("decompress (dfloat11)", lambda o: ["decompress", refs["dfloat11"], "-o", o], refs["restored-dfloat11"]),
        ("compress (container, tiny)", lambda o: ["compress", tiny, "-o", o], refs["tiny-container"]),
    ]


def make_references(runner, inputs, work):
    refs = {}
    r = os.path.join(work, "ref")
    os.makedirs(r)
    jobs = [("container", ["compress", inputs["medium"], "-o", os.path.join(r, "medium.df11")]),
            ("container-file", ["compress", inputs["medium-file"], "-o", os.path.join(r, "model.df11")]),
            ("dfloat11", ["compress", inputs["medium"], "--format", "dfloat11", "-o", os.path.join(r, "medium-df11")]),
            ("tiny-container", ["compress", inputs["tiny"], "-o", os.path.join(r, "tiny.df11")])]
    for key, args in jobs:
        status, err = runner.run(args)
        if status != 0:
            sys.exit("faults: the reference run df11 %s failed (%s): %s" % (" ".join(args), describe(status), err))
        refs[key] = args[-1]
    refs["restored-dfloat11"] = os.path.join(r, "restored-dfloat11")
    status, err = runner.run(["decompress", refs["dfloat11"], "-o", refs["restored-dfloat11"]])
    if status != 0:
        sys.exit("faults: decompressing the DFloat11 reference failed: %s" % err)
    # Outputs must be deterministic for the comparisons below.
    again = os.path.join(r, "again.df11")
    runner.run(["compress", inputs["medium"], "-o", again])
    if tree(again) != tree(refs["container"]):
        sys.exit("faults: two clean compress runs differ; outputs cannot be compared with a reference")
    shutil.rmtree(again)
    return refs


def partial_files(output, reference):
    """Files under final names in `output` that are not byte-identical to the reference's."""
    bad = []
    ref = tree(reference)
    for name, data in tree(output).items():
        if name not in ref:
            bad.append(name + " (unexpected)")
        elif data != ref[name]:
            bad.append("%s (%d bytes, complete is %d)" % (name or os.path.basename(output), len(data), len(ref[name])))
    return bad


def clean(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


# --------------------------------------------------------------------------------------------------------------
# Families


def measure(runner, args_for, out):
    clean(out)
    started = time.monotonic()
    runner.run(args_for(out))
    elapsed = time.monotonic() - started
    clean(out)
    return elapsed


def family_kills(runner, inputs, refs, work, tally, count, rng):
    cmds = commands(inputs, refs)
    verify = [("verify (container)", ["verify", refs["container"]]),
              ("verify (dfloat11)", ["verify", refs["dfloat11"], "--against", inputs["medium"]])]
    durations = {name: measure(runner, build, os.path.join(work, "kills", "probe")) for name, build, _ in cmds}
    area = os.path.join(work, "kills")
    for i in range(count):
        slot = i % (len(cmds) + len(verify))
        if slot >= len(cmds):
            name, args = verify[slot - len(cmds)]
            before = sorted(os.listdir(os.path.dirname(refs["container"])))
            before_dfl = tree(refs["dfloat11"])
            p = runner.start(args)
            time.sleep(rng.uniform(0, 0.05))
            p.kill()
            runner.wait(p)
            changed = sorted(os.listdir(os.path.dirname(refs["container"]))) != before or tree(refs["dfloat11"]) != before_dfl
            tally.case("kills", "verify writes nothing", not changed, name)
            continue
        name, build, reference = cmds[slot]
        os.makedirs(area, exist_ok=True)
        out = os.path.join(area, "out-%d" % i)
        p = runner.start(build(out))
        time.sleep(rng.uniform(0, durations[name] * 1.1))
        p.kill()
        status, _ = runner.wait(p)
        bad = partial_files(out, reference) if os.path.exists(out) else []
        tally.case("kills", "partial file under a final name", not bad, "%s: %s" % (name, bad))
        # A later successful run into the same place must leave no stale temporary file behind.
        status, err = runner.run(build(out) + ["--force"])
        leftovers = temp_leftovers(out if os.path.isdir(out) else area)
        tally.case("kills", "stale temp after rerun", status == 0 and not leftovers,
                   "%s: rerun %s %s leftovers %s" % (name, describe(status), err.strip()[:80], leftovers[:3]))
        clean(out)
        for left in temp_leftovers(area):
            clean(left)


def family_races(runner, inputs, refs, work, tally, count, rng):
    cmds = commands(inputs, refs)
    area = os.path.join(work, "races")
    os.makedirs(area, exist_ok=True)
    for i in range(count):
        name, build, reference = cmds[i % len(cmds)]
        out = os.path.join(area, "out-%d" % i)
        writers = 2 if i % 3 else 3
        procs = []
        for _ in range(writers):
            procs.append(runner.start(build(out)))
            time.sleep(rng.uniform(0, 0.004))
        results = [runner.wait(p) for p in procs]
        statuses = [s for s, _ in results]
        crashed = [s for s in statuses if s not in (0, 1, 2)]
        winners = statuses.count(0)
        bad = partial_files(out, reference) if os.path.exists(out) else ["missing"]
        lost = winners > 0 and (bad or tree(out) != tree(reference))
        tally.case("races", "lost output (a winner's output missing or incomplete)", not lost,
                   "%s: statuses %s, output %s" % (name, statuses, bad[:3]))
        tally.case("races", "no writer succeeded", winners > 0,
                   "%s: statuses %s: %s" % (name, statuses, [e.strip()[:100] for _, e in results]))
        tally.case("races", "crash (signal or odd exit)", not crashed, "%s: %s" % (name, statuses))
        leftovers = temp_leftovers(area)
        tally.case("races", "temp files left", not leftovers, "%s: %s" % (name, leftovers[:3]))
        clean(out)
        for left in leftovers:
            clean(left)


def family_changes(runner, inputs, refs, work, tally, count, rng):
    area = os.path.join(work, "changes")
    os.makedirs(area, exist_ok=True)
    header, _ = read_safetensors(inputs["medium-file"])
    with open(inputs["medium-file"], "rb") as f:
        original = f.read()
    data_start = len(original) - max(v["data_offsets"][1] for k, v in header.items() if k != "__metadata__")
    src = os.path.join(area, "src")
    modes = ["overwrite-data", "truncate", "overwrite-data", "extend", "overwrite-data", "overwrite-header",
             "replace-file"]
    formats = [("container", []), ("dfloat11", ["--format", "dfloat11"])]
    duration = measure(runner, lambda o: ["compress", inputs["medium"], "-o", o], os.path.join(area, "probe"))
    for i in range(count):
        mode = modes[i % len(modes)]
        fmt, extra = formats[(i // len(modes)) % len(formats)]
        clean(src)
        shutil.copytree(inputs["medium"], src)
        model = os.path.join(src, "model.safetensors")
        out = os.path.join(area, "out-%d" % i)
        p = runner.start(["compress", src, "-o", out] + extra)
        time.sleep(rng.uniform(0, duration * (1.5 if fmt == "dfloat11" else 0.9)))
        if mode == "overwrite-data":
            # Keep overwriting pieces of the data in place until the run ends: the passes that read a
            # piece twice (histogram, then encoding) then see different bytes.
            with open(model, "r+b") as f:
                while p.poll() is None:
                    f.seek(data_start + rng.randrange(len(original) - data_start - 65536))
                    f.write(os.urandom(65536))
                    f.flush()
        elif mode == "truncate":
            os.truncate(model, rng.randrange(len(original)))
        elif mode == "extend":
            with open(model, "ab") as f:
                f.write(os.urandom(4096))
        elif mode == "overwrite-header":
            with open(model, "r+b") as f:
                f.seek(8)
                f.write(b"{" * 64)
        else:
            with open(model + ".new", "wb") as f:
                f.write(original[:data_start] + os.urandom(len(original) - data_start))
            os.rename(model + ".new", model)
        status, err = runner.wait(p)
        label = "%s, %s" % (fmt, mode)
        tally.case("changes", "crash (signal, timeout or odd exit)", status in (0, 1, 2),
                   "%s: %s %s" % (label, describe(status), err.strip()[-160:]))
        leftovers = sorted(set(temp_leftovers(out) + temp_leftovers(area)))
        tally.case("changes", "temp files left", not leftovers, "%s: %s" % (label, leftovers[:3]))
        if status == 0 and fmt == "container":
            vstatus, verr = runner.run(["verify", out])
            tally.case("changes", "exit 0 with an output that does not verify", vstatus == 0,
                       "%s: %s" % (label, verr.strip()[:160]))
        clean(out)
        for left in leftovers:
            clean(left)


def family_disk(runner, inputs, refs, work, tally, rng):
    area = os.path.join(work, "disk")
    os.makedirs(area, exist_ok=True)
    cases = [
        ("compress (container, directory)", lambda o: ["compress", inputs["medium"], "-o", o]),
        ("compress (container, file)", lambda o: ["compress", inputs["medium-file"], "-o", o]),
        ("compress --format dfloat11", lambda o: ["compress", inputs["medium"], "--format", "dfloat11", "-o", o]),
        ("decompress (container)", lambda o: ["decompress", refs["container"], "-o", o]),
        ("decompress (dfloat11)", lambda o: ["decompress", refs["dfloat11"], "-o", o]),
        ("decompress (dfloat11, shards)", lambda o: ["decompress", refs["dfloat11"], "-o", o, "--max-shard-size", "2MB"]),
    ]
    sizes = ["64k", "1m", "4m", "9m"]
    mounted = False
    mnt = os.path.join(area, "mnt")
    os.makedirs(mnt)
    if os.geteuid() == 0:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt],
                                 capture_output=True).returncode == 0
        if mounted:
            subprocess.run(["umount", mnt])
    method = "tmpfs" if mounted else "RLIMIT_FSIZE"
    for size in sizes:
        for name, build in cases:
            label = "%s, %s %s" % (name, method, size)
            if mounted:
                subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mnt], check=True)
                try:
                    status, err = runner.run(build(os.path.join(mnt, "out")))
                    left = os.listdir(mnt)
                finally:
                    subprocess.run(["umount", mnt], check=True)
            else:
                limit = {"k": 1024, "m": 1 << 20}[size[-1]] * int(size[:-1])
                target = os.path.join(area, "limited")
                os.makedirs(target, exist_ok=True)
                status, err = runner.run(build(os.path.join(target, "out")), limit_file_size=limit)
                left = os.listdir(target)
                shutil.rmtree(target)
            if status == 0:
                # It fitted: not a full-disk case (the 9 MB disk holds some outputs).
                tally.case("disk", "fitted (not a full-disk case, not counted)", True)
                continue
            tally.case("disk", "full disk: exit status not 2", status == 2,
                       "%s: %s %s" % (label, describe(status), err.strip()[:160]))
            tally.case("disk", "full disk: something left", not left, "%s: %s" % (label, left[:5]))
    return method


def family_links(runner, inputs, refs, work, tally):
    area = os.path.join(work, "links")
    secret = os.path.join(area, "outside", "secret.json")
    os.makedirs(os.path.dirname(secret))
    secret_bytes = b'{"api_key": "df11-faults-secret-%d"}\n' % os.getpid()
    with open(secret, "wb") as f:
        f.write(secret_bytes)
    tricks = {
        "self loop (self -> .)": lambda d: os.symlink(".", os.path.join(d, "self")),
        "two loops (a -> ., b -> .)": lambda d: (os.symlink(".", os.path.join(d, "a")), os.symlink(".", os.path.join(d, "b"))),
        "link to / (root -> /)": lambda d: os.symlink("/", os.path.join(d, "root")),
        "link to a file outside (secret.json)": lambda d: os.symlink(secret, os.path.join(d, "secret.json")),
        "link to a directory outside": lambda d: os.symlink(os.path.dirname(secret), os.path.join(d, "outside")),
    }
    runs = [("inspect", lambda src, out: ["inspect", src]),
            ("compress (container)", lambda src, out: ["compress", src, "-o", out]),
            ("compress --format dfloat11", lambda src, out: ["compress", src, "--format", "dfloat11", "-o", out])]
    # Files each command writes for the checkpoint without any link: the most a tricked run may write.
    expected = {}
    for name, build in runs:
        out = os.path.join(area, "out")
        clean(out)
        runner.run(build(inputs["tiny"], out))
        expected[name] = len(tree(out)) if os.path.exists(out) else 0
        clean(out)
    for trick, make in tricks.items():
        for name, build in runs:
            label = "%s: %s" % (trick, name)
            src = os.path.join(area, "src")
            clean(src)
            shutil.copytree(inputs["tiny"], src)
            make(src)
            out = os.path.join(area, "out")
            clean(out)
            before = set(os.listdir(area))
            started = time.monotonic()
            status, err = runner.wait(runner.start(build(src, out)), timeout=15)
            elapsed = time.monotonic() - started
            tally.case("links", "hang or crash", status in (0, 1, 2),
                       "%s: %s after %.1f s" % (label, describe(status), elapsed))
            written = tree(out) if os.path.exists(out) else {}
            leaked = [n for n, d in written.items() if secret_bytes in d]
            tally.case("links", "outside file copied into the output", not leaked, "%s: %s" % (label, leaked))
            tally.case("links", "more output files than without the link", len(written) <= expected[name],
                       "%s: %d files, %d without the link" % (label, len(written), expected[name]))
            outside_changed = set(os.listdir(area)) - before - {"out"}
            tally.case("links", "a file written outside -o", not outside_changed, "%s: %s" % (label, outside_changed))
            clean(out)
            clean(src)

    # Output names taken from the input: unit files are named after module names, which come from tensor names.
    header, data = read_safetensors(os.path.join(inputs["tiny"], "model-00001-of-00002.safetensors"))
    begin, end = header["model.layers.0.mlp.up_proj.weight"]["data_offsets"]
    weight = data[begin:begin + 2 * 4096]
    victim_dir = os.path.join(area, "victim")
    os.makedirs(victim_dir)
    names = {"absolute module name": os.path.join(victim_dir, "x.mlp.weight"),
             "module name with ..": "../../victim/y.mlp.weight",
             "module name with a NUL": "z\u0000.mlp.weight"}
    for trick, name in names.items():
        src = os.path.join(area, "src")
        clean(src)
        os.makedirs(src)
        shutil.copy(os.path.join(inputs["tiny"], "config.json"), src)
        write_safetensors(os.path.join(src, "model.safetensors"),
                          [(name, "BF16", [4096], weight)])
        with open(os.path.join(area, "pattern.json"), "w") as f:
            json.dump({".*\\.mlp": ["weight"]}, f)
        out = os.path.join(area, "out", "deeper")
        before = sorted(os.listdir(victim_dir)) + sorted(os.listdir(area))
        status, err = runner.run(["compress", src, "--format", "dfloat11", "--pattern",
                                  os.path.join(area, "pattern.json"), "-o", out])
        after = sorted(os.listdir(victim_dir)) + sorted(os.listdir(area))
        label = "%s: compress --format dfloat11 --pattern" % trick
        tally.case("links", "hang or crash", status in (0, 1, 2), "%s: %s" % (label, describe(status)))
        escaped = sorted(set(after) - set(before) - {"out"})
        tally.case("links", "a file written outside -o", not escaped, "%s: %s" % (label, escaped))
        clean(os.path.join(area, "out"))
        clean(src)


# --------------------------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--df11", default=os.path.join(ROOT, ".build", "release", "df11"))
    parser.add_argument("--kills", type=int, default=240)
    parser.add_argument("--races", type=int, default=240)
    parser.add_argument("--changes", type=int, default=120)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default="kills,races,changes,disk,links")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument("--examples", type=int, default=3, help="violations shown per check")
    args = parser.parse_args()
    df11 = os.path.abspath(args.df11)
    if not os.access(df11, os.X_OK):
        sys.exit("faults: no df11 binary at %s (make build)" % df11)
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="df11-faults-")
    runner = Runner(df11)
    tally = Tally()
    started = time.monotonic()
    only = set(args.only.split(","))
    disk_method = "-"
    try:
        inputs = make_inputs(work, rng)
        refs = make_references(runner, inputs, work)
        if "kills" in only:
            family_kills(runner, inputs, refs, work, tally, args.kills, rng)
        if "races" in only:
            family_races(runner, inputs, refs, work, tally, args.races, rng)
        if "changes" in only:
            family_changes(runner, inputs, refs, work, tally, args.changes, rng)
        if "disk" in only:
            disk_method = family_disk(runner, inputs, refs, work, tally, rng)
        if "links" in only:
            family_links(runner, inputs, refs, work, tally)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print("\n%-8s %-58s %7s %10s" % ("family", "check", "cases", "violations"))
    for (family, check), (cases, bad) in tally.rows.items():
        print("%-8s %-58s %7d %10d" % (family, check, cases, bad))
    print("\nfull disk simulated with: %s; %.0f s; df11: %s" % (disk_method, time.monotonic() - started, df11))
    for (family, check), details in tally.examples.items():
        print("\n%s / %s: %d violation(s), e.g.:" % (family, check, len(details)))
        for d in details[:args.examples]:
            print("  - " + d)
    total = tally.violations()
    print("\nfaults: %s" % ("no violation" if total == 0 else "%d violation(s)" % total))
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
