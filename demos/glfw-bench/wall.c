/*
 * glvf-bench: wall mode (built with the FFmpeg module only).
 *
 *   glvf-bench wall FILE... [--streams N] [--grid CxR] [--window WxH]
 *
 * N streams (the files reused round-robin when fewer than N are given),
 * each a glvf_ffmpeg_decoder with its own decoding thread, all uploading
 * through ONE glvf context: one texture pool and one staging ring for the
 * whole wall. Every stream's newest frame is drawn with glvf_render into its
 * tile of the window (grid C x R, row-major from the top left).
 *
 * Loop (the GL thread), once per tick:
 *   for each stream (its lock held): take the frames that are due from its
 *   decoder (never waiting), upload the newest with glvf_ffmpeg_upload,
 *   release the AVFrames, drop the previous glvf frame; then, when any tile
 *   changed, draw every tile (a failed stream's tile is cleared red, an
 *   empty slot's dark grey) and swap; then glvf_context_collect.
 *
 *   real time (default): a stream's k-th frame is due k / its frame rate
 *     after its first; ticks come at --display-fps (default 60). Of several
 *     frames due at one tick only the newest is shown: the others count as
 *     dropped. A frame the decoder has not delivered by its tick is late,
 *     shown when it comes (and dropped if a newer one is due by then).
 *   untimed (--untimed): every tick takes one frame from every stream that
 *     has one ready; the wall is drawn whenever a tile changed. When no
 *     stream had a frame, the loop waits (up to 2 ms) on one of them.
 *
 * Warm-up: until every live stream has shown --warmup frames (at most
 * 15 s); then the counters are read and the measurement runs --seconds.
 * Streams come and go (--churn S): a second thread removes a random stream
 * every S seconds and adds it back S seconds later (decoder open and destroy,
 * frame unref: any-thread calls of the FFmpeg module and the core; nothing
 * of a stream touches GL outside the GL thread). Under --pool-budget half the
 * pool budget is set, after the warm-up, to half of the pool bytes the wall
 * needed (glvf_context_set_budget, applied at the next collect).
 *
 * A file that cannot be opened, or a stream whose decoding or upload fails,
 * leaves its tile red and its error in the report; the others keep playing
 * and the exit status is BENCH_EXIT_STREAMS (4).
 *
 * --verify: after the run the wall is drawn once more without a swap and
 * each tile's centre is read back, then each stream's frame is drawn alone
 * into a small FBO and its centre read back: the two must match (tile
 * centres and solo colours are in the JSON, for tests that know the clips).
 */
#include "bench.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <epoxy/gl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glvf/glvf-ffmpeg.h>


/* How long the warm-up may take at most. */
#define WALL_WARMUP_MAX_S 15.0

typedef struct wall_stream {
    pthread_mutex_t lock;       /* the GL thread holds it while it uses the
                                   stream; the churn thread to swap it */
    int index;
    const char *path;
    /* under lock */
    glvf_ffmpeg_decoder *dec;   /* NULL: removed (churn) or failed */
    glvf_frame *frame;          /* newest uploaded frame */
    glvf_frame *old;            /* the one it replaced this tick: dropped
                                   after the draw, before the collect, so
                                   that one fence a tick covers them all */
    bool fresh;                 /* just (re)added: restart its clock */
    bool failed;
    char error[200];
    double period;              /* seconds per frame */
    double t0;                  /* when its frame 0 was due */
    uint64_t taken;             /* frames taken since t0 */
    int64_t start_us;
    int since_seek;
    /* counters, GL thread (under lock) */
    uint64_t presented, dropped, late, uploads, loops;
    uint64_t dr_frames, dr_fallbacks, decoded; /* of the decoders gone */
    uint64_t adds, removals;
    /* snapshot at the end of the warm-up */
    uint64_t presented0, dropped0, late0;
    /* --verify */
    uint8_t tile_rgb[3], solo_rgb[3];
    bool verified, verify_ok;
    /* info */
    char desc[160];
    glvf_format format;
    int width, height;
    double fps;
} wall_stream;

typedef struct wall {
    const bench_env *env;
    const bench_options *o;
    glvf_context *ctx;
    wall_stream *s;
    int n;
    int cols, rows, win_w, win_h;
    bench_render_state fbo;     /* where the window cannot be drawn */
    /* churn */
    pthread_t churn_thread;
    bool churn_running;
    pthread_mutex_t churn_lock;
    pthread_cond_t churn_cond;
    bool stop;
    uint64_t churn_removals, churn_adds, churn_failures;
    /* pool sampling, every tick */
    uint64_t pool_peak, pool_cached_peak, over_budget_ticks, inuse_peak;
    size_t budget;
    /* ticks of the measurement, and the longest gap between two */
    uint64_t ticks, redraws;
    double tick_gap_max;
} wall;

static void decoder_log(void *user, glvf_log_level level, const char *msg)
{
    wall_stream *s = user;
    fprintf(stderr, BENCH_NAME ": stream %d: %s: %s\n", s ? s->index : -1,
            glvf_log_level_name(level), msg);
}

static glvf_log_level log_level(const bench_options *o)
{
    return o->verbose ? GLVF_LOG_INFO : GLVF_LOG_WARN;
}

static uint64_t glvf_allocs(void)
{
    return glvf_heap_allocations(); /* the FFmpeg module's included */
}

static double cpu_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static glvf_ffmpeg_dr dr_mode(const bench_options *o)
{
    return o->dr == 0 ? GLVF_FFMPEG_DR_OFF : o->dr == 1 ? GLVF_FFMPEG_DR_FORCE
                                                         : GLVF_FFMPEG_DR_AUTO;
}

/* Opens the stream's decoder (any thread, the stream unlocked): on success
 * returns it, else NULL with the error in err. */
static glvf_ffmpeg_decoder *stream_open(wall *w, wall_stream *s, char *err, size_t errlen)
{
    int e = 0;
    glvf_ffmpeg_decoder *d = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = s->path, .ctx = w->ctx,
                                       .direct_rendering = dr_mode(w->o),
                                       .threads = w->o->wall_decoder_threads,
                                       .log = decoder_log, .log_user = s,
                                       .log_level = log_level(w->o)),
            &e);
    if (!d) {
        char buf[128];
        snprintf(err, errlen, "cannot open '%s': %s", s->path,
                 glvf_ffmpeg_strerror(e, buf, sizeof buf));
    }
    return d;
}

/* Installs an opened decoder; lock held. */
static void stream_install(wall_stream *s, glvf_ffmpeg_decoder *d)
{
    const glvf_ffmpeg_info *in = glvf_ffmpeg_decoder_info(d);
    s->dec = d;
    s->fresh = true;
    s->start_us = in->start_time_us != GLVF_FFMPEG_NOPTS ? in->start_time_us : 0;
    s->since_seek = 0;
    double fps = in->frame_rate.num > 0 && in->frame_rate.den > 0
                         ? (double)in->frame_rate.num / in->frame_rate.den
                         : 30.0;
    s->fps = fps;
    s->period = 1.0 / fps;
    s->format = in->format;
    s->width = in->width;
    s->height = in->height;
    snprintf(s->desc, sizeof s->desc, "%s %dx%d %s %.3g fps", in->codec_name, in->width,
             in->height, in->pix_fmt_name, fps);
    s->adds++;
}

/* Takes the decoder (and frame) out of a stream; lock held. The caller
 * destroys them with the lock released. */
static void stream_take(wall_stream *s, glvf_ffmpeg_decoder **d, glvf_frame **f)
{
    glvf_frame_unref(&s->old);
    *d = s->dec;
    *f = s->frame;
    s->dec = NULL;
    s->frame = NULL;
    if (*d) {
        glvf_ffmpeg_stats st;
        glvf_ffmpeg_decoder_get_stats(*d, &st);
        s->dr_frames += st.dr_frames;
        s->dr_fallbacks += st.dr_fallbacks;
        s->decoded += st.frames_decoded;
    }
}

static void stream_fail(wall_stream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Marks a stream failed (lock held): its decoder is destroyed right here
 * (any thread; the lock only keeps the churn thread out). */
static void stream_fail(wall_stream *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->error, sizeof s->error, fmt, ap);
    va_end(ap);
    s->failed = true;
    fprintf(stderr, BENCH_NAME ": stream %d (%s) failed: %s\n", s->index, s->path, s->error);
    glvf_ffmpeg_decoder *d;
    glvf_frame *f;
    stream_take(s, &d, &f);
    glvf_frame_unref(&f);
    glvf_ffmpeg_decoder_destroy(&d);
}

/* Takes the next frame without waiting, looping the file at its end:
 * 1 a frame, 0 none ready, -1 the stream failed. Lock held. */
static int stream_next(wall_stream *s, struct AVFrame **af)
{
    for (int tries = 0; tries < 2; tries++) {
        int e = glvf_ffmpeg_decoder_next(s->dec, af, 0);
        if (e == 0) {
            s->since_seek++;
            return 1;
        }
        if (e == -EAGAIN)
            return 0;
        if (e == GLVF_FFMPEG_EOF && s->since_seek > 0) {
            /* the file loops: the frames after the seek come later, and
             * the first of them restarts the stream's clock (the seek's
             * gap is the file's, not the wall's: no frame counts as
             * dropped or late for it) */
            glvf_ffmpeg_decoder_seek(s->dec, s->start_us);
            s->loops++;
            s->since_seek = 0;
            s->fresh = true;
            return 0;
        }
        char msg[128];
        if (e == GLVF_FFMPEG_EOF)
            snprintf(msg, sizeof msg, "no frame in the file");
        else if (!glvf_ffmpeg_decoder_last_error(s->dec, msg, sizeof msg))
            glvf_ffmpeg_strerror(e, msg, sizeof msg);
        stream_fail(s, "decoding failed: %s", msg);
        return -1;
    }
    return 0;
}

/* Updates one stream for this tick (lock held): true when its tile changed. */
static bool stream_tick(wall *w, wall_stream *s, double now)
{
    if (!s->dec)
        return false;
    bool untimed = w->o->wall_untimed;
    struct AVFrame *newest = NULL;
    if (untimed) {
        if (stream_next(s, &newest) < 0)
            return true;
    } else {
        /* every frame due by now; the newest is shown */
        for (;;) {
            if (!s->fresh && s->t0 + (double)s->taken * s->period > now)
                break;
            struct AVFrame *af = NULL;
            int r = stream_next(s, &af);
            if (r < 0) {
                glvf_ffmpeg_decoder_release(NULL, &newest);
                return true;
            }
            if (!r) {
                if (!s->fresh)
                    s->late++; /* due and not there: counted once per tick */
                break;
            }
            if (s->fresh) {
                s->fresh = false;
                s->t0 = now;
                s->taken = 0;
            }
            s->taken++;
            if (newest) {
                s->dropped++;
                glvf_ffmpeg_decoder_release(s->dec, &newest);
            }
            newest = af;
        }
    }
    if (!newest)
        return false;
    int e = 0;
    glvf_frame *gf = glvf_ffmpeg_upload(w->ctx, newest, NULL, &e);
    glvf_ffmpeg_decoder_release(s->dec, &newest);
    if (!gf) {
        char msg[96];
        stream_fail(s, "glvf_ffmpeg_upload failed: %s",
                    *bench_last_glvf_error() ? bench_last_glvf_error()
                                             : glvf_ffmpeg_strerror(e, msg, sizeof msg));
        return true;
    }
    s->uploads++;
    s->presented++;
    glvf_frame_unref(&s->old);
    s->old = s->frame;
    s->frame = gf;
    return true;
}

/* ---- drawing ------------------------------------------------------------ */

static glvf_rect tile_rect(const wall *w, int i)
{
    int tw = w->win_w / w->cols, th = w->win_h / w->rows;
    int c = i % w->cols, r = i / w->cols;
    return (glvf_rect){ c * tw, w->win_h - (r + 1) * th, tw, th };
}

static void clear_rect(glvf_rect t, float r, float g, float b)
{
    glEnable(GL_SCISSOR_TEST);
    glScissor(t.x, t.y, t.width, t.height);
    glClearColor(r, g, b, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    glDisable(GL_SCISSOR_TEST);
}

/* Binds the target (window or FBO). */
static bool target_begin(wall *w)
{
    if (w->env->render_fbo) {
        if (!w->fbo.fbo && !bench_render_fbo_make(&w->fbo, w->win_w, w->win_h))
            return false;
        glBindFramebuffer(GL_DRAW_FRAMEBUFFER, w->fbo.fbo);
        glBindFramebuffer(GL_READ_FRAMEBUFFER, w->fbo.fbo);
    }
    return true;
}

static void target_end(wall *w, bool swap)
{
    if (w->env->render_fbo) {
        glBindFramebuffer(GL_FRAMEBUFFER, 0);
    } else if (swap) {
        glfwSwapBuffers((GLFWwindow *)w->env->window);
        if (w->o->visible)
            glfwPollEvents();
    }
}

/* Draws every tile (each stream's lock taken in turn); a stream whose draw
 * fails is marked failed and its tile cleared red. */
static void draw_wall(wall *w)
{
    for (int i = 0; i < w->n; i++) {
        wall_stream *s = &w->s[i];
        glvf_rect t = tile_rect(w, i);
        pthread_mutex_lock(&s->lock);
        if (s->failed) {
            clear_rect(t, 0.75f, 0, 0);
        } else if (!s->frame) {
            clear_rect(t, 0.12f, 0.12f, 0.12f);
        } else {
            int r = glvf_render(w->ctx, s->frame,
                                glvf_render_params(.target = t, .scaler = w->o->scaler,
                                                   .clear_background = true,
                                                   .background = { 0, 0, 0, 1 }));
            if (r) {
                char msg[96];
                stream_fail(s, "glvf_render failed: %s",
                            *bench_last_glvf_error() ? bench_last_glvf_error()
                                                     : glvf_ffmpeg_strerror(r, msg, sizeof msg));
                clear_rect(t, 0.75f, 0, 0);
            }
        }
        pthread_mutex_unlock(&s->lock);
    }
}

static void sample_pool(wall *w)
{
    glvf_stats st;
    glvf_context_get_stats(w->ctx, &st);
    uint64_t inuse = st.pool_bytes - st.pool_cached_bytes;
    if (st.pool_bytes > w->pool_peak)
        w->pool_peak = st.pool_bytes;
    if (st.pool_cached_bytes > w->pool_cached_peak)
        w->pool_cached_peak = st.pool_cached_bytes;
    if (inuse > w->inuse_peak)
        w->inuse_peak = inuse;
    /* the policy: the budget bounds in-use + cached; what is in use is
     * never taken away, so the pool never holds more than budget + in-use */
    if (st.pool_bytes > st.pool_budget_bytes + inuse)
        w->over_budget_ticks++;
}

/* One tick: update every stream, draw when something changed, collect.
 * Returns the number of tiles changed. */
static int tick(wall *w, double now)
{
    int changed = 0;
    bench_clear_glvf_error();
    for (int i = 0; i < w->n; i++) {
        wall_stream *s = &w->s[i];
        pthread_mutex_lock(&s->lock);
        changed += stream_tick(w, s, now);
        pthread_mutex_unlock(&s->lock);
    }
    if (changed && target_begin(w)) {
        draw_wall(w);
        target_end(w, true);
        w->redraws++;
    }
    for (int i = 0; i < w->n; i++) {
        wall_stream *s = &w->s[i];
        pthread_mutex_lock(&s->lock);
        glvf_frame_unref(&s->old);
        pthread_mutex_unlock(&s->lock);
    }
    glvf_context_collect(w->ctx);
    sample_pool(w);
    return changed;
}

/* ---- churn -------------------------------------------------------------- */

static void *churn_main(void *arg)
{
    wall *w = arg;
    unsigned seed = 0x9e3779b9u;
    int removed = -1;
    pthread_mutex_lock(&w->churn_lock);
    while (!w->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double t = (double)ts.tv_sec + ts.tv_nsec * 1e-9 + w->o->wall_churn_s;
        ts.tv_sec = (time_t)t;
        ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
        while (!w->stop && pthread_cond_timedwait(&w->churn_cond, &w->churn_lock, &ts) == 0) {
        }
        if (w->stop)
            break;
        pthread_mutex_unlock(&w->churn_lock);
        if (removed < 0) {
            /* remove a random live stream */
            int start = (int)(rand_r(&seed) % (unsigned)w->n);
            for (int k = 0; k < w->n; k++) {
                wall_stream *s = &w->s[(start + k) % w->n];
                pthread_mutex_lock(&s->lock);
                bool live = s->dec && !s->failed;
                glvf_ffmpeg_decoder *d = NULL;
                glvf_frame *f = NULL;
                if (live) {
                    stream_take(s, &d, &f);
                    s->removals++;
                }
                pthread_mutex_unlock(&s->lock);
                if (!live)
                    continue;
                /* any-thread: the frame's textures go back to the pool, the
                 * decoder's staging regions back to the ring */
                glvf_frame_unref(&f);
                glvf_ffmpeg_decoder_destroy(&d);
                removed = s->index;
                pthread_mutex_lock(&w->churn_lock);
                w->churn_removals++;
                pthread_mutex_unlock(&w->churn_lock);
                break;
            }
        } else {
            wall_stream *s = &w->s[removed];
            char err[200];
            glvf_ffmpeg_decoder *d = stream_open(w, s, err, sizeof err);
            pthread_mutex_lock(&s->lock);
            if (d)
                stream_install(s, d);
            else
                snprintf(s->error, sizeof s->error, "%s", err);
            s->failed = !d;
            pthread_mutex_unlock(&s->lock);
            pthread_mutex_lock(&w->churn_lock);
            if (d)
                w->churn_adds++;
            else
                w->churn_failures++;
            pthread_mutex_unlock(&w->churn_lock);
            removed = -1;
        }
        pthread_mutex_lock(&w->churn_lock);
    }
    pthread_mutex_unlock(&w->churn_lock);
    return NULL;
}

/* ---- verify ------------------------------------------------------------- */

static void read_centre(glvf_rect t, uint8_t rgb[3])
{
    uint8_t px[4] = { 0 };
    glReadPixels(t.x + t.width / 2, t.y + t.height / 2, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, px);
    memcpy(rgb, px, 3);
}

/* Returns the number of tiles that do not match their stream's frame. */
static int verify(wall *w)
{
    if (!target_begin(w))
        return w->n;
    glClearColor(0, 0, 0, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    draw_wall(w);
    if (!w->env->render_fbo)
        glReadBuffer(GL_BACK);
    for (int i = 0; i < w->n; i++)
        read_centre(tile_rect(w, i), w->s[i].tile_rgb);
    target_end(w, false);
    bench_render_state solo = { 0 };
    int bad = 0;
    if (!bench_render_fbo_make(&solo, 16, 16))
        return w->n;
    for (int i = 0; i < w->n; i++) {
        wall_stream *s = &w->s[i];
        if (!s->frame)
            continue;
        glBindFramebuffer(GL_FRAMEBUFFER, solo.fbo);
        glClearColor(0, 0, 0, 1);
        glClear(GL_COLOR_BUFFER_BIT);
        int r = glvf_render(w->ctx, s->frame,
                            glvf_render_params(.target = { 0, 0, 16, 16 }, .stretch = true,
                                               .scaler = w->o->scaler));
        read_centre((glvf_rect){ 0, 0, 16, 16 }, s->solo_rgb);
        glBindFramebuffer(GL_FRAMEBUFFER, 0);
        s->verified = true;
        s->verify_ok = r == 0;
        for (int c = 0; c < 3; c++)
            if (abs((int)s->tile_rgb[c] - (int)s->solo_rgb[c]) > 12)
                s->verify_ok = false;
        if (!s->verify_ok) {
            fprintf(stderr, BENCH_NAME ": verify: stream %d (%s): tile centre %u,%u,%u, its "
                            "frame alone %u,%u,%u\n",
                    i, s->path, s->tile_rgb[0], s->tile_rgb[1], s->tile_rgb[2],
                    s->solo_rgb[0], s->solo_rgb[1], s->solo_rgb[2]);
            bad++;
        }
    }
    bench_render_finish(&solo);
    return bad;
}

/* ---- the run ------------------------------------------------------------ */

static void sleep_until(double t)
{
    double d = t - bench_now_s();
    if (d <= 0)
        return;
    struct timespec ts = { (time_t)d, (long)((d - (double)(time_t)d) * 1e9) };
    nanosleep(&ts, NULL);
}

/* Runs ticks until `until` (or, with warmup, until every live stream has
 * shown `warmup` frames). */
static void run_phase(wall *w, double until, int warmup)
{
    double tick_s = 1.0 / w->o->wall_display_fps;
    double next = bench_now_s(), last = -1;
    for (;;) {
        double now = bench_now_s();
        if (now >= until)
            break;
        if (last >= 0 && now - last > w->tick_gap_max)
            w->tick_gap_max = now - last;
        last = now;
        w->ticks++;
        if (warmup > 0) {
            bool done = true;
            for (int i = 0; i < w->n && done; i++) {
                wall_stream *s = &w->s[i];
                pthread_mutex_lock(&s->lock);
                if (s->dec && !s->failed && s->presented < (uint64_t)warmup)
                    done = false;
                pthread_mutex_unlock(&s->lock);
            }
            if (done)
                break;
        }
        int changed = tick(w, now);
        if (w->o->wall_untimed) {
            if (!changed) {
                /* no stream had a frame ready: let the decoders run */
                struct timespec ts = { 0, 1000000 };
                nanosleep(&ts, NULL);
            }
        } else {
            next += tick_s;
            if (next < now - tick_s)
                next = now; /* far behind: no burst of catch-up ticks */
            sleep_until(next);
        }
    }
}

int bench_run_wall(const bench_env *env0)
{
    bench_env env = *env0;
    const bench_options *o = env.opt;
    if (!bench_render_init(&env))
        return -1;
    glvf_ffmpeg_route_av_log(true);
    wall w = { .env = &env, .o = o, .n = o->wall_streams };
    int fb_w = 0, fb_h = 0;
    glfwGetFramebufferSize((GLFWwindow *)env.window, &fb_w, &fb_h);
    w.win_w = env.render_fbo ? o->window_w : fb_w;
    w.win_h = env.render_fbo ? o->window_h : fb_h;
    w.cols = o->wall_cols;
    w.rows = o->wall_rows;
    if (!w.cols) {
        w.cols = (int)ceil(sqrt((double)w.n));
        w.rows = (w.n + w.cols - 1) / w.cols;
    }
    pthread_mutex_init(&w.churn_lock, NULL);
    pthread_cond_init(&w.churn_cond, NULL);

    bench_clear_glvf_error();
    w.ctx = glvf_context_create(glvf_context_params(
            .get_proc_address = env.get_proc, .get_proc_user = env.cb_user,
            .is_current = env.is_current, .is_current_user = env.cb_user, .log = env.log,
            .log_level = log_level(o), .upload = bench_strategy_glvf(o->strategies[0]),
            .pool_budget_bytes = o->wall_pool_budget,
            .flags = GLVF_CONTEXT_IGNORE_ENV));
    if (!w.ctx) {
        fprintf(stderr, BENCH_NAME ": wall: glvf_context_create failed: %s\n",
                bench_last_glvf_error());
        glvf_ffmpeg_route_av_log(false);
        return -1;
    }
    w.s = calloc((size_t)w.n, sizeof *w.s);
    if (!w.s) {
        glvf_context_destroy(&w.ctx);
        return -1;
    }
    /* the decoders: opened here, any thread would do */
    int opened = 0;
    for (int i = 0; i < w.n; i++) {
        wall_stream *s = &w.s[i];
        pthread_mutex_init(&s->lock, NULL);
        s->index = i;
        s->path = o->wall_inputs[i % o->wall_ninputs];
        bench_progress(o, "opening stream %d/%d: %s", i + 1, w.n, s->path);
        glvf_ffmpeg_decoder *d = stream_open(&w, s, s->error, sizeof s->error);
        if (d) {
            stream_install(s, d);
            glvf_render_prepare(w.ctx, s->format);
            opened++;
        } else {
            s->failed = true;
            fprintf(stderr, BENCH_NAME ": stream %d failed: %s\n", i, s->error);
        }
    }
    bench_progress_done(o);

    /* warm-up */
    double t_start = bench_now_s();
    if (opened) {
        if (o->wall_churn_s > 0) {
            w.churn_running = pthread_create(&w.churn_thread, NULL, churn_main, &w) == 0;
            if (!w.churn_running)
                fprintf(stderr, BENCH_NAME ": cannot start the churn thread\n");
        }
        bench_progress(o, "warm-up: %d frames per stream", o->warmup);
        run_phase(&w, t_start + WALL_WARMUP_MAX_S, o->warmup);
    }
    uint64_t needed = w.pool_peak;
    if (o->wall_budget_half && needed) {
        w.budget = (size_t)(needed / 2);
        glvf_context_set_budget(w.ctx, w.budget, 0);
        /* applied (and the evictions made) at the next collect: a second of
         * play under the new budget before the measurement */
        run_phase(&w, bench_now_s() + 1.0, 0);
    }
    /* the measurement */
    glvf_stats st0, st1;
    glvf_context_get_stats(w.ctx, &st0);
    for (int i = 0; i < w.n; i++) {
        wall_stream *s = &w.s[i];
        pthread_mutex_lock(&s->lock);
        s->presented0 = s->presented;
        s->dropped0 = s->dropped;
        s->late0 = s->late;
        pthread_mutex_unlock(&s->lock);
    }
    uint64_t pool_peak_warm = w.pool_peak;
    w.pool_peak = w.pool_cached_peak = w.inuse_peak = 0;
    w.over_budget_ticks = 0;
    w.ticks = w.redraws = 0;
    w.tick_gap_max = 0;
    uint64_t allocs0 = glvf_allocs();
    long long rss0 = bench_rss_bytes();
    double cpu0 = cpu_now_s(), t0 = bench_now_s();
    bench_progress(o, "measuring %.3g s%s", o->seconds, o->wall_untimed ? ", untimed" : "");
    if (opened)
        run_phase(&w, t0 + o->seconds, 0);
    glFinish();
    double t1 = bench_now_s(), cpu1 = cpu_now_s();
    long long rss1 = bench_rss_bytes();
    uint64_t allocs1 = glvf_allocs();
    glvf_context_get_stats(w.ctx, &st1);
    bench_progress_done(o);

    /* churn stops before anything else */
    if (w.churn_running) {
        pthread_mutex_lock(&w.churn_lock);
        w.stop = true;
        pthread_cond_signal(&w.churn_cond);
        pthread_mutex_unlock(&w.churn_lock);
        pthread_join(w.churn_thread, NULL);
    }
    int verify_bad = o->wall_verify ? verify(&w) : 0;

    /* the result */
    bench_wall_result res = {
        .streams = w.n, .cols = w.cols, .rows = w.rows, .win_w = w.win_w, .win_h = w.win_h,
        .untimed = o->wall_untimed, .seconds = t1 - t0,
        .strategy_used = glvf_upload_strategy_name(glvf_context_get_upload_strategy(w.ctx)),
        .pool_budget = st1.pool_budget_bytes, .pool_needed = needed,
        .pool_peak = w.pool_peak, .pool_peak_warmup = pool_peak_warm,
        .pool_steady = st1.pool_bytes, .pool_cached_peak = w.pool_cached_peak,
        .inuse_peak = w.inuse_peak, .over_budget_ticks = w.over_budget_ticks,
        .evictions = st1.pool_evictions - st0.pool_evictions,
        .staging_bytes = st1.staging_bytes,
        .rss_growth = rss1 - rss0, .churn_removals = w.churn_removals,
        .churn_adds = w.churn_adds, .churn_failures = w.churn_failures,
        .verify = o->wall_verify, .verify_bad = verify_bad,
        .ticks = w.ticks, .redraws = w.redraws, .tick_gap_max_ms = w.tick_gap_max * 1e3,
    };
    for (int k = 0; k < GLVF_OBJECT_KIND_COUNT; k++)
        res.created[k] = st1.objects[k].created - st0.objects[k].created;
    res.allocs = allocs1 - allocs0;
    res.stream = calloc((size_t)w.n, sizeof *res.stream);
    uint64_t frames = 0;
    for (int i = 0; i < w.n && res.stream; i++) {
        wall_stream *s = &w.s[i];
        glvf_ffmpeg_decoder *d = NULL;
        glvf_frame *f = NULL;
        stream_take(s, &d, &f);
        glvf_frame_unref(&f);
        glvf_ffmpeg_decoder_destroy(&d);
        bench_wall_stream_result *r = &res.stream[i];
        r->path = s->path;
        snprintf(r->desc, sizeof r->desc, "%s", s->desc);
        snprintf(r->error, sizeof r->error, "%s", s->error);
        r->failed = s->failed;
        r->presented = s->presented - s->presented0;
        r->dropped = s->dropped - s->dropped0;
        r->late = s->late - s->late0;
        r->fps = res.seconds > 0 ? (double)r->presented / res.seconds : 0;
        r->nominal_fps = s->fps;
        r->dr_frames = s->dr_frames;
        r->dr_fallbacks = s->dr_fallbacks;
        r->loops = s->loops;
        r->adds = s->adds;
        r->removals = s->removals;
        r->verified = s->verified;
        r->verify_ok = s->verify_ok;
        memcpy(r->tile_rgb, s->tile_rgb, 3);
        memcpy(r->solo_rgb, s->solo_rgb, 3);
        frames += r->presented;
        res.dropped += r->dropped;
        res.late += r->late;
        res.dr_frames += r->dr_frames;
        res.dr_fallbacks += r->dr_fallbacks;
        res.failed += r->failed;
    }
    res.stream_frames = frames;
    res.fps = res.seconds > 0 ? (double)frames / res.seconds : 0;
    res.cpu_ms_per_stream_frame = frames ? (cpu1 - cpu0) * 1e3 / (double)frames : -1;
    res.renderer = env.caps->renderer;
    snprintf(res.target, sizeof res.target, "%s", env.render_target);
    bench_render_finish(&w.fbo);
    glvf_context_collect(w.ctx);
    glvf_stats fin;
    glvf_context_get_stats(w.ctx, &fin);
    res.frames_live_at_end = fin.frames_live;
    bool destroyed = glvf_context_destroy(&w.ctx);
    for (int i = 0; i < w.n; i++)
        pthread_mutex_destroy(&w.s[i].lock);
    free(w.s);
    pthread_mutex_destroy(&w.churn_lock);
    pthread_cond_destroy(&w.churn_cond);
    glvf_ffmpeg_route_av_log(false);

    bool ok = res.stream && bench_report_wall(&env, &res);
    free(res.stream);
    if (!ok || !destroyed)
        return -1;
    if (res.failed == res.streams)
        return -1;
    if (verify_bad)
        return -1;
    return res.failed ? -BENCH_EXIT_STREAMS : 0;
}
