/*
 * Frames: per-plane pool textures plus the image description, with an
 * atomic reference count. Frame structs are pooled by the context, so an
 * upload in steady state allocates nothing. The last unref (any thread)
 * returns the textures to the pool without a GL call; a frame whose
 * context was destroyed (an orphan) frees CPU memory only.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static glvf_frame *frame_alloc(glvf_context *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    glvf_frame *f = ctx->frames_free;
    if (f)
        ctx->frames_free = f->next;
    pthread_mutex_unlock(&ctx->lock);
    if (!f)
        f = glvf_malloc(sizeof *f);
    return f;
}

static void frame_recycle_locked(glvf_context *ctx, glvf_frame *f)
{
    f->magic = FRAME_MAGIC_FREE;
    f->ctx = ctx;
    f->next = ctx->frames_free;
    ctx->frames_free = f;
}

/* Prepares the textures of a new frame; on failure returns textures taken
 * so far to the pool. */
static int frame_textures(glvf_context *ctx, glvf_frame *f, const glvf_image *img,
                          const glvf_image_plan *plan)
{
    for (int i = 0; i < plan->planes; i++) {
        int err = -ENOMEM;
        f->tex[i] = glvf_pool_acquire(ctx, &plan->layout[i], img->format, i, &err);
        if (!f->tex[i]) {
            pthread_mutex_lock(&ctx->lock);
            for (int k = 0; k < i; k++)
                glvf_pool_release_locked(ctx, f->tex[k]);
            pthread_mutex_unlock(&ctx->lock);
            return err;
        }
    }
    return 0;
}

/* Publishes a filled frame: one reference, on the live list. */
static glvf_frame *frame_publish(glvf_context *ctx, glvf_frame *f, const glvf_image *img,
                                 const glvf_image_plan *plan,
                                 const glvf_upload_params *params,
                                 glvf_frame_origin origin, bool zero_copy,
                                 bool uploaded, void *const *site, int nsite)
{
    int planes = plan->planes;
    const glvf_plane_layout *layouts = plan->layout;
    f->magic = FRAME_MAGIC;
    atomic_init(&f->refs, 1);
    f->ctx = ctx;
    f->image = *img;
    f->planes = planes;
    f->bytes = 0;
    for (int i = 0; i < GLVF_MAX_PLANES; i++) {
        f->image.planes[i].data = NULL;
        if (i < planes) {
            f->plane[i] = (glvf_frame_plane){ .texture = f->tex[i]->name,
                                              .width = layouts[i].width,
                                              .height = layouts[i].height,
                                              .internal_format = layouts[i].internal_format };
            f->bytes += f->tex[i]->bytes;
        } else {
            f->tex[i] = NULL;
            memset(&f->plane[i], 0, sizeof f->plane[i]);
        }
    }
    f->user_data = params ? params->user_data : NULL;
    f->origin = origin;
    f->zero_copy = zero_copy;
    f->fence = NULL;
    f->nsite = nsite;
    if (nsite)
        memcpy(f->site, site, sizeof(void *) * (size_t)nsite);
    size_t bytes = 0;
    for (int i = 0; i < planes; i++)
        bytes += (size_t)layouts[i].row_bytes * (size_t)layouts[i].height;
    pthread_mutex_lock(&ctx->lock);
    f->prev = NULL;
    f->next = ctx->frames_live;
    if (ctx->frames_live)
        ctx->frames_live->prev = f;
    ctx->frames_live = f;
    ctx->frames_live_count++;
    ctx->live_refs++;
    if (uploaded) {
        ctx->frames_uploaded++;
        ctx->bytes_uploaded += bytes;
    }
    pthread_mutex_unlock(&ctx->lock);
    return f;
}

static void frame_abort(glvf_context *ctx, glvf_frame *f, int planes)
{
    pthread_mutex_lock(&ctx->lock);
    for (int i = 0; i < planes; i++)
        glvf_pool_release_locked(ctx, f->tex[i]);
    frame_recycle_locked(ctx, f);
    pthread_mutex_unlock(&ctx->lock);
}

glvf_frame *glvf_upload(glvf_context *ctx, const glvf_image *img,
                        const glvf_upload_params *params, int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    int r = glvf_ctx_enter(ctx, __func__);
    if (r < 0) {
        *err = r;
        return NULL;
    }
    glvf_image_plan plan;
    r = glvf_image_validate_plan(ctx, img, &plan);
    if (r < 0) {
        *err = r;
        return NULL;
    }
    glvf_frame *f = frame_alloc(ctx);
    if (!f) {
        LOGF_E(ctx, "out of memory");
        *err = -ENOMEM;
        return NULL;
    }
    r = frame_textures(ctx, f, img, &plan);
    if (r < 0)
        frame_abort(ctx, f, 0);
    else if ((r = glvf_upload_planes(ctx, img, f->tex, &plan)) < 0)
        frame_abort(ctx, f, plan.planes);
    if (r < 0) {
        if (glvf_ctx_check_lost(ctx, __func__))
            r = -ENODEV;
        LOGF_E(ctx, "%dx%d %s upload failed (%s)", img->width, img->height,
              glvf_format_name(img->format), strerror(-r));
        *err = r;
        return NULL;
    }
    /* the creation site: captured here so its first entry is our caller */
    void *site[GLVF_MAX_SITE];
    int nsite = ctx->track_sites ? glvf_capture_site(site, GLVF_MAX_SITE) : 0;
    *err = 0;
    return frame_publish(ctx, f, img, &plan, params, GLVF_ORIGIN_POOL, false, true, site, nsite);
}

glvf_frame *glvf_frame_new(glvf_context *ctx, glvf_format format, int width, int height,
                           const glvf_upload_params *params, int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    int r = glvf_ctx_enter(ctx, __func__);
    if (r < 0) {
        *err = r;
        return NULL;
    }
    /* the image checks without pixels: each plane gets a stand-in pointer
     * and its minimum stride, so only format, size and limits are judged */
    glvf_image img = { .format = format, .width = width, .height = height };
    static const char stand_in;
    for (int i = 0; i < glvf_format_planes(format); i++) {
        glvf_plane_layout l;
        if (glvf_plane_layout_get(ctx, format, width > 0 ? width : 1, height > 0 ? height : 1,
                                  i, &l))
            img.planes[i] = (glvf_image_plane){ &stand_in, l.row_bytes };
    }
    char why[256];
    glvf_image_plan plan;
    r = glvf_image_check(ctx, &img, &plan, why, sizeof why);
    if (r < 0) {
        LOGF_E(ctx, "%s", why);
        *err = r;
        return NULL;
    }
    for (int i = 0; i < GLVF_MAX_PLANES; i++)
        img.planes[i] = (glvf_image_plane){ NULL, 0 };
    glvf_frame *f = frame_alloc(ctx);
    if (!f) {
        LOGF_E(ctx, "out of memory");
        *err = -ENOMEM;
        return NULL;
    }
    r = frame_textures(ctx, f, &img, &plan);
    if (r < 0) {
        frame_abort(ctx, f, 0);
        if (glvf_ctx_check_lost(ctx, __func__))
            r = -ENODEV;
        LOGF_E(ctx, "no %dx%d %s textures (%s)", width, height,
              glvf_format_name(format), strerror(-r));
        *err = r;
        return NULL;
    }
    void *site[GLVF_MAX_SITE];
    int nsite = ctx->track_sites ? glvf_capture_site(site, GLVF_MAX_SITE) : 0;
    *err = 0;
    return frame_publish(ctx, f, &img, &plan, params, GLVF_ORIGIN_POOL, false, false, site,
                         nsite);
}

/* Shared by glvf_staging_submit (keep = false: the region ends) and
 * glvf_staging_upload (keep = true: the region stays with its owner). */
static glvf_frame *staging_frame(glvf_context *ctx, glvf_staging *st,
                                 const glvf_upload_params *params, int *err, bool keep,
                                 const char *fn, bool *taken)
{
    *taken = false;
    if (!st || st->magic != STAGING_MAGIC) {
        if (glvf_ctx_valid(ctx, fn))
            LOG_E(ctx, "%s: not a live staging region", fn);
        *err = -EINVAL;
        return NULL;
    }
    if (st->ctx != ctx) {
        if (glvf_ctx_valid(ctx, fn))
            LOG_E(ctx, "%s: the region belongs to another context", fn);
        *err = -EINVAL;
        return NULL;
    }
    int r = glvf_ctx_enter(ctx, fn);
    if (r < 0) {
        *err = r; /* the caller keeps the region: it may try again, or release it */
        return NULL;
    }
    *taken = !keep;
    glvf_image img = st->image;
    glvf_image_plan plan;
    glvf_frame *f = NULL;
    r = glvf_staging_check(ctx, st, NULL);
    if (r == 0)
        r = glvf_image_validate_plan(ctx, &img, &plan);
    if (r == 0)
        r = glvf_staging_check(ctx, st, &plan);
    if (r == 0 && !(f = frame_alloc(ctx))) {
        LOG_E(ctx, "%s: out of memory", fn);
        r = -ENOMEM;
    }
    if (r == 0 && (r = frame_textures(ctx, f, &img, &plan)) < 0)
        frame_abort(ctx, f, 0);
    if (r == 0 && (r = glvf_staging_upload_region(ctx, st, f->tex, &plan, keep)) < 0) {
        LOG_E(ctx, "%s: upload from staging failed (%s)", fn, strerror(-r));
        frame_abort(ctx, f, plan.planes);
    }
    if (r < 0) {
        if (r != -EINVAL && glvf_ctx_check_lost(ctx, fn))
            r = -ENODEV;
        if (!keep)
            glvf_staging_release(&st);
        *err = r;
        return NULL;
    }
    void *site[GLVF_MAX_SITE];
    int nsite = ctx->track_sites ? glvf_capture_site(site, GLVF_MAX_SITE) : 0;
    *err = 0;
    bool zero_copy = ctx->upload_ops->mapped_staging;
    return frame_publish(ctx, f, &img, &plan, params, GLVF_ORIGIN_STAGING, zero_copy, true, site,
                         nsite);
}

glvf_frame *glvf_staging_submit(glvf_context *ctx, glvf_staging **pst,
                                const glvf_upload_params *params, int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    bool taken;
    glvf_frame *f = staging_frame(ctx, pst ? *pst : NULL, params, err, false,
                                  __func__, &taken);
    if (taken)
        *pst = NULL; /* taken, on success and on failure */
    return f;
}

glvf_frame *glvf_staging_upload(glvf_context *ctx, glvf_staging *st,
                                const glvf_upload_params *params, int *err)
{
    int dummy;
    bool taken;
    return staging_frame(ctx, st, params, err ? err : &dummy, true, __func__,
                         &taken);
}

glvf_frame *glvf_frame_ref(glvf_frame *f)
{
    if (!f || f->magic != FRAME_MAGIC)
        return NULL;
    atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
    return f;
}

void glvf_frame_unref(glvf_frame **pf)
{
    if (!pf || !*pf)
        return;
    glvf_frame *f = *pf;
    *pf = NULL;
    glvf_context *ctx = f->ctx;
    if (f->magic != FRAME_MAGIC) {
        /* still pooled memory: a double unref or use after the last unref */
        if (f->magic == FRAME_MAGIC_FREE && ctx)
            glvf_logf(ctx, GLVF_LOG_ERROR,
                      "glvf_frame_unref: frame %p has no reference left (unref after the "
                      "last unref); ignored",
                      (void *)f);
        return;
    }
    int old = atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel);
    if (old > 1)
        return;
    if (old < 1) {
        atomic_fetch_add(&f->refs, 1);
        glvf_logf(ctx, GLVF_LOG_ERROR, "glvf_frame_unref: frame %p over-released; ignored",
                  (void *)f);
        return;
    }
    pthread_mutex_lock(&ctx->lock);
    if (f->prev)
        f->prev->next = f->next;
    else
        ctx->frames_live = f->next;
    if (f->next)
        f->next->prev = f->prev;
    ctx->frames_live_count--;
    ctx->live_refs--;
    bool dead = ctx->dead, last = false;
    glvf_log_sink sink = { 0 };
    if (!dead) {
        switch (f->origin) {
        case GLVF_ORIGIN_POOL:
        case GLVF_ORIGIN_STAGING:
            for (int i = 0; i < f->planes; i++)
                glvf_pool_release_locked(ctx, f->tex[i]);
            break;
        }
        if (f->fence) /* room was reserved when it was made */
            glvf_tracker_defer(ctx, GLVF_OBJECT_SYNC, (uint64_t)(uintptr_t)f->fence, 0);
        f->fence = NULL;
        frame_recycle_locked(ctx, f);
    } else {
        f->magic = FRAME_MAGIC_FREE;
        last = ctx->live_refs == 0;
        /* once unlocked, another thread's last drop may free ctx */
        sink = glvf_log_sink_get(ctx);
    }
    pthread_mutex_unlock(&ctx->lock);
    if (dead) {
        glvf_log_sink_printf(&sink, GLVF_LOG_WARN,
                             "frame %p (%dx%d %s) released after its context was destroyed "
                             "(orphan): CPU memory freed, no GL call",
                             (void *)f, f->image.width, f->image.height,
                             glvf_format_name(f->image.format));
        glvf_free(f);
        if (last)
            glvf_ctx_free(ctx);
    }
}

void glvf_frames_destroy(glvf_context *ctx)
{
    /* lock held, context dead */
    while (ctx->frames_free) {
        glvf_frame *f = ctx->frames_free;
        ctx->frames_free = f->next;
        glvf_free(f);
    }
    for (glvf_frame *f = ctx->frames_live; f; f = f->next)
        for (int i = 0; i < GLVF_MAX_PLANES; i++)
            f->tex[i] = NULL; /* textures are gone with the pool */
}

void glvf_frames_end_fences(glvf_context *ctx, bool gl)
{
    /* lock held, context dead: frames that outlive it lose their fence
     * (deleted with everything else, or forgotten without a GL context) */
    for (glvf_frame *f = ctx->frames_live; f; f = f->next) {
        if (!f->fence)
            continue;
        glvf_tracker_release(ctx, GLVF_OBJECT_SYNC, (uint64_t)(uintptr_t)f->fence, 0, gl);
        f->fence = NULL;
    }
}

void *glvf_frame_fence(glvf_context *ctx, glvf_frame *f, int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    int r = glvf_ctx_enter(ctx, __func__);
    if (r < 0) {
        *err = r;
        return NULL;
    }
    if (!f || f->magic != FRAME_MAGIC || f->ctx != ctx) {
        LOGF_E(ctx, "%p is not a live frame of this context", (void *)f);
        *err = -EINVAL;
        return NULL;
    }
    pthread_mutex_lock(&ctx->lock);
    GLsync fence = f->fence;
    bool room = fence || glvf_tracker_reserve(ctx, 1);
    pthread_mutex_unlock(&ctx->lock);
    if (fence) {
        *err = 0;
        return (void *)fence;
    }
    if (!room) {
        LOGF_E(ctx, "out of memory");
        *err = -ENOMEM;
        return NULL;
    }
    fence = ctx->gl.FenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
    if (!fence) {
        GLenum e = ctx->gl.GetError();
        r = glvf_ctx_check_lost(ctx, __func__) ? -ENODEV
            : e == GL_OUT_OF_MEMORY                       ? -ENOMEM
                                                          : -EIO;
        LOGF_E(ctx, "glFenceSync failed (GL error 0x%x)", e);
        *err = r;
        return NULL;
    }
    /* submitted now: another context may wait on it without a flush of ours */
    ctx->gl.Flush();
    pthread_mutex_lock(&ctx->lock);
    f->fence = fence;
    glvf_tracker_created(ctx, GLVF_OBJECT_SYNC, 0);
    pthread_mutex_unlock(&ctx->lock);
    *err = 0;
    return (void *)fence;
}

/* ---- accessors ---------------------------------------------------------- */

static bool frame_ok(const glvf_frame *f)
{
    return f && f->magic == FRAME_MAGIC;
}

glvf_format glvf_frame_format(const glvf_frame *f)
{
    return frame_ok(f) ? f->image.format : GLVF_FORMAT_NONE;
}

int glvf_frame_width(const glvf_frame *f)
{
    return frame_ok(f) ? f->image.width : 0;
}

int glvf_frame_height(const glvf_frame *f)
{
    return frame_ok(f) ? f->image.height : 0;
}

int glvf_frame_planes(const glvf_frame *f)
{
    return frame_ok(f) ? f->planes : 0;
}

bool glvf_frame_get_plane(const glvf_frame *f, int plane, glvf_frame_plane *out)
{
    if (!frame_ok(f) || plane < 0 || plane >= f->planes || !out)
        return false;
    *out = f->plane[plane];
    return true;
}

const glvf_image *glvf_frame_image(const glvf_frame *f)
{
    return frame_ok(f) ? &f->image : NULL;
}

int64_t glvf_frame_pts(const glvf_frame *f)
{
    return frame_ok(f) ? f->image.pts : 0;
}

void *glvf_frame_user_data(const glvf_frame *f)
{
    return frame_ok(f) ? f->user_data : NULL;
}

glvf_context *glvf_frame_context(const glvf_frame *f)
{
    if (!frame_ok(f))
        return NULL;
    glvf_context *ctx = f->ctx;
    pthread_mutex_lock(&ctx->lock);
    bool dead = ctx->dead;
    pthread_mutex_unlock(&ctx->lock);
    return dead ? NULL : ctx;
}

bool glvf_frame_zero_copy(const glvf_frame *f)
{
    return frame_ok(f) && f->zero_copy;
}
