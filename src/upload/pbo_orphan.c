/* pbo-orphan: one pixel-unpack buffer, re-specified (orphaned) before every
 * upload, mapped with INVALIDATE_BUFFER, filled, and the textures updated
 * from it. Every context can (GL 3.0 / ES 3.0 buffers). */
#include "upload.h"

static int upload(glvf_context *ctx, const glvf_image *img, glvf_pool_tex *const *tex,
                  const glvf_image_plan *plan)
{
    const glvf_plane_layout *layouts = plan->layout;
    int planes = plan->planes;
    GladGLContext *gl = &ctx->gl;
    size_t offsets[GLVF_MAX_PLANES];
    ptrdiff_t strides[GLVF_MAX_PLANES];
    size_t total = glvf_staging_layout(ctx, img->format, img->width, img->height, GLVF_STAGING_ALIGN,
                                 offsets, strides);
    glvf_staging_ring *r = &ctx->ring;
    if (!r->orphan_buffer) {
        pthread_mutex_lock(&ctx->lock);
        bool ok = glvf_tracker_reserve(ctx, 1);
        pthread_mutex_unlock(&ctx->lock);
        if (ok)
            gl->GenBuffers(1, &r->orphan_buffer);
        if (!r->orphan_buffer) {
            LOG_E(ctx, "pbo-orphan: glGenBuffers failed");
            return -ENOMEM;
        }
        glvf_label(ctx, GL_BUFFER, r->orphan_buffer, "glvf orphaned upload buffer");
        pthread_mutex_lock(&ctx->lock);
        glvf_tracker_created(ctx, GLVF_OBJECT_BUFFER, 0);
        pthread_mutex_unlock(&ctx->lock);
    }
    glvf_gl_clear(ctx, NULL);
    gl->BindBuffer(GL_PIXEL_UNPACK_BUFFER, r->orphan_buffer);
    size_t size = total > r->orphan_size ? total : r->orphan_size;
    gl->BufferData(GL_PIXEL_UNPACK_BUFFER, (GLsizeiptr)size, NULL, GL_STREAM_DRAW);
    GLenum err = gl->GetError();
    void *map = NULL;
    if (err == GL_NO_ERROR)
        map = gl->MapBufferRange(GL_PIXEL_UNPACK_BUFFER, 0, (GLsizeiptr)total,
                                 GL_MAP_WRITE_BIT | GL_MAP_INVALIDATE_BUFFER_BIT);
    if (!map) {
        LOG_E(ctx, "pbo-orphan: %s of %zu bytes failed (GL error 0x%x)",
              err != GL_NO_ERROR ? "glBufferData" : "glMapBufferRange", size,
              err != GL_NO_ERROR ? err : gl->GetError());
        return err == GL_OUT_OF_MEMORY ? -ENOMEM : -EIO;
    }
    if (size != r->orphan_size) {
        pthread_mutex_lock(&ctx->lock);
        glvf_tracker_resized(ctx, GLVF_OBJECT_BUFFER, r->orphan_size, size);
        r->bytes = r->bytes - r->orphan_size + size;
        pthread_mutex_unlock(&ctx->lock);
        r->orphan_size = size;
    }
    glvf_fill_region(map, img, layouts, planes, offsets, strides);
    if (!gl->UnmapBuffer(GL_PIXEL_UNPACK_BUFFER)) {
        LOG_E(ctx, "pbo-orphan: glUnmapBuffer reported the buffer contents lost");
        return -EIO;
    }
    glvf_upload_from_buffer(ctx, r->orphan_buffer, tex, layouts, planes, offsets, strides);
    return 0;
}

static void destroy(glvf_context *ctx, bool gl)
{
    /* lock held, context dead */
    glvf_staging_ring *r = &ctx->ring;
    if (r->orphan_buffer) {
        glvf_tracker_release(ctx, GLVF_OBJECT_BUFFER, r->orphan_buffer, r->orphan_size, gl);
        r->orphan_buffer = 0;
    }
}

const glvf_upload_ops glvf_upload_ops_pbo_orphan = {
    .id = GLVF_UPLOAD_PBO_ORPHAN,
    .upload = upload,
    .destroy = destroy,
};
