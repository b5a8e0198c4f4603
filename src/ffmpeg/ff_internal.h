/* Private to libglvf-ffmpeg (and its tests). */
#ifndef GLVF_FF_INTERNAL_H
#define GLVF_FF_INTERNAL_H

#include <glvf/glvf-ffmpeg.h>
#include <glvf/glvf.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define FF_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the core's heap and logging (src/glvf_priv.h) ---------------------- */
/* Every allocation of the module goes through glvf_priv_calloc/realloc and
 * glvf_priv_free: glvf_alloc_count() counts them, glvf_alloc_fail_nth()
 * fails them, with the core's. */
#include "glvf_priv.h"


/* ---- ff_common.c: logging, av_log routing -------------------------------- */

/* Doubles a zero-filled table `arr` of *cap `elem`-byte entries (8 at
 * first) on the core's heap: returns the new table (the caller stores it),
 * *cap updated, the new entries zeroed, *first the first of them; NULL when
 * out of memory (the table and *cap unchanged). The caller holds the
 * table's lock. */
void *glvf_ff_table_grow(void *arr, size_t *cap, size_t elem, void **first);

/* Where a decoder's messages go: its own callback (params.log) when it has
 * one (fn, user, level; level 0: GLVF_LOG_WARN), else its glvf context's
 * (params.ctx or the attached one: that context's callback and level), else
 * nowhere. `ctx` may be set later, from another thread (the attach). */
typedef struct glvf_ff_log {
    glvf_log_fn fn;
    void *user;
    glvf_log_level level;
    _Atomic(const glvf_context *) ctx;
} glvf_ff_log;
void glvf_ff_log_init(glvf_ff_log *log, glvf_log_fn fn, void *user, glvf_log_level level,
                      const glvf_context *ctx);
void glvf_ff_log_set_context(glvf_ff_log *log, const glvf_context *ctx);
/* True when a message at `level` would reach a callback. */
bool glvf_ff_log_enabled(const glvf_ff_log *log, glvf_log_level level);
void glvf_ff_logf(const glvf_ff_log *log, glvf_log_level level, const char *fmt, ...)
    FF_PRINTF(3, 4);
void glvf_ff_vlogf(const glvf_ff_log *log, glvf_log_level level, const char *fmt, va_list ap);

/* Registry of live decoders (for routing av_log messages): `owner` is what
 * the decoder stores in AVCodecContext.opaque / AVFormatContext.opaque;
 * `log` is borrowed until glvf_ff_registry_remove(). The registry grows on
 * the core's heap: false (logged through `log`) when it cannot, and that
 * decoder's FFmpeg messages then go to av_log_default_callback. */
bool glvf_ff_registry_add(void *owner, const glvf_ff_log *log);
void glvf_ff_registry_remove(void *owner);
/* Messages of unattributed FFmpeg contexts on this thread go to `owner`
 * (NULL: none). */
void glvf_ff_thread_owner(void *owner);

/* ---- ff_image.c --------------------------------------------------------- */
/* Clockwise rotation (0/90/180/270) and mirroring of a display matrix. */
void glvf_ff_display_matrix(const int32_t m[9], int *rotation, bool *flip_h, bool *flip_v);
/* The frame's colour: matrix, range, primaries, transfer, chroma siting, HDR
 * metadata (side data). Any thread. */
void glvf_ff_colour_from_frame(const AVFrame *frame, glvf_colorimetry *out);
/* "yuv420p, yuv422p, ..." of every AVPixelFormat carried. */
const char *glvf_ff_carried_list(void);
/* The AVPixelFormats carried, terminated by AV_PIX_FMT_NONE. */
const enum AVPixelFormat *glvf_ff_carried_formats(void);

/* ---- ff_dr.c: direct rendering ------------------------------------------ */
/* State a decoder keeps for its get_buffer2. */
typedef struct glvf_ff_dr {
    /* NULL: DR off (or not attached yet: glvf_ffmpeg_decoder_attach_context
     * publishes it while libavcodec's threads may be in get_buffer2) */
    _Atomic(glvf_context *) ctx;
    const void *owner;            /* the decoder: key of its reserve requests */
    const glvf_ff_log *log;
    _Atomic uint64_t fallbacks;
    _Atomic uint64_t pictures;
    /* reserve requests not recorded (the table could not grow) and not
     * added (DR_RESERVE_MAX regions of that layout already asked for) */
    _Atomic uint64_t requests_lost, requests_capped;
    _Atomic int logged; /* one line per kind of fallback or limit */
} glvf_ff_dr;

/* The get_buffer2 callback: avctx->opaque must point at a glvf_ff_dr (the
 * decoder's first member). Called on libavcodec's threads. */
int glvf_ff_dr_get_buffer2(AVCodecContext *avctx, AVFrame *frame, int flags);
/* Forgets the reserve requests of `owner` (decoder destroy). */
void glvf_ff_dr_forget(const void *owner);
/* Records that a picture of dr->owner found no free w x h `align` region of
 * `f` in ctx (get_buffer2 on -EAGAIN; exposed for tests): the next
 * glvf_ffmpeg_upload() on ctx reserves one more. Never dropped silently:
 * a request the table cannot record (out of memory) counts in
 * dr->requests_lost, one beyond DR_RESERVE_MAX pending for the layout in
 * dr->requests_capped, each logged once through dr->log. Any thread. */
void glvf_ff_dr_request(glvf_ff_dr *dr, glvf_context *ctx, glvf_format f, int w, int h, int align);
/* Test hooks (no GL): regions asked for in ctx and not yet made; a DR tag
 * claimed and released as get_buffer2 and the AVBuffer's free do (the
 * AVBuffer's opaque that glvf_ffmpeg_frame_is_direct() recognises). */
int glvf_ff_dr_requests_pending(const glvf_context *ctx);
void *glvf_ff_dr_tag_acquire(void);
void glvf_ff_dr_tag_release(void *tag);

/* ---- ff_convert.c: libswscale (optional) -------------------------------- */
typedef struct glvf_ff_convert glvf_ff_convert;
bool glvf_ff_convert_available(void);
/* The carried format a non-carried one converts to. */
enum AVPixelFormat glvf_ff_convert_target(enum AVPixelFormat src);
glvf_ff_convert *glvf_ff_convert_create(void);
/* Converts `src` into `dst` (unreferenced on entry; buffers from a pool).
 * Returns 0 or an AVERROR. */
int glvf_ff_convert_frame(glvf_ff_convert *c, const AVFrame *src, AVFrame *dst);
void glvf_ff_convert_destroy(glvf_ff_convert **pc);

/* ---- ff_audio.c: the audio stream's decoding thread (libswresample) ----- */
typedef struct glvf_ff_audio glvf_ff_audio;
/* Opens the decoder and resampler of `st` and starts the audio thread.
 * NULL (with one warning logged) when the stream cannot be decoded. */
glvf_ff_audio *glvf_ff_audio_open(AVStream *st, const char *path, const glvf_ff_log *log,
                                  void *owner, int queue_chunks);
/* Demux thread: queues a reference to `pkt` for `serial`; waits for room
 * (back-pressure). pkt NULL: end of stream. False when stopping. */
bool glvf_ff_audio_push(glvf_ff_audio *a, const AVPacket *pkt, uint64_t serial);
/* Any thread: a seek to target_us started `serial`: both queues flushed. */
void glvf_ff_audio_seek(glvf_ff_audio *a, uint64_t serial, int64_t target_us);
/* Wakes every waiter for good (destroy is next). */
void glvf_ff_audio_stop(glvf_ff_audio *a);
void glvf_ff_audio_destroy(glvf_ff_audio **pa);
int glvf_ff_audio_next(glvf_ff_audio *a, glvf_ffmpeg_audio_chunk **out, int timeout_ms);
void glvf_ff_audio_release(glvf_ff_audio *a, glvf_ffmpeg_audio_chunk **chunk);
void glvf_ff_audio_stats(glvf_ff_audio *a, glvf_ffmpeg_stats *out);
/* True when the audio consumer is short of chunks and no packet waits to be
 * decoded: the demux thread reads ahead of a full video queue. */
bool glvf_ff_audio_hungry(glvf_ff_audio *a);
/* The output sample rate (the stream's, or 48000). */
int glvf_ff_audio_rate(const glvf_ff_audio *a);

#endif
