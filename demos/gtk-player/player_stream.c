/*
 * glvf-player, --output paintable (the default): the presentation
 * controller on top of GlvfMediaStream (player_impl.h: the backend
 * interface).
 *
 * Each opened file gets a new GlvfMediaStream
 * (glvf_media_stream_new_for_filename), set on the window's GtkPicture; the
 * previous stream is unrealized and dropped. The stream opens the file on
 * its own worker, decodes, uploads and converts frames into RGBA textures
 * with its own GL context, and paces them there (late frames dropped): the
 * main thread only paints the textures GTK is handed. The controls are
 * GtkMediaStream's API (play, pause, seek, get_timestamp, get_duration) and
 * glvf_media_stream_step(); what the stream reports comes back as property
 * notifications: "prepared" (PLAYER_EVENT_OPENED), "error"
 * (PLAYER_EVENT_ERROR), "ended", "playing", "seeking" and "timestamp"
 * (PLAYER_EVENT_STATE, once per change: nothing is polled).
 *
 * GtkPicture, unlike GtkVideo, does not realize the stream with its
 * surface: the player does it on the picture's realize and unrealize (the
 * stream then converts at the surface's scale and lets its GL side go when
 * the picture is unrealized).
 *
 * Start: the stream shows the first frame before it plays; the player
 * plays once GTK has painted it (the frame clock's "after-paint", connected
 * only while waiting), as the area path starts its clock at the first
 * render: the first paint of a window can take long (GSK compiling its
 * shaders, ~1 s with a cold shader cache on llvmpipe), and the stream's
 * clock, started when the first frame is handed over, would otherwise
 * drop every frame due meanwhile.
 *
 * Frames: a new texture is announced by the stream's "invalidate-contents";
 * glvf_media_stream_get_stats() then counts it (frames_shown). --frames N
 * finishes on the N-th. The benchmark (untimed mode: every frame, each
 * painted by GTK before the next is converted) counts frames painted, looked
 * at after each paint of the window (the frame clock's "after-paint"), from
 * the first frame shown; it ends once N frames are painted or at the end of
 * the file.
 */
#include "player_impl.h"

#include <string.h>

typedef struct stream_player {
    player base;
    GtkPicture *picture;
    gulong sig_realize, sig_unrealize;
    GdkSurface *surface;         /* the picture's, while it is realized */
    GdkFrameClock *clock;        /* benchmark: after-paint connected */
    gulong sig_after_paint;

    GtkMediaStream *ms;          /* the open file's, or NULL */
    bool start_pending;          /* plays once the first frame is painted */
    bool want_playing;           /* meanwhile: what play/pause asked */
    int64_t seek_target;         /* position shown while seeking */
    uint64_t shown_seen;         /* frames_shown at the last new frame */

    /* statistics: the last snapshot (kept when the stream is gone) */
    GlvfMediaStreamStats st;
    int64_t position_us;
    double refresh_hz;
    bool frozen;                 /* finished: the counts stay as they were */

    /* benchmark */
    bool bench_started, bench_done;
    gint64 bench_t0, bench_t1;
    uint64_t bench_frames;
} stream_player;

static void sync_after_paint(stream_player *p);

static volatile gint stream_log_verbose;

/* The paintable's glvf log (its worker threads; may run after the player is
 * gone: no user data). */
static void stream_log(void *user, glvf_log_level level, const char *msg)
{
    (void)user;
    if (level <= GLVF_LOG_WARN || g_atomic_int_get(&stream_log_verbose))
        g_printerr(PLAYER_NAME ": glvf: %s: %s\n", glvf_log_level_name(level), msg);
}

/* The stream's decoder (and glvf where it logs through g_log) uses the
 * "glvf" domain (any thread): warnings and errors become our stderr lines
 * (they say more than the stream's error, e.g. "has no video stream"), the
 * rest only with --verbose. */
static void glvf_domain_log(const gchar *domain, GLogLevelFlags level, const gchar *msg,
                            gpointer user)
{
    (void)domain;
    (void)user;
    if ((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) ||
        g_atomic_int_get(&stream_log_verbose))
        g_printerr(PLAYER_NAME ": glvf: %s\n", msg);
}

static GlvfMediaStream *gms(stream_player *p)
{
    return GLVF_MEDIA_STREAM(p->ms);
}

/* Takes the stream's statistics. Once the paintable has let its worker go
 * (the picture unrealized), its counters stay but what describes the worker
 * (renderer, upload strategy, GL version, texture size, pool, mean times)
 * reads empty: the last values seen are kept. */
static void take_stats(stream_player *p)
{
    GlvfMediaStreamStats s;
    glvf_media_stream_get_stats(gms(p), &s);
    const GlvfVideoPaintableStats *old = &p->st.paintable;
    if (!s.paintable.renderer[0] && old->renderer[0]) {
        GlvfVideoPaintableStats *n = &s.paintable;
        g_strlcpy(n->renderer, old->renderer, sizeof n->renderer);
        g_strlcpy(n->upload_strategy, old->upload_strategy, sizeof n->upload_strategy);
        n->gl_es = old->gl_es;
        n->gl_major = old->gl_major;
        n->gl_minor = old->gl_minor;
        n->texture_width = old->texture_width;
        n->texture_height = old->texture_height;
        n->pool_bytes = old->pool_bytes;
        n->upload_ms = old->upload_ms;
        n->convert_ms = old->convert_ms;
    }
    p->st = s;
}

static void snapshot(stream_player *p)
{
    if (!p->ms || p->frozen)
        return;
    take_stats(p);
    p->position_us = gtk_media_stream_is_seeking(p->ms) ? p->seek_target
                                                         : gtk_media_stream_get_timestamp(p->ms);
    if (p->surface) {
        GdkFrameClock *clock = gdk_surface_get_frame_clock(p->surface);
        gint64 interval = 0;
        if (clock) {
            gdk_frame_clock_get_refresh_info(clock, gdk_frame_clock_get_frame_time(clock),
                                             &interval, NULL);
            if (interval > 0)
                p->refresh_hz = 1e6 / (double)interval;
        }
    }
}

/* Automation: the frame limit or the end of the file. The counts are taken
 * now and stay (a frame already on its way may still be shown). */
static void finish(stream_player *p)
{
    if (p->base.finished)
        return;
    if (p->base.opt.benchmark && p->bench_started && !p->bench_done) {
        p->bench_done = true;
        p->bench_t1 = g_get_monotonic_time();
    }
    snapshot(p);
    if (p->base.opt.frames > 0 && p->st.frames_shown > (uint64_t)p->base.opt.frames)
        p->st.frames_shown = (uint64_t)p->base.opt.frames;
    if (p->base.opt.benchmark)
        p->bench_frames = p->st.paintable.frames_painted;
    p->frozen = true;
    p->start_pending = false;
    sync_after_paint(p);
    if (p->ms)
        gtk_media_stream_pause(p->ms);
    player_finish(&p->base);
}

static void on_after_paint(GdkFrameClock *clock, gpointer data);

/* "after-paint" is looked at only while waiting for the first paint or
 * benchmarking. */
static void sync_after_paint(stream_player *p)
{
    bool want = p->surface && p->ms && !p->frozen &&
                (p->start_pending || (p->base.opt.benchmark && p->base.opt.frames > 0));
    if (want && !p->clock) {
        p->clock = g_object_ref(gdk_surface_get_frame_clock(p->surface));
        p->sig_after_paint =
                g_signal_connect(p->clock, "after-paint", G_CALLBACK(on_after_paint), p);
    } else if (!want && p->clock) {
        g_signal_handler_disconnect(p->clock, p->sig_after_paint);
        g_clear_object(&p->clock);
    }
}

/* ---- the stream's notifications ----------------------------------------------- */

static const char *audio_name(GlvfMediaStreamAudio a)
{
    switch (a) {
    case GLVF_MEDIA_STREAM_AUDIO_NONE: return "none";
    case GLVF_MEDIA_STREAM_AUDIO_DISABLED: return "disabled";
    case GLVF_MEDIA_STREAM_AUDIO_NO_SERVER: return "no-server";
    case GLVF_MEDIA_STREAM_AUDIO_FAILED: return "failed";
    case GLVF_MEDIA_STREAM_AUDIO_PLAYING: return "playing";
    default: return "unknown";
    }
}

static void on_prepared(GObject *o, GParamSpec *ps, gpointer data)
{
    stream_player *p = data;
    (void)ps;
    if (!gtk_media_stream_is_prepared(GTK_MEDIA_STREAM(o)) || gtk_media_stream_get_error(p->ms))
        return;
    GlvfMediaStreamStats s;
    glvf_media_stream_get_stats(gms(p), &s);
    static bool said_no_server;
    if (s.audio == GLVF_MEDIA_STREAM_AUDIO_NO_SERVER && !said_no_server) {
        said_no_server = true; /* once per run */
        g_printerr(PLAYER_NAME ": no sound server: playing without sound\n");
        if (p->base.opt.verbose && s.audio_message[0])
            g_printerr(PLAYER_NAME ": (%s)\n", s.audio_message);
    } else if (s.audio == GLVF_MEDIA_STREAM_AUDIO_FAILED && s.audio_message[0]) {
        /* (an undecodable stream: the decoder's own warning said it) */
        g_printerr(PLAYER_NAME ": '%s': cannot play its sound (%s): playing without sound\n",
                   p->base.path, s.audio_message);
    }
    if (p->base.opt.verbose) {
        g_printerr(PLAYER_NAME ": playing '%s': %s %dx%d %s, %.3g fps, %d decoder thread(s), "
                               "output paintable, audio %s%s%s\n",
                   p->base.path, s.codec, s.width, s.height, s.pix_fmt, s.frame_rate,
                   s.decoder_threads, audio_name(s.audio), s.audio_codec[0] ? " " : "",
                   s.audio_codec);
    }
    player_emit(&p->base, PLAYER_EVENT_OPENED);
}

static void on_error(GObject *o, GParamSpec *ps, gpointer data)
{
    stream_player *p = data;
    (void)ps;
    const GError *e = gtk_media_stream_get_error(GTK_MEDIA_STREAM(o));
    if (e)
        player_set_error(&p->base, e->message);
}

static void on_ended(GObject *o, GParamSpec *ps, gpointer data)
{
    stream_player *p = data;
    (void)ps;
    if (!gtk_media_stream_get_ended(GTK_MEDIA_STREAM(o)))
        return;
    if (player_ended(&p->base))
        return; /* the playlist's next file is opening */
    if (player_options_automated(&p->base.opt))
        finish(p);
    else
        player_emit(&p->base, PLAYER_EVENT_STATE);
}

/* playing, seeking (done), timestamp while paused (a step or seek shown) */
static void on_state(GObject *o, GParamSpec *ps, gpointer data)
{
    stream_player *p = data;
    if (!strcmp(ps->name, "seeking") && gtk_media_stream_is_seeking(GTK_MEDIA_STREAM(o)))
        return;
    if (!strcmp(ps->name, "timestamp") && gtk_media_stream_get_playing(GTK_MEDIA_STREAM(o)))
        return; /* while playing the UI samples the position itself */
    player_emit(&p->base, PLAYER_EVENT_STATE);
}

/* A new texture (or a size change): counts frames shown. */
/* --trace-frames: when (the monotonic clock, as CLOCK_MONOTONIC) and how
 * bright (the mean luma of the centre 16x16) the frame handed to GTK is. */
static void trace_frame(stream_player *p)
{
    gint64 now = g_get_monotonic_time();
    GdkTexture *t = glvf_video_paintable_get_texture(glvf_media_stream_get_paintable(gms(p)));
    int luma = -1;
    if (t) {
        int w = gdk_texture_get_width(t), h = gdk_texture_get_height(t);
        gsize stride = (gsize)w * 4;
        guchar *px = g_malloc(stride * (gsize)h);
        gdk_texture_download(t, px, stride);
        long sum = 0, n = 0;
        for (int y = MAX(h / 2 - 8, 0); y < MIN(h / 2 + 8, h); y++)
            for (int x = MAX(w / 2 - 8, 0); x < MIN(w / 2 + 8, w); x++) {
                const guchar *q = px + (gsize)y * stride + (gsize)x * 4;
                sum += (q[0] * 54 + q[1] * 183 + q[2] * 19) >> 8; /* BGRA or RGBA: close */
                n++;
            }
        luma = n ? (int)(sum / n) : -1;
        g_free(px);
        g_object_unref(t);
    }
    printf("frame t_us=%lld luma=%d\n", (long long)now, luma);
    fflush(stdout);
}

static void on_contents(GdkPaintable *paintable, gpointer data)
{
    stream_player *p = data;
    (void)paintable;
    if (p->frozen)
        return;
    take_stats(p);
    if (p->st.frames_shown == p->shown_seen)
        return;
    p->shown_seen = p->st.frames_shown;
    player_count_presented(&p->base, p->st.frames_shown);
    if (p->base.opt.trace_frames)
        trace_frame(p);
    if (p->base.opt.benchmark) {
        if (!p->bench_started) {
            p->bench_started = true;
            p->bench_t0 = g_get_monotonic_time();
        }
        return; /* the limit is on frames painted: on_after_paint */
    }
    if (p->base.opt.frames > 0 && p->st.frames_shown >= (uint64_t)p->base.opt.frames)
        finish(p);
}

static void on_after_paint(GdkFrameClock *clock, gpointer data)
{
    stream_player *p = data;
    (void)clock;
    if (!p->ms || p->frozen)
        return;
    take_stats(p);
    if (p->start_pending) {
        if (p->st.paintable.frames_painted == 0)
            return;
        p->start_pending = false;
        if (p->want_playing)
            gtk_media_stream_play(p->ms); /* "playing" notifies */
        sync_after_paint(p);
        return;
    }
    if (p->bench_started && p->base.opt.frames > 0 &&
        p->st.paintable.frames_painted >= (uint64_t)p->base.opt.frames)
        finish(p);
}

/* ---- the picture ------------------------------------------------------------------ */

static void stream_attach(stream_player *p)
{
    if (!p->ms || !p->surface)
        return;
    gtk_media_stream_realize(p->ms, p->surface);
}

static void stream_detach(stream_player *p)
{
    if (!p->ms || !p->surface)
        return;
    snapshot(p);
    gtk_media_stream_unrealize(p->ms, p->surface);
}

static void on_picture_realize(GtkWidget *w, gpointer data)
{
    stream_player *p = data;
    p->surface = g_object_ref(gtk_native_get_surface(gtk_widget_get_native(w)));
    stream_attach(p);
    sync_after_paint(p);
}

static void on_picture_unrealize(GtkWidget *w, gpointer data)
{
    stream_player *p = data;
    (void)w;
    stream_detach(p);
    g_clear_object(&p->surface);
    sync_after_paint(p);
}

/* ---- backend ---------------------------------------------------------------------- */

static void close_stream(stream_player *p)
{
    if (!p->ms)
        return;
    snapshot(p);
    stream_detach(p);
    g_signal_handlers_disconnect_by_data(p->ms, p);
    gtk_picture_set_paintable(p->picture, NULL);
    g_clear_object(&p->ms);
    p->start_pending = false;
    sync_after_paint(p);
}

static void s_open(player *pp)
{
    stream_player *p = (stream_player *)pp;
    close_stream(p);
    memset(&p->st, 0, sizeof p->st);
    p->position_us = 0;
    p->shown_seen = 0;
    p->frozen = false;
    p->bench_started = p->bench_done = false;
    p->bench_frames = 0;
    /* a URL the user gave may use the network; files stay local-only */
    p->ms = player_is_url(p->base.path)
                    ? glvf_media_stream_new_for_uri(p->base.path, PLAYER_URL_PROTOCOLS,
                                                    p->base.opt.network_timeout_ms)
                    : glvf_media_stream_new_for_filename(p->base.path);
    glvf_video_paintable_set_log(glvf_media_stream_get_paintable(gms(p)), stream_log, NULL);
    if (p->base.opt.benchmark)
        glvf_media_stream_set_untimed(gms(p), TRUE);
    /* the benchmark measures the picture path alone */
    glvf_media_stream_set_audio_enabled(gms(p), !p->base.opt.no_audio && !p->base.opt.benchmark);
    gtk_media_stream_set_volume(p->ms, p->base.volume);
    gtk_media_stream_set_muted(p->ms, p->base.muted);
    g_signal_connect(p->ms, "notify::prepared", G_CALLBACK(on_prepared), p);
    g_signal_connect(p->ms, "notify::error", G_CALLBACK(on_error), p);
    g_signal_connect(p->ms, "notify::ended", G_CALLBACK(on_ended), p);
    g_signal_connect(p->ms, "notify::playing", G_CALLBACK(on_state), p);
    g_signal_connect(p->ms, "notify::seeking", G_CALLBACK(on_state), p);
    g_signal_connect(p->ms, "notify::timestamp", G_CALLBACK(on_state), p);
    g_signal_connect(p->ms, "invalidate-contents", G_CALLBACK(on_contents), p);
    gtk_picture_set_paintable(p->picture, GDK_PAINTABLE(p->ms));
    stream_attach(p);
    /* it opens on its worker and shows the first frame; the benchmark
     * plays at once (untimed: nothing is late), else on the first paint */
    p->want_playing = true;
    p->start_pending = !p->base.opt.benchmark;
    if (!p->start_pending)
        gtk_media_stream_play(p->ms);
    sync_after_paint(p);
    player_emit(&p->base, PLAYER_EVENT_STATE);
}

static void s_set_playing(player *pp, bool playing)
{
    stream_player *p = (stream_player *)pp;
    if (!p->ms || p->base.finished)
        return;
    if (p->start_pending) {
        p->want_playing = playing;
        player_emit(&p->base, PLAYER_EVENT_STATE);
        return;
    }
    /* "playing" notifies the change; play at the end starts over */
    if (playing)
        gtk_media_stream_play(p->ms);
    else
        gtk_media_stream_pause(p->ms);
}

static bool s_is_playing(const player *pp)
{
    const stream_player *p = (const stream_player *)pp;
    if (p->start_pending)
        return p->want_playing;
    return p->ms && gtk_media_stream_get_playing(p->ms);
}

static void s_step(player *pp)
{
    stream_player *p = (stream_player *)pp;
    p->start_pending = false;
    sync_after_paint(p);
    glvf_media_stream_step(gms(p));
}

static void s_seek(player *pp, int64_t pos_us)
{
    stream_player *p = (stream_player *)pp;
    p->seek_target = pos_us;
    gtk_media_stream_seek(p->ms, pos_us);
    player_emit(&p->base, PLAYER_EVENT_STATE);
}

static int64_t s_position(const player *pp)
{
    const stream_player *p = (const stream_player *)pp;
    if (!p->ms)
        return p->position_us;
    if (gtk_media_stream_is_seeking(p->ms))
        return p->seek_target;
    return gtk_media_stream_get_timestamp(p->ms);
}

static int64_t s_duration(const player *pp)
{
    const stream_player *p = (const stream_player *)pp;
    return p->ms ? gtk_media_stream_get_duration(p->ms) : 0;
}

static int64_t s_frame_duration(const player *pp)
{
    const stream_player *p = (const stream_player *)pp;
    if (!p->ms)
        return 0;
    GlvfMediaStreamStats s;
    glvf_media_stream_get_stats(GLVF_MEDIA_STREAM(p->ms), &s);
    return s.frame_rate > 0 ? (int64_t)(1e6 / s.frame_rate + 0.5) : 0;
}

static bool s_video_size(const player *pp, int *w, int *h)
{
    const stream_player *p = (const stream_player *)pp;
    if (!p->ms)
        return false;
    GlvfMediaStreamStats s;
    glvf_media_stream_get_stats(GLVF_MEDIA_STREAM(p->ms), &s);
    *w = s.display_width;
    *h = s.display_height;
    return *w > 0 && *h > 0;
}

static bool s_is_open(const player *pp)
{
    const stream_player *p = (const stream_player *)pp;
    return p->ms && gtk_media_stream_is_prepared(p->ms) && !gtk_media_stream_get_error(p->ms);
}

static bool s_at_end(const player *pp)
{
    const stream_player *p = (const stream_player *)pp;
    return p->ms && gtk_media_stream_get_ended(p->ms);
}

static void s_get_stats(player *pp, player_stats *out)
{
    stream_player *p = (stream_player *)pp;
    snapshot(p);
    const GlvfMediaStreamStats *s = &p->st;
    const GlvfVideoPaintableStats *ps = &s->paintable;
    out->presented = s->frames_shown;
    out->dropped = s->frames_dropped;
    out->upload_failures = ps->upload_failures;
    g_strlcpy(out->upload_strategy, ps->upload_strategy[0] ? ps->upload_strategy : "none",
              sizeof out->upload_strategy);
    out->pool_bytes = ps->pool_bytes;
    out->queue_depth = s->queue_depth;
    out->queue_capacity = s->queue_capacity;
    out->decode_errors = s->decode_errors;
    g_strlcpy(out->colour, s->colour, sizeof out->colour);
    out->tick_hz = p->refresh_hz;
    out->upload_ms = ps->upload_ms;
    out->convert_ms = ps->convert_ms;
    out->frames_painted = ps->frames_painted;
    out->frames_decoded = s->frames_decoded;
    out->frames_converted = ps->frames_converted;
    out->frames_late = ps->frames_late;
    out->frames_replaced = ps->frames_replaced;
    out->texture_w = ps->texture_width;
    out->texture_h = ps->texture_height;
    g_strlcpy(out->renderer, ps->renderer, sizeof out->renderer);
    out->gl_es = ps->gl_es;
    out->gl_major = ps->gl_major;
    out->gl_minor = ps->gl_minor;
    out->position_us = p->position_us;
    g_strlcpy(out->audio, audio_name(s->audio), sizeof out->audio);
    g_strlcpy(out->audio_codec, s->audio_codec, sizeof out->audio_codec);
    out->audio_rate = s->audio_rate;
    out->audio_clock = s->audio_clock;
    out->audio_latency_ms = (double)s->audio_latency_us / 1000.0;
    out->audio_underruns = s->audio_underruns;
    out->bench_done = p->bench_done;
    if (p->bench_done) {
        out->bench_frames = p->bench_frames;
        out->bench_seconds = (double)(p->bench_t1 - p->bench_t0) / 1e6;
        out->bench_upload_ms = ps->upload_ms;
        out->bench_render_ms = ps->convert_ms;
        out->bench_w = ps->texture_width;
        out->bench_h = ps->texture_height;
    }
}

static char *s_video_text(player *pp)
{
    stream_player *p = (stream_player *)pp;
    const GlvfMediaStreamStats *s = &p->st;
    return g_strdup_printf("%s %dx%d %s, %.3g fps, %d thread(s)", s->codec, s->width, s->height,
                           s->pix_fmt, s->frame_rate, s->decoder_threads);
}

static GdkTexture *s_screenshot(player *pp)
{
    stream_player *p = (stream_player *)pp;
    if (!p->ms)
        return NULL;
    return glvf_video_paintable_get_texture(glvf_media_stream_get_paintable(gms(p)));
}

static void s_failed(player *pp)
{
    stream_player *p = (stream_player *)pp;
    if (p->ms)
        gtk_media_stream_pause(p->ms);
}

static void s_free(player *pp)
{
    stream_player *p = (stream_player *)pp;
    close_stream(p);
    if (p->surface)
        on_picture_unrealize(GTK_WIDGET(p->picture), p);
    sync_after_paint(p);
    g_signal_handler_disconnect(p->picture, p->sig_realize);
    g_signal_handler_disconnect(p->picture, p->sig_unrealize);
    g_object_unref(p->picture);
    player_clear_common(&p->base);
    g_free(p);
}

static void s_update_audio(player *pp)
{
    stream_player *p = (stream_player *)pp;
    if (!p->ms)
        return;
    gtk_media_stream_set_volume(p->ms, p->base.volume);
    gtk_media_stream_set_muted(p->ms, p->base.muted);
}

static bool s_has_audio(const player *pp)
{
    const stream_player *p = (const stream_player *)pp;
    return p->ms && gtk_media_stream_is_prepared(p->ms) && gtk_media_stream_has_audio(p->ms);
}

static const player_backend stream_backend = {
    .update_audio = s_update_audio,
    .has_audio = s_has_audio,
    .name = "paintable",
    .open = s_open,
    .set_playing = s_set_playing,
    .is_playing = s_is_playing,
    .step = s_step,
    .seek = s_seek,
    .position = s_position,
    .duration = s_duration,
    .frame_duration = s_frame_duration,
    .video_size = s_video_size,
    .is_open = s_is_open,
    .at_end = s_at_end,
    .get_stats = s_get_stats,
    .video_text = s_video_text,
    .screenshot = s_screenshot,
    .failed = s_failed,
    .free = s_free,
};

player *player_new_stream(GtkPicture *picture, const player_options *opt,
                          player_listener listener, void *user)
{
    stream_player *p = g_new0(stream_player, 1);
    player_init_common(&p->base, &stream_backend, opt, listener, user);
    g_atomic_int_set(&stream_log_verbose, opt->verbose);
    static gsize log_once;
    if (g_once_init_enter(&log_once)) {
        g_log_set_handler("glvf", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
                          glvf_domain_log, NULL);
        g_once_init_leave(&log_once, 1);
    }
    p->picture = g_object_ref(picture);
    p->sig_realize = g_signal_connect_after(picture, "realize", G_CALLBACK(on_picture_realize), p);
    p->sig_unrealize = g_signal_connect(picture, "unrealize", G_CALLBACK(on_picture_unrealize), p);
    if (gtk_widget_get_realized(GTK_WIDGET(picture)))
        on_picture_realize(GTK_WIDGET(picture), p);
    return &p->base;
}
