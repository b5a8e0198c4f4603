/*
 * glvf-bench: shared declarations of the GLFW benchmark tool.
 *
 *   main.c     window and GL context (GLFW), the mode table, main()
 *   options.c  command line
 *   upload.c   the upload scenarios: glvf strategies, the naive baseline and
 *              the memcpy floor, timed in the same run
 *   report.c   table (stdout), JSON and CSV
 *
 * A mode is one row of the mode table in main.c: its name, whether this
 * build has it and a run function. `upload` runs the scenario loop of
 * upload.c; `render` will run the same loop with a per-frame draw hook
 * (bench_frame_hook), `decode` its own source of frames.
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
    bool gpu_timer;             /* GL_TIME_ELAPSED queries where available */
    bool quick;
    int progress;               /* -1 auto (a tty), 0 never, 1 always */
    /* output */
    const char *json_path;      /* "-": stdout */
    const char *csv_path;
    bool verbose;               /* glvf log at info level */
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
    double p50_ms, p99_ms;      /* CPU time per frame */
    double gpu_p50_ms, gpu_p99_ms; /* < 0: unavailable */
    double gl_objects_per_frame;
    double gl_objects_by_kind[GLVF_OBJECT_KIND_COUNT]; /* per frame */
    double heap_allocs_per_frame;
    long long rss_growth_bytes;
} bench_result;

/* What a mode's run function gets. */
typedef struct bench_env {
    const bench_options *opt;
    glvf_context *probe;        /* a glvf context alive for the whole run:
                                   caps, plane layouts for the naive path */
    const glvf_caps *caps;
    bool gpu_timer;             /* timer queries usable */
    const char *context_desc;   /* "OpenGL core via GLX", ... */
    void *window;               /* GLFWwindow */
    /* GL-thread callbacks for glvf contexts created by the modes */
    glvf_get_proc_fn get_proc;
    glvf_is_current_fn is_current;
    void *cb_user;
    glvf_log_fn log;
} bench_env;

/* Per-frame hook run after each upload (render mode draws and swaps here).
 * `frame` is NULL for the naive strategy. Returns false on failure. */
typedef bool (*bench_frame_hook)(const bench_env *env, glvf_frame *frame, void *user);

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
