/*
 * glvf-player: shared declarations.
 *
 *   main.c    command line, GtkApplication, exit status, final statistics
 *   ui.c      the window: header bar, controls, overlays, keys, drag and
 *             drop, file chooser, automation (quit, screenshot)
 *   player.c  the presentation controller (player_impl.h): what both
 *             outputs share, and player.h's functions, which dispatch to
 *   player_area.c    --output area: the decoder feeding a GlvfVideoArea
 *             (opened off the main thread once the area is realized,
 *             destroyed before it unrealizes), pacing against the frame
 *             clock in a tick callback, drops, seeking, frame step,
 *             statistics (its state in player_area.h)
 *   player_area_bench.c  --output area --benchmark: the untimed loop
 *   player_stream.c  --output paintable (default): a GlvfMediaStream per
 *             file in a GtkPicture, driven through GtkMediaStream's API
 *             (decoding, conversion and pacing on the stream's threads)
 *   sample.c  the sample clip, encoded with libavcodec on first use
 *   wall.c    --wall FILE...: the files as a grid of GlvfMediaStream tiles
 *             sharing one GlvfVideoWorker (one GL context, one glvf
 *             context and pool); a click plays one alone, with sound
 *
 * Everything here runs on the GTK main thread unless stated otherwise.
 */
#ifndef GLVF_PLAYER_H
#define GLVF_PLAYER_H

#include <glvf/glvf-ffmpeg.h>
#include <glvf/glvf-gtk4.h>

#include <stdbool.h>
#include <stdint.h>

#define PLAYER_NAME "glvf-player"

/* Exit statuses. */
enum {
    PLAYER_EXIT_OK = 0,
    PLAYER_EXIT_FAILURE = 1, /* the file could not be played, GL unavailable, ... */
    PLAYER_EXIT_USAGE = 2,   /* bad command line */
};

typedef enum player_output {
    PLAYER_OUTPUT_PAINTABLE, /* GtkPicture + GlvfMediaStream (default) */
    PLAYER_OUTPUT_AREA,      /* GlvfVideoArea, paced on the main thread */
} player_output;

const char *player_output_name(player_output o);

typedef struct player_options {
    player_output output;    /* the video widget and controller backend */
    int frames;              /* quit after this many presented frames (0: no limit) */
    const char *screenshot;  /* PNG written at quit (NULL: none) */
    bool benchmark;          /* untimed: every frame, as fast as possible */
    bool stats;              /* final statistics on stdout */
    int width, height;       /* window size (0: default) */
    glvf_ffmpeg_dr dr;       /* direct rendering mode */
    bool verbose;            /* glvf/FFmpeg info messages on stderr */
    bool fullscreen;         /* start in fullscreen */
    int network_timeout_ms;  /* URLs: a read that stalls this long fails (0: none) */
    bool no_audio;           /* --no-audio: never open the sound */
    int volume;              /* --volume 0..100 (main.c sets 100 by default) */
    bool trace_frames;       /* a stdout line per frame shown (tests) */
    bool wall;               /* --wall: the FILEs as a grid (wall.c) */
} player_options;

/* True when the run is unattended (the window closes by itself). */
bool player_options_automated(const player_options *o);

/* True when `path` is a URL for the network ("scheme://...", not file:):
 * the player then lets libavformat use network protocols for it. */
bool player_is_url(const char *path);

/* The protocols the player allows for a URL the user gave. */
#define PLAYER_URL_PROTOCOLS GLVF_MEDIA_STREAM_NETWORK_PROTOCOLS

/* ---- the presentation controller (player.c) ------------------------------ */

typedef struct player player;

typedef enum player_event {
    PLAYER_EVENT_OPENED,   /* a file is open: info, duration known */
    PLAYER_EVENT_STATE,    /* playing/paused/end of stream changed */
    PLAYER_EVENT_ERROR,    /* player_last_error() says what */
    PLAYER_EVENT_FINISHED, /* automation: the frame limit or the end was reached
                              and the last frame is rendered (captured) */
} player_event;

typedef void (*player_listener)(player *p, player_event ev, void *user);

/* Creates the controller for `area` (--output area; borrowed, a reference
 * is kept). It installs itself on the area's realize/unrealize signals, its
 * log, and a tick callback while frames are to be presented. */
player *player_new_area(GlvfVideoArea *area, const player_options *opt,
                        player_listener listener, void *user);
/* --output area: opening threads still running (cancelled ones end at
 * their next I/O poll; nobody joins them). Any thread. */
guint player_area_openers_running(void);
/* Creates the controller for `picture` (--output paintable; a reference is
 * kept): each opened file gets a new GlvfMediaStream shown by the picture.
 * The stream is realized with the picture's surface (scale, GL let go on
 * unrealize). */
player *player_new_stream(GtkPicture *picture, const player_options *opt,
                          player_listener listener, void *user);
/* Tears down (decoder, frames) if still needed and frees. */
void player_free(player *p);

/* Opens `path` (a file or any URL libavformat reads) and starts playing:
 * at once when the area is realized, else when it is. The decoder opens on a
 * worker thread (probing decodes a few frames; never on the main thread). */
void player_open(player *p, const char *path);
/* Called at the end of each file (from the backend, main thread); returns
 * true when it opened another one (a playlist's next), else the player
 * stops at the end as usual. */
void player_set_on_ended(player *p, bool (*fn)(void *user), void *user);
const char *player_path(const player *p);
/* Shows an error that did not come from the player (e.g. the sample clip
 * could not be made): same reporting path. */
void player_fail(player *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

void player_set_playing(player *p, bool playing);
bool player_is_playing(const player *p);
void player_toggle(player *p);
/* Shows the next frame and pauses. */
void player_step(player *p);
/* Seeks to `pos_us` from the start of the stream (clamped). */
void player_seek(player *p, int64_t pos_us);
void player_seek_relative(player *p, int64_t delta_us);
/* Shows the frame before the one shown and pauses. */
void player_step_back(player *p);

/* Position of the frame on screen and duration, from the start of the
 * stream (microseconds; duration 0 when unknown). */
int64_t player_position(const player *p);
int64_t player_duration(const player *p);
bool player_is_open(const player *p);
bool player_at_end(const player *p);
/* The open file's picture size as shown at 1:1: its sample aspect ratio
 * and rotation (display matrix) applied. False when not known (nothing
 * open yet, an error). */
bool player_video_size(const player *p, int *w, int *h);

/* The last error (NULL when none). */
const char *player_last_error(const player *p);

/* What the video widget shows now, for --screenshot (a new reference, or
 * NULL): area, the pixels it last rendered (capture on); paintable, the
 * texture the picture shows, at the size it is shown. */
GdkTexture *player_screenshot(player *p);
/* Writes `t` (taken: unreffed; NULL: nothing was `what`, e.g. "shown") as
 * a PNG to `path`; false with a message on stderr. Main thread. */
bool player_write_screenshot(GdkTexture *t, const char *path, const char *what);

/* Sound (both outputs): volume 0..1 and mute, kept across files. */
void player_set_volume(player *p, double volume);
double player_get_volume(const player *p);
void player_set_muted(player *p, bool muted);
bool player_get_muted(const player *p);
/* The file's sound is playing (a sound server, an audio stream). */
bool player_has_audio(const player *p);

/* The statistics overlay text (g_free it). */
char *player_stats_text(player *p);

typedef struct player_stats {
    char output[16];           /* "paintable" or "area" */
    char colour[128];          /* glvf_colour_describe of the last frame; "" */
    uint64_t presented;        /* frames shown (area: uploaded and rendered;
                                  paintable: textures made current) */
    uint64_t dropped;          /* late frames skipped by the pacing or
                                  replaced in the widget's mailbox */
    uint64_t upload_failures;
    double presented_fps;      /* over the last second */
    char upload_strategy[24];
    bool dr;
    uint64_t dr_frames, dr_fallbacks;
    uint64_t pool_bytes;       /* last seen (the context is gone at exit) */
    uint64_t frames_live;      /* glvf frames held (widget + mailbox) */
    int queue_depth, queue_capacity;
    uint64_t decode_errors;
    double tick_hz;            /* frame-clock ticks per second (area: measured
                                  while the tick callback runs; paintable: the
                                  frame clock's refresh interval) */
    double widget_render_ms;   /* area: the widget's render (upload + draw), mean */
    double upload_ms;          /* area: glvf_ffmpeg_upload in the widget's render;
                                  paintable: the worker's upload; mean */
    double convert_ms;         /* paintable: conversion into the RGBA texture, mean */
    uint64_t frames_painted;   /* paintable: shown frames GTK painted */
    uint64_t frames_decoded, frames_converted; /* paintable */
    uint64_t frames_late, frames_replaced;     /* paintable: the drops, by cause */
    int texture_w, texture_h;  /* paintable: the last converted texture */
    /* filled at teardown: what glvf reported at context destroy (paintable:
     * main.c sets it once the workers ended, and leaked_held from
     * glvf_gtk4_get_totals) */
    bool context_destroyed;
    /* frames/staging regions still held when the area destroyed its glvf
     * context (GlvfVideoAreaStats.leaked_at_unrealize), and GL objects
     * glvf's own consistency check found still live after the destroy */
    uint64_t leaked_held, leaked_gl_objects;
    /* before teardown, after the player released its own frames:
     * frames_live + staging_live of the context (the widget's own shown
     * frame included: it drops it right before the destroy) */
    uint64_t live_before_teardown;
    /* benchmark */
    bool bench_done;
    uint64_t bench_frames;
    double bench_seconds;
    double bench_wait_ms, bench_upload_ms, bench_render_ms;  /* per frame, main thread */
    double bench_other_ms;     /* the rest of the wall time per frame (GTK) */
    double bench_cpu_decode_ms, bench_cpu_raster_ms, bench_cpu_main_ms; /* per frame, CPU */
    bool bench_cpu_valid;
    int bench_w, bench_h;      /* the offscreen target (the area's size) */
    char renderer[128];
    bool gl_es;                /* the area's context is OpenGL ES */
    int gl_major, gl_minor;
    int64_t position_us;       /* of the frame on screen */
    /* sound */
    char audio[16];            /* none, off, disabled, no-server, failed, playing */
    char audio_codec[32];
    int audio_rate;
    bool audio_clock;          /* the audio clock paced the last frame */
    double audio_latency_ms;   /* buffered + the sink's */
    uint64_t audio_underruns;
    double volume;             /* 0..1 */
    bool muted;
    /* the window (ui.c, at its destroy): its size, the video widget's, and
     * the display size of the file (0: unknown) */
    int window_w, window_h;
    int video_w, video_h;
    int display_w, display_h;
} player_stats;

void player_get_stats(player *p, player_stats *out);

/* ---- the sample clip (sample.c) ------------------------------------------ */

/* Path of the sample clip in the user's cache directory
 * ($XDG_CACHE_HOME/glvf/sample-v1.mkv). g_free it. */
char *player_sample_path(void);
/* Makes the sample clip unless it exists: encodes a few seconds of moving
 * coloured blocks with libavcodec (libx264 when available, else MPEG-4
 * part 2) into Matroska, written under a temporary name and renamed into
 * place. Blocking: run it off the main thread. `cancel` (may be NULL) is
 * polled between frames. Returns the path (g_free it) or NULL with *error. */
char *player_sample_ensure(volatile int *cancel, GError **error);

/* ---- the window (ui.c) ----------------------------------------------------- */

typedef struct player_window player_window;

/* Creates and presents the window. `paths` (NULL-terminated, copied) is
 * the playlist, played in order; NULL or empty: the sample clip is made
 * (if needed) and played. */
player_window *player_window_new(GtkApplication *app, const player_options *opt,
                                 const char *const *paths);
/* Opens another file in the window: it replaces the playlist. */
void player_window_open(player_window *w, const char *path);
/* Exit status the window asked for (PLAYER_EXIT_*). */
int player_window_exit_status(const player_window *w);
/* Final statistics (valid after the window is destroyed). */
void player_window_get_stats(player_window *w, player_stats *out);
/* Waits for the sample generation (if running) and frees. */
void player_window_free(player_window *w);

/* ---- the wall (wall.c) -------------------------------------------------------- */

typedef struct player_wall player_wall;

typedef struct player_wall_tile_stats {
    char file[256];
    bool failed;               /* the tile shows an error */
    char error[256];
    uint64_t presented;        /* frames the tile's stream showed */
    uint64_t dropped;          /* late + replaced */
    uint64_t late, replaced;   /* the drops, by cause */
    uint64_t painted;          /* of those, painted by GTK */
    uint64_t decoded;
    uint64_t upload_failures;
    int texture_w, texture_h;  /* the last converted texture (the tile's size) */
} player_wall_tile_stats;

typedef struct player_wall_stats {
    guint tiles;
    player_wall_tile_stats *tile; /* `tiles` entries (g_free it) */
    guint workers;             /* GlvfVideoWorkers the tiles used (1) */
    uint64_t worker_threads_started; /* its shared GL threads (contexts) made */
    uint64_t worker_jobs;      /* GL jobs it ran */
    guint max_paintables;      /* most paintables attached to it at once */
    uint64_t pool_bytes;       /* the shared pool, last seen */
    char renderer[128];
} player_wall_stats;

/* Creates and presents the wall window for `paths` (NULL-terminated, at
 * least one; copied). */
player_wall *player_wall_new(GtkApplication *app, const player_options *opt,
                             const char *const *paths);
/* PLAYER_EXIT_*: failure when no tile could play (or the screenshot
 * failed). */
int player_wall_exit_status(const player_wall *w);
/* The figures at the window's end (now, while it is open). */
void player_wall_get_stats(player_wall *w, player_wall_stats *out);
/* Destroys the window if needed and drops the streams and the worker (the
 * workers' threads end afterwards: main.c waits for them). */
void player_wall_free(player_wall *w);

#endif
