/*
 * Colour beyond BT.709 SDR, the CPU side: names of the H.273 code points,
 * the primaries' chromaticities and the linear-light conversion between
 * them, and the choice of the renderer's colour path from a frame's
 * colorimetry and the render parameters. The GPU side is in
 * shaders/glvf.frag (TRANSFER_*, TONE_*, GAMUT_*).
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *glvf_primaries_name(int p)
{
    switch (p) {
    case 0:
    case GLVF_PRIMARIES_UNSPECIFIED: return "unspecified";
    case GLVF_PRIMARIES_BT709: return "bt709";
    case GLVF_PRIMARIES_BT470M: return "bt470m";
    case GLVF_PRIMARIES_BT601_625: return "bt601-625";
    case GLVF_PRIMARIES_BT601_525: return "bt601-525";
    case GLVF_PRIMARIES_SMPTE240M: return "smpte240m";
    case GLVF_PRIMARIES_FILM: return "film";
    case GLVF_PRIMARIES_BT2020: return "bt2020";
    case GLVF_PRIMARIES_DCI_P3: return "dci-p3";
    case GLVF_PRIMARIES_DISPLAY_P3: return "display-p3";
    default: return "unknown";
    }
}

const char *glvf_transfer_name(int t)
{
    switch (t) {
    case 0:
    case GLVF_TRANSFER_UNSPECIFIED: return "unspecified";
    case GLVF_TRANSFER_BT709: return "bt709";
    case 4: return "gamma22";
    case 5: return "gamma28";
    case 6: return "bt601";
    case 7: return "smpte240m";
    case GLVF_TRANSFER_LINEAR: return "linear";
    case GLVF_TRANSFER_SRGB: return "srgb";
    case 14: return "bt2020-10";
    case 15: return "bt2020-12";
    case GLVF_TRANSFER_PQ: return "pq";
    case GLVF_TRANSFER_HLG: return "hlg";
    default: return "unknown";
    }
}

/* ---- primaries ---------------------------------------------------------- */

typedef struct chroma {
    double rx, ry, gx, gy, bx, by, wx, wy;
} chroma;

#define D65 0.3127, 0.3290
#define ILL_C 0.310, 0.316

static bool primaries_get(int p, chroma *c)
{
    switch (p) {
    case GLVF_PRIMARIES_BT709:
        *c = (chroma){ 0.640, 0.330, 0.300, 0.600, 0.150, 0.060, D65 };
        break;
    case GLVF_PRIMARIES_BT470M:
        *c = (chroma){ 0.670, 0.330, 0.210, 0.710, 0.140, 0.080, ILL_C };
        break;
    case GLVF_PRIMARIES_BT601_625:
        *c = (chroma){ 0.640, 0.330, 0.290, 0.600, 0.150, 0.060, D65 };
        break;
    case GLVF_PRIMARIES_BT601_525:
    case GLVF_PRIMARIES_SMPTE240M:
        *c = (chroma){ 0.630, 0.340, 0.310, 0.595, 0.155, 0.070, D65 };
        break;
    case GLVF_PRIMARIES_FILM:
        *c = (chroma){ 0.681, 0.319, 0.243, 0.692, 0.145, 0.049, ILL_C };
        break;
    case GLVF_PRIMARIES_BT2020:
        *c = (chroma){ 0.708, 0.292, 0.170, 0.797, 0.131, 0.046, D65 };
        break;
    case GLVF_PRIMARIES_DCI_P3:
        *c = (chroma){ 0.680, 0.320, 0.265, 0.690, 0.150, 0.060, 0.314, 0.351 };
        break;
    case GLVF_PRIMARIES_DISPLAY_P3:
        *c = (chroma){ 0.680, 0.320, 0.265, 0.690, 0.150, 0.060, D65 };
        break;
    default: return false;
    }
    return true;
}

typedef double m3[3][3];

static void m3_mul(const m3 a, const m3 b, m3 out)
{
    m3 r;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            r[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
    memcpy(out, r, sizeof r);
}

static void m3_inv(const m3 a, m3 out)
{
    double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
                 a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
                 a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    m3 r = {
        { (a[1][1] * a[2][2] - a[1][2] * a[2][1]) / det,
          (a[0][2] * a[2][1] - a[0][1] * a[2][2]) / det,
          (a[0][1] * a[1][2] - a[0][2] * a[1][1]) / det },
        { (a[1][2] * a[2][0] - a[1][0] * a[2][2]) / det,
          (a[0][0] * a[2][2] - a[0][2] * a[2][0]) / det,
          (a[0][2] * a[1][0] - a[0][0] * a[1][2]) / det },
        { (a[1][0] * a[2][1] - a[1][1] * a[2][0]) / det,
          (a[0][1] * a[2][0] - a[0][0] * a[2][1]) / det,
          (a[0][0] * a[1][1] - a[0][1] * a[1][0]) / det },
    };
    memcpy(out, r, sizeof r);
}

static void xyz_of(double x, double y, double v[3])
{
    v[0] = x / y;
    v[1] = 1.0;
    v[2] = (1.0 - x - y) / y;
}

/* linear RGB -> CIE XYZ (Y of white = 1) */
static void rgb_to_xyz(const chroma *c, m3 out)
{
    double r[3], g[3], b[3], w[3];
    xyz_of(c->rx, c->ry, r);
    xyz_of(c->gx, c->gy, g);
    xyz_of(c->bx, c->by, b);
    xyz_of(c->wx, c->wy, w);
    m3 p = { { r[0], g[0], b[0] }, { r[1], g[1], b[1] }, { r[2], g[2], b[2] } };
    m3 pi;
    m3_inv(p, pi);
    double s[3];
    for (int i = 0; i < 3; i++)
        s[i] = pi[i][0] * w[0] + pi[i][1] * w[1] + pi[i][2] * w[2];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            out[i][j] = p[i][j] * s[j];
}

/* Bradford chromatic adaptation from white (sx, sy) to white (dx, dy) */
static void bradford(double sx, double sy, double dx, double dy, m3 out)
{
    static const m3 B = { { 0.8951, 0.2664, -0.1614 },
                          { -0.7502, 1.7135, 0.0367 },
                          { 0.0389, -0.0685, 1.0296 } };
    m3 Bi;
    m3_inv(B, Bi);
    double s[3], d[3], cs[3], cd[3];
    xyz_of(sx, sy, s);
    xyz_of(dx, dy, d);
    for (int i = 0; i < 3; i++) {
        cs[i] = B[i][0] * s[0] + B[i][1] * s[1] + B[i][2] * s[2];
        cd[i] = B[i][0] * d[0] + B[i][1] * d[1] + B[i][2] * d[2];
    }
    m3 D = { { cd[0] / cs[0], 0, 0 }, { 0, cd[1] / cs[1], 0 }, { 0, 0, cd[2] / cs[2] } };
    m3 t;
    m3_mul(D, B, t);
    m3_mul(Bi, t, out);
}

bool glvf_primaries_to_bt709(int primaries, double out[3][3])
{
    chroma src, dst;
    if (!primaries_get(primaries, &src))
        return false;
    primaries_get(GLVF_PRIMARIES_BT709, &dst);
    m3 a, b, bi, m;
    rgb_to_xyz(&src, a);
    rgb_to_xyz(&dst, b);
    m3_inv(b, bi);
    if (src.wx != dst.wx || src.wy != dst.wy) {
        m3 ad;
        bradford(src.wx, src.wy, dst.wx, dst.wy, ad);
        m3_mul(ad, a, a);
    }
    m3_mul(bi, a, m);
    memcpy(out, m, sizeof m);
    return true;
}

/* ---- transfer functions (CPU copies of the shader's, for the constants) -- */

#define PQ_M1 (2610.0 / 16384.0)
#define PQ_M2 (2523.0 / 4096.0 * 128.0)
#define PQ_C1 (3424.0 / 4096.0)
#define PQ_C2 (2413.0 / 4096.0 * 32.0)
#define PQ_C3 (2392.0 / 4096.0 * 32.0)

/* nits -> PQ signal */
double glvf_pq_inverse(double nits)
{
    double y = pow(fmax(nits, 0.0) / 10000.0, PQ_M1);
    return pow((PQ_C1 + PQ_C2 * y) / (1.0 + PQ_C3 * y), PQ_M2);
}

static double hable(double x)
{
    const double a = 0.15, b = 0.50, c = 0.10, d = 0.20, e = 0.02, f = 0.30;
    return (x * (x * a + b * c) + d * e) / (x * (x * a + b) + d * f) - e / f;
}

/* ---- the plan for one draw ---------------------------------------------- */

static bool nits_ok(double v)
{
    return v >= 10.0 && v <= 10000.0; /* false for NaN too */
}

/* one log line per distinct bad value per context (the renderer's memory) */
static void log_bad(glvf_context *ctx, float *last, float v, const char *what, double used)
{
    if (*last == v || (isnan(*last) && isnan(v)))
        return;
    *last = v;
    LOG_W(ctx, "render: %s %g nits is out of range (10-10000): using %g", what, (double)v, used);
}

void glvf_colour_plan_make(glvf_context *ctx, glvf_colour_memory *mem, const glvf_image *img,
                           const glvf_render_params *p, glvf_colour_plan *out)
{
    memset(out, 0, sizeof *out);
    int prim = p->primaries ? p->primaries : img->color.primaries;
    int trc = p->transfer ? p->transfer : img->color.transfer;
    out->primaries = prim;
    out->transfer = trc;
    bool hdr = trc == GLVF_TRANSFER_PQ || trc == GLVF_TRANSFER_HLG;
    double gm[3][3] = { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
    bool convert = false;
    if (prim != 0 && prim != GLVF_PRIMARIES_UNSPECIFIED && prim != GLVF_PRIMARIES_BT709) {
        if (glvf_primaries_to_bt709(prim, gm)) {
            convert = true;
        } else if (mem->bad_primaries != prim) {
            mem->bad_primaries = prim;
            LOG_W(ctx, "render: colour primaries %d are not supported: shown as BT.709", prim);
        }
    }
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            out->gamut[c * 3 + r] = (float)gm[r][c];
    if (!hdr && !convert) {
        out->path = GLVF_COLOUR_NONE;
        return;
    }
    glvf_gamut_map gmap = p->gamut_map ? p->gamut_map : GLVF_GAMUT_MAP_CLIP;
    if (gmap != GLVF_GAMUT_MAP_CLIP && gmap != GLVF_GAMUT_MAP_DESATURATE)
        gmap = GLVF_GAMUT_MAP_CLIP; /* refused earlier by glvf_render */
    out->gamut_map = gmap;
    if (!hdr) {
        out->path = GLVF_COLOUR_SDR;
        return;
    }
    out->path = trc == GLVF_TRANSFER_PQ ? GLVF_COLOUR_PQ : GLVF_COLOUR_HLG;

    double target = 203.0;
    if (p->target_peak != 0.0f) {
        if (nits_ok(p->target_peak))
            target = p->target_peak;
        else
            log_bad(ctx, &mem->bad_target, p->target_peak, "target_peak", target);
    }
    double lw = 1000.0;
    if (out->path == GLVF_COLOUR_HLG && p->hlg_peak != 0.0f) {
        if (nits_ok(p->hlg_peak))
            lw = p->hlg_peak;
        else
            log_bad(ctx, &mem->bad_hlg, p->hlg_peak, "hlg_peak", lw);
    }
    double peak = out->path == GLVF_COLOUR_HLG ? lw : 1000.0;
    const glvf_hdr_metadata *md = &img->color.hdr;
    if (p->source_peak != 0.0f) {
        if (nits_ok(p->source_peak))
            peak = p->source_peak;
        else
            log_bad(ctx, &mem->bad_source, p->source_peak, "source_peak", peak);
    } else if (out->path == GLVF_COLOUR_PQ) {
        if (nits_ok(md->max_cll))
            peak = md->max_cll;
        else if (nits_ok(md->max_luminance))
            peak = md->max_luminance;
        if (md->max_cll != 0.0f && !nits_ok(md->max_cll))
            log_bad(ctx, &mem->bad_cll, md->max_cll, "the stream's MaxCLL", peak);
        if (md->max_luminance != 0.0f && !nits_ok(md->max_luminance))
            log_bad(ctx, &mem->bad_master, md->max_luminance, "the stream's mastering peak", peak);
    }
    out->target_peak = (float)target;
    out->source_peak = (float)peak;
    out->lin[0] = (float)((out->path == GLVF_COLOUR_PQ ? 10000.0 : lw) / target);
    out->lin[1] = (float)(1.2 + 0.42 * log10(lw / 1000.0) - 1.0);

    double rel = peak / target; /* source peak in output units */
    glvf_tone_map tm = p->tone_map ? p->tone_map : GLVF_TONE_MAP_BT2390;
    if ((unsigned)tm > GLVF_TONE_MAP_MOBIUS)
        tm = GLVF_TONE_MAP_BT2390; /* refused earlier by glvf_render */
    double param = p->tone_map_param;
    if (rel <= 1.0)
        tm = GLVF_TONE_MAP_CLIP; /* the source fits: nothing to compress */
    out->tone_map = tm;
    switch (tm) {
    case GLVF_TONE_MAP_BT2390: {
        double o = param > 0.0 && param <= 1.0 ? param : 0.5;
        double pq_src = glvf_pq_inverse(peak);
        double max_lum = glvf_pq_inverse(target) / pq_src;
        out->tm[0] = (float)(target / 10000.0);
        out->tm[1] = (float)pq_src;
        out->tm[2] = (float)((1.0 + o) * max_lum - o);
        out->tm[3] = (float)max_lum;
        break;
    }
    case GLVF_TONE_MAP_HABLE:
        out->tm[0] = (float)rel;
        out->tm[1] = (float)(1.0 / hable(rel));
        break;
    case GLVF_TONE_MAP_MOBIUS: {
        double j = param > 0.0 && param < 1.0 ? param : 0.3;
        double a = -j * j * (rel - 1.0) / (j * j - 2.0 * j + rel);
        double b = (j * j - 2.0 * j * rel + rel) / fmax(rel - 1.0, 1e-6);
        out->tm[0] = (float)j;
        out->tm[1] = (float)a;
        out->tm[2] = (float)b;
        out->tm[3] = (float)((b * b + 2.0 * b * j + j * j) / (b - a));
        break;
    }
    default: break;
    }
}

bool glvf_colour_needs_conversion(const glvf_colorimetry *c, const glvf_render_params *params)
{
    static const glvf_render_params defaults;
    if (!c)
        return false;
    glvf_image img = { .color = *c };
    glvf_colour_memory mem;
    memset(&mem, 0, sizeof mem);
    glvf_colour_plan plan;
    glvf_colour_plan_make(NULL, &mem, &img, params ? params : &defaults, &plan);
    return plan.path != GLVF_COLOUR_NONE;
}

void glvf_colour_describe(const glvf_colorimetry *c, const glvf_render_params *params, char *buf,
                          size_t n)
{
    static const glvf_render_params defaults;
    static const char *curves[] = { "auto", "bt2390", "clip", "hable", "mobius" };
    if (!buf || !n)
        return;
    if (!c) {
        snprintf(buf, n, "?");
        return;
    }
    const glvf_render_params *p = params ? params : &defaults;
    glvf_image img = { .color = *c };
    glvf_colour_memory mem;
    memset(&mem, 0, sizeof mem);
    glvf_colour_plan plan;
    glvf_colour_plan_make(NULL, &mem, &img, p, &plan); /* a NULL context logs nothing */
    const char *pn = glvf_primaries_name(plan.primaries);
    const char *tn = glvf_transfer_name(plan.transfer);
    const char *gm = plan.gamut_map == GLVF_GAMUT_MAP_DESATURATE ? "desaturate" : "clip";
    switch (plan.path) {
    case GLVF_COLOUR_NONE:
        snprintf(buf, n, "%s/%s SDR%s", pn, tn,
                 strcmp(pn, "bt709") && strcmp(pn, "unspecified") ? " (shown as bt709)" : "");
        break;
    case GLVF_COLOUR_SDR: snprintf(buf, n, "%s/%s SDR -> bt709, gamut %s", pn, tn, gm); break;
    default: {
        const char *from = "default";
        if (p->source_peak != 0.0f && nits_ok(p->source_peak))
            from = "set";
        else if (plan.path == GLVF_COLOUR_HLG)
            from = "HLG display";
        else if (nits_ok(c->hdr.max_cll))
            from = "MaxCLL";
        else if (nits_ok(c->hdr.max_luminance))
            from = "mastering";
        snprintf(buf, n,
                 "%s/%s HDR, peak %.0f nits (%s) -> SDR white %.0f nits, tone map %s, "
                 "gamut %s",
                 pn, tn, (double)plan.source_peak, from, (double)plan.target_peak,
                 curves[plan.tone_map], gm);
    }
    }
}
