/*
 * GlvfMediaStream: a GtkMediaStream playing the video of a file through the
 * FFmpeg module's decoder into a GlvfVideoPaintable. See glvf-gtk4.h.
 *
 * The stream is a source for the paintable's worker (gtk4-internal.h): the
 * "feed" below, refcounted because the worker may use it after the stream
 * is gone. The worker opens the decoder (in next(), so never on the main
 * thread), takes decoded frames, asks due() when each is to be shown, and
 * reports hand-overs; the feed keeps the media clock. The main thread only
 * changes the feed's requests (play, pause, seek, step) and wakes the
 * worker, and hears back through idle callbacks (prepared, ended, error)
 * and the paintable's shown callback (position, seek done).
 */
#include "gtk4-internal.h"
#include <glvf/glvf-audio.h>

#include <glvf/glvf-ffmpeg.h>

#include <libavutil/frame.h>
#include <libavutil/mathematics.h>
#ifdef GLVF_GTK4_HAVE_SWSCALE
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#endif

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define NEXT_POLL_MS 100 /* a blocked decoder_next() looks at requests this often */

typedef enum { OPEN_NONE, OPEN_RUNNING, OPEN_OK, OPEN_FAILED } open_state;

typedef struct feed {
    atomic_int refs;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    char *path;
    char *protocols;          /* NULL: local input only */
    int io_timeout_ms;
    GWeakRef stream;

    /* lock */
    glvf_ffmpeg_decoder *dec;
    open_state open;
    gboolean playing;
    gboolean show_one;        /* show one frame although paused (seek, step, start) */
    gboolean closed;
    guint serial;             /* bumped by seeks: older frames are stale */
    gint64 seek_to;           /* pending seek (µs from the start), -1: none */
    guint interrupts;
    gboolean at_end;
    gboolean untimed;         /* every frame, as fast as painting allows */
    gboolean clock_valid;
    gint64 t0;                /* monotonic time at which media time p0 was handed over */
    gint64 p0;
    gint64 last_pts;          /* of the last frame handed over (-1: none) */
    gint64 frame_us;          /* nominal frame duration */
    gint64 start_us;          /* the stream's start time */
    guint64 decoded, dropped_late, dropped_other, decode_errors;
    char last_error[256];     /* the decoder's last error message */
    /* sound (see glvf/glvf-audio.h): opened with the decoder on the worker */
    gboolean audio_enabled;
    gboolean may_open;        /* set from the main loop after construction: the
                                 setters called right after _new() apply to
                                 the open (which the worker may otherwise
                                 start before they run) */
    glvf_audio_out *audio;    /* NULL: the video clock */
    guint64 dec_seeks;        /* seeks asked of the decoder (its chunks' serial) */
    double volume;
    gboolean muted;
    gboolean audio_clock;     /* the last due() used the audio clock */
    GlvfMediaStreamAudio audio_state;
    char audio_codec[32];
    char audio_message[160];
    int audio_rate;
#ifdef GLVF_GTK4_HAVE_SWSCALE
    /* worker thread only: the CPU conversion for software renderers */
    struct SwsContext *sws;
    uint8_t *rgba;            /* reused while the size stays */
    size_t rgba_size;
#endif
} feed;

struct _GlvfMediaStream {
    GtkMediaStream parent;
    GlvfVideoPaintable *paintable;
    feed *feed;
    guint seek_serial;
    gboolean seek_pending;
    int realized;
    GlvfMediaStreamStats info;   /* the stream's static description */
};

static void glvf_media_stream_paintable_init(GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(GlvfMediaStream, glvf_media_stream, GTK_TYPE_MEDIA_STREAM,
                              G_IMPLEMENT_INTERFACE(GDK_TYPE_PAINTABLE,
                                                    glvf_media_stream_paintable_init))

/* ---- main-thread notifications -------------------------------------------- */

typedef enum { NOTE_PREPARED, NOTE_ENDED, NOTE_ERROR } note_kind;

typedef struct note {
    feed *feed;
    note_kind kind;
    guint serial;
    char *message;
    GlvfMediaStreamStats info;
    gint64 duration_us;
    atomic_int published;
} note;

static void feed_unref(gpointer user);

static void note_free(gpointer data)
{
    note *n = data;
    atomic_load_explicit(&n->published, memory_order_acquire);
    feed_unref(n->feed);
    g_free(n->message);
    g_free(n);
}

static gboolean note_idle(gpointer data)
{
    note *n = data;
    atomic_load_explicit(&n->published, memory_order_acquire);
    GlvfMediaStream *self = g_weak_ref_get(&n->feed->stream);
    if (!self || self->feed != n->feed) {
        g_clear_object(&self);
        return G_SOURCE_REMOVE;
    }
    GtkMediaStream *ms = GTK_MEDIA_STREAM(self);
    switch (n->kind) {
    case NOTE_PREPARED:
        self->info = n->info;
        gtk_media_stream_stream_prepared(ms, n->info.audio == GLVF_MEDIA_STREAM_AUDIO_PLAYING,
                                         TRUE, n->duration_us > 0, n->duration_us);
        break;
    case NOTE_ENDED:
        pthread_mutex_lock(&self->feed->lock);
        gboolean current = n->serial == self->feed->serial;
        pthread_mutex_unlock(&self->feed->lock);
        if (current && !gtk_media_stream_get_ended(ms)) {
            if (gtk_media_stream_is_seeking(ms)) { /* a seek past the last frame */
                self->seek_pending = FALSE;
                gtk_media_stream_seek_success(ms);
            }
            gtk_media_stream_stream_ended(ms);
        }
        break;
    case NOTE_ERROR:
        if (!gtk_media_stream_get_error(ms))
            gtk_media_stream_error(ms, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", n->message);
        break;
    }
    g_object_unref(self);
    return G_SOURCE_REMOVE;
}

/* Any thread: posts a notification to the main thread (after the hand-off
 * idles already posted: same priority, first in first out). */
static void post(feed *f, note_kind kind, guint serial, char *message,
                 const GlvfMediaStreamStats *info, gint64 duration_us)
{
    note *n = g_new0(note, 1);
    atomic_fetch_add(&f->refs, 1);
    n->feed = f;
    n->kind = kind;
    n->serial = serial;
    n->message = message;
    if (info)
        n->info = *info;
    n->duration_us = duration_us;
    /* GLib's main-context locking is invisible to ThreadSanitizer: the
     * note is published to the main thread through this release store */
    atomic_store_explicit(&n->published, 1, memory_order_release);
    GSource *s = g_idle_source_new();
    g_source_set_priority(s, G_PRIORITY_DEFAULT);
    g_source_set_callback(s, note_idle, n, note_free);
    g_source_attach(s, NULL);
    g_source_unref(s);
}

/* ---- the feed: a source for the paintable's worker -------------------------- */

static gpointer feed_ref(gpointer user)
{
    feed *f = user;
    atomic_fetch_add(&f->refs, 1);
    return f;
}

static void feed_unref(gpointer user)
{
    feed *f = user;
    if (!f || atomic_fetch_sub(&f->refs, 1) != 1)
        return;
    /* libpulse's thread ends first: it pulls chunks from the decoder */
    glvf_audio_out_free(&f->audio);
    /* the decoder's thread ends here; frames are all given back by now
     * (each item holds a reference) */
    glvf_ffmpeg_decoder_destroy(&f->dec);
#ifdef GLVF_GTK4_HAVE_SWSCALE
    sws_freeContext(f->sws);
    g_free(f->rgba);
#endif
    g_weak_ref_clear(&f->stream);
    g_free(f->path);
    g_free(f->protocols);
    pthread_cond_destroy(&f->cond);
    pthread_mutex_destroy(&f->lock);
    g_free(f);
}

static void stream_log(void *user, glvf_log_level level, const char *msg)
{
    feed *f = user;
    if (level <= GLVF_LOG_ERROR) {
        pthread_mutex_lock(&f->lock);
        g_strlcpy(f->last_error, msg, sizeof f->last_error);
        pthread_mutex_unlock(&f->lock);
    }
    g_log("glvf", level <= GLVF_LOG_WARN ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_DEBUG, "%s", msg);
}

static double rational_value(glvf_rational r)
{
    return r.num > 0 && r.den > 0 ? (double)r.num / r.den : 0.0;
}

/* Opening thread: the open gives up once the stream is closed. */
static bool feed_open_interrupt(void *user)
{
    feed *f = user;
    pthread_mutex_lock(&f->lock);
    gboolean closed = f->closed;
    pthread_mutex_unlock(&f->lock);
    return closed;
}

/* The picture's display size from the stream's information: the sample
 * aspect ratio widens (or narrows) the coded width, a rotation by 90 or 270
 * degrees swaps the sides (as the paintable's own display size of each
 * frame, which is what it converts to). */
static void display_size(const glvf_ffmpeg_info *in, int *dw, int *dh)
{
    double w = in->width;
    if (in->sar.num > 0 && in->sar.den > 0)
        w = w * in->sar.num / in->sar.den;
    int iw = in->width > 0 ? MAX(1, (int)(w + 0.5)) : 0, ih = MAX(0, in->height);
    bool swap = in->rotation == 90 || in->rotation == 270;
    *dw = swap ? ih : iw;
    *dh = swap ? iw : ih;
}

/* Opening thread, lock not held: opens the decoder. */
static void feed_open(feed *f)
{
    int err = 0;
    pthread_mutex_lock(&f->lock);
    gboolean want_audio = f->audio_enabled;
    pthread_mutex_unlock(&f->lock);
    char why_audio[160] = "";
    glvf_audio_out *audio = NULL;
    if (want_audio)
        audio = glvf_audio_out_connect("glvf", why_audio, sizeof why_audio);
    glvf_ffmpeg_decoder *dec = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = f->path, .protocols = f->protocols,
                                       .io_timeout_ms = f->io_timeout_ms,
                                       .log = stream_log, .log_user = f,
                                       .interrupt = feed_open_interrupt, .interrupt_user = f,
                                       .audio = audio != NULL),
            &err);
    pthread_mutex_lock(&f->lock);
    gboolean closed = f->closed;
    pthread_mutex_unlock(&f->lock);
    if (dec && closed) {
        /* closed meanwhile: nobody wants it */
        glvf_audio_out_free(&audio);
        glvf_ffmpeg_decoder_destroy(&dec);
        pthread_mutex_lock(&f->lock);
        f->open = OPEN_FAILED;
        pthread_cond_broadcast(&f->cond);
        pthread_mutex_unlock(&f->lock);
        return;
    }
    if (!dec) {
        glvf_audio_out_free(&audio);
        char why[256];
        glvf_ffmpeg_strerror(err, why, sizeof why);
        pthread_mutex_lock(&f->lock);
        f->open = OPEN_FAILED;
        guint serial = f->serial;
        /* the decoder's own message names the file and the cause best,
         * e.g. "'a.wav' (wav) has no video stream (streams: audio)" */
        char *msg = f->last_error[0] ? g_strdup_printf("cannot play: %s", f->last_error)
                                     : g_strdup_printf("cannot play %s: %s", f->path, why);
        pthread_cond_broadcast(&f->cond);
        gboolean tell = !f->closed;
        pthread_mutex_unlock(&f->lock);
        if (tell)
            post(f, NOTE_ERROR, serial, msg, NULL, 0);
        else
            g_free(msg);
        return;
    }
    const glvf_ffmpeg_info *in = glvf_ffmpeg_decoder_info(dec);
    GlvfMediaStreamStats info = { .width = in->width, .height = in->height,
                                  .frame_rate = rational_value(in->frame_rate),
                                  .decoder_threads = in->threads };
    display_size(in, &info.display_width, &info.display_height);
    g_strlcpy(info.codec, in->codec_name ? in->codec_name : "?", sizeof info.codec);
    g_strlcpy(info.pix_fmt, in->pix_fmt_name ? in->pix_fmt_name : "?", sizeof info.pix_fmt);
    GlvfMediaStreamAudio astate;
    if (in->audio_stream_index < 0) {
        astate = GLVF_MEDIA_STREAM_AUDIO_NONE;
        glvf_audio_out_free(&audio);
    } else if (!want_audio) {
        astate = GLVF_MEDIA_STREAM_AUDIO_DISABLED;
    } else if (!audio) {
        astate = GLVF_MEDIA_STREAM_AUDIO_NO_SERVER;
    } else if (!in->has_audio) {
        astate = GLVF_MEDIA_STREAM_AUDIO_FAILED;
        why_audio[0] = '\0'; /* the decoder logged why (one warning) */
        glvf_audio_out_free(&audio);
    } else if (!glvf_audio_out_start(audio, dec, in->audio_rate, why_audio, sizeof why_audio)) {
        astate = GLVF_MEDIA_STREAM_AUDIO_FAILED;
        /* the decoder routes audio packets to a queue nobody empties:
         * opened again without audio */
        glvf_audio_out_free(&audio);
        glvf_ffmpeg_decoder_destroy(&dec);
        dec = glvf_ffmpeg_decoder_open(
                glvf_ffmpeg_decoder_params(.path = f->path, .protocols = f->protocols,
                                           .io_timeout_ms = f->io_timeout_ms,
                                           .log = stream_log, .log_user = f,
                                           .interrupt = feed_open_interrupt,
                                           .interrupt_user = f),
                &err);
        if (!dec) {
            pthread_mutex_lock(&f->lock);
            f->open = OPEN_FAILED;
            guint serial = f->serial;
            char *msg = g_strdup_printf("cannot play: %s", f->last_error);
            pthread_mutex_unlock(&f->lock);
            post(f, NOTE_ERROR, serial, msg, NULL, 0);
            return;
        }
        in = glvf_ffmpeg_decoder_info(dec);
    } else {
        astate = GLVF_MEDIA_STREAM_AUDIO_PLAYING;
    }
    pthread_mutex_lock(&f->lock);
    f->audio = audio;
    f->audio_state = astate;
    g_strlcpy(f->audio_message, why_audio, sizeof f->audio_message);
    g_strlcpy(f->audio_codec, in->audio_codec_name ? in->audio_codec_name : "",
              sizeof f->audio_codec);
    f->audio_rate = in->audio_rate;
    if (audio) {
        glvf_audio_out_set_volume(audio, f->volume, f->muted);
        glvf_audio_out_set_playing(audio, f->playing);
    }
    info.audio = astate;
    f->dec = dec;
    f->open = OPEN_OK;
    f->start_us = in->start_time_us == GLVF_FFMPEG_NOPTS ? 0 : in->start_time_us;
    f->frame_us = info.frame_rate > 0 ? (gint64)(1e6 / info.frame_rate) : 40000;
    guint serial = f->serial;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->lock);
    post(f, NOTE_PREPARED, serial, NULL, &info, in->duration_us);
}

/* The opening thread: opening may block for as long as the input makes it
 * (a network stall, a FIFO no one writes to), so it runs on a thread of its
 * own that nobody joins, holding a reference on the feed: the worker (and
 * the main thread) never wait for it; closing the stream cancels it at the
 * next I/O poll. */
static atomic_uint openers_running;

guint glvf_media_stream_openers_running(void)
{
    return atomic_load(&openers_running);
}

static gpointer feed_open_thread(gpointer data)
{
    feed *f = data;
    feed_open(f);
    feed_unref(f);
    atomic_fetch_sub(&openers_running, 1);
    return NULL;
}

static gint64 frame_time_us(feed *f, const AVFrame *fr)
{
    const glvf_ffmpeg_info *in = glvf_ffmpeg_decoder_info(f->dec);
    int64_t pts = fr->pts != AV_NOPTS_VALUE ? fr->pts : fr->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE || in->time_base.num <= 0 || in->time_base.den <= 0)
        return f->last_pts >= 0 ? f->last_pts + f->frame_us : 0;
    return av_rescale_q(pts, (AVRational){ in->time_base.num, in->time_base.den },
                        AV_TIME_BASE_Q) -
           f->start_us;
}

static int feed_next(gpointer user, glvf_gtk_item *item)
{
    feed *f = user;
    pthread_mutex_lock(&f->lock);
    guint interrupts = f->interrupts;
    for (;;) {
        if (f->closed || f->open == OPEN_FAILED) {
            pthread_mutex_unlock(&f->lock);
            return -1;
        }
        if (f->interrupts != interrupts) {
            pthread_mutex_unlock(&f->lock);
            return 0;
        }
        if (f->open == OPEN_NONE && !f->may_open) {
            pthread_cond_wait(&f->cond, &f->lock);
            continue;
        }
        if (f->open == OPEN_NONE) {
            f->open = OPEN_RUNNING;
            GError *err = NULL;
            atomic_fetch_add(&openers_running, 1);
            GThread *t = g_thread_try_new("glvf-open", feed_open_thread, feed_ref(f), &err);
            if (!t) {
                atomic_fetch_sub(&openers_running, 1);
                f->open = OPEN_FAILED;
                post(f, NOTE_ERROR, f->serial,
                     g_strdup_printf("cannot start a thread: %s", err->message), NULL, 0);
                g_error_free(err);
                feed_unref(f); /* the thread's: never the last (the caller holds one) */
                continue;
            }
            g_thread_unref(t); /* detached */
            continue;
        }
        if (f->open == OPEN_RUNNING) {
            /* the opening thread wakes us (or a close, an interrupt) */
            pthread_cond_wait(&f->cond, &f->lock);
            continue;
        }
        if (f->seek_to >= 0) {
            glvf_ffmpeg_decoder_seek(f->dec, f->seek_to + f->start_us);
            f->dec_seeks++;
            glvf_audio_out_flush(f->audio, f->dec_seeks);
            f->seek_to = -1;
            f->at_end = FALSE;
            f->clock_valid = FALSE;
        }
        if ((!f->playing && !f->show_one) || f->at_end) {
            pthread_cond_wait(&f->cond, &f->lock);
            continue;
        }
        guint serial = f->serial;
        glvf_ffmpeg_decoder *dec = f->dec;
        pthread_mutex_unlock(&f->lock);
        AVFrame *fr = NULL;
        int r = glvf_ffmpeg_decoder_next(dec, &fr, NEXT_POLL_MS);
        pthread_mutex_lock(&f->lock);
        if (r == -EAGAIN)
            continue;
        if (serial != f->serial || f->seek_to >= 0) {
            glvf_ffmpeg_decoder_release(dec, &fr); /* from before a seek */
            continue;
        }
        if (r == GLVF_FFMPEG_EOF) {
            f->at_end = TRUE;
            post(f, NOTE_ENDED, serial, NULL, NULL, 0);
            continue;
        }
        if (r < 0) {
            char why[256];
            glvf_ffmpeg_decoder_last_error(dec, why, sizeof why);
            if (!why[0])
                glvf_ffmpeg_strerror(r, why, sizeof why);
            f->open = OPEN_FAILED;
            post(f, NOTE_ERROR, serial, g_strdup_printf("decoding %s failed: %s", f->path, why),
                 NULL, 0);
            continue;
        }
        f->decoded++;
        gboolean rebase = f->show_one || !f->clock_valid;
        f->show_one = FALSE;
        *item = (glvf_gtk_item){ .data = fr, .pts_us = frame_time_us(f, fr), .serial = serial,
                                 .rebase = rebase, .wait_painted = f->untimed && f->playing };
        pthread_mutex_unlock(&f->lock);
        return 1;
    }
}

static void feed_interrupt(gpointer user)
{
    feed *f = user;
    pthread_mutex_lock(&f->lock);
    f->interrupts++;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->lock);
}

static gint64 feed_due(gpointer user, glvf_gtk_item *it, gint64 *late_us)
{
    feed *f = user;
    *late_us = 0;
    pthread_mutex_lock(&f->lock);
    /* untimed and playing now, not when it was decoded: a frame decoded
     * while paused and shown after play would otherwise not wait for its
     * paint and be replaced (one dropped in an untimed run, seen in CI) */
    it->wait_painted = f->untimed && f->playing;
    gint64 due;
    if (f->closed || it->serial != f->serial || f->seek_to >= 0) {
        due = GLVF_GTK_DUE_DROP;
    } else if (it->rebase) {
        due = 0;
    } else if (!f->playing) {
        if (f->show_one) { /* a step while this frame waited */
            f->show_one = FALSE;
            f->clock_valid = FALSE;
            due = 0;
        } else {
            due = GLVF_GTK_DUE_WAIT;
        }
    } else if (!f->clock_valid || f->untimed) {
        due = 0;
    } else {
        gint64 a_us;
        f->audio_clock = f->audio && glvf_audio_out_clock(f->audio, &a_us);
        if (f->audio_clock) /* the sample heard now is at a_us: the master */
            due = g_get_monotonic_time() + (it->pts_us - (a_us - f->start_us));
        else
            due = f->t0 + (it->pts_us - f->p0);
        /* shown more than half a frame late: dropped */
        *late_us = MAX(f->frame_us / 2, 1);
    }
    pthread_mutex_unlock(&f->lock);
    return due;
}

static glvf_frame *feed_upload(gpointer user, glvf_context *ctx, gpointer data)
{
    (void)user;
    int err = 0;
    return glvf_ffmpeg_upload(ctx, data, NULL, &err);
}

#ifdef GLVF_GTK4_HAVE_SWSCALE
static gboolean feed_display_size(gpointer user, gpointer data, int *dw, int *dh)
{
    (void)user;
    glvf_image img;
    char why[128];
    if (glvf_ffmpeg_image_from_frame(data, &img, why, sizeof why) < 0)
        return FALSE;
    if (img.rotation || img.flip_h || img.flip_v)
        return FALSE; /* the GL path rotates and mirrors */
    if (glvf_colour_needs_conversion(&img.color, NULL))
        return FALSE; /* and converts primaries and HDR (libswscale does not) */
    double w = img.width;
    if (img.sar.num > 0 && img.sar.den > 0)
        w = w * img.sar.num / img.sar.den;
    *dw = MAX(1, (int)(w + 0.5));
    *dh = img.height;
    return TRUE;
}

/* The matrix swscale needs for the frame (its tag, else BT.709 from HD
 * sizes up and BT.601 below, as glvf's renderer assumes). */
static int sws_space(const AVFrame *fr)
{
    switch (fr->colorspace) {
    case AVCOL_SPC_BT709: return SWS_CS_ITU709;
    case AVCOL_SPC_FCC: return SWS_CS_FCC;
    case AVCOL_SPC_SMPTE240M: return SWS_CS_SMPTE240M;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M: return SWS_CS_ITU601;
    default: return fr->width >= 1280 || fr->height > 576 ? SWS_CS_ITU709 : SWS_CS_ITU601;
    }
}

static glvf_frame *feed_upload_rgba(gpointer user, glvf_context *ctx, gpointer data, int tw,
                                    int th, const glvf_upload_params *params)
{
    feed *f = user;
    const AVFrame *fr = data;
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fr->format);
    if (!d || (d->flags & AV_PIX_FMT_FLAG_HWACCEL))
        return NULL;
    f->sws = sws_getCachedContext(f->sws, fr->width, fr->height, fr->format, tw, th,
                                  AV_PIX_FMT_RGBA, SWS_BILINEAR, NULL, NULL, NULL);
    if (!f->sws)
        return NULL;
    gboolean full = fr->color_range == AVCOL_RANGE_JPEG || fr->format == AV_PIX_FMT_YUVJ420P ||
                    fr->format == AV_PIX_FMT_YUVJ422P || fr->format == AV_PIX_FMT_YUVJ444P;
    const int *coef = sws_getCoefficients(sws_space(fr));
    sws_setColorspaceDetails(f->sws, coef, full, coef, 1, 0, 1 << 16, 1 << 16);
    size_t stride = ((size_t)tw * 4 + 63) & ~(size_t)63;
    size_t need = stride * (size_t)th;
    if (need > f->rgba_size) {
        g_free(f->rgba);
        f->rgba = g_malloc(need);
        f->rgba_size = need;
    }
    uint8_t *dst[4] = { f->rgba };
    int dst_stride[4] = { (int)stride };
    if (sws_scale(f->sws, (const uint8_t *const *)fr->data, fr->linesize, 0, fr->height, dst,
                  dst_stride) != th)
        return NULL;
    /* rows top to bottom, as GdkGLTexture expects */
    glvf_image img = { .format = GLVF_FORMAT_RGBA8, .width = tw, .height = th,
                       .planes = { { f->rgba, (ptrdiff_t)stride } } };
    return glvf_upload(ctx, &img, params, NULL);
}
#endif

static void feed_release(gpointer user, gpointer data)
{
    feed *f = user;
    AVFrame *fr = data;
    glvf_ffmpeg_decoder_release(f->dec, &fr);
}

static void feed_handed(gpointer user, const glvf_gtk_item *it, gint64 when_us)
{
    feed *f = user;
    pthread_mutex_lock(&f->lock);
    if (it->serial == f->serial) {
        /* with the audio clock, the video clock follows each frame so that
         * it takes over where the audio ends */
        if (it->rebase || !f->clock_valid || f->audio_clock) {
            f->t0 = when_us;
            f->p0 = it->pts_us;
            f->clock_valid = f->playing;
        }
        f->last_pts = it->pts_us;
    }
    pthread_mutex_unlock(&f->lock);
}

static void feed_dropped(gpointer user, const glvf_gtk_item *it, gboolean late)
{
    feed *f = user;
    pthread_mutex_lock(&f->lock);
    if (late && it->serial == f->serial)
        f->dropped_late++;
    else
        f->dropped_other++;
    pthread_mutex_unlock(&f->lock);
}

static const glvf_gtk_source feed_vtable = {
    .next = feed_next,
    .interrupt = feed_interrupt,
    .due = feed_due,
    .upload = feed_upload,
#ifdef GLVF_GTK4_HAVE_SWSCALE
    .upload_rgba = feed_upload_rgba,
    .display_size = feed_display_size,
#endif
    .release = feed_release,
    .handed = feed_handed,
    .dropped = feed_dropped,
    .ref = feed_ref,
    .unref = feed_unref,
};

/* Main thread: changes requests and wakes whoever waits. */
static void feed_changed_locked(feed *f)
{
    f->interrupts++;
    pthread_cond_broadcast(&f->cond);
}

static void wake(GlvfMediaStream *self)
{
    glvf_video_paintable_wake(self->paintable);
}

/* ---- GtkMediaStream ------------------------------------------------------- */

static void stream_seek_to(GlvfMediaStream *self, gint64 ts)
{
    feed *f = self->feed;
    pthread_mutex_lock(&f->lock);
    f->seek_to = MAX(ts, 0);
    f->serial++;
    f->show_one = TRUE;
    f->clock_valid = FALSE;
    f->at_end = FALSE;
    self->seek_serial = f->serial;
    feed_changed_locked(f);
    pthread_mutex_unlock(&f->lock);
    wake(self);
}

static gboolean glvf_media_stream_play(GtkMediaStream *ms)
{
    GlvfMediaStream *self = GLVF_MEDIA_STREAM(ms);
    feed *f = self->feed;
    if (gtk_media_stream_get_ended(ms))
        stream_seek_to(self, 0); /* playing again from the start */
    pthread_mutex_lock(&f->lock);
    if (f->open == OPEN_FAILED) {
        pthread_mutex_unlock(&f->lock);
        return FALSE;
    }
    f->playing = TRUE;
    glvf_audio_out_set_playing(f->audio, TRUE);
    /* the clock restarts at the frame on screen: the next one is due one
     * frame interval from now */
    f->clock_valid = f->last_pts >= 0 && !f->show_one;
    f->t0 = g_get_monotonic_time();
    f->p0 = f->last_pts;
    feed_changed_locked(f);
    pthread_mutex_unlock(&f->lock);
    wake(self);
    return TRUE;
}

static void glvf_media_stream_pause(GtkMediaStream *ms)
{
    GlvfMediaStream *self = GLVF_MEDIA_STREAM(ms);
    feed *f = self->feed;
    pthread_mutex_lock(&f->lock);
    f->playing = FALSE;
    f->clock_valid = FALSE;
    glvf_audio_out_set_playing(f->audio, FALSE);
    feed_changed_locked(f);
    pthread_mutex_unlock(&f->lock);
    wake(self);
}

static void glvf_media_stream_seek(GtkMediaStream *ms, gint64 timestamp)
{
    GlvfMediaStream *self = GLVF_MEDIA_STREAM(ms);
    stream_seek_to(self, timestamp);
    self->seek_pending = TRUE;
}

static void glvf_media_stream_update_audio(GtkMediaStream *ms, gboolean muted, double volume)
{
    feed *f = GLVF_MEDIA_STREAM(ms)->feed;
    pthread_mutex_lock(&f->lock);
    f->volume = volume;
    f->muted = muted;
    glvf_audio_out_set_volume(f->audio, volume, muted);
    pthread_mutex_unlock(&f->lock);
}

void glvf_media_stream_set_audio_enabled(GlvfMediaStream *self, gboolean enabled)
{
    g_return_if_fail(GLVF_IS_MEDIA_STREAM(self));
    feed *f = self->feed;
    pthread_mutex_lock(&f->lock);
    f->audio_enabled = enabled;
    pthread_mutex_unlock(&f->lock);
}

static void glvf_media_stream_realize(GtkMediaStream *ms, GdkSurface *surface)
{
    GlvfMediaStream *self = GLVF_MEDIA_STREAM(ms);
    self->realized++;
    glvf_video_paintable_set_scale(self->paintable, gdk_surface_get_scale_factor(surface));
}

static void glvf_media_stream_unrealize(GtkMediaStream *ms, GdkSurface *surface)
{
    GlvfMediaStream *self = GLVF_MEDIA_STREAM(ms);
    (void)surface;
    if (self->realized > 0 && --self->realized == 0)
        glvf_video_paintable_release_gl(self->paintable); /* made again when needed */
}

void glvf_media_stream_step(GlvfMediaStream *self)
{
    g_return_if_fail(GLVF_IS_MEDIA_STREAM(self));
    gtk_media_stream_pause(GTK_MEDIA_STREAM(self));
    feed *f = self->feed;
    pthread_mutex_lock(&f->lock);
    f->show_one = TRUE;
    feed_changed_locked(f);
    pthread_mutex_unlock(&f->lock);
    wake(self);
}

void glvf_media_stream_set_untimed(GlvfMediaStream *self, gboolean untimed)
{
    g_return_if_fail(GLVF_IS_MEDIA_STREAM(self));
    feed *f = self->feed;
    pthread_mutex_lock(&f->lock);
    f->untimed = untimed;
    f->clock_valid = FALSE;
    feed_changed_locked(f);
    pthread_mutex_unlock(&f->lock);
    wake(self);
}

/* Main thread: a new picture is on screen. */
static void on_shown(gpointer user, gint64 pts_us, guint serial)
{
    GlvfMediaStream *self = user;
    GtkMediaStream *ms = GTK_MEDIA_STREAM(self);
    if (gtk_media_stream_is_prepared(ms))
        gtk_media_stream_update(ms, MAX(pts_us, 0));
    if (self->seek_pending && serial == self->seek_serial) {
        self->seek_pending = FALSE;
        gtk_media_stream_seek_success(ms);
    }
}

void glvf_media_stream_set_worker(GlvfMediaStream *self, GlvfVideoWorker *worker)
{
    g_return_if_fail(GLVF_IS_MEDIA_STREAM(self));
    glvf_video_paintable_set_worker(self->paintable, worker);
}

GlvfVideoPaintable *glvf_media_stream_get_paintable(GlvfMediaStream *self)
{
    g_return_val_if_fail(GLVF_IS_MEDIA_STREAM(self), NULL);
    return self->paintable;
}

void glvf_media_stream_get_stats(GlvfMediaStream *self, GlvfMediaStreamStats *out)
{
    g_return_if_fail(GLVF_IS_MEDIA_STREAM(self));
    g_return_if_fail(out != NULL);
    *out = self->info;
    feed *f = self->feed;
    pthread_mutex_lock(&f->lock);
    out->frames_decoded = f->decoded;
    glvf_ffmpeg_stats ds = { 0 };
    if (f->dec)
        glvf_ffmpeg_decoder_get_stats(f->dec, &ds);
    glvf_audio_out_stats as;
    glvf_audio_out_get_stats(f->audio, &as);
    out->audio = f->audio_state;
    g_strlcpy(out->audio_codec, f->audio_codec, sizeof out->audio_codec);
    g_strlcpy(out->audio_message, f->audio_message, sizeof out->audio_message);
    out->audio_rate = f->audio_rate;
    out->audio_clock = f->audio_clock;
    pthread_mutex_unlock(&f->lock);
    out->audio_latency_us = as.latency_us;
    out->audio_underruns = as.underruns;
    out->audio_frames_written = as.frames_written;
    out->audio_errors = ds.audio_errors;
    out->decode_errors = ds.decode_errors;
    if (ds.frames_delivered)
        glvf_colour_describe(&ds.color, NULL, out->colour, sizeof out->colour);
    else
        out->colour[0] = '\0';
    out->queue_depth = ds.queue_depth;
    out->queue_capacity = ds.queue_capacity;
    glvf_video_paintable_get_stats(self->paintable, &out->paintable);
    out->frames_shown = out->paintable.frames_shown;
    out->frames_dropped = out->paintable.frames_late + out->paintable.frames_replaced;
}

/* Main loop, once after construction: the open may begin. */
static gboolean allow_open_idle(gpointer data)
{
    feed *f = data;
    pthread_mutex_lock(&f->lock);
    f->may_open = TRUE;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->lock);
    return G_SOURCE_REMOVE;
}

static GtkMediaStream *stream_new(const char *path, const char *protocols, int io_timeout_ms)
{
    GlvfMediaStream *self = g_object_new(GLVF_TYPE_MEDIA_STREAM, NULL);
    feed *f = g_new0(feed, 1);
    atomic_init(&f->refs, 1);
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->cond, NULL);
    f->path = g_strdup(path);
    f->protocols = g_strdup(protocols);
    f->io_timeout_ms = io_timeout_ms;
    f->seek_to = -1;
    f->last_pts = -1;
    f->show_one = TRUE; /* the first frame is shown before play */
    f->audio_enabled = TRUE;
    f->volume = 1.0;
    g_weak_ref_init(&f->stream, self);
    self->feed = f;
    glvf_video_paintable_set_shown_func(self->paintable, on_shown, self);
    glvf_video_paintable_set_source(self->paintable, &feed_vtable, f);
    g_idle_add_full(G_PRIORITY_DEFAULT, allow_open_idle, feed_ref(f), feed_unref);
    return GTK_MEDIA_STREAM(self);
}

GtkMediaStream *glvf_media_stream_new_for_filename(const char *path)
{
    g_return_val_if_fail(path != NULL, NULL);
    return stream_new(path, NULL, 0);
}

GtkMediaStream *glvf_media_stream_new_for_uri(const char *uri, const char *protocols,
                                              int io_timeout_ms)
{
    g_return_val_if_fail(uri != NULL, NULL);
    g_return_val_if_fail(io_timeout_ms >= 0, NULL);
    return stream_new(uri, protocols ? protocols : GLVF_MEDIA_STREAM_NETWORK_PROTOCOLS,
                      io_timeout_ms);
}

GtkMediaStream *glvf_media_stream_new_for_file(GFile *file)
{
    g_return_val_if_fail(G_IS_FILE(file), NULL);
    char *path = g_file_get_path(file);
    if (!path) {
        char *uri = g_file_get_uri(file);
        GtkMediaStream *ms = g_object_new(GLVF_TYPE_MEDIA_STREAM, NULL);
        GlvfMediaStream *self = GLVF_MEDIA_STREAM(ms);
        feed *f = g_new0(feed, 1);
        atomic_init(&f->refs, 1);
        pthread_mutex_init(&f->lock, NULL);
        pthread_cond_init(&f->cond, NULL);
        f->open = OPEN_FAILED;
        f->seek_to = -1;
        f->last_pts = -1;
        g_weak_ref_init(&f->stream, self);
        self->feed = f;
        gtk_media_stream_error(ms, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "cannot play %s: not a local file", uri);
        g_free(uri);
        return ms;
    }
    GtkMediaStream *ms = stream_new(path, NULL, 0);
    g_free(path);
    return ms;
}

/* ---- GdkPaintable: the paintable's --------------------------------------- */

static void ms_snapshot(GdkPaintable *p, GdkSnapshot *snapshot, double w, double h)
{
    gdk_paintable_snapshot(GDK_PAINTABLE(GLVF_MEDIA_STREAM(p)->paintable), snapshot, w, h);
}

static GdkPaintable *ms_get_current_image(GdkPaintable *p)
{
    return gdk_paintable_get_current_image(GDK_PAINTABLE(GLVF_MEDIA_STREAM(p)->paintable));
}

static int ms_get_intrinsic_width(GdkPaintable *p)
{
    return gdk_paintable_get_intrinsic_width(GDK_PAINTABLE(GLVF_MEDIA_STREAM(p)->paintable));
}

static int ms_get_intrinsic_height(GdkPaintable *p)
{
    return gdk_paintable_get_intrinsic_height(GDK_PAINTABLE(GLVF_MEDIA_STREAM(p)->paintable));
}

static double ms_get_intrinsic_aspect_ratio(GdkPaintable *p)
{
    return gdk_paintable_get_intrinsic_aspect_ratio(
            GDK_PAINTABLE(GLVF_MEDIA_STREAM(p)->paintable));
}

static void glvf_media_stream_paintable_init(GdkPaintableInterface *iface)
{
    iface->snapshot = ms_snapshot;
    iface->get_current_image = ms_get_current_image;
    iface->get_intrinsic_width = ms_get_intrinsic_width;
    iface->get_intrinsic_height = ms_get_intrinsic_height;
    iface->get_intrinsic_aspect_ratio = ms_get_intrinsic_aspect_ratio;
}

static void on_invalidate_contents(GdkPaintable *p, gpointer self)
{
    (void)p;
    gdk_paintable_invalidate_contents(GDK_PAINTABLE(self));
}

static void on_invalidate_size(GdkPaintable *p, gpointer self)
{
    (void)p;
    gdk_paintable_invalidate_size(GDK_PAINTABLE(self));
}

/* ---- GObject --------------------------------------------------------------- */

static void glvf_media_stream_dispose(GObject *obj)
{
    GlvfMediaStream *self = GLVF_MEDIA_STREAM(obj);
    if (self->feed) {
        feed *f = self->feed;
        pthread_mutex_lock(&f->lock);
        f->closed = TRUE;
        feed_changed_locked(f);
        pthread_mutex_unlock(&f->lock);
    }
    if (self->paintable) {
        g_signal_handlers_disconnect_by_data(self->paintable, self);
        glvf_video_paintable_set_shown_func(self->paintable, NULL, NULL);
        glvf_video_paintable_set_source(self->paintable, NULL, NULL);
        g_clear_object(&self->paintable);
    }
    if (self->feed) {
        feed_unref(self->feed);
        self->feed = NULL;
    }
    G_OBJECT_CLASS(glvf_media_stream_parent_class)->dispose(obj);
}

static void glvf_media_stream_class_init(GlvfMediaStreamClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkMediaStreamClass *mc = GTK_MEDIA_STREAM_CLASS(klass);
    oc->dispose = glvf_media_stream_dispose;
    mc->play = glvf_media_stream_play;
    mc->pause = glvf_media_stream_pause;
    mc->seek = glvf_media_stream_seek;
    mc->update_audio = glvf_media_stream_update_audio;
    mc->realize = glvf_media_stream_realize;
    mc->unrealize = glvf_media_stream_unrealize;
}

static void glvf_media_stream_init(GlvfMediaStream *self)
{
    self->paintable = glvf_video_paintable_new(NULL);
    g_signal_connect(self->paintable, "invalidate-contents", G_CALLBACK(on_invalidate_contents),
                     self);
    g_signal_connect(self->paintable, "invalidate-size", G_CALLBACK(on_invalidate_size), self);
}
