/*
 * Colour correctness of glvf_render against FFmpeg's own conversion, per
 * context kind: frames in every YUV format of the table (and the RGB and
 * gray ones), each matrix and range, rendered 1:1 into an RGBA8 FBO and read
 * back, compared with libswscale configured to the same matrix, range and
 * chroma position, with accurate rounding and full chroma interpolation
 * (SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP).
 * YCgCo, which libswscale does not implement, is compared on 4:4:4 (no
 * chroma interpolation involved) with the textbook formula in double
 * precision. Every case prints its maximum error and PSNR.
 *
 * 4:2:0: libswscale 5.1 ignores src_v_chr_pos on this path (its output is
 * identical for every value; it behaves as if chroma row j sat on luma row
 * 2j+1, which is no standard siting). glvf places chroma where the format
 * says (left = MPEG-2/H.264: vertically midway between luma rows 2j and
 * 2j+1). So 4:2:0 frames are checked against libswscale converting a 4:4:4
 * image whose chroma was upsampled, in double precision, with the standard
 * siting and bilinear weights; the direct libswscale figures are printed
 * too, for information. 4:2:2 and 4:4:4 compare with libswscale directly.
 */
#include "check.h"
#include "egl_harness.h"

#include <epoxy/gl.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <math.h>

static harness_ctx *H;
static glvf_context *CTX;

/* tolerances (8-bit RGB levels): the manual-filter paths stay within 2;
 * the hardware bilinear path adds up to 1 on llvmpipe, whose linear filter
 * uses 8-bit weights */
#define MAX_ERR 3
#define MIN_PSNR 48.0

typedef struct fmt_map {
    glvf_format glvf;
    enum AVPixelFormat av;
} fmt_map;

static const fmt_map formats[] = {
    { GLVF_FORMAT_YUV420P, AV_PIX_FMT_YUV420P },     { GLVF_FORMAT_YUV422P, AV_PIX_FMT_YUV422P },
    { GLVF_FORMAT_YUV444P, AV_PIX_FMT_YUV444P },     { GLVF_FORMAT_YUV420P10, AV_PIX_FMT_YUV420P10LE },
    { GLVF_FORMAT_YUV422P10, AV_PIX_FMT_YUV422P10LE }, { GLVF_FORMAT_YUV444P10, AV_PIX_FMT_YUV444P10LE },
    { GLVF_FORMAT_YUV420P12, AV_PIX_FMT_YUV420P12LE }, { GLVF_FORMAT_YUV422P12, AV_PIX_FMT_YUV422P12LE },
    { GLVF_FORMAT_YUV444P12, AV_PIX_FMT_YUV444P12LE }, { GLVF_FORMAT_YUV420P16, AV_PIX_FMT_YUV420P16LE },
    { GLVF_FORMAT_YUV422P16, AV_PIX_FMT_YUV422P16LE }, { GLVF_FORMAT_YUV444P16, AV_PIX_FMT_YUV444P16LE },
    { GLVF_FORMAT_NV12, AV_PIX_FMT_NV12 },           { GLVF_FORMAT_NV21, AV_PIX_FMT_NV21 },
    { GLVF_FORMAT_P010, AV_PIX_FMT_P010LE },         { GLVF_FORMAT_P016, AV_PIX_FMT_P016LE },
    { GLVF_FORMAT_YUYV422, AV_PIX_FMT_YUYV422 },     { GLVF_FORMAT_UYVY422, AV_PIX_FMT_UYVY422 },
    { GLVF_FORMAT_YUVA420P, AV_PIX_FMT_YUVA420P },
    { GLVF_FORMAT_GRAY8, AV_PIX_FMT_GRAY8 },         { GLVF_FORMAT_GRAY16, AV_PIX_FMT_GRAY16LE },
    { GLVF_FORMAT_RGBA8, AV_PIX_FMT_RGBA },          { GLVF_FORMAT_BGRA8, AV_PIX_FMT_BGRA },
    { GLVF_FORMAT_RGBX8, AV_PIX_FMT_RGB0 },          { GLVF_FORMAT_BGRX8, AV_PIX_FMT_BGR0 },
    { GLVF_FORMAT_RGB24, AV_PIX_FMT_RGB24 },
};

static uint32_t rng = 1;
static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

/* Source image: smooth gradients plus a little noise, with its own memory. */
typedef struct src_image {
    glvf_image img;
    uint8_t *mem[4];
} src_image;

static void make_source(src_image *s, glvf_format f, int w, int h, bool full)
{
    memset(s, 0, sizeof *s);
    s->img.format = f;
    s->img.width = w;
    s->img.height = h;
    int depth = glvf_format_depth(f);
    bool yuv = glvf_format_is_yuv(f);
    int shift = (f == GLVF_FORMAT_P010) ? 6 : 0;
    for (int p = 0; p < glvf_format_planes(f); p++) {
        glvf_plane_layout l;
        glvf_plane_layout_get(NULL, f, w, h, p, &l);
        int stride = (l.row_bytes + 31) & ~31;
        s->mem[p] = calloc((size_t)stride, (size_t)l.height);
        s->img.planes[p].data = s->mem[p];
        s->img.planes[p].stride = stride;
        int comps = l.bytes_per_texel / (depth > 8 ? 2 : 1);
        for (int y = 0; y < l.height; y++) {
            for (int x = 0; x < l.width; x++) {
                for (int c = 0; c < comps; c++) {
                    /* which component: luma-like or chroma-like */
                    bool chroma = yuv && (p == 1 || p == 2 ||
                                          ((f == GLVF_FORMAT_YUYV422) && (c == 1 || c == 3)) ||
                                          ((f == GLVF_FORMAT_UYVY422) && (c == 0 || c == 2)));
                    bool alpha = (p == 3);
                    double t = (double)(x * 3 + y * 2 + c * 17 + p * 29) /
                               (double)(l.width * 3 + l.height * 2 + 60);
                    t = 0.5 + 0.45 * sin(6.2831853 * (t + 0.1 * c));
                    double maxv = (double)((1 << depth) - 1);
                    double lo = 0, hi = maxv;
                    if (yuv && !full && !alpha) {
                        double sc = (double)(1 << (depth - 8));
                        lo = 16 * sc;
                        hi = (chroma ? 240 : 235) * sc;
                    }
                    double v = lo + t * (hi - lo) + (double)(rnd() % 7) - 3;
                    v = v < 0 ? 0 : v > maxv ? maxv : v;
                    unsigned iv = (unsigned)lround(v) << shift;
                    uint8_t *row = s->mem[p] + (size_t)y * (size_t)stride;
                    if (depth > 8) {
                        uint16_t u16 = (uint16_t)iv;
                        memcpy(row + ((size_t)x * comps + c) * 2, &u16, 2);
                    } else {
                        row[(size_t)x * comps + c] = (uint8_t)iv;
                    }
                }
            }
        }
    }
}

static void free_source(src_image *s)
{
    for (int p = 0; p < 4; p++)
        free(s->mem[p]);
}

/* The integer chroma sample (component c: 0 = Cb, 1 = Cr) at chroma
 * coordinates (x, y), edge-clamped, as a plain value (P010's shift undone). */
static double chroma_at(const src_image *s, int c, int x, int y)
{
    glvf_plane_layout l;
    glvf_format f = s->img.format;
    bool nv = f == GLVF_FORMAT_NV12 || f == GLVF_FORMAT_NV21 || f == GLVF_FORMAT_P010 ||
              f == GLVF_FORMAT_P016;
    glvf_plane_layout_get(NULL, f, s->img.width, s->img.height, 1, &l);
    x = x < 0 ? 0 : x >= l.width ? l.width - 1 : x;
    y = y < 0 ? 0 : y >= l.height ? l.height - 1 : y;
    int plane = nv ? 1 : 1 + c;
    int comp = nv ? (f == GLVF_FORMAT_NV21 ? 1 - c : c) : 0;
    int comps = nv ? 2 : 1;
    const uint8_t *row = (const uint8_t *)s->img.planes[plane].data +
                         (size_t)y * (size_t)s->img.planes[plane].stride;
    if (glvf_format_depth(f) > 8) {
        uint16_t v;
        memcpy(&v, row + ((size_t)x * comps + comp) * 2, 2);
        return f == GLVF_FORMAT_P010 ? v >> 6 : v;
    }
    return row[(size_t)x * comps + comp];
}

/* A 4:4:4 image (same depth) from a 4:2:0 one: chroma upsampled with the
 * standard siting for `loc` (bilinear, edge-clamped), luma and alpha copied. */
static enum AVPixelFormat upsample_444(const src_image *s, glvf_chroma_location loc,
                                       src_image *o)
{
    glvf_format f = s->img.format;
    int depth = glvf_format_depth(f), w = s->img.width, h = s->img.height;
    bool alpha = f == GLVF_FORMAT_YUVA420P;
    enum AVPixelFormat av = depth == 8 ? (alpha ? AV_PIX_FMT_YUVA444P : AV_PIX_FMT_YUV444P)
                            : depth == 10 ? AV_PIX_FMT_YUV444P10LE
                            : depth == 12 ? AV_PIX_FMT_YUV444P12LE
                                          : AV_PIX_FMT_YUV444P16LE;
    int bps = depth > 8 ? 2 : 1;
    memset(o, 0, sizeof *o);
    o->img = s->img;
    double ox = loc == GLVF_CHROMA_CENTER ? 0.5 : 0.0;
    double oy = loc == GLVF_CHROMA_TOPLEFT ? 0.0 : 0.5;
    for (int p = 0; p < (alpha ? 4 : 3); p++) {
        o->mem[p] = malloc((size_t)w * (size_t)h * (size_t)bps);
        o->img.planes[p].data = o->mem[p];
        o->img.planes[p].stride = w * bps;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double v;
                if (p == 0 || p == 3) {
                    int sp = p == 0 ? 0 : 3;
                    const uint8_t *row = (const uint8_t *)s->img.planes[sp].data +
                                         (size_t)y * (size_t)s->img.planes[sp].stride;
                    if (bps == 2) {
                        uint16_t u;
                        memcpy(&u, row + (size_t)x * 2, 2);
                        v = f == GLVF_FORMAT_P010 ? u >> 6 : u;
                    } else {
                        v = row[x];
                    }
                } else {
                    double cx = (x - ox) / 2, cy = (y - oy) / 2;
                    int ix = (int)floor(cx), iy = (int)floor(cy);
                    double fx = cx - ix, fy = cy - iy;
                    int c = p - 1;
                    v = (1 - fy) * ((1 - fx) * chroma_at(s, c, ix, iy) + fx * chroma_at(s, c, ix + 1, iy)) +
                        fy * ((1 - fx) * chroma_at(s, c, ix, iy + 1) + fx * chroma_at(s, c, ix + 1, iy + 1));
                }
                unsigned iv = (unsigned)lround(v);
                if (bps == 2) {
                    uint16_t u = (uint16_t)iv;
                    memcpy(o->mem[p] + ((size_t)y * (size_t)w + (size_t)x) * 2, &u, 2);
                } else {
                    o->mem[p][(size_t)y * (size_t)w + (size_t)x] = (uint8_t)iv;
                }
            }
        }
    }
    o->img.format = GLVF_FORMAT_YUV444P; /* only the planes matter to swscale_ref */
    return av;
}

static int sws_cs(glvf_matrix m)
{
    switch (m) {
    case GLVF_MATRIX_BT709: return SWS_CS_ITU709;
    case GLVF_MATRIX_SMPTE240M: return SWS_CS_SMPTE240M;
    case GLVF_MATRIX_BT2020_NCL: return SWS_CS_BT2020;
    default: return SWS_CS_ITU601;
    }
}

/* libswscale's RGBA output of the source. */
static bool swscale_ref(const src_image *s, enum AVPixelFormat av, glvf_matrix m, bool full,
                        glvf_chroma_location loc, uint8_t *out)
{
    struct SwsContext *sws = sws_alloc_context();
    int w = s->img.width, h = s->img.height;
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(av);
    int h_pos = loc == GLVF_CHROMA_CENTER ? 128 : 0;
    int v_pos = loc == GLVF_CHROMA_TOPLEFT ? 0 : 128;
    if (d->log2_chroma_w == 0)
        h_pos = 0;
    if (d->log2_chroma_h == 0)
        v_pos = 0;
    av_opt_set_int(sws, "srcw", w, 0);
    av_opt_set_int(sws, "srch", h, 0);
    av_opt_set_int(sws, "src_format", av, 0);
    av_opt_set_int(sws, "dstw", w, 0);
    av_opt_set_int(sws, "dsth", h, 0);
    av_opt_set_int(sws, "dst_format", AV_PIX_FMT_RGBA, 0);
    av_opt_set_int(sws, "sws_flags",
                   SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP, 0);
    av_opt_set_int(sws, "src_range", full, 0);
    av_opt_set_int(sws, "dst_range", 1, 0);
    av_opt_set_int(sws, "src_h_chr_pos", h_pos, 0);
    av_opt_set_int(sws, "src_v_chr_pos", v_pos, 0);
    if (sws_init_context(sws, NULL, NULL) < 0) {
        sws_freeContext(sws);
        return false;
    }
    const int *coef = sws_getCoefficients(sws_cs(m));
    sws_setColorspaceDetails(sws, coef, full, coef, 1, 0, 1 << 16, 1 << 16);
    const uint8_t *src[4] = { 0 };
    int src_stride[4] = { 0 };
    for (int p = 0; p < 4; p++) {
        src[p] = s->img.planes[p].data;
        src_stride[p] = (int)s->img.planes[p].stride;
    }
    uint8_t *dst[4] = { out };
    int dst_stride[4] = { w * 4 };
    sws_scale(sws, src, src_stride, 0, h, dst, dst_stride);
    sws_freeContext(sws);
    return true;
}

/* Textbook YCgCo for 4:4:4 8-bit, in double precision. */
static void ycgco_ref(const src_image *s, bool full, uint8_t *out)
{
    int w = s->img.width, h = s->img.height;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double v[3];
            for (int p = 0; p < 3; p++) {
                double c = ((const uint8_t *)s->img.planes[p].data)[(size_t)y * (size_t)s->img.planes[p].stride + (size_t)x];
                if (full)
                    v[p] = p ? (c - 128) / 255.0 : c / 255.0;
                else
                    v[p] = p ? (c - 128) / 224.0 : (c - 16) / 219.0;
            }
            double rgb[3] = { v[0] - v[1] + v[2], v[0] + v[1], v[0] - v[1] - v[2] };
            for (int c = 0; c < 3; c++) {
                double q = rgb[c] < 0 ? 0 : rgb[c] > 1 ? 1 : rgb[c];
                out[((size_t)y * (size_t)w + (size_t)x) * 4 + (size_t)c] = (uint8_t)lround(q * 255);
            }
            out[((size_t)y * (size_t)w + (size_t)x) * 4 + 3] = 255;
        }
}

/* glvf's rendering of the source, read back as RGBA, top row first. */
static bool glvf_out(const src_image *s, glvf_matrix m, glvf_range r, glvf_chroma_location loc,
                     uint8_t *out)
{
    int w = s->img.width, h = s->img.height;
    glvf_image img = s->img;
    img.color.matrix = m;
    img.color.range = r;
    img.color.chroma_location = loc;
    glvf_frame *f = glvf_upload(CTX, &img, NULL, NULL);
    if (!f)
        return false;
    harness_fbo fbo;
    harness_fbo_create(&fbo, w, h);
    int rr = glvf_render(CTX, f, NULL);
    harness_fbo_read_rgba(&fbo, out);
    harness_fbo_destroy(&fbo);
    glvf_frame_unref(&f);
    return rr == 0;
}

typedef struct diff {
    int max_rgb, max_alpha;
    double psnr;
} diff;

static diff compare(const uint8_t *a, const uint8_t *b, int w, int h)
{
    diff d = { 0, 0, 0 };
    double se = 0;
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
        for (int c = 0; c < 3; c++) {
            int e = abs(a[i * 4 + c] - b[i * 4 + c]);
            d.max_rgb = e > d.max_rgb ? e : d.max_rgb;
            se += (double)e * e;
        }
        int e = abs(a[i * 4 + 3] - b[i * 4 + 3]);
        d.max_alpha = e > d.max_alpha ? e : d.max_alpha;
    }
    double mse = se / ((double)w * h * 3);
    d.psnr = mse > 0 ? 10 * log10(255.0 * 255.0 / mse) : 99.0;
    return d;
}

static int cases_run;
static double worst_psnr = 99;
static int worst_max;

static void run_case(glvf_format f, enum AVPixelFormat av, glvf_matrix m, bool full,
                     glvf_chroma_location loc, int w, int h)
{
    src_image s;
    make_source(&s, f, w, h, full);
    uint8_t *ref = malloc((size_t)w * (size_t)h * 4), *got = malloc((size_t)w * (size_t)h * 4);
    bool sub420 = false;
    if (glvf_format_planes(f) > 1) {
        glvf_plane_layout l0, l1;
        glvf_plane_layout_get(NULL, f, w, h, 0, &l0);
        glvf_plane_layout_get(NULL, f, w, h, 1, &l1);
        sub420 = l1.height < l0.height;
    }
    bool ok_ref;
    double direct_psnr = 0;
    int direct_max = 0;
    if (m == GLVF_MATRIX_YCGCO) {
        ycgco_ref(&s, full, ref);
        ok_ref = true;
    } else if (sub420) {
        src_image up;
        enum AVPixelFormat av444 = upsample_444(&s, loc, &up);
        ok_ref = swscale_ref(&up, av444, m, full, GLVF_CHROMA_LEFT, ref);
        free_source(&up);
    } else {
        ok_ref = swscale_ref(&s, av, m, full, loc, ref);
    }
    bool ok_got = glvf_out(&s, m, full ? GLVF_RANGE_FULL : GLVF_RANGE_LIMITED, loc, got);
    if (sub420 && ok_got) {
        uint8_t *direct = malloc((size_t)w * (size_t)h * 4);
        if (swscale_ref(&s, av, m, full, loc, direct)) {
            diff dd = compare(direct, got, w, h);
            direct_psnr = dd.psnr;
            direct_max = dd.max_rgb;
        }
        free(direct);
    }
    static const char *mnames[] = { "unspec", "bt601", "bt709", "bt2020", "smpte240m", "ycgco" };
    static const char *lnames[] = { "left", "left", "center", "topleft" };
    char name[128];
    snprintf(name, sizeof name, "%-10s %4dx%-4d %-9s %-7s %-7s", glvf_format_name(f), w, h,
             glvf_format_is_yuv(f) ? mnames[m] : "-", full ? "full" : "limited",
             glvf_format_is_yuv(f) ? lnames[loc] : "-");
    CHECK(ok_ref && ok_got, "%s: conversion failed", name);
    if (ok_ref && ok_got) {
        diff d = compare(ref, got, w, h);
        char extra[96] = "";
        if (sub420)
            snprintf(extra, sizeof extra, "  [libswscale direct: max %d, PSNR %.1f dB]", direct_max,
                     direct_psnr);
        printf("# %s max %d PSNR %5.1f dB%s%s\n", name, d.max_rgb, d.psnr,
               glvf_format_has_alpha(f) ? (d.max_alpha ? " (alpha differs)" : " alpha exact") : "",
               extra);
        CHECK(d.max_rgb <= MAX_ERR && d.psnr >= MIN_PSNR, "%s: max error %d, PSNR %.1f dB", name,
              d.max_rgb, d.psnr);
        if (glvf_format_has_alpha(f))
            CHECK(d.max_alpha <= 1, "%s: alpha differs by %d", name, d.max_alpha);
        worst_psnr = d.psnr < worst_psnr ? d.psnr : worst_psnr;
        worst_max = d.max_rgb > worst_max ? d.max_rgb : worst_max;
        cases_run++;
    }
    free(ref);
    free(got);
    free_source(&s);
}

static void test_yuv_matrices(void *arg)
{
    (void)arg;
    static const glvf_matrix mats[] = { GLVF_MATRIX_BT601, GLVF_MATRIX_BT709,
                                        GLVF_MATRIX_BT2020_NCL, GLVF_MATRIX_SMPTE240M };
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (!glvf_format_is_yuv(formats[i].glvf))
            continue;
        for (size_t m = 0; m < 4; m++)
            for (int full = 0; full < 2; full++)
                run_case(formats[i].glvf, formats[i].av, mats[m], full, GLVF_CHROMA_LEFT, 64, 48);
    }
}

static void test_chroma_locations(void *arg)
{
    (void)arg;
    static const glvf_chroma_location locs[] = { GLVF_CHROMA_LEFT, GLVF_CHROMA_CENTER,
                                                 GLVF_CHROMA_TOPLEFT };
    static const fmt_map f420[] = { { GLVF_FORMAT_YUV420P, AV_PIX_FMT_YUV420P },
                                    { GLVF_FORMAT_NV12, AV_PIX_FMT_NV12 },
                                    { GLVF_FORMAT_YUV422P10, AV_PIX_FMT_YUV422P10LE } };
    for (size_t i = 0; i < 3; i++)
        for (size_t l = 0; l < 3; l++)
            run_case(f420[i].glvf, f420[i].av, GLVF_MATRIX_BT709, false, locs[l], 64, 48);
    /* odd sizes: the last chroma sample covers a single luma column/row */
    run_case(GLVF_FORMAT_YUV420P, AV_PIX_FMT_YUV420P, GLVF_MATRIX_BT601, false, GLVF_CHROMA_LEFT,
             37, 23);
    run_case(GLVF_FORMAT_NV12, AV_PIX_FMT_NV12, GLVF_MATRIX_BT709, true, GLVF_CHROMA_LEFT, 37,
             23);
}

static void test_ycgco(void *arg)
{
    (void)arg;
    for (int full = 0; full < 2; full++)
        run_case(GLVF_FORMAT_YUV444P, AV_PIX_FMT_YUV444P, GLVF_MATRIX_YCGCO, full,
                 GLVF_CHROMA_LEFT, 64, 48);
}

static void test_rgb_gray(void *arg)
{
    (void)arg;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (!glvf_format_is_yuv(formats[i].glvf))
            run_case(formats[i].glvf, formats[i].av, GLVF_MATRIX_BT709, true, GLVF_CHROMA_LEFT,
                     64, 48);
}

/* ---- scaling: both scalers against a CPU implementation of the kernels --- */

static double cr_w(double t, int i)
{
    double t2 = t * t, t3 = t2 * t;
    switch (i) {
    case 0: return -0.5 * t3 + t2 - 0.5 * t;
    case 1: return 1.5 * t3 - 2.5 * t2 + 1.0;
    case 2: return -1.5 * t3 + 2.0 * t2 + 0.5 * t;
    default: return 0.5 * t3 - 0.5 * t2;
    }
}

/* Gray source upscaled 2x: glvf vs the kernel in double precision (the same
 * sample positions, edge clamping and Catmull-Rom weights). */
static void scale_case(glvf_format f, glvf_scaler scaler, int *max_err, double *psnr)
{
    enum { SW = 48, SH = 32, DW = 96, DH = 64 };
    src_image s;
    make_source(&s, f, SW, SH, true);
    double maxv = f == GLVF_FORMAT_GRAY16 ? 65535.0 : 255.0;
    double src[SH][SW];
    for (int y = 0; y < SH; y++)
        for (int x = 0; x < SW; x++) {
            const uint8_t *row = (const uint8_t *)s.img.planes[0].data +
                                 (size_t)y * (size_t)s.img.planes[0].stride;
            if (f == GLVF_FORMAT_GRAY16) {
                uint16_t v;
                memcpy(&v, row + (size_t)x * 2, 2);
                src[y][x] = v / maxv;
            } else {
                src[y][x] = row[x] / maxv;
            }
        }
    uint8_t *ref = malloc(DW * DH * 4), *got = malloc(DW * DH * 4);
    for (int Y = 0; Y < DH; Y++)
        for (int X = 0; X < DW; X++) {
            double px = (X + 0.5) * SW / DW - 0.5, py = (Y + 0.5) * SH / DH - 0.5;
            int ix = (int)floor(px), iy = (int)floor(py);
            double fx = px - ix, fy = py - iy, v = 0;
            int lo = scaler == GLVF_SCALER_BICUBIC ? -1 : 0, n = scaler == GLVF_SCALER_BICUBIC ? 4 : 2;
            for (int j = 0; j < n; j++)
                for (int i = 0; i < n; i++) {
                    double wx = n == 4 ? cr_w(fx, i) : (i ? fx : 1 - fx);
                    double wy = n == 4 ? cr_w(fy, j) : (j ? fy : 1 - fy);
                    int sx = ix + lo + i, sy = iy + lo + j;
                    sx = sx < 0 ? 0 : sx >= SW ? SW - 1 : sx;
                    sy = sy < 0 ? 0 : sy >= SH ? SH - 1 : sy;
                    v += wx * wy * src[sy][sx];
                }
            v = v < 0 ? 0 : v > 1 ? 1 : v;
            uint8_t q = (uint8_t)lround(v * 255);
            uint8_t *o = ref + ((size_t)Y * DW + (size_t)X) * 4;
            o[0] = o[1] = o[2] = q;
            o[3] = 255;
        }
    glvf_frame *fr = glvf_upload(CTX, &s.img, NULL, NULL);
    harness_fbo fbo;
    harness_fbo_create(&fbo, DW, DH);
    CHECK(fr && glvf_render(CTX, fr, glvf_render_params(.scaler = scaler)) == 0, "render");
    harness_fbo_read_rgba(&fbo, got);
    harness_fbo_destroy(&fbo);
    diff d = compare(ref, got, DW, DH);
    *max_err = d.max_rgb;
    *psnr = d.psnr;
    glvf_frame_unref(&fr);
    free(ref);
    free(got);
    free_source(&s);
}

static void test_scalers(void *arg)
{
    (void)arg;
    static const glvf_format fmts[] = { GLVF_FORMAT_GRAY8, GLVF_FORMAT_GRAY16 };
    for (int i = 0; i < 2; i++)
        for (int sc = 0; sc < 2; sc++) {
            int mx;
            double psnr;
            scale_case(fmts[i], (glvf_scaler)sc, &mx, &psnr);
            printf("# 2x upscale %-6s %-8s: max %d PSNR %.1f dB\n", glvf_format_name(fmts[i]),
                   sc ? "bicubic" : "bilinear", mx, psnr);
            CHECK(mx <= MAX_ERR && psnr >= MIN_PSNR, "%s %s: max %d, PSNR %.1f dB",
                  glvf_format_name(fmts[i]), sc ? "bicubic" : "bilinear", mx, psnr);
        }
}

int main(int argc, char **argv)
{
    harness_api api;
    int status;
    H = harness_test_start(argc, argv, &api, &status);
    if (!H)
        return status;
    CTX = glvf_context_create(glvf_context_params(
            .get_proc_address = harness_get_proc, .get_proc_user = H,
            .is_current = harness_is_current, .is_current_user = H, .log = check_log,
            .flags = GLVF_CONTEXT_IGNORE_ENV));
    if (!CTX) {
        printf("not ok 1 - glvf context\n");
        return 1;
    }
    printf("# tolerance: max error <= %d levels, PSNR >= %.0f dB\n", MAX_ERR, MIN_PSNR);
    RUN(test_yuv_matrices, NULL);
    RUN(test_chroma_locations, NULL);
    RUN(test_ycgco, NULL);
    RUN(test_rgb_gray, NULL);
    RUN(test_scalers, NULL);
    printf("# %d cases; worst max error %d, worst PSNR %.1f dB\n", cases_run, worst_max,
           worst_psnr);
    glvf_context_destroy(&CTX);
    harness_ctx_destroy(H);
    check_log_clear();
    return check_finish();
}
