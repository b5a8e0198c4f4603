/*
 * glvf-player, --output area: the presentation controller between the
 * decoder and the GlvfVideoArea (player_impl.h: the backend interface).
 *
 * Decoder life. The decoder's direct rendering needs the area's glvf
 * context, which exists only while the area is realized. So the decoder is
 * opened once the area is realized ("realize", after the class handler),
 * on a worker thread ("glvf-decode": opening probes the stream, which
 * decodes a few frames; the decoding thread and libavcodec's threads it
 * starts inherit the name) that nobody joins (open_job below: the main
 * thread never waits for an open, which a FIFO can block for ever; the
 * decoder opens without the context and gets it on the main thread with
 * glvf_ffmpeg_decoder_attach_context), and torn down on "unrealize" BEFORE the class
 * handler destroys the context: the item in the widget's mailbox and the
 * frame held back by the pacing are released, then the decoder is destroyed
 * (DR pictures live in the context's staging memory; docs/ffmpeg.md).
 *
 * Pacing. A tick callback on the area (its GdkFrameClock) takes decoded
 * frames without waiting (glvf_ffmpeg_decoder_next(.., 0)). The media clock
 * starts at the first presentation: T0, the frame-clock time of the paint
 * that renders the first frame (pts P0); the frame of pts P is then due at
 * T0 + (P - P0). Until that render, nothing more is taken (so a slow first
 * paint, shader compilation, ... does not make the following frames late).
 * The tick callback is installed only while it has work (playing, a seek or
 * a step to show, the automation waiting for a render, the benchmark) and
 * removes itself once it has none: while paused nothing runs.
 * Each tick presents the latest frame that is due (within half a refresh
 * interval); frames that were due before it are late: released unshown and
 * counted as dropped. A frame not yet due waits for a later tick. Pause
 * keeps the held-back frame; resume restarts the clock at the position on
 * screen; a seek or a frame step shows the next frame at once and restarts
 * the clock on it, the same way as the first frame. The chosen frame is
 * pushed as an AVFrame with glvf_video_area_push(): the widget uploads it
 * (glvf_ffmpeg_upload, timed here) on its next render and then releases it
 * (glvf_ffmpeg_decoder_release: the AVFrame shell goes back to the decoder).
 * Decoding never happens on the main thread.
 *
 * Sound. The opening thread connects to the sound server and starts the
 * GTK4 module's sound output (<glvf/glvf-audio.h>, the one GlvfMediaStream
 * plays through) on the decoder, corked; the main thread uncorks and
 * corks it with play and pause (and at the end, on errors), flushes it on
 * each seek (the count of seeks is the chunks' serial) and frees it before
 * the decoder. While it has a clock, the audio clock is the master: the
 * frame of media time P is due at mono + (P - audio clock), compared with
 * the time it will be rendered at (monotonic time plus the measured delay
 * from push to render) rather than the frame clock's time, which may lag;
 * the video clock follows each such frame and takes over where the sound
 * ends.
 *
 * Benchmark (untimed). The frame clock runs at the display's refresh rate
 * (60 Hz here), so a loop driven by it cannot measure anything faster. The
 * benchmark therefore runs an idle loop on the main thread: take the next
 * frame (waiting for the decoder is counted as "wait"), upload it with
 * glvf_ffmpeg_upload and draw it with glvf_render into an offscreen
 * framebuffer of the area's size in the area's own GL context, glFinish
 * (llvmpipe rasterises asynchronously: without it the drawing would be
 * charged to whatever comes next). The newest frame is handed to the widget
 * (glvf_video_area_push_frame) twice a second so the window shows the
 * run: on a software renderer each paint of the window by GTK (GSK
 * compositing the area's texture, the header bar, labels) costs about as
 * much as drawing several video frames (~50 ms for a 1920x1080 window on
 * llvmpipe here), and is what the loop would otherwise measure.
 * Main-thread time not spent waiting, uploading or drawing is reported as
 * "other" (GTK: painting, events). CPU time per thread group (main,
 * decoder, llvmpipe) comes from /proc/self/task/<tid>/schedstat.
 */
#include "player_area.h"

#include <glvf/glvf-audio.h> /* the GTK4 module's sound output */

#include <libavutil/frame.h>
#include <libavutil/mathematics.h>
#include <libavutil/pixdesc.h>

#include <epoxy/gl.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FINISH_RENDER_TIMEOUT_MS 2000    /* automation: wait for the last render */

static void area_seek(player *pp, int64_t pos_us);

static void emit(area_player *p, player_event ev)
{
    player_emit(&p->base, ev);
}

/* ---- logs ------------------------------------------------------------------ */

/* The decoder's log (any thread): errors are kept for the report (the code
 * that failed prints them), warnings go to stderr. */
static void decoder_log(void *user, glvf_log_level level, const char *msg)
{
    open_job *job = user;
    if (level == GLVF_LOG_ERROR) {
        g_mutex_lock(&job->lock);
        g_strlcpy(job->msg, msg, sizeof job->msg);
        g_mutex_unlock(&job->lock);
        if (job->verbose)
            g_printerr(PLAYER_NAME ": decoder: %s\n", msg);
    } else if (level <= GLVF_LOG_WARN || job->verbose) {
        g_printerr(PLAYER_NAME ": decoder: %s: %s\n", glvf_log_level_name(level), msg);
    }
}

/* The area's glvf log (its context's): glvf's own consistency check at
 * destroy ("internal: N ... still counted live") is counted; warnings and
 * errors go to stderr. What the application still held at destroy comes
 * from GlvfVideoAreaStats.leaked_at_unrealize. Any thread. */
static void area_log(void *user, glvf_log_level level, const char *msg)
{
    area_player *p = user;
    unsigned long long a = 0;
    g_mutex_lock(&p->log_lock);
    if (strstr(msg, "still counted live at destroy") && sscanf(msg, "internal: %llu", &a) == 1)
        p->leaked_gl += a;
    g_mutex_unlock(&p->log_lock);
    if (level <= GLVF_LOG_WARN || p->base.opt.verbose)
        g_printerr(PLAYER_NAME ": glvf: %s: %s\n", glvf_log_level_name(level), msg);
}

/* ---- errors ------------------------------------------------------------- */

void set_error(area_player *p, const char *msg)
{
    player_set_error(&p->base, msg);
}

void set_decoder_error(area_player *p, int r)
{
    char msg[640] = "";
    glvf_ffmpeg_decoder_last_error(p->dec, msg, sizeof msg);
    if (!msg[0])
        glvf_ffmpeg_strerror(r, msg, sizeof msg);
    set_error(p, msg);
}

static void area_failed(player *pp)
{
    area_player *p = (area_player *)pp;
    p->playing = false;
    glvf_audio_out_set_playing(p->audio, false);
    update_tick(p);
}

/* ---- time ------------------------------------------------------------------ */

int64_t frame_time_us(area_player *p, const AVFrame *f)
{
    int64_t pts = f->pts != AV_NOPTS_VALUE ? f->pts : f->best_effort_timestamp;
    int64_t us;
    if (pts == AV_NOPTS_VALUE || p->info.time_base.den <= 0 || p->info.time_base.num <= 0)
        us = p->last_pts_us == INT64_MIN ? p->start_us : p->last_pts_us + p->frame_us_nominal;
    else
        us = av_rescale_q(pts, (AVRational){ p->info.time_base.num, p->info.time_base.den },
                          AV_TIME_BASE_Q);
    p->last_pts_us = us;
    return us;
}

/* ---- items pushed to the widget ------------------------------------------ */

static push_item *item_get(area_player *p)
{
    push_item *it = p->free_items;
    if (it)
        p->free_items = it->next;
    else
        it = g_new0(push_item, 1);
    it->p = p;
    it->next = NULL;
    it->uploaded = false;
    it->rebase = false;
    return it;
}

static void item_put(area_player *p, push_item *it)
{
    it->next = p->free_items;
    p->free_items = it;
}

/* --trace-frames: when (the monotonic clock, as CLOCK_MONOTONIC: during
 * the render that uploads it) and how bright (the mean luma of the centre
 * 16x16, 8-bit Y; -1 for other formats) the frame rendered is. */
static void trace_frame(const AVFrame *f)
{
    gint64 now = g_get_monotonic_time();
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    int luma = -1;
    if (d && !(d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_HWACCEL)) && f->data[0] &&
        d->comp[0].depth == 8 && d->comp[0].step == 1 && d->comp[0].plane == 0) {
        long sum = 0, n = 0;
        for (int y = MAX(f->height / 2 - 8, 0); y < MIN(f->height / 2 + 8, f->height); y++)
            for (int x = MAX(f->width / 2 - 8, 0); x < MIN(f->width / 2 + 8, f->width); x++) {
                sum += f->data[0][(ptrdiff_t)y * f->linesize[0] + x];
                n++;
            }
        luma = n ? (int)(sum / n) : -1;
    }
    printf("frame t_us=%lld luma=%d\n", (long long)now, luma);
    fflush(stdout);
}

void count_presented(area_player *p)
{
    player_count_presented(&p->base, p->base.presented + 1);
}

/* GlvfVideoAreaUploadFunc: on the main thread, inside the widget's render,
 * with the area's context current. */
static glvf_frame *upload_item(glvf_context *ctx, gpointer data)
{
    push_item *it = data;
    area_player *p = it->p;
    int err = 0;
    gint64 t0 = g_get_monotonic_time();
    glvf_frame *f = glvf_ffmpeg_upload(ctx, it->frame, NULL, &err);
    p->upload_us_sum += g_get_monotonic_time() - t0;
    p->uploads++;
    it->uploaded = true;
    p->unrendered--;
    if (!f) {
        p->upload_failures++;
        char buf[128], why[256] = "";
        glvf_image img;
        if (err == -ENOTSUP)
            glvf_ffmpeg_image_from_frame(it->frame, &img, why, sizeof why);
        char *msg = g_strdup_printf("cannot upload a frame: %s%s%s",
                                    glvf_ffmpeg_strerror(err, buf, sizeof buf), *why ? ": " : "",
                                    why);
        set_error(p, msg);
        g_free(msg);
        return NULL;
    }
    if (it->rebase) {
        /* the clock starts now, at the frame-clock time of the frame being
         * painted: start-up and seek latency are not charged to the frames
         * that follow (they would all be late, and dropped) */
        GdkFrameClock *clock = gtk_widget_get_frame_clock(GTK_WIDGET(p->area));
        p->clock_frame_us = clock ? gdk_frame_clock_get_frame_time(clock) : g_get_monotonic_time();
        p->clock_media_us = it->t_us;
        p->clock_valid = true;
        p->awaiting_render = false;
    } else {
        /* how late after its push a frame is rendered: the audio clock's
         * pacing chooses the frame for that moment */
        gint64 lag = CLAMP(g_get_monotonic_time() - it->chosen_us, 0, 100000);
        p->render_lag_us = p->render_lag_us ? (7 * p->render_lag_us + lag) / 8 : lag;
    }
    if (p->base.opt.trace_frames)
        trace_frame(it->frame);
    count_presented(p);
    if (p->base.opt.frames > 0 && p->base.presented == (uint64_t)p->base.opt.frames)
        finish_after_render(p, true);
    return f;
}

/* GDestroyNotify of an item: exactly once, on the main thread (we push on
 * it; the widget renders and unrealizes on it). */
static void release_item(gpointer data)
{
    push_item *it = data;
    area_player *p = it->p;
    if (!it->uploaded)
        p->unrendered--;
    if (!it->uploaded && !p->tearing_down)
        p->dropped++; /* replaced in the mailbox before a render took it */
    if (!it->uploaded && it->rebase)
        p->awaiting_render = false; /* the next frame starts the clock instead */
    glvf_ffmpeg_decoder_release(p->dec, &it->frame);
    p->outstanding--;
    item_put(p, it);
}

static void present(area_player *p, AVFrame *f, int64_t t_us, bool rebase)
{
    push_item *it = item_get(p);
    it->frame = f;
    it->t_us = t_us;
    it->rebase = rebase;
    it->chosen_us = g_get_monotonic_time();
    if (rebase) {
        p->clock_valid = false;
        p->awaiting_render = true;
    }
    p->outstanding++;
    p->unrendered++;
    p->pushed_us = it->chosen_us;
    p->shown_us = t_us;
    p->position_us = t_us - p->start_us;
    glvf_video_area_push(p->area, upload_item, it, release_item);
}

/* ---- decoder life ---------------------------------------------------------- */


void snapshot_stats(area_player *p)
{
    if (p->ctx) {
        glvf_context_get_stats(p->ctx, &p->last_glvf);
        p->have_glvf = true;
    }
    if (p->dec) {
        glvf_ffmpeg_decoder_get_stats(p->dec, &p->last_dec);
        p->have_dec = true;
    }
}

static void job_unref(open_job *job);

/* Releases everything that came from the decoder, then destroys it. */
static void close_decoder(area_player *p)
{
    if (p->job) {
        /* an open in flight: cancelled, never waited for. libavformat polls
         * the cancellation in its I/O loops (network, slow reads); an open
         * blocked in the kernel (a FIFO no one writes to) ends whenever that
         * call returns, on its own thread, which then drops the decoder */
        atomic_store(&p->job->cancelled, true);
        job_unref(p->job);
        p->job = NULL;
    }
    if (p->bench.idle_id) {
        g_source_remove(p->bench.idle_id);
        p->bench.idle_id = 0;
    }
    snapshot_stats(p);
    if (p->audio) { /* it pulls from the decoder: before it goes */
        glvf_audio_out_get_stats(p->audio, &p->last_audio);
        glvf_audio_out_free(&p->audio);
    }
    p->tearing_down = true;
    glvf_video_area_clear(p->area); /* releases the mailbox item, decoder alive */
    p->awaiting_render = false;
    p->clock_valid = false;
    glvf_ffmpeg_decoder_release(p->dec, &p->pending);
    p->tearing_down = false;
    glvf_ffmpeg_decoder_destroy(&p->dec);
    if (p->dec_job) {
        job_unref(p->dec_job); /* the decoder's log sink, after the decoder */
        p->dec_job = NULL;
    }
    memset(&p->info, 0, sizeof p->info);
}

static gboolean open_done(gpointer data);

/* Opening threads still running (nobody joins them). */
static atomic_uint openers_running;

guint player_area_openers_running(void)
{
    return atomic_load(&openers_running);
}

static void job_unref(open_job *job)
{
    if (!g_atomic_int_dec_and_test(&job->refs))
        return;
    (void)atomic_load_explicit(&job->done, memory_order_acquire);
    /* a result nobody took (cancelled): on whichever thread drops last;
     * the sound output pulls from the decoder: it goes first */
    glvf_audio_out_free(&job->audio);
    glvf_ffmpeg_decoder_destroy(&job->dec);
    g_mutex_clear(&job->lock);
    g_free(job->path);
    g_free(job);
}

static void job_unref_notify(gpointer data)
{
    job_unref(data);
}

static bool open_interrupt(void *user)
{
    return atomic_load(&((open_job *)user)->cancelled);
}

/* On the opening thread: the decoder, without a glvf context (it is
 * attached on the main thread: open_done), with or without its audio. */
static glvf_ffmpeg_decoder *open_decoder(open_job *job, bool audio)
{
    return glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = job->path, .defer_context = true,
                                       .interrupt = open_interrupt, .interrupt_user = job,
                                       /* a URL the user gave may use the network */
                                       .protocols = player_is_url(job->path)
                                                            ? PLAYER_URL_PROTOCOLS
                                                            : NULL,
                                       .io_timeout_ms = job->io_timeout_ms,
                                       .direct_rendering = job->dr, .log = decoder_log,
                                       .log_user = job, .audio = audio,
                                       .log_level = job->verbose ? GLVF_LOG_INFO
                                                                 : GLVF_LOG_WARN),
            &job->err);
}

/* The opening thread: opening may block for as long as the input makes it
 * (a FIFO no one writes to, a network stall). With sound wanted it first
 * connects to the sound server (at most ~2 s), then starts the sound
 * output on the decoder (corked: the main thread uncorks it), as
 * GlvfMediaStream's opening thread does. Its reference goes to the main
 * thread with the result, or is dropped here when the open was cancelled
 * meanwhile (with the decoder, if one opened). */
static gpointer open_thread(gpointer data)
{
    open_job *job = data;
    glvf_audio_out *audio = NULL;
    if (job->want_audio)
        audio = glvf_audio_out_connect(PLAYER_NAME, job->audio_why, sizeof job->audio_why);
    job->dec = open_decoder(job, audio != NULL);
    if (job->dec && !atomic_load(&job->cancelled)) {
        const glvf_ffmpeg_info *in = glvf_ffmpeg_decoder_info(job->dec);
        if (in->audio_stream_index < 0) {
            job->audio_state = "none";
            glvf_audio_out_free(&audio);
        } else if (!job->want_audio) {
            job->audio_state = "disabled";
        } else if (!audio) {
            job->audio_state = "no-server";
        } else if (!in->has_audio) {
            job->audio_state = "failed";
            job->audio_why[0] = '\0'; /* the decoder logged why (one warning) */
            glvf_audio_out_free(&audio);
        } else if (!glvf_audio_out_start(audio, job->dec, in->audio_rate, job->audio_why,
                                         sizeof job->audio_why)) {
            /* the decoder routes audio packets to a queue nobody would
             * empty: opened again without audio */
            job->audio_state = "failed";
            glvf_audio_out_free(&audio);
            glvf_ffmpeg_decoder_destroy(&job->dec);
            job->dec = open_decoder(job, false);
        } else {
            job->audio_state = "playing";
        }
    }
    if (!job->dec)
        glvf_audio_out_free(&audio); /* nothing to play */
    job->audio = audio;
    bool cancelled = atomic_load(&job->cancelled);
    /* the last access to the job but for the unref or the hand-off */
    atomic_store_explicit(&job->done, true, memory_order_release);
    if (cancelled)
        job_unref(job);
    else /* (a cancel after this: open_done drops it) */
        g_idle_add_full(G_PRIORITY_DEFAULT, open_done, job, job_unref_notify);
    atomic_fetch_sub(&openers_running, 1);
    return NULL;
}

static void start_open(area_player *p)
{
    open_job *job = g_new0(open_job, 1);
    job->refs = 2; /* the thread's, the player's */
    job->p = p;
    job->path = g_strdup(p->base.path);
    job->dr = p->base.opt.dr;
    job->verbose = p->base.opt.verbose;
    /* the benchmark measures the picture path */
    job->want_audio = !p->base.opt.no_audio && !p->base.opt.benchmark;
    job->io_timeout_ms = p->base.opt.network_timeout_ms;
    g_mutex_init(&job->lock);
    GError *err = NULL;
    atomic_fetch_add(&openers_running, 1);
    /* named: the decoding thread and libavcodec's threads inherit it */
    GThread *t = g_thread_try_new("glvf-decode", open_thread, job, &err);
    if (!t) {
        atomic_fetch_sub(&openers_running, 1);
        job->refs = 1;
        job_unref(job);
        player_fail(&p->base, "cannot start a thread: %s", err->message);
        g_error_free(err);
        return;
    }
    g_thread_unref(t); /* detached */
    p->job = job;
}


/* Main thread, the opening thread's result (its reference is the idle
 * source's: dropped after this returns). */
static gboolean open_done(gpointer data)
{
    open_job *job = data;
    if (atomic_load(&job->cancelled))
        return G_SOURCE_REMOVE; /* the player let it go: the last unref drops the decoder */
    (void)atomic_load_explicit(&job->done, memory_order_acquire); /* always true here */
    area_player *p = job->p;
    p->job = NULL; /* the player's reference: now the decoder's log sink's */
    p->dec_job = job;
    glvf_ffmpeg_decoder *dec = job->dec;
    job->dec = NULL;
    int code = job->err;
    if (!dec) {
        char msg[640], buf[128];
        g_mutex_lock(&job->lock);
        g_strlcpy(msg, job->msg, sizeof msg);
        g_mutex_unlock(&job->lock);
        if (!msg[0])
            g_snprintf(msg, sizeof msg, "cannot open '%s' (%s)", p->base.path,
                       glvf_ffmpeg_strerror(code, buf, sizeof buf));
        set_error(p, msg);
        return G_SOURCE_REMOVE;
    }
    p->dec = dec;
    p->dec_seeks = 0;
    p->audio = job->audio;
    job->audio = NULL;
    p->audio_state = job->audio_state;
    p->audio_clock = false;
    memset(&p->last_audio, 0, sizeof p->last_audio);
    {
        const glvf_ffmpeg_info *in = glvf_ffmpeg_decoder_info(dec);
        g_strlcpy(p->audio_codec, in->audio_codec_name ? in->audio_codec_name : "",
                  sizeof p->audio_codec);
        p->audio_rate = in->audio_rate;
    }
    static bool said_no_server;
    if (p->audio_state && !strcmp(p->audio_state, "no-server") && !said_no_server) {
        said_no_server = true; /* once per run */
        g_printerr(PLAYER_NAME ": no sound server: playing without sound\n");
        if (p->base.opt.verbose && job->audio_why[0])
            g_printerr(PLAYER_NAME ": (%s)\n", job->audio_why);
    } else if (p->audio_state && !strcmp(p->audio_state, "failed") && job->audio_why[0]) {
        /* (an undecodable stream: the decoder's own warning said it) */
        g_printerr(PLAYER_NAME ": '%s': cannot play its sound (%s): playing without sound\n",
                   p->base.path, job->audio_why);
    }
    if (p->audio) {
        glvf_audio_out_set_volume(p->audio, p->base.volume, p->base.muted);
        glvf_audio_out_set_playing(p->audio, p->playing);
    }
    /* the area's context for direct rendering, now that the open is over
     * (it outlives the decoder: close_decoder runs before the area's
     * unrealize destroys it) */
    glvf_ffmpeg_decoder_attach_context(dec, p->ctx);
    p->info = *glvf_ffmpeg_decoder_info(dec);
    p->dr_on = p->info.direct_rendering;
    p->start_us = p->info.start_time_us != GLVF_FFMPEG_NOPTS ? p->info.start_time_us : 0;
    p->duration_us = p->info.duration_us > 0 ? p->info.duration_us : 0;
    p->frame_us_nominal = p->info.frame_rate.num > 0 && p->info.frame_rate.den > 0
                                  ? (int64_t)p->info.frame_rate.den * 1000000 /
                                            p->info.frame_rate.num
                                  : 40000;
    p->last_pts_us = INT64_MIN;
    p->position_us = 0;
    p->eos = false;
    p->rebase = true;
    p->clock_valid = false;
    /* compile the shaders now rather than on the first frame */
    gtk_gl_area_make_current(GTK_GL_AREA(p->area));
    /* FFmpeg may not know the pixel format before the first frame (NONE):
     * the shaders are then compiled when it comes */
    if (p->info.format != GLVF_FORMAT_NONE)
        glvf_render_prepare(p->ctx, p->info.format);
    if (p->resume_us >= 0) {
        glvf_ffmpeg_decoder_seek(p->dec, p->start_us + p->resume_us);
        glvf_audio_out_flush(p->audio, ++p->dec_seeks);
        p->position_us = p->resume_us;
        p->resume_us = -1;
    }
    if (p->base.opt.verbose) {
        const glvf_ffmpeg_info *i = &p->info;
        g_printerr(PLAYER_NAME ": playing '%s': %s %dx%d %s, %d/%d fps, %s, upload %s, "
                               "direct rendering %s, %s %d.%d (%s), audio %s%s%s\n",
                   p->base.path, i->codec_name, i->width, i->height, i->pix_fmt_name,
                   i->frame_rate.num, i->frame_rate.den, i->container_name, p->strategy,
                   p->dr_on ? "on" : "off", p->gl_es ? "OpenGL ES" : "OpenGL", p->gl_major,
                   p->gl_minor, p->renderer, p->audio_state ? p->audio_state : "?",
                   p->audio_codec[0] ? " " : "", p->audio_codec);
    }
    update_tick(p);
    emit(p, PLAYER_EVENT_OPENED);
    if (p->base.opt.benchmark)
        bench_start(p);
    return G_SOURCE_REMOVE;
}

static void area_open(player *pp)
{
    area_player *p = (area_player *)pp;
    close_decoder(p);
    p->resume_us = -1;
    p->playing = true;
    p->eos = false;
    p->step = false;
    p->position_us = 0;
    p->duration_us = 0;
    p->audio_state = NULL;
    p->audio_codec[0] = '\0';
    if (p->ctx)
        start_open(p);
    update_tick(p);
    emit(p, PLAYER_EVENT_STATE);
}

/* ---- widget signals ------------------------------------------------------- */

static void on_realize(GtkWidget *w, gpointer data)
{
    area_player *p = data;
    p->ctx = glvf_video_area_get_context(p->area);
    if (!p->ctx) {
        const GError *e = gtk_gl_area_get_error(GTK_GL_AREA(w));
        player_fail(&p->base, "OpenGL is not available: %s", e ? e->message : "no glvf context");
        return;
    }
    const glvf_caps *caps = glvf_context_get_caps(p->ctx);
    g_snprintf(p->renderer, sizeof p->renderer, "%s", caps->renderer ? caps->renderer : "?");
    g_snprintf(p->gl_version, sizeof p->gl_version, "%s %d.%d", caps->is_gles ? "OpenGL ES" : "OpenGL",
               caps->gl_major, caps->gl_minor);
    p->gl_es = caps->is_gles;
    p->gl_major = caps->gl_major;
    p->gl_minor = caps->gl_minor;
    g_snprintf(p->strategy, sizeof p->strategy, "%s",
               glvf_upload_strategy_name(glvf_context_get_upload_strategy(p->ctx)));
    p->context_destroyed = false;
    if (p->base.path && !p->dec && !p->job && !p->base.error)
        start_open(p);
}

/* Before the class handler: the context is still alive. */
static void on_unrealize(GtkWidget *w, gpointer data)
{
    area_player *p = data;
    (void)w;
    bool had = p->dec || p->job;
    int64_t pos = p->position_us;
    close_decoder(p);
    bench_teardown(p);
    if (had)
        p->resume_us = pos;
    if (p->ctx) {
        glvf_stats s;
        glvf_context_get_stats(p->ctx, &s);
        p->last_glvf = s;
        p->have_glvf = true;
        /* the widget still holds the frame it shows; it drops it right
         * before destroying the context */
        p->live_before_teardown = s.frames_live + s.staging_live;
    }
    p->ctx = NULL;
}

static void on_unrealize_after(GtkWidget *w, gpointer data)
{
    area_player *p = data;
    (void)w;
    p->context_destroyed = true;
}

void finish(area_player *p)
{
    if (p->base.finished)
        return;
    p->playing = false;
    glvf_audio_out_set_playing(p->audio, false);
    player_finish(&p->base);
}

static gboolean finish_idle(gpointer data)
{
    area_player *p = data;
    p->finish_idle_id = 0;
    finish(p);
    return G_SOURCE_REMOVE;
}

/* Finishes once the widget has rendered the frame handed to it last: for
 * frames it uploads itself, from an idle source queued inside its render
 * (it runs when the render, capture included, is complete; at default
 * priority: a default-idle one would wait behind the frame clock for as
 * long as frames take longer than the refresh interval); for frames
 * pushed ready-made (benchmark), when its count of renders moves. */
void finish_after_render(area_player *p, bool from_render)
{
    if (from_render) {
        if (!p->finish_idle_id)
            p->finish_idle_id = g_idle_add_full(G_PRIORITY_DEFAULT, finish_idle, p, NULL);
        return;
    }
    GlvfVideoAreaStats s;
    glvf_video_area_get_stats(p->area, &s);
    p->finish_rendered_base = s.frames_rendered;
    p->finish_on_render = true;
    p->finish_deadline = g_get_monotonic_time() + FINISH_RENDER_TIMEOUT_MS * 1000;
    update_tick(p);
}

/* ---- pacing ------------------------------------------------------------------ */

static void on_end_of_stream(area_player *p)
{
    if (player_ended(&p->base))
        return; /* the playlist's next file is opening */
    if (player_options_automated(&p->base.opt)) {
        finish(p);
        return;
    }
    if (p->playing) {
        p->playing = false;
        glvf_audio_out_set_playing(p->audio, false);
        emit(p, PLAYER_EVENT_STATE);
    }
}

/* Takes the next frame into p->pending. Returns false when none is there
 * (not decoded yet, end of stream, error). */
static bool fetch(area_player *p)
{
    if (p->pending)
        return true;
    if (p->eos || p->base.error)
        return false;
    int r = glvf_ffmpeg_decoder_next(p->dec, &p->pending, 0);
    if (r == 0) {
        p->pending_us = frame_time_us(p, p->pending);
        return true;
    }
    if (r == -EAGAIN)
        return false;
    if (r == GLVF_FFMPEG_EOF) {
        p->eos = true;
        emit(p, PLAYER_EVENT_STATE);
        return false;
    }
    set_decoder_error(p, r);
    return false;
}

static void paced_tick(area_player *p, GdkFrameClock *clock)
{
    if (!p->dec || p->base.error || p->base.finished)
        return;
    gint64 now = gdk_frame_clock_get_frame_time(clock);
    gint64 interval = 0;
    gdk_frame_clock_get_refresh_info(clock, now, &interval, NULL);
    if (interval <= 0)
        interval = 16667;
    /* while the frame that starts the clock waits for its render, the
     * clock is unknown: hold everything */
    /* a frame pushed and not yet rendered (GTK skipped or delayed a paint)
     * is not replaced by the next one at once: that one waits a tick, and
     * is dropped only once it is half a frame late (below). Replacing it
     * dropped up to 1 frame in 5 with the sound's clock on llvmpipe. A
     * render still missing after 100 ms (a window GTK does not paint) no
     * longer holds playback back. */
    bool mailbox_full = p->playing && !p->rebase && !p->step && p->unrendered > 0 &&
                        g_get_monotonic_time() - p->pushed_us < 100000;
    if ((p->playing || p->rebase || p->step) && !p->awaiting_render && !mailbox_full) {
        AVFrame *show = NULL;
        int64_t show_us = 0;
        gint64 show_due = 0;
        bool rebase = false;
        /* the sound's clock, when it runs: the media time of the sample
         * heard now (it stands still while corked, has none after a seek
         * until samples of the new serial are written, and ends when the
         * sound has been played out: the video clock then takes over) */
        int64_t a_us = 0;
        bool aclock = p->playing && p->audio && glvf_audio_out_clock(p->audio, &a_us);
        gint64 mono = aclock ? g_get_monotonic_time() : 0;
        while (fetch(p)) {
            int64_t t = p->pending_us;
            if (p->rebase || p->step || !p->clock_valid) {
                /* first frame, after a seek or a step: show it now; the
                 * clock (re)starts when it is rendered */
                show = p->pending;
                show_us = t;
                p->pending = NULL;
                rebase = true;
                /* a step asked for before a seek's frame was shown steps
                 * from that frame on the next tick (it was lost: period
                 * pressed while a seek was still decoding did nothing) */
                if (p->rebase)
                    p->rebase = false;
                else
                    p->step = false;
                break;
            }
            gint64 due = aclock ? mono + (t - a_us) : p->clock_frame_us + (t - p->clock_media_us);
            /* (the audio clock is read now: against the monotonic time
             * the frame chosen will be rendered at, measured from push to
             * render, not the frame clock's time, which may lag it) */
            gint64 ref = aclock ? mono + p->render_lag_us : now;
            if (due > ref + interval / 2)
                break; /* keep it for a later tick */
            /* a later frame is due too: the one chosen is dropped only when
             * it is more than half a frame late (as in the paintable
             * output); else it is shown now and this one at the next tick.
             * Dropping whenever two were due made a clock that moves in
             * steps (the sound's, at each timing update) drop a frame in 8
             * to 12 (43 of 300 in a 10 s run) */
            if (show && show_due >= ref - MAX(p->frame_us_nominal, interval) / 2)
                break;
            if (show) {
                glvf_ffmpeg_decoder_release(p->dec, &show);
                p->dropped++;
            }
            show = p->pending;
            show_us = t;
            show_due = due;
            p->pending = NULL;
        }
        if (show && !rebase) {
            p->audio_clock = aclock;
            if (aclock) {
                /* the video clock follows the audio's frame by frame, so
                 * that it takes over where the sound ends */
                p->clock_frame_us = show_due;
                p->clock_media_us = show_us;
            }
        }
        if (show)
            present(p, show, show_us, rebase);
    }
    if (p->eos && !p->pending && p->outstanding == 0)
        on_end_of_stream(p);
}

/* ---- tick ------------------------------------------------------------------- */

/* Whether the tick callback has work: frames to present (playing, or a
 * seek or a step to show), the automation waiting for a render, the
 * benchmark running. Paused, nothing runs. */
static bool tick_needed(const area_player *p)
{
    if (p->finish_on_render)
        return true;
    if (p->base.opt.benchmark)
        return p->dec && !p->bench.done;
    return p->dec && !p->base.error && !p->base.finished && (p->playing || p->rebase || p->step);
}

static gboolean on_tick(GtkWidget *w, GdkFrameClock *clock, gpointer data)
{
    area_player *p = data;
    (void)w;
    gint64 ft = gdk_frame_clock_get_frame_time(clock);
    if (p->tick_prev && ft > p->tick_prev) {
        p->tick_intervals++;
        p->tick_span_us += ft - p->tick_prev;
    }
    p->tick_prev = ft;
    GlvfVideoAreaStats as;
    glvf_video_area_get_stats(p->area, &as);
    if (as.frames_rendered != p->renders_seen) {
        p->renders_seen = as.frames_rendered;
        p->render_us_sum += as.last_render_us;
        p->render_samples++;
    }
    if (p->finish_on_render) {
        if (as.frames_rendered > p->finish_rendered_base ||
            g_get_monotonic_time() > p->finish_deadline) { /* (no render: hidden window?) */
            p->finish_on_render = false;
            finish(p);
        }
    }
    if (p->base.opt.benchmark)
        bench_tick(p);
    else
        paced_tick(p, clock);
    if (tick_needed(p))
        return G_SOURCE_CONTINUE;
    /* settled (paused, the seek or step shown, finished): the UI shows the
     * state once */
    p->tick_id = 0;
    p->tick_prev = 0;
    emit(p, PLAYER_EVENT_STATE);
    return G_SOURCE_REMOVE;
}

void update_tick(area_player *p)
{
    if (!p->tick_id && tick_needed(p))
        p->tick_id = gtk_widget_add_tick_callback(GTK_WIDGET(p->area), on_tick, p, NULL);
}

/* ---- controls ----------------------------------------------------------------- */

static void area_set_playing(player *pp, bool playing)
{
    area_player *p = (area_player *)pp;
    if (playing && p->eos && !p->pending && p->dec) {
        area_seek(pp, 0); /* play again from the start */
    } else if (playing && !p->playing && p->clock_valid) {
        /* resume: the clock restarts at the frame on screen */
        GdkFrameClock *clock = gtk_widget_get_frame_clock(GTK_WIDGET(p->area));
        p->clock_frame_us = clock ? gdk_frame_clock_get_frame_time(clock) : g_get_monotonic_time();
        p->clock_media_us = p->shown_us;
    }
    p->playing = playing;
    glvf_audio_out_set_playing(p->audio, playing);
    update_tick(p);
    emit(p, PLAYER_EVENT_STATE);
}

static bool area_is_playing(const player *pp)
{
    return ((const area_player *)pp)->playing;
}

static void area_step(player *pp)
{
    area_player *p = (area_player *)pp;
    if (!p->dec)
        return;
    p->playing = false;
    glvf_audio_out_set_playing(p->audio, false);
    p->step = true;
    update_tick(p);
    emit(p, PLAYER_EVENT_STATE);
}

static void area_seek(player *pp, int64_t pos_us)
{
    area_player *p = (area_player *)pp;
    if (!p->dec)
        return;
    glvf_ffmpeg_decoder_release(p->dec, &p->pending);
    glvf_ffmpeg_decoder_seek(p->dec, p->start_us + pos_us);
    glvf_audio_out_flush(p->audio, ++p->dec_seeks); /* samples of the new serial only */
    p->eos = false;
    p->rebase = true;
    p->step = false; /* the target counted any step not yet shown (area_position) */
    p->position_us = pos_us;
    p->last_pts_us = INT64_MIN;
    update_tick(p);
    emit(p, PLAYER_EVENT_STATE);
}

/* Where the player stands or is going: a seek sets its target at once, and
 * a step not yet shown counts its frame, so that keys pressed before the
 * picture caught up (a slow machine) count from there: period then comma
 * is the frame shown before, not one earlier. */
static int64_t area_position(const player *pp)
{
    const area_player *p = (const area_player *)pp;
    return p->position_us + (p->step ? p->frame_us_nominal : 0);
}

static int64_t area_duration(const player *pp)
{
    return ((const area_player *)pp)->duration_us;
}

static int64_t area_frame_duration(const player *pp)
{
    return ((const area_player *)pp)->frame_us_nominal;
}

static bool area_is_open(const player *pp)
{
    return ((const area_player *)pp)->dec != NULL;
}

static bool area_at_end(const player *pp)
{
    const area_player *p = (const area_player *)pp;
    return p->eos && !p->pending;
}

static GdkTexture *area_screenshot(player *pp)
{
    return glvf_video_area_get_capture(((area_player *)pp)->area);
}

/* ---- statistics ----------------------------------------------------------------- */

static void area_get_stats(player *pp, player_stats *out)
{
    area_player *p = (area_player *)pp;
    snapshot_stats(p);
    out->presented = p->base.presented;
    out->dropped = p->dropped;
    out->upload_failures = p->upload_failures;
    g_strlcpy(out->upload_strategy, p->strategy[0] ? p->strategy : "none",
              sizeof out->upload_strategy);
    g_strlcpy(out->renderer, p->renderer, sizeof out->renderer);
    out->gl_es = p->gl_es;
    out->gl_major = p->gl_major;
    out->gl_minor = p->gl_minor;
    out->position_us = p->position_us;
    out->dr = p->dr_on;
    if (p->have_dec) {
        out->dr_frames = p->last_dec.dr_frames;
        out->dr_fallbacks = p->last_dec.dr_fallbacks;
        out->queue_depth = p->last_dec.queue_depth;
        out->queue_capacity = p->last_dec.queue_capacity;
        out->decode_errors = p->last_dec.decode_errors;
        if (p->last_dec.frames_delivered)
            glvf_colour_describe(&p->last_dec.color, NULL, out->colour, sizeof out->colour);
    }
    if (p->have_glvf) {
        out->pool_bytes = p->last_glvf.pool_bytes;
        out->frames_live = p->last_glvf.frames_live;
    }
    g_mutex_lock(&p->log_lock);
    GlvfVideoAreaStats as;
    glvf_video_area_get_stats(p->area, &as);
    out->leaked_held = as.leaked_at_unrealize;
    out->leaked_gl_objects = p->leaked_gl;
    g_mutex_unlock(&p->log_lock);
    out->context_destroyed = p->context_destroyed;
    if (p->audio_state) {
        g_strlcpy(out->audio, p->audio_state, sizeof out->audio);
        g_strlcpy(out->audio_codec, p->audio_codec, sizeof out->audio_codec);
        out->audio_rate = p->audio_rate;
        out->audio_clock = p->audio_clock;
        if (p->audio)
            glvf_audio_out_get_stats(p->audio, &p->last_audio);
        out->audio_latency_ms = (double)p->last_audio.latency_us / 1000.0;
        out->audio_underruns = p->last_audio.underruns;
    }
    out->tick_hz = p->tick_span_us > 0 ? (double)p->tick_intervals * 1e6 / (double)p->tick_span_us
                                       : 0;
    out->upload_ms = p->uploads ? (double)p->upload_us_sum / 1e3 / (double)p->uploads : 0;
    out->widget_render_ms = p->render_samples
                                    ? (double)p->render_us_sum / 1e3 / (double)p->render_samples
                                    : 0;
    out->live_before_teardown = p->live_before_teardown;
    out->bench_done = p->bench.done;
    out->bench_frames = p->bench.frames;
    out->bench_w = p->bench.w;
    out->bench_h = p->bench.h;
    if (p->bench.done && p->bench.frames > 0) {
        double n = (double)p->bench.frames;
        out->bench_seconds = (double)(p->bench.t_end - p->bench.t_start) / 1e6;
        out->bench_wait_ms = (double)p->bench.wait_us / 1e3 / n;
        out->bench_upload_ms = (double)p->bench.upload_us / 1e3 / n;
        out->bench_render_ms = (double)p->bench.render_us / 1e3 / n;
        out->bench_other_ms = out->bench_seconds * 1e3 / n - out->bench_wait_ms -
                              out->bench_upload_ms - out->bench_render_ms;
        if (p->bench.cpu_ok) {
            out->bench_cpu_valid = true;
            out->bench_cpu_main_ms = (p->bench.cpu1.main_ms - p->bench.cpu0.main_ms) / n;
            out->bench_cpu_decode_ms = (p->bench.cpu1.decode_ms - p->bench.cpu0.decode_ms) / n;
            out->bench_cpu_raster_ms = (p->bench.cpu1.raster_ms - p->bench.cpu0.raster_ms) / n;
        }
    }
}

static bool area_video_size(const player *pp, int *w, int *h)
{
    const glvf_ffmpeg_info *i = &((const area_player *)pp)->info;
    return player_display_size(i->width, i->height, i->sar, i->rotation, w, h);
}

static char *area_video_text(player *pp)
{
    area_player *p = (area_player *)pp;
    const glvf_ffmpeg_info *i = &p->info;
    double fr = i->frame_rate.num > 0 && i->frame_rate.den > 0
                        ? (double)i->frame_rate.num / i->frame_rate.den
                        : 0;
    return g_strdup_printf("%s %dx%d %s, %.3g fps, %d thread(s)",
                           i->codec_name ? i->codec_name : "?", i->width, i->height,
                           i->pix_fmt_name ? i->pix_fmt_name : "?", fr, i->threads);
}

/* ---- sound ---------------------------------------------------------------------- */

static void area_update_audio(player *pp)
{
    area_player *p = (area_player *)pp;
    glvf_audio_out_set_volume(p->audio, p->base.volume, p->base.muted);
}

static bool area_has_audio(const player *pp)
{
    return ((const area_player *)pp)->audio != NULL;
}

/* ---- life ---------------------------------------------------------------------- */

static void area_free(player *pp)
{
    area_player *p = (area_player *)pp;
    if (gtk_widget_get_realized(GTK_WIDGET(p->area))) {
        on_unrealize(GTK_WIDGET(p->area), p); /* releases everything, context alive */
    } else {
        close_decoder(p);
        bench_teardown(p);
    }
    if (p->tick_id)
        gtk_widget_remove_tick_callback(GTK_WIDGET(p->area), p->tick_id);
    g_signal_handler_disconnect(p->area, p->sig_realize);
    g_signal_handler_disconnect(p->area, p->sig_unrealize);
    g_signal_handler_disconnect(p->area, p->sig_unrealize_after);
    if (p->finish_idle_id)
        g_source_remove(p->finish_idle_id);
    glvf_video_area_set_log(p->area, NULL, NULL);
    g_object_unref(p->area);
    while (p->free_items) {
        push_item *it = p->free_items;
        p->free_items = it->next;
        g_free(it);
    }
    player_clear_common(&p->base);
    g_mutex_clear(&p->log_lock);
    g_free(p);
}

static const player_backend area_backend = {
    .name = "area",
    .open = area_open,
    .set_playing = area_set_playing,
    .is_playing = area_is_playing,
    .step = area_step,
    .seek = area_seek,
    .position = area_position,
    .duration = area_duration,
    .frame_duration = area_frame_duration,
    .video_size = area_video_size,
    .is_open = area_is_open,
    .at_end = area_at_end,
    .get_stats = area_get_stats,
    .video_text = area_video_text,
    .screenshot = area_screenshot,
    .failed = area_failed,
    .update_audio = area_update_audio,
    .has_audio = area_has_audio,
    .free = area_free,
};

player *player_new_area(GlvfVideoArea *area, const player_options *opt,
                        player_listener listener, void *user)
{
    area_player *p = g_new0(area_player, 1);
    player_init_common(&p->base, &area_backend, opt, listener, user);
    p->area = g_object_ref(area);
    p->resume_us = -1;
    p->last_pts_us = INT64_MIN;
    g_mutex_init(&p->log_lock);
    glvf_video_area_set_log(area, area_log, p);
    p->sig_realize = g_signal_connect_after(area, "realize", G_CALLBACK(on_realize), p);
    p->sig_unrealize = g_signal_connect(area, "unrealize", G_CALLBACK(on_unrealize), p);
    p->sig_unrealize_after =
            g_signal_connect_after(area, "unrealize", G_CALLBACK(on_unrealize_after), p);
    return &p->base;
}
