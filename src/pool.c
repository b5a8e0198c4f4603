/*
 * Texture pool keyed by (internal format, width, height), fence-aware, with
 * run-time memory control.
 *
 * Textures released by frames (from any thread) are cached in release
 * order. A texture released while a draw may still read it is not handed
 * out again until the GPU is done with it: a release is tagged with the
 * current fence epoch, and one fence closes an epoch, covering every
 * release tagged with it (one GLsync per collect, plus one on demand when
 * an upload wants a texture released since the last fence; never one per
 * texture). Fences signal in order, so the pool only has to poll the oldest
 * outstanding one.
 *
 * Acquire: the oldest cached texture of the key whose fence has signalled;
 * if every match is busy, a new texture while the byte budget allows and
 * fewer than MAX_BUSY_PER_KEY are busy (none on software renderers);
 * otherwise a wait (fence_timeout_ms)
 * for the oldest busy match, then -ETIMEDOUT. With no match at all,
 * least-recently-released cached textures are evicted (through the
 * deferred-release queue) to make room, as before fences existed.
 *
 * Memory control: glvf_context_set_budget() and glvf_context_purge() may be
 * called from any thread; they store a request under the lock, and the next
 * glvf_context_collect() applies it (evictions go through the deferred
 * queue, which that collect drains).
 */
#include "internal.h"

#include <stdlib.h>
#include <time.h>

/* Busy textures of one key the pool lets pile up before it waits for the
 * oldest instead of creating another (as the staging ring's in-flight
 * limit): a GPU that lags a little costs a few textures, not memory that
 * grows whenever it lags a little more. On a software renderer (llvmpipe)
 * none: the "GPU" is the CPU, an upload into a busy texture would wait for
 * the rasterizer all the same, and a new texture only costs memory (and
 * makes the pool's size follow the rasterizer's timing). */
#define MAX_BUSY_PER_KEY 3

uint64_t glvf_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void lru_unlink(glvf_pool *p, glvf_pool_tex *t)
{
    if (t->lru_prev)
        t->lru_prev->lru_next = t->lru_next;
    else
        p->lru_head = t->lru_next;
    if (t->lru_next)
        t->lru_next->lru_prev = t->lru_prev;
    else
        p->lru_tail = t->lru_prev;
    t->lru_prev = t->lru_next = NULL;
    p->cached--;
    p->cached_bytes -= t->bytes;
}

static void lru_append(glvf_pool *p, glvf_pool_tex *t)
{
    t->lru_next = NULL;
    t->lru_prev = p->lru_tail;
    if (p->lru_tail)
        p->lru_tail->lru_next = t;
    else
        p->lru_head = t;
    p->lru_tail = t;
    p->cached++;
    p->cached_bytes += t->bytes;
}

static void all_unlink(glvf_pool *p, glvf_pool_tex *t)
{
    if (t->all_prev)
        t->all_prev->all_next = t->all_next;
    else
        p->all = t->all_next;
    if (t->all_next)
        t->all_next->all_prev = t->all_prev;
}

/* Drops one cached texture: its name goes through the deferred queue (room
 * is reserved for it), the record is freed. Lock held. */
static void drop_cached_locked(glvf_context *ctx, glvf_pool_tex *t)
{
    glvf_pool *p = &ctx->pool;
    lru_unlink(p, t);
    all_unlink(p, t);
    p->bytes -= t->bytes;
    p->evictions++;
    glvf_tracker_defer(ctx, GLVF_OBJECT_TEXTURE, t->name, t->bytes);
    glvf_free(t);
}

/* Evicts cached textures, oldest release first, until `incoming` more
 * bytes fit in the budget. Lock held. */
static void evict_locked(glvf_context *ctx, size_t incoming)
{
    glvf_pool *p = &ctx->pool;
    while (p->lru_head && p->bytes + incoming > ctx->pool_budget)
        drop_cached_locked(ctx, p->lru_head);
}

static size_t texture_bytes(const glvf_plane_layout *l)
{
    size_t bpt = l->bytes_per_texel;
    return (size_t)l->width * (size_t)l->height * bpt;
}

/* ---- fences (GL thread, without lock) ------------------------------------ */

/* Deletes the queued fences of epochs up to `epoch` (they have signalled:
 * fences signal in order) and marks those epochs done. */
static void fences_retire_upto(glvf_context *ctx, uint64_t epoch)
{
    glvf_pool *p = &ctx->pool;
    for (;;) {
        pthread_mutex_lock(&ctx->lock);
        GLsync sync = NULL;
        if (p->fence_count && p->fences[p->fence_head].epoch <= epoch) {
            sync = p->fences[p->fence_head].sync;
            p->fence_head = (p->fence_head + 1) % GLVF_POOL_FENCES;
            p->fence_count--;
        }
        if (p->done < epoch + 1)
            p->done = epoch + 1;
        pthread_mutex_unlock(&ctx->lock);
        if (!sync)
            return;
        glvf_tracker_delete_now(ctx, GLVF_OBJECT_SYNC, (uint64_t)(uintptr_t)sync, 0);
    }
}

/* Retires the fences that have signalled, oldest first: one poll (no wait)
 * per fence, stopping at the first still pending. The flush bit makes sure
 * a fence not yet submitted is, so that it signals at all. */
static void fences_poll(glvf_context *ctx)
{
    glvf_pool *p = &ctx->pool;
    for (;;) {
        pthread_mutex_lock(&ctx->lock);
        glvf_pool_fence f = { 0 };
        if (p->fence_count)
            f = p->fences[p->fence_head];
        pthread_mutex_unlock(&ctx->lock);
        if (!f.sync)
            return;
        GLenum r = ctx->gl.ClientWaitSync(f.sync, GL_SYNC_FLUSH_COMMANDS_BIT, 0);
        if (r != GL_ALREADY_SIGNALED && r != GL_CONDITION_SATISFIED)
            return; /* still pending (or a failed poll: asked again later) */
        fences_retire_upto(ctx, f.epoch);
    }
}

/* Closes the open epoch with a fence when textures were released in it.
 * Returns the epoch closed, or UINT64_MAX when none was (nothing released,
 * the fence queue full, or no room to track it). A failed glFenceSync is
 * logged and replaced by glFinish (everything before is then complete). */
static uint64_t fence_record(glvf_context *ctx)
{
    glvf_pool *p = &ctx->pool;
    pthread_mutex_lock(&ctx->lock);
    if (!p->unfenced || p->fence_count == GLVF_POOL_FENCES || !glvf_tracker_reserve(ctx, 1)) {
        pthread_mutex_unlock(&ctx->lock);
        return UINT64_MAX;
    }
    uint64_t epoch = p->epoch++;
    p->unfenced = 0;
    pthread_mutex_unlock(&ctx->lock);

    GLsync sync = ctx->gl.FenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
    if (!sync) {
        LOG_E(ctx, "texture pool: glFenceSync failed (GL error 0x%x); finishing the GL queue "
                   "instead",
              ctx->gl.GetError());
        ctx->gl.Finish();
        fences_retire_upto(ctx, epoch);
        return epoch;
    }
    pthread_mutex_lock(&ctx->lock);
    p->fences[(p->fence_head + p->fence_count) % GLVF_POOL_FENCES] =
        (glvf_pool_fence){ .sync = sync, .epoch = epoch };
    p->fence_count++;
    glvf_tracker_created(ctx, GLVF_OBJECT_SYNC, 0);
    pthread_mutex_unlock(&ctx->lock);
    return epoch;
}

/* The fence covering `epoch`, recorded now when the epoch is still open.
 * NULL when it has signalled meanwhile or no fence could be recorded (the
 * queue is full: the caller waits for the oldest one instead). */
static GLsync fence_for_epoch(glvf_context *ctx, uint64_t epoch, uint64_t *fence_epoch)
{
    glvf_pool *p = &ctx->pool;
    pthread_mutex_lock(&ctx->lock);
    bool open = epoch >= p->epoch;
    pthread_mutex_unlock(&ctx->lock);
    if (open)
        fence_record(ctx);
    pthread_mutex_lock(&ctx->lock);
    GLsync sync = NULL;
    for (size_t i = 0; i < p->fence_count; i++) {
        const glvf_pool_fence *f = &p->fences[(p->fence_head + i) % GLVF_POOL_FENCES];
        if (f->epoch >= epoch) {
            sync = f->sync;
            *fence_epoch = f->epoch;
            break;
        }
    }
    if (!sync && p->fence_count && epoch >= p->epoch) {
        /* still open (the queue is full): the oldest fence makes room */
        sync = p->fences[p->fence_head].sync;
        *fence_epoch = p->fences[p->fence_head].epoch;
    }
    pthread_mutex_unlock(&ctx->lock);
    return sync;
}

/* ---- acquire ------------------------------------------------------------- */

static glvf_pool_tex *texture_create(glvf_context *ctx, const glvf_plane_layout *l,
                                     glvf_format format, int plane, size_t bytes, int *err)
{
    glvf_pool *p = &ctx->pool;
    glvf_pool_tex *t = glvf_calloc(1, sizeof *t);
    if (!t) {
        LOG_E(ctx, "texture pool: out of memory");
        *err = -ENOMEM;
        return NULL;
    }
    GladGLContext *gl = &ctx->gl;
    GLint prev_tex = 0;
    gl->GetIntegerv(GL_TEXTURE_BINDING_2D, &prev_tex);
    glvf_gl_clear(ctx, NULL);
    gl->GenTextures(1, &t->name);
    if (!t->name) {
        LOG_E(ctx, "texture pool: glGenTextures failed (0x%x)", gl->GetError());
        glvf_free(t);
        *err = -ENOMEM;
        return NULL;
    }
    gl->BindTexture(GL_TEXTURE_2D, t->name);
    if (ctx->caps.texture_storage) {
        gl->TexStorage2D(GL_TEXTURE_2D, 1, l->internal_format, l->width, l->height);
    } else {
        gl->TexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAX_LEVEL, 0);
        gl->TexImage2D(GL_TEXTURE_2D, 0, (GLint)l->internal_format, l->width, l->height, 0,
                       l->format, l->type, NULL);
    }
    gl->TexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    gl->TexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    gl->TexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    gl->TexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    GLenum e = gl->GetError();
    gl->BindTexture(GL_TEXTURE_2D, (GLuint)prev_tex);
    if (e != GL_NO_ERROR) {
        LOG_E(ctx, "texture pool: allocating a %dx%d texture (internal format 0x%x, %zu "
                   "bytes) failed with GL error 0x%x%s",
              l->width, l->height, l->internal_format, bytes, e,
              e == GL_OUT_OF_MEMORY ? " (GL_OUT_OF_MEMORY)" : "");
        gl->DeleteTextures(1, &t->name);
        glvf_free(t);
        *err = -ENOMEM;
        return NULL;
    }
    /* labelled at creation only: a pool hit formats nothing */
    glvf_label(ctx, GL_TEXTURE, t->name, "glvf texture %dx%d (%s plane %d)", l->width, l->height,
               glvf_format_name(format), plane);
    t->internal_format = l->internal_format;
    t->width = l->width;
    t->height = l->height;
    t->bytes = bytes;

    pthread_mutex_lock(&ctx->lock);
    glvf_tracker_created(ctx, GLVF_OBJECT_TEXTURE, bytes);
    t->all_next = p->all;
    if (p->all)
        p->all->all_prev = t;
    p->all = t;
    p->bytes += bytes;
    pthread_mutex_unlock(&ctx->lock);
    return t;
}

static bool tex_matches(const glvf_pool_tex *t, const glvf_plane_layout *l)
{
    return t->internal_format == l->internal_format && t->width == l->width &&
           t->height == l->height;
}

glvf_pool_tex *glvf_pool_acquire(glvf_context *ctx, const glvf_plane_layout *l,
                                 glvf_format format, int plane, int *err)
{
    glvf_pool *p = &ctx->pool;
    size_t bytes = texture_bytes(l);
    bool polled = false, skipped = false;
    size_t max_busy = ctx->caps.software ? 0 : MAX_BUSY_PER_KEY;
    for (;;) {
        pthread_mutex_lock(&ctx->lock);
        /* Oldest release first. Releases are tagged in order, so when the
         * oldest match is still busy, so are all the others. */
        glvf_pool_tex *match = NULL;
        size_t busy = 0;
        for (glvf_pool_tex *t = p->lru_head; t; t = t->lru_next) {
            if (tex_matches(t, l)) {
                if (!match)
                    match = t;
                if (match->epoch < p->done)
                    break;
                busy++;
            }
        }
        if (match && match->epoch < p->done) {
            lru_unlink(p, match);
            p->hits++;
            pthread_mutex_unlock(&ctx->lock);
            return match;
        }
        uint64_t busy_epoch = match ? match->epoch : 0;
        if (match && !polled) {
            bool open = busy_epoch >= p->epoch;
            pthread_mutex_unlock(&ctx->lock);
            /* a texture released since the last fence needs one first */
            if (open)
                fence_record(ctx);
            fences_poll(ctx);
            polled = true;
            continue;
        }
        if (match && !skipped) {
            p->busy_skips++;
            skipped = true;
        }
        if (!match || (p->bytes + bytes <= ctx->pool_budget && busy < max_busy)) {
            /* a new texture: within the budget, or (no match to wait for)
             * after evicting cached ones, as far as they go */
            p->misses++;
            if (!match)
                evict_locked(ctx, bytes);
            /* room in the deferred queue for this texture's eventual release */
            bool reserved = glvf_tracker_reserve(ctx, 1);
            pthread_mutex_unlock(&ctx->lock);
            if (!reserved) {
                LOG_E(ctx, "texture pool: out of memory");
                *err = -ENOMEM;
                return NULL;
            }
            return texture_create(ctx, l, format, plane, bytes, err);
        }
        /* At the budget (or MAX_BUSY_PER_KEY busy): wait for the oldest. */
        p->fence_waits++;
        size_t pool_bytes = p->bytes, nbusy = busy;
        pthread_mutex_unlock(&ctx->lock);
        uint64_t fence_epoch = 0;
        GLsync sync = fence_for_epoch(ctx, busy_epoch, &fence_epoch);
        if (!sync) {
            pthread_mutex_lock(&ctx->lock);
            bool done = busy_epoch < p->done;
            pthread_mutex_unlock(&ctx->lock);
            if (done)
                continue; /* glFinish stood in for a failed glFenceSync */
            LOG_E(ctx, "texture pool: out of memory recording a fence");
            *err = -ENOMEM;
            return NULL;
        }
        GLenum r = ctx->gl.ClientWaitSync(sync, GL_SYNC_FLUSH_COMMANDS_BIT,
                                          (GLuint64)ctx->fence_timeout_ms * 1000000u);
        if (r == GL_ALREADY_SIGNALED || r == GL_CONDITION_SATISFIED) {
            fences_retire_upto(ctx, fence_epoch);
            continue;
        }
        if (r == GL_TIMEOUT_EXPIRED) {
            LOG_E(ctx, "texture pool: the GPU did not finish with any of the %zu released "
                       "%dx%d textures (internal format 0x%x) within fence_timeout_ms (%u ms); "
                       "no new one (pool at %zu of its %zu-byte budget, or %d busy): -ETIMEDOUT",
                  nbusy, l->width, l->height, l->internal_format, ctx->fence_timeout_ms,
                  pool_bytes, ctx->pool_budget, (int)max_busy);
            *err = -ETIMEDOUT;
        } else {
            LOG_E(ctx, "texture pool: glClientWaitSync failed (0x%x, GL error 0x%x)", r,
                  ctx->gl.GetError());
            *err = -EIO;
        }
        return NULL;
    }
}

void glvf_pool_release_locked(glvf_context *ctx, glvf_pool_tex *t)
{
    glvf_pool *p = &ctx->pool;
    t->epoch = p->epoch;
    t->released_ns = glvf_now_ns();
    p->unfenced++;
    lru_append(p, t);
    if (p->bytes > ctx->pool_budget)
        evict_locked(ctx, 0);
}

/* ---- memory control ------------------------------------------------------ */

size_t glvf_pool_purgeable_locked(const glvf_context *ctx)
{
    return ctx->pool.cached_bytes + glvf_staging_free_bytes_locked(ctx);
}

/* Frees cached textures and free staging slots, least recently used
 * first, unused for at least `unused_ns`, until pool + staging bytes are at
 * most `down_to`. Lock held; deletes go through the deferred queue. */
static void purge_locked(glvf_context *ctx, uint64_t now, uint64_t unused_ns, size_t down_to,
                         size_t *tex_n, size_t *tex_bytes, size_t *slot_n, size_t *slot_bytes)
{
    glvf_pool *p = &ctx->pool;
    while (p->bytes + ctx->ring.bytes > down_to) {
        glvf_pool_tex *t = p->lru_head;
        bool tex_ok = t && now - t->released_ns >= unused_ns;
        size_t idx = 0;
        uint64_t used = 0;
        bool slot_ok = glvf_staging_oldest_free_locked(ctx, &idx, &used) &&
                       (used == 0 ? unused_ns == 0 : now - used >= unused_ns);
        if (tex_ok && slot_ok && used != 0 && used < t->released_ns)
            tex_ok = false; /* the slot has waited longer */
        if (tex_ok) {
            (*tex_n)++;
            *tex_bytes += t->bytes;
            drop_cached_locked(ctx, t);
        } else if (slot_ok) {
            (*slot_n)++;
            *slot_bytes += ctx->ring.slots[idx].size;
            glvf_staging_drop_free_locked(ctx, idx);
        } else {
            break;
        }
    }
}

/* Staging over its budget (lowered at run time): free slots go, oldest
 * first; slots in use stay until a later collect finds them free. */
static void staging_trim_locked(glvf_context *ctx)
{
    size_t idx;
    uint64_t used;
    while (ctx->ring.bytes > ctx->staging_budget &&
           glvf_staging_oldest_free_locked(ctx, &idx, &used))
        glvf_staging_drop_free_locked(ctx, idx);
}

static void apply_requests(glvf_context *ctx)
{
    glvf_pool *p = &ctx->pool;
    pthread_mutex_lock(&ctx->lock);
    if (!p->budget_asked && !p->npurges && ctx->ring.bytes <= ctx->staging_budget) {
        pthread_mutex_unlock(&ctx->lock);
        return;
    }
    size_t old_pool = ctx->pool_budget, old_staging = ctx->staging_budget;
    bool budget = p->budget_asked;
    if (budget) {
        if (p->ask_pool_budget)
            ctx->pool_budget = p->ask_pool_budget;
        if (p->ask_staging_budget)
            ctx->staging_budget = p->ask_staging_budget;
        p->budget_asked = false;
        evict_locked(ctx, 0);
    }
    staging_trim_locked(ctx);
    size_t tex_n = 0, tex_bytes = 0, slot_n = 0, slot_bytes = 0;
    size_t npurges = p->npurges;
    uint64_t now = npurges ? glvf_now_ns() : 0;
    for (size_t i = 0; i < npurges; i++)
        purge_locked(ctx, now, (uint64_t)p->purges[i].unused_for_ms * 1000000u,
                     p->purges[i].down_to_bytes, &tex_n, &tex_bytes, &slot_n, &slot_bytes);
    p->npurges = 0;
    size_t pool_budget = ctx->pool_budget, staging_budget = ctx->staging_budget;
    size_t held = p->bytes + ctx->ring.bytes;
    pthread_mutex_unlock(&ctx->lock);
    if (budget)
        LOG_I(ctx, "budgets: pool %zu -> %zu bytes, staging %zu -> %zu bytes", old_pool,
              pool_budget, old_staging, staging_budget);
    if (npurges)
        LOG_I(ctx, "purge: %zu texture(s) (%zu bytes) and %zu staging slot(s) (%zu bytes) "
                   "freed; %zu bytes held",
              tex_n, tex_bytes, slot_n, slot_bytes, held);
}

void glvf_pool_collect(glvf_context *ctx)
{
    apply_requests(ctx);
    fences_poll(ctx);
    fence_record(ctx);
}

int glvf_context_set_budget(glvf_context *ctx, size_t pool_budget_bytes,
                            size_t staging_budget_bytes)
{
    if (!glvf_ctx_valid(ctx, __func__))
        return -EINVAL;
    pthread_mutex_lock(&ctx->lock);
    bool dead = ctx->dead;
    if (!dead && (pool_budget_bytes || staging_budget_bytes)) {
        glvf_pool *p = &ctx->pool;
        if (!p->budget_asked)
            p->ask_pool_budget = p->ask_staging_budget = 0;
        if (pool_budget_bytes)
            p->ask_pool_budget = pool_budget_bytes;
        if (staging_budget_bytes)
            p->ask_staging_budget = staging_budget_bytes;
        p->budget_asked = true;
    }
    pthread_mutex_unlock(&ctx->lock);
    return dead ? -EINVAL : 0;
}

int glvf_context_purge(glvf_context *ctx, unsigned unused_for_ms, size_t down_to_bytes)
{
    if (!glvf_ctx_valid(ctx, __func__))
        return -EINVAL;
    pthread_mutex_lock(&ctx->lock);
    bool dead = ctx->dead;
    if (!dead) {
        glvf_pool *p = &ctx->pool;
        if (p->npurges < GLVF_MEM_REQUESTS) {
            p->purges[p->npurges++] = (glvf_purge_request){ unused_for_ms, down_to_bytes };
        } else {
            /* full: the last request takes in this one (the more thorough of
             * each) */
            glvf_purge_request *last = &p->purges[GLVF_MEM_REQUESTS - 1];
            if (unused_for_ms < last->unused_for_ms)
                last->unused_for_ms = unused_for_ms;
            if (down_to_bytes < last->down_to_bytes)
                last->down_to_bytes = down_to_bytes;
        }
    }
    pthread_mutex_unlock(&ctx->lock);
    return dead ? -EINVAL : 0;
}

/* ---- destroy ------------------------------------------------------------- */

void glvf_pool_destroy(glvf_context *ctx, bool gl)
{
    /* Lock held by the caller; the context is already marked dead, so no
     * frame returns textures concurrently. With gl, every name and fence
     * goes through the queue (room is reserved) for one batched drain;
     * without (abandon, a lost context), they are only forgotten: no
     * glDeleteSync off a context that is gone. */
    glvf_pool *p = &ctx->pool;
    glvf_pool_tex *t = p->all;
    while (t) {
        glvf_pool_tex *next = t->all_next;
        glvf_tracker_release(ctx, GLVF_OBJECT_TEXTURE, t->name, t->bytes, gl);
        glvf_free(t);
        t = next;
    }
    for (size_t i = 0; i < p->fence_count; i++) {
        GLsync sync = p->fences[(p->fence_head + i) % GLVF_POOL_FENCES].sync;
        glvf_tracker_release(ctx, GLVF_OBJECT_SYNC, (uint64_t)(uintptr_t)sync, 0, gl);
    }
    p->fence_head = p->fence_count = 0;
    p->all = p->lru_head = p->lru_tail = NULL;
    p->bytes = p->cached_bytes = p->cached = 0;
}

void glvf_pool_get_stats(const glvf_context *ctx, glvf_stats *out)
{
    const glvf_pool *p = &ctx->pool;
    out->pool_bytes = p->bytes;
    out->pool_cached_bytes = p->cached_bytes;
    out->pool_cached_textures = p->cached;
    out->pool_hits = p->hits;
    out->pool_misses = p->misses;
    out->pool_evictions = p->evictions;
    out->pool_busy_skips = p->busy_skips;
    out->pool_fence_waits = p->fence_waits;
}
