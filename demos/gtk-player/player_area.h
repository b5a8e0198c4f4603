/*
 * glvf-player's --output area (player_area.c) and its benchmark
 * (player_area_bench.c): the state they share. Main thread unless a field
 * says otherwise.
 */
#ifndef GLVF_PLAYER_AREA_H
#define GLVF_PLAYER_AREA_H

#include "player_impl.h"

#include <glvf/glvf-audio.h>

#include <libavutil/frame.h>

#include <epoxy/gl.h>

#include <stdatomic.h>

#define BENCH_DISPLAY_INTERVAL_US 500000 /* hand the newest frame to the widget at 2 Hz */
#define BENCH_WAIT_MS 20                 /* longest wait for the decoder per iteration */

typedef struct area_player area_player;

typedef struct push_item {
    area_player *p;
    AVFrame *frame;
    int64_t t_us;             /* its media time */
    bool rebase;              /* the clock starts when it is rendered */
    bool uploaded;
    gint64 chosen_us;         /* monotonic time at which it was pushed */
    struct push_item *next;
} push_item;

/* An open in flight, then the decoder's log sink for as long as the
 * decoder lives. Reference-counted: the opening thread (detached: nobody
 * joins it) holds one until its result is handed to the main thread (an
 * idle source carries it there), the player holds one while the job is its
 * open in flight and then while it keeps the decoder. Only the main thread
 * reads its player, and only while it is not cancelled (the player cancels
 * it before it goes). It never holds the area's glvf context: the decoder
 * opens without one (defer_context) and gets it on the main thread
 * (glvf_ffmpeg_decoder_attach_context), so a cancelled job may outlive the
 * area, its context and the player. */
typedef struct open_job {
    gint refs;
    area_player *p;           /* main thread, while not cancelled */
    char *path;
    glvf_ffmpeg_dr dr;
    bool verbose;
    bool want_audio;
    int io_timeout_ms;
    atomic_bool cancelled;    /* the open gives up at its next I/O poll */
    GMutex lock;
    char msg[640];            /* last error the decoder logged (any thread) */
    /* results: written by the opening thread before it queues open_done */
    glvf_ffmpeg_decoder *dec;
    int err;
    glvf_audio_out *audio;    /* started on dec (audio "playing") */
    const char *audio_state;  /* none, disabled, no-server, failed, playing */
    char audio_why[160];
    /* set (release) by the opening thread once the results are written,
     * read (acquire) before they are: the hand-off through GLib's main
     * context orders them already, but sanitizers do not see inside an
     * uninstrumented GLib */
    atomic_bool done;
} open_job;

typedef struct cpu_times {
    double main_ms, decode_ms, raster_ms, other_ms;
} cpu_times;

struct area_player {
    player base;
    GlvfVideoArea *area;
    gulong sig_realize, sig_unrealize, sig_unrealize_after;
    guint tick_id;

    glvf_context *ctx;        /* while the area is realized */
    int64_t resume_us;        /* seek here once opened (re-realize), -1: none */
    open_job *job;
    glvf_ffmpeg_decoder *dec;
    glvf_ffmpeg_info info;    /* copy; its strings belong to dec */
    int64_t start_us, duration_us, frame_us_nominal;

    bool playing, eos, tearing_down;
    bool rebase;              /* show the next frame at once, restart the clock */
    bool step;                /* show the next frame, stay paused */
    bool clock_valid;
    bool awaiting_render;     /* a clock-starting frame is pushed, not rendered yet */
    gint64 render_lag_us;     /* from a push to its render (smoothed) */
    gint64 clock_frame_us;    /* frame-clock time at which ... */
    int64_t clock_media_us;   /* ... this media time was shown */
    AVFrame *pending;         /* taken from the decoder, not yet due */
    int64_t pending_us;
    int64_t last_pts_us;      /* media time of the last frame taken (for NOPTS) */
    int64_t shown_us;         /* media time of the last frame presented */
    int64_t position_us;      /* from the start of the stream */

    push_item *free_items;
    int outstanding;          /* pushed items not released yet */
    int unrendered;           /* pushed items no render has taken yet */
    gint64 pushed_us;         /* monotonic time of the last push */
    gint64 finish_deadline;
    bool finish_on_render;
    guint64 finish_rendered_base;
    guint finish_idle_id;

    GMutex log_lock;
    open_job *dec_job;        /* the log sink of dec (a reference) */

    /* sound: the audio clock is the master while it runs */
    glvf_audio_out *audio;    /* pulls dec's audio on libpulse's thread */
    uint64_t dec_seeks;       /* seeks asked of dec: the audio chunks' serial */
    const char *audio_state;  /* of the file opened last; NULL: none yet */
    char audio_codec[32];
    int audio_rate;
    bool audio_clock;         /* the audio clock paced the last frame */
    glvf_audio_out_stats last_audio;
    uint64_t leaked_gl;
    bool context_destroyed;

    /* statistics */
    uint64_t dropped, upload_failures;
    gint64 upload_us_sum;
    uint64_t uploads;
    glvf_stats last_glvf;
    bool have_glvf;
    glvf_ffmpeg_stats last_dec;
    bool have_dec;
    uint64_t live_before_teardown;
    char strategy[24];
    bool dr_on;
    char renderer[128];
    char gl_version[96];
    bool gl_es;
    int gl_major, gl_minor;

    /* frame clock and widget renders, sampled on ticks (the tick callback
     * runs only while there is something to present: intervals between
     * consecutive ticks are summed) */
    gint64 tick_prev;         /* frame time of the previous tick (0: none) */
    uint64_t tick_intervals;
    gint64 tick_span_us;
    guint64 renders_seen;
    gint64 render_us_sum;
    uint64_t render_samples;

    /* benchmark */
    struct {
        guint idle_id;
        bool started, done;
        GLuint fbo, tex;
        int w, h;
        glvf_frame *latest;
        bool latest_new;
        gint64 last_display;
        gint64 t_start, t_end;
        gint64 wait_us, upload_us, render_us;
        uint64_t frames;
        cpu_times cpu0, cpu1;
        bool cpu_ok;
    } bench;
};


/* player_area.c, for the benchmark */
void snapshot_stats(area_player *p);
void finish_after_render(area_player *p, bool from_render);
void finish(area_player *p);
void set_error(area_player *p, const char *msg);
/* The decoder returned `r` (< 0, not EOF): its last message, else r's. */
void set_decoder_error(area_player *p, int r);
int64_t frame_time_us(area_player *p, const AVFrame *f);
void count_presented(area_player *p);
void update_tick(area_player *p);

/* player_area_bench.c: --benchmark with --output area (untimed: decode,
 * upload, draw into an offscreen framebuffer as fast as it goes) */
void bench_start(area_player *p);
void bench_tick(area_player *p);
void bench_teardown(area_player *p);

#endif
