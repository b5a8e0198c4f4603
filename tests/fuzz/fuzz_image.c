/*
 * Fuzz target: image descriptions (format, size, strides, plane layout,
 * colorimetry, orientation) through glvf_image_validate, glvf_upload (or a
 * staging region whose descriptor the "producer" edits, then submit),
 * glvf_render with fuzzed parameters, unref and destroy -- on the fake GL
 * (tests/harness/fakegl.h), one fresh GL and glvf context per input, of a
 * kind the input picks (desktop 4.5, bare GL 3.3, GLES 3.0 with and without
 * norm16, optionally a 256 GL_MAX_TEXTURE_SIZE) with the upload strategy it
 * picks.
 *
 * Plane buffers are allocated to exactly the size the description claims
 * (|stride| x (rows - 1) + the row, from this file's own table of the
 * formats, not glvf's), with the data pointer at the top row (the end of
 * the buffer for a negative stride), so ASan catches any read past what
 * the caller promised. Descriptions claiming more than 4 MiB are only
 * validated.
 *
 * Must never: crash, trip ASan/UBSan, leak (LeakSanitizer), leave a GL
 * object behind after destroy, delete an unknown name, call GL while not
 * current, or accept what the table says is invalid. Those are checked
 * here and abort().
 *
 * Input (little endian; missing bytes read as 0):
 *   u8  config: bits 0-1 context kind, 2-3 strategy, 4 staging path,
 *       5 render, 6 small max texture size, 7 extra reference
 *   u8  format (value - 1: -1 .. GLVF_FORMAT_COUNT)
 *   i32 width, i32 height
 *   4 x { i32 stride, u8 flags (bit 0: NULL data) }
 *   u8 matrix, u8 range, u8 chroma location, i16 sar num, i16 sar den,
 *   i16 rotation, u8 flips, i64 pts
 *   render: i32 x, y, w, h, u8 scaler, i16 rotation, u8 flags (flips,
 *       stretch, clear), u8 matrix, u8 range, u8 chroma location
 *   staging: i16 align, i32 new width, i32 new height,
 *       4 x { i32 pointer offset, i32 stride }
 */
#include "fakegl.h"
#include "glvf_glad.h"

#include <errno.h>
#include <glvf/glvf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- input reader ------------------------------------------------------- */

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

static uint64_t rd(reader *r, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) {
        uint64_t b = 0;
        if (r->n) {
            b = *r->p++;
            r->n--;
        }
        v |= b << (8 * i);
    }
    return v;
}

static int32_t rd_i32(reader *r)
{
    return (int32_t)(uint32_t)rd(r, 4);
}

static int16_t rd_i16(reader *r)
{
    return (int16_t)(uint16_t)rd(r, 2);
}

/* ---- an independent table of the formats -------------------------------- */

typedef struct plane_def {
    int bytes;  /* per unit */
    int sx, sy; /* log2 subsampling */
    int ppu;    /* pixels per unit (2 for packed 4:2:2) */
} plane_def;

typedef struct format_def {
    int planes;
    plane_def p[4];
} format_def;

static bool format_def_get(glvf_format f, format_def *d)
{
    memset(d, 0, sizeof *d);
    const plane_def y8 = { 1, 0, 0, 1 }, y16 = { 2, 0, 0, 1 };
    switch (f) {
    case GLVF_FORMAT_RGBA8:
    case GLVF_FORMAT_BGRA8:
    case GLVF_FORMAT_RGBX8:
    case GLVF_FORMAT_BGRX8: *d = (format_def){ 1, { { 4, 0, 0, 1 } } }; return true;
    case GLVF_FORMAT_RGB24: *d = (format_def){ 1, { { 3, 0, 0, 1 } } }; return true;
    case GLVF_FORMAT_GRAY8: *d = (format_def){ 1, { y8 } }; return true;
    case GLVF_FORMAT_GRAY16: *d = (format_def){ 1, { y16 } }; return true;
    case GLVF_FORMAT_YUV420P:
        *d = (format_def){ 3, { y8, { 1, 1, 1, 1 }, { 1, 1, 1, 1 } } };
        return true;
    case GLVF_FORMAT_YUV422P:
        *d = (format_def){ 3, { y8, { 1, 1, 0, 1 }, { 1, 1, 0, 1 } } };
        return true;
    case GLVF_FORMAT_YUV444P: *d = (format_def){ 3, { y8, y8, y8 } }; return true;
    case GLVF_FORMAT_YUV420P10:
    case GLVF_FORMAT_YUV420P12:
    case GLVF_FORMAT_YUV420P16:
        *d = (format_def){ 3, { y16, { 2, 1, 1, 1 }, { 2, 1, 1, 1 } } };
        return true;
    case GLVF_FORMAT_YUV422P10:
    case GLVF_FORMAT_YUV422P12:
    case GLVF_FORMAT_YUV422P16:
        *d = (format_def){ 3, { y16, { 2, 1, 0, 1 }, { 2, 1, 0, 1 } } };
        return true;
    case GLVF_FORMAT_YUV444P10:
    case GLVF_FORMAT_YUV444P12:
    case GLVF_FORMAT_YUV444P16: *d = (format_def){ 3, { y16, y16, y16 } }; return true;
    case GLVF_FORMAT_NV12:
    case GLVF_FORMAT_NV21: *d = (format_def){ 2, { y8, { 2, 1, 1, 1 } } }; return true;
    case GLVF_FORMAT_P010:
    case GLVF_FORMAT_P016: *d = (format_def){ 2, { y16, { 4, 1, 1, 1 } } }; return true;
    case GLVF_FORMAT_YUYV422:
    case GLVF_FORMAT_UYVY422: *d = (format_def){ 1, { { 4, 0, 0, 2 } } }; return true;
    case GLVF_FORMAT_YUVA420P:
        *d = (format_def){ 4, { y8, { 1, 1, 1, 1 }, { 1, 1, 1, 1 }, y8 } };
        return true;
    default: return false;
    }
}

/* Row bytes and rows of plane i for w x h (both > 0). */
static void plane_size(const plane_def *p, int64_t w, int64_t h, int64_t *row, int64_t *rows)
{
    int64_t pw = (w + (1 << p->sx) - 1) >> p->sx;
    *rows = (h + (1 << p->sy) - 1) >> p->sy;
    *row = (pw + p->ppu - 1) / p->ppu * p->bytes;
}

#define MAX_CLAIM ((int64_t)4 << 20)

/* ---- contexts ----------------------------------------------------------- */

static const char *const ext_bare_gl[] = { "GL_ARB_robustness", NULL };
static const char *const ext_bare_es[] = { "GL_EXT_robustness", NULL };

static void fake_config(unsigned kind, bool small, fakegl_config *c)
{
    memset(c, 0, sizeof *c);
    c->reset_strategy = 0x8252; /* GL_LOSE_CONTEXT_ON_RESET */
    c->max_texture_size = small ? 256 : 0;
    switch (kind & 3) {
    case 0: break; /* desktop 4.5, every extension */
    case 1: c->major = 3, c->minor = 3, c->extensions = ext_bare_gl; break;
    case 2: c->gles = true, c->extensions = ext_bare_es; break; /* no norm16 */
    case 3: c->gles = true; break;
    }
}

static void quiet(void *user, glvf_log_level level, const char *msg)
{
    (void)user, (void)level, (void)msg;
}

#define ENSURE(cond)                                                                       \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_image: %s:%d: %s\n", __FILE__, __LINE__, #cond);         \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

/* ---- the target --------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = { data, size };
    unsigned config = (unsigned)rd(&r, 1);
    fakegl_config cfg;
    fake_config(config, (config >> 6) & 1, &cfg);
    fakegl_reset(&cfg);
    fakegl_set_current(true);
    static const glvf_upload_strategy strategies[4] = {
        GLVF_UPLOAD_CLIENT, GLVF_UPLOAD_PBO_ORPHAN, GLVF_UPLOAD_PBO_PERSISTENT,
        GLVF_UPLOAD_AUTO,
    };
    glvf_context *ctx = glvf_context_create(glvf_context_params(
            .get_proc_address = fakegl_get_proc, .is_current = fakegl_is_current,
            .log = quiet, .log_level = GLVF_LOG_DEBUG, .flags = GLVF_CONTEXT_IGNORE_ENV,
            .upload = strategies[(config >> 2) & 3], .fence_timeout_ms = 1));
    ENSURE(ctx);

    glvf_image img = { 0 };
    img.format = (glvf_format)((int)rd(&r, 1) - 1);
    img.width = rd_i32(&r);
    img.height = rd_i32(&r);
    uint8_t flags[4];
    for (int i = 0; i < 4; i++) {
        img.planes[i].stride = rd_i32(&r);
        flags[i] = (uint8_t)rd(&r, 1);
    }
    img.color.matrix = (glvf_matrix)rd(&r, 1);
    img.color.range = (glvf_range)rd(&r, 1);
    img.color.chroma_location = (glvf_chroma_location)rd(&r, 1);
    img.sar.num = rd_i16(&r);
    img.sar.den = rd_i16(&r);
    img.rotation = rd_i16(&r);
    unsigned flips = (unsigned)rd(&r, 1);
    img.flip_h = flips & 1;
    img.flip_v = (flips >> 1) & 1;
    img.pts = (int64_t)rd(&r, 8);

    glvf_render_params rp = { 0 };
    rp.target.x = rd_i32(&r);
    rp.target.y = rd_i32(&r);
    rp.target.width = rd_i32(&r);
    rp.target.height = rd_i32(&r);
    rp.scaler = (glvf_scaler)rd(&r, 1);
    rp.rotation = rd_i16(&r);
    unsigned rflags = (unsigned)rd(&r, 1);
    rp.flip_h = rflags & 1;
    rp.flip_v = (rflags >> 1) & 1;
    rp.stretch = (rflags >> 2) & 1;
    rp.clear_background = (rflags >> 3) & 1;
    rp.matrix = (glvf_matrix)rd(&r, 1);
    rp.range = (glvf_range)rd(&r, 1);
    rp.chroma_location = (glvf_chroma_location)rd(&r, 1);

    /* what the description claims, by this file's table */
    format_def fd;
    bool known = format_def_get(img.format, &fd);
    bool sane = known && img.width > 0 && img.height > 0;
    int64_t claim[4] = { 0 }, total = 0, tight = 0;
    bool expect_valid = sane && img.width <= (1 << 20) && img.height <= (1 << 20) &&
                        (img.rotation == 0 || img.rotation == 90 || img.rotation == 180 ||
                         img.rotation == 270);
    int max_tex = cfg.max_texture_size ? cfg.max_texture_size : 16384;
    bool fits = true; /* every plane's texture within GL_MAX_TEXTURE_SIZE */
    for (int i = 0; sane && i < fd.planes; i++) {
        int64_t row, rows;
        plane_size(&fd.p[i], img.width, img.height, &row, &rows);
        int64_t s = img.planes[i].stride < 0 ? -(int64_t)img.planes[i].stride
                                             : img.planes[i].stride;
        if (s < row || (flags[i] & 1))
            expect_valid = false;
        /* in 64 bits these cannot overflow past the 1 << 20 size limit;
         * beyond it, only validation runs */
        if (img.width > (1 << 20) || img.height > (1 << 20)) {
            total = tight = INT64_MAX;
            fits = false;
            break;
        }
        claim[i] = s * (rows - 1) + row;
        total += claim[i];
        tight += row * rows;
        if (rows > max_tex || row / fd.p[i].bytes > max_tex)
            fits = false;
    }
    bool allocate = sane && total <= MAX_CLAIM;
    uint8_t *bufs[4] = { NULL };
    static uint8_t dummy[16];
    for (int i = 0; i < 4; i++) {
        if (flags[i] & 1) {
            img.planes[i].data = NULL;
        } else if (allocate && i < fd.planes) {
            bufs[i] = malloc((size_t)claim[i] ? (size_t)claim[i] : 1);
            ENSURE(bufs[i]);
            memset(bufs[i], 0x5a, (size_t)claim[i]);
            int64_t rows_before = 0;
            if (img.planes[i].stride < 0) {
                int64_t row, rows;
                plane_size(&fd.p[i], img.width, img.height, &row, &rows);
                rows_before = rows - 1;
            }
            img.planes[i].data = bufs[i] - img.planes[i].stride * rows_before;
        } else {
            img.planes[i].data = dummy;
        }
    }

    int v = glvf_image_validate(ctx, &img);
    int v_null = glvf_image_validate(NULL, &img);
    /* an image the table calls invalid must never be accepted */
    if (!expect_valid)
        ENSURE(v < 0 || !known);
    if (!known)
        ENSURE(v == -EINVAL && v_null == -EINVAL);
    /* and a valid one that fits must be */
    if (expect_valid && fits)
        ENSURE(v == 0);
    if (v == 0)
        ENSURE(v_null == 0);

    glvf_frame *frame = NULL;
    int err = 0;
    bool staging = (config >> 4) & 1;
    if (v == 0 && allocate && !staging) {
        frame = glvf_upload(ctx, &img, NULL, &err);
        ENSURE(frame || err < 0);
    }
    if (staging && sane && tight <= MAX_CLAIM) {
        int align = rd_i16(&r);
        glvf_staging *st = glvf_staging_acquire(ctx, img.format, img.width, img.height, align,
                                                &err);
        if (!st && err == -EAGAIN) {
            glvf_staging_reserve(ctx, img.format, img.width, img.height, align, 1);
            st = glvf_staging_acquire(ctx, img.format, img.width, img.height, align, &err);
        }
        if (st) {
            glvf_image *si = glvf_staging_image(st);
            ENSURE(si && si->format == img.format);
            /* write every row the region promised */
            for (int i = 0; i < fd.planes; i++) {
                int64_t row, rows;
                plane_size(&fd.p[i], img.width, img.height, &row, &rows);
                for (int64_t y = 0; y < rows; y++)
                    memset((uint8_t *)si->planes[i].data + y * si->planes[i].stride, (int)y,
                           (size_t)row);
            }
            /* the producer edits the descriptor: glvf must refuse anything
             * outside the region */
            int32_t nw = rd_i32(&r), nh = rd_i32(&r);
            if (nw)
                si->width = nw;
            if (nh)
                si->height = nh;
            for (int i = 0; i < fd.planes; i++) {
                int32_t off = rd_i32(&r), stride = rd_i32(&r);
                /* integer arithmetic: the pointer may leave the region */
                if (off)
                    si->planes[i].data = (const void *)((uintptr_t)si->planes[i].data +
                                                        (uintptr_t)(intptr_t)off);
                if (stride)
                    si->planes[i].stride = stride;
            }
            si->color = img.color;
            si->sar = img.sar;
            si->rotation = img.rotation;
            frame = glvf_staging_submit(ctx, &st, NULL, &err);
            ENSURE(!st); /* taken, success or not */
            ENSURE(frame || err < 0);
        }
    }
    if (frame) {
        ENSURE(glvf_frame_format(frame) == img.format);
        glvf_frame *extra = (config >> 7) & 1 ? glvf_frame_ref(frame) : NULL;
        if ((config >> 5) & 1) {
            int rr = glvf_render(ctx, frame, &rp);
            ENSURE(rr == 0 || rr == -EINVAL);
        }
        glvf_frame_unref(&frame);
        glvf_context_collect(ctx);
        glvf_frame_unref(&extra);
    }
    glvf_stats s;
    glvf_context_get_stats(ctx, &s);
    ENSURE(s.frames_live == 0 && s.staging_live == 0);
    ENSURE(glvf_context_destroy(&ctx) && !ctx);
    fakegl_stats fs = fakegl_get_stats();
    for (int k = 0; k < FAKEGL_KIND_COUNT; k++)
        ENSURE(fs.live[k] == 0);
    ENSURE(fs.bad_deletes == 0 && fs.violations == 0);
    for (int i = 0; i < 4; i++)
        free(bufs[i]);
    return 0;
}
