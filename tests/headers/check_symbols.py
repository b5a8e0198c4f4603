#!/usr/bin/env python3
"""The symbols a shared library exports are exactly the functions its public
header declares with GLVF_API (G_DECLARE_FINAL_TYPE's get_type included):
nothing internal leaks out (-fvisibility=hidden), nothing declared is
missing. Symbols named glvf_priv_* (the modules' private door into the
core) and those an internal header declares with GLVF_API (test hooks)
are allowed, and must not be in the public header.

    check_symbols.py LIBRARY HEADER [HEADER...] [--internal HEADER...]
"""
import re
import subprocess
import sys


def declared(header):
    text = open(header).read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"^\s*#.*$", " ", text, flags=re.M)
    names = set()
    for m in re.finditer(r"GLVF_API\s+G_DECLARE_FINAL_TYPE\(\s*\w+\s*,\s*(\w+)", text):
        names.add(m.group(1) + "_get_type")
    for m in re.finditer(r"GLVF_API\s+(?!G_DECLARE)[^;(]*?\b(\w+)\s*\(", text):
        names.add(m.group(1))
    return names


def exported(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True,
                         check=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] in "TDBRVWi":
            name = parts[2].split("@")[0]
            if not name.startswith("_"):
                names.add(name)
    return names


def main():
    args = sys.argv[1:]
    lib = args.pop(0)
    cut = args.index("--internal") if "--internal" in args else len(args)
    publics, internals = args[:cut], args[cut + 1:]
    header = " + ".join(publics)
    want = set()
    for h in publics:
        want |= declared(h)
    got = exported(lib)
    hooks = set()
    for h in internals:
        hooks |= declared(h)
    private = {n for n in got if n.startswith("glvf_priv_") or n in hooks}
    extra = sorted(got - want - private)
    missing = sorted(want - got)
    print("# %s: %d exported, %d declared in %s, %d private" %
          (lib, len(got), len(want), header, len(private)))
    ok = True
    if extra:
        print("FAIL: exported but not declared in the public header: " + ", ".join(extra))
        ok = False
    if missing:
        print("FAIL: declared with GLVF_API but not exported: " + ", ".join(missing))
        ok = False
    leaked = sorted(private & want)
    if leaked:
        print("FAIL: private symbols in the public header: " + ", ".join(leaked))
        ok = False
    if ok:
        print("ok: exports match the header")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
