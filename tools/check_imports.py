#!/usr/bin/env python3
"""Checks that each target's imports match its dependencies in Package.swift (both directions).

Usage: tools/check_imports.py   (from the repository root; exit 1 on a mismatch)
"""
import os, re, sys

SYSTEM = {"Foundation", "Dispatch", "XCTest", "Glibc", "Darwin", "ArgumentParser" }
package = open("Package.swift").read()
targets = {}
for m in re.finditer(r'\.(?:target|executableTarget|testTarget)\(name: "([^"]+)"(.*?)\)(?:,\s*$|,\n)', package, re.S | re.M):
    name, rest = m.group(1), m.group(2)
    deps = set(re.findall(r'"([A-Za-z0-9]+)"', rest.split("path:")[0].split("exclude:")[0]))
    if ".product(name: \"ArgumentParser\"" in rest: deps.add("ArgumentParser")
    deps.discard("swift-argument-parser"); deps.discard(name)
    path = re.search(r'path: "([^"]+)"', rest)
    targets[name] = (deps, path.group(1) if path else None)

bad = 0
for name, (deps, path) in sorted(targets.items()):
    root = path or (("Tests/" if name.endswith("Tests") else "Sources/") + name)
    imports = set()
    for d, _, files in os.walk(root):
        for f in files:
            if f.endswith(".swift"):
                for line in open(os.path.join(d, f)):
                    m = re.match(r'\s*(?:@testable\s+|@_exported\s+)?import\s+(?:(?:struct|class|enum|func|protocol|typealias|var|let)\s+)?(\w+)', line)
                    if m: imports.add(m.group(1))
    local = {i for i in imports if i in targets or i in ("CZstd", "CXXHash")}
    declared = {d for d in deps if d in targets or d in ("CZstd", "CXXHash")}
    undeclared = local - declared
    unused = declared - local - {"CZstd", "CXXHash"}
    if "ArgumentParser" in imports and "ArgumentParser" not in deps: undeclared.add("ArgumentParser")
    if undeclared or unused:
        bad = 1
        print(f"{name}: imported but not declared: {sorted(undeclared)}; declared but not imported: {sorted(unused)}")
    else:
        print(f"{name}: ok ({', '.join(sorted(local | (imports & {'ArgumentParser'}))) or 'no local imports'})")
sys.exit(bad)
