#!/usr/bin/env python3
"""Tests of the glvf-bench tool.

  test_glvf_bench.py --bench PATH --case options
  test_glvf_bench.py --bench PATH --xvfb PATH --case quick -- [BENCH ARGS...]

options: --help exits 0; bad options and unavailable modes exit non-zero
         with one message starting 'glvf-bench:' (no display needed: the
         command line is checked before any window).
quick:   `glvf-bench --quick --json - ARGS` under Xvfb; the JSON must parse
         and hold, for every strategy and both quick formats, a record with
         every field present and plausible.
"""
import argparse
import json
import math
import subprocess
import sys

FIELDS = ["format", "width", "height", "strategy", "mode", "frames", "fps", "gbps",
          "memcpy_ratio", "p50_ms", "p99_ms", "gl_objects_per_frame",
          "heap_allocs_per_frame", "rss_growth_bytes"]
EXTRA_FIELDS = ["gpu_p50_ms", "gpu_p99_ms", "strategy_used", "ok"]
STRATEGIES = {"naive", "client", "pbo-orphan", "pbo-persistent", "auto"}
GLVF_STRATEGIES = {"client", "pbo-orphan", "pbo-persistent"}
PLANES = {"yuv420p": 3, "nv12": 2, "yuv420p10": 3, "rgba": 1}

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg, flush=True)
    return cond


def run(cmd, timeout=90):
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, text=True)
    return p.returncode, p.stdout, p.stderr


def case_options(bench):
    rc, out, err = run([bench, "--help"])
    check(rc == 0, "--help exits 0 (got %d)" % rc)
    check("usage: glvf-bench" in out, "--help prints the usage on stdout")
    for opt in ["--format", "--size", "--strategy", "--json", "--csv", "--quick",
                "--api", "--context-api", "--gl-version", "--seconds", "--frames"]:
        check(opt in out, "--help mentions " + opt)

    bad = [
        (["--format", "nope"], "unknown format 'nope'"),
        (["--size", "0x0"], "bad size '0x0'"),
        (["--size", "1920x"], "bad size"),
        (["--bogus"], "unknown option '--bogus'"),
        (["--strategy", "fast"], "unknown strategy 'fast'"),
        (["--api", "vulkan"], "unknown --api"),
        (["--context-api", "wgl"], "unknown --context-api"),
        (["--gl-version", "2.1"], "glvf needs"),
        (["--frames", "0"], "bad --frames"),
        (["--seconds", "-1"], "bad --seconds"),
        (["--json"], "needs a value"),
        (["--mode", "stream"], "unknown mode"),
        (["decode"], "decode needs a FILE"),
        (["--json", "-", "--csv", "-"], "cannot both"),
    ]
    for args, expect in bad:
        rc, out, err = run([bench] + args)
        first = err.splitlines()[0] if err.strip() else ""
        check(rc == 2, "%s exits 2 (got %d)" % (args, rc))
        check(first.startswith("glvf-bench:"),
              "%s: message starts 'glvf-bench:' (got %r)" % (args, first))
        check(expect in err, "%s: message says %r (got %r)" % (args, expect, err.strip()))
        check(out == "", "%s: nothing on stdout" % args)

    for args in (["render"], ["--mode", "render"], ["decode", "/nonexistent.mkv"],
                 ["--mode", "decode", "--input", "x.mkv", "--dr", "on", "--render"]):
        rc, out, err = run([bench] + args)
        check(rc == 3, "%s exits 3 (got %d)" % (args, rc))
        check(err.startswith("glvf-bench:") and "not available in this build" in err,
              "%s: says not available in this build (got %r)" % (args, err.strip()))


def finite_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def case_quick(bench, xvfb, extra):
    cmd = [xvfb, bench, "--quick", "--json", "-"] + extra
    rc, out, err = run(cmd, timeout=100)
    sys.stdout.write("--- stderr (the table goes there with --json -):\n" + err)
    if not check(rc == 0, "exit status 0 (got %d)" % rc):
        return
    try:
        doc = json.loads(out)
    except ValueError as e:
        check(False, "stdout is JSON: %s\n%s" % (e, out[:2000]))
        return
    check("renderer:" in err and "GL version:" in err, "table names the renderer and version")
    check(isinstance(doc.get("renderer"), str) and doc["renderer"],
          "JSON names the renderer")
    check(isinstance(doc.get("gl_version"), str) and doc["gl_version"], "JSON has gl_version")
    want_gles = "gles" in extra
    check(doc.get("gles") is want_gles, "context is %s" % ("GLES" if want_gles else "GL"))
    if want_gles:
        check("OpenGL ES" in doc["gl_version"], "GL_VERSION says OpenGL ES")
    if "egl" in extra:
        check(doc.get("context_api") == "egl", "context_api egl recorded")
    check(isinstance(doc.get("memcpy"), list) and len(doc["memcpy"]) == 2,
          "one memcpy floor per scenario")
    for m in doc.get("memcpy", []):
        check(finite_num(m.get("fps")) and m["fps"] > 0, "memcpy fps positive: %s" % m)

    results = doc.get("results")
    if not check(isinstance(results, list) and results, "results is a non-empty list"):
        return
    seen = set()
    for r in results:
        tag = "%s %sx%s %s" % (r.get("format"), r.get("width"), r.get("height"),
                               r.get("strategy"))
        for f in FIELDS + EXTRA_FIELDS:
            check(f in r, "%s: field %s present" % (tag, f))
        if not check(r.get("ok") is True, "%s: ok (error %r)" % (tag, r.get("error"))):
            continue
        seen.add((r["format"], r["strategy"]))
        check(r["mode"] == "upload", "%s: mode upload" % tag)
        check(isinstance(r["width"], int) and r["width"] > 0 and
              isinstance(r["height"], int) and r["height"] > 0, "%s: size" % tag)
        check(isinstance(r["frames"], int) and r["frames"] > 0, "%s: frames > 0" % tag)
        for f in ("fps", "gbps", "memcpy_ratio", "p50_ms", "p99_ms"):
            check(finite_num(r[f]) and r[f] > 0, "%s: %s positive (%r)" % (tag, f, r[f]))
        if finite_num(r["p50_ms"]) and finite_num(r["p99_ms"]):
            check(r["p99_ms"] >= r["p50_ms"], "%s: p99 >= p50" % tag)
        check(finite_num(r["memcpy_ratio"]) and r["memcpy_ratio"] < 100,
              "%s: memcpy_ratio plausible (%r)" % (tag, r["memcpy_ratio"]))
        if finite_num(r["fps"]) and finite_num(r["gbps"]):
            bpf = r.get("bytes_per_frame", 0)
            check(abs(r["gbps"] - r["fps"] * bpf / 1e9) <= 1e-6 * max(1, r["gbps"]),
                  "%s: gbps = fps x bytes per frame" % tag)
        for f in ("gpu_p50_ms", "gpu_p99_ms"):
            check(r[f] is None or (finite_num(r[f]) and r[f] >= 0),
                  "%s: %s null or non-negative (%r)" % (tag, f, r[f]))
        check(finite_num(r["gl_objects_per_frame"]) and r["gl_objects_per_frame"] >= 0,
              "%s: gl_objects_per_frame" % tag)
        check(finite_num(r["heap_allocs_per_frame"]) and r["heap_allocs_per_frame"] >= 0,
              "%s: heap_allocs_per_frame" % tag)
        check(isinstance(r["rss_growth_bytes"], (int, float)) and
              abs(r["rss_growth_bytes"]) < (1 << 31),
              "%s: rss_growth_bytes plausible (%r)" % (tag, r["rss_growth_bytes"]))
        planes = PLANES.get(r["format"])
        if r["strategy"] == "naive":
            # the baseline: one new texture per plane per frame
            check(planes is None or r["gl_objects_per_frame"] == planes,
                  "%s: naive creates %s textures per frame (got %r)" %
                  (tag, planes, r["gl_objects_per_frame"]))
            check(r["strategy_used"] == "naive", "%s: strategy_used naive" % tag)
        else:
            # glvf: steady state reuses pooled textures and allocates nothing
            kinds = r.get("gl_objects_per_frame_by_kind", {})
            check(kinds.get("texture") == 0,
                  "%s: no texture created per steady-state frame (%r)" % (tag, kinds))
            check(r["heap_allocs_per_frame"] == 0,
                  "%s: no glvf heap allocation per steady-state frame (%r)" %
                  (tag, r["heap_allocs_per_frame"]))
            check(r["strategy_used"] in GLVF_STRATEGIES,
                  "%s: strategy_used resolved (%r)" % (tag, r["strategy_used"]))
    formats = {f for f, _ in seen}
    check(len(formats) >= 2, "two formats measured (%s)" % sorted(formats))
    for fmt in formats:
        got = {s for f, s in seen if f == fmt}
        check(got == STRATEGIES, "%s: every strategy (%s)" % (fmt, sorted(got)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--xvfb")
    ap.add_argument("--case", required=True, choices=["options", "quick"])
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    if a.case == "options":
        case_options(a.bench)
    else:
        case_quick(a.bench, a.xvfb, a.extra)
    print("%s: %d failure(s)" % (a.case, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
