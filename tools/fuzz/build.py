#!/usr/bin/env python3
"""Builds the libFuzzer targets tools/fuzz/targets/*.swift into .build-fuzz/bin/ (see tools/fuzz/README.md).

The library modules are compiled here with swiftc directly, not through SwiftPM, so that Package.swift,
`swift build` and `make test` stay exactly as they are. Which modules a target needs, and in which order they
build, is read from the `import` lines of the sources (so a module split or added in Sources/ needs no change
here). Each module is compiled whole (-wmo -O, -enable-testing so that a target may reach internal API) with
-sanitize=fuzzer,address: libFuzzer's coverage instrumentation plus AddressSanitizer. Each target is then linked
against those objects and libFuzzer's main. A module or target is rebuilt only when a source is newer.

Exit status: 0 built; 3 this toolchain cannot build libFuzzer targets (callers report it and skip); else an error.
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, os.environ.get("FUZZ_BUILD", ".build-fuzz"))
SWIFTC = os.environ.get("SWIFTC", "swiftc")
SANITIZE = os.environ.get("FUZZ_SANITIZE", "fuzzer,address")
IMPORT = re.compile(r"^\s*(?:@testable\s+)?import\s+(?:class\s+|struct\s+|enum\s+|func\s+)?([A-Za-z_][A-Za-z0-9_]*)", re.M)


def swift_files(directory):
    found = []
    for base, _, files in os.walk(directory):
        found += [os.path.join(base, f) for f in files if f.endswith(".swift")]
    return sorted(found)


def imports(files):
    names = set()
    for path in files:
        with open(path, encoding="utf-8") as f:
            names.update(IMPORT.findall(f.read()))
    return names


def newest(paths):
    return max((os.path.getmtime(p) for p in paths), default=0)


def command_file(output):
    directory = os.path.join(OUT, "commands")
    os.makedirs(directory, exist_ok=True)
    return os.path.join(directory, os.path.basename(output) + ".cmd")


def same_command(output, command):
    """Whether `output` was built by exactly `command` (flags changed: rebuild)."""
    try:
        with open(command_file(output)) as f:
            return f.read() == "\n".join(command)
    except OSError:
        return False


def remember_command(output, command):
    with open(command_file(output), "w") as f:
        f.write("\n".join(command))


def run(label, command):
    print("fuzz:", label, flush=True)
    # In a scratch directory: linking with -g leaves module files (NAME-1.swiftmodule…) in the working directory.
    scratch = os.path.join(OUT, "work")
    os.makedirs(scratch, exist_ok=True)
    subprocess.run(command, check=True, cwd=scratch)


def probe():
    """Whether swiftc can build and link a libFuzzer target here."""
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "probe.swift")
        with open(source, "w") as f:
            f.write('@_cdecl("LLVMFuzzerTestOneInput")\n'
                    "public func probe(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 { 0 }\n")
        result = subprocess.run([SWIFTC, "-sanitize=" + SANITIZE, "-parse-as-library", source,
                                 "-o", os.path.join(tmp, "probe")], capture_output=True, text=True)
        if result.returncode != 0:
            sys.stderr.write("fuzz: this Swift toolchain cannot build libFuzzer targets (-sanitize=%s):\n%s"
                             % (SANITIZE, result.stderr))
            return False
    return True


def main():
    if not probe():
        return 3
    sources_dir = os.path.join(ROOT, "Sources")
    modules, system = {}, {}
    for name in sorted(os.listdir(sources_dir)):
        path = os.path.join(sources_dir, name)
        modulemap = os.path.join(path, "module.modulemap")
        if os.path.isfile(modulemap):
            with open(modulemap) as f:
                system[name] = (path, re.findall(r'link\s+"([^"]+)"', f.read()))
            continue
        files = swift_files(path)
        # Executables (the CLI) are not libraries a target can link.
        if files and not any(os.path.basename(f) == "main.swift" or "@main" in open(f).read() for f in files):
            modules[name] = files
    deps = {m: sorted(imports(files) & (set(modules) | set(system)) - {m}) for m, files in modules.items()}

    targets = swift_files(os.path.join(ROOT, "tools", "fuzz", "targets"))
    # The seed generator (tools/fuzz/make-seeds.py) links like a target.
    programs = targets + swift_files(os.path.join(ROOT, "tools", "fuzz", "seedgen"))
    support = swift_files(os.path.join(ROOT, "tools", "fuzz", "support"))
    # The reference DFloat11 decoder (decodeAll) lives with the tests, outside the product.
    support.append(os.path.join(ROOT, "Tests", "DF11TestSupport", "ReferenceUnitDecoder.swift"))
    order, seen = [], set()

    def visit(m):
        if m in seen or m in system:
            return
        seen.add(m)
        for d in deps[m]:
            visit(d)
        order.append(m)

    wanted = imports(programs + support)
    for m in sorted(wanted & set(modules)):
        visit(m)

    os.makedirs(os.path.join(OUT, "modules"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "bin"), exist_ok=True)
    flags = ["-O", "-wmo", "-parse-as-library", "-enable-testing", "-sanitize=" + SANITIZE, "-swift-version", "5",
             "-g", "-I", os.path.join(OUT, "modules")]
    links = []
    for path, libraries in system.values():
        flags += ["-I", path]
        links += ["-l" + lib for lib in libraries]

    built = {}
    for m in order:
        obj = os.path.join(OUT, "modules", m + ".o")
        stamp = max([newest(modules[m])] + [built[d] for d in deps[m] if d in built])
        command = [SWIFTC] + flags + ["-module-name", m, "-emit-module",
                                             "-emit-module-path", os.path.join(OUT, "modules", m + ".swiftmodule"),
                                             "-c", "-o", obj] + modules[m]
        if not os.path.exists(obj) or os.path.getmtime(obj) < stamp or not same_command(obj, command):
            run("compiling " + m, command)
            remember_command(obj, command)
        built[m] = os.path.getmtime(obj)

    objects = [os.path.join(OUT, "modules", m + ".o") for m in order]

    def extra_sources(target):
        """Files a target names on a line `// fuzz-sources: PATH...` (relative to the repository), compiled into it:
        test-support code such as the reference unit decoder, which is not part of any library module."""
        with open(target, encoding="utf-8") as f:
            found = re.findall(r"^// fuzz-sources:(.*)$", f.read(), re.M)
        return [os.path.join(ROOT, p) for line in found for p in line.split()]

    for target in programs:
        name = os.path.basename(target)[:-len(".swift")]
        binary = os.path.join(OUT, "bin", name)
        extra = extra_sources(target)
        stamp = max([newest([target] + support + extra)] + list(built.values()))
        # lld: gold warns about every AddressSanitizer helper symbol.
        command = [SWIFTC] + flags + ["-use-ld=lld", "-module-name", "Fuzz_" + re.sub(r"\W", "_", name),
                                      ] + list(dict.fromkeys([target] + support + extra)) + objects + links + ["-o", binary]
        if not os.path.exists(binary) or os.path.getmtime(binary) < stamp or not same_command(binary, command):
            run("linking " + name, command)
            remember_command(binary, command)
    print("fuzz: targets:", " ".join(sorted(os.listdir(os.path.join(OUT, "bin")))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
