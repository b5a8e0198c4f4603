/*
 * The format table: one row per format. Each plane is described by what is
 * uploaded (components per texel, bytes per component, subsampling, pixels
 * per texel); the GL internal format follows from that and the context's
 * capabilities (plane_gl_format), including the GLES fallback for 16-bit
 * data without EXT_texture_norm16: 16-bit components are stored as pairs of
 * 8-bit ones (R16 -> RG8, RG16 -> RGBA8), bytes unchanged, and the shader
 * recombines them (low byte + 256 * high byte).
 *
 * Every plane is uploaded as its raw bytes: a readback gives back exactly
 * the source, and channel order (BGRA, NV21, UYVY) is the shader's business
 * (the row's `order`, read by the renderer).
 *
 * Adding a format: one row here (its name is FFmpeg's, which is all the
 * FFmpeg module needs), a value appended to glvf_format in glvf.h, and a row
 * in the tests' tables (docs/hacking.md).
 */
#include "internal.h"

#include <errno.h>

#include <stdio.h>
#include <string.h>

#define P(c, b, sx, sy) { (c), (b), (sx), (sy), 1 }
#define PK(c, b, sx, sy, ppt) { (c), (b), (sx), (sy), (ppt) }
#define ORDER(a, b, c, d) { (a), (b), (c), (d) }
#define SAME ORDER(0, 1, 2, 3)

/* name, planes, depth, shift, yuv, alpha, layout, order, planes */
static const glvf_format_desc formats[GLVF_FORMAT_COUNT] = {
#define RGB(fmt, name, alpha, comps, order)                                                 \
    [fmt] = { name, 1, 8, 0, false, alpha, GLVF_LAYOUT_RGB, order, { P(comps, 1, 0, 0) } }
    RGB(GLVF_FORMAT_RGBA8, "rgba", true, 4, SAME),
    RGB(GLVF_FORMAT_BGRA8, "bgra", true, 4, ORDER(2, 1, 0, 3)),
    RGB(GLVF_FORMAT_RGBX8, "rgb0", false, 4, SAME),
    RGB(GLVF_FORMAT_BGRX8, "bgr0", false, 4, ORDER(2, 1, 0, 3)),
    RGB(GLVF_FORMAT_RGB24, "rgb24", false, 3, SAME),
#undef RGB
    [GLVF_FORMAT_GRAY8] = { "gray", 1, 8, 0, false, false, GLVF_LAYOUT_GRAY, SAME,
                            { P(1, 1, 0, 0) } },
    [GLVF_FORMAT_GRAY16] = { "gray16", 1, 16, 0, false, false, GLVF_LAYOUT_GRAY, SAME,
                             { P(1, 2, 0, 0) } },
#define YUVP(fmt, name, depth, sx, sy, b)                                                   \
    [fmt] = { name, 3, depth, 0, true, false, GLVF_LAYOUT_PLANAR, SAME,                    \
              { P(1, b, 0, 0), P(1, b, sx, sy), P(1, b, sx, sy) } }
    YUVP(GLVF_FORMAT_YUV420P, "yuv420p", 8, 1, 1, 1),
    YUVP(GLVF_FORMAT_YUV422P, "yuv422p", 8, 1, 0, 1),
    YUVP(GLVF_FORMAT_YUV444P, "yuv444p", 8, 0, 0, 1),
    YUVP(GLVF_FORMAT_YUV420P10, "yuv420p10", 10, 1, 1, 2),
    YUVP(GLVF_FORMAT_YUV422P10, "yuv422p10", 10, 1, 0, 2),
    YUVP(GLVF_FORMAT_YUV444P10, "yuv444p10", 10, 0, 0, 2),
    YUVP(GLVF_FORMAT_YUV420P12, "yuv420p12", 12, 1, 1, 2),
    YUVP(GLVF_FORMAT_YUV422P12, "yuv422p12", 12, 1, 0, 2),
    YUVP(GLVF_FORMAT_YUV444P12, "yuv444p12", 12, 0, 0, 2),
    YUVP(GLVF_FORMAT_YUV420P16, "yuv420p16", 16, 1, 1, 2),
    YUVP(GLVF_FORMAT_YUV422P16, "yuv422p16", 16, 1, 0, 2),
    YUVP(GLVF_FORMAT_YUV444P16, "yuv444p16", 16, 0, 0, 2),
#undef YUVP
#define NV(fmt, name, depth, shift, b, order)                                               \
    [fmt] = { name, 2, depth, shift, true, false, GLVF_LAYOUT_NV, order,                    \
              { P(1, b, 0, 0), P(2, b, 1, 1) } }
    NV(GLVF_FORMAT_NV12, "nv12", 8, 0, 1, SAME),
    NV(GLVF_FORMAT_NV21, "nv21", 8, 0, 1, ORDER(1, 0, 0, 0)),
    NV(GLVF_FORMAT_P010, "p010", 10, 6, 2, SAME),
    NV(GLVF_FORMAT_P016, "p016", 16, 0, 2, SAME),
#undef NV
    [GLVF_FORMAT_YUYV422] = { "yuyv422", 1, 8, 0, true, false, GLVF_LAYOUT_PACKED422, SAME,
                              { PK(4, 1, 0, 0, 2) } },
    [GLVF_FORMAT_UYVY422] = { "uyvy422", 1, 8, 0, true, false, GLVF_LAYOUT_PACKED422,
                              ORDER(1, 0, 3, 2), { PK(4, 1, 0, 0, 2) } },
    [GLVF_FORMAT_YUVA420P] = { "yuva420p", 4, 8, 0, true, true, GLVF_LAYOUT_PLANAR, SAME,
                               { P(1, 1, 0, 0), P(1, 1, 1, 1), P(1, 1, 1, 1), P(1, 1, 0, 0) } },
};

const glvf_format_desc *glvf_format_desc_get(glvf_format f)
{
    if ((int)f <= GLVF_FORMAT_NONE || f >= GLVF_FORMAT_COUNT)
        return NULL;
    return &formats[f];
}

const char *glvf_format_name(glvf_format f)
{
    const glvf_format_desc *d = glvf_format_desc_get(f);
    return d ? d->name : "none";
}

int glvf_format_parse(const char *name)
{
    if (!name)
        return -EINVAL;
    size_t n = strlen(name);
    for (int f = 1; f < GLVF_FORMAT_COUNT; f++) {
        if (!strcmp(name, formats[f].name))
            return f;
        /* FFmpeg's explicit little-endian name of a 16-bit format
         * ("yuv420p10le": glvf's are native-endian, and glvf runs on
         * little-endian machines only) */
        size_t k = strlen(formats[f].name);
        if (formats[f].plane[0].bytes_per_comp == 2 && n == k + 2 &&
            !strncmp(name, formats[f].name, k) && !strcmp(name + k, "le"))
            return f;
    }
    /* a few common aliases */
    static const struct { const char *alias; glvf_format f; } aliases[] = {
        { "rgba8", GLVF_FORMAT_RGBA8 }, { "bgra8", GLVF_FORMAT_BGRA8 },
        { "rgbx", GLVF_FORMAT_RGBX8 }, { "bgrx", GLVF_FORMAT_BGRX8 },
        { "gray8", GLVF_FORMAT_GRAY8 }, { "i420", GLVF_FORMAT_YUV420P },
        { "yuyv", GLVF_FORMAT_YUYV422 }, { "uyvy", GLVF_FORMAT_UYVY422 },
    };
    for (size_t i = 0; i < GLVF_ARRAY_LEN(aliases); i++)
        if (!strcmp(name, aliases[i].alias))
            return (int)aliases[i].f;
    return -EINVAL;
}

int glvf_format_planes(glvf_format f)
{
    const glvf_format_desc *d = glvf_format_desc_get(f);
    return d ? d->planes : 0;
}

int glvf_format_depth(glvf_format f)
{
    const glvf_format_desc *d = glvf_format_desc_get(f);
    return d ? d->depth : 0;
}

bool glvf_format_is_yuv(glvf_format f)
{
    const glvf_format_desc *d = glvf_format_desc_get(f);
    return d && d->yuv;
}

bool glvf_format_has_alpha(glvf_format f)
{
    const glvf_format_desc *d = glvf_format_desc_get(f);
    return d && d->alpha;
}

/* GL format of a plane on a context: the norm16 rule and its ES fallback. */
static void plane_gl_format(const glvf_context *ctx, const glvf_plane_desc *p, GLenum *ifmt,
                            GLenum *fmt, GLenum *type, int *comps_out)
{
    static const GLenum ifmt8[5] = { 0, GL_R8, GL_RG8, GL_RGB8, GL_RGBA8 };
    static const GLenum ifmt16[5] = { 0, GL_R16, GL_RG16, GL_RGB16, GL_RGBA16 };
    static const GLenum fmts[5] = { 0, GL_RED, GL_RG, GL_RGB, GL_RGBA };
    int comps = p->comps;
    bool norm16 = !ctx || ctx->caps.texture_norm16;
    if (p->bytes_per_comp == 2 && norm16) {
        *ifmt = ifmt16[comps];
        *type = GL_UNSIGNED_SHORT;
    } else {
        if (p->bytes_per_comp == 2)
            comps *= 2; /* ES without norm16: bytes as 8-bit pairs */
        *ifmt = ifmt8[comps];
        *type = GL_UNSIGNED_BYTE;
    }
    *fmt = fmts[comps];
    *comps_out = comps;
}

static void plane_layout(const glvf_context *ctx, const glvf_format_desc *d, int width,
                         int height, int plane, glvf_plane_layout *out)
{
    const glvf_plane_desc *p = &d->plane[plane];
    int comps;
    plane_gl_format(ctx, p, &out->internal_format, &out->format, &out->type, &comps);
    int pw = (int)(((unsigned)width + (1u << p->sub_x) - 1) >> p->sub_x);
    int ph = (int)(((unsigned)height + (1u << p->sub_y) - 1) >> p->sub_y);
    out->width = (pw + p->pixels_per_texel - 1) / p->pixels_per_texel;
    out->height = ph;
    out->bytes_per_texel = p->comps * p->bytes_per_comp;
    out->row_bytes = out->width * out->bytes_per_texel;
}

bool glvf_plane_layout_get(const glvf_context *ctx, glvf_format format, int width,
                           int height, int plane, glvf_plane_layout *out)
{
    const glvf_format_desc *d = glvf_format_desc_get(format);
    if (!d || plane < 0 || plane >= d->planes || width <= 0 || height <= 0 || !out)
        return false;
    plane_layout(ctx, d, width, height, plane, out);
    return true;
}

int glvf_image_check(const glvf_context *ctx, const glvf_image *img, glvf_image_plan *plan,
                     char *why, size_t why_len)
{
#define FAIL(code, ...)                                                                     \
    do {                                                                                    \
        snprintf(why, why_len, __VA_ARGS__);                                                \
        return (code);                                                                      \
    } while (0)
    if (!img)
        FAIL(-EINVAL, "image is NULL");
    const glvf_format_desc *d = glvf_format_desc_get(img->format);
    if (!d)
        FAIL(-EINVAL, "unknown format %d", (int)img->format);
    if (img->width <= 0 || img->height <= 0)
        FAIL(-EINVAL, "%s image has invalid size %dx%d", d->name, img->width, img->height);
    /* texture dimensions are GLsizei; keep every byte count far from overflow */
    if (img->width > 1 << 20 || img->height > 1 << 20)
        FAIL(-EOVERFLOW, "%s image size %dx%d overflows", d->name, img->width, img->height);
    if (img->rotation != 0 && img->rotation != 90 && img->rotation != 180 &&
        img->rotation != 270)
        FAIL(-EINVAL, "rotation %d is not a multiple of 90 in [0, 270]", img->rotation);
    int max_tex = ctx ? ctx->caps.max_texture_size : 0;
    glvf_image_plan scratch;
    if (!plan)
        plan = &scratch;
    plan->desc = d;
    plan->planes = d->planes;
    for (int i = 0; i < d->planes; i++) {
        glvf_plane_layout *lp = &plan->layout[i];
        plane_layout(ctx, d, img->width, img->height, i, lp);
        const glvf_plane_layout l = *lp;
        if (max_tex > 0 && (l.width > max_tex || l.height > max_tex))
            FAIL(-E2BIG, "%s %dx%d: plane %d needs a %dx%d texture, over GL_MAX_TEXTURE_SIZE %d",
                 d->name, img->width, img->height, i, l.width, l.height, max_tex);
        const glvf_image_plane *p = &img->planes[i];
        if (!p->data)
            FAIL(-EINVAL, "%s %dx%d: plane %d data is NULL", d->name, img->width, img->height,
                 i);
        size_t abs_stride = p->stride < 0 ? (size_t)0 - (size_t)p->stride : (size_t)p->stride;
        if (abs_stride < (size_t)l.row_bytes)
            FAIL(-EINVAL, "%s %dx%d: plane %d stride %td is shorter than a row (%d bytes)",
                 d->name, img->width, img->height, i, p->stride, l.row_bytes);
        size_t total;
        if (__builtin_mul_overflow(abs_stride, (size_t)l.height, &total) ||
            abs_stride > PTRDIFF_MAX / 2 || total > PTRDIFF_MAX / 2)
            FAIL(-EOVERFLOW, "%s %dx%d: plane %d stride %td x %d rows overflows", d->name,
                 img->width, img->height, i, p->stride, l.height);
    }
    return 0;
#undef FAIL
}

int glvf_image_validate_plan(glvf_context *ctx, const glvf_image *img, glvf_image_plan *plan)
{
    char why[256];
    int r = glvf_image_check(ctx, img, plan, why, sizeof why);
    if (r < 0 && ctx)
        LOG_E(ctx, "invalid image: %s", why);
    return r;
}

int glvf_image_validate(glvf_context *ctx, const glvf_image *img)
{
    return glvf_image_validate_plan(ctx, img, NULL);
}
