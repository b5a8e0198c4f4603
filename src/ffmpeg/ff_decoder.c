/*
 * The decoder: a demux+decode thread feeding a bounded queue.
 *
 * Threads:
 *   decoder thread   av_read_frame / avcodec_send_packet / receive_frame,
 *                    pushes frames into the queue, waits when it is full
 *                    (back-pressure), performs seeks.
 *   libavcodec's     frame/slice threads; with DR they call get_buffer2.
 *   callers          next/release/seek/stats on any thread; destroy on any
 *                    thread but the decoder's.
 *
 * Everything shared is guarded by `lock`. A seek bumps `serial`: frames and
 * end/error statuses carry the serial they were produced under, and stale
 * ones are dropped, so nothing decoded before a seek is delivered after it.
 *
 * Memory: one AVPacket for the life of the decoder; AVFrame shells come from
 * a free list that release() refills, so steady-state decoding allocates no
 * AVFrame and nothing on the module's heap (FFmpeg itself still allocates its
 * small AVBufferRef structures per picture).
 */
#include "ff_internal.h"

#define FF_DISABLE_DEPRECATION_WARNINGS_GLVF                                                 \
    _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wdeprecated-declarations\"")
#define FF_ENABLE_DEPRECATION_WARNINGS_GLVF _Pragma("GCC diagnostic pop")

#include <libavutil/display.h>
#include <libavutil/mastering_display_metadata.h>
#include <libavutil/mathematics.h>
#include <libavutil/pixdesc.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define QUEUE_DEFAULT 4
#define QUEUE_MAX 64
#define FREE_EXTRA 8 /* AVFrame shells kept beyond the queue size */
#define STASH_CAP 512 /* video packets read ahead for the audio (see read_ahead) */
#define READ_AHEAD_POLL_MS 10

struct glvf_ffmpeg_decoder {
    glvf_ff_dr dr;                /* first: avctx->opaque points here */
    glvf_ff_log log;
    glvf_ffmpeg_info info;
    char codec_name[64], pix_fmt_name[64], container_name[128];
    bool stop_on_error;
    bool want_audio;
    glvf_ffmpeg_dr dr_mode;
    bool dr_deferred;             /* opened with defer_context, not attached yet */
    int audio_index;              /* the default audio stream, decoded or not; -1 */

    AVFormatContext *fmt;
    AVCodecContext *avctx;
    AVStream *stream;
    AVPacket *pkt;
    const uint8_t *stream_matrix; /* the stream's display matrix, or NULL */
    /* the container's HDR metadata (MP4 mdcv/clli, Matroska colour
     * elements), or NULL: given to frames whose codec sent none */
    const uint8_t *stream_mastering, *stream_light;
    int32_t sticky_matrix[9];     /* the last one a frame carried (decoder thread) */
    bool have_sticky;
    glvf_ff_convert *convert;
    enum AVPixelFormat convert_to;
    AVStream *audio_stream;       /* the audio stream (params.audio), or NULL */
    glvf_ff_audio *audio;         /* its thread, queues and resampler */
    char audio_codec_name[64];

    pthread_t thread;
    bool thread_started;
    atomic_bool quit;             /* read by the I/O interrupt callback */
    bool (*user_interrupt)(void *); /* the caller's, during open only */
    void *user_interrupt_arg;
    atomic_bool opening;

    /* ---- guarded by lock ---- */
    pthread_mutex_t lock;
    pthread_cond_t cond_consumer; /* frame/status pushed, quit, callers left */
    pthread_cond_t cond_producer; /* room in the queue, seek, quit */
    bool sync_init;
    AVFrame **queue;              /* ring of qcap */
    int qcap, qhead, qlen;
    AVFrame **free_frames;        /* recycled shells */
    int free_cap, free_len;
    uint64_t serial;              /* bumped by every seek */
    bool seek_pending;
    int64_t seek_us;
    int status;                   /* end (EOF or error) of serial status_serial */
    uint64_t status_serial;
    bool has_status;
    int callers;                  /* inside next/seek/release */
    glvf_ffmpeg_stats stats;
    int last_code;
    char last_error[520];
};

/* ---- logging and errors ------------------------------------------------- */

static void dec_log(glvf_ffmpeg_decoder *d, glvf_log_level level, const char *fmt, ...)
    FF_PRINTF(3, 4);
static void dec_log(glvf_ffmpeg_decoder *d, glvf_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    glvf_ff_vlogf(&d->log, level, fmt, ap);
    va_end(ap);
}

/* Records (and logs at `level`) an error: "<path>: <what>: <av error>". */
static void dec_error(glvf_ffmpeg_decoder *d, glvf_log_level level, int code, const char *fmt,
                      ...) FF_PRINTF(4, 5);
static void dec_error(glvf_ffmpeg_decoder *d, glvf_log_level level, int code, const char *fmt,
                      ...)
{
    char what[384], err[128], msg[520];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    glvf_ffmpeg_strerror(code, err, sizeof err);
    snprintf(msg, sizeof msg, "%s (%s)", what, err);
    if (d->sync_init) {
        pthread_mutex_lock(&d->lock);
        d->last_code = code;
        snprintf(d->last_error, sizeof d->last_error, "%s", msg);
        pthread_mutex_unlock(&d->lock);
    } else {
        d->last_code = code;
        snprintf(d->last_error, sizeof d->last_error, "%s", msg);
    }
    glvf_ff_logf(&d->log, level, "%s", msg);
}

static int interrupt_cb(void *opaque)
{
    glvf_ffmpeg_decoder *d = opaque;
    if (atomic_load_explicit(&d->quit, memory_order_relaxed))
        return 1;
    /* the caller's, while the open runs (on the opening thread) */
    return d->user_interrupt && atomic_load_explicit(&d->opening, memory_order_relaxed) &&
           d->user_interrupt(d->user_interrupt_arg);
}

/* ---- frame shells ------------------------------------------------------- */

/* A clean AVFrame: recycled, or newly allocated. Lock NOT held. */
static AVFrame *frame_get(glvf_ffmpeg_decoder *d)
{
    AVFrame *f = NULL;
    pthread_mutex_lock(&d->lock);
    if (d->free_len)
        f = d->free_frames[--d->free_len];
    pthread_mutex_unlock(&d->lock);
    if (f)
        return f;
    f = av_frame_alloc();
    if (f) {
        pthread_mutex_lock(&d->lock);
        d->stats.avframes_allocated++;
        pthread_mutex_unlock(&d->lock);
    }
    return f;
}

/* Unreferences `f` and keeps the shell. Lock NOT held. */
static void frame_put(glvf_ffmpeg_decoder *d, AVFrame *f)
{
    if (!f)
        return;
    av_frame_unref(f);
    pthread_mutex_lock(&d->lock);
    if (d->free_len < d->free_cap) {
        d->free_frames[d->free_len++] = f;
        f = NULL;
    }
    pthread_mutex_unlock(&d->lock);
    av_frame_free(&f);
}

/* Empties the queue into `out` (qcap entries). Lock held. */
static int queue_take_all(glvf_ffmpeg_decoder *d, AVFrame **out)
{
    int n = 0;
    while (d->qlen) {
        out[n++] = d->queue[d->qhead];
        d->queue[d->qhead] = NULL;
        d->qhead = (d->qhead + 1) % d->qcap;
        d->qlen--;
    }
    d->stats.queue_depth = 0;
    return n;
}

/* ---- the decoder thread ------------------------------------------------- */

typedef struct run_state {
    uint64_t serial;         /* the serial this thread works for */
    bool at_end;             /* status pushed for `serial` */
    bool draining;           /* NULL packet sent */
    int drain_errors;
    bool pkt_pending;        /* d->pkt holds a packet not yet accepted */
    int read_error;          /* demuxer error met; reported after draining */
    int64_t target_us;       /* accurate seek: drop frames before; NOPTS: none */
    bool first_after_seek;
    bool reseeked;
    int nopts_dropped;
    int64_t last_pts;        /* of the last frame decoded */
    /* read ahead for the audio while the video queue is full: video packets
     * kept in order, and the read's end when it met one */
    AVPacket *stash[STASH_CAP];
    int shead, slen;
    bool stash_end;
    int stash_end_code;
    bool audio_end_sent;     /* the audio's end was routed (read ahead) */
} run_state;

static void stash_clear(run_state *rs)
{
    rs->audio_end_sent = false;
    while (rs->slen) {
        av_packet_free(&rs->stash[rs->shead]);
        rs->shead = (rs->shead + 1) % STASH_CAP;
        rs->slen--;
    }
    rs->stash_end = false;
}

/* Decoder thread, lock NOT held, the video queue full. With audio on, the
 * audio must not starve behind the video's back-pressure (the demuxer
 * interleaves both): while the audio consumer is short of chunks, packets
 * are read on, audio ones routed, video ones kept in `stash` for later (in
 * order; bounded). Returns true when it read something. */
static bool read_ahead(glvf_ffmpeg_decoder *d, run_state *rs)
{
    if (!d->audio || rs->slen == STASH_CAP || rs->stash_end || !glvf_ff_audio_hungry(d->audio))
        return false;
    AVPacket *p = av_packet_alloc();
    if (!p)
        return false;
    int r = av_read_frame(d->fmt, p);
    if (r == AVERROR(EAGAIN)) {
        av_packet_free(&p);
        return true;
    }
    if (r < 0) {
        av_packet_free(&p);
        if (!atomic_load(&d->quit)) {
            rs->stash_end = true; /* handled in order, after the stash */
            rs->stash_end_code = r;
            /* but the audio ends now: its consumer must not wait for the
             * video to catch up (an audio clock would stand still) */
            glvf_ff_audio_push(d->audio, NULL, rs->serial);
            rs->audio_end_sent = true;
        }
        return false;
    }
    if (p->stream_index == d->audio_stream->index) {
        glvf_ff_audio_push(d->audio, p, rs->serial);
        av_packet_free(&p);
        return true;
    }
    if (p->stream_index != d->stream->index) {
        av_packet_free(&p);
        return true;
    }
    rs->stash[(rs->shead + rs->slen) % STASH_CAP] = p;
    rs->slen++;
    return true;
}

/* Pushes the end of the stream (EOF or an error) for rs->serial. */
static void push_status(glvf_ffmpeg_decoder *d, run_state *rs, int code)
{
    pthread_mutex_lock(&d->lock);
    if (d->serial == rs->serial) {
        d->status = code;
        d->status_serial = rs->serial;
        d->has_status = true;
        pthread_cond_broadcast(&d->cond_consumer);
    }
    pthread_mutex_unlock(&d->lock);
    rs->at_end = true;
}

static int seek_to(glvf_ffmpeg_decoder *d, int64_t ts, int flags)
{
    int r = avformat_seek_file(d->fmt, d->stream->index, INT64_MIN, ts, ts, flags);
    if (r < 0)
        r = av_seek_frame(d->fmt, d->stream->index, ts, flags | AVSEEK_FLAG_BACKWARD);
    return r;
}

static int64_t stream_start(const glvf_ffmpeg_decoder *d)
{
    return d->stream->start_time != AV_NOPTS_VALUE ? d->stream->start_time : INT64_MIN;
}

static void do_seek(glvf_ffmpeg_decoder *d, run_state *rs, int64_t us)
{
    int64_t ts = av_rescale_q(us, AV_TIME_BASE_Q, d->stream->time_base);
    int r = seek_to(d, ts, 0);
    if (r < 0) {
        /* no index entry at or before: from the start (accurate, slower) */
        r = seek_to(d, stream_start(d), AVSEEK_FLAG_ANY);
        if (r < 0)
            r = avformat_seek_file(d->fmt, -1, INT64_MIN, 0, 0, AVSEEK_FLAG_BYTE);
    }
    avcodec_flush_buffers(d->avctx);
    av_packet_unref(d->pkt);
    stash_clear(rs);
    rs->pkt_pending = false;
    rs->draining = false;
    rs->drain_errors = 0;
    rs->at_end = false;
    rs->read_error = 0;
    rs->target_us = us;
    rs->first_after_seek = true;
    rs->reseeked = false;
    rs->nopts_dropped = 0;
    if (r < 0 && !atomic_load(&d->quit)) {
        dec_error(d, GLVF_LOG_ERROR, r, "seek to %lld us failed", (long long)us);
        push_status(d, rs, r);
    }
}

/* Returns false when the frame is to be dropped. */
static bool frame_wanted(glvf_ffmpeg_decoder *d, run_state *rs, AVFrame *f)
{
    if (rs->target_us == AV_NOPTS_VALUE)
        return true;
    if (f->pts == AV_NOPTS_VALUE) {
        /* cannot tell where it is: dropped while a target is pending,
         * unless the stream has no timestamps at all */
        if (++rs->nopts_dropped <= 64)
            return false;
        rs->target_us = AV_NOPTS_VALUE;
        return true;
    }
    rs->nopts_dropped = 0;
    AVRational tb = d->stream->time_base;
    if (rs->first_after_seek) {
        rs->first_after_seek = false;
        /* The demuxer landed after the target (an imprecise index): frames
         * between the target and here were skipped. Decode from the start
         * instead, once. */
        if (!rs->reseeked && av_compare_ts(f->pts, tb, rs->target_us, AV_TIME_BASE_Q) > 0 &&
            (stream_start(d) == INT64_MIN || f->pts > stream_start(d))) {
            int64_t target = rs->target_us;
            int r = seek_to(d, stream_start(d), AVSEEK_FLAG_ANY);
            if (r >= 0) {
                dec_log(d, GLVF_LOG_DEBUG,
                        "seek to %lld us landed at pts %lld: decoding from the start",
                        (long long)target, (long long)f->pts);
                avcodec_flush_buffers(d->avctx);
                av_packet_unref(d->pkt);
                stash_clear(rs);
                rs->pkt_pending = false;
                rs->draining = false;
                rs->first_after_seek = false;
                rs->reseeked = true;
                return false;
            }
        }
    }
    /* the frame nearest the target: the first one at most half a frame
     * before it (a target computed from a rounded position still lands on
     * the frame meant, not the one after) */
    int64_t half = d->info.frame_rate.num > 0 && d->info.frame_rate.den > 0
                           ? av_rescale(500000, d->info.frame_rate.den, d->info.frame_rate.num)
                           : 0;
    /* (strictly: of two frames equally near, the later; with no frame rate
     * known, the first at or after the target) */
    int c = av_compare_ts(f->pts, tb, rs->target_us - half, AV_TIME_BASE_Q);
    if (half ? c <= 0 : c < 0)
        return false;
    rs->target_us = AV_NOPTS_VALUE;
    return true;
}

/* At a clean end of stream: a stream that stops well before the duration
 * its container declares is most likely a truncated file, which demuxers
 * such as Matroska's report only as end of file. Warns. */
static void check_early_end(glvf_ffmpeg_decoder *d, const run_state *rs)
{
    const glvf_ffmpeg_info *in = &d->info;
    if (rs->last_pts == AV_NOPTS_VALUE || in->duration_us <= 0 || rs->reseeked)
        return;
    int64_t last = av_rescale_q(rs->last_pts, d->stream->time_base, AV_TIME_BASE_Q);
    int64_t start = in->start_time_us != GLVF_FFMPEG_NOPTS ? in->start_time_us : 0;
    int64_t end = start + in->duration_us;
    int64_t frame = in->frame_rate.num > 0
                            ? av_rescale(1000000, in->frame_rate.den, in->frame_rate.num)
                            : 40000;
    int64_t gap = end - last;
    if (gap > 3 * frame && gap > in->duration_us / 10)
        dec_log(d, GLVF_LOG_WARN,
                "the stream ended at %.3f s of the %.3f s its container declares: the file "
                "may be truncated",
                (double)(last - start) / 1e6, (double)in->duration_us / 1e6);
}

/* Queues *pf (taking it) unless the serial changed or quit; waits while the
 * queue is full. */
static void push_frame(glvf_ffmpeg_decoder *d, run_state *rs, AVFrame **pf)
{
    AVFrame *f = *pf;
    *pf = NULL;
    pthread_mutex_lock(&d->lock);
    while (!atomic_load(&d->quit) && d->serial == rs->serial && d->qlen == d->qcap) {
        if (!d->audio) {
            pthread_cond_wait(&d->cond_producer, &d->lock);
            continue;
        }
        pthread_mutex_unlock(&d->lock);
        bool more = read_ahead(d, rs);
        pthread_mutex_lock(&d->lock);
        if (more || atomic_load(&d->quit) || d->serial != rs->serial || d->qlen < d->qcap)
            continue;
        /* the audio consumer empties its queue without waking this one */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += READ_AHEAD_POLL_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&d->cond_producer, &d->lock, &ts);
    }
    if (!atomic_load(&d->quit) && d->serial == rs->serial) {
        d->queue[(d->qhead + d->qlen) % d->qcap] = f;
        d->qlen++;
        d->stats.queue_depth = d->qlen;
        f = NULL;
        pthread_cond_broadcast(&d->cond_consumer);
    } else {
        d->stats.frames_dropped++;
    }
    pthread_mutex_unlock(&d->lock);
    frame_put(d, f);
}

static void handle_frame(glvf_ffmpeg_decoder *d, run_state *rs, AVFrame **pf)
{
    AVFrame *f = *pf;
    bool direct = glvf_ffmpeg_frame_is_direct(f);
    bool corrupt = (f->flags & AV_FRAME_FLAG_CORRUPT) != 0;
    if (f->best_effort_timestamp != AV_NOPTS_VALUE)
        f->pts = f->best_effort_timestamp;
    pthread_mutex_lock(&d->lock);
    d->stats.frames_decoded++;
    d->stats.dr_frames += direct;
    d->stats.frames_corrupt += corrupt;
    pthread_mutex_unlock(&d->lock);

    if (f->pts != AV_NOPTS_VALUE)
        rs->last_pts = f->pts;
    if (!frame_wanted(d, rs, f)) {
        av_frame_unref(f); /* keep the shell for the next frame */
        pthread_mutex_lock(&d->lock);
        d->stats.frames_dropped++;
        pthread_mutex_unlock(&d->lock);
        return;
    }
    if (!f->sample_aspect_ratio.num)
        f->sample_aspect_ratio = av_guess_sample_aspect_ratio(d->fmt, d->stream, f);
    /* The orientation: the frame's own display matrix (H.264/HEVC display
     * orientation SEI: FFmpeg 5.1 exports it on the frames that carry the
     * message only, while it persists in the stream), else the last one a
     * frame carried, else the container's. */
    const AVFrameSideData *own = av_frame_get_side_data(f, AV_FRAME_DATA_DISPLAYMATRIX);
    if (own && own->size >= sizeof d->sticky_matrix) {
        memcpy(d->sticky_matrix, own->data, sizeof d->sticky_matrix);
        d->have_sticky = true;
    } else if (d->have_sticky || d->stream_matrix) {
        AVFrameSideData *sd =
                av_frame_new_side_data(f, AV_FRAME_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t));
        if (sd)
            memcpy(sd->data, d->have_sticky ? (const void *)d->sticky_matrix : d->stream_matrix,
                   9 * sizeof(int32_t));
    }
    /* HDR metadata: the frame's own (HEVC/AV1 SEI and OBUs), else the
     * container's */
    if (d->stream_mastering &&
        !av_frame_get_side_data(f, AV_FRAME_DATA_MASTERING_DISPLAY_METADATA)) {
        AVFrameSideData *sd = av_frame_new_side_data(f, AV_FRAME_DATA_MASTERING_DISPLAY_METADATA,
                                                     sizeof(AVMasteringDisplayMetadata));
        if (sd)
            memcpy(sd->data, d->stream_mastering, sizeof(AVMasteringDisplayMetadata));
    }
    if (d->stream_light && !av_frame_get_side_data(f, AV_FRAME_DATA_CONTENT_LIGHT_LEVEL)) {
        AVFrameSideData *sd = av_frame_new_side_data(f, AV_FRAME_DATA_CONTENT_LIGHT_LEVEL,
                                                     sizeof(AVContentLightMetadata));
        if (sd)
            memcpy(sd->data, d->stream_light, sizeof(AVContentLightMetadata));
    }
    if (glvf_ffmpeg_format_from_av(f->format, NULL) == GLVF_FORMAT_NONE) {
        if (!d->convert) {
            dec_error(d, GLVF_LOG_ERROR, -ENOTSUP,
                      "decoded pixel format '%s' is not supported by glvf (supported: %s); "
                      "open with .convert = true to convert it with libswscale",
                      av_get_pix_fmt_name(f->format) ? av_get_pix_fmt_name(f->format) : "none",
                      glvf_ff_carried_list());
            av_frame_unref(f);
            push_status(d, rs, -ENOTSUP);
            return;
        }
        AVFrame *c = frame_get(d);
        int r = c ? glvf_ff_convert_frame(d->convert, f, c) : AVERROR(ENOMEM);
        if (r < 0) {
            dec_error(d, GLVF_LOG_ERROR, r, "converting a %s frame failed",
                      av_get_pix_fmt_name(f->format));
            frame_put(d, c);
            av_frame_unref(f);
            push_status(d, rs, r);
            return;
        }
        av_frame_unref(f);
        pthread_mutex_lock(&d->lock);
        d->stats.frames_converted++;
        pthread_mutex_unlock(&d->lock);
        frame_put(d, f); /* the shell goes back; the converted one is queued */
        *pf = c;
    }
    push_frame(d, rs, pf);
}

static void decode_error(glvf_ffmpeg_decoder *d, run_state *rs, int code, const char *what)
{
    pthread_mutex_lock(&d->lock);
    d->stats.decode_errors++;
    pthread_mutex_unlock(&d->lock);
    if (d->stop_on_error) {
        dec_error(d, GLVF_LOG_ERROR, code, "%s", what);
        push_status(d, rs, code);
    } else {
        dec_error(d, GLVF_LOG_WARN, code, "%s; skipped", what);
    }
}

static void *decoder_thread(void *arg)
{
    glvf_ffmpeg_decoder *d = arg;
    glvf_ff_thread_owner(d);
    run_state rs = { .target_us = AV_NOPTS_VALUE, .last_pts = AV_NOPTS_VALUE };
    AVFrame *work = NULL;
    for (;;) {
        pthread_mutex_lock(&d->lock);
        while (!atomic_load(&d->quit) && !d->seek_pending && rs.at_end &&
               rs.serial == d->serial)
            pthread_cond_wait(&d->cond_producer, &d->lock);
        if (atomic_load(&d->quit)) {
            pthread_mutex_unlock(&d->lock);
            break;
        }
        bool seek = d->seek_pending;
        int64_t seek_us = d->seek_us;
        d->seek_pending = false;
        rs.serial = d->serial;
        pthread_mutex_unlock(&d->lock);
        if (seek) {
            do_seek(d, &rs, seek_us);
            continue;
        }

        if (!work && !(work = frame_get(d))) {
            dec_error(d, GLVF_LOG_ERROR, AVERROR(ENOMEM), "out of memory for a frame");
            push_status(d, &rs, AVERROR(ENOMEM));
            continue;
        }
        int r = avcodec_receive_frame(d->avctx, work);
        if (r == 0) {
            handle_frame(d, &rs, &work);
            continue;
        }
        if (r == AVERROR_EOF) {
            if (rs.read_error)
                dec_error(d, GLVF_LOG_ERROR, rs.read_error,
                          "reading the file failed; the stream ends early");
            else
                check_early_end(d, &rs);
            push_status(d, &rs, rs.read_error ? rs.read_error : AVERROR_EOF);
            continue;
        }
        if (r != AVERROR(EAGAIN)) {
            decode_error(d, &rs, r, "decoding a frame failed");
            if (rs.at_end)
                continue;
            if (rs.draining) {
                /* the remaining frames may still come out; a decoder that
                 * keeps failing ends the stream */
                if (++rs.drain_errors > 64)
                    push_status(d, &rs, rs.read_error ? rs.read_error : AVERROR_EOF);
                continue;
            }
        }
        if (rs.draining) {
            /* EAGAIN after the flush packet: should not happen */
            push_status(d, &rs, AVERROR_EOF);
            continue;
        }

        if (!rs.pkt_pending) {
            if (rs.slen) { /* read ahead earlier, in order */
                av_packet_move_ref(d->pkt, rs.stash[rs.shead]);
                av_packet_free(&rs.stash[rs.shead]);
                rs.shead = (rs.shead + 1) % STASH_CAP;
                rs.slen--;
                r = 0;
            } else if (rs.stash_end) {
                rs.stash_end = false;
                r = rs.stash_end_code;
            } else {
                r = av_read_frame(d->fmt, d->pkt);
            }
            if (r == AVERROR(EAGAIN))
                continue;
            if (r < 0) {
                if (atomic_load(&d->quit))
                    break;
                if (r != AVERROR_EOF) {
                    pthread_mutex_lock(&d->lock);
                    d->stats.decode_errors++;
                    pthread_mutex_unlock(&d->lock);
                    if (d->stop_on_error) {
                        dec_error(d, GLVF_LOG_ERROR, r, "reading a packet failed");
                        push_status(d, &rs, r);
                        continue;
                    }
                    rs.read_error = r;
                }
                avcodec_send_packet(d->avctx, NULL); /* drain */
                rs.draining = true;
                if (d->audio && !rs.audio_end_sent &&
                    !glvf_ff_audio_push(d->audio, NULL, rs.serial))
                    break;
                continue;
            }
            if (d->audio && d->pkt->stream_index == d->audio_stream->index) {
                /* routed to the audio thread (waits while its queue is full) */
                bool go_on = glvf_ff_audio_push(d->audio, d->pkt, rs.serial);
                av_packet_unref(d->pkt);
                if (!go_on)
                    break;
                continue;
            }
            if (d->pkt->stream_index != d->stream->index) {
                av_packet_unref(d->pkt);
                continue;
            }
            pthread_mutex_lock(&d->lock);
            d->stats.packets_read++;
            pthread_mutex_unlock(&d->lock);
        }
        r = avcodec_send_packet(d->avctx, d->pkt);
        if (r == AVERROR(EAGAIN)) {
            rs.pkt_pending = true; /* receive first, then send it again */
            continue;
        }
        rs.pkt_pending = false;
        if (r < 0) {
            char what[96];
            snprintf(what, sizeof what, "decoding the packet at pts %lld failed",
                     (long long)d->pkt->pts);
            decode_error(d, &rs, r, what);
        }
        av_packet_unref(d->pkt);
    }
    if (work)
        av_frame_free(&work);
    stash_clear(&rs);
    glvf_ff_thread_owner(NULL);
    return NULL;
}

/* ---- open / destroy ----------------------------------------------------- */

static void decoder_free(glvf_ffmpeg_decoder *d)
{
    if (!d)
        return;
    if (d->queue) {
        for (int i = 0; i < d->qcap; i++)
            av_frame_free(&d->queue[i]);
        glvf_priv_free(d->queue);
    }
    if (d->free_frames) {
        for (int i = 0; i < d->free_len; i++)
            av_frame_free(&d->free_frames[i]);
        glvf_priv_free(d->free_frames);
    }
    glvf_ff_audio_destroy(&d->audio); /* its codec and resampler too */
    /* frees the codec's pictures, DR ones included (their regions go back) */
    avcodec_free_context(&d->avctx);
    avformat_close_input(&d->fmt);
    av_packet_free(&d->pkt);
    glvf_ff_convert_destroy(&d->convert);
    glvf_ff_dr_forget(d);
    glvf_ff_registry_remove(d);
    if (d->sync_init) {
        pthread_mutex_destroy(&d->lock);
        pthread_cond_destroy(&d->cond_consumer);
        pthread_cond_destroy(&d->cond_producer);
    }
    glvf_priv_free(d);
}

static glvf_rational rational(AVRational q)
{
    return (glvf_rational){ q.num, q.den };
}

static const char *media_type_list(const AVFormatContext *fmt, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < fmt->nb_streams && len + 1 < n; i++) {
        const AVCodecParameters *p = fmt->streams[i]->codecpar;
        const char *t = av_get_media_type_string(p->codec_type);
        int k = snprintf(buf + len, n - len, "%s%s%s%s", i ? ", " : "", t ? t : "unknown",
                         (fmt->streams[i]->disposition & AV_DISPOSITION_ATTACHED_PIC)
                                 ? " (attached picture)"
                                 : "",
                         "");
        if (k < 0)
            break;
        len += (size_t)k;
    }
    return buf;
}

static int open_input(glvf_ffmpeg_decoder *d, const char *path, const char *protocols,
                      int io_timeout_ms)
{
    d->fmt = avformat_alloc_context();
    if (!d->fmt)
        return AVERROR(ENOMEM);
    d->fmt->interrupt_callback.callback = interrupt_cb;
    d->fmt->interrupt_callback.opaque = d;
    d->fmt->opaque = d;
    /* local input unless the caller allows more: a playlist or concat file
     * must not make FFmpeg open network URLs behind the caller's back */
    AVDictionary *opts = NULL;
    int r = av_dict_set(&opts, "protocol_whitelist", protocols ? protocols : "file,pipe,fd", 0);
    if (r >= 0 && io_timeout_ms > 0)
        r = av_dict_set_int(&opts, "rw_timeout", (int64_t)io_timeout_ms * 1000, 0);
    if (r < 0) {
        avformat_free_context(d->fmt);
        d->fmt = NULL;
        return r;
    }
    r = avformat_open_input(&d->fmt, path, NULL, &opts);
    av_dict_free(&opts);
    if (r == AVERROR_EXIT) { /* the caller's interrupt */
        dec_error(d, GLVF_LOG_INFO, r, "opening '%s' was cancelled", path);
        return r;
    }
    if (r < 0) { /* fmt was freed and cleared */
        dec_error(d, GLVF_LOG_ERROR, r, "cannot open '%s'", path);
        return r;
    }
    r = avformat_find_stream_info(d->fmt, NULL);
    if (r == AVERROR_EXIT) {
        dec_error(d, GLVF_LOG_INFO, r, "opening '%s' was cancelled", path);
        return r;
    }
    if (r < 0) {
        dec_error(d, GLVF_LOG_ERROR, r, "'%s': cannot read stream information", path);
        return r;
    }
    snprintf(d->container_name, sizeof d->container_name, "%s",
             d->fmt->iformat && d->fmt->iformat->name ? d->fmt->iformat->name : "?");

    const AVCodec *codec = NULL;
    int idx = -1;
    /* the best video stream that is not cover art */
    for (int tries = 0; tries < 2; tries++) {
        idx = av_find_best_stream(d->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
        if (idx < 0 || !(d->fmt->streams[idx]->disposition & AV_DISPOSITION_ATTACHED_PIC))
            break;
        d->fmt->streams[idx]->discard = AVDISCARD_ALL; /* skip it next time */
        idx = AVERROR_STREAM_NOT_FOUND;
    }
    if (idx < 0) {
        char types[256];
        if (idx == AVERROR_DECODER_NOT_FOUND) {
            int v = av_find_best_stream(d->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
            const char *name = v >= 0 ? avcodec_get_name(d->fmt->streams[v]->codecpar->codec_id)
                                      : "?";
            dec_error(d, GLVF_LOG_ERROR, idx, "'%s': no decoder for its %s video stream", path,
                      name);
        } else {
            dec_error(d, GLVF_LOG_ERROR, idx, "'%s' (%s) has no video stream (streams: %s)",
                      path, d->container_name,
                      d->fmt->nb_streams ? media_type_list(d->fmt, types, sizeof types)
                                         : "none");
        }
        return idx;
    }
    d->stream = d->fmt->streams[idx];
    /* the default audio stream: reported in info even when not decoded */
    int aidx = av_find_best_stream(d->fmt, AVMEDIA_TYPE_AUDIO, -1, idx, NULL, 0);
    d->audio_index = aidx >= 0 ? aidx : -1;
    if (!d->want_audio)
        aidx = -1;
    else if (aidx >= 0)
        d->audio_stream = d->fmt->streams[aidx];
    for (unsigned i = 0; i < d->fmt->nb_streams; i++)
        if ((int)i != idx && (int)i != aidx)
            d->fmt->streams[i]->discard = AVDISCARD_ALL;
    size_t sd_size = 0;
    const uint8_t *sd = av_stream_get_side_data(d->stream, AV_PKT_DATA_DISPLAYMATRIX, &sd_size);
    if (sd && sd_size >= 9 * sizeof(int32_t))
        d->stream_matrix = sd;
    sd = av_stream_get_side_data(d->stream, AV_PKT_DATA_MASTERING_DISPLAY_METADATA, &sd_size);
    if (sd && sd_size >= sizeof(AVMasteringDisplayMetadata))
        d->stream_mastering = sd;
    sd = av_stream_get_side_data(d->stream, AV_PKT_DATA_CONTENT_LIGHT_LEVEL, &sd_size);
    if (sd && sd_size >= sizeof(AVContentLightMetadata))
        d->stream_light = sd;
    return 0;
}

/* Why direct rendering stays off with `ctx` (NULL: it may go on). */
static const char *dr_refusal(glvf_ffmpeg_decoder *d, glvf_context *ctx)
{
    const AVCodec *codec = d->avctx->codec ? d->avctx->codec
                                           : avcodec_find_decoder(d->stream->codecpar->codec_id);
    glvf_format stream_fmt = glvf_ffmpeg_format_from_av(d->stream->codecpar->format, NULL);
    if (!codec || !(codec->capabilities & AV_CODEC_CAP_DR1))
        return "the codec does not support it (no AV_CODEC_CAP_DR1)";
    glvf_stats cs;
    glvf_context_get_stats(ctx, &cs);
    if (d->dr_mode == GLVF_FFMPEG_DR_AUTO && !cs.staging_mapped)
        return "the upload strategy does not map staging memory (regions would be CPU "
               "memory: not pbo-persistent)";
    if (d->stream->codecpar->format != AV_PIX_FMT_NONE && stream_fmt == GLVF_FORMAT_NONE)
        return "the stream's pixel format is not carried";
    if (d->dr_mode == GLVF_FFMPEG_DR_AUTO) {
        /* the core's mapped-read probe: codecs read their reference
         * pictures back, which uncached mappings make many times slower */
        if (!cs.staging_reads_fast)
            return cs.staging_read_mapped_mbps
                           ? "mapped staging memory reads less than half as fast as heap memory "
                             "(glvf_stats.staging_read_mapped_mbps)"
                           : "the mapped-read probe did not run";
    }
    return NULL;
}

static int open_codec(glvf_ffmpeg_decoder *d, const glvf_ffmpeg_decoder_params *p)
{
    const AVCodec *codec = avcodec_find_decoder(d->stream->codecpar->codec_id);
    if (!codec) {
        dec_error(d, GLVF_LOG_ERROR, AVERROR_DECODER_NOT_FOUND, "'%s': no decoder for %s",
                  p->path, avcodec_get_name(d->stream->codecpar->codec_id));
        return AVERROR_DECODER_NOT_FOUND;
    }
    snprintf(d->codec_name, sizeof d->codec_name, "%s", codec->name);
    d->avctx = avcodec_alloc_context3(codec);
    if (!d->avctx)
        return AVERROR(ENOMEM);
    int r = avcodec_parameters_to_context(d->avctx, d->stream->codecpar);
    if (r < 0) {
        dec_error(d, GLVF_LOG_ERROR, r, "'%s': bad codec parameters", p->path);
        return r;
    }
    d->avctx->pkt_timebase = d->stream->time_base;
    d->avctx->opaque = d; /* == &d->dr */
    d->avctx->thread_count = p->threads > 0 ? p->threads : 0;
    d->avctx->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;

    /* direct rendering: decided now with a context, at attach time with
     * one given later (defer_context) */
    bool want = false, install = false;
    if (p->direct_rendering != GLVF_FFMPEG_DR_OFF && (p->ctx || p->defer_context)) {
        d->dr_mode = p->direct_rendering;
        const char *no = p->ctx ? dr_refusal(d, p->ctx)
                                : !(codec->capabilities & AV_CODEC_CAP_DR1)
                                          ? "the codec does not support it (no AV_CODEC_CAP_DR1)"
                                          : NULL;
        if (no)
            dec_log(d, GLVF_LOG_INFO, "'%s': direct rendering off: %s", p->path, no);
        else if (p->ctx)
            want = install = true;
        else
            install = d->dr_deferred = true; /* get_buffer2 waits for the context */
    }
    if (install) {
        atomic_store_explicit(&d->dr.ctx, want ? p->ctx : NULL, memory_order_release);
        d->dr.owner = d;
        d->dr.log = &d->log;
        d->avctx->get_buffer2 = glvf_ff_dr_get_buffer2;
#if FF_API_THREAD_SAFE_CALLBACKS
        /* glvf_ff_dr_get_buffer2 is thread-safe (glvf_staging_acquire is an
         * any-thread call). Before libavcodec 60 an unmarked callback makes
         * frame threads hand every allocation to one thread, with a warning. */
        FF_DISABLE_DEPRECATION_WARNINGS_GLVF
        d->avctx->thread_safe_callbacks = 1;
        FF_ENABLE_DEPRECATION_WARNINGS_GLVF
#endif
    }
    r = avcodec_open2(d->avctx, codec, NULL);
    if (r < 0) {
        dec_error(d, GLVF_LOG_ERROR, r, "'%s': cannot open the %s decoder", p->path,
                  codec->name);
        return r;
    }
    d->info.direct_rendering = want;
    d->info.threads = d->avctx->thread_count;
    return 0;
}

static int check_format(glvf_ffmpeg_decoder *d, const glvf_ffmpeg_decoder_params *p)
{
    enum AVPixelFormat pf = d->avctx->pix_fmt;
    const char *name = av_get_pix_fmt_name(pf);
    snprintf(d->pix_fmt_name, sizeof d->pix_fmt_name, "%s", name ? name : "none");
    d->info.av_pix_fmt = pf;
    d->info.format = glvf_ffmpeg_format_from_av(pf, NULL);
    if (pf == AV_PIX_FMT_NONE || d->info.format != GLVF_FORMAT_NONE)
        return 0; /* unknown until the first frame, or carried */
    if (!p->convert) {
        dec_error(d, GLVF_LOG_ERROR, -ENOTSUP,
                  "'%s': pixel format '%s' is not supported by glvf (supported: %s); open with "
                  ".convert = true to convert it with libswscale",
                  p->path, d->pix_fmt_name, glvf_ff_carried_list());
        return -ENOTSUP;
    }
    return 0;
}

static int open_convert(glvf_ffmpeg_decoder *d, const glvf_ffmpeg_decoder_params *p)
{
    if (!p->convert)
        return 0;
    if (!glvf_ff_convert_available()) {
        dec_error(d, GLVF_LOG_ERROR, -ENOTSUP,
                  "'%s': .convert needs libswscale, which libglvf-ffmpeg was built without",
                  p->path);
        return -ENOTSUP;
    }
    d->convert = glvf_ff_convert_create();
    if (!d->convert)
        return AVERROR(ENOMEM);
    if (d->info.format == GLVF_FORMAT_NONE && d->info.av_pix_fmt != AV_PIX_FMT_NONE) {
        d->info.format = glvf_ffmpeg_format_from_av(glvf_ff_convert_target(d->info.av_pix_fmt),
                                                    NULL);
        d->info.converting = true;
    }
    return 0;
}

static void fill_info(glvf_ffmpeg_decoder *d)
{
    glvf_ffmpeg_info *in = &d->info;
    AVStream *st = d->stream;
    in->width = d->avctx->width;
    in->height = d->avctx->height;
    in->pix_fmt_name = d->pix_fmt_name;
    in->codec_name = d->codec_name;
    in->container_name = d->container_name;
    in->stream_index = st->index;
    in->time_base = rational(st->time_base);
    AVRational fr = av_guess_frame_rate(d->fmt, st, NULL);
    in->frame_rate = fr.num > 0 && fr.den > 0 ? rational(fr) : (glvf_rational){ 0, 0 };
    AVRational sar = av_guess_sample_aspect_ratio(d->fmt, st, NULL);
    in->sar = sar.num > 0 && sar.den > 0 ? rational(sar) : (glvf_rational){ 0, 0 };
    if (d->stream_matrix)
        glvf_ff_display_matrix((const int32_t *)d->stream_matrix, &in->rotation, &in->flip_h,
                               &in->flip_v);
    in->start_time_us = st->start_time != AV_NOPTS_VALUE
                                ? av_rescale_q(st->start_time, st->time_base, AV_TIME_BASE_Q)
                                : GLVF_FFMPEG_NOPTS;
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
        in->duration_us = av_rescale_q(st->duration, st->time_base, AV_TIME_BASE_Q);
    else if (d->fmt->duration != AV_NOPTS_VALUE && d->fmt->duration > 0)
        in->duration_us = d->fmt->duration;
    in->frames = st->nb_frames > 0 ? st->nb_frames : 0;
}

glvf_ffmpeg_decoder *glvf_ffmpeg_decoder_open(const glvf_ffmpeg_decoder_params *p, int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    *err = 0;
    if (!p) {
        *err = -EINVAL;
        return NULL;
    }
    /* the decoder's own callback, else its context's (params.ctx) */
    glvf_ff_log plog;
    glvf_ff_log_init(&plog, p->log, p->log_user, p->log_level, p->ctx);
    if (!p->path || !p->path[0] || p->queue_frames < 0 || p->queue_frames > QUEUE_MAX ||
        p->audio_queue_chunks < 0 || p->io_timeout_ms < 0 ||
        p->threads < 0 || (unsigned)p->direct_rendering > GLVF_FFMPEG_DR_FORCE) {
        glvf_ff_logf(&plog, GLVF_LOG_ERROR,
                     "glvf_ffmpeg_decoder_open: invalid parameters (path %s, queue_frames %d "
                     "(0..%d), threads %d, direct_rendering %d, io_timeout_ms %d)",
                     p->path ? (p->path[0] ? "set" : "empty") : "NULL", p->queue_frames,
                     QUEUE_MAX, p->threads, (int)p->direct_rendering, p->io_timeout_ms);
        *err = -EINVAL;
        return NULL;
    }
    glvf_ffmpeg_decoder *d = glvf_priv_calloc(1, sizeof *d);
    if (!d) {
        glvf_ff_logf(&plog, GLVF_LOG_ERROR, "glvf_ffmpeg_decoder_open: out of memory");
        *err = -ENOMEM;
        return NULL;
    }
    glvf_ff_log_init(&d->log, p->log, p->log_user, p->log_level, p->ctx);
    d->stop_on_error = p->stop_on_error;
    d->want_audio = p->audio;
    d->qcap = p->queue_frames ? p->queue_frames : QUEUE_DEFAULT;
    d->free_cap = d->qcap + FREE_EXTRA;
    d->info.start_time_us = GLVF_FFMPEG_NOPTS;
    atomic_init(&d->quit, false);
    glvf_ff_registry_add(d, &d->log); /* before any FFmpeg context logs */
    glvf_ff_thread_owner(d);

    int r = 0;
    if (pthread_mutex_init(&d->lock, NULL) != 0) {
        r = -ENOMEM;
    } else if (pthread_cond_init(&d->cond_consumer, NULL) != 0) {
        pthread_mutex_destroy(&d->lock);
        r = -ENOMEM;
    } else if (pthread_cond_init(&d->cond_producer, NULL) != 0) {
        pthread_cond_destroy(&d->cond_consumer);
        pthread_mutex_destroy(&d->lock);
        r = -ENOMEM;
    } else {
        d->sync_init = true;
    }
    if (r == 0) {
        d->queue = glvf_priv_calloc((size_t)d->qcap, sizeof *d->queue);
        d->free_frames = glvf_priv_calloc((size_t)d->free_cap, sizeof *d->free_frames);
        d->pkt = av_packet_alloc();
        if (!d->queue || !d->free_frames || !d->pkt)
            r = AVERROR(ENOMEM);
    }
    /* the shells steady state needs: the queue, the one being decoded into
     * and the one the consumer holds */
    for (int i = 0; r == 0 && i < d->qcap + 2; i++) {
        AVFrame *f = av_frame_alloc();
        if (!f)
            r = AVERROR(ENOMEM);
        else
            d->free_frames[d->free_len++] = f;
    }
    d->stats.avframes_allocated = (uint64_t)d->free_len;
    d->user_interrupt = p->interrupt;
    d->user_interrupt_arg = p->interrupt_user;
    atomic_store(&d->opening, true);
    if (r == 0)
        r = open_input(d, p->path, p->protocols, p->io_timeout_ms);
    atomic_store(&d->opening, false);
    if (r == 0)
        r = open_codec(d, p);
    if (r == 0)
        r = check_format(d, p);
    if (r == 0)
        r = open_convert(d, p);
    if (r == 0) {
        fill_info(d);
        d->info.audio_stream_index = d->audio_index;
        d->info.audio_codec_name = d->audio_codec_name;
        if (d->audio_index >= 0) {
            const AVCodecParameters *ap = d->fmt->streams[d->audio_index]->codecpar;
            snprintf(d->audio_codec_name, sizeof d->audio_codec_name, "%s",
                     avcodec_get_name(ap->codec_id));
            d->info.audio_channels = ap->ch_layout.nb_channels;
        }
        if (d->audio_stream) {
            d->audio = glvf_ff_audio_open(d->audio_stream, p->path, &d->log, d,
                                          p->audio_queue_chunks);
            if (d->audio) {
                d->info.has_audio = true;
                d->info.audio_rate = glvf_ff_audio_rate(d->audio);
            } else {
                d->audio_stream->discard = AVDISCARD_ALL;
                d->audio_stream = NULL;
            }
        }
        int e = pthread_create(&d->thread, NULL, decoder_thread, d);
        if (e != 0) {
            dec_error(d, GLVF_LOG_ERROR, -e, "cannot start the decoding thread");
            r = -e;
        } else {
            d->thread_started = true;
        }
    }
    if (r < 0) {
        if (r == AVERROR(ENOMEM) && !d->last_code)
            glvf_ff_logf(&plog, GLVF_LOG_ERROR, "glvf_ffmpeg_decoder_open: out of memory");
        decoder_free(d);
        glvf_ff_thread_owner(NULL);
        *err = r;
        return NULL;
    }
    glvf_ff_thread_owner(NULL);
    dec_log(d, GLVF_LOG_INFO,
            "'%s': %s %dx%d %s%s, %s, %d thread(s), direct rendering %s", p->path,
            d->codec_name, d->info.width, d->info.height, d->pix_fmt_name,
            d->info.converting ? " (converted)" : "", d->container_name, d->info.threads,
            d->info.direct_rendering ? "on" : "off");
    return d;
}

void glvf_ffmpeg_decoder_destroy(glvf_ffmpeg_decoder **pdec)
{
    if (!pdec || !*pdec)
        return;
    glvf_ffmpeg_decoder *d = *pdec;
    *pdec = NULL;
    pthread_mutex_lock(&d->lock);
    atomic_store(&d->quit, true);
    pthread_cond_broadcast(&d->cond_producer);
    pthread_cond_broadcast(&d->cond_consumer);
    pthread_mutex_unlock(&d->lock);
    glvf_ff_audio_stop(d->audio); /* the demux thread may wait for its room */
    if (d->thread_started)
        pthread_join(d->thread, NULL);
    pthread_mutex_lock(&d->lock);
    while (d->callers > 0)
        pthread_cond_wait(&d->cond_consumer, &d->lock);
    pthread_mutex_unlock(&d->lock);
    glvf_ff_thread_owner(d);
    decoder_free(d);
    glvf_ff_thread_owner(NULL);
}

/* ---- consumer API ------------------------------------------------------- */

/* Enters a call; false when the decoder is being destroyed. Lock held. */
static bool enter_locked(glvf_ffmpeg_decoder *d)
{
    if (atomic_load(&d->quit))
        return false;
    d->callers++;
    return true;
}

static void leave_locked(glvf_ffmpeg_decoder *d)
{
    if (--d->callers == 0 && atomic_load(&d->quit))
        pthread_cond_broadcast(&d->cond_consumer);
}

int glvf_ffmpeg_decoder_next(glvf_ffmpeg_decoder *d, AVFrame **out, int timeout_ms)
{
    if (out)
        *out = NULL;
    if (!d || !out)
        return -EINVAL;
    struct timespec deadline;
    if (timeout_ms > 0) {
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&d->lock);
    if (!enter_locked(d)) {
        pthread_mutex_unlock(&d->lock);
        return -ECANCELED;
    }
    int r;
    for (;;) {
        if (atomic_load(&d->quit)) {
            r = -ECANCELED;
            break;
        }
        if (d->qlen) {
            *out = d->queue[d->qhead];
            d->queue[d->qhead] = NULL;
            d->qhead = (d->qhead + 1) % d->qcap;
            d->qlen--;
            d->stats.queue_depth = d->qlen;
            d->stats.frames_delivered++;
            glvf_ff_colour_from_frame(*out, &d->stats.color);
            pthread_cond_broadcast(&d->cond_producer);
            r = 0;
            break;
        }
        if (d->has_status && d->status_serial == d->serial && !d->seek_pending) {
            r = d->status;
            break;
        }
        if (timeout_ms == 0) {
            r = -EAGAIN;
            break;
        }
        if (timeout_ms < 0) {
            pthread_cond_wait(&d->cond_consumer, &d->lock);
        } else if (pthread_cond_timedwait(&d->cond_consumer, &d->lock, &deadline) == ETIMEDOUT) {
            if (!d->qlen && !(d->has_status && d->status_serial == d->serial)) {
                r = -EAGAIN;
                break;
            }
        }
    }
    leave_locked(d);
    pthread_mutex_unlock(&d->lock);
    return r;
}

void glvf_ffmpeg_decoder_release(glvf_ffmpeg_decoder *d, AVFrame **frame)
{
    if (!frame || !*frame)
        return;
    AVFrame *f = *frame;
    *frame = NULL;
    if (!d) {
        av_frame_free(&f);
        return;
    }
    av_frame_unref(f);
    pthread_mutex_lock(&d->lock);
    if (enter_locked(d)) {
        if (d->free_len < d->free_cap) {
            d->free_frames[d->free_len++] = f;
            f = NULL;
        }
        leave_locked(d);
    }
    pthread_mutex_unlock(&d->lock);
    av_frame_free(&f);
}

int glvf_ffmpeg_decoder_seek(glvf_ffmpeg_decoder *d, int64_t pts_us)
{
    if (!d)
        return -EINVAL;
    AVFrame *flushed[QUEUE_MAX];
    pthread_mutex_lock(&d->lock);
    if (!enter_locked(d)) {
        pthread_mutex_unlock(&d->lock);
        return -ECANCELED;
    }
    d->serial++;
    d->seek_pending = true;
    d->seek_us = pts_us;
    d->has_status = false;
    d->stats.seeks++;
    int n = queue_take_all(d, flushed);
    d->stats.frames_dropped += (uint64_t)n;
    pthread_cond_broadcast(&d->cond_producer);
    /* under the lock (order: d->lock, then the audio's): the demux thread
     * tags packets with the new serial only after this */
    if (d->audio)
        glvf_ff_audio_seek(d->audio, d->serial, pts_us);
    pthread_mutex_unlock(&d->lock);
    for (int i = 0; i < n; i++)
        frame_put(d, flushed[i]);
    pthread_mutex_lock(&d->lock);
    leave_locked(d);
    pthread_mutex_unlock(&d->lock);
    return 0;
}

bool glvf_ffmpeg_decoder_attach_context(glvf_ffmpeg_decoder *d, glvf_context *ctx)
{
    if (!d || !ctx || !d->dr_deferred)
        return false;
    d->dr_deferred = false;
    /* a decoder without a log callback logs through its context from now */
    glvf_ff_log_set_context(&d->log, ctx);
    const char *no = dr_refusal(d, ctx);
    if (no) {
        dec_log(d, GLVF_LOG_INFO, "direct rendering off: %s", no);
        return false;
    }
    d->info.direct_rendering = true;
    /* libavcodec's threads pick it up at their next get_buffer2 */
    atomic_store_explicit(&d->dr.ctx, ctx, memory_order_release);
    return true;
}

const glvf_ffmpeg_info *glvf_ffmpeg_decoder_info(const glvf_ffmpeg_decoder *d)
{
    return d ? &d->info : NULL;
}

void glvf_ffmpeg_decoder_get_stats(const glvf_ffmpeg_decoder *dc, glvf_ffmpeg_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!dc)
        return;
    glvf_ffmpeg_decoder *d = (glvf_ffmpeg_decoder *)dc;
    pthread_mutex_lock(&d->lock);
    *out = d->stats;
    out->queue_depth = d->qlen;
    out->queue_capacity = d->qcap;
    pthread_mutex_unlock(&d->lock);
    out->dr_fallbacks = atomic_load(&d->dr.fallbacks);
    out->dr_requests_lost = atomic_load(&d->dr.requests_lost);
    out->dr_requests_capped = atomic_load(&d->dr.requests_capped);
    if (d->audio)
        glvf_ff_audio_stats(d->audio, out);
}

int glvf_ffmpeg_decoder_next_audio(glvf_ffmpeg_decoder *d, glvf_ffmpeg_audio_chunk **out,
                                   int timeout_ms)
{
    if (out)
        *out = NULL;
    if (!d || !out)
        return -EINVAL;
    if (!d->audio)
        return -ENOENT;
    pthread_mutex_lock(&d->lock);
    if (!enter_locked(d)) {
        pthread_mutex_unlock(&d->lock);
        return -ECANCELED;
    }
    pthread_mutex_unlock(&d->lock);
    int r = glvf_ff_audio_next(d->audio, out, timeout_ms);
    pthread_mutex_lock(&d->lock);
    leave_locked(d);
    pthread_mutex_unlock(&d->lock);
    return r;
}

void glvf_ffmpeg_decoder_release_audio(glvf_ffmpeg_decoder *d, glvf_ffmpeg_audio_chunk **chunk)
{
    if (!chunk || !*chunk)
        return;
    if (!d || !d->audio) {
        glvf_ff_audio_release(NULL, chunk);
        return;
    }
    pthread_mutex_lock(&d->lock);
    bool in = enter_locked(d);
    pthread_mutex_unlock(&d->lock);
    if (!in) {
        glvf_ff_audio_release(NULL, chunk);
        return;
    }
    glvf_ff_audio_release(d->audio, chunk);
    pthread_mutex_lock(&d->lock);
    leave_locked(d);
    pthread_mutex_unlock(&d->lock);
}

int glvf_ffmpeg_decoder_last_error(const glvf_ffmpeg_decoder *dc, char *buf, size_t n)
{
    if (!dc) {
        if (buf && n)
            buf[0] = '\0';
        return -EINVAL;
    }
    glvf_ffmpeg_decoder *d = (glvf_ffmpeg_decoder *)dc;
    pthread_mutex_lock(&d->lock);
    int code = d->last_code;
    if (buf && n)
        snprintf(buf, n, "%s", d->last_error);
    pthread_mutex_unlock(&d->lock);
    return code;
}
