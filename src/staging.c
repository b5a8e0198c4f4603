/*
 * Staging memory: the ring of slots and the producers' regions (the upload
 * strategies are in src/upload/, one file each).
 *
 * The ring: with pbo-persistent, buffers with persistent, coherent
 * mappings (buffer storage); otherwise pooled CPU memory. An upload
 * (pbo-persistent) takes a slot, fills it, updates the textures from it
 * and inserts a fence; the slot is reused only after its fence signalled.
 * The first upload of a size creates that size's whole working set
 * (MAX_IN_FLIGHT slots, within the staging budget); after that an upload
 * takes a free slot of the set or waits for its oldest fence (bounded by
 * fence_timeout_ms), and a new size replaces free slots of other sizes when
 * the budget has no room (glvf_ring_take_gl).
 *
 * Zero-copy staging regions: a producer on any thread takes a FREE slot
 * (ACQUIRED), writes into it, and the GL thread submits it. When the
 * strategy maps staging memory (pbo-persistent) the slot is GPU-visible
 * mapped memory (none free: the acquire fails with -EAGAIN and the GL
 * thread's next call creates one: producers such as decoders cannot wait,
 * so the regions grow to their demand); otherwise the slot is pooled CPU
 * memory and the submit is a client upload from it. Slot state changes
 * happen under ctx->lock; GL calls never do. Only the GL thread moves slots
 * into or out of IN_FLIGHT and creates GL buffers.
 */
#include "upload/upload.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SLOTS GLVF_RING_FENCES
#define MAX_IN_FLIGHT 3 /* slots per size: uploads the GPU may lag behind by */

/* Validates a region request (shared by acquire and reserve) and lays it
 * out. Returns 0 or -EINVAL (logged). */
static int region_request(glvf_context *ctx, const char *fn, glvf_format format, int width,
                          int height, int align, size_t offsets[GLVF_MAX_PLANES],
                          ptrdiff_t strides[GLVF_MAX_PLANES], size_t *total)
{
    glvf_plane_layout l;
    if (!glvf_plane_layout_get(ctx, format, width, height, 0, &l) || width > (1 << 20) ||
        height > (1 << 20) || align < 0 || (align & (align - 1)) != 0) {
        LOG_E(ctx, "%s: invalid format %d, size %dx%d or alignment %d", fn, (int)format, width,
              height, align);
        return -EINVAL;
    }
    size_t a = align ? (size_t)align : GLVF_STAGING_ALIGN;
    *total = glvf_staging_layout(ctx, format, width, height, a < 16 ? 16 : a, offsets, strides);
    return 0;
}

/* ---- slots -------------------------------------------------------------- */

static void slot_release(glvf_context *ctx, glvf_slot *s);

static bool ring_persistent(const glvf_context *ctx)
{
    return ctx->upload_ops->mapped_staging;
}

static int ring_ensure_slots(glvf_context *ctx)
{
    if (!ctx->ring.slots) {
        ctx->ring.slots = glvf_calloc(MAX_SLOTS, sizeof *ctx->ring.slots);
        if (!ctx->ring.slots)
            return -ENOMEM;
        ctx->ring.cap = MAX_SLOTS;
    }
    return 0;
}

/* A slot is one of a size's working set when it holds `need` bytes and is
 * at most twice as big: a much larger slot belongs to another size. */
static bool slot_matches(const glvf_slot *s, size_t need)
{
    return s->size >= need && s->size <= 2 * glvf_align_up(need, 4096);
}

/* Finds a FREE slot of at least `need` bytes, lock held: the smallest, and
 * of those the most recently used (its memory is the likeliest to be in the
 * CPU caches; every free slot's fence has signalled). With `matching`, only
 * slots of this size's working set (slot_matches). */
static glvf_slot *ring_find_free(glvf_context *ctx, size_t need, bool matching)
{
    glvf_slot *best = NULL;
    for (size_t i = 0; i < ctx->ring.count; i++) {
        glvf_slot *s = &ctx->ring.slots[i];
        if (s->size && s->state == SLOT_FREE && s->size >= need &&
            (!matching || slot_matches(s, need)) &&
            (!best || s->size < best->size ||
             (s->size == best->size && s->last_used > best->last_used)))
            best = s;
    }
    return best;
}

static glvf_slot *ring_empty_entry(glvf_context *ctx)
{
    for (size_t i = 0; i < ctx->ring.count; i++)
        if (!ctx->ring.slots[i].size)
            return &ctx->ring.slots[i];
    if (ctx->ring.count < ctx->ring.cap)
        return &ctx->ring.slots[ctx->ring.count++];
    return NULL;
}

/* A new region struct: its generation starts at 1; memory above the
 * addresses a handle carries is refused (NULL). */
static glvf_staging *handle_new(void)
{
    glvf_staging *st = glvf_malloc(sizeof *st);
    if (st && !glvf_handle_fits(st)) {
        glvf_free(st);
        return NULL;
    }
    if (st)
        st->gen = 1;
    return st;
}

glvf_staging *glvf_staging_resolve(const glvf_staging *h)
{
    glvf_staging *st = glvf_handle_obj(h);
    if (!st || st->magic != STAGING_MAGIC || st->gen != glvf_handle_gen(h))
        return NULL;
    return st;
}

/* Every slot comes with a region handle on the free list, so handles never
 * number fewer than slots and, once the slots stop growing, acquiring a
 * region allocates nothing (however many slots two threads racing to
 * create one left, or the upload ring made, that regions later take). */
/* Puts handle on the free list if handles are fewer than slots; returns
 * NULL, or handle when it is not needed (the caller frees it unlocked).
 * Slots replaced after a size change leave no handle behind. Lock held. */
static glvf_staging *handle_stock_locked(glvf_context *ctx, glvf_staging *handle)
{
    size_t slots = 0;
    for (size_t i = 0; i < ctx->ring.count; i++)
        slots += ctx->ring.slots[i].size != 0;
    if (ctx->ring.handles >= slots)
        return handle;
    handle->magic = STAGING_MAGIC_FREE;
    handle->ctx = NULL;
    handle->next = ctx->staging_free;
    ctx->staging_free = handle;
    ctx->ring.handles++;
    return NULL;
}

/* Creates a persistently mapped buffer slot (and a region handle) and marks
 * it ACQUIRED. GL thread, without lock. */
static glvf_slot *slot_create_gl(glvf_context *ctx, size_t size)
{
    GladGLContext *gl = &ctx->gl;
    size = glvf_align_up(size, 4096);
    glvf_staging *handle = handle_new();
    if (!handle) {
        LOG_E(ctx, "staging: out of memory for the ring's bookkeeping");
        return NULL;
    }
    pthread_mutex_lock(&ctx->lock);
    glvf_slot *s = NULL;
    bool oom = false;
    if (ctx->ring.bytes + size <= ctx->staging_budget) {
        oom = ring_ensure_slots(ctx) != 0 || !glvf_tracker_reserve(ctx, 2);
        s = oom ? NULL : ring_empty_entry(ctx);
        if (s) {
            memset(s, 0, sizeof *s);
            s->size = size; /* reserve the entry */
            s->state = SLOT_ACQUIRED;
            ctx->ring.bytes += size;
        }
    }
    pthread_mutex_unlock(&ctx->lock);
    if (oom)
        LOG_E(ctx, "staging: out of memory for the ring's bookkeeping");
    if (!s) {
        glvf_free(handle);
        return NULL; /* else: over the budget or every entry taken (callers decide) */
    }

    GLint prev = 0;
    gl->GetIntegerv(GL_PIXEL_UNPACK_BUFFER_BINDING, &prev);
    glvf_gl_clear(ctx, NULL);
    GLuint buf = 0;
    gl->GenBuffers(1, &buf);
    void *map = NULL;
    GLenum err = GL_NO_ERROR;
    if (buf) {
        gl->BindBuffer(GL_PIXEL_UNPACK_BUFFER, buf);
        /* Readable and in client (cached system) memory: producers such as
         * codecs read their reference pictures back from staging regions,
         * which a write-only (often write-combined) mapping does not allow. */
        GLbitfield map_flags = GL_MAP_READ_BIT | GL_MAP_WRITE_BIT | GL_MAP_PERSISTENT_BIT |
                               GL_MAP_COHERENT_BIT;
        ctx->buffer_storage(GL_PIXEL_UNPACK_BUFFER, (GLsizeiptr)size, NULL,
                            map_flags | GL_CLIENT_STORAGE_BIT);
        err = gl->GetError();
        if (err == GL_NO_ERROR)
            map = gl->MapBufferRange(GL_PIXEL_UNPACK_BUFFER, 0, (GLsizeiptr)size, map_flags);
        if (!map && err == GL_NO_ERROR)
            err = gl->GetError();
        gl->BindBuffer(GL_PIXEL_UNPACK_BUFFER, (GLuint)prev);
    }
    if (!map) {
        LOG_E(ctx, "staging: creating a persistently mapped %zu-byte buffer failed (%s, GL "
                   "error 0x%x)",
              size, !buf ? "glGenBuffers" : "glBufferStorage/glMapBufferRange", err);
        if (buf)
            gl->DeleteBuffers(1, &buf);
        pthread_mutex_lock(&ctx->lock);
        ctx->ring.bytes -= size;
        s->size = 0;
        s->state = SLOT_FREE;
        pthread_mutex_unlock(&ctx->lock);
        glvf_free(handle);
        return NULL;
    }
    glvf_label(ctx, GL_BUFFER, buf, "glvf staging buffer %zu bytes", size);
    pthread_mutex_lock(&ctx->lock);
    s->buffer = buf;
    s->map = map;
    glvf_tracker_created(ctx, GLVF_OBJECT_BUFFER, size);
    handle = handle_stock_locked(ctx, handle);
    pthread_mutex_unlock(&ctx->lock);
    glvf_free(handle);
    return s;
}

/* Creates a CPU-memory slot (and a region handle), marked ACQUIRED. Any
 * thread, without lock. */
static glvf_slot *slot_create_cpu(glvf_context *ctx, size_t size)
{
    size = glvf_align_up(size, 4096);
    void *mem = NULL;
    if (glvf_memalign(&mem, 4096, size) != 0)
        return NULL;
    glvf_staging *handle = handle_new();
    if (!handle) {
        glvf_free(mem);
        return NULL;
    }
    pthread_mutex_lock(&ctx->lock);
    glvf_slot *s = NULL;
    if (!ctx->dead && ring_ensure_slots(ctx) == 0 &&
        ctx->ring.bytes + size <= ctx->staging_budget) {
        s = ring_empty_entry(ctx);
        if (s) {
            memset(s, 0, sizeof *s);
            s->size = size;
            s->map = mem;
            s->state = SLOT_ACQUIRED;
            ctx->ring.bytes += size;
            handle = handle_stock_locked(ctx, handle);
        }
    }
    pthread_mutex_unlock(&ctx->lock);
    if (!s)
        glvf_free(mem);
    glvf_free(handle);
    return s;
}

/* Waits for an in-flight slot's fence; GL thread, without lock. Returns 0,
 * or -ETIMEDOUT / -EIO. */
static int slot_wait(glvf_context *ctx, GLsync fence, GLuint64 timeout_ns)
{
    GLenum r = ctx->gl.ClientWaitSync(fence, GL_SYNC_FLUSH_COMMANDS_BIT, timeout_ns);
    if (r == GL_ALREADY_SIGNALED || r == GL_CONDITION_SATISFIED)
        return 0;
    if (r == GL_TIMEOUT_EXPIRED)
        return -ETIMEDOUT;
    return -EIO;
}

/* Retires in-flight slots whose fence signalled. GL thread, without lock. */
static void ring_retire(glvf_context *ctx)
{
    size_t idx[MAX_SLOTS];
    GLsync fences[MAX_SLOTS];
    size_t n = 0;
    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; i < ctx->ring.count; i++) {
        glvf_slot *s = &ctx->ring.slots[i];
        if (s->size && s->state == SLOT_IN_FLIGHT) {
            idx[n] = i;
            fences[n++] = s->fence;
        }
    }
    pthread_mutex_unlock(&ctx->lock);
    for (size_t k = 0; k < n; k++) {
        if (fences[k] && slot_wait(ctx, fences[k], 0) != 0) {
            fences[k] = NULL;
            idx[k] = SIZE_MAX;
            continue;
        }
        if (fences[k])
            glvf_tracker_delete_now(ctx, GLVF_OBJECT_SYNC, (uint64_t)(uintptr_t)fences[k], 0);
    }
    pthread_mutex_lock(&ctx->lock);
    for (size_t k = 0; k < n; k++) {
        if (idx[k] == SIZE_MAX)
            continue;
        glvf_slot *s = &ctx->ring.slots[idx[k]];
        s->fence = NULL;
        s->state = SLOT_FREE;
    }
    pthread_mutex_unlock(&ctx->lock);
}

/* Deletes FREE slots outside the working set of `need` bytes, least
 * recently used first, until a new slot of `need` bytes fits the budget.
 * GL thread, without lock. Returns the number of slots deleted. */
static size_t ring_make_room(glvf_context *ctx, size_t need)
{
    size_t size = glvf_align_up(need, 4096);
    GLuint drop_buf[MAX_SLOTS];
    size_t drop_size[MAX_SLOTS];
    size_t ndrop = 0;
    pthread_mutex_lock(&ctx->lock);
    while (ctx->ring.bytes + size > ctx->staging_budget) {
        glvf_slot *lru = NULL;
        for (size_t i = 0; i < ctx->ring.count; i++) {
            glvf_slot *c = &ctx->ring.slots[i];
            if (c->size && c->buffer && c->state == SLOT_FREE && !slot_matches(c, need) &&
                (!lru || c->last_used < lru->last_used))
                lru = c;
        }
        if (!lru)
            break;
        drop_buf[ndrop] = lru->buffer;
        drop_size[ndrop++] = lru->size;
        ctx->ring.bytes -= lru->size;
        lru->size = 0;
        lru->map = NULL;
        lru->buffer = 0;
    }
    pthread_mutex_unlock(&ctx->lock);
    for (size_t k = 0; k < ndrop; k++)
        glvf_tracker_delete_now(ctx, GLVF_OBJECT_BUFFER, drop_buf[k], drop_size[k]);
    return ndrop;
}

/* Creates up to `n` slots of `need` bytes; with `evict`, making room within
 * the budget first (ring_make_room). Every new mapping is written once, so
 * that its memory is resident from the start and the steady state touches
 * no new page. With `take` the first new slot is returned ACQUIRED, the
 * others are FREE; without, all are FREE and the first is returned. NULL
 * when none could be created. GL thread, without lock. */
static glvf_slot *ring_grow(glvf_context *ctx, size_t need, size_t n, bool evict, bool take)
{
    glvf_slot *first = NULL;
    for (size_t k = 0; k < n; k++) {
        if (evict)
            ring_make_room(ctx, need);
        glvf_slot *s = slot_create_gl(ctx, need);
        if (!s)
            break;
        memset(s->map, 0, s->size);
        if (!first)
            first = s;
        if (s != first || !take)
            slot_release(ctx, s);
    }
    return first;
}

/* Takes a slot of at least `need` bytes for an upload on the GL thread.
 *
 * A size's working set is MAX_IN_FLIGHT slots (slot_matches). Where the
 * budget has room for it, the first upload of a size creates the whole set
 * at once, so that the ring has its working size from the first frame of a
 * size whatever the GPU's lag, and never grows afterwards: an upload takes
 * a free slot of the set, or waits for the set's oldest in-flight slot
 * (bounded by fence_timeout_ms). When the size changes and the budget has
 * no room, free slots of other sizes are replaced, least recently used
 * first: the whole set at once for a size that has no slot, one slot per
 * upload that finds none free otherwise (so that sizes sharing a budget too
 * small for all their sets do not evict each other on every upload); and
 * in-flight slots of other sizes are waited for and replaced when nothing
 * else makes room. Producers' regions (ACQUIRED) are never touched.
 *
 * Returns the slot (ACQUIRED) or NULL with *err set. */
glvf_slot *glvf_ring_take_gl(glvf_context *ctx, size_t need, int *err)
{
    size_t size = glvf_align_up(need, 4096);
    for (int attempt = 0; attempt < MAX_SLOTS + 2; attempt++) {
        pthread_mutex_lock(&ctx->lock);
        glvf_slot *s = ring_find_free(ctx, need, true);
        size_t have = 0, empty = MAX_SLOTS - ctx->ring.count;
        for (size_t i = 0; i < ctx->ring.count; i++) {
            const glvf_slot *c = &ctx->ring.slots[i];
            have += c->size && c->state != SLOT_ACQUIRED && slot_matches(c, need);
            empty += !c->size;
        }
        size_t missing = have < MAX_IN_FLIGHT ? MAX_IN_FLIGHT - have : 0;
        /* room for the whole set without replacing anything */
        bool room = missing && missing <= empty &&
                    ctx->ring.bytes + missing * size <= ctx->staging_budget;
        if (!s && !missing)
            s = ring_find_free(ctx, need, false); /* a bigger free one beats a wait */
        if (s)
            s->state = SLOT_ACQUIRED;
        pthread_mutex_unlock(&ctx->lock);
        if (room) {
            glvf_slot *n = ring_grow(ctx, need, missing, false, !s);
            if (!s)
                s = n;
        }
        if (s)
            return s;
        if (missing) {
            s = ring_grow(ctx, need, have ? 1 : missing, true, true);
            if (s)
                return s;
        }
        /* No free slot and no room for one: wait for the oldest in-flight
         * slot that fits; failing that (the budget is held by another
         * size), for the oldest in-flight slot of another size, which the
         * next attempt replaces. */
        glvf_slot *oldest = NULL, *other = NULL;
        GLsync fence = NULL;
        pthread_mutex_lock(&ctx->lock);
        for (size_t i = 0; i < ctx->ring.count; i++) {
            glvf_slot *c = &ctx->ring.slots[i];
            if (!c->size || c->state != SLOT_IN_FLIGHT)
                continue;
            if (c->size >= need) {
                if (!oldest || c->last_used < oldest->last_used)
                    oldest = c;
            } else if (!other || c->last_used < other->last_used) {
                other = c;
            }
        }
        if (!oldest)
            oldest = other;
        if (oldest)
            fence = oldest->fence;
        pthread_mutex_unlock(&ctx->lock);
        if (!oldest) {
            /* every slot is a producer's region (or the budget is): no
             * wait can free one; the caller falls back (upload_persistent) */
            *err = -ENOSPC;
            return NULL;
        }
        pthread_mutex_lock(&ctx->lock);
        ctx->ring.waits++;
        pthread_mutex_unlock(&ctx->lock);
        int r = fence ? slot_wait(ctx, fence, (GLuint64)ctx->fence_timeout_ms * 1000000u) : 0;
        if (r != 0) {
            LOG_E(ctx, "staging: waiting for a staging fence %s after %u ms",
                  r == -ETIMEDOUT ? "timed out" : "failed", ctx->fence_timeout_ms);
            *err = r;
            return NULL;
        }
        ring_retire(ctx);
    }
    *err = -ENOSPC;
    LOG_E(ctx, "staging: could not obtain a %zu-byte staging slot", need);
    return NULL;
}

/* Marks a slot in flight behind a new fence (GL thread). */
int glvf_slot_fence(glvf_context *ctx, glvf_slot *s)
{
    GLsync fence = ctx->gl.FenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
    pthread_mutex_lock(&ctx->lock);
    s->last_used = ++ctx->ring.clock;
    if (fence) {
        s->fence = fence;
        s->state = SLOT_IN_FLIGHT;
        glvf_tracker_created(ctx, GLVF_OBJECT_SYNC, 0);
    } else {
        /* no fence: the slot cannot be proven idle; keep it off the ring
         * until a glFinish (done below) makes it so */
        s->state = SLOT_FREE;
    }
    pthread_mutex_unlock(&ctx->lock);
    if (!fence) {
        LOG_E(ctx, "staging: glFenceSync failed; finishing the GL queue instead");
        ctx->gl.Finish();
        return -EIO;
    }
    return 0;
}

static void slot_release(glvf_context *ctx, glvf_slot *s)
{
    pthread_mutex_lock(&ctx->lock);
    s->state = SLOT_FREE;
    pthread_mutex_unlock(&ctx->lock);
}

/* ---- zero-copy staging regions ----------------------------------------- */

static glvf_staging *region_alloc(glvf_context *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    glvf_staging *st = ctx->staging_free;
    if (st)
        ctx->staging_free = st->next;
    pthread_mutex_unlock(&ctx->lock);
    if (!st && (st = handle_new())) {
        pthread_mutex_lock(&ctx->lock);
        ctx->ring.handles++;
        pthread_mutex_unlock(&ctx->lock);
    }
    return st;
}

glvf_staging *glvf_staging_acquire(glvf_context *ctx, glvf_format format, int width,
                                   int height, int align, int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    if (!glvf_ctx_valid(ctx, __func__)) {
        *err = -EINVAL;
        return NULL;
    }
    if (atomic_load_explicit(&ctx->lost, memory_order_acquire)) {
        LOGF_E(ctx, "the GL context was lost (graphics reset)");
        *err = -ENODEV;
        return NULL;
    }
    size_t offsets[GLVF_MAX_PLANES], total;
    ptrdiff_t strides[GLVF_MAX_PLANES];
    if ((*err = region_request(ctx, __func__, format, width, height, align, offsets, strides,
                               &total)) < 0)
        return NULL;
    bool gpu = ring_persistent(ctx);

    pthread_mutex_lock(&ctx->lock);
    glvf_slot *s = NULL;
    if (ctx->dead) {
        pthread_mutex_unlock(&ctx->lock);
        *err = -EINVAL;
        return NULL;
    }
    if (ctx->ring.slots) {
        for (size_t i = 0; i < ctx->ring.count; i++) {
            glvf_slot *c = &ctx->ring.slots[i];
            if (c->size && c->state == SLOT_FREE && c->size >= total &&
                (c->buffer != 0) == gpu && (!s || c->size < s->size))
                s = c;
        }
    }
    if (s)
        s->state = SLOT_ACQUIRED;
    else if (gpu) {
        /* the GL thread creates one on its next call */
        if (total > ctx->ring.want_bytes)
            ctx->ring.want_bytes = total;
        ctx->ring.want_count++;
    }
    pthread_mutex_unlock(&ctx->lock);
    if (!s && gpu) {
        LOG_D(ctx, "glvf_staging_acquire: no free %zu-byte region; one will be created on "
                   "the GL thread's next call",
              total);
        *err = -EAGAIN;
        return NULL;
    }
    if (!s && !(s = slot_create_cpu(ctx, total))) {
        LOGF_E(ctx,
               "no memory for a %zu-byte region within the "
               "staging budget",
               total);
        *err = -ENOMEM;
        return NULL;
    }
    glvf_staging *st = region_alloc(ctx);
    if (!st) {
        slot_release(ctx, s);
        LOGF_E(ctx, "out of memory");
        *err = -ENOMEM;
        return NULL;
    }
    uint16_t gen = st->gen;
    memset(st, 0, sizeof *st);
    st->gen = gen;
    st->magic = STAGING_MAGIC;
    st->ctx = ctx;
    st->format = st->image.format = format;
    st->width = st->image.width = width;
    st->height = st->image.height = height;
    for (int i = 0; i < glvf_format_planes(format); i++) {
        st->image.planes[i].data = s->map + offsets[i];
        st->image.planes[i].stride = strides[i];
    }
    if (ctx->track_sites)
        st->nsite = glvf_capture_site(st->site, GLVF_MAX_SITE);
    pthread_mutex_lock(&ctx->lock);
    st->slot = (size_t)(s - ctx->ring.slots);
    st->prev = NULL;
    st->next = ctx->staging_live;
    if (ctx->staging_live)
        ctx->staging_live->prev = st;
    ctx->staging_live = st;
    ctx->ring.live++;
    ctx->live_refs++;
    pthread_mutex_unlock(&ctx->lock);
    *err = 0;
    return glvf_handle(st, st->gen);
}

glvf_image *glvf_staging_image(glvf_staging *h)
{
    glvf_staging *st = glvf_staging_resolve(h);
    return st ? &st->image : NULL;
}

/* Unlinks a region and returns its slot (lock held). Returns true when the
 * context is dead and this was its last reference. */
static bool region_end_locked(glvf_context *ctx, glvf_staging *st, bool free_slot)
{
    if (st->prev)
        st->prev->next = st->next;
    else
        ctx->staging_live = st->next;
    if (st->next)
        st->next->prev = st->prev;
    ctx->ring.live--;
    glvf_slot *s = &ctx->ring.slots[st->slot];
    if (ctx->dead && !s->buffer) {
        glvf_free(s->map); /* CPU memory kept alive for this orphaned region */
        s->map = NULL;
    } else if (!ctx->dead && free_slot) {
        /* GPU reads may be pending (glvf_staging_upload): the GL thread
         * retires the slot once its fence signalled */
        s->state = s->fence ? SLOT_IN_FLIGHT : SLOT_FREE;
    }
    st->magic = STAGING_MAGIC_FREE;
    st->gen++; /* handles to this life are stale from now on */
    ctx->live_refs--;
    if (ctx->dead) {
        return ctx->live_refs == 0;
    }
    st->next = ctx->staging_free;
    ctx->staging_free = st;
    return false;
}

void glvf_staging_release(glvf_staging **pst)
{
    if (!pst || !*pst)
        return;
    glvf_staging *h = *pst;
    *pst = NULL;
    glvf_staging *st = glvf_handle_obj(h);
    if (st->magic != STAGING_MAGIC || st->gen != glvf_handle_gen(h)) {
        /* still pooled memory: released (or submitted) already, and
         * perhaps (generation) another region's now */
        if ((st->magic == STAGING_MAGIC_FREE || st->magic == STAGING_MAGIC) && st->ctx)
            glvf_logf(st->ctx, GLVF_LOG_ERROR,
                      "glvf_staging_release: region %p was already released or submitted%s; "
                      "ignored",
                      (void *)h, st->magic == STAGING_MAGIC ? " (its memory is another region's now)" : "");
        return;
    }
    glvf_context *ctx = st->ctx;
    pthread_mutex_lock(&ctx->lock);
    bool dead = ctx->dead;
    /* once unlocked, another thread's last drop may free a dead ctx */
    glvf_log_sink sink = glvf_log_sink_get(ctx);
    bool last = region_end_locked(ctx, st, true);
    pthread_mutex_unlock(&ctx->lock);
    if (dead) {
        glvf_log_sink_printf(&sink, GLVF_LOG_WARN,
                             "staging region %p dropped after its context was destroyed "
                             "(orphan): CPU memory freed only",
                             (void *)st);
        glvf_free(st);
    }
    if (last)
        glvf_ctx_free(ctx);
}

int glvf_staging_check(glvf_context *ctx, const glvf_staging *st, const glvf_image_plan *plan)
{
    const glvf_image *img = &st->image;
    const glvf_slot *s = &ctx->ring.slots[st->slot];
    if (img->format != st->format || img->width > st->width || img->height > st->height ||
        img->width <= 0 || img->height <= 0) {
        LOG_E(ctx, "staging region %p: the image was changed to %dx%d %s; a region allocated "
                   "for %dx%d %s can only shrink",
              (const void *)st, img->width, img->height, glvf_format_name(img->format),
              st->width, st->height, glvf_format_name(st->format));
        return -EINVAL;
    }
    for (int i = 0; plan && i < plan->planes; i++) {
        const glvf_plane_layout l = plan->layout[i];
        const uint8_t *p = img->planes[i].data;
        ptrdiff_t stride = img->planes[i].stride;
        size_t need = stride > 0 ? (size_t)stride * (size_t)(l.height - 1) + (size_t)l.row_bytes
                                 : 0;
        if (!p || stride <= 0 || p < s->map || (size_t)(p - s->map) > s->size ||
            need > s->size - (size_t)(p - s->map) || (size_t)(p - s->map) % 4 != 0) {
            LOG_E(ctx, "staging region %p: plane %d (pointer %p, stride %td) is not inside "
                       "the region, 4-byte aligned, with a positive stride",
                  (const void *)st, i, (const void *)p, stride);
            return -EINVAL;
        }
    }
    return 0;
}

int glvf_staging_upload_region(glvf_context *ctx, glvf_staging *st, glvf_pool_tex *const *tex,
                               const glvf_image_plan *plan, bool keep)
{
    int planes = plan->planes;
    const glvf_plane_layout *layouts = plan->layout;
    glvf_slot *s = &ctx->ring.slots[st->slot];
    glvf_unpack_state us;
    glvf_gl_clear(ctx, "glvf_staging_upload");
    glvf_unpack_save(ctx, &us);
    size_t offsets[GLVF_MAX_PLANES];
    ptrdiff_t strides[GLVF_MAX_PLANES];
    for (int i = 0; i < planes; i++) {
        offsets[i] = (size_t)((const uint8_t *)st->image.planes[i].data - s->map);
        strides[i] = st->image.planes[i].stride;
    }
    if (s->buffer) {
        glvf_upload_from_buffer(ctx, s->buffer, tex, layouts, planes, offsets, strides);
    } else {
        ctx->gl.BindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
        for (int i = 0; i < planes; i++)
            glvf_tex_sub_image(ctx, tex[i]->name, &layouts[i], s->map + offsets[i], strides[i]);
    }
    int e = glvf_gl_check(ctx, "staging upload");
    glvf_unpack_restore(ctx, &us);
    int r = 0;
    if (s->buffer) {
        /* a fence for this read; one a previous upload of a kept region left
         * is superseded (fences signal in order) */
        GLsync old = s->fence;
        GLsync fence = ctx->gl.FenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
        if (old)
            glvf_tracker_delete_now(ctx, GLVF_OBJECT_SYNC, (uint64_t)(uintptr_t)old, 0);
        if (!fence) {
            LOG_E(ctx, "staging: glFenceSync failed; finishing the GL queue instead");
            ctx->gl.Finish();
            r = -EIO;
        }
        pthread_mutex_lock(&ctx->lock);
        s->fence = fence;
        s->last_used = ++ctx->ring.clock;
        if (fence)
            glvf_tracker_created(ctx, GLVF_OBJECT_SYNC, 0);
        ctx->ring.zero_copy++;
        pthread_mutex_unlock(&ctx->lock);
    }
    if (!keep) {
        pthread_mutex_lock(&ctx->lock);
        region_end_locked(ctx, st, true); /* the context is alive: not the last ref */
        pthread_mutex_unlock(&ctx->lock);
    }
    return e ? e : r;
}

int glvf_staging_reserve(glvf_context *ctx, glvf_format format, int width, int height,
                         int align, int count)
{
    int r = glvf_ctx_enter(ctx, __func__);
    if (r < 0)
        return r;
    size_t offsets[GLVF_MAX_PLANES], total;
    ptrdiff_t strides[GLVF_MAX_PLANES];
    r = region_request(ctx, __func__, format, width, height, align, offsets, strides, &total);
    if (r < 0)
        return r;
    if (count < 0 || count > MAX_SLOTS) {
        LOGF_E(ctx, "count %d is not in [0, %d]", count, MAX_SLOTS);
        return -EINVAL;
    }
    bool gpu = ring_persistent(ctx);
    pthread_mutex_lock(&ctx->lock);
    int have = 0;
    for (size_t i = 0; ctx->ring.slots && i < ctx->ring.count; i++) {
        glvf_slot *c = &ctx->ring.slots[i];
        if (c->size >= total && c->state != SLOT_ACQUIRED && (c->buffer != 0) == gpu)
            have++;
    }
    pthread_mutex_unlock(&ctx->lock);
    for (; have < count; have++) {
        glvf_slot *s = gpu ? slot_create_gl(ctx, total) : slot_create_cpu(ctx, total);
        if (!s) {
            LOGF_E(ctx,
                   "could not create region %d of %d (%zu bytes, "
                   "budget %zu)",
                   have + 1, count, total, ctx->staging_budget);
            return glvf_ctx_check_lost(ctx, __func__) ? -ENODEV : -ENOMEM;
        }
        slot_release(ctx, s);
    }
    return 0;
}

/* Notes the time on slots in use (and on new ones): a purge measures how
 * long a free slot has been unused from the last service that saw it in
 * use. GL thread (no GL call). */
static void ring_stamp(glvf_context *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    uint64_t now = 0;
    for (size_t i = 0; ctx->ring.slots && i < ctx->ring.count; i++) {
        glvf_slot *s = &ctx->ring.slots[i];
        if (s->size && (s->state != SLOT_FREE || !s->used_ns)) {
            if (!now)
                now = glvf_now_ns();
            s->used_ns = now;
        }
    }
    pthread_mutex_unlock(&ctx->lock);
}

void glvf_staging_service(glvf_context *ctx)
{
    ring_stamp(ctx);
    if (!ring_persistent(ctx))
        return;
    ring_retire(ctx);
    pthread_mutex_lock(&ctx->lock);
    size_t want = ctx->ring.want_bytes, n = ctx->ring.want_count;
    ctx->ring.want_bytes = ctx->ring.want_count = 0;
    pthread_mutex_unlock(&ctx->lock);
    if (n > 4)
        n = 4;
    for (size_t i = 0; i < n; i++) {
        glvf_slot *s = slot_create_gl(ctx, want);
        if (!s)
            break;
        slot_release(ctx, s);
    }
}

void glvf_staging_destroy(glvf_context *ctx, bool gl)
{
    /* lock held, context dead */
    glvf_staging_ring *r = &ctx->ring;
    for (size_t i = 0; r->slots && i < r->count; i++) {
        glvf_slot *s = &r->slots[i];
        if (!s->size)
            continue;
        if (s->fence) {
            glvf_tracker_release(ctx, GLVF_OBJECT_SYNC, (uint64_t)(uintptr_t)s->fence, 0, gl);
        }
        if (s->buffer) {
            glvf_tracker_release(ctx, GLVF_OBJECT_BUFFER, s->buffer, s->size, gl);
        } else if (s->state != SLOT_ACQUIRED) {
            glvf_free(s->map);
        }
        /* CPU memory of a region the application still holds stays valid
         * until it cancels the region (then freed with the orphan). */
    }
    if (ctx->upload_ops && ctx->upload_ops->destroy)
        ctx->upload_ops->destroy(ctx, gl); /* what the strategy holds itself */
    while (ctx->staging_free) {
        glvf_staging *st = ctx->staging_free;
        ctx->staging_free = st->next;
        glvf_free(st);
    }
    r->count = 0;
    r->bytes = 0;
}

/* ---- mapped-read probe --------------------------------------------------- */

#define PROBE_BYTES (64u << 10)
#define PROBE_ROUNDS 5
#define PROBE_BUDGET_NS 2000000 /* stop early past this (slow mappings) */

static uint64_t probe_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static volatile uint64_t probe_sink; /* keeps the reads from being optimised away */

/* Reads n bytes as 64-bit words. */
__attribute__((noinline)) static uint64_t probe_read(const uint8_t *p, size_t n)
{
    const uint64_t *w = (const uint64_t *)(const void *)p;
    uint64_t a = 0, b = 0, c = 0, d = 0;
    for (size_t i = 0; i + 4 <= n / 8; i += 4) {
        a += w[i];
        b ^= w[i + 1];
        c += w[i + 2];
        d ^= w[i + 3];
    }
    return a ^ b ^ c ^ d;
}

void glvf_staging_probe_reads(glvf_context *ctx)
{
    GladGLContext *gl = &ctx->gl;
    uint64_t began = probe_now_ns();
    uint8_t *heap = glvf_malloc(PROBE_BYTES);
    GLint prev = 0;
    GLuint buf = 0;
    void *map = NULL;
    glvf_gl_clear(ctx, NULL);
    if (heap) {
        gl->GetIntegerv(GL_PIXEL_UNPACK_BUFFER_BINDING, &prev);
        gl->GenBuffers(1, &buf);
    }
    if (buf) {
        /* the flags of a staging slot (slot_create_gl) */
        GLbitfield map_flags = GL_MAP_READ_BIT | GL_MAP_WRITE_BIT | GL_MAP_PERSISTENT_BIT |
                               GL_MAP_COHERENT_BIT;
        gl->BindBuffer(GL_PIXEL_UNPACK_BUFFER, buf);
        ctx->buffer_storage(GL_PIXEL_UNPACK_BUFFER, PROBE_BYTES, NULL,
                            map_flags | GL_CLIENT_STORAGE_BIT);
        if (gl->GetError() == GL_NO_ERROR)
            map = gl->MapBufferRange(GL_PIXEL_UNPACK_BUFFER, 0, PROBE_BYTES, map_flags);
        gl->BindBuffer(GL_PIXEL_UNPACK_BUFFER, (GLuint)prev);
    }
    uint64_t best_map = UINT64_MAX, best_heap = UINT64_MAX, sink = 0;
    if (map) {
        memset(heap, 0x5a, PROBE_BYTES);
        memset(map, 0x5a, PROBE_BYTES);
        uint64_t start = probe_now_ns();
        /* interleaved, best of a few: noise only ever slows a round down */
        for (int r = 0; r < PROBE_ROUNDS; r++) {
            uint64_t t0 = probe_now_ns();
            sink += probe_read(heap, PROBE_BYTES);
            uint64_t t1 = probe_now_ns();
            sink += probe_read(map, PROBE_BYTES);
            uint64_t t2 = probe_now_ns();
            if (t1 - t0 < best_heap)
                best_heap = t1 - t0;
            if (t2 - t1 < best_map)
                best_map = t2 - t1;
            if (t2 - start > PROBE_BUDGET_NS)
                break;
        }
    }
    if (buf)
        gl->DeleteBuffers(1, &buf); /* also unmaps */
    glvf_gl_clear(ctx, NULL);
    glvf_free(heap);
    if (!map) {
        LOG_E(ctx, "staging: the mapped-read probe failed (%s); direct rendering (auto) "
                   "stays off",
              !heap ? "out of memory" : !buf ? "glGenBuffers" : "glBufferStorage/glMapBufferRange");
        return;
    }
    if (!best_map)
        best_map = 1;
    if (!best_heap)
        best_heap = 1;
    /* bytes per ns = GB/s; x 1000: MB/s */
    uint64_t map_mbps = (uint64_t)PROBE_BYTES * 1000u / best_map;
    uint64_t heap_mbps = (uint64_t)PROBE_BYTES * 1000u / best_heap;
    ctx->ring.read_mapped_mbps = map_mbps ? map_mbps : 1;
    ctx->ring.read_heap_mbps = heap_mbps ? heap_mbps : 1;
    ctx->ring.reads_fast = best_map <= 2 * best_heap; /* at least half as fast */
    probe_sink = sink;
    LOG_I(ctx, "staging: mapped-read probe: %llu MB/s from a persistent mapping, %llu MB/s "
               "from the heap (ratio %.2f, probe %.2f ms): direct rendering (auto) %s",
          (unsigned long long)ctx->ring.read_mapped_mbps,
          (unsigned long long)ctx->ring.read_heap_mbps,
          (double)best_heap / (double)best_map, (double)(probe_now_ns() - began) / 1e6,
          ctx->ring.reads_fast ? "on" : "off: mapped reads are under half as fast");
}

/* ---- purges and budgets (lock held, no GL call) ------------------------- */

bool glvf_staging_oldest_free_locked(const glvf_context *ctx, size_t *idx, uint64_t *used_ns)
{
    const glvf_slot *best = NULL;
    for (size_t i = 0; ctx->ring.slots && i < ctx->ring.count; i++) {
        const glvf_slot *s = &ctx->ring.slots[i];
        /* a slot never seen by a service (used_ns 0) was just made: newest */
        if (s->size && s->state == SLOT_FREE &&
            (!best || (s->used_ns && (!best->used_ns || s->used_ns < best->used_ns))))
            best = s;
    }
    if (!best)
        return false;
    *idx = (size_t)(best - ctx->ring.slots);
    *used_ns = best->used_ns;
    return true;
}

void glvf_staging_drop_free_locked(glvf_context *ctx, size_t idx)
{
    glvf_slot *s = &ctx->ring.slots[idx];
    if (s->fence) /* not expected on a free slot; never leaked all the same */
        glvf_tracker_defer(ctx, GLVF_OBJECT_SYNC, (uint64_t)(uintptr_t)s->fence, 0);
    if (s->buffer)
        glvf_tracker_defer(ctx, GLVF_OBJECT_BUFFER, s->buffer, s->size); /* room reserved */
    else
        glvf_free(s->map); /* CPU memory, no region points into a free slot */
    ctx->ring.bytes -= s->size;
    memset(s, 0, sizeof *s);
}

size_t glvf_staging_free_bytes_locked(const glvf_context *ctx)
{
    size_t n = 0;
    for (size_t i = 0; ctx->ring.slots && i < ctx->ring.count; i++)
        if (ctx->ring.slots[i].size && ctx->ring.slots[i].state == SLOT_FREE)
            n += ctx->ring.slots[i].size;
    return n;
}

void glvf_staging_get_stats(const glvf_context *ctx, glvf_stats *out)
{
    const glvf_staging_ring *r = &ctx->ring;
    out->staging_slots = 0;
    for (size_t i = 0; r->slots && i < r->count; i++)
        out->staging_slots += r->slots[i].size != 0; /* entries can be empty */
    out->staging_bytes = r->bytes;
    out->staging_waits = r->waits;
    out->staging_live = r->live;
    out->zero_copy_submits = r->zero_copy;
    out->staging_read_mapped_mbps = r->read_mapped_mbps;
    out->staging_read_heap_mbps = r->read_heap_mbps;
    out->staging_reads_fast = r->reads_fast;
    out->staging_mapped = ctx->upload_ops && ctx->upload_ops->mapped_staging;
}
