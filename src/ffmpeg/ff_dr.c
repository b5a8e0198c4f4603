/*
 * Direct rendering: libavcodec decodes into glvf staging regions.
 *
 * get_buffer2 (on libavcodec's threads) acquires a region laid out like
 * FFmpeg's own buffers (avcodec_align_dimensions2 size, linesizes that are
 * multiples of the required alignment, a few spare rows for the decoders'
 * over-reads) and wraps it in an AVBufferRef whose free callback releases
 * the region (on whichever thread drops the last reference). The AVBuffer's
 * opaque points at a tag in one of the blocks of a process-wide list, so
 * that any AVFrame can be recognised as a DR picture by address-range
 * checks, without trusting foreign opaque pointers and without a per-frame
 * allocation of ours: the list grows by a block (on the core's heap) when
 * every tag is in use and never shrinks, so a steady state allocates
 * nothing. A block that cannot be allocated makes that picture fall back
 * (logged once per decoder, counted in dr_fallbacks).
 *
 * When no free region exists glvf_staging_acquire() fails with -EAGAIN:
 * the picture falls back to avcodec_default_get_buffer2(), the fallback is
 * counted, and a reserve request is recorded for the context; the next
 * glvf_ffmpeg_upload() on its GL thread creates the regions with
 * glvf_staging_reserve(). The request table grows on the core's heap; a
 * request it cannot record (out of memory) or that would ask for more than
 * DR_RESERVE_MAX regions of one layout at once is counted in the decoder's
 * stats (dr_requests_lost, dr_requests_capped) and logged once per decoder:
 * no request is dropped silently.
 */
#include "ff_internal.h"

#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* ---- tags --------------------------------------------------------------- */

#define DR_TAG_BLOCK 64 /* tags per block */

typedef struct dr_tag {
    atomic_bool used;
    glvf_staging *st;
    glvf_context *ctx;
} dr_tag;

typedef struct dr_block {
    dr_tag tags[DR_TAG_BLOCK];
    struct dr_block *next; /* set before the block is published */
} dr_block;

/* Append-only list (pushed at the head, never freed: a tag may be in use
 * by an AVFrame until the process ends): read without a lock. */
static _Atomic(dr_block *) blocks;
static pthread_mutex_t grow_lock = PTHREAD_MUTEX_INITIALIZER;

static dr_tag *block_claim(dr_block *b, unsigned start)
{
    for (unsigned i = 0; i < DR_TAG_BLOCK; i++) {
        dr_tag *t = &b->tags[(start + i) % DR_TAG_BLOCK];
        bool expected = false;
        if (!atomic_load_explicit(&t->used, memory_order_relaxed) &&
            atomic_compare_exchange_strong(&t->used, &expected, true))
            return t;
    }
    return NULL;
}

static dr_tag *tag_get(void)
{
    static atomic_uint tag_hint;
    unsigned start = atomic_fetch_add_explicit(&tag_hint, 1, memory_order_relaxed);
    for (dr_block *b = atomic_load_explicit(&blocks, memory_order_acquire); b; b = b->next) {
        dr_tag *t = block_claim(b, start);
        if (t)
            return t;
    }
    /* every tag in use: one more block (another thread may have added one
     * meanwhile: the new head is tried first) */
    pthread_mutex_lock(&grow_lock);
    dr_block *head = atomic_load_explicit(&blocks, memory_order_acquire);
    dr_tag *t = head ? block_claim(head, start) : NULL;
    if (!t) {
        dr_block *b = glvf_priv_calloc(1, sizeof *b);
        if (b) {
            for (unsigned i = 0; i < DR_TAG_BLOCK; i++)
                atomic_init(&b->tags[i].used, false);
            atomic_init(&b->tags[0].used, true);
            t = &b->tags[0];
            b->next = head;
            atomic_store_explicit(&blocks, b, memory_order_release);
        }
    }
    pthread_mutex_unlock(&grow_lock);
    return t;
}

static void tag_put(dr_tag *t)
{
    t->st = NULL;
    t->ctx = NULL;
    atomic_store_explicit(&t->used, false, memory_order_release);
}

static dr_tag *tag_of(const AVFrame *f)
{
    if (!f || !f->buf[0])
        return NULL;
    uintptr_t p = (uintptr_t)av_buffer_get_opaque(f->buf[0]);
    for (dr_block *b = atomic_load_explicit(&blocks, memory_order_acquire); b; b = b->next) {
        uintptr_t base = (uintptr_t)b->tags;
        if (p >= base && p < base + sizeof b->tags)
            return (p - base) % sizeof(dr_tag) == 0 ? (dr_tag *)p : NULL;
    }
    return NULL;
}

void *glvf_ff_dr_tag_acquire(void)
{
    return tag_get();
}

void glvf_ff_dr_tag_release(void *tag)
{
    tag_put(tag);
}

bool glvf_ffmpeg_frame_is_direct(const AVFrame *frame)
{
    return tag_of(frame) != NULL;
}

static void dr_free(void *opaque, uint8_t *data)
{
    (void)data;
    dr_tag *t = opaque;
    glvf_staging *st = t->st;
    tag_put(t);
    glvf_staging_release(&st);
}

/* ---- reserve requests --------------------------------------------------- */

#define DR_RESERVE_MAX 16 /* regions of one layout asked for at once */

typedef struct dr_request {
    const void *owner;
    glvf_context *ctx;
    glvf_format format;
    int width, height, align;
    int count;
} dr_request;

/* A growable table on the core's heap (it grows while decoders warm up,
 * never in a steady state) freed when the last owner forgets its requests. */
static pthread_mutex_t req_lock = PTHREAD_MUTEX_INITIALIZER;
static dr_request *requests;
static size_t requests_cap;
static atomic_int requests_pending;

enum { LIMIT_LOST = 1 << 8, LIMIT_CAPPED = 1 << 9 }; /* glvf_ff_dr.logged bits */

void glvf_ff_dr_request(glvf_ff_dr *dr, glvf_context *ctx, glvf_format f, int w, int h, int align)
{
    const void *owner = dr->owner;
    pthread_mutex_lock(&req_lock);
    dr_request *free_slot = NULL, *hit = NULL;
    for (size_t i = 0; i < requests_cap; i++) {
        dr_request *r = &requests[i];
        if (!r->owner) {
            if (!free_slot)
                free_slot = r;
        } else if (r->owner == owner && r->ctx == ctx && r->format == f && r->width == w &&
                   r->height == h && r->align == align) {
            hit = r;
            break;
        }
    }
    if (!hit && !free_slot) {
        void *first, *grown = glvf_ff_table_grow(requests, &requests_cap, sizeof *requests, &first);
        if (grown) {
            requests = grown;
            free_slot = first;
        }
    }
    if (!hit && free_slot) {
        hit = free_slot;
        *hit = (dr_request){ owner, ctx, f, w, h, align, 0 };
    }
    bool added = hit && hit->count < DR_RESERVE_MAX;
    if (added) {
        hit->count++;
        atomic_fetch_add(&requests_pending, 1);
    }
    pthread_mutex_unlock(&req_lock);
    if (added)
        return;
    int bit = hit ? LIMIT_CAPPED : LIMIT_LOST;
    atomic_fetch_add_explicit(hit ? &dr->requests_capped : &dr->requests_lost, 1,
                              memory_order_relaxed);
    if (atomic_fetch_or(&dr->logged, bit) & bit)
        return;
    if (hit)
        glvf_ff_logf(dr->log, GLVF_LOG_DEBUG,
                     "direct rendering: %d staging regions of %dx%d %s are already asked for "
                     "and not yet made; a picture finding none adds no more "
                     "(stats.dr_requests_capped)",
                     DR_RESERVE_MAX, w, h, glvf_format_name(f));
    else
        glvf_ff_logf(dr->log, GLVF_LOG_WARN,
                     "direct rendering: out of memory for the reserve-request table: a "
                     "missing %dx%d %s staging region is not asked for "
                     "(stats.dr_requests_lost)",
                     w, h, glvf_format_name(f));
}

void glvf_ff_dr_forget(const void *owner)
{
    pthread_mutex_lock(&req_lock);
    bool any = false;
    for (size_t i = 0; i < requests_cap; i++) {
        if (requests[i].owner == owner) {
            atomic_fetch_sub(&requests_pending, requests[i].count);
            memset(&requests[i], 0, sizeof requests[i]);
        }
        any |= requests[i].owner != NULL;
    }
    if (!any) {
        glvf_priv_free(requests);
        requests = NULL;
        requests_cap = 0;
    }
    pthread_mutex_unlock(&req_lock);
}

int glvf_ff_dr_requests_pending(const glvf_context *ctx)
{
    int n = 0;
    pthread_mutex_lock(&req_lock);
    for (size_t i = 0; i < requests_cap; i++)
        if (requests[i].owner && requests[i].ctx == ctx)
            n += requests[i].count;
    pthread_mutex_unlock(&req_lock);
    return n;
}

/* GL thread of ctx: creates the regions asked for, one request at a time
 * (the lock is not held across the GL work). */
static void requests_service(glvf_context *ctx)
{
    for (;;) {
        if (atomic_load_explicit(&requests_pending, memory_order_relaxed) <= 0)
            return;
        dr_request todo = { 0 };
        pthread_mutex_lock(&req_lock);
        for (size_t i = 0; i < requests_cap; i++) {
            dr_request *r = &requests[i];
            if (r->owner && r->ctx == ctx && r->count > 0) {
                todo = *r;
                atomic_fetch_sub(&requests_pending, r->count);
                r->count = 0;
                break;
            }
        }
        pthread_mutex_unlock(&req_lock);
        if (!todo.owner)
            return;
        glvf_staging_reserve(ctx, todo.format, todo.width, todo.height, todo.align, todo.count);
    }
}

/* ---- get_buffer2 -------------------------------------------------------- */

enum { WHY_FORMAT, WHY_LAYOUT, WHY_NO_REGION, WHY_NO_TAG, WHY_COUNT };
static const char *const why_text[WHY_COUNT] = {
    "the pixel format is not carried by glvf",
    "the codec's buffer layout cannot be expressed as a staging region",
    "no free staging region (more are reserved on the GL thread's next upload)",
    "out of memory for the direct-rendering tags",
};

static int fallback(AVCodecContext *avctx, AVFrame *frame, int flags, glvf_ff_dr *dr, int why)
{
    atomic_fetch_add_explicit(&dr->fallbacks, 1, memory_order_relaxed);
    int bit = 1 << why;
    if (!(atomic_fetch_or(&dr->logged, bit) & bit))
        glvf_ff_logf(dr->log, why == WHY_NO_TAG ? GLVF_LOG_WARN : GLVF_LOG_DEBUG,
                     "direct rendering: a %dx%d %s picture falls back to FFmpeg's buffers: %s",
                     frame->width, frame->height, av_get_pix_fmt_name(frame->format),
                     why_text[why]);
    return avcodec_default_get_buffer2(avctx, frame, flags);
}

int glvf_ff_dr_get_buffer2(AVCodecContext *avctx, AVFrame *frame, int flags)
{
    glvf_ff_dr *dr = avctx->opaque;
    glvf_context *ctx = dr ? atomic_load_explicit(&dr->ctx, memory_order_acquire) : NULL;
    if (!ctx || avctx->codec_type != AVMEDIA_TYPE_VIDEO || frame->hw_frames_ctx)
        return avcodec_default_get_buffer2(avctx, frame, flags);
    glvf_format gf = glvf_ffmpeg_format_from_av(frame->format, NULL);
    if (gf == GLVF_FORMAT_NONE)
        return fallback(avctx, frame, flags, dr, WHY_FORMAT);

    /* FFmpeg's own sizing (libavcodec/get_buffer.c, update_frame_pool) */
    int w = frame->width, h = frame->height;
    int linesize_align[AV_NUM_DATA_POINTERS];
    avcodec_align_dimensions2(avctx, &w, &h, linesize_align);
    int align = 64;
    for (int i = 0; i < 4; i++)
        if (linesize_align[i] > align)
            align = linesize_align[i];
    if (align & (align - 1))
        return fallback(avctx, frame, flags, dr, WHY_LAYOUT);
    int linesize[4];
    for (int tries = 0;; tries++) {
        if (tries > 20 || w > (1 << 20) || av_image_fill_linesizes(linesize, frame->format, w) < 0)
            return fallback(avctx, frame, flags, dr, WHY_LAYOUT);
        bool aligned = true;
        for (int i = 0; i < 4; i++)
            aligned &= linesize[i] % align == 0;
        if (aligned)
            break;
        w += w & ~(w - 1); /* doubles the lowest set bit, as FFmpeg does */
    }
    /* FFmpeg pads every plane with 16 + STRIDE_ALIGN - 1 bytes for SIMD
     * over-reads; planes follow each other in a region, so only the last one
     * needs the spare rows (two luma rows give at least one chroma row of
     * `align` bytes or more; four give two). */
    int rh = h + 4;

    int err = 0;
    glvf_staging *st = glvf_staging_acquire(ctx, gf, w, rh, align, &err);
    if (!st) {
        if (err == -EAGAIN)
            glvf_ff_dr_request(dr, ctx, gf, w, rh, align);
        return fallback(avctx, frame, flags, dr, WHY_NO_REGION);
    }
    glvf_image *img = glvf_staging_image(st);
    int planes = glvf_format_planes(gf);
    const uint8_t *base = img->planes[0].data, *end = base;
    bool ok = true;
    for (int i = 0; i < planes && ok; i++) {
        glvf_plane_layout l;
        const uint8_t *p = img->planes[i].data;
        ok = glvf_plane_layout_get(ctx, gf, w, rh, i, &l) &&
             img->planes[i].stride == linesize[i] && p >= base &&
             (uintptr_t)p % (uintptr_t)align == 0;
        if (ok && p + (size_t)linesize[i] * (size_t)l.height > end)
            end = p + (size_t)linesize[i] * (size_t)l.height;
    }
    if (!ok) {
        glvf_staging_release(&st);
        return fallback(avctx, frame, flags, dr, WHY_LAYOUT);
    }
    dr_tag *t = tag_get();
    if (!t) {
        glvf_staging_release(&st);
        return fallback(avctx, frame, flags, dr, WHY_NO_TAG);
    }
    t->st = st;
    t->ctx = ctx;
    AVBufferRef *buf = av_buffer_create((uint8_t *)base, (size_t)(end - base), dr_free, t, 0);
    if (!buf) {
        tag_put(t);
        glvf_staging_release(&st);
        return AVERROR(ENOMEM);
    }
    frame->buf[0] = buf;
    for (int i = 0; i < AV_NUM_DATA_POINTERS; i++) {
        frame->data[i] = i < planes ? (uint8_t *)img->planes[i].data : NULL;
        frame->linesize[i] = i < planes ? linesize[i] : 0;
    }
    frame->extended_data = frame->data;
    atomic_fetch_add_explicit(&dr->pictures, 1, memory_order_relaxed);
    return 0;
}

/* ---- upload ------------------------------------------------------------- */

glvf_frame *glvf_ffmpeg_upload(glvf_context *ctx, const AVFrame *frame,
                               const glvf_upload_params *params, int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    glvf_image img;
    char why[512];
    int r = glvf_ffmpeg_image_from_frame(frame, &img, why, sizeof why);
    if (r < 0) {
        /* (the decoder refuses such frames before delivering them) */
        glvf_priv_logf(ctx, GLVF_LOG_ERROR, "glvf_ffmpeg_upload: %s", why);
        *err = r;
        return NULL;
    }
    glvf_frame *out = NULL;
    dr_tag *t = tag_of(frame);
    bool aligned = true;
    for (int i = 0; i < glvf_format_planes(img.format); i++)
        aligned &= (uintptr_t)img.planes[i].data % 4 == 0 && img.planes[i].stride > 0;
    if (t && t->ctx == ctx && aligned) {
        /* the region's descriptor takes the picture's real size, crop,
         * colorimetry and pts; the region stays with the AVFrame */
        glvf_image *si = glvf_staging_image(t->st);
        if (si && si->format == img.format) {
            *si = img;
            out = glvf_staging_upload(ctx, t->st, params, err);
            if (!out && *err == -EPERM)
                return NULL; /* not the GL thread: logged by glvf */
        }
    }
    if (!out)
        out = glvf_upload(ctx, &img, params, err);
    if (out)
        requests_service(ctx);
    return out;
}
