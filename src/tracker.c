/*
 * Object tracker and deferred-release queue.
 *
 * Every GL object glvf creates is counted here (live, created, deleted,
 * bytes per kind). Deletes asked for from any thread are queued; the queue
 * is drained only on the GL thread, in batches per kind (one glDelete* call
 * for many names), optionally bounded per drain. The queue reserves room for
 * every object glvf owns, so queueing glvf's own objects never allocates and
 * never fails.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *glvf_object_kind_name(glvf_object_kind kind)
{
    static const char *names[GLVF_OBJECT_KIND_COUNT] = {
        "texture", "buffer", "sync", "framebuffer", "program", "shader", "vertex array",
        "sampler",
    };
    return (unsigned)kind < GLVF_OBJECT_KIND_COUNT ? names[kind] : "unknown";
}

void glvf_tracker_created(glvf_context *ctx, glvf_object_kind kind, uint64_t bytes)
{
    glvf_object_stats *s = &ctx->tracker.kinds[kind];
    s->live++;
    s->created++;
    s->live_bytes += bytes;
}

static size_t tracked_live(const glvf_tracker *t)
{
    size_t n = 0;
    for (int k = 0; k < GLVF_OBJECT_KIND_COUNT; k++)
        n += t->kinds[k].live;
    return n;
}

static bool queue_grow(glvf_tracker *t, size_t need)
{
    if (need <= t->queue_cap)
        return true;
    size_t cap = t->queue_cap ? t->queue_cap : 64;
    while (cap < need)
        cap *= 2;
    glvf_deferred *q = glvf_realloc(t->queue, cap * sizeof *q);
    if (!q)
        return false;
    t->queue = q;
    t->queue_cap = cap;
    return true;
}

bool glvf_tracker_reserve(glvf_context *ctx, size_t extra)
{
    glvf_tracker *t = &ctx->tracker;
    /* every live object may end up queued at once, plus what is queued.
     * Fences come and go with the GPU's timing (pool fences, one per ring
     * slot): counted at their bound, so that the capacity reached in the
     * warm-up does not depend on how many were alive at that moment (a
     * realloc later, in steady state, when more happen to be). */
    size_t syncs = t->kinds[GLVF_OBJECT_SYNC].live;
    size_t sync_bound = GLVF_POOL_FENCES + GLVF_RING_FENCES;
    size_t live = tracked_live(t) - syncs + (syncs > sync_bound ? syncs : sync_bound);
    return queue_grow(t, live + t->queue_len + extra);
}

bool glvf_tracker_defer(glvf_context *ctx, glvf_object_kind kind, uint64_t handle,
                        uint64_t bytes)
{
    glvf_tracker *t = &ctx->tracker;
    if (t->queue_len == t->queue_cap && !queue_grow(t, t->queue_len + 1))
        return false;
    t->queue[t->queue_len++] = (glvf_deferred){ .handle = handle, .bytes = bytes,
                                                .kind = (uint8_t)kind };
    t->deferred_total++;
    return true;
}

void glvf_tracker_forget(glvf_context *ctx, glvf_object_kind kind, uint64_t bytes)
{
    glvf_object_stats *s = &ctx->tracker.kinds[kind];
    s->live--;
    s->live_bytes -= bytes;
}

void glvf_tracker_release(glvf_context *ctx, glvf_object_kind kind, uint64_t handle,
                          uint64_t bytes, bool gl)
{
    if (gl)
        glvf_tracker_defer(ctx, kind, handle, bytes);
    else
        glvf_tracker_forget(ctx, kind, bytes);
}

void glvf_tracker_resized(glvf_context *ctx, glvf_object_kind kind, uint64_t old_bytes,
                          uint64_t new_bytes)
{
    glvf_object_stats *s = &ctx->tracker.kinds[kind];
    s->live_bytes = s->live_bytes - old_bytes + new_bytes;
}

void glvf_tracker_forget_queue(glvf_context *ctx)
{
    glvf_tracker *t = &ctx->tracker;
    for (size_t i = 0; i < t->queue_len; i++)
        glvf_tracker_forget(ctx, (glvf_object_kind)t->queue[i].kind, t->queue[i].bytes);
    t->queue_len = 0;
}

uint64_t glvf_tracker_live(const glvf_context *ctx, glvf_object_kind kind)
{
    return ctx->tracker.kinds[kind].live;
}

void glvf_tracker_get_stats(const glvf_context *ctx, glvf_stats *out)
{
    const glvf_tracker *t = &ctx->tracker;
    memcpy(out->objects, t->kinds, sizeof out->objects);
    out->deferred_pending = t->queue_len;
    out->deferred_total = t->deferred_total;
    out->collects = t->collects;
}

int glvf_context_defer_delete(glvf_context *ctx, glvf_object_kind kind, uint64_t handle)
{
    if (!glvf_ctx_valid(ctx, __func__))
        return -EINVAL;
    if ((unsigned)kind >= GLVF_OBJECT_KIND_COUNT || handle == 0) {
        LOGF_E(ctx, "invalid kind %d or handle 0", (int)kind);
        return -EINVAL;
    }
    pthread_mutex_lock(&ctx->lock);
    int r = 0;
    if (ctx->dead) {
        r = -EINVAL;
    } else if (glvf_tracker_defer(ctx, kind, handle, 0)) {
        /* adopt the host's object: counted as created so live stays consistent */
        ctx->tracker.kinds[kind].live++;
        ctx->tracker.kinds[kind].created++;
    } else {
        r = -ENOMEM;
    }
    pthread_mutex_unlock(&ctx->lock);
    if (r == -ENOMEM)
        LOGF_E(ctx, "out of memory queueing %s %llu",
              glvf_object_kind_name(kind), (unsigned long long)handle);
    return r;
}

/* Issues the GL delete for `n` handles of one kind. */
static void gl_delete(glvf_context *ctx, glvf_object_kind kind, const uint64_t *h, int n)
{
    GladGLContext *gl = &ctx->gl;
    GLuint names[64];
    if (kind == GLVF_OBJECT_SYNC) {
        for (int i = 0; i < n; i++)
            gl->DeleteSync((GLsync)(uintptr_t)h[i]);
        return;
    }
    if (kind == GLVF_OBJECT_PROGRAM || kind == GLVF_OBJECT_SHADER) {
        for (int i = 0; i < n; i++) {
            if (kind == GLVF_OBJECT_PROGRAM)
                gl->DeleteProgram((GLuint)h[i]);
            else
                gl->DeleteShader((GLuint)h[i]);
        }
        return;
    }
    for (int i = 0; i < n; i++)
        names[i] = (GLuint)h[i];
    switch (kind) {
    case GLVF_OBJECT_TEXTURE: gl->DeleteTextures(n, names); break;
    case GLVF_OBJECT_BUFFER: gl->DeleteBuffers(n, names); break;
    case GLVF_OBJECT_FRAMEBUFFER: gl->DeleteFramebuffers(n, names); break;
    case GLVF_OBJECT_VERTEX_ARRAY: gl->DeleteVertexArrays(n, names); break;
    case GLVF_OBJECT_SAMPLER: gl->DeleteSamplers(n, names); break;
    default: break;
    }
}

static void count_deleted(glvf_context *ctx, glvf_object_kind kind, uint64_t bytes)
{
    glvf_object_stats *s = &ctx->tracker.kinds[kind];
    s->live--;
    s->deleted++;
    s->live_bytes -= bytes;
}

void glvf_tracker_delete_now(glvf_context *ctx, glvf_object_kind kind, uint64_t handle,
                             uint64_t bytes)
{
    if (!handle)
        return;
    gl_delete(ctx, kind, &handle, 1);
    pthread_mutex_lock(&ctx->lock);
    count_deleted(ctx, kind, bytes);
    pthread_mutex_unlock(&ctx->lock);
}

int glvf_tracker_drain(glvf_context *ctx, unsigned max)
{
    /* Batches of up to 64 per kind; taken from the queue under the lock,
     * deleted outside it so any-thread releases never wait on GL. */
    int total = 0;
    for (;;) {
        uint64_t handles[64], bytes_sum = 0;
        int n = 0;
        glvf_object_kind kind = GLVF_OBJECT_TEXTURE;
        pthread_mutex_lock(&ctx->lock);
        glvf_tracker *t = &ctx->tracker;
        size_t limit = t->queue_len;
        if (max && limit > max - (unsigned)total)
            limit = max - (unsigned)total;
        if (limit > 0) {
            /* take the newest entries of the kind of the last one (LIFO keeps
             * the array compact without moving memory) */
            kind = (glvf_object_kind)t->queue[t->queue_len - 1].kind;
            size_t i = t->queue_len;
            while (i > 0 && n < 64 && (size_t)n < limit) {
                glvf_deferred *e = &t->queue[i - 1];
                if (e->kind != kind)
                    break;
                handles[n++] = e->handle;
                bytes_sum += e->bytes;
                i--;
            }
            t->queue_len = i;
            glvf_object_stats *s = &t->kinds[kind];
            s->live -= (uint64_t)n;
            s->deleted += (uint64_t)n;
            s->live_bytes -= bytes_sum;
        }
        pthread_mutex_unlock(&ctx->lock);
        if (n == 0)
            break;
        gl_delete(ctx, kind, handles, n);
        total += n;
    }
    pthread_mutex_lock(&ctx->lock);
    ctx->tracker.collects++;
    pthread_mutex_unlock(&ctx->lock);
    return total;
}

void glvf_tracker_free(glvf_context *ctx)
{
    glvf_free(ctx->tracker.queue);
    ctx->tracker.queue = NULL;
    ctx->tracker.queue_len = ctx->tracker.queue_cap = 0;
}

void glvf_label(glvf_context *ctx, GLenum identifier, GLuint name, const char *fmt, ...)
{
    if (!ctx->labels || !ctx->object_label)
        return;
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ctx->object_label(identifier, name, -1, buf);
}
