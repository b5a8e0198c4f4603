/*
 * Colour beyond BT.709 SDR on real GL (llvmpipe, EGL surfaceless), per
 * context kind. The renderer's output is compared with a model of the same
 * arithmetic written here in double precision from the standards (ST 2084,
 * BT.2100, BT.2390, BT.2087's BT.2020 -> BT.709 matrix, EG 432-1's P3 one):
 *  - BT.709 and unspecified primaries with an SDR transfer are drawn exactly
 *    as before (bit for bit), unknown primaries too (one log line);
 *  - SDR with BT.2020 and Display-P3 primaries: linear-light conversion
 *    against the published matrices; white stays white for every primaries
 *    set glvf knows (including DCI-P3 and illuminant C, adapted to D65);
 *    the desaturating gamut map keeps luminance where clipping does not;
 *  - PQ grey and colour patches through each tone curve, HLG through the
 *    OOTF, against the model; the ramp is monotonic and the source peak
 *    maps to white;
 *  - HDR metadata: MaxCLL, then the mastering peak, then 1000 nits; absurd
 *    or NaN values fall back with one log line per value and never give a
 *    black picture;
 *  - every colour variant compiles and draws for every layout family;
 *  - bad tone_map / gamut_map values are refused (-EINVAL).
 * (tests/colour checks the same path against zimg and libplacebo on real
 * encoded clips.)
 */
#include "check.h"
#include "egl_harness.h"

#include <epoxy/gl.h>
#include <errno.h>
#include <math.h>

static harness_ctx *H;
static harness_api API;

static glvf_context *make_ctx(void)
{
    return glvf_context_create(glvf_context_params(
            .get_proc_address = harness_get_proc, .get_proc_user = H,
            .is_current = harness_is_current, .is_current_user = H, .log = check_log,
            .flags = GLVF_CONTEXT_IGNORE_ENV));
}

/* ---- the model -------------------------------------------------------- */

#define M1 (2610.0 / 16384.0)
#define M2 (2523.0 / 4096.0 * 128.0)
#define C1 (3424.0 / 4096.0)
#define C2 (2413.0 / 4096.0 * 32.0)
#define C3 (2392.0 / 4096.0 * 32.0)

static double pq_to_nits(double e)
{
    double p = pow(e, 1.0 / M2);
    return 10000.0 * pow(fmax(p - C1, 0.0) / (C2 - C3 * p), 1.0 / M1);
}

static double nits_to_pq(double n)
{
    double y = pow(n / 10000.0, M1);
    return pow((C1 + C2 * y) / (1.0 + C3 * y), M2);
}

static double hable(double x)
{
    return (x * (x * 0.15 + 0.05) + 0.004) / (x * (x * 0.15 + 0.5) + 0.06) - 0.02 / 0.3;
}

/* sig: linear, 1 = target white; peak likewise */
static double curve(glvf_tone_map tm, double sig, double peak, double target)
{
    if (peak <= 1.0)
        return fmin(sig, 1.0);
    switch (tm) {
    case GLVF_TONE_MAP_CLIP: return fmin(sig, 1.0);
    case GLVF_TONE_MAP_HABLE: return hable(sig) / hable(peak);
    case GLVF_TONE_MAP_MOBIUS: {
        double j = 0.3;
        if (sig <= j)
            return sig;
        double a = -j * j * (peak - 1.0) / (j * j - 2.0 * j + peak);
        double b = (j * j - 2.0 * j * peak + peak) / (peak - 1.0);
        return (b * b + 2.0 * b * j + j * j) / (b - a) * (sig + a) / (sig + b);
    }
    default: {
        double src = nits_to_pq(peak * target);
        double maxl = nits_to_pq(target) / src;
        double ks = 1.5 * maxl - 0.5;
        double e = fmin(nits_to_pq(sig * target) / src, 1.0);
        if (e > ks) {
            double t = (e - ks) / (1.0 - ks);
            e = (2 * t * t * t - 3 * t * t + 1) * ks + (t * t * t - 2 * t * t + t) * (1 - ks) +
                (-2 * t * t * t + 3 * t * t) * maxl;
        }
        return pq_to_nits(e * src) / target;
    }
    }
}

static const double BT2020_TO_709[3][3] = { { 1.6605, -0.5876, -0.0728 },
                                            { -0.1246, 1.1329, -0.0083 },
                                            { -0.0182, -0.1006, 1.1187 } };
static const double P3_TO_709[3][3] = { { 1.2249, -0.2247, 0.0 },
                                        { -0.0420, 1.0419, 0.0 },
                                        { -0.0197, -0.0786, 1.0979 } };

static uint8_t encode(double l)
{
    return (uint8_t)lround(pow(fmin(fmax(l, 0.0), 1.0), 1.0 / 2.4) * 255.0);
}

/* linear BT.709 light (1 = white) after tone mapping on max(R,G,B) */
static void model_out(const double lin[3], glvf_tone_map tm, double peak, double target,
                      bool hdr, uint8_t out[3])
{
    double l[3] = { lin[0], lin[1], lin[2] };
    double sig = fmax(fmax(l[0], l[1]), l[2]);
    if (hdr && sig > 1e-6) {
        double k = curve(tm, sig, peak, target) / sig;
        for (int i = 0; i < 3; i++)
            l[i] *= k;
    }
    for (int i = 0; i < 3; i++)
        out[i] = encode(l[i]);
}

static void mat_apply(const double m[3][3], const double in[3], double out[3])
{
    for (int i = 0; i < 3; i++)
        out[i] = m[i][0] * in[0] + m[i][1] * in[1] + m[i][2] * in[2];
}

/* ---- drawing ------------------------------------------------------------ */

/* Patches of 8x8 pixels in a row. RGB 16-bit (yuv444p16 with the identity
 * matrix, full range: planes G, B, R). */
enum { PATCH = 8, MAXP = 16 };

static glvf_frame *upload_patches(glvf_context *ctx, int n, const double rgb[][3],
                                  glvf_colorimetry color)
{
    static uint16_t planes[3][PATCH][PATCH * MAXP];
    int w = n * PATCH;
    for (int y = 0; y < PATCH; y++)
        for (int x = 0; x < w; x++) {
            const double *c = rgb[x / PATCH];
            planes[0][y][x] = (uint16_t)lround(c[1] * 65535.0);
            planes[1][y][x] = (uint16_t)lround(c[2] * 65535.0);
            planes[2][y][x] = (uint16_t)lround(c[0] * 65535.0);
        }
    color.matrix = GLVF_MATRIX_RGB;
    color.range = GLVF_RANGE_FULL;
    glvf_image img = { .format = GLVF_FORMAT_YUV444P16, .width = w, .height = PATCH,
                       .color = color };
    for (int i = 0; i < 3; i++)
        img.planes[i] = (glvf_image_plane){ planes[i], (ptrdiff_t)sizeof planes[i][0] };
    return glvf_upload(ctx, &img, NULL, NULL);
}

/* renders and reads the centre of each patch */
static int draw(glvf_context *ctx, const glvf_frame *f, int n, const glvf_render_params *p,
                uint8_t out[][4])
{
    harness_fbo fb;
    if (!harness_fbo_create(&fb, n * PATCH, PATCH))
        return -1;
    int r = glvf_render(ctx, f, p);
    static uint8_t px[PATCH * PATCH * MAXP * 4];
    harness_fbo_read_rgba(&fb, px);
    for (int i = 0; i < n; i++)
        memcpy(out[i], &px[((PATCH / 2) * n * PATCH + i * PATCH + PATCH / 2) * 4], 4);
    harness_fbo_destroy(&fb);
    return r;
}

static int max_err(const uint8_t *a, const uint8_t *b)
{
    int e = 0;
    for (int i = 0; i < 3; i++)
        e = abs(a[i] - b[i]) > e ? abs(a[i] - b[i]) : e;
    return e;
}

/* ---- tests -------------------------------------------------------------- */

static void test_bt709_unchanged(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx();
    REQUIRE(ctx, "create");
    static uint8_t y[16][32], u[8][16], v[8][16];
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 32; j++)
            y[i][j] = (uint8_t)(16 + (i * 32 + j) * 7 % 220);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 16; j++) {
            u[i][j] = (uint8_t)(16 + (i * 16 + j) * 13 % 224);
            v[i][j] = (uint8_t)(240 - (i * 16 + j) * 5 % 224);
        }
    int prims[] = { 0, GLVF_PRIMARIES_BT709, GLVF_PRIMARIES_UNSPECIFIED, 22 };
    int trcs[] = { 0, GLVF_TRANSFER_BT709, 6, 14 };
    static uint8_t ref[16 * 32 * 4], out[16 * 32 * 4];
    check_log_clear();
    for (int k = 0; k < 4; k++) {
        glvf_image img = { .format = GLVF_FORMAT_YUV420P, .width = 32, .height = 16,
                           .planes = { { y, 32 }, { u, 16 }, { v, 16 } },
                           .color = { .matrix = GLVF_MATRIX_BT709, .primaries = prims[k],
                                      .transfer = trcs[k] } };
        glvf_frame *f = glvf_upload(ctx, &img, NULL, NULL);
        REQUIRE(f, "upload");
        harness_fbo fb;
        REQUIRE(harness_fbo_create(&fb, 32, 16), "fbo");
        CHECK(glvf_render(ctx, f, NULL) == 0, "render");
        harness_fbo_read_rgba(&fb, k ? out : ref);
        harness_fbo_destroy(&fb);
        if (k)
            CHECK(memcmp(ref, out, sizeof out) == 0,
                  "primaries %d transfer %d: drawn exactly as untagged BT.709", prims[k],
                  trcs[k]);
        glvf_frame_unref(&f);
    }
    CHECK(check_log_count(GLVF_LOG_WARN, "primaries 22") == 1,
          "unknown primaries: one log line");
    glvf_stats s;
    glvf_context_get_stats(ctx, &s);
    CHECK(s.objects[GLVF_OBJECT_PROGRAM].live == 1, "one program: no colour variant built");
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

static void test_sdr_primaries(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx();
    REQUIRE(ctx, "create");
    const double pats[6][3] = { { 1, 1, 1 }, { 0.5, 0.5, 0.5 }, { 0.8, 0.2, 0.1 },
                                { 0.3, 0.7, 0.4 }, { 0.2, 0.3, 0.9 }, { 0.6, 0.6, 0.2 } };
    uint8_t got[6][4], want[6][3];
    /* BT.2020 and Display-P3 against the published matrices, clip */
    struct {
        int prim;
        const double (*m)[3];
    } known[] = { { GLVF_PRIMARIES_BT2020, BT2020_TO_709 },
                  { GLVF_PRIMARIES_DISPLAY_P3, P3_TO_709 } };
    for (int k = 0; k < 2; k++) {
        glvf_frame *f = upload_patches(ctx, 6, pats,
                                       (glvf_colorimetry){ .primaries = known[k].prim,
                                                           .transfer = GLVF_TRANSFER_BT709 });
        REQUIRE(f, "upload");
        CHECK(draw(ctx, f, 6, NULL, got) == 0, "render");
        int worst = 0;
        for (int i = 0; i < 6; i++) {
            double lin[3], l709[3];
            for (int c = 0; c < 3; c++)
                lin[c] = pow(pats[i][c], 2.4);
            mat_apply(known[k].m, lin, l709);
            model_out(l709, GLVF_TONE_MAP_CLIP, 1, 203, false, want[i]);
            int e = max_err(got[i], want[i]);
            worst = e > worst ? e : worst;
            CHECK(e <= 2, "%s patch %d: got %d,%d,%d want %d,%d,%d",
                  glvf_primaries_name(known[k].prim), i, got[i][0], got[i][1], got[i][2],
                  want[i][0], want[i][1], want[i][2]);
        }
        printf("# %s SDR -> BT.709: worst channel error %d/255\n",
               glvf_primaries_name(known[k].prim), worst);
        glvf_frame_unref(&f);
    }
    /* every known set: white and grey stay neutral */
    int all[] = { GLVF_PRIMARIES_BT470M, GLVF_PRIMARIES_BT601_625, GLVF_PRIMARIES_BT601_525,
                  GLVF_PRIMARIES_SMPTE240M, GLVF_PRIMARIES_FILM, GLVF_PRIMARIES_BT2020,
                  GLVF_PRIMARIES_DCI_P3, GLVF_PRIMARIES_DISPLAY_P3 };
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
        glvf_frame *f = upload_patches(ctx, 2, pats, (glvf_colorimetry){ .primaries = all[k] });
        REQUIRE(f, "upload");
        CHECK(draw(ctx, f, 2, NULL, got) == 0, "render");
        CHECK(got[0][0] >= 254 && got[0][1] >= 254 && got[0][2] >= 254,
              "%s: white stays white (%d,%d,%d)", glvf_primaries_name(all[k]), got[0][0],
              got[0][1], got[0][2]);
        CHECK(abs(got[1][0] - 128) <= 1 && abs(got[1][1] - 128) <= 1 &&
                  abs(got[1][2] - 128) <= 1,
              "%s: grey stays grey (%d,%d,%d)", glvf_primaries_name(all[k]), got[1][0],
              got[1][1], got[1][2]);
        glvf_frame_unref(&f);
    }
    /* a saturated BT.2020 green is outside BT.709: clip loses luminance
     * and hue balance, desaturate keeps the luminance */
    const double green[1][3] = { { 0.1, 0.9, 0.1 } };
    glvf_frame *f = upload_patches(ctx, 1, green,
                                   (glvf_colorimetry){ .primaries = GLVF_PRIMARIES_BT2020 });
    REQUIRE(f, "upload");
    uint8_t clip[1][4], desat[1][4];
    CHECK(draw(ctx, f, 1, NULL, clip) == 0, "render clip");
    CHECK(draw(ctx, f, 1, glvf_render_params(.gamut_map = GLVF_GAMUT_MAP_DESATURATE), desat) ==
              0,
          "render desaturate");
    double lin[3], l709[3];
    for (int c = 0; c < 3; c++)
        lin[c] = pow(green[0][c], 2.4);
    mat_apply(BT2020_TO_709, lin, l709);
    double y_in = 0.2126 * l709[0] + 0.7152 * l709[1] + 0.0722 * l709[2];
    double y_d = 0, y_c = 0;
    for (int c = 0; c < 3; c++) {
        static const double K[3] = { 0.2126, 0.7152, 0.0722 };
        y_d += K[c] * pow(desat[0][c] / 255.0, 2.4);
        y_c += K[c] * pow(clip[0][c] / 255.0, 2.4);
    }
    printf("# BT.2020 green: clip %d,%d,%d (Y %.4f), desaturate %d,%d,%d (Y %.4f), "
           "source Y %.4f\n",
           clip[0][0], clip[0][1], clip[0][2], y_c, desat[0][0], desat[0][1], desat[0][2], y_d,
           y_in);
    CHECK(l709[0] < 0 && clip[0][0] == 0, "clip: the negative red is clipped to 0");
    CHECK(fabs(y_d - y_in) < 0.01, "desaturate keeps luminance (%.4f vs %.4f)", y_d, y_in);
    CHECK(desat[0][2] > clip[0][2] + 64,
          "desaturate: moved towards grey (blue %d), not clipped per channel (%d)", desat[0][2],
          clip[0][2]);
    glvf_frame_unref(&f);
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

static const double NITS[] = { 0, 1, 10, 50, 100, 203, 400, 700, 1000, 2000, 4000, 10000 };
enum { NN = sizeof NITS / sizeof NITS[0] };

static void test_pq(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx();
    REQUIRE(ctx, "create");
    double pats[NN + 3][3];
    for (int i = 0; i < NN; i++)
        pats[i][0] = pats[i][1] = pats[i][2] = nits_to_pq(NITS[i]);
    /* colours: 600-nit red-ish, 300-nit BT.2020 cyan, 1000-nit yellow */
    const double cols[3][3] = { { 600, 60, 30 }, { 20, 300, 300 }, { 1000, 1000, 50 } };
    for (int i = 0; i < 3; i++)
        for (int c = 0; c < 3; c++)
            pats[NN + i][c] = nits_to_pq(cols[i][c]);
    glvf_colorimetry col = { .primaries = GLVF_PRIMARIES_BT2020, .transfer = GLVF_TRANSFER_PQ,
                             .hdr = { .max_cll = 1000, .max_luminance = 1000 } };
    glvf_frame *f = upload_patches(ctx, NN + 3, (const double(*)[3])pats, col);
    REQUIRE(f, "upload");
    static const glvf_tone_map curves[] = { GLVF_TONE_MAP_BT2390, GLVF_TONE_MAP_CLIP,
                                            GLVF_TONE_MAP_HABLE, GLVF_TONE_MAP_MOBIUS };
    static const char *names[] = { "bt2390", "clip", "hable", "mobius" };
    for (int k = 0; k < 4; k++) {
        uint8_t got[NN + 3][4], want[3];
        CHECK(draw(ctx, f, NN + 3, glvf_render_params(.tone_map = curves[k]), got) == 0,
              "render %s", names[k]);
        int worst = 0;
        for (int i = 0; i < NN + 3; i++) {
            double lin[3], l709[3];
            for (int c = 0; c < 3; c++)
                lin[c] = pq_to_nits(pats[i][c]) / 203.0;
            mat_apply(BT2020_TO_709, lin, l709);
            model_out(l709, curves[k], 1000.0 / 203.0, 203.0, true, want);
            int e = max_err(got[i], want);
            worst = e > worst ? e : worst;
            CHECK(e <= 3, "PQ %s patch %d: got %d,%d,%d want %d,%d,%d", names[k], i, got[i][0],
                  got[i][1], got[i][2], want[0], want[1], want[2]);
            if (i > 0 && i < NN)
                CHECK(got[i][1] >= got[i - 1][1], "PQ %s: the grey ramp is monotonic",
                      names[k]);
        }
        CHECK(got[8][0] >= 254, "PQ %s: the source peak (1000 nits) is white (%d)", names[k],
              got[8][0]);
        CHECK(got[3][0] > 0, "PQ %s: 50 nits is not black", names[k]);
        printf("# PQ %s (peak 1000, white 203): worst channel error %d/255 against the "
               "model\n",
               names[k], worst);
    }
    glvf_frame_unref(&f);
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

static void test_hlg(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx();
    REQUIRE(ctx, "create");
    double pats[8][3] = { { 0, 0, 0 },    { 0.25, 0.25, 0.25 }, { 0.5, 0.5, 0.5 },
                          { 0.75, 0.75, 0.75 }, { 1, 1, 1 },   { 0.9, 0.4, 0.3 },
                          { 0.3, 0.8, 0.5 }, { 0.6, 0.6, 0.95 } };
    glvf_frame *f = upload_patches(ctx, 8, (const double(*)[3])pats,
                                   (glvf_colorimetry){ .primaries = GLVF_PRIMARIES_BT2020,
                                                       .transfer = GLVF_TRANSFER_HLG });
    REQUIRE(f, "upload");
    uint8_t got[8][4], want[3];
    CHECK(draw(ctx, f, 8, NULL, got) == 0, "render");
    int worst = 0;
    for (int i = 0; i < 8; i++) {
        double s[3], lin[3], l709[3];
        for (int c = 0; c < 3; c++) {
            double e = pats[i][c];
            s[c] = e <= 0.5 ? e * e / 3.0
                            : (exp((e - 0.55991073) / 0.17883277) + 0.28466892) / 12.0;
        }
        double ys = 0.2627 * s[0] + 0.6780 * s[1] + 0.0593 * s[2];
        for (int c = 0; c < 3; c++)
            lin[c] = 1000.0 * pow(fmax(ys, 1e-6), 0.2) * s[c] / 203.0;
        mat_apply(BT2020_TO_709, lin, l709);
        model_out(l709, GLVF_TONE_MAP_BT2390, 1000.0 / 203.0, 203.0, true, want);
        int e = max_err(got[i], want);
        worst = e > worst ? e : worst;
        CHECK(e <= 3, "HLG patch %d: got %d,%d,%d want %d,%d,%d", i, got[i][0], got[i][1],
              got[i][2], want[0], want[1], want[2]);
    }
    CHECK(got[4][0] >= 254, "HLG peak signal is white");
    printf("# HLG (Lw 1000, white 203, bt2390): worst channel error %d/255\n", worst);
    glvf_frame_unref(&f);
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

static void test_metadata(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx();
    REQUIRE(ctx, "create");
    double pats[3][3] = { { 0, 0, 0 }, { 0, 0, 0 }, { 0, 0, 0 } };
    double lv[3] = { 400, 1000, 3000 };
    for (int i = 0; i < 3; i++)
        pats[i][0] = pats[i][1] = pats[i][2] = nits_to_pq(lv[i]);
    uint8_t def[3][4], got[3][4];
    glvf_colorimetry col = { .primaries = GLVF_PRIMARIES_BT2020, .transfer = GLVF_TRANSFER_PQ };
    glvf_frame *f = upload_patches(ctx, 3, (const double(*)[3])pats, col);
    REQUIRE(f, "upload");
    CHECK(draw(ctx, f, 3, NULL, def) == 0, "render without metadata");
    CHECK(def[1][0] >= 254, "no metadata: 1000 nits is the peak (%d)", def[1][0]);
    glvf_frame_unref(&f);

    /* MaxCLL first, then the mastering peak */
    col.hdr = (glvf_hdr_metadata){ .max_luminance = 4000, .max_cll = 3000 };
    f = upload_patches(ctx, 3, (const double(*)[3])pats, col);
    CHECK(draw(ctx, f, 3, NULL, got) == 0, "render MaxCLL 3000");
    CHECK(got[2][0] >= 254 && got[1][0] < def[1][0], "MaxCLL 3000: 3000 nits is white (%d), "
          "1000 below it (%d)", got[2][0], got[1][0]);
    glvf_frame_unref(&f);
    col.hdr = (glvf_hdr_metadata){ .max_luminance = 3000 };
    f = upload_patches(ctx, 3, (const double(*)[3])pats, col);
    uint8_t mast[3][4];
    CHECK(draw(ctx, f, 3, NULL, mast) == 0, "render mastering 3000");
    CHECK(memcmp(mast, got, sizeof got) == 0, "the mastering peak serves when MaxCLL is absent");
    CHECK(draw(ctx, f, 3, glvf_render_params(.source_peak = 1000), got) == 0, "override");
    CHECK(memcmp(def, got, sizeof got) == 0, "source_peak overrides the metadata");
    glvf_frame_unref(&f);

    /* absurd values: the defaults, one log line each, never black */
    float bad[] = { 1e9f, NAN, -5.0f, 3.0f };
    for (int k = 0; k < 4; k++) {
        check_log_clear();
        col.hdr = (glvf_hdr_metadata){ .max_cll = bad[k], .max_luminance = bad[k] };
        f = upload_patches(ctx, 3, (const double(*)[3])pats, col);
        for (int rep = 0; rep < 3; rep++)
            CHECK(draw(ctx, f, 3, NULL, got) == 0, "render with MaxCLL %g", (double)bad[k]);
        CHECK(memcmp(def, got, sizeof got) == 0, "MaxCLL %g: drawn as without metadata",
              (double)bad[k]);
        CHECK(check_log_count(GLVF_LOG_WARN, "MaxCLL") == 1 &&
                  check_log_count(GLVF_LOG_WARN, "mastering peak") == 1,
              "MaxCLL %g: one log line each for the bad values, not one per frame",
              (double)bad[k]);
        glvf_frame_unref(&f);
    }
    col.hdr = (glvf_hdr_metadata){ 0 };
    f = upload_patches(ctx, 3, (const double(*)[3])pats, col);
    check_log_clear();
    float badp[] = { NAN, 1e12f, -1.0f };
    for (int k = 0; k < 3; k++) {
        CHECK(draw(ctx, f, 3,
                   glvf_render_params(.target_peak = badp[k], .source_peak = badp[k],
                                      .tone_map_param = badp[k]),
                   got) == 0,
              "bad render parameters %g", (double)badp[k]);
        CHECK(memcmp(def, got, sizeof got) == 0, "parameters %g: the defaults",
              (double)badp[k]);
    }
    CHECK(check_log_count(GLVF_LOG_WARN, "target_peak") == 3, "each bad target logged once");
    CHECK(glvf_render(ctx, f, glvf_render_params(.tone_map = 99)) == -EINVAL, "tone_map 99");
    CHECK(glvf_render(ctx, f, glvf_render_params(.gamut_map = 7)) == -EINVAL, "gamut_map 7");
    glvf_frame_unref(&f);
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

/* every colour variant compiles and draws, for every layout family */
static void test_variants(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx();
    REQUIRE(ctx, "create");
    static uint8_t buf[4][64 * 64 * 4];
    memset(buf, 200, sizeof buf);
    const glvf_format fmts[] = { GLVF_FORMAT_RGBA8, GLVF_FORMAT_GRAY8, GLVF_FORMAT_YUVA420P,
                                 GLVF_FORMAT_P010, GLVF_FORMAT_UYVY422 };
    const int trcs[] = { GLVF_TRANSFER_BT709, GLVF_TRANSFER_PQ, GLVF_TRANSFER_HLG };
    int drawn = 0;
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        glvf_image img = { .format = fmts[i], .width = 16, .height = 16,
                           .color = { .primaries = GLVF_PRIMARIES_BT2020 } };
        for (int p = 0; p < glvf_format_planes(fmts[i]); p++)
            img.planes[p] = (glvf_image_plane){ buf[p], 128 };
        for (size_t t = 0; t < 3; t++) {
            img.color.transfer = trcs[t];
            glvf_frame *f = glvf_upload(ctx, &img, NULL, NULL);
            REQUIRE(f, "upload %s", glvf_format_name(fmts[i]));
            for (int tm = 1; tm <= 4; tm++)
                for (int g = 1; g <= 2; g++) {
                    if (t == 0 && tm > 1)
                        break;
                    uint8_t px[1][4];
                    int r = draw(ctx, f, 1,
                                 glvf_render_params(.tone_map = (glvf_tone_map)tm,
                                                    .gamut_map = (glvf_gamut_map)g,
                                                    .scaler = (tm + g) % 2 ? GLVF_SCALER_BICUBIC
                                                                           : GLVF_SCALER_BILINEAR),
                                 px);
                    CHECK(r == 0, "%s transfer %d curve %d gamut %d draws",
                          glvf_format_name(fmts[i]), trcs[t], tm, g);
                    drawn += r == 0;
                }
            glvf_frame_unref(&f);
        }
    }
    printf("# %d colour variant draws\n", drawn);
    CHECK(glvf_context_destroy(&ctx), "destroy");
    CHECK(check_log_count(GLVF_LOG_ERROR, "internal") == 0, "tracker balanced at destroy");
}

/* the one-line description and the predicate (no GL) */
static void test_describe(void *arg)
{
    (void)arg;
    char buf[160];
    glvf_colorimetry c = { .primaries = GLVF_PRIMARIES_BT709, .transfer = GLVF_TRANSFER_BT709 };
    glvf_colour_describe(&c, NULL, buf, sizeof buf);
    CHECK(!strcmp(buf, "bt709/bt709 SDR"), "%s", buf);
    CHECK(!glvf_colour_needs_conversion(&c, NULL), "BT.709 SDR: no conversion");
    c.primaries = 22;
    glvf_colour_describe(&c, NULL, buf, sizeof buf);
    CHECK(!strcmp(buf, "unknown/bt709 SDR (shown as bt709)"), "%s", buf);
    c.primaries = GLVF_PRIMARIES_DISPLAY_P3;
    CHECK(glvf_colour_needs_conversion(&c, NULL), "P3: converted");
    glvf_colour_describe(&c, glvf_render_params(.gamut_map = GLVF_GAMUT_MAP_DESATURATE), buf,
                         sizeof buf);
    CHECK(!strcmp(buf, "display-p3/bt709 SDR -> bt709, gamut desaturate"), "%s", buf);
    c = (glvf_colorimetry){ .primaries = GLVF_PRIMARIES_BT2020, .transfer = GLVF_TRANSFER_PQ,
                            .hdr = { .max_luminance = 4000 } };
    glvf_colour_describe(&c, NULL, buf, sizeof buf);
    CHECK(!strcmp(buf, "bt2020/pq HDR, peak 4000 nits (mastering) -> SDR white 203 nits, "
                       "tone map bt2390, gamut clip"),
          "%s", buf);
    c.hdr.max_cll = 150;
    glvf_colour_describe(&c, glvf_render_params(.tone_map = GLVF_TONE_MAP_HABLE), buf,
                         sizeof buf);
    CHECK(!strcmp(buf, "bt2020/pq HDR, peak 150 nits (MaxCLL) -> SDR white 203 nits, "
                       "tone map clip, gamut clip"),
          "a source under the SDR white is not compressed: %s", buf);
    c = (glvf_colorimetry){ .primaries = GLVF_PRIMARIES_BT709, .transfer = GLVF_TRANSFER_HLG };
    CHECK(glvf_colour_needs_conversion(&c, NULL), "HLG: converted");
    glvf_colour_describe(&c, glvf_render_params(.hlg_peak = 600, .tone_map = GLVF_TONE_MAP_MOBIUS),
                         buf, sizeof buf);
    CHECK(!strcmp(buf, "bt709/hlg HDR, peak 600 nits (HLG display) -> SDR white 203 nits, "
                       "tone map mobius, gamut clip"),
          "%s", buf);
    CHECK(!glvf_colour_needs_conversion(&c, glvf_render_params(.transfer = GLVF_TRANSFER_BT709)),
          "the parameters' transfer overrides the frame's");
    glvf_colour_describe(NULL, NULL, buf, 4);
    CHECK(!strcmp(buf, "?"), "NULL colour");
    glvf_colour_describe(&c, NULL, buf, 8);
    CHECK(strlen(buf) == 7, "truncated to the buffer");
}

int main(int argc, char **argv)
{
    int status;
    H = harness_test_start(argc, argv, &API, &status);
    if (!H)
        return status;
    RUN(test_bt709_unchanged, NULL);
    RUN(test_sdr_primaries, NULL);
    RUN(test_pq, NULL);
    RUN(test_hlg, NULL);
    RUN(test_metadata, NULL);
    RUN(test_variants, NULL);
    RUN(test_describe, NULL);
    harness_ctx_destroy(H);
    check_log_clear();
    return check_finish();
}
