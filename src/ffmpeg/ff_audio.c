/*
 * The audio stream of a decoder: its own thread decoding the packets the
 * demux thread routes to it, resampling them with libswresample to
 * interleaved float32 stereo at the stream's rate, into a bounded queue of
 * chunks.
 *
 * Threads:
 *   demux thread    glvf_ff_audio_push(): packets in, waits while the packet
 *                   queue is full (back-pressure).
 *   audio thread    decodes, resamples, drops what lies before a seek
 *                   target, pushes chunks, waits while the chunk queue is
 *                   full.
 *   consumers       next/release (the sound output), seek (any thread).
 *
 * A seek bumps the serial: both queues are emptied and packets or chunks of
 * an older serial are never delivered; the audio thread flushes its codec
 * and its resampler when it meets the first packet of the new serial.
 *
 * Ownership: the AVCodecContext and the one SwrContext belong to the audio
 * thread while it runs and are freed by glvf_ff_audio_destroy() (and on
 * every failure path of glvf_ff_audio_open()).
 */
#include "ff_internal.h"

#include <libavutil/channel_layout.h>
#include <libavutil/mathematics.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define PKT_CAP 256     /* packets routed ahead of the audio thread */
#define CHUNK_DEFAULT 32
#define CHUNK_MAX 256

typedef struct chunk {
    glvf_ffmpeg_audio_chunk pub; /* first: the public pointer is the chunk's */
    AVFrame *frame;              /* the resampled samples */
    struct chunk *next_free;
} chunk;

typedef struct pkt_item {
    AVPacket *pkt;               /* NULL: end of stream */
    uint64_t serial;
} pkt_item;

struct glvf_ff_audio {
    const glvf_ff_log *log;
    void *owner;
    char path[256];
    AVStream *st;
    AVCodecContext *avctx;
    SwrContext *swr;
    int out_rate;

    pthread_t thread;
    bool thread_started;

    /* ---- lock ---- */
    pthread_mutex_t lock;
    pthread_cond_t cond;         /* any change: packets, chunks, room, serial, quit */
    bool quit;
    uint64_t serial;
    int64_t target_us;           /* of `serial`: samples before it are dropped */
    pkt_item pkts[PKT_CAP];
    int phead, plen;
    chunk **chunks;              /* ring of ccap */
    int chead, clen, ccap;
    chunk *free_list;
    bool ended;                  /* end of stream delivered after the queue, for `serial` */
    uint64_t packets, decoded, delivered, errors, dropped;
    bool error_logged;
};

static void alog(glvf_ff_audio *a, glvf_log_level level, const char *fmt, ...) FF_PRINTF(3, 4);
static void alog(glvf_ff_audio *a, glvf_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    glvf_ff_vlogf(a->log, level, fmt, ap);
    va_end(ap);
}

static void chunk_free(chunk *c)
{
    if (!c)
        return;
    av_frame_free(&c->frame);
    glvf_priv_free(c);
}

/* Lock held: takes a recycled chunk or NULL. */
static chunk *chunk_take_locked(glvf_ff_audio *a)
{
    chunk *c = a->free_list;
    if (c)
        a->free_list = c->next_free;
    return c;
}

static void chunk_put_locked(glvf_ff_audio *a, chunk *c)
{
    av_frame_unref(c->frame);
    c->next_free = a->free_list;
    a->free_list = c;
}

/* Lock held: empties both queues. */
static void flush_locked(glvf_ff_audio *a)
{
    while (a->plen) {
        av_packet_free(&a->pkts[a->phead].pkt);
        a->phead = (a->phead + 1) % PKT_CAP;
        a->plen--;
    }
    while (a->clen) {
        chunk_put_locked(a, a->chunks[a->chead]);
        a->chunks[a->chead] = NULL;
        a->chead = (a->chead + 1) % a->ccap;
        a->clen--;
        a->dropped++;
    }
    a->ended = false;
}

static int64_t to_us(glvf_ff_audio *a, int64_t ts)
{
    return av_rescale_q(ts, a->st->time_base, AV_TIME_BASE_Q);
}

/* Audio thread: queues the resampled `out` (taken) unless stale; trims what
 * lies before the target. `next_pts` follows the samples. */
static void emit(glvf_ff_audio *a, uint64_t serial, AVFrame **pout, int64_t pts_us,
                 int64_t *next_pts)
{
    AVFrame *out = *pout;
    if (out->nb_samples <= 0)
        return;
    int64_t dur = av_rescale(out->nb_samples, 1000000, a->out_rate);
    *next_pts = pts_us + dur;
    pthread_mutex_lock(&a->lock);
    int skip = 0;
    if (a->serial == serial && a->target_us != GLVF_FFMPEG_NOPTS && pts_us < a->target_us) {
        if (pts_us + dur <= a->target_us) {
            a->dropped++;
            pthread_mutex_unlock(&a->lock);
            av_frame_unref(out);
            return;
        }
        skip = (int)av_rescale(a->target_us - pts_us, a->out_rate, 1000000);
        if (skip >= out->nb_samples) {
            a->dropped++;
            pthread_mutex_unlock(&a->lock);
            av_frame_unref(out);
            return;
        }
    }
    if (a->serial == serial)
        a->target_us = GLVF_FFMPEG_NOPTS; /* reached: later chunks all pass */
    while (!a->quit && a->serial == serial && a->clen == a->ccap)
        pthread_cond_wait(&a->cond, &a->lock);
    if (a->quit || a->serial != serial) {
        a->dropped++;
        pthread_mutex_unlock(&a->lock);
        av_frame_unref(out);
        return;
    }
    chunk *c = chunk_take_locked(a);
    if (!c) {
        pthread_mutex_unlock(&a->lock);
        c = glvf_priv_calloc(1, sizeof *c);
        if (c && !(c->frame = av_frame_alloc())) {
            glvf_priv_free(c);
            c = NULL;
        }
        pthread_mutex_lock(&a->lock);
        if (!c || a->quit || a->serial != serial) {
            if (c)
                chunk_put_locked(a, c);
            a->dropped++;
            pthread_mutex_unlock(&a->lock);
            av_frame_unref(out);
            return;
        }
    }
    av_frame_move_ref(c->frame, out);
    const float *s = (const float *)c->frame->data[0];
    c->pub = (glvf_ffmpeg_audio_chunk){
        .samples = s + (size_t)skip * 2,
        .frames = c->frame->nb_samples - skip,
        .channels = 2,
        .rate = a->out_rate,
        .pts_us = pts_us + av_rescale(skip, 1000000, a->out_rate),
        .serial = serial,
    };
    a->chunks[(a->chead + a->clen) % a->ccap] = c;
    a->clen++;
    a->decoded++;
    pthread_cond_broadcast(&a->cond);
    pthread_mutex_unlock(&a->lock);
}

static int swr_setup(glvf_ff_audio *a, const AVFrame *in, AVFrame *out)
{
    swr_close(a->swr);
    int r = swr_config_frame(a->swr, out, in);
    if (r >= 0)
        r = swr_init(a->swr);
    return r;
}

/* Counts an audio error; the first one is logged (fmt takes the reason). */
static void audio_failed(glvf_ff_audio *a, int r, const char *fmt)
{
    pthread_mutex_lock(&a->lock);
    a->errors++;
    bool first = !a->error_logged;
    a->error_logged = true;
    pthread_mutex_unlock(&a->lock);
    if (first) {
        char e[128], msg[256];
        snprintf(msg, sizeof msg, fmt, glvf_ffmpeg_strerror(r, e, sizeof e));
        alog(a, GLVF_LOG_WARN, "'%s': %s", a->path, msg);
    }
}

static void decode_failed(glvf_ff_audio *a, int r)
{
    audio_failed(a, r, "decoding the audio failed (%s); skipped (video goes on)");
}

static void resample(glvf_ff_audio *a, uint64_t serial, AVFrame *in, AVFrame *out,
                     int64_t *next_pts)
{
    int64_t pts_us = *next_pts;
    if (in) {
        int64_t ts = in->best_effort_timestamp != AV_NOPTS_VALUE ? in->best_effort_timestamp
                                                                  : in->pts;
        if (ts != AV_NOPTS_VALUE)
            pts_us = to_us(a, ts);
        if (in->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || !in->ch_layout.nb_channels) {
            int n = in->ch_layout.nb_channels ? in->ch_layout.nb_channels : 2;
            av_channel_layout_uninit(&in->ch_layout);
            av_channel_layout_default(&in->ch_layout, n);
        }
    }
    if (pts_us == GLVF_FFMPEG_NOPTS)
        pts_us = 0;
    av_frame_unref(out);
    out->format = AV_SAMPLE_FMT_FLT;
    out->sample_rate = a->out_rate;
    av_channel_layout_copy(&out->ch_layout, &(AVChannelLayout)AV_CHANNEL_LAYOUT_STEREO);
    int r = swr_convert_frame(a->swr, out, in);
    if (r == AVERROR_INPUT_CHANGED || r == AVERROR_OUTPUT_CHANGED ||
        (r < 0 && in && !swr_is_initialized(a->swr))) {
        av_frame_unref(out);
        out->format = AV_SAMPLE_FMT_FLT;
        out->sample_rate = a->out_rate;
        av_channel_layout_copy(&out->ch_layout, &(AVChannelLayout)AV_CHANNEL_LAYOUT_STEREO);
        r = in ? swr_setup(a, in, out) : r;
        if (r >= 0)
            r = swr_convert_frame(a->swr, out, in);
    }
    if (r < 0) {
        av_frame_unref(out);
        audio_failed(a, r, "resampling the audio failed (%s); skipped");
        return;
    }
    /* the resampler's delay (0 at equal rates) is ignored: under 1 ms */
    emit(a, serial, &out, pts_us, next_pts);
}

static void *audio_thread(void *arg)
{
    glvf_ff_audio *a = arg;
    glvf_ff_thread_owner(a->owner);
    AVFrame *in = av_frame_alloc(), *out = av_frame_alloc();
    uint64_t serial = 0;
    int64_t next_pts = GLVF_FFMPEG_NOPTS;
    if (!in || !out) {
        decode_failed(a, AVERROR(ENOMEM));
        goto done;
    }
    for (;;) {
        pthread_mutex_lock(&a->lock);
        while (!a->quit && !a->plen)
            pthread_cond_wait(&a->cond, &a->lock);
        if (a->quit) {
            pthread_mutex_unlock(&a->lock);
            break;
        }
        pkt_item it = a->pkts[a->phead];
        a->pkts[a->phead].pkt = NULL;
        a->phead = (a->phead + 1) % PKT_CAP;
        a->plen--;
        bool stale = it.serial != a->serial;
        pthread_cond_broadcast(&a->cond); /* room for the demux thread */
        pthread_mutex_unlock(&a->lock);
        if (stale) {
            av_packet_free(&it.pkt);
            continue;
        }
        if (it.serial != serial) {
            /* the first packet after a seek */
            avcodec_flush_buffers(a->avctx);
            swr_close(a->swr);
            serial = it.serial;
            next_pts = GLVF_FFMPEG_NOPTS;
        }
        int r = avcodec_send_packet(a->avctx, it.pkt); /* NULL: drain */
        if (r < 0 && r != AVERROR_EOF)
            decode_failed(a, r);
        for (;;) {
            r = avcodec_receive_frame(a->avctx, in);
            if (r < 0)
                break;
            resample(a, serial, in, out, &next_pts);
            av_frame_unref(in);
        }
        if (r != AVERROR(EAGAIN) && r != AVERROR_EOF)
            decode_failed(a, r);
        if (!it.pkt) {
            /* end of stream: what the resampler holds, then the end */
            if (swr_is_initialized(a->swr))
                resample(a, serial, NULL, out, &next_pts);
            avcodec_flush_buffers(a->avctx);
            swr_close(a->swr);
            serial = 0; /* a seek after the end flushes again */
            pthread_mutex_lock(&a->lock);
            if (a->serial == it.serial) {
                a->ended = true;
                pthread_cond_broadcast(&a->cond);
            }
            pthread_mutex_unlock(&a->lock);
        } else {
            pthread_mutex_lock(&a->lock);
            a->packets++;
            pthread_mutex_unlock(&a->lock);
        }
        av_packet_free(&it.pkt);
    }
done:
    av_frame_free(&in);
    av_frame_free(&out);
    glvf_ff_thread_owner(NULL);
    return NULL;
}

static void audio_free(glvf_ff_audio *a)
{
    if (!a)
        return;
    if (a->chunks) {
        for (int i = 0; i < a->ccap; i++)
            chunk_free(a->chunks[i]);
        glvf_priv_free(a->chunks);
    }
    for (int i = 0; i < PKT_CAP; i++)
        av_packet_free(&a->pkts[i].pkt);
    while (a->free_list) {
        chunk *c = a->free_list;
        a->free_list = c->next_free;
        chunk_free(c);
    }
    swr_free(&a->swr);
    avcodec_free_context(&a->avctx);
    pthread_cond_destroy(&a->cond);
    pthread_mutex_destroy(&a->lock);
    glvf_priv_free(a);
}

glvf_ff_audio *glvf_ff_audio_open(AVStream *st, const char *path, const glvf_ff_log *log,
                                  void *owner, int queue_chunks)
{
    glvf_ff_audio *a = glvf_priv_calloc(1, sizeof *a);
    if (!a) {
        glvf_ff_logf(log, GLVF_LOG_WARN, "'%s': out of memory for the audio: video only", path);
        return NULL;
    }
    a->log = log;
    a->owner = owner;
    a->st = st;
    a->target_us = GLVF_FFMPEG_NOPTS;
    snprintf(a->path, sizeof a->path, "%s", path);
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->cond, NULL);
    a->ccap = queue_chunks > 0 ? (queue_chunks < CHUNK_MAX ? queue_chunks : CHUNK_MAX)
                               : CHUNK_DEFAULT;
    const char *why = NULL;
    int r = 0;
    const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
    a->chunks = glvf_priv_calloc((size_t)a->ccap, sizeof *a->chunks);
    if (!a->chunks) {
        why = "out of memory";
        r = AVERROR(ENOMEM);
    } else if (!codec) {
        why = "no decoder";
        r = AVERROR_DECODER_NOT_FOUND;
    } else if (!(a->avctx = avcodec_alloc_context3(codec))) {
        why = "out of memory";
        r = AVERROR(ENOMEM);
    } else if ((r = avcodec_parameters_to_context(a->avctx, st->codecpar)) < 0) {
        why = "bad codec parameters";
    } else {
        a->avctx->pkt_timebase = st->time_base;
        a->avctx->opaque = owner;
        a->avctx->thread_count = 1;
        if ((r = avcodec_open2(a->avctx, codec, NULL)) < 0)
            why = "cannot open its decoder";
    }
    if (!why) {
        a->out_rate = a->avctx->sample_rate > 0 ? a->avctx->sample_rate : 48000;
        if (a->out_rate < 8000 || a->out_rate > 384000) {
            why = "unusable sample rate";
            r = AVERROR_INVALIDDATA;
        } else if (!(a->swr = swr_alloc())) {
            why = "out of memory";
            r = AVERROR(ENOMEM);
        }
    }
    if (!why) {
        int e = pthread_create(&a->thread, NULL, audio_thread, a);
        if (e) {
            why = "cannot start its thread";
            r = -e;
        } else {
            a->thread_started = true;
        }
    }
    if (why) {
        char e[128];
        glvf_ff_logf(log, GLVF_LOG_WARN, "'%s': the audio stream (codec %s) cannot be played: "
                     "%s (%s); video only", path, avcodec_get_name(st->codecpar->codec_id), why,
                     glvf_ffmpeg_strerror(r, e, sizeof e));
        audio_free(a);
        return NULL;
    }
    return a;
}

bool glvf_ff_audio_hungry(glvf_ff_audio *a)
{
    pthread_mutex_lock(&a->lock);
    bool h = !a->quit && a->clen < a->ccap * 3 / 4 && a->plen < 4;
    pthread_mutex_unlock(&a->lock);
    return h;
}

int glvf_ff_audio_rate(const glvf_ff_audio *a)
{
    return a->out_rate;
}

bool glvf_ff_audio_push(glvf_ff_audio *a, const AVPacket *pkt, uint64_t serial)
{
    AVPacket *ref = NULL;
    if (pkt) {
        ref = av_packet_clone(pkt);
        if (!ref) {
            decode_failed(a, AVERROR(ENOMEM));
            return true;
        }
    }
    pthread_mutex_lock(&a->lock);
    while (!a->quit && a->serial == serial && a->plen == PKT_CAP)
        pthread_cond_wait(&a->cond, &a->lock);
    bool ok = !a->quit;
    if (ok && a->serial == serial) {
        a->pkts[(a->phead + a->plen) % PKT_CAP] = (pkt_item){ ref, serial };
        a->plen++;
        ref = NULL;
        pthread_cond_broadcast(&a->cond);
    }
    pthread_mutex_unlock(&a->lock);
    av_packet_free(&ref);
    return ok;
}

void glvf_ff_audio_seek(glvf_ff_audio *a, uint64_t serial, int64_t target_us)
{
    pthread_mutex_lock(&a->lock);
    flush_locked(a);
    a->serial = serial;
    a->target_us = target_us;
    pthread_cond_broadcast(&a->cond);
    pthread_mutex_unlock(&a->lock);
}

void glvf_ff_audio_stop(glvf_ff_audio *a)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->lock);
    a->quit = true;
    pthread_cond_broadcast(&a->cond);
    pthread_mutex_unlock(&a->lock);
}

void glvf_ff_audio_destroy(glvf_ff_audio **pa)
{
    if (!pa || !*pa)
        return;
    glvf_ff_audio *a = *pa;
    *pa = NULL;
    glvf_ff_audio_stop(a);
    if (a->thread_started)
        pthread_join(a->thread, NULL);
    audio_free(a);
}

int glvf_ff_audio_next(glvf_ff_audio *a, glvf_ffmpeg_audio_chunk **out, int timeout_ms)
{
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
    int r;
    pthread_mutex_lock(&a->lock);
    for (;;) {
        if (a->quit) {
            r = -ECANCELED;
            break;
        }
        if (a->clen) {
            chunk *c = a->chunks[a->chead];
            a->chunks[a->chead] = NULL;
            a->chead = (a->chead + 1) % a->ccap;
            a->clen--;
            a->delivered++;
            *out = &c->pub;
            pthread_cond_broadcast(&a->cond);
            r = 0;
            break;
        }
        if (a->ended) {
            r = GLVF_FFMPEG_EOF;
            break;
        }
        if (timeout_ms == 0) {
            r = -EAGAIN;
            break;
        }
        if (timeout_ms < 0) {
            pthread_cond_wait(&a->cond, &a->lock);
        } else if (pthread_cond_timedwait(&a->cond, &a->lock, &deadline) == ETIMEDOUT) {
            if (!a->clen && !a->ended) {
                r = -EAGAIN;
                break;
            }
        }
    }
    pthread_mutex_unlock(&a->lock);
    return r;
}

void glvf_ff_audio_release(glvf_ff_audio *a, glvf_ffmpeg_audio_chunk **pc)
{
    chunk *c = (chunk *)*pc;
    *pc = NULL;
    if (!a) {
        chunk_free(c);
        return;
    }
    pthread_mutex_lock(&a->lock);
    chunk_put_locked(a, c);
    pthread_mutex_unlock(&a->lock);
}

void glvf_ff_audio_stats(glvf_ff_audio *a, glvf_ffmpeg_stats *out)
{
    pthread_mutex_lock(&a->lock);
    out->audio_packets = a->packets;
    out->audio_chunks_decoded = a->decoded;
    out->audio_chunks_delivered = a->delivered;
    out->audio_chunks_dropped = a->dropped;
    out->audio_errors = a->errors;
    out->audio_queue_depth = a->clen;
    out->audio_queue_capacity = a->ccap;
    pthread_mutex_unlock(&a->lock);
}
