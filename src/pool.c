/*
 * Texture pool keyed by (internal format, width, height). Textures released
 * by frames (from any thread) are cached, most recently used last; a miss
 * creates a texture (immutable storage where available) and, to stay under
 * the byte budget, evicts the least recently used cached textures through
 * the deferred-release queue.
 */
#include "internal.h"

#include <stdlib.h>

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

/* Evicts cached textures, oldest first, until `incoming` more bytes fit in
 * the budget. Lock held. The names go through the deferred queue (room is
 * reserved for them), the records are freed. */
static void evict_locked(glvf_context *ctx, size_t incoming)
{
    glvf_pool *p = &ctx->pool;
    while (p->lru_head && p->bytes + incoming > ctx->pool_budget) {
        glvf_pool_tex *t = p->lru_head;
        lru_unlink(p, t);
        all_unlink(p, t);
        p->bytes -= t->bytes;
        p->evictions++;
        glvf_tracker_defer(ctx, GLVF_OBJECT_TEXTURE, t->name, t->bytes);
        glvf_free(t);
    }
}

static size_t texture_bytes(const glvf_plane_layout *l)
{
    size_t bpt = l->bytes_per_texel;
    return (size_t)l->width * (size_t)l->height * bpt;
}

glvf_pool_tex *glvf_pool_acquire(glvf_context *ctx, const glvf_plane_layout *l,
                                 glvf_format format, int plane)
{
    glvf_pool *p = &ctx->pool;
    pthread_mutex_lock(&ctx->lock);
    /* most recently cached first: in steady state the match is at the tail */
    for (glvf_pool_tex *t = p->lru_tail; t; t = t->lru_prev) {
        if (t->internal_format == l->internal_format && t->width == l->width &&
            t->height == l->height) {
            lru_unlink(p, t);
            t->in_use = true;
            p->hits++;
            pthread_mutex_unlock(&ctx->lock);
            return t;
        }
    }
    p->misses++;
    size_t bytes = texture_bytes(l);
    evict_locked(ctx, bytes);
    /* room in the deferred queue for this texture's eventual release */
    bool reserved = glvf_tracker_reserve(ctx, 1);
    pthread_mutex_unlock(&ctx->lock);

    glvf_pool_tex *t = reserved ? glvf_calloc(1, sizeof *t) : NULL;
    if (!t) {
        LOG_E(ctx, "texture pool: out of memory");
        return NULL;
    }
    GladGLContext *gl = &ctx->gl;
    GLint prev_tex = 0;
    gl->GetIntegerv(GL_TEXTURE_BINDING_2D, &prev_tex);
    while (gl->GetError() != GL_NO_ERROR) {
    }
    gl->GenTextures(1, &t->name);
    if (!t->name) {
        LOG_E(ctx, "texture pool: glGenTextures failed (0x%x)", gl->GetError());
        glvf_free(t);
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
    GLenum err = gl->GetError();
    gl->BindTexture(GL_TEXTURE_2D, (GLuint)prev_tex);
    if (err != GL_NO_ERROR) {
        LOG_E(ctx, "texture pool: allocating a %dx%d texture (internal format 0x%x, %zu "
                   "bytes) failed with GL error 0x%x%s",
              l->width, l->height, l->internal_format, bytes, err,
              err == GL_OUT_OF_MEMORY ? " (GL_OUT_OF_MEMORY)" : "");
        gl->DeleteTextures(1, &t->name);
        glvf_free(t);
        return NULL;
    }
    /* labelled at creation only: a pool hit formats nothing */
    glvf_label(ctx, GL_TEXTURE, t->name, "glvf texture %dx%d (%s plane %d)", l->width, l->height,
               glvf_format_name(format), plane);
    t->internal_format = l->internal_format;
    t->width = l->width;
    t->height = l->height;
    t->bytes = bytes;
    t->in_use = true;

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

void glvf_pool_release_locked(glvf_context *ctx, glvf_pool_tex *t)
{
    glvf_pool *p = &ctx->pool;
    t->in_use = false;
    lru_append(p, t);
    if (p->bytes > ctx->pool_budget)
        evict_locked(ctx, 0);
}

void glvf_pool_destroy(glvf_context *ctx, bool gl)
{
    /* Lock held by the caller; the context is already marked dead, so no
     * frame returns textures concurrently. With gl, every name goes through
     * the queue (room is reserved) for one batched drain. */
    glvf_pool *p = &ctx->pool;
    glvf_pool_tex *t = p->all;
    while (t) {
        glvf_pool_tex *next = t->all_next;
        if (gl) {
            glvf_tracker_defer(ctx, GLVF_OBJECT_TEXTURE, t->name, t->bytes);
        } else {
            ctx->tracker.kinds[GLVF_OBJECT_TEXTURE].live--;
            ctx->tracker.kinds[GLVF_OBJECT_TEXTURE].live_bytes -= t->bytes;
        }
        glvf_free(t);
        t = next;
    }
    p->all = p->lru_head = p->lru_tail = NULL;
    p->bytes = p->cached_bytes = p->cached = 0;
}
