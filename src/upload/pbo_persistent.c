/* pbo-persistent: the staging ring's buffers with persistent, coherent
 * mappings (buffer storage). A slot is written, the textures are updated
 * from it and a fence is inserted; the slot is reused only after its fence
 * signalled (staging.c keeps the ring: working sets per size, budget,
 * waits). Staging regions are the same mapped memory: a producer's region
 * is submitted with no copy. Needs buffer storage (GL 4.4, ARB/EXT). */
#include "upload.h"

#define MAX_SLOTS GLVF_RING_FENCES

static int upload(glvf_context *ctx, const glvf_image *img, glvf_pool_tex *const *tex,
                  const glvf_image_plan *plan)
{
    const glvf_plane_layout *layouts = plan->layout;
    int planes = plan->planes;
    size_t offsets[GLVF_MAX_PLANES];
    ptrdiff_t strides[GLVF_MAX_PLANES];
    size_t total = glvf_staging_layout(ctx, img->format, img->width, img->height, GLVF_STAGING_ALIGN,
                                 offsets, strides);
    int err = 0;
    glvf_slot *s = glvf_ring_take_gl(ctx, total, &err);
    if (!s && err == -ENOSPC) {
        /* No slot can be had: the ring's every entry is held as a
         * producer's region (decoders doing direct rendering; many of
         * them share one context in a video wall) or the staging budget
         * is. The upload goes through client memory instead of failing:
         * the staging budget bounds staging memory, it never makes an
         * upload fail. */
        if (!ctx->ring.client_fallbacks++) {
            size_t held = 0;
            pthread_mutex_lock(&ctx->lock);
            for (size_t i = 0; i < ctx->ring.count; i++)
                held += ctx->ring.slots[i].size && ctx->ring.slots[i].state == SLOT_ACQUIRED;
            size_t count = ctx->ring.count, bytes = ctx->ring.bytes;
            pthread_mutex_unlock(&ctx->lock);
            LOG_W(ctx, "staging: no slot of %zu bytes to be had (%zu of the ring's %zu slots, "
                       "at most %d, held as producers' regions; %zu of %zu budget bytes in "
                       "use): uploading from client memory instead while that lasts (logged "
                       "once)",
                  total, held, count, MAX_SLOTS, bytes, ctx->staging_budget);
        }
        return glvf_upload_client_planes(ctx, img, tex, layouts, planes);
    }
    if (!s)
        return err;
    glvf_fill_region(s->map, img, layouts, planes, offsets, strides);
    glvf_upload_from_buffer(ctx, s->buffer, tex, layouts, planes, offsets, strides);
    return glvf_slot_fence(ctx, s);
}

static const char *unavailable(const glvf_context *ctx)
{
    return ctx->caps.buffer_storage ? NULL : "needs buffer storage, which this context lacks";
}

const glvf_upload_ops glvf_upload_ops_pbo_persistent = {
    .id = GLVF_UPLOAD_PBO_PERSISTENT,
    .unavailable = unavailable,
    .fallback = GLVF_UPLOAD_PBO_ORPHAN,
    .upload = upload,
    .mapped_staging = true,
};
