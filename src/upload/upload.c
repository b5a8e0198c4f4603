/* Upload strategies: the operations table, the dispatcher and the helpers
 * the strategies and staging regions share (upload.h). */
#include "upload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const strategy_names[GLVF_UPLOAD_STRATEGY_COUNT] = {
    [GLVF_UPLOAD_AUTO] = "auto",
    [GLVF_UPLOAD_CLIENT] = "client",
    [GLVF_UPLOAD_PBO_ORPHAN] = "pbo-orphan",
    [GLVF_UPLOAD_PBO_PERSISTENT] = "pbo-persistent",
};

static const glvf_upload_ops *const table[GLVF_UPLOAD_STRATEGY_COUNT] = {
    [GLVF_UPLOAD_CLIENT] = &glvf_upload_ops_client,
    [GLVF_UPLOAD_PBO_ORPHAN] = &glvf_upload_ops_pbo_orphan,
    [GLVF_UPLOAD_PBO_PERSISTENT] = &glvf_upload_ops_pbo_persistent,
};

const glvf_upload_ops *glvf_upload_ops_get(glvf_upload_strategy s)
{
    return (unsigned)s < GLVF_UPLOAD_STRATEGY_COUNT ? table[s] : NULL;
}

const char *glvf_upload_strategy_name(glvf_upload_strategy s)
{
    return (unsigned)s < GLVF_UPLOAD_STRATEGY_COUNT ? strategy_names[s] : "unknown";
}

int glvf_upload_strategy_parse(const char *name)
{
    for (int i = 0; name && i < GLVF_UPLOAD_STRATEGY_COUNT; i++)
        if (!strcmp(name, strategy_names[i]))
            return i;
    return -EINVAL;
}

/* The strategy a context uses: what was asked for (or GLVF_UPLOAD=), each
 * strategy's own fallback where the context cannot use it, and auto's
 * choice. */
glvf_upload_strategy glvf_upload_resolve(glvf_context *ctx, glvf_upload_strategy want)
{
    if (!(ctx->flags & GLVF_CONTEXT_IGNORE_ENV)) {
        const char *env = getenv("GLVF_UPLOAD");
        if (env && *env) {
            int s = glvf_upload_strategy_parse(env);
            if (s < 0) {
                char names[128] = "";
                for (int i = 0; i < GLVF_UPLOAD_STRATEGY_COUNT; i++)
                    snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                             i ? ", " : "", glvf_upload_strategy_name((glvf_upload_strategy)i));
                LOG_W(ctx, "GLVF_UPLOAD=%s is not one of %s; ignored", env, names);
            } else {
                want = (glvf_upload_strategy)s;
            }
        }
    }
    /* a strategy this context cannot use falls back (each says why) */
    for (const glvf_upload_ops *o = glvf_upload_ops_get(want); o && o->unavailable;
         o = glvf_upload_ops_get(want)) {
        const char *why = o->unavailable(ctx);
        if (!why)
            break;
        LOG_W(ctx, "%s %s; using %s", glvf_upload_strategy_name(want), why,
              glvf_upload_strategy_name(o->fallback));
        want = o->fallback;
    }
    if (want == GLVF_UPLOAD_AUTO) {
        /* A software renderer reads client memory directly: a PBO only adds a
         * memcpy there. Real GPUs get asynchronous DMA from mapped buffers. */
        if (ctx->caps.software)
            want = GLVF_UPLOAD_CLIENT;
        else if (ctx->caps.buffer_storage)
            want = GLVF_UPLOAD_PBO_PERSISTENT;
        else
            want = GLVF_UPLOAD_PBO_ORPHAN;
    }
    return want;
}

int glvf_upload_planes(glvf_context *ctx, const glvf_image *img, glvf_pool_tex *const *tex,
                       const glvf_image_plan *plan)
{
    glvf_unpack_state st;
    glvf_gl_clear(ctx, "glvf_upload");
    glvf_unpack_save(ctx, &st);
    int r = ctx->upload_ops->upload(ctx, img, tex, plan);
    int e = glvf_gl_check(ctx, "upload");
    glvf_unpack_restore(ctx, &st);
    return r ? r : e;
}

void glvf_unpack_save(glvf_context *ctx, glvf_unpack_state *s)
{
    GladGLContext *gl = &ctx->gl;
    gl->GetIntegerv(GL_TEXTURE_BINDING_2D, &s->tex);
    gl->GetIntegerv(GL_PIXEL_UNPACK_BUFFER_BINDING, &s->pbo);
    gl->GetIntegerv(GL_UNPACK_ROW_LENGTH, &s->row_length);
    gl->GetIntegerv(GL_UNPACK_ALIGNMENT, &s->alignment);
    gl->GetIntegerv(GL_UNPACK_SKIP_ROWS, &s->skip_rows);
    gl->GetIntegerv(GL_UNPACK_SKIP_PIXELS, &s->skip_pixels);
    if (s->skip_rows)
        gl->PixelStorei(GL_UNPACK_SKIP_ROWS, 0);
    if (s->skip_pixels)
        gl->PixelStorei(GL_UNPACK_SKIP_PIXELS, 0);
}

void glvf_unpack_restore(glvf_context *ctx, const glvf_unpack_state *s)
{
    GladGLContext *gl = &ctx->gl;
    gl->BindTexture(GL_TEXTURE_2D, (GLuint)s->tex);
    gl->BindBuffer(GL_PIXEL_UNPACK_BUFFER, (GLuint)s->pbo);
    gl->PixelStorei(GL_UNPACK_ROW_LENGTH, s->row_length);
    gl->PixelStorei(GL_UNPACK_ALIGNMENT, s->alignment);
    if (s->skip_rows)
        gl->PixelStorei(GL_UNPACK_SKIP_ROWS, s->skip_rows);
    if (s->skip_pixels)
        gl->PixelStorei(GL_UNPACK_SKIP_PIXELS, s->skip_pixels);
}

/* Updates texture `tex` from `src` (a client pointer, or an offset into the
 * bound pixel-unpack buffer) whose rows are `stride` bytes apart. */
void glvf_tex_sub_image(glvf_context *ctx, GLuint tex, const glvf_plane_layout *l,
                        const uint8_t *src, ptrdiff_t stride)
{
    GladGLContext *gl = &ctx->gl;
    gl->BindTexture(GL_TEXTURE_2D, tex);
    int bpt = l->bytes_per_texel;
    if (stride > 0 && stride % bpt == 0) {
        gl->PixelStorei(GL_UNPACK_ALIGNMENT, 1);
        gl->PixelStorei(GL_UNPACK_ROW_LENGTH, (GLint)(stride / bpt));
        gl->TexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, l->width, l->height, l->format, l->type, src);
        return;
    }
    gl->PixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    for (int a = 8; a >= 2 && stride > 0; a /= 2) {
        if ((ptrdiff_t)glvf_align_up((size_t)l->row_bytes, (size_t)a) == stride &&
            ((uintptr_t)src % (uintptr_t)a) == 0) {
            gl->PixelStorei(GL_UNPACK_ALIGNMENT, a);
            gl->TexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, l->width, l->height, l->format, l->type, src);
            return;
        }
    }
    /* negative stride, or one GL cannot express: row by row */
    gl->PixelStorei(GL_UNPACK_ALIGNMENT, 1);
    for (int y = 0; y < l->height; y++)
        gl->TexSubImage2D(GL_TEXTURE_2D, 0, 0, y, l->width, 1, l->format, l->type,
                          src + (ptrdiff_t)y * stride);
}

void glvf_copy_plane(uint8_t *dst, size_t dst_stride, const uint8_t *src, ptrdiff_t stride,
                     size_t row_bytes, int rows)
{
    if (stride > 0 && (size_t)stride == row_bytes && dst_stride == row_bytes) {
        memcpy(dst, src, row_bytes * (size_t)rows);
        return;
    }
    for (int y = 0; y < rows; y++)
        memcpy(dst + (size_t)y * dst_stride, src + (ptrdiff_t)y * stride, row_bytes);
}

/* Staging layout of an image: plane offsets and strides in one region.
 * Strides are multiples of lcm(align, bytes per texel) so that GL can
 * express them with GL_UNPACK_ROW_LENGTH. */
size_t glvf_staging_layout(const glvf_context *ctx, glvf_format format, int w, int h, size_t align,
                           size_t offsets[GLVF_MAX_PLANES], ptrdiff_t strides[GLVF_MAX_PLANES])
{
    size_t total = 0;
    int planes = glvf_format_planes(format);
    for (int i = 0; i < planes; i++) {
        glvf_plane_layout l;
        glvf_plane_layout_get(ctx, format, w, h, i, &l);
        size_t unit = align;
        while (unit % (size_t)l.bytes_per_texel)
            unit += align;
        size_t stride = glvf_align_up((size_t)l.row_bytes, unit);
        total = glvf_align_up(total, align);
        offsets[i] = total;
        strides[i] = (ptrdiff_t)stride;
        total += stride * (size_t)l.height;
    }
    return glvf_align_up(total, align);
}

void glvf_fill_region(uint8_t *dst, const glvf_image *img, const glvf_plane_layout *layouts,
                      int planes, const size_t *offsets, const ptrdiff_t *strides)
{
    for (int i = 0; i < planes; i++)
        glvf_copy_plane(dst + offsets[i], (size_t)strides[i], img->planes[i].data,
                        img->planes[i].stride, (size_t)layouts[i].row_bytes, layouts[i].height);
}

void glvf_upload_from_buffer(glvf_context *ctx, GLuint buffer, glvf_pool_tex *const *tex,
                             const glvf_plane_layout *layouts, int planes, const size_t *offsets,
                             const ptrdiff_t *strides)
{
    ctx->gl.BindBuffer(GL_PIXEL_UNPACK_BUFFER, buffer);
    for (int i = 0; i < planes; i++)
        glvf_tex_sub_image(ctx, tex[i]->name, &layouts[i], (const uint8_t *)(uintptr_t)offsets[i],
                           strides[i]);
}
