/*
 * Shared pieces of libglvf-ffmpeg: its (counted) heap, logging, error
 * strings, and the optional av_log routing with its registry of decoders.
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

/* ---- heap --------------------------------------------------------------- */

static atomic_uint_fast64_t alloc_count;
static atomic_uint_fast64_t fail_at;

void *glvf_ff_calloc(size_t n, size_t size)
{
    uint64_t k = atomic_fetch_add(&alloc_count, 1) + 1;
    uint64_t f = atomic_load(&fail_at);
    if (f && k == f)
        return NULL;
    return calloc(n, size);
}

void glvf_ff_free(void *p)
{
    free(p);
}

uint64_t glvf_ffmpeg_alloc_count(void)
{
    return atomic_load(&alloc_count);
}

void glvf_ffmpeg_alloc_fail_nth(uint64_t n)
{
    atomic_store(&fail_at, n ? atomic_load(&alloc_count) + n : 0);
}

/* ---- logging ------------------------------------------------------------ */

void glvf_ff_vlogf(const glvf_ff_log *log, glvf_log_level level, const char *fmt, va_list ap)
{
    if (!log || !log->fn)
        return;
    glvf_log_level max = log->level ? log->level : GLVF_LOG_WARN;
    if (level > max)
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

const char *glvf_ffmpeg_version(void)
{
    return glvf_version();
}

/* ---- av_log routing ----------------------------------------------------- */

#define REGISTRY_MAX 64

typedef struct registry_entry {
    void *owner;
    glvf_ff_log log;
} registry_entry;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static registry_entry registry[REGISTRY_MAX];

void glvf_ff_registry_add(void *owner, const glvf_ff_log *log)
{
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < REGISTRY_MAX; i++) {
        if (!registry[i].owner) {
            registry[i].owner = owner;
            registry[i].log = *log;
            break;
        }
    }
    /* more than REGISTRY_MAX decoders: the extra ones' FFmpeg messages go
     * to av_log_default_callback */
    pthread_mutex_unlock(&registry_lock);
}

void glvf_ff_registry_remove(void *owner)
{
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < REGISTRY_MAX; i++)
        if (registry[i].owner == owner)
            memset(&registry[i], 0, sizeof registry[i]);
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
        for (size_t i = 0; i < REGISTRY_MAX; i++) {
            if (registry[i].owner != owner)
                continue;
            const glvf_ff_log *log = &registry[i].log;
            glvf_log_level gl = level_from_av(level);
            glvf_log_level max = log->level ? log->level : GLVF_LOG_WARN;
            if (log->fn && gl <= max) {
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
                    log->fn(log->user, gl, msg);
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
