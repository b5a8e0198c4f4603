/*
 * Shared pieces of libglvf-ffmpeg: logging (through the decoder's callback
 * or its glvf context), error strings, the module's version, and the
 * optional av_log routing with its registry of decoders. The heap is the
 * core's (glvf_priv.h).
 */
#include "ff_internal.h"

#include <libavutil/error.h>
#include <libavutil/log.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- logging ------------------------------------------------------------ */

void glvf_ff_log_init(glvf_ff_log *log, glvf_log_fn fn, void *user, glvf_log_level level,
                      const glvf_context *ctx)
{
    log->fn = fn;
    log->user = user;
    log->level = level ? level : GLVF_LOG_WARN;
    atomic_init(&log->ctx, ctx);
}

void glvf_ff_log_set_context(glvf_ff_log *log, const glvf_context *ctx)
{
    atomic_store_explicit(&log->ctx, ctx, memory_order_release);
}

static const glvf_context *log_context(const glvf_ff_log *log)
{
    if (!log || log->fn)
        return NULL;
    return atomic_load_explicit(&((glvf_ff_log *)log)->ctx, memory_order_acquire);
}

bool glvf_ff_log_enabled(const glvf_ff_log *log, glvf_log_level level)
{
    if (!log)
        return false;
    if (log->fn)
        return level <= log->level;
    return glvf_priv_log_enabled(log_context(log), level);
}

void glvf_ff_vlogf(const glvf_ff_log *log, glvf_log_level level, const char *fmt, va_list ap)
{
    if (!log)
        return;
    if (!log->fn) {
        glvf_priv_vlogf(log_context(log), level, fmt, ap); /* NULL: silent */
        return;
    }
    if (level > log->level)
        return;
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    log->fn(log->user, level, msg);
}

void glvf_ff_logf(const glvf_ff_log *log, glvf_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    glvf_ff_vlogf(log, level, fmt, ap);
    va_end(ap);
}

const char *glvf_ffmpeg_strerror(int code, char *buf, size_t n)
{
    if (!buf || n == 0)
        return buf;
    if (code >= 0) {
        snprintf(buf, n, "%s", code == 0 ? "success" : "no error (positive value)");
        return buf;
    }
    if (av_strerror(code, buf, n) < 0)
        snprintf(buf, n, "error %d", code);
    return buf;
}

#ifndef GLVF_FFMPEG_VERSION
#error "GLVF_FFMPEG_VERSION (the module's version string) is defined by src/ffmpeg/meson.build"
#endif

const char *glvf_ffmpeg_version(void)
{
    return GLVF_FFMPEG_VERSION;
}

/* ---- av_log routing ----------------------------------------------------- */

/* A growable table on the core's heap: it grows while decoders are opened
 * (never per frame) and is freed when the last decoder leaves. */
typedef struct registry_entry {
    void *owner;
    const glvf_ff_log *log;
} registry_entry;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static registry_entry *registry;
static size_t registry_cap, registry_used;

void *glvf_ff_table_grow(void *arr, size_t *cap, size_t elem, void **first)
{
    size_t n = *cap ? *cap * 2 : 8;
    char *grown = glvf_priv_realloc(arr, n * elem);
    if (!grown)
        return NULL;
    memset(grown + *cap * elem, 0, (n - *cap) * elem);
    *first = grown + *cap * elem;
    *cap = n;
    return grown;
}

bool glvf_ff_registry_add(void *owner, const glvf_ff_log *log)
{
    pthread_mutex_lock(&registry_lock);
    registry_entry *slot = NULL;
    for (size_t i = 0; i < registry_cap && !slot; i++)
        if (!registry[i].owner)
            slot = &registry[i];
    if (!slot) {
        void *first, *grown = glvf_ff_table_grow(registry, &registry_cap, sizeof *registry, &first);
        if (grown) {
            registry = grown;
            slot = first;
        }
    }
    if (slot) {
        slot->owner = owner;
        slot->log = log;
        registry_used++;
    }
    pthread_mutex_unlock(&registry_lock);
    if (!slot)
        glvf_ff_logf(log, GLVF_LOG_WARN,
                     "out of memory for the av_log routing table: this decoder's FFmpeg "
                     "messages go to av_log_default_callback");
    return slot != NULL;
}

void glvf_ff_registry_remove(void *owner)
{
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < registry_cap; i++) {
        if (registry[i].owner == owner) {
            memset(&registry[i], 0, sizeof registry[i]);
            registry_used--;
        }
    }
    if (registry_used == 0) {
        glvf_priv_free(registry);
        registry = NULL;
        registry_cap = 0;
    }
    pthread_mutex_unlock(&registry_lock);
}

static glvf_log_level level_from_av(int level)
{
    if (level <= AV_LOG_ERROR)
        return GLVF_LOG_ERROR;
    if (level <= AV_LOG_WARNING)
        return GLVF_LOG_WARN;
    if (level <= AV_LOG_INFO)
        return GLVF_LOG_INFO;
    return GLVF_LOG_DEBUG;
}

/* The decoder owning an FFmpeg context, found through the opaque pointers
 * glvf sets: AVCodecContext.opaque, AVFormatContext.opaque, and for their
 * children (AVIOContext, codec private contexts) the parent's. Only pointer
 * values registered by live decoders are trusted. */
static void *owner_of(void *avcl)
{
    if (!avcl)
        return NULL;
    const AVClass *cls = *(const AVClass **)avcl;
    if (!cls)
        return NULL;
    if (cls == avcodec_get_class())
        return ((AVCodecContext *)avcl)->opaque;
    if (cls == avformat_get_class())
        return ((AVFormatContext *)avcl)->opaque;
    if (cls->parent_log_context_offset) {
        void *parent = *(void **)((uint8_t *)avcl + cls->parent_log_context_offset);
        if (parent && parent != avcl)
            return owner_of(parent);
    }
    return NULL;
}

/* The decoder whose FFmpeg calls the current thread is making (open, the
 * decoder thread): owns the messages of contexts FFmpeg creates internally
 * (stream probing, parsers) and of av_log(NULL, ...). */
static __thread void *thread_owner;

void glvf_ff_thread_owner(void *owner)
{
    thread_owner = owner;
}

static void route_callback(void *avcl, int level, const char *fmt, va_list ap)
{
    void *owner = owner_of(avcl);
    if (!owner)
        owner = thread_owner;
    if (owner && level <= AV_LOG_DEBUG) {
        pthread_mutex_lock(&registry_lock);
        for (size_t i = 0; i < registry_cap; i++) {
            if (registry[i].owner != owner)
                continue;
            const glvf_ff_log *log = registry[i].log;
            glvf_log_level gl = level_from_av(level);
            if (glvf_ff_log_enabled(log, gl)) {
                char line[1024];
                int prefix = 1;
                char msg[1024];
                av_log_format_line2(avcl, level, fmt, ap, line, sizeof line, &prefix);
                /* one log line per line of the message: a two-line FFmpeg
                 * message gives two prefixed lines, not a bare second one */
                char *save = NULL;
                for (char *l = strtok_r(line, "\r\n", &save); l;
                     l = strtok_r(NULL, "\r\n", &save)) {
                    snprintf(msg, sizeof msg, "ffmpeg: %s", l);
                    glvf_ff_logf(log, gl, "%s", msg);
                }
            }
            pthread_mutex_unlock(&registry_lock);
            return;
        }
        pthread_mutex_unlock(&registry_lock);
    }
    av_log_default_callback(avcl, level, fmt, ap);
}

void glvf_ffmpeg_route_av_log(bool enable)
{
    av_log_set_callback(enable ? route_callback : av_log_default_callback);
}
