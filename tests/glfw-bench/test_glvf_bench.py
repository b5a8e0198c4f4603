#!/usr/bin/env python3
"""Tests of the glvf-bench tool.

  test_glvf_bench.py --bench PATH --case options [--has-decode 0|1]
  test_glvf_bench.py --bench PATH --xvfb PATH --case quick -- [BENCH ARGS...]
  test_glvf_bench.py --bench PATH --xvfb PATH --case decode --ffmpeg PATH -- [ARGS...]
  test_glvf_bench.py --bench PATH --xvfb PATH --case passes -- [BENCH ARGS...]
  test_glvf_bench.py --bench PATH --xvfb PATH --case steady -- [BENCH ARGS...]
  test_glvf_bench.py --bench PATH --xvfb PATH --case wall-KIND --ffmpeg PATH -- [ARGS...]

options: --help exits 0; bad options exit 2 with one message starting
         'glvf-bench:' (no display needed: the command line is checked
         before any window); decode of a missing file exits 1 with the
         reason (checked before any window too), or 3 "not available in
         this build" in a build without the FFmpeg module.
quick:   `glvf-bench --quick --json - ARGS` under Xvfb (ARGS may hold
         --mode render); the JSON must parse and hold, for every strategy
         (render: but naive) and both quick formats, a record with every
         field present and plausible.
decode:  a 30-frame 320x240 clip made by the ffmpeg CLI (libx264, else
         mpeg4; skipped, exit 77, without ffmpeg); `glvf-bench decode CLIP
         --quick --frames 40` (the file loops) must give a record per glvf
         strategy x DR on/off with every field plausible, then once more
         with --render and --no-gpu-timer.
passes:  the timing pass and the GPU pass apart: with --gpu-frames 7 every
         record has the timing pass's --frames and 1..7 GPU samples from the
         GPU pass (JSON "passes" says which keys come from which); with
         --no-gpu-timer and with --gpu-frames 0 no GPU figure at all. The
         throughput with and without the GPU pass is printed as a benchmark
         figure, never asserted (a shared machine's noise is larger than
         what it would check).
steady:  the steady state after the warm-up, for every glvf strategy and
         every format and size of `--format yuv420p,nv12,yuv420p10,rgba
         --size 720p,4k` (a short run: 30 frames, 4 warm-up frames, two
         repetitions): the JSON's created_after_warmup counts 0 textures and
         0 buffers (a fence a frame is allowed), heap_allocs_after_warmup is
         0 and rss_growth_min_bytes is within 1 MiB (--check-rss 0: not checked,
         only printed; for sanitizer builds, where ASan's quarantine keeps
         the memory the driver frees and reallocates under pbo-orphan).
wall-*:  the wall mode (glvf-bench wall FILE...) on block-colour clips made
         by the ffmpeg CLI (each clip one solid colour; skipped, exit 77,
         without the CLI; a codec the CLI lacks leaves its clip out):
         mixed    H.264 yuv420p, VP9, HEVC 10-bit, FFV1 and H.264 4:4:4 at
                  odd sizes in one wall, --verify: every tile's centre is its
                  clip's colour and matches its frame drawn alone; no texture,
                  buffer or glvf allocation during the measurement
         sixteen  16 streams of one clip in real time: every stream shows
                  frames, steady state (0 textures, 0 buffers, 0 glvf
                  allocations), the pool never above budget + in use, no
                  frame left at the end (dropped frames printed, not
                  asserted); then --untimed in an 8x2 grid, nothing dropped
         churn    16 mixed streams with --churn 0.2: streams removed and
                  added from the churn thread while the GL thread draws;
                  nothing fails, no frame left, no leak report (also in the
                  'threading' suite, run under TSan)
         churn-dr the same with pbo-persistent and direct rendering forced:
                  decoders' staging regions go back to the one ring from the
                  churn thread; DR frames counted (more regions than the
                  ring holds: uploads fall back to client memory)
         budget   --pool-budget half: the wall keeps playing, no stream
                  fails, evictions counted, the pool never above budget +
                  in use
         bad      good clips with an unreadable file and a missing one: exit
                  status 4, those tiles red with a per-stream error, the
                  others verified; a wall of bad files only: exit status 1

Every record's GPU figures (gpu_pass_*) are checked against the run's
"passes": present and plausible where a GPU pass ran, null where none did.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

FIELDS = ["format", "width", "height", "strategy", "mode", "frames", "fps", "gbps",
          "memcpy_ratio", "p50_ms", "p99_ms", "gl_objects_per_frame",
          "heap_allocs_per_frame", "rss_growth_bytes"]
EXTRA_FIELDS = ["gpu_pass_p50_ms", "gpu_pass_p99_ms", "gpu_pass_samples", "gpu_pass_fps",
                "render_p50_ms", "render_p99_ms", "strategy_used", "ok"]
GPU_PASS_FIELDS = ["gpu_pass_p50_ms", "gpu_pass_p99_ms", "gpu_pass_samples", "gpu_pass_fps"]
DECODE_FIELDS = ["dr", "dr_active", "dr_frames", "dr_fallbacks", "frames_decoded", "loops"]
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


def case_options(bench, has_decode):
    rc, out, err = run([bench, "--help"])
    check(rc == 0, "--help exits 0 (got %d)" % rc)
    check("usage: glvf-bench" in out, "--help prints the usage on stdout")
    for opt in ["--format", "--size", "--strategy", "--json", "--csv", "--quick",
                "--api", "--context-api", "--gl-version", "--seconds", "--frames",
                "--scaler", "--window", "--offscreen", "--dr", "--render",
                "--gpu-frames", "--no-gpu-timer", "--colour", "--tone-map", "--streams",
                "--grid", "--untimed", "--churn", "--pool-budget", "--verify", "--display-fps",
                "--decoder-threads"]:
        check(opt in out, "--help mentions " + opt)
    check("timing pass" in out and "GPU pass" in out and "gpu_pass_" in out,
          "--help says which figures come from which pass")
    check(("(not available in this build:" in out) != has_decode,
          "--help says whether decode is in this build")

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
        (["--gpu-frames", "-1"], "bad --gpu-frames '-1'"),
        (["--no-gpu-timer", "--gpu-frames", "5"], "there is no GPU pass"),
        (["--json"], "needs a value"),
        (["--mode", "stream"], "unknown mode"),
        (["decode"], "decode needs a FILE"),
        (["--json", "-", "--csv", "-"], "cannot both"),
        (["render", "--scaler", "lanczos"], "unknown --scaler 'lanczos'"),
        (["--scaler", "bicubic"], "--scaler is for render mode"),
        (["--offscreen"], "--offscreen is for render mode"),
        (["--colour", "pq"], "--colour is for render mode"),
        (["render", "--colour", "p3"], "unknown --colour 'p3'"),
        (["render", "--tone-map", "hable"], "--tone-map needs --colour pq or hlg"),
        (["render", "--colour", "bt2020", "--tone-map", "clip"], "--tone-map needs --colour"),
        (["render", "--colour", "pq", "--tone-map", "reinhard"], "unknown --tone-map 'reinhard'"),
        (["render", "--window", "0x0"], "bad --window '0x0'"),
        (["render", "--strategy", "naive"], "naive strategy has no glvf frame"),
        (["--render"], "--render is for decode mode"),
        (["--dr", "on"], "--dr is for decode mode"),
        (["decode", "x.mkv", "--dr", "maybe"], "bad --dr 'maybe'"),
        (["decode", "x.mkv", "--format", "nv12"], "do not apply to decode mode"),
        (["decode", "x.mkv", "--size", "720p"], "do not apply to decode mode"),
        (["wall"], "wall needs at least one FILE"),
        (["--streams", "4"], "--streams is for wall mode only"),
        (["decode", "x.mkv", "--churn", "1"], "--churn is for wall mode only"),
        (["wall", "x.mp4", "--streams", "0"], "bad --streams '0'"),
        (["wall", "x.mp4", "--grid", "2x2", "--streams", "5"], "fewer tiles"),
        (["wall", "x.mp4", "--grid", "2"], "bad --grid '2'"),
        (["wall", "x.mp4", "--frames", "10"], "--frames does not apply to wall mode"),
        (["wall", "x.mp4", "--pool-budget", "lots"], "bad --pool-budget 'lots'"),
        (["wall", "x.mp4", "--churn", "0"], "bad --churn '0'"),
        (["wall", "x.mp4", "--strategy", "client,auto"], "one --strategy"),
        (["wall", "x.mp4", "--dr", "both"], "--dr both does not apply"),
        (["wall", "x.mp4", "--csv", "-"], "JSON only"),
    ]
    for args, expect in bad:
        rc, out, err = run([bench] + args)
        first = err.splitlines()[0] if err.strip() else ""
        check(rc == 2, "%s exits 2 (got %d)" % (args, rc))
        check(first.startswith("glvf-bench:"),
              "%s: message starts 'glvf-bench:' (got %r)" % (args, first))
        check(expect in err, "%s: message says %r (got %r)" % (args, expect, err.strip()))
        check(out == "", "%s: nothing on stdout" % args)

    # decode: the file is opened before any window (no display here)
    for args in (["decode", "/nonexistent.mkv"],
                 ["--mode", "decode", "--input", "/nonexistent.mkv", "--dr", "on", "--render"]):
        env = dict(os.environ)
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        print("$ " + " ".join([bench] + args), flush=True)
        p = subprocess.run([bench] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60, text=True, env=env)
        rc, out, err = p.returncode, p.stdout, p.stderr
        if has_decode:
            check(rc == 1, "%s exits 1 (got %d)" % (args, rc))
            check(err.startswith("glvf-bench:") and "/nonexistent.mkv" in err and
                  "No such file" in err,
                  "%s: names the file and the reason (got %r)" % (args, err.strip()))
        else:
            check(rc == 3, "%s exits 3 (got %d)" % (args, rc))
            check(err.startswith("glvf-bench:") and "not available in this build" in err,
                  "%s: says not available in this build (got %r)" % (args, err.strip()))
        check(out == "", "%s: nothing on stdout" % args)


def finite_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def run_json(cmd, timeout=100):
    """Runs cmd (which writes JSON on stdout); returns (doc, stderr) or None."""
    rc, out, err = run(cmd, timeout=timeout)
    sys.stdout.write("--- stderr (the table goes there with --json -):\n" + err)
    if not check(rc == 0, "exit status 0 (got %d)" % rc):
        return None
    try:
        return json.loads(out), err
    except ValueError as e:
        check(False, "stdout is JSON: %s\n%s" % (e, out[:2000]))
        return None


def gpu_pass_frames(doc):
    """The GPU pass's frames per scenario, from the JSON; None: no GPU pass."""
    passes = doc.get("passes")
    if not check(isinstance(passes, dict) and "timing" in passes and "gpu" in passes,
                 "JSON says which figures come from which pass (%r)" % passes):
        return None
    check(passes["timing"].get("timer_queries") is False,
          "the timing pass runs no timer query (%r)" % passes["timing"])
    gpu = passes["gpu"]
    check(doc.get("gpu_timer") is (gpu is not None), "gpu_timer matches passes.gpu")
    if gpu is None:
        return None
    check(gpu.get("timer_queries") is True and isinstance(gpu.get("frames"), int) and
          gpu["frames"] > 0, "GPU pass described (%r)" % gpu)
    return gpu.get("frames")


def check_gpu_pass(r, tag, frames):
    """The record's GPU figures: from the GPU pass when one ran, else null."""
    if frames is None:
        for f in GPU_PASS_FIELDS:
            check(r.get(f) is None, "%s: %s null without a GPU pass (%r)" % (tag, f, r.get(f)))
        return
    n = r.get("gpu_pass_samples")
    # a GLES context may drop a sample whose GPU clock jumped (disjoint)
    check(isinstance(n, int) and 0 < n <= frames,
          "%s: 1..%d GPU samples from the GPU pass (%r)" % (tag, frames, n))
    for f in ("gpu_pass_p50_ms", "gpu_pass_p99_ms"):
        check(finite_num(r.get(f)) and r[f] >= 0, "%s: %s non-negative (%r)" % (tag, f, r.get(f)))
    if finite_num(r.get("gpu_pass_p50_ms")) and finite_num(r.get("gpu_pass_p99_ms")):
        check(r["gpu_pass_p99_ms"] >= r["gpu_pass_p50_ms"], "%s: gpu pass p99 >= p50" % tag)
    check(finite_num(r.get("gpu_pass_fps")) and r["gpu_pass_fps"] > 0,
          "%s: gpu_pass_fps positive (%r)" % (tag, r.get("gpu_pass_fps")))


def check_common(r, tag, mode, gpu_frames=None):
    """Fields every record has, in every mode; True when the record is ok.
    gpu_frames: the GPU pass's frames (None: no GPU pass)."""
    for f in FIELDS + EXTRA_FIELDS:
        check(f in r, "%s: field %s present" % (tag, f))
    if not check(r.get("ok") is True, "%s: ok (error %r)" % (tag, r.get("error"))):
        return False
    check(r["mode"] == mode, "%s: mode %s" % (tag, mode))
    check(isinstance(r["width"], int) and r["width"] > 0 and
          isinstance(r["height"], int) and r["height"] > 0, "%s: size" % tag)
    check(isinstance(r["frames"], int) and r["frames"] > 0, "%s: frames > 0" % tag)
    for f in ("fps", "gbps", "p50_ms", "p99_ms"):
        check(finite_num(r[f]) and r[f] > 0, "%s: %s positive (%r)" % (tag, f, r[f]))
    if finite_num(r["p50_ms"]) and finite_num(r["p99_ms"]):
        check(r["p99_ms"] >= r["p50_ms"], "%s: p99 >= p50" % tag)
    if finite_num(r["fps"]) and finite_num(r["gbps"]):
        bpf = r.get("bytes_per_frame", 0)
        check(bpf > 0, "%s: bytes_per_frame positive" % tag)
        check(abs(r["gbps"] - r["fps"] * bpf / 1e9) <= 1e-6 * max(1, r["gbps"]),
              "%s: gbps = fps x bytes per frame" % tag)
    check_gpu_pass(r, tag, gpu_frames)
    check(finite_num(r["gl_objects_per_frame"]) and r["gl_objects_per_frame"] >= 0,
          "%s: gl_objects_per_frame" % tag)
    check(finite_num(r["heap_allocs_per_frame"]) and r["heap_allocs_per_frame"] >= 0,
          "%s: heap_allocs_per_frame" % tag)
    check(isinstance(r["rss_growth_bytes"], (int, float)) and
          abs(r["rss_growth_bytes"]) < (1 << 31),
          "%s: rss_growth_bytes plausible (%r)" % (tag, r["rss_growth_bytes"]))
    return True


def check_render_times(r, tag, draws):
    if draws:
        for f in ("render_p50_ms", "render_p99_ms"):
            check(finite_num(r[f]) and r[f] > 0, "%s: %s positive (%r)" % (tag, f, r[f]))
        if finite_num(r["render_p50_ms"]) and finite_num(r["render_p99_ms"]):
            check(r["render_p99_ms"] >= r["render_p50_ms"], "%s: render p99 >= p50" % tag)
            check(r["render_p50_ms"] <= r["p99_ms"] + 1e-9,
                  "%s: render time within the frame's time" % tag)
    else:
        check(r["render_p50_ms"] is None and r["render_p99_ms"] is None,
              "%s: no render times without drawing" % tag)


def case_quick(bench, xvfb, extra):
    mode = "upload"
    for i, a in enumerate(extra):
        if a == "--mode" and i + 1 < len(extra):
            mode = extra[i + 1]
        elif a in ("render", "upload"):
            mode = a
    got = run_json([xvfb, bench, "--quick", "--json", "-"] + extra)
    if not got:
        return
    doc, err = got
    check("renderer:" in err and "GL version:" in err, "table names the renderer and version")
    check(doc.get("mode") == mode, "JSON mode %s (got %r)" % (mode, doc.get("mode")))
    gpu_frames = gpu_pass_frames(doc)
    check(gpu_frames == 10 or (gpu_frames is None and doc.get("gpu_timer") is False),
          "--quick: a GPU pass of 10 frames where timer queries exist (%r)" % gpu_frames)
    want_strategies = STRATEGIES
    if mode == "render":
        want_strategies = STRATEGIES - {"naive"}
        check("skips the naive strategy" in err, "render mode notes that it skips naive")
        check(isinstance(doc.get("render_target"), str) and
              doc["render_target"].startswith(("window ", "fbo")),
              "render_target recorded (%r)" % doc.get("render_target"))
        check(doc.get("scaler") in ("bilinear", "bicubic"), "scaler recorded")
        want_colour = extra[extra.index("--colour") + 1] if "--colour" in extra else ""
        check(doc.get("colour") == want_colour, "colour %r recorded (%r)" %
              (want_colour, doc.get("colour")))
        if want_colour:
            check("colour " + want_colour in err, "the table names the colour path")
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
        if not check_common(r, tag, mode, gpu_frames):
            continue
        seen.add((r["format"], r["strategy"]))
        check(finite_num(r["memcpy_ratio"]) and 0 < r["memcpy_ratio"] < 100,
              "%s: memcpy_ratio plausible (%r)" % (tag, r["memcpy_ratio"]))
        check_render_times(r, tag, mode == "render")
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
        check(got == want_strategies, "%s: every strategy (%s)" % (fmt, sorted(got)))


def make_clip(ffmpeg, tmp):
    """A 30-frame 320x240 clip: H.264 (libx264), else MPEG-4 part 2."""
    path = os.path.join(tmp, "clip.mp4")
    for codec in (["-c:v", "libx264", "-preset", "ultrafast"], ["-c:v", "mpeg4"]):
        cmd = [ffmpeg, "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
               "testsrc2=size=320x240:rate=30", "-frames:v", "30", "-pix_fmt", "yuv420p"]
        cmd += codec + [path]
        print("$ " + " ".join(cmd), flush=True)
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=60)
        if p.returncode == 0 and os.path.getsize(path) > 0:
            return path
        sys.stdout.write(p.stderr)
    return None


def check_decode_doc(doc, clip, extra, draws, want, gpu_pass=True):
    check(doc.get("mode") == "decode", "JSON mode decode")
    gpu_frames = gpu_pass_frames(doc)
    if not gpu_pass:
        check(gpu_frames is None, "--no-gpu-timer: no GPU pass")
    check(doc.get("input") == clip, "JSON names the input")
    check(isinstance(doc.get("input_desc"), str) and "320x240" in doc["input_desc"],
          "JSON describes the input (%r)" % doc.get("input_desc"))
    check(doc.get("memcpy") == [], "no memcpy floor in decode mode")
    check(doc.get("decode_render") is draws, "decode_render %s" % draws)
    want_gles = "gles" in extra
    check(doc.get("gles") is want_gles, "context is %s" % ("GLES" if want_gles else "GL"))
    results = doc.get("results")
    if not check(isinstance(results, list) and results, "results is a non-empty list"):
        return
    seen = set()
    for r in results:
        tag = "decode %s dr %s" % (r.get("strategy"), r.get("dr"))
        for f in DECODE_FIELDS:
            check(f in r, "%s: field %s present" % (tag, f))
        if not check_common(r, tag, "decode", gpu_frames):
            continue
        seen.add((r["strategy"], r["dr"]))
        check(r["format"] == "yuv420p" and r["width"] == 320 and r["height"] == 240,
              "%s: the clip's format and size (%s %sx%s)" %
              (tag, r["format"], r["width"], r["height"]))
        check(r["memcpy_ratio"] is None, "%s: no memcpy ratio (%r)" % (tag, r["memcpy_ratio"]))
        check(r["strategy_used"] in GLVF_STRATEGIES,
              "%s: strategy_used resolved (%r)" % (tag, r["strategy_used"]))
        check_render_times(r, tag, draws)
        check(isinstance(r["frames_decoded"], int) and r["frames_decoded"] >= r["frames"],
              "%s: frames_decoded >= frames (%r)" % (tag, r["frames_decoded"]))
        # warm-up 12 + 40 measured frames of a 30-frame clip: it looped
        check(isinstance(r["loops"], int) and r["loops"] >= 1,
              "%s: the file looped (%r)" % (tag, r["loops"]))
        kinds = r.get("gl_objects_per_frame_by_kind", {})
        check(kinds.get("texture") == 0,
              "%s: no texture created per steady-state frame (%r)" % (tag, kinds))
        # the staging ring may still grow by a region after the warm-up
        check(r["heap_allocs_per_frame"] < 0.5,
              "%s: no glvf heap allocation per frame (%r)" % (tag, r["heap_allocs_per_frame"]))
        if r["dr"] == "off":
            check(r["dr_active"] is False and r["dr_frames"] == 0 and r["dr_fallbacks"] == 0,
                  "%s: no DR frame (%r/%r)" % (tag, r["dr_frames"], r["dr_fallbacks"]))
        else:
            check(r["dr"] == "on", "%s: dr is on or off" % tag)
            check(r["dr_active"] is True, "%s: DR active" % tag)
            check(r["dr_frames"] > 0 and
                  r["dr_frames"] + r["dr_fallbacks"] <= r["frames_decoded"] + 4,
                  "%s: DR frames counted (%r DR, %r fallbacks, %r decoded)" %
                  (tag, r["dr_frames"], r["dr_fallbacks"], r["frames_decoded"]))
    check(seen == want, "every strategy x DR (%s)" % sorted(seen))


def case_decode(bench, xvfb, ffmpeg, extra):
    if not ffmpeg or not shutil.which(ffmpeg):
        print("SKIP: no ffmpeg CLI to make the clip")
        return 77
    tmp = tempfile.mkdtemp(prefix="glvf-bench-decode.")
    try:
        clip = make_clip(ffmpeg, tmp)
        if not clip:
            print("SKIP: ffmpeg made no clip (neither libx264 nor mpeg4)")
            return 77
        got = run_json([xvfb, bench, "decode", clip, "--quick", "--frames", "40",
                        "--json", "-"] + extra)
        if got:
            doc, err = got
            check("input:" in err and "320x240" in err, "the table describes the input")
            want = {(s, d) for s in GLVF_STRATEGIES | {"auto"} for d in ("on", "off")}
            check_decode_doc(doc, clip, extra, False, want)
        got = run_json([xvfb, bench, "decode", clip, "--quick", "--frames", "40", "--render",
                        "--dr", "on", "--strategy", "auto,naive", "--scaler", "bicubic",
                        "--no-gpu-timer", "--json", "-"] + extra)
        if got:
            doc, err = got
            check("skips the naive strategy" in err, "a naive strategy asked for is noted")
            check(doc.get("scaler") == "bicubic", "scaler bicubic recorded")
            check(isinstance(doc.get("render_target"), str), "render_target recorded")
            check("no GPU pass (--no-gpu-timer)" in err, "the table says there is no GPU pass")
            check_decode_doc(doc, clip, extra, True, {("auto", "on")}, gpu_pass=False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def case_passes(bench, xvfb, extra):
    """The timing pass and the GPU pass, apart; see the module's docstring."""
    base = [xvfb, bench, "--quick", "--strategy", "naive,client,auto", "--frames", "60",
            "--repeat", "3", "--json", "-"] + extra
    fps = {}
    for label, args in (("gpu pass", ["--gpu-frames", "7"]),
                        ("--no-gpu-timer", ["--no-gpu-timer"]),
                        ("--gpu-frames 0", ["--gpu-frames", "0"])):
        got = run_json(base + args)
        if not got:
            continue
        doc, err = got
        gpu_frames = gpu_pass_frames(doc)
        if label == "gpu pass":
            if not doc.get("gpu_timer"):
                print("SKIP: this context has no timer queries (no GPU pass to separate)")
                return 77
            check(gpu_frames == 7, "--gpu-frames 7: a GPU pass of 7 frames (%r)" % gpu_frames)
            check("separate GPU pass" in err and "gpupass p50" in err,
                  "the table says which figures come from the GPU pass")
        else:
            check(gpu_frames is None, "%s: no GPU pass (%r)" % (label, doc.get("passes")))
            check("no GPU pass (%s)" % label in err,
                  "%s: the table says there is no GPU pass" % label)
        for r in doc.get("results", []):
            tag = "%s: %s %s" % (label, r.get("format"), r.get("strategy"))
            if not check_common(r, tag, "upload", gpu_frames):
                continue
            # the timing pass's frame count, whatever the GPU pass's
            check(r["frames"] == 60, "%s: 60 timed frames (%r)" % (tag, r["frames"]))
            fps.setdefault(label, {})[(r["format"], r["strategy"])] = r["fps"]
            if gpu_frames:
                fps.setdefault("gpu pass own", {})[(r["format"], r["strategy"])] = \
                    r["gpu_pass_fps"]
    # a benchmark figure, not an assertion: the timing pass is the same work
    # with or without a GPU pass after it
    if "gpu pass" in fps and "--no-gpu-timer" in fps:
        print("BENCHMARK (not asserted): timing-pass fps with a GPU pass / without")
        for key in sorted(fps["gpu pass"]):
            a, b = fps["gpu pass"][key], fps["--no-gpu-timer"].get(key)
            if b:
                print("  %-8s %-7s %10.1f / %10.1f = %.3f" % (key + (a, b, a / b)))
        print("BENCHMARK (not asserted): the GPU pass's own fps (queries in its loop) / "
              "the timing pass's")
        for key in sorted(fps.get("gpu pass own", {})):
            a, b = fps["gpu pass own"][key], fps["gpu pass"][key]
            print("  %-8s %-7s %10.1f / %10.1f = %.3f" % (key + (a, b, a / b)))
    return 0


STEADY_FORMATS = ["yuv420p", "nv12", "yuv420p10", "rgba"]
STEADY_SIZES = [(1280, 720), (3840, 2160)]
STEADY_STRATEGIES = ["client", "pbo-orphan", "pbo-persistent", "auto"]


def case_steady(bench, xvfb, extra, check_rss):
    got = run_json([xvfb, bench, "upload", "--format", ",".join(STEADY_FORMATS),
                    "--size", "720p,4k", "--strategy", ",".join(STEADY_STRATEGIES),
                    "--frames", "30", "--warmup", "4", "--repeat", "2", "--no-gpu-timer",
                    "--source-mb", "16", "--json", "-"] + extra, timeout=300)
    if not got:
        return
    doc, err = got
    seen = set()
    print("format     size       strategy        textures buffers allocs  RSS growth")
    for r in doc.get("results", []):
        tag = "%s %sx%s %s" % (r.get("format"), r.get("width"), r.get("height"),
                               r.get("strategy"))
        if not check(r.get("ok") is True, "%s: ok (error %r)" % (tag, r.get("error"))):
            continue
        seen.add((r["format"], (r["width"], r["height"]), r["strategy"]))
        created = r.get("created_after_warmup")
        if not check(isinstance(created, dict) and
                     all(isinstance(v, int) for v in created.values()),
                     "%s: created_after_warmup holds counts (%r)" % (tag, created)):
            continue
        allocs = r.get("heap_allocs_after_warmup")
        print("%-10s %-10s %-15s %8d %7d %6s %11s" %
              (r["format"], "%dx%d" % (r["width"], r["height"]), r["strategy"],
               created.get("texture", -1), created.get("buffer", -1), allocs,
               r["rss_growth_min_bytes"]))
        check(created.get("texture") == 0,
              "%s: no texture created after the warm-up (%r)" % (tag, created))
        check(created.get("buffer") == 0,
              "%s: no buffer created after the warm-up (%r)" % (tag, created))
        check(allocs == 0, "%s: no glvf heap allocation after the warm-up (%r)" % (tag, allocs))
        if check_rss:
            # the least over two repetitions: a leak grows in both, while
            # the C library's one-off adjustments (glibc raising its mmap
            # threshold when pbo-orphan's driver storage is first freed:
            # one or two frames' worth, with MALLOC_PERTURB_ making the
            # pages resident) land in one
            check(abs(r["rss_growth_min_bytes"]) <= (1 << 20),
                  "%s: RSS growth within 1 MiB in some repetition (%r, most %r)" %
                  (tag, r["rss_growth_min_bytes"], r["rss_growth_bytes"]))
    want = {(f, sz, st) for f in STEADY_FORMATS for sz in STEADY_SIZES
            for st in STEADY_STRATEGIES}
    check(seen == want, "every format x size x strategy measured (missing %s)" %
          sorted(want - seen))


# ---- wall ------------------------------------------------------------------

# name, lavfi colour, size, rate, encoder arguments, expected RGB (odd sizes:
# lavfi's colour source rounds its size down to even, a scale filter does not)
WALL_CLIPS = [
    ("h264.mp4", "red", "160x90", 30, ["-c:v", "libx264", "-preset", "ultrafast",
                                       "-pix_fmt", "yuv420p"], (255, 0, 0)),
    ("vp9.webm", "lime", "176x144", 25, ["-c:v", "libvpx-vp9", "-deadline", "realtime",
                                         "-cpu-used", "8", "-pix_fmt", "yuv420p"],
     (0, 255, 0)),
    ("hevc10.mp4", "blue", "128x72", 30, ["-c:v", "libx265", "-preset", "ultrafast",
                                          "-x265-params", "log-level=error",
                                          "-pix_fmt", "yuv420p10le"], (0, 0, 255)),
    ("odd.mkv", "yellow", "97x61", 24, ["-c:v", "ffv1"],
     (255, 255, 0)),
    ("h264-444.mp4", "magenta", "123x77", 30, ["-c:v", "libx264", "-preset", "ultrafast"],
     (255, 0, 255)),
    ("mpeg4.avi", "cyan", "96x64", 20, ["-c:v", "mpeg4", "-q:v", "2",
                                        "-pix_fmt", "yuv420p"], (0, 255, 255)),
]


def make_wall_clips(ffmpeg, tmp, seconds=2):
    """The clips the CLI can make: {path: expected RGB}."""
    out = {}
    for name, colour, size, rate, enc, rgb in WALL_CLIPS:
        path = os.path.join(tmp, name)
        w, h = (int(v) for v in size.split("x"))
        src = "color=c=%s:s=%dx%d:r=%d:d=%d" % (colour, w + w % 2, h + h % 2, rate, seconds)
        if w % 2 or h % 2:
            src += ",scale=%d:%d,format=yuv444p" % (w, h)
        cmd = [ffmpeg, "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", src] + enc + [path]
        rc, _, err = run(cmd, timeout=120)
        if rc == 0 and os.path.getsize(path) > 0:
            out[path] = rgb
        else:
            print("note: no %s clip (%s)" % (name, err.strip()[-200:]))
    return out


def wall_run(bench, xvfb, args, extra, want_rc=0, timeout=240):
    cmd = [xvfb, bench, "wall"] + args + ["--json", "-"] + extra
    rc, out, err = run(cmd, timeout=timeout)
    print(err[-6000:])
    check(rc == want_rc, "wall %s: exit status %d (got %d)" % (" ".join(args[-6:]), want_rc, rc))
    try:
        return json.loads(out), err
    except ValueError as e:
        check(False, "wall: JSON parses (%s; %r)" % (e, out[:300]))
        return None, err


def near(a, b, tol=24):
    return a is not None and all(abs(x - y) <= tol for x, y in zip(a, b))


def check_wall_common(doc, err, n, tag):
    check(doc["mode"] == "wall" and doc["streams"] == n and len(doc["stream"]) == n,
          "%s: %d streams in the JSON" % (tag, n))
    for f in ("fps", "cpu_ms_per_stream_frame", "seconds", "tick_gap_max_ms"):
        check(finite_num(doc.get(f)) and doc[f] >= 0, "%s: %s (%r)" % (tag, f, doc.get(f)))
    check(doc["stream_frames"] > 0, "%s: frames shown" % tag)
    check(doc["frames_live_at_end"] == 0,
          "%s: no frame left once the streams closed (%r)" % (tag, doc["frames_live_at_end"]))
    check("leak report" not in err, "%s: no leak report from glvf" % tag)
    check(doc["pool_over_budget_ticks"] == 0,
          "%s: the pool never above budget + in use (%r samples)" %
          (tag, doc["pool_over_budget_ticks"]))
    check(doc["pool_peak_bytes"] <= doc["pool_budget_bytes"] + doc["pool_in_use_peak_bytes"],
          "%s: pool peak %r <= budget %r + in use %r" %
          (tag, doc["pool_peak_bytes"], doc["pool_budget_bytes"],
           doc["pool_in_use_peak_bytes"]))
    print("%s: %.1f stream-frames/s, %.3f CPU ms per stream-frame, %d dropped (%.2f%%), "
          "%d late, pool peak %d bytes, %d evictions, created %r, %d glvf allocations" %
          (tag, doc["fps"], doc["cpu_ms_per_stream_frame"], doc["dropped"],
           doc["dropped_percent"], doc["late"], doc["pool_peak_bytes"], doc["evictions"],
           doc["created"], doc["heap_allocs"]))


def check_steady(doc, tag):
    check(doc["created"]["texture"] == 0 and doc["created"]["buffer"] == 0,
          "%s: no texture or buffer created during the measurement (%r)" %
          (tag, doc["created"]))
    check(doc["heap_allocs"] == 0,
          "%s: no glvf heap allocation (the core's and the FFmpeg module's) during the "
          "measurement (%r)" % (tag, doc["heap_allocs"]))


def case_wall(kind, bench, xvfb, ffmpeg, extra):
    if not ffmpeg or not shutil.which(ffmpeg):
        print("SKIP: no ffmpeg CLI to make the clips")
        return 77
    tmp = tempfile.mkdtemp(prefix="glvf-bench-wall.")
    try:
        clips = make_wall_clips(ffmpeg, tmp)
        if not clips:
            print("SKIP: ffmpeg made no clip")
            return 77
        paths = sorted(clips)
        tag = "wall-" + kind
        if kind == "mixed":
            # a warm-up of 60 frames a stream (2 s clips: each loops once)
            # reaches the wall's high-water mark: with 5, the ASan build
            # made 2 core allocations in the measurement (no texture or
            # buffer created: the frame structs glvf pools, for more frames
            # held at once than in the warm-up, replaced + new per tile)
            n = 2 * len(paths)
            doc, err = wall_run(bench, xvfb, paths + ["--streams", str(n), "--seconds", "2",
                                                      "--warmup", "60", "--verify"], extra)
            if not doc:
                return 0
            check_wall_common(doc, err, n, tag)
            check_steady(doc, tag)
            check(doc["verify"] is True and doc["verify_mismatches"] == 0,
                  "%s: every tile matches its frame drawn alone" % tag)
            descs = set()
            for s in doc["stream"]:
                want = clips[s["file"]]
                descs.add(s["desc"])
                check(s["ok"] and s["presented"] > 0, "%s: stream %d shows frames (%r)" %
                      (tag, s["index"], s.get("error")))
                check(s["verify_ok"] is True, "%s: stream %d verified" % (tag, s["index"]))
                check(near(s["tile_rgb"], want),
                      "%s: stream %d (%s): tile centre %r is its clip's colour %r" %
                      (tag, s["index"], os.path.basename(s["file"]), s["tile_rgb"], want))
            check(len(descs) == len(paths), "%s: %d different streams (%r)" %
                  (tag, len(paths), descs))
        elif kind == "sixteen":
            doc, err = wall_run(bench, xvfb, [paths[0], "--seconds", "3", "--warmup", "60"],
                                extra)
            if not doc:
                return 0
            check_wall_common(doc, err, 16, tag)
            check_steady(doc, tag)
            check(doc["grid"] == [4, 4], "%s: a 4x4 grid (%r)" % (tag, doc["grid"]))
            check(doc["untimed"] is False, "%s: real time" % tag)
            for s in doc["stream"]:
                check(s["ok"] and s["presented"] > 0 and s["nominal_fps"] > 0,
                      "%s: stream %d shows frames (%r)" % (tag, s["index"], s.get("error")))
            # untimed: as fast as it goes; no frame is ever due, none dropped
            doc, err = wall_run(bench, xvfb, [paths[0], "--untimed", "--seconds", "2",
                                              "--warmup", "60", "--grid", "8x2"], extra)
            if doc:
                check_wall_common(doc, err, 16, tag + " untimed")
                check_steady(doc, tag + " untimed")
                check(doc["untimed"] is True and doc["grid"] == [8, 2] and
                      doc["dropped"] == 0, "%s: untimed, 8x2, nothing dropped" % tag)
        elif kind in ("churn", "churn-dr"):
            dr = ["--strategy", "pbo-persistent", "--dr", "on"] if kind == "churn-dr" else []
            doc, err = wall_run(bench, xvfb, paths + ["--streams", "16", "--seconds", "3",
                                                      "--warmup", "5", "--churn", "0.2"] + dr,
                                extra)
            if not doc:
                return 0
            check_wall_common(doc, err, 16, tag)
            check(doc["failed_streams"] == 0, "%s: no stream failed" % tag)
            check(doc["churn_removals"] >= 3 and doc["churn_adds"] >= 2 and
                  doc["churn_failures"] == 0,
                  "%s: streams removed and added (%r removed, %r added, %r failed)" %
                  (tag, doc["churn_removals"], doc["churn_adds"], doc["churn_failures"]))
            check(sum(s["removals"] for s in doc["stream"]) == doc["churn_removals"],
                  "%s: per-stream removals add up" % tag)
            if dr:
                check(doc["strategy_used"] == "pbo-persistent" and doc["dr_frames"] > 0,
                      "%s: frames decoded into staging memory (%r DR, %r fallbacks)" %
                      (tag, doc["dr_frames"], doc["dr_fallbacks"]))
        elif kind == "budget":
            doc, err = wall_run(bench, xvfb, paths + ["--streams", "16", "--seconds", "3",
                                                      "--warmup", "5", "--pool-budget", "half"],
                                extra)
            if not doc:
                return 0
            check_wall_common(doc, err, 16, tag)
            check(doc["failed_streams"] == 0 and ") failed: " not in err,
                  "%s: no frame fails because of the budget" % tag)
            check(doc["pool_needed_bytes"] > 0 and
                  abs(doc["pool_budget_bytes"] - doc["pool_needed_bytes"] // 2) <= 1,
                  "%s: budget is half of what the wall needed (%r of %r)" %
                  (tag, doc["pool_budget_bytes"], doc["pool_needed_bytes"]))
            check(doc["evictions"] > 0, "%s: evictions counted (%r)" % (tag, doc["evictions"]))
            for s in doc["stream"]:
                check(s["ok"] and s["presented"] > 0,
                      "%s: stream %d keeps playing (%r)" % (tag, s["index"], s.get("error")))
        elif kind == "bad":
            garbage = os.path.join(tmp, "garbage.mp4")
            with open(garbage, "wb") as f:
                f.write(b"this is not a video file\n" * 40)
            missing = os.path.join(tmp, "missing.mkv")
            files = paths[:2] + [garbage, missing]
            doc, err = wall_run(bench, xvfb, files + ["--streams", "8", "--seconds", "1",
                                                      "--warmup", "5", "--verify"],
                                extra, want_rc=4)
            if doc:
                check(doc["failed_streams"] == 4, "%s: 4 failed streams (%r)" %
                      (tag, doc["failed_streams"]))
                check("some streams failed" in err, "%s: stderr says some streams failed" % tag)
                for s in doc["stream"]:
                    if s["file"] in (garbage, missing):
                        check(not s["ok"] and s["error"] and os.path.basename(s["file"])
                              in s["error"], "%s: stream %d has its error (%r)" %
                              (tag, s["index"], s["error"]))
                        check(near(s["tile_rgb"], (191, 0, 0), 8),
                              "%s: stream %d's tile is red (%r)" % (tag, s["index"],
                                                                    s["tile_rgb"]))
                    else:
                        check(s["ok"] and s["presented"] > 0 and s["verify_ok"] is True and
                              near(s["tile_rgb"], clips[s["file"]]),
                              "%s: stream %d plays on (%r)" % (tag, s["index"], s["tile_rgb"]))
                check(doc["frames_live_at_end"] == 0, "%s: no frame left" % tag)
            doc, err = wall_run(bench, xvfb, [garbage, missing, "--seconds", "1"], extra,
                                want_rc=1)
            if doc:
                check(doc["failed_streams"] == 16, "%s: all 16 failed" % tag)
        else:
            check(False, "unknown wall case " + kind)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--xvfb")
    ap.add_argument("--case", required=True, choices=["options", "quick", "decode", "passes", "steady", "wall-mixed",
                             "wall-sixteen", "wall-churn", "wall-churn-dr", "wall-budget",
                             "wall-bad"])
    ap.add_argument("--has-decode", type=int, default=0)
    ap.add_argument("--ffmpeg")
    ap.add_argument("--check-rss", type=int, default=1)
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    if a.case == "options":
        case_options(a.bench, bool(a.has_decode))
    elif a.case == "quick":
        case_quick(a.bench, a.xvfb, a.extra)
    elif a.case == "steady":
        case_steady(a.bench, a.xvfb, a.extra, bool(a.check_rss))
    elif a.case == "passes":
        if case_passes(a.bench, a.xvfb, a.extra) == 77:
            return 77
    elif a.case.startswith("wall-"):
        if case_wall(a.case[5:], a.bench, a.xvfb, a.ffmpeg, a.extra) == 77:
            return 77
    elif case_decode(a.bench, a.xvfb, a.ffmpeg, a.extra) == 77:
        return 77
    print("%s: %d failure(s)" % (a.case, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
