/*
 * glvf's colour conversions beyond BT.709 SDR against two independent
 * implementations, on real encoded clips, per context kind (gl33, gles30):
 *
 *   clip          signal                                      compared with
 *   pq            HDR10: BT.2020 NCL, ST 2084, MaxCLL 1000,   bt2390: libplacebo
 *                 mastering 1000/0.0001 nits                  clip, hable, mobius: zimg
 *   pq-4000       the same without MaxCLL, mastering 4000/0.005 same
 *                 nits (the peak glvf must take)
 *   hlg           BT.2020 NCL, ARIB STD-B67                   same
 *   bt2020-sdr    BT.2020 primaries, BT.2020-10 (SDR) transfer libplacebo and zimg
 *   p3-sdr        Display-P3 (SMPTE EG 432-1), BT.709 matrix,  libplacebo and zimg
 *                 BT.709 (SDR) transfer
 *   dcip3-sdr     DCI-P3 (SMPTE RP 431-2, its own white), as   libplacebo and zimg
 *                 p3-sdr
 *
 * The clips (256x144, 2 frames) are written here as 10-bit 4:2:0 limited-range
 * YCbCr from known light levels and encoded by libx265 losslessly (so every
 * decoder sees exactly these code values) with the colour tags and, for
 * HDR10, the mastering-display and content-light SEI. Top 96 rows: 16 flat
 * blocks of 32x48 (greys from black to the source peak, BT.2020 and BT.709
 * primaries, secondaries, an orange at the peak, a skin tone), compared on
 * their central 16x16 pixels, where 4:2:0 chroma is flat; bottom 48 rows: a
 * grey ramp (code 64 to the code of the source peak for PQ, to 940
 * otherwise), compared on its 32 central rows. Every figure is the mean and
 * the worst absolute difference of R, G and B in 8-bit levels (/255).
 *
 * glvf: libavcodec decodes, glvf_ffmpeg_upload() maps the AVFrame (colour
 * tags, and colorimetry.hdr from the side data: checked here), glvf_render()
 * draws 1:1 into an RGBA8 framebuffer with default parameters but the tone
 * curve. Output: BT.709 primaries, pow(L, 1/2.4), 1.0 = 203 nits. The first
 * frame of glvf's own decoder (direct rendering forced) must give the same
 * colorimetry and pixels.
 *
 * Reference A, zimg 3.0 (FFmpeg's zscale) and FFmpeg's tonemap filter, run by
 * the ffmpeg command:
 *   zscale=t=linear:npl=203:agamma=0, format=gbrpf32le, zscale=p=bt709,
 *   [tonemap=<curve>:desat=0:peak=<source peak / 203>,] zscale=t=bt709
 * to 32-bit float RGB, clamped to [0, 1] and rounded to 8 bits here.
 *  - PQ: zimg's ST 2084 EOTF scaled so that npl (203) nits is 1.0.
 *  - HLG: zscale's default agamma=1 (approximate gamma) makes zimg apply the
 *    OOTF per channel (E^1.2: hue and saturation shift); agamma=0 selects
 *    zimg's display-referred BT.2100 OOTF on BT.2020 luminance, with system
 *    gamma fixed at 1.2 (Lw = 1000: glvf's default hlg_peak) and 1.0 =
 *    npl nits. zimg has no other Lw, so HLG is compared at hlg_peak 1000.
 *  - SDR: zimg 3's BT.709 (and BT.2020-10) transfer is display-referred by
 *    default: linear = pow(E', 2.4) (BT.1886, black 0), glvf's semantics.
 *    An sRGB-tagged stream would use the piecewise sRGB EOTF there, so the
 *    Display-P3 clip is tagged BT.709.
 *  - Primaries: zimg converts through XYZ, with a Bradford adaptation when
 *    the whites differ (DCI-P3), as glvf.
 *  - zscale=t=bt709 encodes with pow(1/2.4) after clamping negatives to 0;
 *    values over 1 are clamped here: the same as clipping in linear light
 *    first (the default gamut map) since the curve is monotonic.
 *  - tonemap (vf_tonemap) works on max(R,G,B) and scales R,G,B by
 *    f(sig)/sig (desat=0), as glvf; its hable is normalised by hable(peak)
 *    and its mobius has j = 0.3, as glvf's. FFmpeg 5.1 has no BT.2390, so
 *    bt2390 is compared with libplacebo only.
 *
 * Reference B, libplacebo 4.208's renderer (placebo_ref.c, run as a child
 * with its own GL 3.3 context; see that file's header for the settings).
 * What it does differently, and what placebo-ref does about it:
 *  - it tone-maps in the SOURCE primaries (pl_shader_color_map: linearise,
 *    tone_map, then adapt_colors), so max(R,G,B) is taken in BT.2020, not
 *    in BT.709 as glvf (and the order) does: a BT.709 red at 203
 *    nits came out 250,0,0 there against glvf's 230,0,0. placebo-ref renders
 *    HDR in two passes: source -> BT.709 primaries, PQ, same peak (no tone
 *    mapping; libplacebo's clamping of negatives there is harmless, since a
 *    positive scale and a clip to [0, 1] follow), into an RGBA32F texture;
 *    then that -> the output, tone-mapped in BT.709.
 *  - it clamps each channel to the source peak before tone mapping; glvf and
 *    vf_tonemap scale the colour by f(max)/max. A colour whose BT.709 red is
 *    brighter than the peak (block 14, an orange at 1000 nits in BT.2020:
 *    1360 nits of BT.709 red) keeps its hue in glvf (255,159,60, as zimg)
 *    and turns yellower in libplacebo (255,181,69). Such blocks are left out
 *    of the libplacebo figures (printed apart).
 *  - it infers a black of 0.005 nits for HDR and white/1000 for SDR (a
 *    lifted BT.1886 curve, and the black-point term of its BT.2390):
 *    placebo-ref sets 1e-7 nits. Its tone mapping still clamps light to at
 *    least 1e-7 of SDR white: black comes out at 0.28/255 instead of 0
 *    (before rounding).
 *  - pl_tone_map_bt2390's default knee offset is 1.0, not ITU-R's 0.5:
 *    placebo-ref passes 0.5 (glvf's default).
 *  - PL_TONE_MAP_MAX is the max-RGB mode (AUTO would choose per case);
 *    crosstalk (default 0.04) is set to 0.
 *  - its tone curve is a LUT (1024 entries here, 256 by default) sampled in
 *    sqrt space and interpolated linearly.
 *  - its linear unit is PL_COLOR_SDR_WHITE = 203 nits, as glvf's; its HLG
 *    OOTF uses 1.2 + 0.42 log10(Lw / 1000) as glvf, so HLG is also compared
 *    at hlg_peak = 600 (system gamma 1.107) against libplacebo.
 *  - it adapts DCI-P3's white to D65 with the CIECAM97s (revised, linear)
 *    cone matrix, glvf and zimg with Bradford: greys agree, saturated DCI-P3
 *    colours do not (the blue block: 0,0,120 in glvf and zimg, 0,10,120 in
 *    libplacebo), so only the greys of that clip are compared with it.
 *  - on llvmpipe's GLES 3.0 it finds no texture format for 16-bit planes
 *    ("Failed picking any compatible texture format"): placebo-ref always
 *    uses GL 3.3 (the reference image does not depend on glvf's context).
 *
 * The parameters, on the pq clip: target_peak 100 with hable against zimg
 * (npl=100, tonemap peak 1000/100) and with BT.2390 against libplacebo (an
 * output white of 100 nits), and BT.2390's knee offset 1.0 against
 * libplacebo's (its results differ from the defaults' by 43 and 16 levels).
 *
 * The desaturating gamut map has no counterpart in either library (libplacebo's
 * PL_GAMUT_DESATURATE moves towards white): it is checked against zimg's
 * linear BT.709 light (HDR: after vf_tonemap's hable) desaturated here as
 * specified (towards the grey of the same BT.709 luminance, just far enough
 * to fit) and encoded with pow(1/2.4).
 *
 * Each comparison is made twice: on the 8-bit output (what a display gets)
 * and before rounding (glvf into an RGBA32F framebuffer; zimg's float
 * output; libplacebo into an RGBA32F target), which shows errors the 8-bit
 * rounding hides. A control checks that a wrong curve (glvf's hable against
 * zimg's mobius) is far outside the tolerance.
 *
 * Also: a BT.709-tagged SDR frame drawn with primaries 1 (BT.709), 0 (the
 * frame's) and 2 (unspecified) is the same bit for bit; codes below black
 * (footroom) show as black on every colour path, as in zimg.
 *
 * Without libplacebo at configure time (no placebo-ref argument) the
 * libplacebo comparisons are skipped with a note; without ffmpeg/ffprobe, or
 * an ffmpeg without libx265, zscale or tonemap, the test skips (77).
 */
#include "check.h"
#include "egl_harness.h"
#include "ff_media.h"

#include <epoxy/gl.h>
#include <glvf/glvf-ffmpeg.h>
#include <math.h>

/* ---- tolerances (8-bit levels, /255) ----------------------------------
 * Block centres and ramp, every clip and curve; reached on llvmpipe (Mesa
 * 22.3, LLVM 15), GL 3.3 and GLES 3.0 alike:
 *   zimg        8-bit: 0 everywhere (desaturating map: 1, below). Float:
 *               mean <= 0.0013, worst 0.038 (BT.2020 SDR, a channel near
 *               black where pow(1/2.4) is steep: d/dx x^(1/2.4) = 344 at
 *               1e-5), HDR worst 0.010 (pq-4000's ramp). What limits it:
 *               float arithmetic on both sides (llvmpipe's pow/exp2/log2,
 *               zimg's own), far below a level.
 *   libplacebo  8-bit: mean <= 0.042, worst 1. Float: mean <= 0.093, worst
 *               1.33 (the same near-black channel), else 0.54. What limits
 *               it: its tone-curve LUT, its black floor (0.28/255 at black)
 *               and its float shaders.
 * The constants leave some room for other CPUs and Mesa versions. */
#define TOL_ZIMG_MEAN 0.05
#define TOL_ZIMG_MAX 1
#define TOL_PLACEBO_MEAN 0.1
#define TOL_PLACEBO_MAX 1
/* before rounding (glvf into an RGBA32F framebuffer, the references in float) */
#define TOL_ZIMG_FLOAT_MEAN 0.01
#define TOL_ZIMG_FLOAT_MAX 0.1
/* the desaturating gamut map against zimg's linear light desaturated here:
 * glvf clamps the non-linear RGB signal to [0, 1] before linearising, zimg
 * does not; a BT.2020 SDR orange whose red is at the top code decodes to
 * R' = 1.0009, so zimg's linear red is 0.2% higher and the desaturation
 * (which, unlike clipping, sees the excess) differs by 0.32/255 in blue
 * (1 level in 8 bits). HLG after hable: 0.0003 on GL 3.3, 0.105 on GLES. */
#define TOL_DESAT_FLOAT_MEAN 0.02
#define TOL_DESAT_FLOAT_MAX 0.5
#define TOL_PLACEBO_FLOAT_MEAN 0.15
#define TOL_PLACEBO_FLOAT_MAX 1.5

enum { W = 256, H = 144, BW = 32, BH = 48, RAMP_Y0 = 104, RAMP_Y1 = 136 };

static harness_ctx *HC;
static glvf_context *CTX;
static const char *PLACEBO_REF;

typedef enum clip_kind { K_PQ, K_HLG, K_SDR } clip_kind;

typedef struct clip_spec {
    const char *name;
    clip_kind kind;
    double kr, kb;               /* YCbCr matrix */
    const char *x265;            /* colour VUI for x265 */
    const char *tags;            /* the same for the muxer */
    double peak;                 /* source peak (nits) glvf should find */
    double cll, fall, mdmax, mdmin; /* the HDR metadata glvf should find */
    int primaries, transfer;     /* the tags glvf should find */
} clip_spec;

#define BT2020_VUI "colorprim=bt2020:colormatrix=bt2020nc:range=limited"
static const clip_spec CLIPS[] = {
    { "pq", K_PQ, 0.2627, 0.0593,
      "hdr10=1:" BT2020_VUI ":transfer=smpte2084:"
      "master-display=G(8500,39850)B(6550,2300)R(35400,14600)WP(15635,16450)L(10000000,1):"
      "max-cll=1000,400",
      "-color_primaries bt2020 -color_trc smpte2084 -colorspace bt2020nc", 1000,
      1000, 400, 1000, 0.0001, GLVF_PRIMARIES_BT2020, GLVF_TRANSFER_PQ },
    /* no content light level: the peak comes from the mastering display */
    { "pq-4000", K_PQ, 0.2627, 0.0593,
      "hdr10=1:" BT2020_VUI ":transfer=smpte2084:"
      "master-display=G(8500,39850)B(6550,2300)R(35400,14600)WP(15635,16450)L(40000000,50)",
      "-color_primaries bt2020 -color_trc smpte2084 -colorspace bt2020nc", 4000,
      0, 0, 4000, 0.005, GLVF_PRIMARIES_BT2020, GLVF_TRANSFER_PQ },
    { "hlg", K_HLG, 0.2627, 0.0593, BT2020_VUI ":transfer=arib-std-b67",
      "-color_primaries bt2020 -color_trc arib-std-b67 -colorspace bt2020nc", 1000,
      0, 0, 0, 0, GLVF_PRIMARIES_BT2020, GLVF_TRANSFER_HLG },
    { "bt2020-sdr", K_SDR, 0.2627, 0.0593, BT2020_VUI ":transfer=bt2020-10",
      "-color_primaries bt2020 -color_trc bt2020-10 -colorspace bt2020nc", 0, 0, 0, 0, 0,
      GLVF_PRIMARIES_BT2020, 14 /* BT.2020 10-bit (SDR) */ },
    { "p3-sdr", K_SDR, 0.2126, 0.0722,
      "colorprim=smpte432:colormatrix=bt709:range=limited:transfer=bt709",
      "-color_primaries smpte432 -color_trc bt709 -colorspace bt709", 0, 0, 0, 0, 0,
      GLVF_PRIMARIES_DISPLAY_P3, GLVF_TRANSFER_BT709 },
    /* DCI-P3's white is not D65: a Bradford adaptation in all three */
    { "dcip3-sdr", K_SDR, 0.2126, 0.0722,
      "colorprim=smpte431:colormatrix=bt709:range=limited:transfer=bt709",
      "-color_primaries smpte431 -color_trc bt709 -colorspace bt709", 0, 0, 0, 0, 0,
      GLVF_PRIMARIES_DCI_P3, GLVF_TRANSFER_BT709 },
};

/* The blocks, as light in the clip's own primaries: nits for PQ; for HLG
 * the scene light value / 1000; for SDR the display light value / 1000. */
static const double BLOCKS[16][3] = {
    { 0, 0, 0 },       { 5, 5, 5 },          { 50, 50, 50 },      { 203, 203, 203 },
    { 600, 600, 600 }, { 1000, 1000, 1000 }, { 127.4, 14.0, 3.3 }, { 160, 110, 80 },
    { 400, 0, 0 },     { 0, 300, 0 },        { 0, 0, 150 },       { 800, 800, 0 },
    { 0, 500, 500 },   { 250, 0, 250 },      { 1000, 500, 100 },  { 49.4, 137.9, 13.2 },
};

static double nits_to_pq(double n)
{
    const double m1 = 2610.0 / 16384, m2 = 2523.0 / 4096 * 128, c1 = 3424.0 / 4096,
                 c2 = 2413.0 / 4096 * 32, c3 = 2392.0 / 4096 * 32;
    double y = pow(fmax(n, 0) / 10000.0, m1);
    return pow((c1 + c2 * y) / (1 + c3 * y), m2);
}

static double hlg_oetf(double e)
{
    const double a = 0.17883277, b = 1 - 4 * a, c = 0.5 - a * log(4 * a);
    e = fmin(fmax(e, 0), 1);
    return e <= 1.0 / 12 ? sqrt(3 * e) : a * log(12 * e - b) + c;
}

/* non-linear signal of one component of a block */
static double code_value(const clip_spec *c, double v)
{
    switch (c->kind) {
    case K_PQ: return nits_to_pq(v);
    case K_HLG: return hlg_oetf(v / 1000.0);
    default: return pow(fmin(v / 1000.0, 1.0), 1 / 2.4);
    }
}

static void put(uint16_t *p, int stride, int x, int y, double v)
{
    long q = lround(v);
    p[(size_t)y * (size_t)stride + (size_t)x] = (uint16_t)(q < 0 ? 0 : q > 1023 ? 1023 : q);
}

/* Writes the clip's raw yuv420p10le (2 frames) and encodes it. */
static bool make_clip(const clip_spec *c)
{
    size_t ny = (size_t)W * H, nc = (size_t)(W / 2) * (H / 2);
    uint16_t *buf = calloc(ny + 2 * nc, 2), *Y = buf, *U = buf + ny, *V = U + nc;
    double ramp_top = c->kind == K_PQ ? nits_to_pq(c->peak) : 1.0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double yy, cb = 0, cr = 0;
            if (y < 96) {
                const double *b = BLOCKS[(y / BH) * 8 + x / BW];
                double r = code_value(c, b[0]), g = code_value(c, b[1]), bl = code_value(c, b[2]);
                yy = c->kr * r + (1 - c->kr - c->kb) * g + c->kb * bl;
                cb = (bl - yy) / (2 * (1 - c->kb));
                cr = (r - yy) / (2 * (1 - c->kr));
            } else {
                yy = ramp_top * x / (W - 1);
            }
            put(Y, W, x, y, 64 + 876 * yy);
            if (!(x & 1) && !(y & 1)) {
                put(U, W / 2, x / 2, y / 2, 512 + 896 * cb);
                put(V, W / 2, x / 2, y / 2, 512 + 896 * cr);
            }
        }
    char raw[64], cmd[2048];
    snprintf(raw, sizeof raw, "%s.yuv", c->name);
    FILE *f = fopen(media_path(raw), "wb");
    bool ok = f != NULL;
    for (int i = 0; ok && i < 2; i++)
        ok = fwrite(buf, 2, ny + 2 * nc, f) == ny + 2 * nc;
    if (f)
        ok = fclose(f) == 0 && ok;
    free(buf);
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -hide_banner -v error -y -f rawvideo -pix_fmt yuv420p10le "
             "-s %dx%d -r 25 -i '%s' -c:v libx265 -x265-params 'log-level=error:lossless=1:%s' "
             "%s -color_range tv '%s/%s.mkv'",
             W, H, media_path(raw), c->x265, c->tags, media_dir, c->name);
    return ok && media_sh(cmd);
}

/* The blocks left out of the libplacebo comparisons (printed apart), and
 * why. HDR: blocks with a BT.709 component brighter than the source peak
 * once converted (display light; HLG through its OOTF for Lw = peak):
 * libplacebo clamps each channel to the source peak before its max-RGB tone
 * mapping, glvf (and vf_tonemap) scale the colour by f(max)/max, so their
 * hues differ there by design. */
static const char *skip_reason = "";

static unsigned placebo_skip_blocks(const clip_spec *c, double peak)
{
    if (c->primaries == GLVF_PRIMARIES_DCI_P3) {
        /* libplacebo 4.208 adapts DCI-P3's white to D65 with the CIECAM97s
         * (revised, linear) cone matrix, glvf and zimg with Bradford: the
         * greys agree, saturated colours do not (blue: G 10/255 apart) */
        skip_reason = "libplacebo adapts the DCI white with CIECAM97s, not Bradford";
        return 0xffc0u; /* all but the greys */
    }
    skip_reason = "a BT.709 component over the source peak";
    static const double m[3][3] = { { 1.6605, -0.5876, -0.0728 },
                                    { -0.1246, 1.1329, -0.0083 },
                                    { -0.0182, -0.1006, 1.1187 } };
    unsigned mask = 0;
    if (c->kind == K_SDR)
        return 0;
    for (int k = 0; k < 16; k++) {
        double l[3];
        for (int i = 0; i < 3; i++)
            l[i] = BLOCKS[k][i];
        if (c->kind == K_HLG) {
            double e[3], ys;
            for (int i = 0; i < 3; i++)
                e[i] = fmin(l[i] / 1000.0, 1.0);
            ys = 0.2627 * e[0] + 0.6780 * e[1] + 0.0593 * e[2];
            double gamma = 1.2 + 0.42 * log10(peak / 1000.0);
            for (int i = 0; i < 3; i++)
                l[i] = peak * pow(ys, gamma - 1) * e[i];
        }
        for (int i = 0; i < 3; i++)
            if (m[i][0] * l[0] + m[i][1] * l[1] + m[i][2] * l[2] > peak * 1.001)
                mask |= 1u << k;
    }
    return mask;
}

/* ---- references --------------------------------------------------------- */

static const char *curve_name(glvf_tone_map tm)
{
    switch (tm) {
    case GLVF_TONE_MAP_CLIP: return "clip";
    case GLVF_TONE_MAP_HABLE: return "hable";
    case GLVF_TONE_MAP_MOBIUS: return "mobius";
    default: return "bt2390";
    }
}

/* Reference A: zimg (+ vf_tonemap for HDR) to RGBA8. */
/* Desaturating gamut map, as specified: towards the grey of the same BT.709
 * luminance (clamped to [0, 1]), just far enough for every channel to fit. */
static void desaturate(double l[3])
{
    double y = fmin(fmax(0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2], 0.0), 1.0), t = 1.0;
    for (int i = 0; i < 3; i++) {
        if (l[i] > 1.0)
            t = fmin(t, (1.0 - y) / (l[i] - y));
        else if (l[i] < 0.0)
            t = fmin(t, y / (y - l[i]));
    }
    for (int i = 0; i < 3; i++)
        l[i] = y + t * (l[i] - y);
}

/* Reference A: zimg (+ vf_tonemap for HDR) to RGBA8 (out) and float (outf).
 * With desat, zimg stops at linear BT.709 and the desaturating gamut map
 * and the encoding are done here. */
static bool ref_zimg(const clip_spec *c, glvf_tone_map tm, bool desat, double white,
                     uint8_t *out, float *outf)
{
    char tmf[128] = "", cmd[2048], name[64];
    if (c->kind != K_SDR)
        snprintf(tmf, sizeof tmf, "tonemap=tonemap=%s:desat=0:peak=%.6f,", curve_name(tm),
                 c->peak / white);
    snprintf(name, sizeof name, "%s-%s%s-%.0f.zimg", c->name,
             c->kind == K_SDR ? "sdr" : curve_name(tm), desat ? "-linear" : "", white);
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -hide_banner -v error -y -i '%s/%s.mkv' -frames:v 1 -vf "
             "'zscale=t=linear:npl=%.1f:agamma=0,format=gbrpf32le,zscale=p=bt709,%s"
             "%sformat=gbrpf32le' -f rawvideo -pix_fmt gbrpf32le '%s'",
             media_dir, c->name, white, tmf, desat ? "" : "zscale=t=bt709,", media_path(name));
    if (!media_sh(cmd))
        return false;
    size_t n = 0;
    unsigned char *d = media_read(name, &n);
    if (!d || n != (size_t)W * H * 3 * 4) {
        printf("# %s: %zu bytes, expected %d\n", name, n, W * H * 12);
        free(d);
        return false;
    }
    static const int plane_of[3] = { 2, 0, 1 }; /* gbrp: G, B, R planes */
    for (size_t i = 0; i < (size_t)W * H; i++) {
        double l[3];
        for (int ch = 0; ch < 3; ch++) {
            float v;
            memcpy(&v, d + ((size_t)plane_of[ch] * W * H + i) * 4, 4);
            l[ch] = isnan(v) ? 0 : v;
        }
        if (desat)
            desaturate(l);
        for (int ch = 0; ch < 3; ch++) {
            double q = fmin(fmax(l[ch], 0.0), 1.0);
            if (desat)
                q = pow(q, 1 / 2.4);
            out[i * 4 + (size_t)ch] = (uint8_t)lround(q * 255);
            outf[i * 4 + (size_t)ch] = (float)q;
        }
        out[i * 4 + 3] = 255;
        outf[i * 4 + 3] = 1;
    }
    free(d);
    return true;
}

/* Reference B: libplacebo through placebo-ref. */
static bool ref_placebo(const clip_spec *c, double peak, const char *opts, uint8_t *out,
                        float *outf)
{
    char cmd[2048], name[96];
    size_t want = (size_t)W * H * 4 * (outf ? sizeof(float) : 1);
    snprintf(name, sizeof name, "%s-%.0f%s%s.placebo%s", c->name, peak, opts[0] ? "-" : "",
             opts, outf ? "-f32" : "");
    for (char *q = name; *q; q++)
        *q = *q == ' ' || *q == '=' ? '_' : *q;
    /* always GL 3.3: libplacebo 4.208 finds no texture format for 16-bit
     * planes on llvmpipe's GLES 3.0 (the reference image is the same) */
    snprintf(cmd, sizeof cmd, "'%s' gl33 '%s/%s.mkv' '%s' %.1f%s %s", PLACEBO_REF, media_dir,
             c->name, media_path(name), peak, outf ? " f32" : "", opts);
    if (!media_sh(cmd))
        return false;
    size_t n = 0;
    unsigned char *d = media_read(name, &n);
    bool ok = d && n == want;
    if (ok && outf) {
        memcpy(outf, d, n);
        for (size_t i = 0; i < (size_t)W * H * 4; i++)
            outf[i] = isnan(outf[i]) ? 0.0f : fminf(fmaxf(outf[i], 0.0f), 1.0f);
    } else if (ok) {
        memcpy(out, d, n);
    }
    free(d);
    return ok;
}

/* ---- glvf ---------------------------------------------------------------- */

static AVFrame *decode_first(const clip_spec *c, ref_frames *refs)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.mkv", media_dir, c->name);
    if (ref_decode(path, refs) < 1)
        return NULL;
    return refs->f[0];
}

static bool glvf_draw(const AVFrame *av, const glvf_render_params *p, uint8_t *out,
                      glvf_colorimetry *color)
{
    int err = 0;
    glvf_frame *f = glvf_ffmpeg_upload(CTX, av, NULL, &err);
    if (!f) {
        printf("# glvf_ffmpeg_upload: %d\n", err);
        return false;
    }
    if (color)
        *color = glvf_frame_image(f)->color;
    harness_fbo fbo;
    harness_fbo_create(&fbo, W, H);
    int r = glvf_render(CTX, f, p);
    harness_fbo_read_rgba(&fbo, out);
    harness_fbo_destroy(&fbo);
    glvf_frame_unref(&f);
    return r == 0;
}

/* The same into an RGBA32F framebuffer, read back as floats (top row first):
 * the output before its 8-bit rounding. False (with a note) where float
 * colour buffers are not renderable (GLES 3.0 without
 * EXT_color_buffer_float). */
static bool glvf_draw_float(const AVFrame *av, const glvf_render_params *p, float *out)
{
    if (harness_ctx_api(HC) == HARNESS_GLES30 &&
        !epoxy_has_gl_extension("GL_EXT_color_buffer_float")) {
        printf("# no EXT_color_buffer_float: float comparison skipped\n");
        return false;
    }
    int err = 0;
    glvf_frame *f = glvf_ffmpeg_upload(CTX, av, NULL, &err);
    if (!f)
        return false;
    GLuint tex, fb;
    glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA32F, W, H, 0, GL_RGBA, GL_FLOAT, NULL);
    glBindTexture(GL_TEXTURE_2D, 0);
    glGenFramebuffers(1, &fb);
    glBindFramebuffer(GL_FRAMEBUFFER, fb);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, tex, 0);
    bool ok = glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;
    glViewport(0, 0, W, H);
    ok = ok && glvf_render(CTX, f, p) == 0;
    float *rows = malloc((size_t)W * H * 4 * sizeof(float));
    glPixelStorei(GL_PACK_ALIGNMENT, 4);
    glReadPixels(0, 0, W, H, GL_RGBA, GL_FLOAT, rows);
    for (int y = 0; y < H; y++) /* GL rows are bottom first */
        memcpy(out + (size_t)y * W * 4, rows + (size_t)(H - 1 - y) * W * 4,
               (size_t)W * 4 * sizeof(float));
    for (size_t i = 0; i < (size_t)W * H * 4; i++)
        out[i] = fminf(fmaxf(out[i], 0.0f), 1.0f); /* as the 8-bit buffer would */
    free(rows);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glDeleteFramebuffers(1, &fb);
    glDeleteTextures(1, &tex);
    glvf_frame_unref(&f);
    ok = ok && harness_gl_error("float framebuffer") == 0;
    return ok;
}

/* ---- comparison --------------------------------------------------------- */

typedef struct stats {
    double mean;
    int max;
    int mx, my; /* where the worst is */
} stats;

static stats compare_region(const uint8_t *a, const uint8_t *b, int x0, int y0, int x1, int y1,
                            stats *acc, long *acc_n, double *acc_sum)
{
    stats s = { 0, 0, x0, y0 };
    long n = 0;
    double sum = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            for (int ch = 0; ch < 3; ch++) {
                size_t i = ((size_t)y * W + (size_t)x) * 4 + (size_t)ch;
                int e = abs(a[i] - b[i]);
                sum += e;
                n++;
                if (e > s.max) {
                    s.max = e;
                    s.mx = x;
                    s.my = y;
                }
            }
    s.mean = sum / (double)n;
    if (acc) {
        *acc_n += n;
        *acc_sum += sum;
        if (s.max > acc->max) {
            acc->max = s.max;
            acc->mx = s.mx;
            acc->my = s.my;
        }
    }
    return s;
}

static const uint8_t *px(const uint8_t *img, int x, int y)
{
    return img + ((size_t)y * W + (size_t)x) * 4;
}

/* summary of all figures, printed at the end */
static char summary[64][160];
static int n_summary;

static void compare_case(const char *clip, const char *curve, const char *refname,
                         const uint8_t *ref, const uint8_t *got, double tol_mean, int tol_max,
                         unsigned skip_blocks)
{
    if (getenv("GLVF_TEST_KEEP_MEDIA")) { /* for a look: raw RGBA of both */
        char name[96];
        snprintf(name, sizeof name, "%s-%s-%s.ref.rgba", clip, curve, refname);
        media_write(name, ref, (size_t)W * H * 4);
        snprintf(name, sizeof name, "%s-%s-%s.glvf.rgba", clip, curve, refname);
        media_write(name, got, (size_t)W * H * 4);
    }
    stats blocks = { 0 };
    long bn = 0;
    double bsum = 0;
    int worst_block = -1, worst_block_err = -1;
    for (int k = 0; k < 16; k++) {
        int bx = (k % 8) * BW, by = (k / 8) * BH;
        if (skip_blocks & (1u << k)) {
            stats s = compare_region(ref, got, bx + 8, by + 16, bx + 24, by + 32, NULL, NULL, NULL);
            const uint8_t *r = px(ref, bx + 16, by + 24), *g = px(got, bx + 16, by + 24);
            printf("# %-10s %-6s vs %-10s block %d left out (%s: glvf %d,%d,%d, %s %d,%d,%d; "
                   "mean %.3f worst %d)\n",
                   clip, curve, refname, k, skip_reason, g[0], g[1], g[2], refname, r[0], r[1],
                   r[2], s.mean, s.max);
            continue;
        }
        stats s = compare_region(ref, got, bx + 8, by + 16, bx + 24, by + 32, &blocks, &bn, &bsum);
        if (s.max > worst_block_err) {
            worst_block_err = s.max;
            worst_block = k;
        }
    }
    blocks.mean = bsum / (double)bn;
    stats ramp = compare_region(ref, got, 0, RAMP_Y0, W, RAMP_Y1, NULL, NULL, NULL);
    const uint8_t *rb = px(ref, blocks.mx, blocks.my), *gb = px(got, blocks.mx, blocks.my);
    const uint8_t *rr = px(ref, ramp.mx, ramp.my), *gr = px(got, ramp.mx, ramp.my);
    printf("# %-10s %-6s vs %-10s blocks mean %.3f/255 worst %d/255 (block %d: %d,%d,%d vs "
           "%d,%d,%d)  ramp mean %.3f/255 worst %d/255 (x %d: %d,%d,%d vs %d,%d,%d)\n",
           clip, curve, refname, blocks.mean, blocks.max, worst_block, gb[0], gb[1], gb[2], rb[0],
           rb[1], rb[2], ramp.mean, ramp.max, ramp.mx, gr[0], gr[1], gr[2], rr[0], rr[1], rr[2]);
    if (n_summary < 64)
        snprintf(summary[n_summary++], sizeof summary[0],
                 "%-10s %-6s vs %-10s blocks mean %.3f worst %d; ramp mean %.3f worst %d", clip,
                 curve, refname, blocks.mean, blocks.max, ramp.mean, ramp.max);
    CHECK(blocks.mean <= tol_mean && blocks.max <= tol_max,
          "%s %s vs %s: blocks mean %.3f worst %d (tolerance %.2f, %d)", clip, curve, refname,
          blocks.mean, blocks.max, tol_mean, tol_max);
    CHECK(ramp.mean <= tol_mean && ramp.max <= tol_max,
          "%s %s vs %s: ramp mean %.3f worst %d (tolerance %.2f, %d)", clip, curve, refname,
          ramp.mean, ramp.max, tol_mean, tol_max);
}

/* Before rounding: glvf's float output against a reference's, in 8-bit
 * levels (|a - b| * 255), blocks (but skip_blocks) and ramp. */
static void compare_float(const char *clip, const char *curve, const char *refname,
                          const float *ref, const float *got, double tol_mean, double tol_max,
                          unsigned skip_blocks)
{
    double fig[2][2] = { { 0, 0 }, { 0, 0 } }; /* [blocks|ramp][mean|worst] */
    long n[2] = { 0, 0 };
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int r;
            if (y < 96 && (x % BW) >= 8 && (x % BW) < 24 && (y % BH) >= 16 && (y % BH) < 32) {
                if (skip_blocks & (1u << ((y / BH) * 8 + x / BW)))
                    continue;
                r = 0;
            }
            else if (y >= RAMP_Y0 && y < RAMP_Y1)
                r = 1;
            else
                continue;
            for (int ch = 0; ch < 3; ch++) {
                size_t i = ((size_t)y * W + (size_t)x) * 4 + (size_t)ch;
                double e = fabs((double)ref[i] - (double)got[i]) * 255.0;
                fig[r][0] += e;
                fig[r][1] = e > fig[r][1] ? e : fig[r][1];
                n[r]++;
            }
        }
    fig[0][0] /= (double)n[0];
    fig[1][0] /= (double)n[1];
    printf("# %-10s %-6s vs %s, float: blocks mean %.4f/255 worst %.4f/255  ramp mean "
           "%.4f/255 worst %.4f/255\n",
           clip, curve, refname, fig[0][0], fig[0][1], fig[1][0], fig[1][1]);
    if (n_summary < 64)
        snprintf(summary[n_summary++], sizeof summary[0],
                 "%-10s %-6s vs %s, float: blocks mean %.4f worst %.4f; ramp mean %.4f worst "
                 "%.4f",
                 clip, curve, refname, fig[0][0], fig[0][1], fig[1][0], fig[1][1]);
    for (int r = 0; r < 2; r++)
        CHECK(fig[r][0] <= tol_mean && fig[r][1] <= tol_max,
              "%s %s vs %s, float, %s: mean %.4f worst %.4f (tolerance %.3f, %.3f)", clip, curve,
              refname, r ? "ramp" : "blocks", fig[r][0], fig[r][1], tol_mean, tol_max);
}

typedef struct clip_case {
    const clip_spec *clip;
} clip_case;

static void test_clip(const clip_case *cc)
{
    const clip_spec *c = cc->clip;
    REQUIRE(make_clip(c), "%s: encoding failed", c->name);
    ref_frames refs;
    AVFrame *av = decode_first(c, &refs);
    REQUIRE(av, "%s: decoding failed", c->name);
    uint8_t *got = malloc((size_t)W * H * 4), *ref = malloc((size_t)W * H * 4);
    float *gotf = malloc((size_t)W * H * 4 * sizeof(float)),
          *reff = malloc((size_t)W * H * 4 * sizeof(float));
    glvf_colorimetry col;
    static const glvf_tone_map zimg_curves[] = { GLVF_TONE_MAP_CLIP, GLVF_TONE_MAP_HABLE,
                                                 GLVF_TONE_MAP_MOBIUS };
    /* the colour glvf takes from the stream */
    bool drawn = glvf_draw(av, glvf_render_params(.tone_map = GLVF_TONE_MAP_BT2390), got, &col);
    CHECK(drawn, "%s: glvf_render failed", c->name);
    printf("# %s: %s/%s, hdr max_cll %.0f max_fall %.0f mastering %.4f-%.0f nits\n", c->name,
           glvf_primaries_name(col.primaries), glvf_transfer_name(col.transfer),
           (double)col.hdr.max_cll, (double)col.hdr.max_fall, (double)col.hdr.min_luminance,
           (double)col.hdr.max_luminance);
    CHECK(col.primaries == c->primaries && col.transfer == c->transfer,
          "%s: tags %d/%d, want %d/%d", c->name, col.primaries, col.transfer, c->primaries,
          c->transfer);
    if (c->kind == K_PQ) {
        CHECK(fabs(col.hdr.max_cll - c->cll) < 0.5 && fabs(col.hdr.max_fall - c->fall) < 0.5,
              "content light level from the SEI: %.1f, %.1f (want %.0f, %.0f)",
              (double)col.hdr.max_cll, (double)col.hdr.max_fall, c->cll, c->fall);
        CHECK(fabs(col.hdr.max_luminance - c->mdmax) < 0.5 &&
                      fabs(col.hdr.min_luminance - c->mdmin) < 1e-6,
              "mastering display from the SEI: %.4f-%.1f (want %.4f-%.0f)",
              (double)col.hdr.min_luminance, (double)col.hdr.max_luminance, c->mdmin, c->mdmax);
    }
    {
        /* glvf's own decoder (its thread, direct rendering forced: the
         * pictures in glvf staging memory) gives the same colorimetry and
         * the same pixels as libavcodec alone */
        int err = 0;
        char path[512];
        snprintf(path, sizeof path, "%s/%s.mkv", media_dir, c->name);
        glvf_ffmpeg_decoder *dec = glvf_ffmpeg_decoder_open(
                glvf_ffmpeg_decoder_params(.path = path, .ctx = CTX,
                                           .direct_rendering = GLVF_FFMPEG_DR_FORCE,
                                           .threads = 1, .log = check_log),
                &err);
        CHECK(dec, "%s: glvf decoder open failed (%d)", c->name, err);
        AVFrame *df = NULL;
        if (dec && glvf_ffmpeg_decoder_next(dec, &df, 20000) == 0) {
            glvf_colorimetry dcol;
            uint8_t *dgot = malloc((size_t)W * H * 4);
            bool ok = glvf_draw(df, glvf_render_params(.tone_map = GLVF_TONE_MAP_BT2390), dgot,
                                &dcol);
            CHECK(ok && memcmp(dgot, got, (size_t)W * H * 4) == 0,
                  "%s: glvf's decoder (DR %s) draws differently", c->name,
                  glvf_ffmpeg_frame_is_direct(df) ? "on" : "off");
            CHECK(dcol.matrix == col.matrix && dcol.range == col.range &&
                          dcol.primaries == col.primaries && dcol.transfer == col.transfer &&
                          dcol.hdr.max_cll == col.hdr.max_cll &&
                          dcol.hdr.max_fall == col.hdr.max_fall &&
                          dcol.hdr.max_luminance == col.hdr.max_luminance &&
                          dcol.hdr.min_luminance == col.hdr.min_luminance,
                  "%s: glvf's decoder gives other colorimetry (max_cll %.0f, mastering %.0f)",
                  c->name, (double)dcol.hdr.max_cll, (double)dcol.hdr.max_luminance);
            printf("# %s: glvf's decoder (direct rendering %s): same colorimetry and pixels\n",
                   c->name, glvf_ffmpeg_frame_is_direct(df) ? "on" : "off");
            free(dgot);
            glvf_ffmpeg_decoder_release(dec, &df);
        } else if (dec) {
            CHECK(false, "%s: glvf decoder gave no frame", c->name);
        }
        glvf_ffmpeg_decoder_destroy(&dec);
    }
    if (c->kind == K_SDR) {
        /* no tone mapping: one rendering against both references */
        if (drawn && ref_zimg(c, GLVF_TONE_MAP_AUTO, false, 203, ref, reff)) {
            compare_case(c->name, "-", "zimg", ref, got, TOL_ZIMG_MEAN, TOL_ZIMG_MAX, 0);
            if (glvf_draw_float(av, NULL, gotf))
                compare_float(c->name, "-", "zimg", reff, gotf, TOL_ZIMG_FLOAT_MEAN,
                              TOL_ZIMG_FLOAT_MAX, 0);
        } else {
            CHECK(false, "%s: zimg reference failed", c->name);
        }
    } else {
        for (size_t i = 0; i < 3; i++) {
            bool ok = glvf_draw(av, glvf_render_params(.tone_map = zimg_curves[i]), got, NULL);
            CHECK(ok, "%s %s: glvf_render failed", c->name, curve_name(zimg_curves[i]));
            if (ok && ref_zimg(c, zimg_curves[i], false, 203, ref, reff)) {
                compare_case(c->name, curve_name(zimg_curves[i]), "zimg", ref, got,
                             TOL_ZIMG_MEAN, TOL_ZIMG_MAX, 0);
                if (glvf_draw_float(av, glvf_render_params(.tone_map = zimg_curves[i]), gotf))
                    compare_float(c->name, curve_name(zimg_curves[i]), "zimg", reff, gotf,
                                  TOL_ZIMG_FLOAT_MEAN, TOL_ZIMG_FLOAT_MAX, 0);
            } else
                CHECK(false, "%s %s: zimg reference failed", c->name, curve_name(zimg_curves[i]));
        }
        /* the comparison sees a wrong curve: glvf's hable against zimg's mobius */
        if (glvf_draw(av, glvf_render_params(.tone_map = GLVF_TONE_MAP_HABLE), got, NULL) &&
            ref_zimg(c, GLVF_TONE_MAP_MOBIUS, false, 203, ref, reff)) {
            stats s = compare_region(ref, got, 0, 0, W, 96, NULL, NULL, NULL);
            printf("# %s: control, glvf hable vs zimg mobius: worst %d/255\n", c->name, s.max);
            CHECK(s.max > 10 * TOL_ZIMG_MAX, "%s: hable and mobius within %d levels", c->name,
                  s.max);
        }
        drawn = glvf_draw(av, glvf_render_params(.tone_map = GLVF_TONE_MAP_BT2390), got, NULL);
    }
    {
        /* the desaturating gamut map (HDR: after hable), zimg's linear light
         * desaturated as specified */
        glvf_tone_map tm = c->kind == K_SDR ? GLVF_TONE_MAP_AUTO : GLVF_TONE_MAP_HABLE;
        const char *curve = c->kind == K_SDR ? "desat" : "hab+ds";
        const glvf_render_params *p = glvf_render_params(
                .tone_map = tm, .gamut_map = GLVF_GAMUT_MAP_DESATURATE);
        if (glvf_draw(av, p, got, NULL) && ref_zimg(c, tm, true, 203, ref, reff)) {
            compare_case(c->name, curve, "zimg", ref, got, TOL_ZIMG_MEAN, TOL_ZIMG_MAX, 0);
            if (glvf_draw_float(av, p, gotf))
                compare_float(c->name, curve, "zimg", reff, gotf, TOL_DESAT_FLOAT_MEAN,
                              TOL_DESAT_FLOAT_MAX, 0);
        } else {
            CHECK(false, "%s: desaturating rendering or reference failed", c->name);
        }
        drawn = glvf_draw(av, glvf_render_params(.tone_map = GLVF_TONE_MAP_BT2390), got, NULL);
    }
    if (!PLACEBO_REF) {
        printf("# %s: libplacebo comparison skipped (built without libplacebo)\n", c->name);
    } else if (drawn && ref_placebo(c, c->kind == K_SDR ? 203.0 : c->peak, "", ref, NULL)) {
        const char *curve = c->kind == K_SDR ? "-" : "bt2390";
        compare_case(c->name, curve, "libplacebo", ref, got, TOL_PLACEBO_MEAN, TOL_PLACEBO_MAX,
                     placebo_skip_blocks(c, c->peak));
        if (glvf_draw_float(av, NULL, gotf)) {
            CHECK(ref_placebo(c, c->kind == K_SDR ? 203.0 : c->peak, "", NULL, reff),
                  "%s: libplacebo float reference failed", c->name);
            compare_float(c->name, curve, "libplacebo", reff, gotf, TOL_PLACEBO_FLOAT_MEAN,
                          TOL_PLACEBO_FLOAT_MAX, placebo_skip_blocks(c, c->peak));
        }
    } else {
        CHECK(false, "%s: libplacebo reference failed", c->name);
    }
    if (strcmp(c->name, "pq") == 0) {
        /* the parameters: target_peak 100 (zimg npl=100, tonemap peak
         * 1000/100; libplacebo white 100 nits) and BT.2390's knee 1.0 */
        const glvf_render_params *hab100 =
                glvf_render_params(.tone_map = GLVF_TONE_MAP_HABLE, .target_peak = 100);
        if (glvf_draw(av, hab100, got, NULL) &&
            ref_zimg(c, GLVF_TONE_MAP_HABLE, false, 100, ref, reff)) {
            compare_case(c->name, "hab@100", "zimg", ref, got, TOL_ZIMG_MEAN, TOL_ZIMG_MAX, 0);
            if (glvf_draw_float(av, hab100, gotf))
                compare_float(c->name, "hab@100", "zimg", reff, gotf, TOL_ZIMG_FLOAT_MEAN,
                              TOL_ZIMG_FLOAT_MAX, 0);
        } else {
            CHECK(false, "%s: target_peak 100 rendering or reference failed", c->name);
        }
        static const struct {
            const char *label, *opts;
            float knee, white;
        } pcases[] = { { "2390@100", "white=100", 0, 100 }, { "knee1.0", "knee=1.0", 1.0f, 0 } };
        for (size_t i = 0; PLACEBO_REF && i < 2; i++) {
            const glvf_render_params *pp = glvf_render_params(
                    .tone_map = GLVF_TONE_MAP_BT2390, .tone_map_param = pcases[i].knee,
                    .target_peak = pcases[i].white);
            if (glvf_draw(av, pp, got, NULL) && ref_placebo(c, c->peak, pcases[i].opts, ref, NULL)) {
                compare_case(c->name, pcases[i].label, "libplacebo", ref, got, TOL_PLACEBO_MEAN,
                             TOL_PLACEBO_MAX, placebo_skip_blocks(c, c->peak));
                if (glvf_draw_float(av, pp, gotf) &&
                    ref_placebo(c, c->peak, pcases[i].opts, NULL, reff))
                    compare_float(c->name, pcases[i].label, "libplacebo", reff, gotf,
                                  TOL_PLACEBO_FLOAT_MEAN, TOL_PLACEBO_FLOAT_MAX,
                                  placebo_skip_blocks(c, c->peak));
            } else {
                CHECK(false, "%s %s: rendering or reference failed", c->name, pcases[i].label);
            }
        }
    }
    if (PLACEBO_REF && c->kind == K_HLG) {
        /* another display peak: the OOTF's system gamma 1.2 + 0.42 log10(Lw / 1000)
         * (1.107 at 600 nits), and the tone mapping from Lw */
        drawn = glvf_draw(av, glvf_render_params(.hlg_peak = 600), got, NULL);
        if (drawn && ref_placebo(c, 600, "", ref, NULL)) {
            compare_case(c->name, "bt2390", "libplacebo (Lw 600)", ref, got, TOL_PLACEBO_MEAN,
                         TOL_PLACEBO_MAX, placebo_skip_blocks(c, 600));
            if (glvf_draw_float(av, glvf_render_params(.hlg_peak = 600), gotf) &&
                ref_placebo(c, 600, "", NULL, reff))
                compare_float(c->name, "bt2390", "libplacebo (Lw 600)", reff, gotf,
                              TOL_PLACEBO_FLOAT_MEAN, TOL_PLACEBO_FLOAT_MAX,
                              placebo_skip_blocks(c, 600));
        } else
            CHECK(false, "%s: Lw 600 rendering or reference failed", c->name);
    }
    free(got);
    free(ref);
    free(gotf);
    free(reff);
    ref_free(&refs);
}

/* A BT.709 SDR frame: primaries 1 and 0 and no colour parameters draw the
 * same pixels. */
static void test_bt709_unchanged(void *arg)
{
    (void)arg;
    static const media_clip clip = { "bt709.mkv", "libx265", "256x144", 1,
                                     "-pix_fmt yuv420p10le -x265-params log-level=error:"
                                     "colorprim=bt709:transfer=bt709:colormatrix=bt709 "
                                     "-color_primaries bt709 -color_trc bt709 -colorspace bt709" };
    REQUIRE(media_make(&clip), "encoding failed");
    ref_frames refs;
    REQUIRE(ref_decode(media_path("bt709.mkv"), &refs) >= 1, "decoding failed");
    uint8_t *a = malloc((size_t)W * H * 4), *b = malloc((size_t)W * H * 4),
            *d = malloc((size_t)W * H * 4);
    glvf_colorimetry col;
    CHECK(glvf_draw(refs.f[0], glvf_render_params(.primaries = GLVF_PRIMARIES_BT709), a, &col),
          "draw");
    CHECK(col.primaries == GLVF_PRIMARIES_BT709 && col.transfer == GLVF_TRANSFER_BT709,
          "tags %d/%d", col.primaries, col.transfer);
    /* primaries 0 in the parameters: the frame's (1); then unspecified (2) */
    CHECK(glvf_draw(refs.f[0], glvf_render_params(.primaries = 0), b, NULL), "draw");
    CHECK(glvf_draw(refs.f[0], glvf_render_params(.primaries = GLVF_PRIMARIES_UNSPECIFIED), d,
                    NULL),
          "draw");
    CHECK(memcmp(a, b, (size_t)W * H * 4) == 0, "primaries 1 and 0 differ");
    CHECK(memcmp(a, d, (size_t)W * H * 4) == 0, "primaries 1 and 2 (unspecified) differ");
    printf("# bt709 SDR: primaries 1, 0 and 2 give the same %d bytes\n", W * H * 4);
    free(a);
    free(b);
    free(d);
    ref_free(&refs);
}

/* Codes below black (10-bit luma 4..63, neutral chroma: footroom that real
 * streams carry) decode to negative signal values; every reference clamps
 * them to black before its transfer function (zimg's BT.1886 EOTF and HLG
 * inverse OETF take max(x, 0), its PQ EOTF too). glvf must show black, not
 * a grey (HLG's x^2/3 of a negative is positive) nor NaN (pow of a negative
 * is undefined in GLSL). */
static void test_below_black(void *arg)
{
    (void)arg;
    enum { SW = 64, SH = 16 };
    static uint16_t y[SH][SW], u[SH / 2][SW / 2], v[SH / 2][SW / 2];
    for (int j = 0; j < SH; j++)
        for (int i = 0; i < SW; i++)
            y[j][i] = (uint16_t)(4 + (i * 59) / (SW - 1)); /* 4 .. 63 */
    for (int j = 0; j < SH / 2; j++)
        for (int i = 0; i < SW / 2; i++)
            u[j][i] = v[j][i] = 512;
    static const struct {
        const char *name;
        int primaries, transfer;
    } cases[] = {
        { "bt2020 sdr", GLVF_PRIMARIES_BT2020, 14 },
        { "display-p3 sdr", GLVF_PRIMARIES_DISPLAY_P3, GLVF_TRANSFER_BT709 },
        { "pq", GLVF_PRIMARIES_BT2020, GLVF_TRANSFER_PQ },
        { "hlg", GLVF_PRIMARIES_BT2020, GLVF_TRANSFER_HLG },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        glvf_image img = { .format = GLVF_FORMAT_YUV420P10, .width = SW, .height = SH };
        img.planes[0].data = y;
        img.planes[0].stride = SW * 2;
        img.planes[1].data = u;
        img.planes[1].stride = SW;
        img.planes[2].data = v;
        img.planes[2].stride = SW;
        img.color.matrix = GLVF_MATRIX_BT2020_NCL;
        img.color.range = GLVF_RANGE_LIMITED;
        img.color.primaries = cases[k].primaries;
        img.color.transfer = cases[k].transfer;
        glvf_frame *f = glvf_upload(CTX, &img, NULL, NULL);
        REQUIRE(f, "upload");
        uint8_t out[SW * SH * 4];
        harness_fbo fbo;
        harness_fbo_create(&fbo, SW, SH);
        CHECK(glvf_render(CTX, f, NULL) == 0, "render");
        harness_fbo_read_rgba(&fbo, out);
        harness_fbo_destroy(&fbo);
        glvf_frame_unref(&f);
        int worst = 0, wx = 0;
        for (int i = 0; i < SW * SH; i++)
            for (int c = 0; c < 3; c++)
                if (out[i * 4 + c] > worst) {
                    worst = out[i * 4 + c];
                    wx = i % SW;
                }
        printf("# below black, %s: brightest output %d/255 (luma code %d)\n", cases[k].name,
               worst, 4 + (wx * 59) / (SW - 1));
        CHECK(worst == 0, "%s: codes below black show as %d/255 at luma code %d (black in zimg)",
              cases[k].name, worst, 4 + (wx * 59) / (SW - 1));
    }
}

int main(int argc, char **argv)
{
    harness_api api;
    int status;
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s gl33|gl45|gles30 [PLACEBO_REF]\n", argv[0]);
        return 2;
    }
    PLACEBO_REF = argc == 3 ? argv[2] : NULL;
    media_init("colour");
    static char filters[1 << 16];
    media_run_capture("ffmpeg -hide_banner -filters 2>/dev/null", filters, sizeof filters);
    if (!media_have_encoder("libx265") || !strstr(filters, " zscale ") ||
        !strstr(filters, " tonemap ")) {
        printf("1..0 # SKIP the ffmpeg command needs libx265, zscale (zimg) and tonemap\n");
        media_cleanup();
        return 77;
    }
    HC = harness_test_start(2, argv, &api, &status);
    if (!HC) {
        media_cleanup();
        return status;
    }
    CTX = glvf_context_create(glvf_context_params(
            .get_proc_address = harness_get_proc, .get_proc_user = HC,
            .is_current = harness_is_current, .is_current_user = HC, .log = check_log,
            .flags = GLVF_CONTEXT_IGNORE_ENV));
    if (!CTX) {
        printf("not ok 1 - glvf context\n");
        return 1;
    }
    printf("# tolerances (8-bit levels): zimg mean <= %.2f worst <= %d; libplacebo mean <= "
           "%.2f worst <= %d\n",
           TOL_ZIMG_MEAN, TOL_ZIMG_MAX, TOL_PLACEBO_MEAN, TOL_PLACEBO_MAX);
    static clip_case cases[sizeof CLIPS / sizeof CLIPS[0]];
    for (size_t i = 0; i < sizeof CLIPS / sizeof CLIPS[0]; i++) {
        char name[64];
        cases[i] = (clip_case){ &CLIPS[i] };
        snprintf(name, sizeof name, "clip_%s", CLIPS[i].name);
        RUN_NAMED(name, test_clip, &cases[i]);
    }
    RUN(test_bt709_unchanged, NULL);
    RUN(test_below_black, NULL);
    printf("# summary (mean and worst channel error /255):\n");
    for (int i = 0; i < n_summary; i++)
        printf("#   %s\n", summary[i]);
    glvf_context_destroy(&CTX);
    harness_ctx_destroy(HC);
    check_log_clear();
    media_cleanup();
    return check_finish();
}
