/*
 * glvf-bench: decode mode (built with the FFmpeg module only).
 *
 * Scenarios: every glvf strategy of --strategy (naive has no glvf upload of
 * a decoded frame) x direct rendering off / forced (--dr). Each repetition
 * of a scenario opens the file afresh with glvf_ffmpeg_decoder_open and a
 * new glvf context of that upload strategy (neither timed), runs --warmup
 * untimed frames, then measures --frames frames (or --seconds):
 *
 *   glvf_ffmpeg_decoder_next -> glvf_ffmpeg_upload (-> glvf_render + swap
 *   with --render) -> glvf_ffmpeg_decoder_release -> unref of the previous
 *   glvf frame -> glvf_context_collect
 *
 * looping the file (an accurate seek to its start at end of stream) as often
 * as needed. A frame's CPU time includes the wait for the decoder (and the
 * seek where the file loops). glFinish ends every timed run, inside the
 * clock. Repetitions of the scenarios are interleaved, their order
 * rotating, and each scenario keeps its best, as in upload mode. The timed
 * loop holds the frame's work and clock reads only: counters and RSS are
 * read before and after it. GPU times come from a separate GPU pass per
 * scenario after the repetitions (bench.h): a fresh decoder and context,
 * the warm-up, --gpu-frames frames with a GL_TIME_ELAPSED query around the
 * upload (and the draw) of each. Heap allocations counted are glvf's
 * (glvf_heap_allocations: the core's and the FFmpeg module's, which shares the
 * core's heap), whichever thread made them; FFmpeg's own are not counted.
 */
#include "bench.h"

#include <epoxy/gl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <glvf/glvf-ffmpeg.h>


/* How long next() may keep us waiting before the decoder counts as stuck. */
#define DECODE_TIMEOUT_MS 30000

/* The decoder's log: called from its thread as well, so it only prints
 * (one fprintf per message: stdio locks the stream). */
static void decoder_log(void *user, glvf_log_level level, const char *msg)
{
    (void)user;
    fprintf(stderr, BENCH_NAME ": decoder %s: %s\n", glvf_log_level_name(level), msg);
}

static glvf_log_level log_level(const bench_options *o)
{
    return o->verbose ? GLVF_LOG_INFO : GLVF_LOG_WARN;
}

static void describe(const glvf_ffmpeg_info *in, char *desc, size_t len)
{
    char fps[32] = "";
    if (in->frame_rate.num > 0 && in->frame_rate.den > 0)
        snprintf(fps, sizeof fps, ", %.3g fps",
                 (double)in->frame_rate.num / (double)in->frame_rate.den);
    char frames[48] = "";
    if (in->frames > 0)
        snprintf(frames, sizeof frames, ", %lld frames", (long long)in->frames);
    snprintf(desc, len, "%s %dx%d %s (glvf %s), %s%s%s%s%.2f s", in->codec_name, in->width,
             in->height, in->pix_fmt_name, glvf_format_name(in->format), in->container_name,
             fps, frames, ", ", (double)in->duration_us * 1e-6);
}

/* The check's log: the error that made open fail (logged on this thread,
 * inside open) is kept for one message of our own; the rest is printed. */
static pthread_t check_thread;
static char check_error[256];

static void check_log(void *user, glvf_log_level level, const char *msg)
{
    if (level == GLVF_LOG_ERROR && pthread_equal(pthread_self(), check_thread)) {
        snprintf(check_error, sizeof check_error, "%s", msg);
        return;
    }
    decoder_log(user, level, msg);
}

int bench_decode_check(const bench_options *o, char *desc, size_t desc_len)
{
    glvf_ffmpeg_route_av_log(true);
    int err = 0;
    check_thread = pthread_self();
    check_error[0] = 0;
    glvf_ffmpeg_decoder *d = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = o->input, .direct_rendering = GLVF_FFMPEG_DR_OFF,
                                       .log = check_log, .log_level = log_level(o)),
            &err);
    if (!d) {
        char buf[128];
        if (check_error[0])
            fprintf(stderr, BENCH_NAME ": decode: %s\n", check_error);
        else
            fprintf(stderr, BENCH_NAME ": decode: cannot decode '%s' (%s)\n", o->input,
                    glvf_ffmpeg_strerror(err, buf, sizeof buf));
        glvf_ffmpeg_route_av_log(false);
        return BENCH_EXIT_FAILED;
    }
    describe(glvf_ffmpeg_decoder_info(d), desc, desc_len);
    glvf_ffmpeg_decoder_destroy(&d);
    glvf_ffmpeg_route_av_log(false);
    return BENCH_EXIT_OK;
}

/* ---- one scenario ------------------------------------------------------- */

typedef struct scenario {
    bench_strategy strategy;
    bool dr;
    bool ok;
    char error[160];
    /* from the decoder, first repetition */
    glvf_format format;
    int width, height;
    size_t bytes_per_frame;
    glvf_upload_strategy used;
    bool dr_active;
    /* best repetition */
    double best_s;
    int best_frames;
    glvf_ffmpeg_stats best_stats;
    uint64_t best_loops;
    /* all repetitions */
    uint64_t frames, objects, allocs, by_kind[GLVF_OBJECT_KIND_COUNT];
    long long rss_growth, rss_growth_min;
    bool have_rss;
    double *cpu, *hook;
    size_t ncpu, nhook, cap;
    /* the GPU pass */
    double *gpu;
    size_t ngpu, gpu_cap;
    double gpu_fps;
} scenario;

typedef struct rep {
    const bench_env *env;
    scenario *sc;
    bench_render_state *rs;
    glvf_ffmpeg_decoder *dec;
    glvf_context *ctx;
    int64_t start_us;
    uint64_t loops;
    int since_seek;
    glvf_frame *prev;
    bench_gpu_timer gt;
    char error[160];
} rep;

/* The next decoded frame, looping the file at its end. */
static bool next_frame(rep *r, struct AVFrame **out)
{
    for (;;) {
        int e = glvf_ffmpeg_decoder_next(r->dec, out, DECODE_TIMEOUT_MS);
        if (e == 0) {
            r->since_seek++;
            return true;
        }
        if (e == GLVF_FFMPEG_EOF && r->since_seek > 0) {
            glvf_ffmpeg_decoder_seek(r->dec, r->start_us);
            r->loops++;
            r->since_seek = 0;
            continue;
        }
        if (e == GLVF_FFMPEG_EOF) {
            snprintf(r->error, sizeof r->error, "no frame %s",
                     r->loops ? "after seeking back to the start" : "in the file");
        } else if (e == -EAGAIN) {
            snprintf(r->error, sizeof r->error, "no frame from the decoder in %d s",
                     DECODE_TIMEOUT_MS / 1000);
        } else {
            char msg[128];
            if (!glvf_ffmpeg_decoder_last_error(r->dec, msg, sizeof msg))
                glvf_ffmpeg_strerror(e, msg, sizeof msg);
            snprintf(r->error, sizeof r->error, "decoding failed: %s", msg);
        }
        return false;
    }
}

/* What one_frame records. */
enum frame_kind {
    FRAME_WARMUP,   /* nothing */
    FRAME_TIMED,    /* CPU (and render) samples: the timing pass */
    FRAME_GPU,      /* a query around upload (+ draw): the GPU pass */
};

/* One frame: decode, upload, draw, release. */
static bool one_frame(rep *r, enum frame_kind kind)
{
    bool measure = kind == FRAME_TIMED, query = kind == FRAME_GPU;
    const bench_env *env = r->env;
    scenario *sc = r->sc;
    struct AVFrame *af = NULL;
    double f0 = bench_now_s();
    if (!next_frame(r, &af))
        return false;
    if (query)
        bench_gpu_timer_begin(&r->gt);
    int e = 0;
    bench_clear_glvf_error();
    glvf_frame *gf = glvf_ffmpeg_upload(r->ctx, af, NULL, &e);
    bool ok = gf != NULL;
    double h0 = 0, h1 = 0;
    if (!ok) {
        char msg[96];
        snprintf(r->error, sizeof r->error, "glvf_ffmpeg_upload failed: %s",
                 *bench_last_glvf_error() ? bench_last_glvf_error()
                                          : glvf_ffmpeg_strerror(e, msg, sizeof msg));
    } else if (env->opt->decode_render) {
        h0 = bench_now_s();
        ok = bench_render_hook(env, gf, r->rs);
        h1 = bench_now_s();
        if (!ok)
            snprintf(r->error, sizeof r->error, "render failed: %s",
                     *bench_last_glvf_error() ? bench_last_glvf_error() : "see stderr");
    }
    if (query)
        bench_gpu_timer_end(&r->gt);
    glvf_ffmpeg_decoder_release(r->dec, &af);
    glvf_frame_unref(&r->prev);
    r->prev = gf;
    glvf_context_collect(r->ctx);
    double f1 = bench_now_s();
    if (measure) {
        if (sc->ncpu < sc->cap)
            sc->cpu[sc->ncpu++] = (f1 - f0) * 1e3;
        if (env->opt->decode_render && ok && sc->nhook < sc->cap)
            sc->hook[sc->nhook++] = (h1 - h0) * 1e3;
    }
    return ok;
}

static uint64_t objects_created(const glvf_stats *st)
{
    uint64_t n = 0;
    for (int k = 0; k < GLVF_OBJECT_KIND_COUNT; k++)
        n += st->objects[k].created;
    return n;
}

static uint64_t glvf_allocs(void)
{
    return glvf_heap_allocations(); /* the FFmpeg module's included */
}

static bool bytes_of(glvf_format f, int w, int h, size_t *out)
{
    size_t total = 0;
    for (int p = 0; p < glvf_format_planes(f); p++) {
        glvf_plane_layout l;
        if (!glvf_plane_layout_get(NULL, f, w, h, p, &l))
            return false;
        total += (size_t)l.row_bytes * (size_t)l.height;
    }
    *out = total;
    return true;
}

/* One repetition of one scenario (gpu_pass: its GPU pass); false (with
 * sc->error) on failure. */
static bool run_rep(const bench_env *env, scenario *sc, bench_render_state *rs, bool first,
                    bool gpu_pass)
{
    const bench_options *o = env->opt;
    rep r = { .env = env, .sc = sc, .rs = rs };
    r.gt = (bench_gpu_timer){ .on = gpu_pass && env->gpu_timer, .es = env->caps->is_gles,
                              .out = sc->gpu, .nout = &sc->ngpu, .cap = sc->gpu_cap };
    bench_clear_glvf_error();
    r.ctx = glvf_context_create(glvf_context_params(
            .get_proc_address = env->get_proc, .get_proc_user = env->cb_user,
            .is_current = env->is_current, .is_current_user = env->cb_user, .log = env->log,
            .log_level = log_level(o), .upload = bench_strategy_glvf(sc->strategy),
            .flags = GLVF_CONTEXT_IGNORE_ENV));
    if (!r.ctx) {
        snprintf(sc->error, sizeof sc->error, "glvf_context_create failed: %s",
                 bench_last_glvf_error());
        return false;
    }
    int err = 0;
    r.dec = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(
                    .path = o->input, .ctx = r.ctx,
                    .direct_rendering = sc->dr ? GLVF_FFMPEG_DR_FORCE : GLVF_FFMPEG_DR_OFF,
                    .log = decoder_log, .log_level = log_level(o)),
            &err);
    if (!r.dec) {
        char buf[128];
        snprintf(sc->error, sizeof sc->error, "glvf_ffmpeg_decoder_open failed: %s",
                 glvf_ffmpeg_strerror(err, buf, sizeof buf));
        glvf_context_destroy(&r.ctx);
        return false;
    }
    const glvf_ffmpeg_info *in = glvf_ffmpeg_decoder_info(r.dec);
    r.start_us = in->start_time_us != GLVF_FFMPEG_NOPTS ? in->start_time_us : 0;
    if (first) {
        sc->format = in->format;
        sc->width = in->width;
        sc->height = in->height;
        sc->used = glvf_context_get_upload_strategy(r.ctx);
        sc->dr_active = in->direct_rendering;
        if (!bytes_of(in->format, in->width, in->height, &sc->bytes_per_frame))
            sc->bytes_per_frame = 0;
    }
    bool ok = true;
    for (int w = 0; w < o->warmup && ok; w++)
        ok = one_frame(&r, FRAME_WARMUP);
    glFinish();

    if (gpu_pass) {
        bench_gpu_timer_init(&r.gt);
        int n = 0;
        double t0 = bench_now_s();
        for (; ok && n < o->gpu_frames; n++)
            ok = one_frame(&r, FRAME_GPU);
        glFinish();
        double secs = bench_now_s() - t0;
        bench_gpu_timer_drain(&r.gt);
        bench_gpu_timer_fini(&r.gt);
        glvf_frame_unref(&r.prev);
        glvf_ffmpeg_decoder_destroy(&r.dec);
        glvf_context_destroy(&r.ctx);
        GLenum glerr = GL_NO_ERROR;
        for (GLenum e; (e = glGetError()) != GL_NO_ERROR;)
            glerr = e;
        if (!ok)
            snprintf(sc->error, sizeof sc->error, "GPU pass: %.140s", r.error);
        else if (glerr != GL_NO_ERROR)
            snprintf(sc->error, sizeof sc->error, "GPU pass: GL error 0x%04x", glerr);
        else if (n > 0 && secs > 0)
            sc->gpu_fps = n / secs;
        return ok && glerr == GL_NO_ERROR;
    }

    glvf_stats st0, st1;
    glvf_context_get_stats(r.ctx, &st0);
    long long rss0 = bench_rss_bytes();
    uint64_t allocs0 = glvf_allocs();
    int per_rep = o->frames > 0 ? o->frames : BENCH_MAX_TIMED_FRAMES;
    int n = 0;
    double t0 = bench_now_s(), t1 = t0;
    while (ok && n < per_rep) {
        if (o->frames > 0 ? n >= o->frames : (n > 0 && t1 - t0 >= o->seconds))
            break;
        ok = one_frame(&r, FRAME_TIMED);
        t1 = bench_now_s();
        if (ok)
            n++;
    }
    glFinish(); /* part of the measured work: completion inside the clock */
    double t_end = bench_now_s();
    uint64_t allocs1 = glvf_allocs();
    long long rss1 = bench_rss_bytes();
    glvf_context_get_stats(r.ctx, &st1);
    glvf_ffmpeg_stats ds;
    glvf_ffmpeg_decoder_get_stats(r.dec, &ds);

    /* the decoder (and every AVFrame: released above) before the context,
     * whose staging memory DR pictures live in */
    glvf_frame_unref(&r.prev);
    glvf_ffmpeg_decoder_destroy(&r.dec);
    glvf_context_destroy(&r.ctx);
    GLenum glerr = GL_NO_ERROR;
    for (GLenum e; (e = glGetError()) != GL_NO_ERROR;)
        glerr = e;

    if (!ok) {
        snprintf(sc->error, sizeof sc->error, "%s", r.error);
        return false;
    }
    if (glerr != GL_NO_ERROR) {
        snprintf(sc->error, sizeof sc->error, "GL error 0x%04x", glerr);
        return false;
    }
    double secs = t_end - t0;
    if (n == 0 || secs <= 0) {
        snprintf(sc->error, sizeof sc->error, "no frame measured");
        return false;
    }
    if (secs / n < sc->best_s / (sc->best_frames ? sc->best_frames : 1)) {
        sc->best_s = secs;
        sc->best_frames = n;
        sc->best_stats = ds;
        sc->best_loops = r.loops;
    }
    sc->frames += (uint64_t)n;
    sc->objects += objects_created(&st1) - objects_created(&st0);
    for (int k = 0; k < GLVF_OBJECT_KIND_COUNT; k++)
        sc->by_kind[k] += st1.objects[k].created - st0.objects[k].created;
    sc->allocs += allocs1 - allocs0;
    if (!sc->have_rss || rss1 - rss0 > sc->rss_growth)
        sc->rss_growth = rss1 - rss0;
    if (!sc->have_rss || rss1 - rss0 < sc->rss_growth_min)
        sc->rss_growth_min = rss1 - rss0;
    sc->have_rss = true;
    return true;
}

/* ---- the scenario loop -------------------------------------------------- */

int bench_run_decode_scenarios(const bench_env *env0)
{
    bench_env env = *env0;
    const bench_options *o = env.opt;
    if (o->decode_render && !bench_render_init(&env))
        return -1;
    bench_report *report = bench_report_open(&env, "decode");
    if (!report)
        return -1;
    glvf_ffmpeg_route_av_log(true);

    int nscen = 0;
    scenario sc[2 * BENCH_STRATEGY_COUNT];
    memset(sc, 0, sizeof sc);
    int per_rep = o->frames > 0 ? o->frames : BENCH_MAX_TIMED_FRAMES;
    size_t cap = (size_t)per_rep * (size_t)o->repeats;
    bool oom = false;
    for (int k = 0; k < o->nstrategies; k++) {
        for (int d = 0; d < 2; d++) {
            bool dr = d == 1;
            if ((o->dr == 0 && dr) || (o->dr == 1 && !dr))
                continue;
            scenario *s = &sc[nscen++];
            s->strategy = o->strategies[k];
            s->dr = dr;
            s->ok = true;
            s->best_s = 1e300;
            s->cap = cap;
            s->gpu_cap = env.gpu_timer ? (size_t)o->gpu_frames : 1;
            s->gpu_fps = -1;
            /* allocated and touched before any measurement */
            s->cpu = calloc(cap, sizeof(double));
            s->gpu = calloc(s->gpu_cap, sizeof(double));
            s->hook = calloc(cap, sizeof(double));
            oom |= !s->cpu || !s->gpu || !s->hook;
            if (!oom) {
                memset(s->cpu, 0, cap * sizeof(double));
                memset(s->gpu, 0, s->gpu_cap * sizeof(double));
                memset(s->hook, 0, cap * sizeof(double));
            }
        }
    }

    bench_render_state rs = { 0 };
    for (int r = 0; r < o->repeats && !oom; r++) {
        for (int kk = 0; kk < nscen; kk++) {
            scenario *s = &sc[(kk + r) % nscen];
            if (!s->ok)
                continue; /* failed once: not retried */
            bench_progress(o, "rep %d/%d: %s, dr %s", r + 1, o->repeats,
                           bench_strategy_name(s->strategy), s->dr ? "on" : "off");
            s->ok = run_rep(&env, s, &rs, s->frames == 0, false);
        }
    }
    /* the GPU pass: after every repetition, so that its queries touch none
     * of the figures above */
    for (int i = 0; i < nscen && env.gpu_timer && !oom; i++) {
        scenario *s = &sc[i];
        if (!s->ok)
            continue;
        bench_progress(o, "GPU pass: %s, dr %s", bench_strategy_name(s->strategy),
                       s->dr ? "on" : "off");
        s->ok = run_rep(&env, s, &rs, false, true);
    }
    bench_render_finish(&rs);
    bench_progress_done(o);

    int failures = 0;
    for (int i = 0; i < nscen; i++) {
        scenario *s = &sc[i];
        bench_result res = {
            .format = s->format, .width = s->width, .height = s->height,
            .strategy = s->strategy, .mode = "decode", .repeats = o->repeats,
            .dr = s->dr ? "on" : "off", .dr_active = s->dr_active,
            .bytes_per_frame = s->bytes_per_frame, .has_memcpy = false,
            .render_p50_ms = -1, .render_p99_ms = -1,
            .gpu_pass_p50_ms = -1, .gpu_pass_p99_ms = -1, .gpu_pass_fps = -1,
        };
        res.ok = !oom && s->ok && s->frames > 0;
        if (!res.ok) {
            snprintf(res.error, sizeof res.error, "%s", oom ? "out of memory" : s->error);
            res.strategy_used = bench_strategy_name(s->strategy);
            bench_report_add(report, &res);
            failures++;
            continue;
        }
        res.strategy_used = glvf_upload_strategy_name(s->used);
        res.frames = s->best_frames;
        res.fps = s->best_frames / s->best_s;
        res.gbps = res.fps * (double)s->bytes_per_frame / 1e9;
        res.p50_ms = bench_percentile(s->cpu, s->ncpu, 50);
        res.p99_ms = bench_percentile(s->cpu, s->ncpu, 99);
        res.gpu_pass_samples = (int)s->ngpu;
        res.gpu_pass_p50_ms = bench_percentile(s->gpu, s->ngpu, 50);
        res.gpu_pass_p99_ms = bench_percentile(s->gpu, s->ngpu, 99);
        res.gpu_pass_fps = s->gpu_fps;
        res.render_p50_ms = bench_percentile(s->hook, s->nhook, 50);
        res.render_p99_ms = bench_percentile(s->hook, s->nhook, 99);
        res.gl_objects_per_frame = (double)s->objects / (double)s->frames;
        for (int k = 0; k < GLVF_OBJECT_KIND_COUNT; k++)
            res.gl_objects_by_kind[k] = (double)s->by_kind[k] / (double)s->frames;
        res.heap_allocs_per_frame = (double)s->allocs / (double)s->frames;
        for (int k = 0; k < GLVF_OBJECT_KIND_COUNT; k++)
            res.created_after_warmup[k] = s->by_kind[k];
        res.heap_allocs_after_warmup = s->allocs;
        res.rss_growth_bytes = s->rss_growth;
        res.rss_growth_min_bytes = s->rss_growth_min;
        res.frames_decoded = s->best_stats.frames_decoded;
        res.dr_frames = s->best_stats.dr_frames;
        res.dr_fallbacks = s->best_stats.dr_fallbacks;
        res.loops = s->best_loops;
        bench_report_add(report, &res);
    }
    for (int i = 0; i < nscen; i++) {
        free(sc[i].cpu);
        free(sc[i].gpu);
        free(sc[i].hook);
    }
    glvf_ffmpeg_route_av_log(false);
    if (!bench_report_close(report))
        failures++;
    return failures;
}
