/*
 * glvf-bench: shared declarations of the GLFW benchmark tool.
 *
 *   main.c     window and GL context (GLFW), the mode table, main()
 *   options.c  command line
 *   util.c     the measuring helpers every mode shares: clock, RSS,
 *              percentiles, GPU timer queries
 *   upload.c   the upload scenarios: glvf strategies, the naive baseline and
 *              the memcpy floor, timed in the same run
 *   render.c   drawing a frame to the window (glvf_render + swap), or to an
 *              FBO where the window's framebuffer cannot be drawn
 *   decode.c   decode mode (built with the FFmpeg module only)
 *   wall.c     wall mode: N streams through one context into tiles (FFmpeg
 *              module only)
 *   report.c   table (stdout), JSON and CSV
 *
 * A mode is one row of the mode table in main.c: its name, whether this
 * build has it and a run function. `upload` runs the scenario loop of
 * upload.c; `render` runs the same loop with a per-frame draw hook
 * (bench_frame_hook, render.c); `decode` its own loop over the decoder's
 * frames (decode.c), drawing through the same hook with --render.
 *
 * Two passes per scenario, in every mode:
 *   timing pass  the interleaved repetitions. Their loop holds the work and
 *                a bench_now_s() per frame (and around the hook), nothing
 *                else: no timer query, no glFinish (one ends each run, inside
 *                the clock, by definition: throughput counts completed GL
 *                work), no stats snapshot, no /proc read (those are taken
 *                before and after the loop). Every figure but the GPU times
 *                comes from it: fps, GB/s, x memcpy, CPU ms, render ms, GL
 *                objects, allocations, RSS growth.
 *   GPU pass     after the repetitions, once per scenario: a fresh context,
 *                the same warm-up, then --gpu-frames frames with a
 *                GL_TIME_ELAPSED query around each (read back a few frames
 *                later). Only gpu_pass_* figures come from it; its own
 *                throughput (gpu_pass_fps, queries and their read-back
 *                included) is reported to show what the queries cost, never
 *                as the scenario's throughput. Off with --no-gpu-timer or
 *                --gpu-frames 0, and where the context has no timer queries.
 */
#ifndef GLVF_BENCH_H
#define GLVF_BENCH_H

#include <glvf/glvf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BENCH_NAME "glvf-bench"
#define BENCH_MAX_LIST 64
/* --seconds: at most this many timed frames per repetition */
#define BENCH_MAX_TIMED_FRAMES 20000

/* Exit statuses (also in --help). */
enum {
    BENCH_EXIT_OK = 0,
    BENCH_EXIT_FAILED = 1,      /* a scenario or the GL setup failed */
    BENCH_EXIT_USAGE = 2,       /* bad command line */
    BENCH_EXIT_UNAVAILABLE = 3, /* mode not available in this build */
    BENCH_EXIT_STREAMS = 4,     /* wall: some streams failed, the others played */
};

/* Strategies: the glvf ones plus the naive baseline. */
typedef enum bench_strategy {
    BENCH_NAIVE = 0,       /* glGenTextures + glTexImage2D per plane per frame */
    BENCH_CLIENT,
    BENCH_PBO_ORPHAN,
    BENCH_PBO_PERSISTENT,
    BENCH_AUTO,
    BENCH_STRATEGY_COUNT
} bench_strategy;

const char *bench_strategy_name(bench_strategy s);
/* The glvf strategy a bench strategy forces (naive: none, returns AUTO). */
glvf_upload_strategy bench_strategy_glvf(bench_strategy s);

typedef struct bench_size {
    int w, h;
} bench_size;

typedef struct bench_options {
    /* context */
    bool gles;
    bool egl;                   /* --context-api egl (else native: GLX) */
    int gl_major, gl_minor;     /* 0: default (3.3 core, ES 3.0) */
    bool visible;
    /* mode */
    const char *mode;           /* "upload", "render", "decode" */
    const char *input;          /* decode: the file */
    int dr;                     /* decode: 0 off, 1 on, 2 both */
    bool decode_render;         /* decode: also render */
    /* render (and decode --render) */
    glvf_scaler scaler;
    const char *colour;         /* --colour: "" (the frame's), bt2020, pq, hlg */
    int primaries, transfer;    /* its render overrides (0: the frame's) */
    glvf_tone_map tone_map;     /* --tone-map (0: glvf's default) */
    int window_w, window_h;     /* the window (its framebuffer is the target) */
    bool offscreen;             /* --offscreen: draw into an FBO the frame's size */
    bool naive_skipped;         /* naive was asked for in a mode without it */
    /* scenarios */
    glvf_format formats[BENCH_MAX_LIST];
    int nformats;
    bench_size sizes[BENCH_MAX_LIST];
    int nsizes;
    bench_strategy strategies[BENCH_STRATEGY_COUNT];
    int nstrategies;
    int frames;                 /* measured frames per repetition */
    double seconds;             /* > 0: measure for this long per repetition instead */
    int repeats;                /* best of */
    int warmup;                 /* untimed frames before each measurement */
    size_t source_bytes;        /* the rotating source set is at least this big */
    bool gpu_timer;             /* the GPU pass, where timer queries exist */
    int gpu_frames;             /* frames of the GPU pass (0: no GPU pass) */
    bool quick;
    int progress;               /* -1 auto (a tty), 0 never, 1 always */
    /* output */
    const char *json_path;      /* "-": stdout */
    const char *csv_path;
    bool verbose;               /* glvf log at info level */
    /* wall mode */
    const char *wall_inputs[BENCH_MAX_LIST];
    int wall_ninputs;
    int wall_streams;           /* N (default: 16) */
    int wall_cols, wall_rows;   /* --grid; 0: ceil(sqrt(N)) columns */
    bool wall_untimed;
    double wall_churn_s;        /* > 0: remove/re-add a stream this often */
    size_t wall_pool_budget;    /* bytes; 0: glvf's default */
    bool wall_budget_half;      /* --pool-budget half */
    bool wall_verify;
    int wall_display_fps;       /* real-time ticks per second */
    int wall_decoder_threads;   /* libavcodec threads per stream */
    /* the command line, for the reports */
    int argc;
    char **argv;
} bench_options;

/* Parses argv into *o (defaults included). Returns BENCH_EXIT_OK, or
 * BENCH_EXIT_USAGE after printing "glvf-bench: ..." to stderr, or -1 when
 * --help was printed (exit 0). */
int bench_options_parse(bench_options *o, int argc, char **argv);
void bench_usage(FILE *f);
/* main.c: why this build lacks mode `name` (NULL: available). */
const char *bench_mode_unavailable(const char *name);

/* One measured scenario: format x size x strategy in one mode. */
typedef struct bench_result {
    glvf_format format;
    int width, height;
    bench_strategy strategy;
    const char *strategy_used;  /* what glvf resolved (auto), else the name */
    const char *mode;
    bool ok;
    char error[160];
    int frames;                 /* measured frames of the best repetition */
    int repeats;
    size_t bytes_per_frame;
    int sources;                /* distinct source frames rotated through */
    double fps, gbps, memcpy_ratio;
    double memcpy_fps, memcpy_gbps;
    double p50_ms, p99_ms;      /* CPU time per frame (timing pass) */
    /* the GPU pass: GL_TIME_ELAPSED per frame (< 0: no GPU pass), the
     * samples read back, and the pass's own throughput, queries included */
    double gpu_pass_p50_ms, gpu_pass_p99_ms;
    int gpu_pass_samples;
    double gpu_pass_fps;        /* < 0: no GPU pass */
    double gl_objects_per_frame;
    double gl_objects_by_kind[GLVF_OBJECT_KIND_COUNT]; /* per frame */
    double heap_allocs_per_frame;
    /* totals over the measured frames of every repetition (after each
     * warm-up): GL objects created by kind, glvf heap allocations */
    uint64_t created_after_warmup[GLVF_OBJECT_KIND_COUNT];
    uint64_t heap_allocs_after_warmup;
    /* RSS growth over one repetition's measured frames: the most and the
     * least over the repetitions (a leak grows in every one; an allocator's
     * one-off step, such as glibc raising its mmap threshold, in one) */
    long long rss_growth_bytes, rss_growth_min_bytes;
    bool has_memcpy;            /* memcpy_ratio meaningful (not in decode) */
    /* render and decode --render: CPU ms in glvf_render + swap; < 0: none */
    double render_p50_ms, render_p99_ms;
    /* decode: NULL elsewhere */
    const char *dr;             /* "on" (forced) or "off" */
    bool dr_active;             /* the decoder's info.direct_rendering */
    /* decoder counters of the best repetition (warm-up included) */
    uint64_t frames_decoded, dr_frames, dr_fallbacks, loops;
} bench_result;

/* What a mode's run function gets. */
typedef struct bench_env {
    const bench_options *opt;
    glvf_context *probe;        /* a glvf context alive for the whole run:
                                   caps, plane layouts for the naive path */
    const glvf_caps *caps;
    bool gpu_timer;             /* a GPU pass runs: asked for, queries usable */
    const char *context_desc;   /* "OpenGL core via GLX", ... */
    void *window;               /* GLFWwindow */
    /* GL-thread callbacks for glvf contexts created by the modes */
    glvf_get_proc_fn get_proc;
    glvf_is_current_fn is_current;
    void *cb_user;
    glvf_log_fn log;
    /* decode: the input, described for the report header and JSON */
    const char *input_desc;
    /* render.c: where frames are drawn (bench_render_init) */
    bool render_fbo;            /* an FBO the frame's size, not the window */
    int render_w, render_h;     /* the window's framebuffer (not render_fbo) */
    char render_target[64];     /* "window 1280x720", "fbo (frame size)" */
} bench_env;

/* Per-frame hook run after each upload (render mode draws and swaps here).
 * `frame` is NULL for the naive strategy. Returns false on failure. The
 * loops time the hook separately (render_p50_ms, render_p99_ms). */
typedef bool (*bench_frame_hook)(const bench_env *env, glvf_frame *frame, void *user);

/* render.c: decides where frames are drawn, once per run, before any
 * scenario: the window's back buffer, unless --offscreen or a test draw
 * shows that it cannot be drawn (then an FBO, with a note on stderr); sets
 * env->render_fbo and env->render_target. False: no usable target. */
bool bench_render_init(bench_env *env);
/* The hook: glvf_render of `frame` (scaler from the options) into the
 * target, then glfwSwapBuffers (window) or nothing (FBO). `user` is a
 * bench_render_state, zeroed before the first frame of each repetition and
 * finished with bench_render_finish after it. */
typedef struct bench_render_state {
    unsigned fbo, tex;          /* the FBO target, made on first use */
    int fbo_w, fbo_h;
} bench_render_state;
/* Makes (or remakes) st's FBO, an RGBA8 texture of w x h. */
bool bench_render_fbo_make(bench_render_state *st, int w, int h);
bool bench_render_hook(const bench_env *env, glvf_frame *frame, void *user);
void bench_render_finish(bench_render_state *st);

/* upload.c: measuring helpers shared with decode.c */
long long bench_rss_bytes(void);
/* sorts v in place; nearest-rank percentile p (0..100); -1 when n is 0 */
double bench_percentile(double *v, size_t n, double p);
/* GL_TIME_ELAPSED queries in a ring, each read back BENCH_GPU_RING frames
 * after it was issued; samples (ms) go to out[] up to cap. */
enum { BENCH_GPU_RING = 8 };
typedef struct bench_gpu_timer {
    bool on, es;
    unsigned q[BENCH_GPU_RING];
    long issued, read;
    double *out;
    size_t *nout, cap;
} bench_gpu_timer;
void bench_gpu_timer_init(bench_gpu_timer *t);   /* creates the queries when on */
void bench_gpu_timer_begin(bench_gpu_timer *t);
void bench_gpu_timer_end(bench_gpu_timer *t);
void bench_gpu_timer_drain(bench_gpu_timer *t);
void bench_gpu_timer_fini(bench_gpu_timer *t);   /* deletes them */

/* decode.c (HAVE_GLVF_FFMPEG): opens the input once without GL, before any
 * window, to report a missing or unreadable file early; writes a one-line
 * description into desc. Returns BENCH_EXIT_OK or BENCH_EXIT_FAILED. */
int bench_decode_check(const bench_options *o, char *desc, size_t desc_len);
/* decode.c: the decode mode's scenarios (strategy x DR). Returns the number
 * of failed scenarios or a negative value when the run could not start. */
int bench_run_decode_scenarios(const bench_env *env);

/* wall.c (HAVE_GLVF_FFMPEG): the wall mode. Returns 0, a negative value
 * when the run failed (setup, every stream, --verify), or
 * -BENCH_EXIT_STREAMS when some streams failed and the others played. */
int bench_run_wall(const bench_env *env);

/* The wall's figures (report.c prints them). */
typedef struct bench_wall_stream_result {
    const char *path;
    char desc[160];
    char error[200];
    bool failed;
    uint64_t presented, dropped, late;   /* measured period */
    double fps, nominal_fps;
    uint64_t dr_frames, dr_fallbacks, loops, adds, removals;
    bool verified, verify_ok;
    uint8_t tile_rgb[3], solo_rgb[3];
} bench_wall_stream_result;

typedef struct bench_wall_result {
    const char *renderer;
    char target[64];
    int streams, cols, rows, win_w, win_h;
    bool untimed;
    const char *strategy_used;
    double seconds;                      /* measured */
    uint64_t stream_frames;              /* presented, all streams */
    double fps;                          /* aggregate stream-frames/s */
    double cpu_ms_per_stream_frame;      /* process CPU time / stream-frames */
    uint64_t ticks;                      /* loop iterations measured */
    uint64_t redraws;                    /* of them, those that drew and swapped */
    double tick_gap_max_ms;              /* the longest gap between two */
    uint64_t dropped, late;
    int failed;
    /* pool (bytes) */
    uint64_t pool_budget, pool_needed;   /* needed: the warm-up's peak */
    uint64_t pool_peak, pool_peak_warmup, pool_steady, pool_cached_peak, inuse_peak;
    uint64_t over_budget_ticks;          /* ticks with pool > budget + in use */
    uint64_t evictions;
    uint64_t staging_bytes;
    uint64_t created[GLVF_OBJECT_KIND_COUNT]; /* GL objects, measured period */
    uint64_t allocs;                     /* glvf heap allocations, same */
    long long rss_growth;
    uint64_t dr_frames, dr_fallbacks;
    uint64_t churn_removals, churn_adds, churn_failures;
    uint64_t frames_live_at_end;         /* after every stream was closed */
    bool verify;
    int verify_bad;
    bench_wall_stream_result *stream;
} bench_wall_result;

/* report.c: the wall's table (stdout, or stderr when --json -) and JSON. */
bool bench_report_wall(const bench_env *env, const bench_wall_result *res);

/* upload.c: runs every format x size x strategy of the options through the
 * upload loop, calling `hook` (may be NULL) after each upload, and reports
 * each result through report_*. Returns the number of failed scenarios or a
 * negative value when the run could not start. */
int bench_run_upload_scenarios(const bench_env *env, const char *mode_name,
                               bench_frame_hook hook, void *hook_user);

/* report.c */
typedef struct bench_report bench_report;
bench_report *bench_report_open(const bench_env *env, const char *mode_name);
void bench_report_memcpy(bench_report *r, glvf_format f, int w, int h, double fps,
                         double gbps, size_t bytes_per_frame, int sources);
void bench_report_add(bench_report *r, const bench_result *res);
/* Writes JSON/CSV, closes; returns false when a file could not be written. */
bool bench_report_close(bench_report *r);

/* Progress on stderr (a single rewritten line on a tty). */
void bench_progress(const bench_options *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void bench_progress_done(const bench_options *o);

double bench_now_s(void);

/* main.c: the last error or warning glvf logged (empty when none since the
 * last clear). */
const char *bench_last_glvf_error(void);
void bench_clear_glvf_error(void);

#endif
