#!/usr/bin/env python3
"""Tests of glvf-player (demos/gtk-player/).

  test_player.py --player PATH --xvfb PATH --case CASE [--output paintable|area]

Every player run gets its own X server (tests/harness/xvfb-run.sh) and a
private XDG_CACHE_HOME; media are made with the ffmpeg command in a
temporary directory. The GL flavour comes from the environment (meson sets
GDK_DEBUG=gl-gles for the *-gles tests). Every run passes `--output` when
given (else the player's default, paintable): meson runs the cases with
both outputs.

Cases:
  blocks     a 320x240 clip of four solid colour blocks (60 frames, FFV1,
             yuv420p, lossless: only the RGB->YUV->RGB round trip remains),
             `--size 320x240 --frames 10 --screenshot out.png --stats`:
             exit 0, 10 frames presented, leaked_objects=0, and the centre
             of each block in the PNG within COLOUR_TOLERANCE per channel
             of its colour. Area: again with direct rendering forced (--dr
             on): the DR teardown order (decoder before context) must leave
             nothing behind either. Paintable: output=paintable, every
             worker ended (context_destroyed=yes), and the screenshot is
             the texture GTK shows: no bars, the whole image is the
             picture (4:3), its size texture_size.
  benchmark  `--benchmark --frames 30 --stats`: exit 0, a line
             `frames=30 seconds=S fps=F` with F > 0, the per-frame times
             (area: upload, render, wait; paintable: upload, convert),
             nothing dropped, leaked_objects=0.
  errors     a missing file, a text file, an audio-only file, a directory:
             each exits 1 promptly with one line starting `glvf-player:`
             naming the problem, writes no screenshot, and does not crash.
  sample     no FILE: the sample clip is made in $XDG_CACHE_HOME/glvf/
             (nothing else left there), played, and reused by a second run.
  keys       (run under one Xvfb for the whole case) a clip red for 1 s, then
             blue; keys sent through XTEST: space (pause), Left (seek back
             to 0), Shift+Right (seek +1 s: the first blue frame), period
             (next frame), comma comma (two frames back), i i (statistics
             on, off), f f (fullscreen on, off), q (quit): exit 0, the
             position is exactly 0.967 s, the screenshot is red (the last
             red frame). Then space, Right, Right (past the end): the
             position is the last frame's, 5.967 s, and it is shown (blue).
  paused     (one Xvfb) space pauses; 1.5 s later q quits: the presented
             count the player logs at the pause (--verbose "state: paused")
             is the final one (one frame already on its way allowed):
             nothing is presented while paused. Not a timing assertion.
  chooser    (one Xvfb) o opens the file chooser, a path typed into it
             and Return open another clip, which plays to its end.
  playlist   three FILEs (red, green, blue, 0.5 s each): each starts when
             the one before ends, the screenshot at the end is blue,
             leaked_objects=0; then (one Xvfb) n and p move between two
             long clips.
  url        a clip served by `python3 -m http.server` on 127.0.0.1 plays
             (10 frames, leaked_objects=0); a 404, a refused connection and
             a server that accepts and never answers (--network-timeout 2)
             exit 1 with a glvf-player: line naming the URL and the reason.
  fifo       (one Xvfb) a FIFO nobody writes to: the
             window says "Opening never.fifo...", q ends the player at
             once (exit 0, leaked_objects=0) although the open is still
             blocked in the kernel; n (the FIFO, then a clip) plays the
             clip at once.
  fullscreen (one Xvfb) --fullscreen: while playing the controls hide
             after 2 s without pointer motion (logged by --verbose: "ui:
             controls hidden"), pointer motion shows them and they hide
             again; ? opens the shortcuts window (one more top-level
             window), Escape closes it; paused, the controls stay shown;
             q quits: exit 0, leaked_objects=0. (Xvfb has no window
             manager: the window keeps its size and leaving fullscreen is
             not checked.)
  options    (no display needed) --help, bad options exit 2 with a message
             starting `glvf-player:`; no display at all exits 1 with a
             message.
  audio      (one Xvfb; both outputs) a private PulseAudio daemon (its own
             runtime directory, a null sink, killed at the end) and `parec`
             recording the sink's monitor; a 12 s clip whose picture
             flashes white exactly when a 1 kHz beep starts, once a second,
             over a quiet 200 Hz tone; played with --trace-frames (the
             monotonic time of each frame shown); keys: Shift+Right (seek
             +1 s), space (pause) 1.5 s space (resume), m (mute), q. Each
             flash shown must lie within one frame (33 ms) of the beep
             recorded nearest to it, before the seek, after it and after
             the resume; the sound flows while playing (not silent), stops
             while paused and while muted; --stats says audio=playing,
             clock=audio, leaked_objects=0.
  wall       (paintable) --wall: 16 tiles (four solid-colour clips, each
             used four times, shifted a tile per row) in 640x480 for 60
             frames: every tile presented 60 frames and was painted, one
             shared worker, one shared GL thread, one glvf context in the
             whole process (glvf_contexts=1), the 16 paintables attached
             at once, every worker ended, leaked_objects=0, and the
             screenshot's tile centres are their clips' colours. Then 4
             tiles with a bad file second: exit 0, that tile failed=yes
             (dark red in the screenshot, a `glvf-player: tile 1:` line
             naming it), the three others played. --wall with --output
             area, without FILE, with --benchmark: exit 2 with a message.
  wall-click (one Xvfb; paintable) 4 tiles; a click (XTEST) on the bottom
             right tile plays it alone ("wall: tile 3 alone"), a click goes
             back to the grid ("wall: grid (tile 3 showed N frames
             alone)", N > 0); the same with the top left tile and Escape;
             q: exit 0, one glvf context (the alone streams came and went
             on the tiles' worker: 5 paintables on it at most),
             leaked_objects=0, the screenshot (the grid) shows the four
             colours in place.
  nosound    a clip with sound and no reachable server: plays, exit 0, the
             one line `glvf-player: no sound server: playing without
             sound`, clock=video; a clip without audio: no such line,
             audio=none; --no-audio: audio=disabled, no line.

The PNG is decoded here (zlib + struct), no imaging library needed.
Under ASan (scripts/test.sh sets LSAN_OPTIONS=suppressions=...), the
player's LeakSanitizer suppressions are the file given there (Mesa, LLVM,
...) plus tests/player/lsan-player.supp (GTK, fontconfig, ...), merged into
one file for the child.
"""
import argparse
import ctypes
import ctypes.util
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# FFV1 is lossless; what remains is the RGB -> yuv420p (BT.601 limited, by
# libswscale in the ffmpeg command) -> RGB (glvf's shader) round trip at 8
# bits, at the block centres (far from the 4:2:0 chroma edges): at most 1
# level per channel measured (GL and GLES), 3 allowed.
COLOUR_TOLERANCE = 3
BLOCKS = [  # (name, RGB) in reading order: top left, top right, bottom left, bottom right
    ("red", (220, 40, 40)),
    ("green", (40, 200, 60)),
    ("blue", (50, 90, 235)),
    ("yellow", (240, 220, 50)),
]
RUN_TIMEOUT = 60

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg, flush=True)
    else:
        print("ok: " + msg, flush=True)
    return cond


# ---- PNG ---------------------------------------------------------------------

def read_png(path):
    """Returns (width, height, rows) with rows[y][x] = (r, g, b, a)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    w, h, depth, ctype, _, _, interlace = ihdr
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype)
    if channels is None or depth not in (8, 16) or interlace:
        raise ValueError("unsupported PNG (type %d, depth %d, interlace %d)" %
                         (ctype, depth, interlace))
    bpp = channels * depth // 8
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        ft = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ft == 1:
                line[x] = (line[x] + a) & 255
            elif ft == 2:
                line[x] = (line[x] + b) & 255
            elif ft == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        prev = line
        px = []
        for x in range(w):
            s = line[x * bpp:(x + 1) * bpp]
            if depth == 16:
                s = s[0::2]
            if channels == 1:
                px.append((s[0], s[0], s[0], 255))
            elif channels == 2:
                px.append((s[0], s[0], s[0], s[1]))
            elif channels == 3:
                px.append((s[0], s[1], s[2], 255))
            else:
                px.append((s[0], s[1], s[2], s[3]))
        rows.append(px)
    return w, h, rows


# ---- running -------------------------------------------------------------------

def merged_lsan_options(tmp):
    """LSAN_OPTIONS for the child: the suppression files of the environment
    plus the repository's and the player's, merged (LSan takes one file)."""
    lsan = os.environ.get("LSAN_OPTIONS", "")
    parts = [p for p in lsan.split(":") if p]
    files = [p.split("=", 1)[1] for p in parts if p.startswith("suppressions=")]
    others = [p for p in parts if not p.startswith("suppressions=")]
    files += [os.path.join(REPO, "tests", "lsan.supp"), os.path.join(HERE, "lsan-player.supp")]
    merged = os.path.join(tmp, "lsan-merged.supp")
    seen = set()
    with open(merged, "w") as out:
        for f in files:
            f = os.path.abspath(f)
            if f in seen or not os.path.exists(f):
                continue
            seen.add(f)
            with open(f) as src:
                out.write(src.read() + "\n")
    return ":".join(others + ["suppressions=" + merged])


def asan_build(path):
    """True when the executable links AddressSanitizer's runtime."""
    try:
        with open(path, "rb") as f:
            return b"libasan.so" in f.read()
    except OSError:
        return False


class Runner:
    def __init__(self, args, tmp):
        self.player = args.player
        self.xvfb = args.xvfb
        self.output = args.output or "paintable"
        self.out_args = ["--output", args.output] if args.output else []
        self.tmp = tmp
        self.env = dict(os.environ)
        self.env["LSAN_OPTIONS"] = merged_lsan_options(tmp)
        self.env["XDG_CACHE_HOME"] = os.path.join(tmp, "cache")
        if asan_build(self.player):
            # GDK 4.8 on X11 first probes EGL, rejects it here and dlcloses
            # Mesa's driver (swrast_dri.so) before settling on GLX (for GL
            # and for GLES alike). A Mesa allocation made during the probe
            # then has its stack in an unloaded module, which LeakSanitizer
            # can neither name nor therefore suppress (tests/lsan.supp
            # matches Mesa by module name). Skipping the probe leaves the
            # GL path the same (GLX) and the stacks nameable.
            flags = [f for f in self.env.get("GDK_DEBUG", "").split(",") if f]
            self.env["GDK_DEBUG"] = ",".join(flags + ["gl-glx"])
            # G_SLICE=always-malloc (gtk_test_env) turns GTK's one-time
            # GSlice allocations (GIO modules loaded by gtk_init_check) into
            # malloc'd blocks LeakSanitizer reports, with their stacks cut
            # at g_malloc (GLib has no frame pointers), so unsuppressible;
            # it does so for any GTK program. GSlice's own allocator keeps
            # them reachable.
            self.env.pop("G_SLICE", None)
        print("# GDK_DEBUG=%s" % self.env.get("GDK_DEBUG", ""), flush=True)

    def run(self, args, display=True, env=None, timeout=RUN_TIMEOUT, echo_stderr=True):
        cmd = ([self.xvfb] if display else []) + [self.player] + self.out_args + args
        e = dict(self.env)
        if env:
            e.update(env)
        if not display:
            e.pop("DISPLAY", None)
            e.pop("WAYLAND_DISPLAY", None)
        print("$ " + " ".join(cmd), flush=True)
        t0 = time.monotonic()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e,
                           timeout=timeout, text=True, errors="replace")
        dt = time.monotonic() - t0
        print("  exit %d after %.1f s" % (p.returncode, dt), flush=True)
        lines = p.stderr.splitlines()
        if not echo_stderr:  # only what is not the expected chatter
            lines = [l for l in lines if not re.match(
                r"glvf-player: (playing |playlist: |state: |ui: |decoder: info: )", l)]
        for line in lines:
            print("  stderr: " + line)
        return p.returncode, p.stdout, p.stderr, dt


def parse_kv(out):
    kv = {}
    for line in out.splitlines():
        for m in re.finditer(r"(\w+)=(\S+)", line):
            kv.setdefault(m.group(1), m.group(2))
    return kv


# LeakSanitizer's own failure at exit ("Tracer caught signal 11 ... LeakSanitizer
# has encountered a fatal error": its thread suspender crashed, seen in 1-2 of
# 29 ASan player runs on a fresh machine, in both outputs) is not a finding:
# the case is run once more (see main). A leak report is never retried.
LSAN_TOOL_FAILURE = "LeakSanitizer has encountered a fatal error"
lsan_tool_failed = []


def no_crash(rc, err, what):
    if LSAN_TOOL_FAILURE in err and "detected memory leaks" not in err:
        lsan_tool_failed.append(what)
    check(rc >= 0 and rc < 128, "%s: not killed by a signal (exit %d)" % (what, rc))
    for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:", "CRITICAL", "Segmentation"):
        check(bad not in err, "%s: no '%s' on stderr" % (what, bad))


def ffmpeg(args, cwd):
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"] + args
    subprocess.run(cmd, cwd=cwd, check=True, timeout=120)


def make_blocks(tmp):
    path = os.path.join(tmp, "blocks.mkv")
    srcs = []
    for i, (_, (r, g, b)) in enumerate(BLOCKS):
        srcs.append("color=c=0x%02x%02x%02x:s=160x120:r=30[c%d]" % (r, g, b, i))
    graph = ";".join(srcs) + ";[c0][c1]hstack[top];[c2][c3]hstack[bot];[top][bot]vstack[out]"
    ffmpeg(["-filter_complex", graph, "-map", "[out]", "-frames:v", "60",
            "-c:v", "ffv1", "-pix_fmt", "yuv420p", path], tmp)
    return path


# ---- cases -------------------------------------------------------------------------

def picture_box(w, h, rows):
    """Bounding box of the non-black pixels (the picture inside its bars)."""
    xs, ys = [], []
    for y in range(h):
        for x in range(w):
            r, g, b, _ = rows[y][x]
            if r + g + b > 48:
                xs.append(x)
                ys.append(y)
    if not xs:
        return None
    return min(xs), min(ys), max(xs) + 1, max(ys) + 1


def check_blocks_png(png, label, whole=False, tolerance=COLOUR_TOLERANCE):
    try:
        w, h, rows = read_png(png)
    except (OSError, ValueError) as e:
        check(False, "%s: screenshot readable (%s)" % (label, e))
        return
    print("# screenshot %dx%d" % (w, h))
    check(w > 100 and h > 60, "%s: screenshot has a plausible size (%dx%d)" % (label, w, h))
    box = picture_box(w, h, rows)
    if not check(box is not None, "%s: the picture is visible" % label):
        return
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    print("# picture at %d,%d %dx%d (aspect %.3f)" % (x0, y0, bw, bh, bw / bh))
    if whole:  # the paintable's texture: the picture itself, no bars
        check(box == (0, 0, w, h), "%s: the screenshot is the picture, no bars (%s in %dx%d)"
              % (label, box, w, h))
    check(abs(bw * 3 - bh * 4) <= 3 * 4, "%s: the picture keeps its 4:3 aspect (%dx%d)" %
          (label, bw, bh))
    centres = [(x0 + bw // 4, y0 + bh // 4), (x0 + 3 * bw // 4, y0 + bh // 4),
               (x0 + bw // 4, y0 + 3 * bh // 4), (x0 + 3 * bw // 4, y0 + 3 * bh // 4)]
    for (name, want), (cx, cy) in zip(BLOCKS, centres):
        got = rows[cy][cx][:3]
        diff = max(abs(a - b) for a, b in zip(got, want))
        check(diff <= tolerance,
              "%s: %s block centre (%d,%d) is %s, want %s within %d (off by %d)" %
              (label, name, cx, cy, got, want, tolerance, diff))


def case_blocks(r, tmp):
    clip = make_blocks(tmp)
    paintable = r.output == "paintable"
    variants = [("copy", [])] + ([] if paintable else [("dr", ["--dr", "on"])])
    for label, extra in variants:
        png = os.path.join(tmp, "out-%s.png" % label)
        rc, out, err, dt = r.run(["--size", "320x240", "--frames", "10", "--screenshot", png,
                                  "--stats"] + extra + [clip])
        no_crash(rc, err, label)
        check(rc == 0, "%s: exit 0 (got %d)" % (label, rc))
        kv = parse_kv(out)
        print("# " + " ".join("%s=%s" % i for i in sorted(kv.items())))
        check(kv.get("presented") == "10", "%s: 10 frames presented (%s)" %
              (label, kv.get("presented")))
        check(kv.get("leaked_objects") == "0", "%s: leaked_objects=0 (%s)" %
              (label, kv.get("leaked_objects")))
        check(kv.get("output") == r.output, "%s: output=%s (%s)" % (label, r.output,
                                                                  kv.get("output")))
        check(kv.get("context_destroyed") == "yes", "%s: the glvf context was destroyed" % label)
        check(kv.get("upload_failures") == "0", "%s: no upload failed" % label)
        want_api = "gles" if "gl-gles" in os.environ.get("GDK_DEBUG", "") else "gl"
        check(kv.get("gl_api") == want_api, "%s: rendered with %s (%s %s)" %
              (label, want_api, kv.get("gl_api"), kv.get("gl_version")))
        if label == "dr":
            check(kv.get("direct_rendering") == "on", "dr: direct rendering on")
            check(int(kv.get("dr_frames", "0")) > 0, "dr: frames decoded into staging memory (%s)"
                  % kv.get("dr_frames"))
        if check(os.path.exists(png), "%s: screenshot written" % label):
            check_blocks_png(png, label, whole=paintable)
            if paintable:
                w, h, _ = read_png(png)
                check(kv.get("texture_size") == "%dx%d" % (w, h),
                      "%s: the screenshot is the texture shown (%s, png %dx%d)" %
                      (label, kv.get("texture_size"), w, h))


def case_benchmark(r, tmp):
    clip = make_blocks(tmp)
    rc, out, err, dt = r.run(["--size", "320x240", "--benchmark", "--frames", "30", "--stats",
                              clip])
    no_crash(rc, err, "benchmark")
    check(rc == 0, "benchmark: exit 0 (got %d)" % rc)
    print(out)
    m = re.search(r"^frames=(\d+) seconds=([0-9.]+) fps=([0-9.]+)$", out, re.M)
    if check(m is not None, "benchmark: prints 'frames=N seconds=S fps=F'"):
        check(int(m.group(1)) == 30, "benchmark: 30 frames (%s)" % m.group(1))
        check(float(m.group(2)) > 0, "benchmark: seconds > 0")
        check(float(m.group(3)) > 0, "benchmark: fps > 0 (%s)" % m.group(3))
    kv = parse_kv(out)
    keys = ("upload_ms", "convert_ms") if r.output == "paintable" else ("upload_ms", "render_ms",
                                                                        "wait_ms")
    for k in keys:
        check(k in kv and float(kv[k]) >= 0, "benchmark: %s reported" % k)
    check(re.search(r"\boutput=%s\b" % r.output, out) is not None,
          "benchmark: output=%s reported" % r.output)
    check(kv.get("dropped") == "0", "benchmark: nothing dropped (%s)" % kv.get("dropped"))
    check(kv.get("leaked_objects") == "0", "benchmark: leaked_objects=0 (%s)" %
          kv.get("leaked_objects"))


def case_errors(r, tmp):
    text = os.path.join(tmp, "text.mp4")
    with open(text, "w") as f:
        f.write("this is not a video\n" * 50)
    audio = os.path.join(tmp, "audio.wav")
    ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=1", audio], tmp)
    cases = [
        ("missing", os.path.join(tmp, "no", "such", "clip.mkv"), "No such file"),
        ("text", text, "Invalid data"),
        ("audio-only", audio, "no video stream"),
        ("directory", tmp, "cannot open"),
    ]
    for label, path, expect in cases:
        png = os.path.join(tmp, "err-%s.png" % label)
        rc, out, err, dt = r.run(["--frames", "10", "--screenshot", png, "--stats", path])
        no_crash(rc, err, label)
        check(rc == 1, "%s: exit 1 (got %d)" % (label, rc))
        mine = [l for l in err.splitlines() if l.startswith("glvf-player:")]
        check(len(mine) >= 1, "%s: a message starting 'glvf-player:'" % label)
        check(any(expect in l for l in mine), "%s: the message says %r" % (label, expect))
        check(not os.path.exists(png), "%s: no screenshot written" % label)
        check(dt < 30, "%s: exits promptly (%.1f s)" % (label, dt))
        kv = parse_kv(out)
        check(kv.get("leaked_objects") == "0", "%s: leaked_objects=0 (%s)" %
              (label, kv.get("leaked_objects")))


def case_sample(r, tmp):
    cache = os.path.join(tmp, "cache", "glvf")
    png = os.path.join(tmp, "sample.png")
    rc, out, err, dt = r.run(["--size", "480x320", "--frames", "30", "--screenshot", png,
                              "--stats"], timeout=120)
    no_crash(rc, err, "sample")
    check(rc == 0, "sample: exit 0 (got %d)" % rc)
    kv = parse_kv(out)
    check(kv.get("presented") == "30", "sample: 30 frames presented (%s)" % kv.get("presented"))
    check(kv.get("leaked_objects") == "0", "sample: leaked_objects=0")
    sample = os.path.join(cache, "sample-v1.mkv")
    check(os.path.isfile(sample) and os.path.getsize(sample) > 1000,
          "sample: the clip is in $XDG_CACHE_HOME/glvf")
    left = sorted(os.listdir(cache)) if os.path.isdir(cache) else []
    check(left == ["sample-v1.mkv"], "sample: no temporary file left (%s)" % left)
    if check(os.path.exists(png), "sample: screenshot written"):
        w, h, rows = read_png(png)
        box = picture_box(w, h, rows)
        check(box is not None, "sample: the screenshot shows the clip")
    if os.path.isfile(sample):
        st = os.stat(sample)
        rc, out, err, dt = r.run(["--frames", "5", "--stats"])
        no_crash(rc, err, "sample again")
        check(rc == 0, "sample again: exit 0")
        check(os.stat(sample).st_mtime_ns == st.st_mtime_ns, "sample again: the clip is reused")


def case_options(r, tmp):
    rc, out, err, dt = r.run(["--help"], display=False)
    check(rc == 0, "--help exits 0 (got %d)" % rc)
    for opt in ("--frames", "--screenshot", "--benchmark", "--stats", "--size", "--fullscreen",
                "--no-audio", "--volume", "9/0 volume", "m mute"):
        check(opt in out, "--help mentions " + opt)
    check("[FILE] [FILE]" not in out, "--help names FILE once")
    bad = [
        (["--size", "0x0"], "bad --size"),
        (["--size", "640"], "bad --size"),
        (["--frames", "-1"], "--frames"),
        (["--frames", "many"], "many"),
        (["--dr", "maybe"], "bad --dr"),
        (["--volume", "101"], "--volume must be 0 to 100"),
        (["--volume", "-1"], "--volume must be 0 to 100"),
        (["--network-timeout", "-1"], "--network-timeout"),
        (["a.mkv", ""], "empty FILE"),
        (["--bogus"], "--bogus"),
    ]
    for args, expect in bad:
        rc, out, err, dt = r.run(args, display=False)
        lines = err.strip().splitlines()
        first = lines[0] if lines else ""
        check(rc == 2, "%s exits 2 (got %d)" % (args, rc))
        check(first.startswith("glvf-player:"), "%s: message starts 'glvf-player:' (%r)" %
              (args, first))
        check(expect in err, "%s: message mentions %r" % (args, expect))
    rc, out, err, dt = r.run(["--frames", "1", os.path.join(tmp, "x.mkv")], display=False)
    check(rc == 1, "no display: exit 1 (got %d)" % rc)
    check(err.startswith("glvf-player:") and "display" in err, "no display: a message (%r)" %
          err.strip())


# offsetof(XWindowAttributes, map_state) on LP64: x, y, width, height,
# border_width, depth (6 ints), visual (pointer), root (long), class,
# bit_gravity, win_gravity, backing_store (4 ints), backing_planes,
# backing_pixel (2 longs), save_under (int, padded), colormap (long),
# map_installed, map_state
XWA_MAP_STATE = 6 * 4 + 8 + 8 + 4 * 4 + 2 * 8 + 8 + 8 + 4


class XTest:
    """Keys and pointer motion through the XTEST extension (libXtst), with
    ctypes: no Python X library needed."""

    def __init__(self):
        self.x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
        self.xtst = ctypes.CDLL(ctypes.util.find_library("Xtst") or "libXtst.so.6")
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        self.x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x11.XStringToKeysym.restype = ctypes.c_ulong
        self.x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
        self.x11.XKeysymToKeycode.restype = ctypes.c_ubyte
        self.x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self.x11.XFlush.argtypes = [ctypes.c_void_p]
        self.x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                                ctypes.c_ulong]
        self.xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                                   ctypes.c_int, ctypes.c_ulong]
        self.xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                                   ctypes.c_ulong]
        # a window can go between XQueryTree and XGetWindowAttributes (the
        # shortcuts window closing): Xlib's default handler would exit this
        # process on that BadWindow; ignore X errors instead (kept alive here)
        handler_t = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
        self._on_error = handler_t(lambda dpy, ev: 0)
        self.x11.XSetErrorHandler.argtypes = [handler_t]
        self.x11.XSetErrorHandler(self._on_error)
        self.dpy = self.x11.XOpenDisplay(None)
        if not self.dpy:
            raise OSError("cannot open the X display")

    def move(self, x, y):
        self.xtst.XTestFakeMotionEvent(self.dpy, -1, x, y, 0)
        self.x11.XFlush(self.dpy)

    def click(self, x, y, button=1):
        print("# click %d,%d" % (x, y), flush=True)
        self.move(x, y)
        time.sleep(0.05)
        self.xtst.XTestFakeButtonEvent(self.dpy, button, 1, 0)
        self.xtst.XTestFakeButtonEvent(self.dpy, button, 0, 0)
        self.x11.XFlush(self.dpy)

    def key(self, name, shift=False):
        print("# key %s%s" % ("Shift+" if shift else "", name), flush=True)
        codes = []
        if shift:
            codes.append(self.x11.XKeysymToKeycode(self.dpy, self.x11.XStringToKeysym(b"Shift_L")))
        codes.append(self.x11.XKeysymToKeycode(self.dpy, self.x11.XStringToKeysym(name.encode())))
        for c in codes:
            self.xtst.XTestFakeKeyEvent(self.dpy, c, 1, 0)
        for c in reversed(codes):
            self.xtst.XTestFakeKeyEvent(self.dpy, c, 0, 0)
        self.x11.XFlush(self.dpy)

    def type(self, text):
        """Types ASCII text (letters, digits, / . - _)."""
        names = {"/": "slash", ".": "period", "-": "minus", "_": "underscore"}
        shifted = {"_": "minus"}
        print("# type %r" % text, flush=True)
        for ch in text:
            if ch in shifted:
                self.key_quiet(shifted[ch], True)
            elif ch.isupper():
                self.key_quiet(ch.lower(), True)
            else:
                self.key_quiet(names.get(ch, ch), False)
            time.sleep(0.02)

    def key_quiet(self, name, shift):
        codes = []
        if shift:
            codes.append(self.x11.XKeysymToKeycode(self.dpy, self.x11.XStringToKeysym(b"Shift_L")))
        codes.append(self.x11.XKeysymToKeycode(self.dpy, self.x11.XStringToKeysym(name.encode())))
        for c in codes:
            self.xtst.XTestFakeKeyEvent(self.dpy, c, 1, 0)
        for c in reversed(codes):
            self.xtst.XTestFakeKeyEvent(self.dpy, c, 0, 0)
        self.x11.XFlush(self.dpy)

    def viewable_windows(self):
        """Top-level windows currently viewable (mapped), as a count."""
        x11 = self.x11
        x11.XDefaultRootWindow.restype = ctypes.c_ulong
        x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x11.XQueryTree.argtypes = [ctypes.c_void_p, ctypes.c_ulong,
                                   ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_ulong),
                                   ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)),
                                   ctypes.POINTER(ctypes.c_uint)]
        x11.XGetWindowAttributes.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p]
        x11.XFree.argtypes = [ctypes.c_void_p]
        root = x11.XDefaultRootWindow(self.dpy)
        r, par = ctypes.c_ulong(), ctypes.c_ulong()
        kids = ctypes.POINTER(ctypes.c_ulong)()
        n = ctypes.c_uint()
        if not x11.XQueryTree(self.dpy, root, ctypes.byref(r), ctypes.byref(par),
                              ctypes.byref(kids), ctypes.byref(n)):
            return 0
        attrs = ctypes.create_string_buffer(512)  # XWindowAttributes (136 bytes on x86-64)
        count = 0
        for i in range(n.value):
            if x11.XGetWindowAttributes(self.dpy, kids[i], attrs):
                # map_state (int) follows 11 ints/longs...: read it at its offset
                map_state = struct.unpack_from("i", attrs.raw, XWA_MAP_STATE)[0]
                if map_state == 2:  # IsViewable
                    count += 1
        if kids:
            x11.XFree(kids)
        return count

    def wait_windows(self, n, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.viewable_windows() >= n:
                return True
            time.sleep(0.1)
        return False

    def close(self):
        self.x11.XCloseDisplay(self.dpy)


class Interactive:
    """The player started directly (the test runs under one Xvfb), its
    stderr read on a thread; wait_playing(n) waits for the n-th
    'glvf-player: playing' line (--verbose prints one per opened file)."""

    def __init__(self, r, args, env=None):
        self.cmd = [r.player, "--verbose"] + r.out_args + args
        print("$ " + " ".join(self.cmd), flush=True)
        e = dict(r.env)
        e.update(env or {})
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=e, text=True, errors="replace")
        self.err_lines = []
        self.cond = threading.Condition()
        self.playing = 0
        self.thread = threading.Thread(target=self._read)
        self.thread.start()

    def _read(self):
        for line in self.proc.stderr:
            with self.cond:
                self.err_lines.append(line.rstrip("\n"))
                if line.startswith("glvf-player: playing"):
                    self.playing += 1
                self.cond.notify_all()

    def wait_playing(self, n, timeout=30):
        with self.cond:
            return self.cond.wait_for(lambda: self.playing >= n, timeout)

    def count_lines(self, pattern):
        rx = re.compile(pattern)
        with self.cond:
            return sum(1 for line in self.err_lines if rx.search(line))

    def wait_count(self, pattern, n, timeout=30):
        """Waits until `n` stderr lines match `pattern`."""
        rx = re.compile(pattern)
        with self.cond:
            return self.cond.wait_for(
                lambda: sum(1 for line in self.err_lines if rx.search(line)) >= n, timeout)

    def wait_line(self, pattern, timeout=30):
        """Waits for a stderr line matching `pattern`; returns its match."""
        rx = re.compile(pattern)

        def found():
            for line in self.err_lines:
                m = rx.search(line)
                if m:
                    return m
            return None

        with self.cond:
            self.cond.wait_for(lambda: found() is not None, timeout)
            return found()

    def finish(self, label, timeout=30):
        """Waits for the exit; returns (rc, stdout, stderr)."""
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
            check(False, "%s: the player exits by itself" % label)
        self.thread.join()
        for line in self.err_lines:
            print("  stderr: " + line)
        return self.proc.returncode, out, "\n".join(self.err_lines)


def make_redblue(tmp):
    clip = os.path.join(tmp, "redblue.mkv")
    ffmpeg(["-filter_complex", "color=c=0xdc2828:s=160x120:r=30:d=1[a];"
            "color=c=0x325aeb:s=160x120:r=30:d=5[b];[a][b]concat=n=2:v=1:a=0[out]",
            "-map", "[out]", "-c:v", "ffv1", "-pix_fmt", "yuv420p", clip], tmp)
    return clip


def centre_colour_is(png, want, label):
    if not check(os.path.exists(png), "%s: screenshot written" % label):
        return
    w, h, rows = read_png(png)
    c = rows[h // 2][w // 2][:3]
    check(max(abs(a - b) for a, b in zip(c, want)) <= COLOUR_TOLERANCE,
          "%s: the screenshot's centre is %s (want %s)" % (label, c, want))


def case_keys(r, tmp):
    if not check(bool(os.environ.get("DISPLAY")), "keys: runs under Xvfb (DISPLAY set)"):
        return
    clip = make_redblue(tmp)
    png = os.path.join(tmp, "keys.png")
    p = Interactive(r, ["--size", "320x240", "--screenshot", png, "--stats", clip])
    if check(p.wait_playing(1), "keys: the player starts playing"):
        x = XTest()
        x.move(160, 140)  # over the window (no window manager: it is at 0,0)
        time.sleep(0.3)
        for name, shift, pause in (("space", False, 0.4), ("Left", False, 0.6),
                                   ("Right", True, 0.6), ("period", False, 0.6),
                                   ("comma", False, 0.6), ("comma", False, 0.6),
                                   ("i", False, 0.3), ("i", False, 0.3),
                                   ("f", False, 0.5), ("f", False, 0.5), ("q", False, 0)):
            x.key(name, shift)
            time.sleep(pause)
        x.close()
    rc, out, err = p.finish("keys")
    no_crash(rc, err, "keys")
    check(rc == 0, "keys: exit 0 (got %d)" % rc)
    kv = parse_kv(out)
    print("# " + " ".join("%s=%s" % i for i in sorted(kv.items())))
    check(kv.get("leaked_objects") == "0", "keys: leaked_objects=0")
    pos = int(kv.get("position_ms", "-1"))
    # 1 s (the first blue frame), one frame on (1.033), two back: the last
    # red frame, exactly (a millisecond of rounding)
    check(abs(pos - 967) <= 1, "keys: paused, seeked to 1 s, one frame on, two back: "
          "position %d ms (want 967)" % pos)
    centre_colour_is(png, (220, 40, 40), "keys (the last red frame)")

    # seeking past the end shows the last frame, not a stale one
    png = os.path.join(tmp, "keys-end.png")
    p = Interactive(r, ["--size", "320x240", "--screenshot", png, "--stats", clip])
    if check(p.wait_playing(1), "keys (end): the player starts playing"):
        x = XTest()
        x.move(160, 140)
        time.sleep(0.3)
        for name, shift, pause in (("space", False, 0.4), ("Right", False, 0.8),
                                   ("Right", False, 0.8), ("q", False, 0)):
            x.key(name, shift)
            time.sleep(pause)
        x.close()
    rc, out, err = p.finish("keys (end)")
    no_crash(rc, err, "keys (end)")
    kv = parse_kv(out)
    pos = int(kv.get("position_ms", "-1"))
    check(rc == 0 and kv.get("leaked_objects") == "0", "keys (end): exit 0, nothing leaked")
    check(abs(pos - 5967) <= 1, "keys (end): Right past the end shows the last frame: "
          "position %d ms (want 5967)" % pos)
    centre_colour_is(png, (50, 90, 235), "keys (end: the last, blue frame)")


def case_paused(r, tmp):
    """Nothing is presented while paused: the count logged at the pause is
    the final one (a frame already on its way at the pause may still come:
    one allowed). Playing on would present ~45 more in the 1.5 s waited."""
    if not check(bool(os.environ.get("DISPLAY")), "paused: runs under Xvfb (DISPLAY set)"):
        return
    clip = make_redblue(tmp)  # 6 s
    p = Interactive(r, ["--size", "320x240", "--stats", clip])
    at_pause = None
    if check(p.wait_playing(1), "paused: the player starts playing"):
        x = XTest()
        x.move(160, 140)
        time.sleep(1.5)  # frames presented (a cold shader cache may stall the start)
        x.key("space")
        m = p.wait_line(r"state: paused at \S+, presented=(\d+)", 10)
        if check(m is not None, "paused: the pause is logged"):
            at_pause = int(m.group(1))
        time.sleep(1.5)
        x.key("q")
        x.close()
    rc, out, err = p.finish("paused")
    no_crash(rc, err, "paused")
    check(rc == 0, "paused: exit 0 (got %d)" % rc)
    kv = parse_kv(out)
    print("# " + " ".join("%s=%s" % i for i in sorted(kv.items())))
    check(kv.get("leaked_objects") == "0", "paused: leaked_objects=0")
    if at_pause is not None:
        final = int(kv.get("presented", "-1"))
        check(at_pause > 0, "paused: frames were presented before the pause (%d)" % at_pause)
        check(at_pause <= final <= at_pause + 1,
              "paused: nothing presented while paused (%d at the pause, %d at the end)" %
              (at_pause, final))


# ---- sound --------------------------------------------------------------------

REC_RATE = 44100  # the null sink's rate: parec records without resampling


class PulseServer:
    """A private PulseAudio daemon: its own runtime directory and HOME, a
    null sink, the native protocol on a socket in the test's directory;
    stopped by stop()."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "pulse")
        os.makedirs(self.dir, mode=0o700)
        self.socket = os.path.join(self.dir, "native")
        self.server = "unix:" + self.socket
        self.env = dict(os.environ)
        self.env.update({"XDG_RUNTIME_DIR": self.dir, "PULSE_RUNTIME_PATH": self.dir,
                         "HOME": self.dir, "PULSE_SERVER": self.server})
        self.env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        cmd = ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=60",
               "--use-pid-file=no", "--log-target=stderr", "--log-level=error",
               "-L", "module-null-sink sink_name=null rate=%d" % REC_RATE,
               "-L", "module-native-protocol-unix auth-anonymous=1 socket=" + self.socket]
        print("$ " + " ".join(cmd), flush=True)
        self.log = open(os.path.join(tmp, "pulse.log"), "w")
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=self.log, stderr=self.log)
        end = time.monotonic() + 15
        while time.monotonic() < end and self.proc.poll() is None:
            if subprocess.run(["pactl", "info"], env=self.env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0:
                break
            time.sleep(0.1)
        self.ok = self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Recorder:
    """parec on the null sink's monitor, mono s16 at REC_RATE. Each block
    read is stamped with time.monotonic() (CLOCK_MONOTONIC, the clock of
    the player's --trace-frames): a block arrives after its last sample was
    captured, so the earliest (arrival - samples so far / rate) over all
    blocks is the capture time of sample 0, to a few ms (low latency
    recording: 5 ms fragments)."""

    def __init__(self, env):
        cmd = ["parec", "-d", "null.monitor", "--raw", "--format=s16le",
               "--rate=%d" % REC_RATE, "--channels=1", "--latency-msec=5"]
        print("$ " + " ".join(cmd), flush=True)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)
        self.buf = bytearray()
        self.t0 = None
        self.thread = threading.Thread(target=self._read)
        self.thread.start()

    def _read(self):
        fd = self.proc.stdout.fileno()
        while True:
            b = os.read(fd, 2048)
            if not b:
                break
            now = time.monotonic()
            self.buf += b
            est = now - (len(self.buf) // 2) / REC_RATE
            if self.t0 is None or est < self.t0:
                self.t0 = est

    def stop(self):
        self.proc.terminate()
        self.thread.join()
        self.proc.wait()
        n = len(self.buf) // 2
        self.samples = struct.unpack("<%dh" % n, bytes(self.buf[:2 * n]))
        print("# recorded %.2f s" % (n / REC_RATE), flush=True)

    def index(self, t):
        return max(0, min(len(self.samples), int((t - self.t0) * REC_RATE)))

    def peak(self, t1, t2):
        s = self.samples[self.index(t1):self.index(t2)]
        return max((abs(v) for v in s), default=0)

    def rms(self, t1, t2):
        s = self.samples[self.index(t1):self.index(t2)]
        return (sum(v * v for v in s) / len(s)) ** 0.5 if s else 0.0

    def onsets(self, threshold=6000, quiet_ms=200):
        """Times of the beeps' starts: the first sample over `threshold`
        after at least `quiet_ms` under it (the 200 Hz tone peaks at ~650)."""
        w = REC_RATE // 1000
        s = self.samples
        out, quiet = [], quiet_ms
        for i in range(0, len(s) - w, w):
            if max(abs(v) for v in s[i:i + w]) > threshold:
                if quiet >= quiet_ms:
                    j = i
                    while abs(s[j]) <= threshold:
                        j += 1
                    out.append(self.t0 + j / REC_RATE)
                quiet = 0
            else:
                quiet += 1
        return out


def make_beeps(tmp, seconds=12):
    """30 fps; white for 0.1 s from each whole second, black otherwise; the
    sound: a 1 kHz beep (0.5) for the same 0.1 s over a 200 Hz tone (0.02)."""
    clip = os.path.join(tmp, "beeps.mp4")
    ffmpeg(["-f", "lavfi", "-i",
            "color=c=black:s=160x120:r=30:d=%d,drawbox=x=0:y=0:w=iw:h=ih:c=white:t=fill:"
            "enable='lt(mod(t\\,1)\\,0.1)'" % seconds,
            "-f", "lavfi", "-i",
            "aevalsrc='0.02*sin(2*PI*200*t)+if(lt(mod(t\\,1)\\,0.1)\\,"
            "0.5*sin(2*PI*1000*t)\\,0)':s=48000:d=%d" % seconds,
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "128k", "-shortest", clip], tmp)
    return clip


def flashes_shown(out):
    """Monotonic times (s) of the frames that turned the picture white,
    from --trace-frames; the first frame shown (before playing) is left
    out."""
    times, prev = [], None
    for m in re.finditer(r"^frame t_us=(\d+) luma=(-?\d+)", out, re.M):
        t, luma = int(m.group(1)) / 1e6, int(m.group(2))
        if prev is not None and luma > 128 and prev < 64:
            times.append(t)
        prev = luma
    return times


SYNC_TOLERANCE_S = 0.034  # one frame at 30 fps


def case_audio(r, tmp):
    if not check(bool(os.environ.get("DISPLAY")), "audio: runs under Xvfb (DISPLAY set)"):
        return
    clip = make_beeps(tmp)
    for tool in ("pulseaudio", "parec", "pactl"):
        if not check(shutil.which(tool) is not None,
                     "audio: '%s' is installed (scripts/deps.sh installs pulseaudio and "
                     "pulseaudio-utils)" % tool):
            return
    pulse = PulseServer(tmp)
    try:
        if check(pulse.ok, "audio: a private PulseAudio daemon starts"):
            audio_runs(r, tmp, clip, pulse)
    finally:
        pulse.stop()


def audio_runs(r, tmp, clip, pulse):
    # the sound ends first (1.5 s of sound, 4 s of video): the video clock
    # takes over and the picture plays to its end
    short = os.path.join(tmp, "short-sound.mp4")
    ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30:d=4", "-f", "lavfi", "-i",
            "sine=frequency=440:sample_rate=48000:d=1.5", "-c:v", "libx264", "-preset",
            "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", short], tmp)
    rc, out, err, dt = r.run(["--frames", "1000", "--stats", short],  # to the end
                             env={"PULSE_SERVER": pulse.server})
    no_crash(rc, err, "audio (sound shorter than the video)")
    kv = parse_kv(out)
    # (late frames may be dropped on a loaded machine: the position tells)
    check(rc == 0 and int(kv.get("position_ms", "0")) >= 3800 and kv.get("audio") == "playing",
          "audio: the sound ends 2.5 s before the picture, which plays to its end all the same "
          "(exit %d, position %s ms, presented %s, audio %s)" %
          (rc, kv.get("position_ms"), kv.get("presented"), kv.get("audio")))
    check(kv.get("clock") == "video", "audio: the video clock took over at the sound's end")
    # an audio stream no decoder reads (its Matroska codec id renamed): the
    # video plays alone, the decoder's one warning says why
    bad = os.path.join(tmp, "bad-sound.mkv")
    ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30:d=1", "-f", "lavfi", "-i",
            "sine=d=1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-c:a", "pcm_s16le", bad], tmp)
    with open(bad, "rb") as f:
        data = f.read()
    check(data.count(b"A_PCM/INT/LIT") == 1, "audio: the codec id to rename is there")
    with open(bad, "wb") as f:
        f.write(data.replace(b"A_PCM/INT/LIT", b"A_XYZ/INT/LIT"))
    rc, out, err, dt = r.run(["--frames", "1000", "--stats", bad],
                             env={"PULSE_SERVER": pulse.server})
    no_crash(rc, err, "audio (undecodable sound)")
    kv = parse_kv(out)
    n = len([l for l in err.splitlines()
             if l.startswith("glvf-player:") and "cannot be played" in l])
    # (the area output drops late frames on a loaded machine: it plays to
    # its last frame, which is the point)
    played = (int(kv.get("presented", "0")) >= 25 if r.output == "paintable" else
              int(kv.get("presented", "0")) > 0 and int(kv.get("position_ms", "0")) >= 900)
    check(rc == 0 and played and kv.get("audio") == "failed",
          "audio: an undecodable sound: the video plays alone (exit %d, presented %s, "
          "position %s ms, audio %s)" % (rc, kv.get("presented"), kv.get("position_ms"),
                                        kv.get("audio")))
    check(n == 1, "audio: one glvf-player line says the sound cannot be played (%d)" % n)
    rec = Recorder(pulse.env)
    marks = {}
    rc, out, err = -1, "", ""
    try:
        time.sleep(0.3)
        p = Interactive(r, ["--size", "320x240", "--stats", "--trace-frames", clip],
                        env={"PULSE_SERVER": pulse.server})
        if check(p.wait_playing(1), "audio: the player starts playing"):
            x = XTest()
            x.move(160, 140)
            marks["start"] = time.monotonic()
            time.sleep(4.0)  # the first picture may take a second on a loaded machine
            marks["seek"] = time.monotonic()
            x.key("Right", True)  # +1 s
            time.sleep(3.0)
            marks["pause"] = time.monotonic()
            x.key("space")
            time.sleep(1.5)
            marks["resume"] = time.monotonic()
            x.key("space")
            time.sleep(3.0)
            marks["mute"] = time.monotonic()
            x.key("m")
            time.sleep(1.2)
            marks["quit"] = time.monotonic()
            x.key("q")
            x.close()
        rc, out, err = p.finish("audio")
    finally:
        time.sleep(0.2)
        rec.stop()
    no_crash(rc, err, "audio")
    check(rc == 0, "audio: exit 0 (got %d)" % rc)
    kv = parse_kv(out)
    print("# " + " ".join("%s=%s" % i for i in sorted(kv.items()) if i[0] not in ("t_us", "luma")))
    check(kv.get("leaked_objects") == "0", "audio: leaked_objects=0")
    check(kv.get("audio") == "playing", "audio: audio=playing (got %s)" % kv.get("audio"))
    check(kv.get("audio_codec") == "aac", "audio: audio_codec=aac")
    check(kv.get("clock") == "audio", "audio: clock=audio (got %s)" % kv.get("clock"))
    check(kv.get("muted") == "yes", "audio: muted=yes after m")
    check("no sound server" not in err, "audio: no 'no sound server' line")
    if len(marks) < 6 or rec.t0 is None:
        check(False, "audio: the whole key sequence ran and sound was recorded")
        return
    # the sound flows while playing, stops while paused and while muted
    playing_rms = rec.rms(marks["start"] + 0.5, marks["seek"] - 0.2)
    paused_peak = rec.peak(marks["pause"] + 0.4, marks["resume"] - 0.05)
    resumed_rms = rec.rms(marks["resume"] + 0.5, marks["mute"] - 0.1)
    muted_peak = rec.peak(marks["mute"] + 0.4, marks["quit"] - 0.05)
    print("# sound: rms %.0f playing, peak %d paused, rms %.0f resumed, peak %d muted" %
          (playing_rms, paused_peak, resumed_rms, muted_peak))
    check(playing_rms > 200, "audio: the sound flows while playing (rms %.0f)" % playing_rms)
    check(paused_peak < 50, "audio: silence while paused (peak %d)" % paused_peak)
    check(resumed_rms > 200, "audio: the sound flows again after resuming (rms %.0f)" %
          resumed_rms)
    check(muted_peak < 50, "audio: silence while muted (peak %d)" % muted_peak)
    # A/V sync: each flash against the nearest beep
    beeps = rec.onsets()
    flashes = flashes_shown(out)
    print("# %d beeps recorded, %d flashes shown" % (len(beeps), len(flashes)))
    phases = {"before the seek": [], "after the seek": [], "after the resume": []}
    for f in flashes:
        if not beeps:
            break
        b = min(beeps, key=lambda t: abs(t - f))
        off = f - b
        # a flash within 0.3 s after a key may be from either side of it
        phase = ("before the seek" if f < marks["seek"] else
                 "after the seek" if marks["seek"] + 0.3 < f < marks["pause"] else
                 "after the resume" if marks["resume"] + 0.3 < f < marks["mute"] else None)
        print("# flash at %.3f s, beep at %.3f s: offset %+.1f ms (%s)" %
              (f - marks["start"], b - marks["start"], off * 1000, phase or "not counted"))
        if phase:
            phases[phase].append(off)
    for phase, offs in phases.items():
        if not check(len(offs) >= 1, "audio: flashes shown %s (%d)" % (phase, len(offs))):
            continue
        worst = max(offs, key=abs)
        mean = sum(offs) / len(offs)
        print("# %s: offsets mean %+.1f ms, worst %+.1f ms over %d flashes" %
              (phase, mean * 1000, worst * 1000, len(offs)))
        check(abs(worst) <= SYNC_TOLERANCE_S,
              "audio: picture and sound within one frame %s (worst %+.1f ms)" %
              (phase, worst * 1000))


def case_nosound(r, tmp):
    clip = make_beeps(tmp, 3)
    none = {"PULSE_SERVER": "unix:" + os.path.join(tmp, "no-such-dir", "native")}
    rc, out, err, _ = r.run(["--frames", "30", "--stats", clip], env=none)
    no_crash(rc, err, "nosound")
    check(rc == 0, "nosound: exit 0 (got %d)" % rc)
    kv = parse_kv(out)
    # (on a loaded machine, under ASan, the area output may drop late frames
    # up to the clip's end: it plays, which is the point)
    check(int(kv.get("presented", "0")) > 0, "nosound: frames presented (%s)" %
          kv.get("presented"))
    check(kv.get("leaked_objects") == "0", "nosound: leaked_objects=0")
    line = "glvf-player: no sound server: playing without sound"
    check(err.count(line) == 1, "nosound: the one line '%s' (%d)" % (line, err.count(line)))
    check(kv.get("audio") == "no-server", "nosound: audio=no-server")
    check(kv.get("clock") == "video", "nosound: clock=video")
    # a clip without sound
    rc, out, err, _ = r.run(["--frames", "10", "--stats", make_blocks(tmp)], env=none)
    no_crash(rc, err, "nosound (no audio stream)")
    kv = parse_kv(out)
    check(rc == 0 and "no sound server" not in err,
          "nosound: a clip without audio: exit 0, no sound line")
    check(kv.get("audio") == "none", "nosound: audio=none")
    # --no-audio
    rc, out, err, _ = r.run(["--no-audio", "--frames", "10", "--stats", clip], env=none)
    no_crash(rc, err, "nosound (--no-audio)")
    kv = parse_kv(out)
    check(rc == 0 and "no sound server" not in err, "nosound: --no-audio: exit 0, no sound line")
    check(kv.get("audio") == "disabled", "nosound: --no-audio: audio=disabled")


def case_chooser(r, tmp):
    """o opens the file chooser; typing a path (the location entry) and
    Return opens that file, which then plays to its end (automation: the
    player quits there)."""
    if not check(bool(os.environ.get("DISPLAY")), "chooser: runs under Xvfb (DISPLAY set)"):
        return
    if asan_build(r.player):
        # This case drives GTK's own file chooser, which now and then leaks
        # a small GLib allocation (17 bytes, its stack cut at g_malloc: GLib
        # has no frame pointers; full unwinding makes the chooser too slow
        # to open in time). Leak detection is off for this case only;
        # ASan's memory-error checks stay on, and every other case keeps
        # LeakSanitizer on the player's and glvf's code.
        opts = r.env.get("ASAN_OPTIONS", "")
        r.env["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "detect_leaks=0"
    clip = make_redblue(tmp)
    green = os.path.join(tmp, "green.mkv")
    ffmpeg(["-f", "lavfi", "-i", "color=c=0x28c83c:s=160x120:r=30:d=1", "-c:v", "ffv1",
            "-pix_fmt", "yuv420p", green], tmp)
    png = os.path.join(tmp, "chooser.png")
    p = Interactive(r, ["--size", "320x240", "--screenshot", png, "--stats", clip])
    if check(p.wait_playing(1), "chooser: the player starts playing"):
        x = XTest()
        x.move(160, 140)
        time.sleep(0.3)
        x.key("space")  # pause: the first clip must not end meanwhile
        time.sleep(0.3)
        before = x.viewable_windows()
        x.key("o")
        # typing before the dialog is up would send the path's letters to
        # the player's own keys
        check(x.wait_windows(before + 1, 30), "chooser: the file chooser opens (%d -> %d windows)"
              % (before, x.viewable_windows()))
        time.sleep(1.0)  # mapped; let it take the focus and draw
        x.type(green)
        time.sleep(0.5)
        x.key("Return")
        check(p.wait_playing(2, 30), "chooser: the chosen file plays")
        x.close()
    rc, out, err = p.finish("chooser")
    no_crash(rc, err, "chooser")
    check(rc == 0, "chooser: exit 0 (got %d)" % rc)
    check("playing '%s'" % green in err, "chooser: the file typed was opened")
    kv = parse_kv(out)
    check(kv.get("leaked_objects") == "0", "chooser: leaked_objects=0")
    centre_colour_is(png, (40, 200, 60), "chooser (the green clip's end)")


def case_fullscreen(r, tmp):
    if not check(bool(os.environ.get("DISPLAY")), "fullscreen: runs under Xvfb (DISPLAY set)"):
        return
    clip = os.path.join(tmp, "long.mkv")  # 30 s: it must not end meanwhile
    ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=160x120:r=30:d=30", "-c:v", "ffv1",
            "-pix_fmt", "yuv420p", clip], tmp)
    p = Interactive(r, ["--fullscreen", "--size", "320x240", "--stats", clip])
    hidden, shown = r"ui: controls hidden", r"ui: controls shown"
    if check(p.wait_playing(1), "fullscreen: the player starts playing"):
        x = XTest()
        check(p.wait_count(r"ui: fullscreen on", 1, 10), "fullscreen: the window is fullscreen")
        # no motion: hidden 2 s after the last one (the generous waits are
        # for a loaded machine and sanitizer builds, not the behaviour)
        check(p.wait_count(hidden, 1, 20), "fullscreen: the controls hide while playing")
        # Xvfb has no window manager: the window stays at 0,0 at its size
        # (GTK still reports it fullscreen), so the pointer stays inside it,
        # above the controls
        x.move(100, 80)
        check(p.wait_count(shown, 1, 10), "fullscreen: pointer motion shows the controls")
        t0 = time.monotonic()
        check(p.wait_count(hidden, 2, 20), "fullscreen: ... and they hide again")
        waited = time.monotonic() - t0
        check(waited >= 1.5, "fullscreen: not before about 2 s (%.2f s)" % waited)
        before = x.viewable_windows()
        x.key("question", shift=True)
        check(x.wait_windows(before + 1, 10), "fullscreen: ? opens the shortcuts window "
              "(%d -> %d windows)" % (before, x.viewable_windows()))
        time.sleep(0.5)
        x.key("Escape")
        end = time.monotonic() + 5
        while time.monotonic() < end and x.viewable_windows() > before:
            time.sleep(0.1)
        check(x.viewable_windows() == before, "fullscreen: Escape closes the shortcuts window")
        x.move(120, 90)
        x.key("space")  # pause: the controls come back and stay
        check(p.wait_line(r"state: paused", 5) is not None, "fullscreen: paused")
        n_hidden = p.count_lines(hidden)
        time.sleep(2.8)
        check(p.count_lines(hidden) == n_hidden and
              p.count_lines(shown) >= p.count_lines(hidden),
              "fullscreen: paused, the controls stay shown")
        # (leaving fullscreen needs a window manager, which Xvfb lacks:
        # GTK asks it and the state never changes here)
        x.key("q")
        x.close()
    rc, out, err = p.finish("fullscreen")
    no_crash(rc, err, "fullscreen")
    check(rc == 0, "fullscreen: exit 0 (got %d)" % rc)
    kv = parse_kv(out)
    check(kv.get("leaked_objects") == "0", "fullscreen: leaked_objects=0")


def open_blocked(r, files, label):
    """Starts the player on FILES (the first a FIFO nobody writes to) and
    waits for its window and its "Opening never.fifo..." state; the pointer
    over the window. Returns the Interactive player and the XTest."""
    p = Interactive(r, ["--size", "320x240", "--stats"] + files)
    x = XTest()
    check(x.wait_windows(1, 30), "%s: the window opens" % label)
    check(p.wait_line(r"ui: Opening never\.fifo", 15) is not None,
          "%s: 'Opening never.fifo...' is shown" % label)
    x.move(100, 80)
    time.sleep(0.3)
    return p, x


def case_fifo(r, tmp):
    """Closing the window while a file is still opening: a FIFO nobody
    writes to blocks the open in the kernel; q must still end the player at
    once (the open runs on a thread nobody joins)."""
    if not check(bool(os.environ.get("DISPLAY")), "fifo: runs under Xvfb (DISPLAY set)"):
        return
    fifo = os.path.join(tmp, "never.fifo")
    os.mkfifo(fifo)
    p, x = open_blocked(r, [fifo], "fifo")
    t0 = time.monotonic()
    x.key("q")
    x.close()
    rc, out, err = p.finish("fifo", timeout=20)
    dt = time.monotonic() - t0
    print("# fifo: exited %.2f s after q" % dt)
    no_crash(rc, err, "fifo")
    check(rc == 0, "fifo: exit 0 (got %d)" % rc)
    # under ASan the exit itself includes LeakSanitizer's scan (seconds);
    # blocking on the open would last forever (area) or the 5 s the player
    # gives its workers (paintable, with "still running")
    limit = 10 if asan_build(r.player) else 3
    check(dt < limit, "fifo: the player ends at once (%.2f s, limit %d s)" % (dt, limit))
    check("still running" not in err, "fifo: no worker left running")
    kv = parse_kv(out)
    check(kv.get("leaked_objects") == "0", "fifo: leaked_objects=0")
    # opening the next file while the FIFO's open still blocks: at once
    clip = os.path.join(tmp, "after-fifo.mkv")
    ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=160x120:r=30:d=20", "-c:v", "ffv1", "-pix_fmt",
            "yuv420p", clip], tmp)
    p, x = open_blocked(r, [fifo, clip], "fifo next")
    t0 = time.monotonic()
    x.key("n")
    playing = p.wait_playing(1, 15)
    dt = time.monotonic() - t0
    print("# fifo: the next file played %.2f s after n" % dt)
    check(playing and dt < (10 if asan_build(r.player) else 3),
          "fifo next: n opens and plays the next file at once (%.2f s)" % dt)
    x.key("q")
    x.close()
    rc, out, err = p.finish("fifo next", timeout=20)
    no_crash(rc, err, "fifo next")
    check(rc == 0, "fifo next: exit 0 (got %d)" % rc)
    check(parse_kv(out).get("leaked_objects") == "0", "fifo next: leaked_objects=0")


def free_port():
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def case_url(r, tmp):
    """URLs: a clip served over HTTP by a local server plays; a 404, a
    refused connection and a server that accepts and never answers each end
    the run with exit 1 and a glvf-player: line naming the URL and the
    reason in words."""
    clip = os.path.join(tmp, "served.mkv")
    ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=160x120:r=30:d=2", "-c:v", "ffv1",
            "-pix_fmt", "yuv420p", clip], tmp)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                               "127.0.0.1", "--directory", tmp],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stall = socket.socket()
    stall.bind(("127.0.0.1", 0))
    stall.listen(4)  # connections complete in the kernel; nobody answers
    try:
        base = "http://127.0.0.1:%d/" % port
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        rc, out, err, dt = r.run(["--frames", "10", "--stats", base + "served.mkv"])
        no_crash(rc, err, "url")
        kv = parse_kv(out)
        check(rc == 0 and kv.get("presented") == "10",
              "url: a clip over HTTP plays (exit %d, presented %s)" % (rc, kv.get("presented")))
        check(kv.get("leaked_objects") == "0", "url: leaked_objects=0")
        bad = [
            (base + "missing.mkv", "404", []),
            ("http://127.0.0.1:%d/x.mkv" % free_port(), "Connection refused", []),
            ("http://127.0.0.1:%d/x.mkv" % stall.getsockname()[1], "timed out",
             ["--network-timeout", "2"]),
        ]
        for url, reason, extra in bad:
            rc, out, err, dt = r.run(extra + ["--frames", "10", "--stats", url])
            no_crash(rc, err, "url " + reason)
            print("# %s: exit %d after %.1f s" % (url, rc, dt))
            check(rc == 1, "url (%s): exit 1 (got %d)" % (reason, rc))
            lines = [l for l in err.splitlines()
                     if l.startswith("glvf-player:") and url in l and reason in l]
            check(len(lines) >= 1, "url (%s): a glvf-player: line names the URL and the reason"
                  % reason)
            check("Invalid argument" not in err, "url (%s): not 'Invalid argument'" % reason)
            check(parse_kv(out).get("leaked_objects") == "0",
                  "url (%s): leaked_objects=0" % reason)
    finally:
        stall.close()
        server.terminate()
        server.wait()


def case_playlist(r, tmp):
    """Several FILEs: each starts when the one before ends (automation
    ends at the last one's end: the screenshot shows the last clip); n and
    p move through the playlist."""
    clips = []
    for name, colour in (("one", "0xdc2828"), ("two", "0x28c83c"), ("three", "0x325aeb")):
        c = os.path.join(tmp, name + ".mkv")
        ffmpeg(["-f", "lavfi", "-i", "color=c=%s:s=160x120:r=30:d=0.5" % colour, "-c:v", "ffv1",
                "-pix_fmt", "yuv420p", c], tmp)
        clips.append(c)
    png = os.path.join(tmp, "playlist.png")
    rc, out, err, dt = r.run(["--verbose", "--size", "320x240", "--screenshot", png, "--stats"]
                             + clips)
    no_crash(rc, err, "playlist")
    check(rc == 0, "playlist: exit 0 (got %d)" % rc)
    for i in (1, 2, 3):
        check("playlist: %d of 3" % i in err, "playlist: file %d of 3 played" % i)
    for c in clips:
        check("playing '%s'" % c in err, "playlist: %s opened" % os.path.basename(c))
    check(parse_kv(out).get("leaked_objects") == "0", "playlist: leaked_objects=0")
    centre_colour_is(png, (50, 90, 235), "playlist (the last clip)")
    if not os.environ.get("DISPLAY"):
        return
    # n / p (interactive; longer clips so that none ends meanwhile)
    long_clips = []
    for name in ("a", "b"):
        c = os.path.join(tmp, name + ".mkv")
        ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=160x120:r=30:d=20", "-c:v", "ffv1",
                "-pix_fmt", "yuv420p", c], tmp)
        long_clips.append(c)
    p = Interactive(r, ["--size", "320x240", "--stats"] + long_clips)
    if check(p.wait_playing(1), "playlist keys: the first file plays"):
        x = XTest()
        x.move(100, 80)
        time.sleep(0.3)
        x.key("n")
        check(p.wait_count(r"playlist: 2 of 2", 1, 15), "playlist keys: n opens the next")
        check(p.wait_playing(2, 30), "playlist keys: ... which plays")
        x.key("p")
        check(p.wait_count(r"playlist: 1 of 2", 2, 15), "playlist keys: p goes back")
        x.key("q")
        x.close()
    rc, out, err = p.finish("playlist keys")
    no_crash(rc, err, "playlist keys")
    check(rc == 0, "playlist keys: exit 0 (got %d)" % rc)
    check(parse_kv(out).get("leaked_objects") == "0", "playlist keys: leaked_objects=0")


# ---- the window's size -----------------------------------------------------------

XVFB_W, XVFB_H = 1280, 1024  # tests/harness/xvfb-run.sh's screen


def wxh(s):
    m = re.match(r"^(\d+)x(\d+)$", s or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def make_rotated(tmp, src):
    """`src` with a display matrix turning it 90 degrees: -display_rotation
    (FFmpeg 6 and later) where the ffmpeg command has it, else the rotate
    tag (FFmpeg 5.1, stream copy); None when neither gives a matrix."""
    out = os.path.join(tmp, "rotated.mp4")
    for args in (["-display_rotation", "90", "-i", src, "-c", "copy", out],
                 ["-i", src, "-c", "copy", "-metadata:s:v:0", "rotate=90", out]):
        try:
            ffmpeg(args, tmp)
        except subprocess.CalledProcessError:
            continue
        p = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-select_streams", "v:0",
                            out], stdout=subprocess.PIPE, text=True)
        if re.search(r"^rotation=-?90\b", p.stdout, re.M):
            return out
    return None


def case_size(r, tmp):
    """The window opens at the first video's display size (sample aspect
    ratio and rotation applied), bounded by 90% of the screen; --size
    wins; no picture: 960x600. --stats says window= (the toplevel's size),
    video_widget= (the video widget's allocation) and display_size=."""
    sar = os.path.join(tmp, "sar.mkv")  # 320x240, pixels twice as wide as high
    ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=1", "-vf", "setsar=2",
            "-c:v", "ffv1", "-pix_fmt", "yuv420p", sar], tmp)
    upright = os.path.join(tmp, "upright.mp4")
    ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=640x480:r=30:d=1", "-c:v", "libx264", "-preset",
            "ultrafast", "-pix_fmt", "yuv420p", upright], tmp)
    huge = os.path.join(tmp, "huge.mkv")
    ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=4000x3000:r=30", "-frames:v", "3", "-c:v", "ffv1",
            "-pix_fmt", "yuv420p", huge], tmp)
    paintable = r.output == "paintable"

    def play(label, args, expect_rc=0, frames=["--frames", "3"]):
        png = os.path.join(tmp, "%s.png" % label)
        rc, out, err, dt = r.run(["--verbose"] + frames + ["--screenshot", png, "--stats"]
                                 + args)
        no_crash(rc, err, label)
        check(rc == expect_rc, "%s: exit %d (got %d)" % (label, expect_rc, rc))
        kv = parse_kv(out)
        print("# %s: window=%s video_widget=%s display_size=%s texture_size=%s" %
              (label, kv.get("window"), kv.get("video_widget"), kv.get("display_size"),
               kv.get("texture_size")))
        check(kv.get("leaked_objects") == "0", "%s: leaked_objects=0" % label)
        shot = read_png(png)[:2] if rc == 0 and os.path.exists(png) else None
        return kv, shot

    # SAR 2:1: the video widget is 640x240, the picture fills it
    kv, shot = play("sar", [sar])
    check(kv.get("display_size") == "640x240", "sar: display size 640x240 (%s)" %
          kv.get("display_size"))
    check(kv.get("video_widget") == "640x240", "sar: the video widget is 640x240 (%s)" %
          kv.get("video_widget"))
    win = wxh(kv.get("window"))
    check(win is not None and win[0] >= 640 and win[1] > 240 and win[1] < 240 + 200,
          "sar: the window holds the video and its controls (%s)" % kv.get("window"))
    if paintable:
        check(kv.get("texture_size") == "640x240", "sar: shown at 640x240, 1:1 (%s)" %
              kv.get("texture_size"))
    check(shot == (640, 240), "sar: the screenshot is 640x240 (%s)" % (shot,))

    # rotated 90 degrees (display matrix): a portrait window, the picture
    # turned (the screenshot is portrait too)
    rotated = make_rotated(tmp, upright)
    if check(rotated is not None, "rotated: ffmpeg wrote a display matrix"):
        kv, shot = play("rotated", [rotated])
        check(kv.get("display_size") == "480x640", "rotated: display size 480x640 (%s)" %
              kv.get("display_size"))
        check(kv.get("video_widget") == "480x640", "rotated: the video widget is 480x640 (%s)"
              % kv.get("video_widget"))
        check(shot == (480, 640), "rotated: the screenshot is portrait, 480x640 (%s)" % (shot,))

    # 4000x3000: bounded by 90% of the screen, 4:3 kept
    kv, shot = play("huge", [huge])
    win, vid = wxh(kv.get("window")), wxh(kv.get("video_widget"))
    if check(win is not None and vid is not None, "huge: sizes reported"):
        check(win[0] <= XVFB_W * 0.9 + 1 and win[1] <= XVFB_H * 0.9 + 1,
              "huge: the window fits 90%% of the %dx%d screen (%dx%d)" % (XVFB_W, XVFB_H, *win))
        check(win[1] >= XVFB_H * 0.9 - 2 or win[0] >= XVFB_W * 0.9 - 2,
              "huge: ... and fills it on one side (%dx%d)" % win)
        check(abs(vid[0] * 3 - vid[1] * 4) <= 8, "huge: the video widget is 4:3 (%dx%d)" % vid)

    # --size wins
    kv, shot = play("given", ["--size", "500x400", sar])
    check(kv.get("window") == "500x400", "given: --size 500x400 is the window's size (%s)" %
          kv.get("window"))
    check(kv.get("display_size") == "640x240", "given: the display size is known all the same")

    # no picture (an audio-only file: an error): the default size
    wav = os.path.join(tmp, "audio.wav")
    ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=1", wav], tmp)
    kv, shot = play("no-video", [wav], expect_rc=1)
    check(kv.get("window") == "960x600", "no-video: the default 960x600 (%s)" % kv.get("window"))

    # a playlist (each to its end): the first file sizes the window, the
    # second (640x480) does not
    kv, shot = play("playlist", [sar, upright], frames=[])
    check(kv.get("display_size") == "640x480", "playlist: the second file played (%s)" %
          kv.get("display_size"))
    check(kv.get("video_widget") == "640x240",
          "playlist: the first file's size stays for the second (%s)" % kv.get("video_widget"))


# ---- open/close cycles under LeakSanitizer --------------------------------------------

CYCLES = 200


def case_cycles(r, tmp):
    """CYCLES open/close cycles of one short clip with sound in one player
    process, through the whole window: the clip CYCLES times as a playlist
    (each file opens when the one before ends: a new GlvfMediaStream or
    decoder, its sound connected to a private PulseAudio daemon, played to
    its end, closed). Exit 0, every file played with its sound playing,
    leaked_objects=0; under ASan, LeakSanitizer finds nothing at
    exit (no_crash)."""
    clip = os.path.join(tmp, "cycle.mp4")
    ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=160x120:r=30:d=0.1", "-f", "lavfi", "-i",
            "sine=frequency=440:sample_rate=48000:d=0.1", "-c:v", "libx264", "-preset",
            "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", clip], tmp)
    for tool in ("pulseaudio", "parec", "pactl"):
        if not check(shutil.which(tool) is not None, "cycles: '%s' is installed" % tool):
            return
    pulse = PulseServer(tmp)
    if not check(pulse.ok, "cycles: a private PulseAudio daemon starts"):
        pulse.stop()
        return
    env = {"PULSE_SERVER": pulse.server}
    # an idle null sink falls back to its largest latency (~2 s), which
    # each new stream would wait out before its first sample is heard:
    # a low-latency recording of its monitor keeps it low, as a desktop's
    # sound card is
    rec = subprocess.Popen(["parec", "-d", "null.monitor", "--raw", "--latency-msec=5"],
                           stdout=subprocess.DEVNULL, env=pulse.env)
    try:
        png = os.path.join(tmp, "cycles.png")
        rc, out, err, dt = r.run(["--verbose", "--size", "320x240", "--screenshot", png,
                                  "--stats"] + [clip] * CYCLES, env=env, timeout=600,
                                 echo_stderr=False)
    finally:
        rec.terminate()
        rec.wait()
        pulse.stop()
    print("# %d cycles in %.1f s (%.0f ms each)" % (CYCLES, dt, dt * 1000 / CYCLES))
    no_crash(rc, err, "cycles")
    check(rc == 0, "cycles: exit 0 (got %d)" % rc)
    opened = len(re.findall(r"^glvf-player: playing '", err, re.M))
    check(opened == CYCLES, "cycles: %d files opened (%d)" % (CYCLES, opened))
    kv = parse_kv(out)
    check(kv.get("leaked_objects") == "0", "cycles: leaked_objects=0 (%s)" %
          kv.get("leaked_objects"))
    sound = len(re.findall(r"^glvf-player: playing '.*audio playing aac$", err, re.M))
    check(sound == CYCLES, "cycles: each with its sound playing (%d)" % sound)
    check(kv.get("audio") == "playing", "cycles: audio=playing (%s)" % kv.get("audio"))
    check(os.path.exists(png), "cycles: the last file was shown (screenshot)")


# ---- HDR ---------------------------------------------------------------------------

BT709_TO_BT2020 = [[0.6274, 0.3293, 0.0433], [0.0691, 0.9195, 0.0114], [0.0164, 0.0880, 0.8956]]


def pq_encode(nits):
    m1, m2 = 2610 / 16384, 2523 / 4096 * 128
    c1, c2, c3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
    y = (max(nits, 0.0) / 10000.0) ** m1
    return ((c1 + c2 * y) / (1 + c3 * y)) ** m2


def make_hdr10(tmp, max_cll):
    """The four BLOCKS as an HDR10 clip: each colour taken as BT.709 light
    with the BT.1886 gamma (what glvf shows), white at 203 nits, converted to
    BT.2020, PQ-encoded, BT.2020 limited-range 10-bit YUV written by hand and
    coded losslessly by libx265 with the HDR10 metadata."""
    w, h = 320, 240
    yuv = []
    for _, (r, g, b) in BLOCKS:
        lin = [(c / 255.0) ** 2.4 for c in (r, g, b)]
        l2020 = [sum(BT709_TO_BT2020[i][k] * lin[k] for k in range(3)) for i in range(3)]
        e = [pq_encode(v * 203.0) for v in l2020]
        y = 0.2627 * e[0] + 0.6780 * e[1] + 0.0593 * e[2]
        cb, cr = (e[2] - y) / 1.8814, (e[0] - y) / 1.4746
        yuv.append((round(64 + 876 * y), round(512 + 896 * cb), round(512 + 896 * cr)))

    def plane(idx, pw, ph):
        rows = bytearray()
        for yy in range(ph):
            half = 0 if yy < ph // 2 else 2
            row = bytearray()
            for xx in range(pw):
                v = yuv[half + (0 if xx < pw // 2 else 1)][idx]
                row += bytes((v & 0xff, v >> 8))
            rows += row
        return bytes(rows)

    frame = plane(0, w, h) + plane(1, w // 2, h // 2) + plane(2, w // 2, h // 2)
    raw = os.path.join(tmp, "hdr10.yuv")
    with open(raw, "wb") as f:
        f.write(frame * 10)
    path = os.path.join(tmp, "hdr10-%d.mkv" % max_cll)
    ffmpeg(["-f", "rawvideo", "-pix_fmt", "yuv420p10le", "-s", "%dx%d" % (w, h), "-r", "30",
            "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc",
            "-color_range", "tv", "-i", raw, "-c:v", "libx265", "-x265-params",
            "log-level=error:lossless=1:hdr10=1:colorprim=bt2020:transfer=smpte2084:"
            "colormatrix=bt2020nc:range=limited:max-cll=%d,100:master-display="
            "G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50)" % max_cll,
            path], tmp)
    return path


def case_hdr(r, tmp):
    """An HDR10 clip is tone-mapped without being asked: with MaxCLL 203
    (the SDR white) nothing is compressed and the blocks come back as the
    SDR colours they were made from; with MaxCLL 1000 BT.2390 compresses the
    highlights (darker, never black). The statistics name the path."""
    if b"libx265" not in subprocess.run(["ffmpeg", "-hide_banner", "-encoders"],
                                        capture_output=True).stdout:
        check(False, "hdr: ffmpeg has no libx265 encoder")
        return
    shots = {}
    for cll in (203, 1000):
        clip = make_hdr10(tmp, cll)
        png = os.path.join(tmp, "hdr-%d.png" % cll)
        rc, out, err, dt = r.run(["--size", "320x240", "--frames", "5", "--screenshot", png,
                                  "--stats", clip])
        no_crash(rc, err, "hdr %d" % cll)
        check(rc == 0, "hdr %d: exit 0 (got %d)" % (cll, rc))
        kv = parse_kv(out)
        colour = next((l[len("colour="):] for l in out.splitlines() if l.startswith("colour=")),
                      "")
        print("# MaxCLL %d: colour=%s" % (cll, colour))
        check(colour.startswith("bt2020/pq HDR, peak %d nits (MaxCLL)" % cll),
              "hdr %d: the statistics name the stream's colour and peak (%s)" % (cll, colour))
        check(("bt2390" in colour) == (cll > 203),
              "hdr %d: BT.2390 only when the peak is above the SDR white (%s)" % (cll, colour))
        check(kv.get("leaked_objects") == "0", "hdr %d: leaked_objects=0" % cll)
        if check(os.path.exists(png), "hdr %d: screenshot written" % cll):
            shots[cll] = png
    if 203 in shots:
        # 10-bit PQ code values: the dark channels come back within 5
        check_blocks_png(shots[203], "hdr 203", whole=r.output == "paintable", tolerance=5)
    if 203 in shots and 1000 in shots:
        _, _, a = read_png(shots[203])
        w, h, b = read_png(shots[1000])
        for i, (name, _) in enumerate(BLOCKS):
            x, y = (w // 4) * (1 + 2 * (i % 2)), (h // 4) * (1 + 2 * (i // 2))
            pa, pb = a[y][x][:3], b[y][x][:3]
            print("# %s: MaxCLL 203 %s, MaxCLL 1000 %s" % (name, pa, pb))
            check(max(pb) < max(pa) and max(pb) > 64,
                  "hdr: %s is compressed by BT.2390 at MaxCLL 1000 (%s vs %s), not black" %
                  (name, pb, pa))


# ---- the wall (--wall) ---------------------------------------------------------------

def make_solid_clips(tmp, seconds=10):
    """One clip per BLOCKS colour, solid, 160x120, FFV1 (lossless)."""
    paths = []
    for name, (r_, g, b) in BLOCKS:
        path = os.path.join(tmp, "%s.mkv" % name)
        ffmpeg(["-f", "lavfi", "-i", "color=c=0x%02x%02x%02x:s=160x120:r=30:d=%d" %
                (r_, g, b, seconds), "-c:v", "ffv1", "-pix_fmt", "yuv420p", path], tmp)
        paths.append(path)
    return paths


def wall_tiles(out):
    """The --stats lines of the tiles: {index: {key: value}}."""
    tiles = {}
    for line in out.splitlines():
        if line.startswith("tile="):
            kv = dict(re.findall(r"(\w+)=(\S+)", line))
            tiles[int(kv["tile"])] = kv
    return tiles


def check_wall_png(png, cols, rows, want, label):
    """`want[i]`: the RGB tile i shows (None: skip), in a cols x rows grid
    filling the image; the centre of each tile within COLOUR_TOLERANCE."""
    if not check(os.path.exists(png), "%s: screenshot written" % label):
        return
    w, h, px = read_png(png)
    print("# screenshot %dx%d" % (w, h))
    for i, colour in enumerate(want):
        if colour is None:
            continue
        cx = (i % cols) * w // cols + w // (2 * cols)
        cy = (i // cols) * h // rows + h // (2 * rows)
        got = px[cy][cx][:3]
        diff = max(abs(a - b) for a, b in zip(got, colour))
        check(diff <= COLOUR_TOLERANCE, "%s: tile %d's centre (%d,%d) is %s, want %s (off by %d)"
              % (label, i, cx, cy, got, colour, diff))


def check_wall_stats(out, n, frames, label, failed=()):
    kv = parse_kv(out)
    tiles = wall_tiles(out)
    print("# " + " ".join("%s=%s" % i for i in sorted(kv.items()) if not i[0].startswith("tile")))
    check(len(tiles) == n, "%s: a stats line for each of the %d tiles (%d)" % (label, n, len(tiles)))
    for i, t in sorted(tiles.items()):
        if i in failed:
            check(t.get("failed") == "yes", "%s: tile %d shows its error" % (label, i))
            continue
        check(t.get("failed") == "no" and int(t.get("presented", 0)) >= frames and
              int(t.get("painted", 0)) > 0 and t.get("upload_failures") == "0",
              "%s: tile %d played (presented=%s painted=%s, want >= %d)" %
              (label, i, t.get("presented"), t.get("painted"), frames))
    check(kv.get("output") == "wall", "%s: output=wall" % label)
    check(kv.get("tiles_failed") == str(len(failed)), "%s: tiles_failed=%d (%s)" %
          (label, len(failed), kv.get("tiles_failed")))
    check(kv.get("shared_workers") == "1", "%s: one shared worker (%s)" %
          (label, kv.get("shared_workers")))
    check(kv.get("worker_threads_started") == "1", "%s: one shared GL thread made (%s)" %
          (label, kv.get("worker_threads_started")))
    check(kv.get("glvf_contexts") == "1", "%s: one glvf context in the whole process (%s)" %
          (label, kv.get("glvf_contexts")))
    check(kv.get("context_destroyed") == "yes", "%s: every worker ended" % label)
    check(kv.get("leaked_objects") == "0", "%s: leaked_objects=0 (%s)" %
          (label, kv.get("leaked_objects")))
    return kv


def case_wall(r, tmp):
    """16 tiles (4 clips, each used 4 times, shifted per row) for 60 frames
    each; then 4 tiles, one of them a bad file; then the usage errors."""
    clips = make_solid_clips(tmp)
    order = [(i + i // 4) % 4 for i in range(16)]
    png = os.path.join(tmp, "wall16.png")
    rc, out, err, dt = r.run(["--wall", "--size", "640x480", "--frames", "60", "--stats",
                              "--screenshot", png] + [clips[k] for k in order], timeout=120)
    no_crash(rc, err, "wall16")
    check(rc == 0, "wall16: exit 0 (got %d)" % rc)
    kv = check_wall_stats(out, 16, 60, "wall16")
    check(kv.get("worker_paintables_max") == "16", "wall16: the 16 tiles on the worker at once (%s)"
          % kv.get("worker_paintables_max"))
    check_wall_png(png, 4, 4, [BLOCKS[k][1] for k in order], "wall16")

    bad = os.path.join(tmp, "bad.mkv")
    with open(bad, "w") as f:
        f.write("not a video\n")
    png = os.path.join(tmp, "wall-bad.png")
    files = [clips[0], bad, clips[2], clips[3]]
    rc, out, err, dt = r.run(["--wall", "--size", "320x240", "--frames", "30", "--stats",
                              "--screenshot", png] + files)
    no_crash(rc, err, "wall-bad")
    check(rc == 0, "wall-bad: exit 0, the other tiles played (got %d)" % rc)
    check_wall_stats(out, 4, 30, "wall-bad", failed=(1,))
    check(any(l.startswith("glvf-player: tile 1:") and "bad.mkv" in l for l in err.splitlines()),
          "wall-bad: 'glvf-player: tile 1: ...' names the bad file")
    check_wall_png(png, 2, 2, [BLOCKS[0][1], (130, 20, 20), BLOCKS[2][1], BLOCKS[3][1]],
                   "wall-bad")

    for label, args, expect in [
            ("wall-area", ["--output", "area", "--wall", clips[0]], "--output paintable"),
            ("wall-nofile", ["--wall"], "at least one FILE"),
            ("wall-benchmark", ["--wall", "--benchmark", clips[0]], "--benchmark")]:
        rc, out, err, dt = r.run(args, display=False)
        check(rc == 2, "%s: exit 2 (got %d)" % (label, rc))
        check(any(l.startswith("glvf-player:") and expect in l for l in err.splitlines()),
              "%s: the message says %r" % (label, expect))


def case_wall_click(r, tmp):
    """(one Xvfb) 4 tiles; a click on the bottom right one plays it alone,
    a click brings the grid back; a click on the top left one, Escape back;
    q: exit 0, every tile played, one glvf context, nothing leaked."""
    if not check(bool(os.environ.get("DISPLAY")), "wall-click: runs under Xvfb (DISPLAY set)"):
        return
    clips = make_solid_clips(tmp, seconds=30)
    png = os.path.join(tmp, "after.png")
    # a frame limit never reached: only q ends it (and writes the screenshot)
    p = Interactive(r, ["--wall", "--size", "320x240", "--frames", "1000000", "--stats",
                        "--screenshot", png] + clips)
    x = XTest()
    ok = check(x.wait_windows(1, 30), "wall-click: the window opens")
    ok = ok and check(p.wait_count(r"wall: tile \d playing", 4, 30), "wall-click: 4 tiles play")
    if ok:
        time.sleep(1)
        for n, (tile, cx, cy, back) in enumerate([(3, 240, 180, "click"), (0, 80, 60, "Escape")]):
            x.click(cx, cy)
            check(p.wait_count(r"wall: tile %d alone" % tile, 1, 10),
                  "wall-click: a click plays tile %d alone" % tile)
            time.sleep(1.5)
            if back == "click":
                x.click(160, 120)
            else:
                x.key("Escape")
            m = p.wait_line(r"wall: grid \(tile %d showed (\d+) frames alone\)" % tile, 10)
            if check(m is not None, "wall-click: %s goes back to the grid" % back):
                check(int(m.group(1)) > 0, "wall-click: tile %d showed frames alone (%s)" %
                      (tile, m.group(1)))
        time.sleep(1)
        x.key("q")
    x.close()
    rc, out, err = p.finish("wall-click")
    no_crash(rc, err, "wall-click")
    check(rc == 0, "wall-click: exit 0 (got %d)" % rc)
    kv = check_wall_stats(out, 4, 1, "wall-click")
    # the stream playing alone came and went on the same worker and context
    check(kv.get("worker_paintables_max") == "5", "wall-click: the alone stream joined the 4 "
          "tiles on the worker (%s at most)" % kv.get("worker_paintables_max"))
    check_wall_png(png, 2, 2, [c for _, c in BLOCKS], "wall-click")

CASES = {"hdr": case_hdr, "size": case_size, "cycles": case_cycles, "playlist": case_playlist, "url": case_url, "fifo": case_fifo, "fullscreen": case_fullscreen, "keys": case_keys, "chooser": case_chooser, "paused": case_paused, "blocks": case_blocks, "benchmark": case_benchmark, "errors": case_errors, "audio": case_audio, "nosound": case_nosound,
         "sample": case_sample, "options": case_options,
         "wall": case_wall, "wall-click": case_wall_click}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--player", required=True)
    ap.add_argument("--xvfb", required=True)
    ap.add_argument("--case", required=True, choices=sorted(CASES))
    ap.add_argument("--output", choices=["paintable", "area"])
    args = ap.parse_args()
    if args.case != "options":
        try:
            subprocess.run(["ffmpeg", "-version"], stdout=subprocess.DEVNULL, check=True)
        except (OSError, subprocess.CalledProcessError):
            print("SKIP: no ffmpeg command")
            return 77
    for attempt in (1, 2):
        with tempfile.TemporaryDirectory(prefix="glvf-player-test.") as tmp:
            r = Runner(args, tmp)
            t0 = time.monotonic()
            CASES[args.case](r, tmp)
            print("# %s: %.1f s" % (args.case, time.monotonic() - t0))
        if attempt == 1 and failures and lsan_tool_failed:
            print("# LeakSanitizer itself failed at exit (%s): running the case once more"
                  % ", ".join(lsan_tool_failed), flush=True)
            del failures[:]
            del lsan_tool_failed[:]
            continue
        break
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
