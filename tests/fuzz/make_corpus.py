#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_image (tests/fuzz/corpus/fuzz_image/):
one valid image of every format (tight, padded and bottom-up strides, each
context kind and upload strategy, rendered, some through staging) and a few
invalid or edited descriptions. The input layout is described at the top of
fuzz_image.c. Usage: make_corpus.py [OUTDIR]"""
import os
import struct
import sys

# (name, [(bytes per unit, log2 sub x, log2 sub y, pixels per unit)])
Y8, Y16 = (1, 0, 0, 1), (2, 0, 0, 1)
FORMATS = [  # in glvf_format order, from GLVF_FORMAT_RGBA8 = 1
    ("rgba", [(4, 0, 0, 1)]), ("bgra", [(4, 0, 0, 1)]), ("rgb0", [(4, 0, 0, 1)]),
    ("bgr0", [(4, 0, 0, 1)]), ("rgb24", [(3, 0, 0, 1)]), ("gray", [Y8]), ("gray16", [Y16]),
    ("yuv420p", [Y8, (1, 1, 1, 1), (1, 1, 1, 1)]), ("yuv422p", [Y8, (1, 1, 0, 1), (1, 1, 0, 1)]),
    ("yuv444p", [Y8, Y8, Y8]),
    ("yuv420p10", [Y16, (2, 1, 1, 1), (2, 1, 1, 1)]),
    ("yuv422p10", [Y16, (2, 1, 0, 1), (2, 1, 0, 1)]), ("yuv444p10", [Y16, Y16, Y16]),
    ("yuv420p12", [Y16, (2, 1, 1, 1), (2, 1, 1, 1)]),
    ("yuv422p12", [Y16, (2, 1, 0, 1), (2, 1, 0, 1)]), ("yuv444p12", [Y16, Y16, Y16]),
    ("yuv420p16", [Y16, (2, 1, 1, 1), (2, 1, 1, 1)]),
    ("yuv422p16", [Y16, (2, 1, 0, 1), (2, 1, 0, 1)]), ("yuv444p16", [Y16, Y16, Y16]),
    ("nv12", [Y8, (2, 1, 1, 1)]), ("nv21", [Y8, (2, 1, 1, 1)]),
    ("p010", [Y16, (4, 1, 1, 1)]), ("p016", [Y16, (4, 1, 1, 1)]),
    ("yuyv422", [(4, 0, 0, 2)]), ("uyvy422", [(4, 0, 0, 2)]),
    ("yuva420p", [Y8, (1, 1, 1, 1), (1, 1, 1, 1), Y8]),
]


def row_bytes(p, w):
    b, sx, _, ppu = p
    pw = (w + (1 << sx) - 1) >> sx
    return (pw + ppu - 1) // ppu * b


def image(config, fmt, w, h, strides, nulls=(), rotation=0, sar=(1, 1), render=None,
          staging=None):
    out = struct.pack("<BBii", config, fmt + 1, w, h)
    for i in range(4):
        out += struct.pack("<iB", strides[i] if i < len(strides) else 0, 1 if i in nulls else 0)
    out += struct.pack("<BBBhhhBq", 1, 1, 2, sar[0], sar[1], rotation, 0, 1234)
    rx, ry, rw, rh, scaler, rrot, rflags = render or (0, 0, 64, 48, 1, 90, 0b1001)
    out += struct.pack("<iiiiBhBBBB", rx, ry, rw, rh, scaler, rrot, rflags, 0, 0, 0)
    if staging:
        align, nw, nh, edits = staging
        out += struct.pack("<hii", align, nw, nh)
        for i in range(4):
            off, st = edits[i] if i < len(edits) else (0, 0)
            out += struct.pack("<ii", off, st)
    return out


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_image")
    os.makedirs(outdir, exist_ok=True)
    seeds = {}
    for i, (name, planes) in enumerate(FORMATS):
        fmt = i + 1
        w, h = 17 + i % 5, 9 + i % 3
        kind, strategy = i % 4, (i // 4) % 4
        tight = [row_bytes(p, w) for p in planes]
        config = kind | strategy << 2 | 1 << 5  # render
        seeds["%02d-%s" % (fmt, name)] = image(config, fmt, w, h, tight)
        if i % 3 == 0:  # padded rows, bicubic, 270, a non-square sar
            padded = [r + 8 for r in tight]
            seeds["%02d-%s-padded" % (fmt, name)] = image(
                config | 1 << 7, fmt, w, h, padded, rotation=270, sar=(4, 3))
        if i % 3 == 1:  # bottom-up
            seeds["%02d-%s-bottom-up" % (fmt, name)] = image(config, fmt, w, h,
                                                             [-r for r in tight])
        if i % 3 == 2:  # through a staging region, shrunk by the producer
            seeds["%02d-%s-staging" % (fmt, name)] = image(
                config | 1 << 4, fmt, w, h, tight, staging=(0, w - 1, h - 1, []))
    nv12 = 20
    seeds["bad-null-plane"] = image(0x20, nv12, 16, 16, [16, 16], nulls=(1,))
    seeds["bad-short-stride"] = image(0x20, nv12, 16, 16, [16, 15])
    seeds["bad-huge"] = image(0x20, nv12, 1 << 30, 16, [16, 16])
    seeds["bad-negative-size"] = image(0x20, nv12, -16, 16, [16, 16])
    seeds["bad-format"] = image(0x20, 40, 16, 16, [16, 16])
    seeds["bad-rotation"] = image(0x20, 1, 8, 8, [32], rotation=45)
    seeds["big-small-max-texture"] = image(0x60, 6, 300, 2, [300])
    seeds["staging-out-of-region"] = image(0x30, nv12, 32, 32, [32, 32],
                                           staging=(64, 0, 0, [(0, 0), (4096, 0)]))
    seeds["staging-grown"] = image(0x38, nv12, 32, 32, [32, 32], staging=(16, 64, 64, []))
    seeds["render-huge-target"] = image(0x20, 1, 8, 8, [32],
                                        render=(2**31 - 9, -2**31, 2**31 - 1, 7, 0, 0, 8))
    for name, data in seeds.items():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
    print("%d seeds, %d bytes" % (len(seeds), sum(len(d) for d in seeds.values())))


if __name__ == "__main__":
    main()
