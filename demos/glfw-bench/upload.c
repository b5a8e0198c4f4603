/*
 * glvf-bench: the upload scenarios.
 *
 * For each format x size: a set of distinct source frames larger than the
 * CPU caches (--source-mb) is rotated through, so neither the GL side nor
 * the memcpy floor reads from cache. Each repetition runs the memcpy floor,
 * then every strategy, in turn (interleaved; the order rotates by one per
 * repetition), and a scenario keeps the best repetition's throughput: the
 * noise of a shared machine stays out of the ratios. glFinish() runs before
 * the clock stops, so asynchronous strategies are not flattered.
 *
 * Each glvf strategy gets a fresh glvf context per repetition; after
 * --warmup untimed frames (pool and staging ring filled) the measured frames
 * count glvf's GL objects created (glvf_context_get_stats), glvf's heap
 * allocations (glvf_heap_allocations) and the resident memory, all read before
 * and after the timed loop, never inside it. The naive strategy creates its
 * textures itself and counts them.
 *
 * The timed loop (the timing pass) holds the frame's work and a clock read
 * or two, nothing else. GPU times come from a separate GPU pass per
 * strategy after the repetitions (bench.h): a fresh context, the warm-up,
 * --gpu-frames frames each inside a GL_TIME_ELAPSED query; its throughput
 * is kept apart (gpu_pass_fps) and never replaces the timing pass's.
 *
 * Render mode runs the same loop with a hook after each upload (render.c:
 * glvf_render + swap), timed on its own as well; the frame's CPU time and
 * the GPU pass's query then cover upload, draw and swap.
 */
#include "bench.h"

#include <epoxy/gl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#ifndef GL_TIME_ELAPSED
#define GL_TIME_ELAPSED 0x88BF
#endif
#ifndef GL_GPU_DISJOINT_EXT
#define GL_GPU_DISJOINT_EXT 0x8FBB
#endif

/* ---- sources ------------------------------------------------------------ */

typedef struct source_set {
    glvf_image *img;
    int n;
    uint8_t *mem;
    size_t slot;   /* bytes between two frames in mem */
    size_t bytes;  /* bytes of one frame (all planes, tightly packed) */
} source_set;

static void sources_free(source_set *s)
{
    free(s->img);
    free(s->mem);
    memset(s, 0, sizeof *s);
}

static bool sources_make(source_set *s, glvf_format f, int w, int h, size_t min_total,
                         char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    int planes = glvf_format_planes(f);
    size_t off[GLVF_MAX_PLANES], total = 0;
    glvf_plane_layout l[GLVF_MAX_PLANES];
    for (int p = 0; p < planes; p++) {
        if (!glvf_plane_layout_get(NULL, f, w, h, p, &l[p])) {
            snprintf(err, errlen, "no layout for %s %dx%d", glvf_format_name(f), w, h);
            return false;
        }
        off[p] = total;
        total += ((size_t)l[p].row_bytes * (size_t)l[p].height + 63) & ~(size_t)63;
    }
    s->bytes = 0;
    for (int p = 0; p < planes; p++)
        s->bytes += (size_t)l[p].row_bytes * (size_t)l[p].height;
    s->slot = (total + 4095) & ~(size_t)4095;
    size_t n = min_total / s->slot + 2;
    if (n < 3)
        n = 3;
    if (n > 65536)
        n = 65536;
    s->n = (int)n;
    s->img = calloc(n, sizeof *s->img);
    if (!s->img || posix_memalign((void **)&s->mem, 4096, n * s->slot)) {
        free(s->img);
        s->img = NULL;
        s->mem = NULL;
        snprintf(err, errlen, "out of memory for %zu source frames of %zu bytes", n, s->slot);
        return false;
    }
    /* Distinct frames; deep formats keep their values in range (P010's in
     * the high bits), for the day a mode renders them. */
    int depth = glvf_format_depth(f);
    int shift = (f == GLVF_FORMAT_P010) ? 16 - depth : 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t *base = s->mem + i * s->slot;
        if (depth > 8) {
            uint16_t *p16 = (uint16_t *)base;
            uint16_t mask = (uint16_t)((1u << depth) - 1);
            for (size_t k = 0; k < total / 2; k++)
                p16[k] = (uint16_t)(((k * 7 + i * 13) & mask) << shift);
        } else {
            for (size_t k = 0; k < total; k++)
                base[k] = (uint8_t)(k * 7 + i * 13);
        }
        glvf_image *img = &s->img[i];
        img->format = f;
        img->width = w;
        img->height = h;
        img->pts = (int64_t)i;
        for (int p = 0; p < planes; p++) {
            img->planes[p].data = base + off[p];
            img->planes[p].stride = l[p].row_bytes;
        }
    }
    return true;
}

/* Samples of one scenario, across strategies' repetitions. Allocated before
 * any measurement and touched, so the tool's own memory does not show as
 * growth. */
typedef struct samples {
    double *cpu, *gpu, *hook;
    size_t ncpu, ngpu, nhook, cap;
} samples;

typedef struct rep_result {
    bool ok;
    char error[160];
    int frames;
    double seconds;
    uint64_t objects, allocs, objects_by_kind[GLVF_OBJECT_KIND_COUNT];
    long long rss_growth;
    glvf_upload_strategy used;
} rep_result;

typedef struct run_args {
    const bench_env *env;
    const source_set *src;
    bench_frame_hook hook;
    void *hook_user;
    samples *smp;
    int frames;        /* > 0: this many; else run for `seconds` */
    double seconds;
    int max_frames;
    bool gpu_pass;     /* the GPU pass: `frames` frames, a query around each;
                          samples go to smp->gpu only, no counters */
} run_args;

/* The naive way: a new set of textures per frame, glTexImage2D per plane,
 * deleted once the next frame is up. */
typedef struct naive_state {
    GLuint prev[GLVF_MAX_PLANES];
    bool have_prev;
    int planes;
    glvf_plane_layout l[GLVF_MAX_PLANES];
} naive_state;

static void naive_upload(naive_state *ns, const glvf_image *img)
{
    GLuint tex[GLVF_MAX_PLANES];
    glGenTextures(ns->planes, tex);
    for (int p = 0; p < ns->planes; p++) {
        const glvf_plane_layout *l = &ns->l[p];
        glBindTexture(GL_TEXTURE_2D, tex[p]);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
        glTexImage2D(GL_TEXTURE_2D, 0, (GLint)l->internal_format, l->width, l->height, 0,
                     l->format, l->type, img->planes[p].data);
    }
    glBindTexture(GL_TEXTURE_2D, 0);
    if (ns->have_prev)
        glDeleteTextures(ns->planes, ns->prev);
    memcpy(ns->prev, tex, (size_t)ns->planes * sizeof tex[0]);
    ns->have_prev = true;
}

static void naive_finish(naive_state *ns)
{
    if (ns->have_prev)
        glDeleteTextures(ns->planes, ns->prev);
    ns->have_prev = false;
}

static uint64_t objects_created(const glvf_stats *st)
{
    uint64_t n = 0;
    for (int k = 0; k < GLVF_OBJECT_KIND_COUNT; k++)
        n += st->objects[k].created;
    return n;
}

/* A strategy's state while it runs. */
typedef struct strat_run {
    const bench_env *env;
    bench_frame_hook hook;
    void *hook_user;
    glvf_context *ctx;     /* NULL: naive */
    naive_state ns;
    glvf_frame *prev;
    uint64_t naive_objects;
    bool failed, hook_failed;
} strat_run;

/* One frame's work: upload (glvf or naive), the hook, release of the
 * previous frame, collect. *h0 and *h1 get the clock around the hook. */
static inline void strat_frame(strat_run *s, const glvf_image *img, double *h0, double *h1)
{
    if (s->ctx) {
        glvf_frame *f = glvf_upload(s->ctx, img, NULL, NULL);
        s->failed = !f;
        if (f && s->hook) {
            *h0 = bench_now_s();
            s->failed = s->hook_failed = !s->hook(s->env, f, s->hook_user);
            *h1 = bench_now_s();
        }
        glvf_frame_unref(&s->prev);
        s->prev = f;
        glvf_context_collect(s->ctx);
    } else {
        naive_upload(&s->ns, img);
        s->naive_objects += (uint64_t)s->ns.planes;
        if (s->hook) {
            *h0 = bench_now_s();
            s->failed = s->hook_failed = !s->hook(s->env, NULL, s->hook_user);
            *h1 = bench_now_s();
        }
    }
}

/* One run of one strategy: a repetition of the timing pass, or (a->gpu_pass)
 * the strategy's GPU pass. */
static void run_strategy(const run_args *a, bench_strategy strat, rep_result *rr)
{
    const bench_env *env = a->env;
    const source_set *src = a->src;
    memset(rr, 0, sizeof *rr);
    strat_run s = { .env = env, .hook = a->hook, .hook_user = a->hook_user,
                    .ns = { .planes = glvf_format_planes(src->img[0].format) } };
    bench_gpu_timer gt = { .on = a->gpu_pass && env->gpu_timer, .es = env->caps->is_gles,
                           .out = a->smp->gpu, .nout = &a->smp->ngpu, .cap = a->smp->cap };
    GLint saved_align = 4, saved_row = 0, saved_pbo = 0;
    bench_clear_glvf_error();

    if (strat == BENCH_NAIVE) {
        rr->used = GLVF_UPLOAD_STRATEGY_COUNT;
        for (int p = 0; p < s.ns.planes; p++)
            glvf_plane_layout_get(env->probe, src->img[0].format, src->img[0].width,
                                  src->img[0].height, p, &s.ns.l[p]);
        glGetIntegerv(GL_UNPACK_ALIGNMENT, &saved_align);
        glGetIntegerv(GL_UNPACK_ROW_LENGTH, &saved_row);
        glGetIntegerv(GL_PIXEL_UNPACK_BUFFER_BINDING, &saved_pbo);
        glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
        glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
        glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    } else {
        s.ctx = glvf_context_create(glvf_context_params(
                .get_proc_address = env->get_proc, .get_proc_user = env->cb_user,
                .is_current = env->is_current, .is_current_user = env->cb_user,
                .log = env->log, .log_level = env->opt->verbose ? GLVF_LOG_INFO : GLVF_LOG_WARN,
                .upload = bench_strategy_glvf(strat), .flags = GLVF_CONTEXT_IGNORE_ENV));
        if (!s.ctx) {
            snprintf(rr->error, sizeof rr->error, "glvf_context_create failed: %s",
                     bench_last_glvf_error());
            return;
        }
        rr->used = glvf_context_get_upload_strategy(s.ctx);
    }

    int i = 0;
    double h0 = 0, h1 = 0;
    /* warm-up: fill the pool and the staging ring; untimed */
    for (int w = 0; w < env->opt->warmup && !s.failed; w++, i++)
        strat_frame(&s, &src->img[i % src->n], &h0, &h1);
    glFinish();

    int n = 0;
    double t0, t_end;
    if (a->gpu_pass) {
        /* GPU pass: a query around each frame; no counters, no CPU samples */
        bench_gpu_timer_init(&gt);
        t0 = bench_now_s();
        for (; n < a->frames && !s.failed; n++, i++) {
            bench_gpu_timer_begin(&gt);
            strat_frame(&s, &src->img[i % src->n], &h0, &h1);
            bench_gpu_timer_end(&gt);
        }
        glFinish();
        t_end = bench_now_s();
        bench_gpu_timer_drain(&gt);
        bench_gpu_timer_fini(&gt);
    } else {
        /* timing pass: counters read before and after, only the work and
         * the clock in the loop */
        glvf_stats st0, st1;
        if (s.ctx)
            glvf_context_get_stats(s.ctx, &st0);
        long long rss0 = bench_rss_bytes();
        uint64_t allocs0 = glvf_heap_allocations();
        uint64_t naive0 = s.naive_objects;
        samples *smp = a->smp;
        double t1;
        t0 = t1 = bench_now_s();
        while (!s.failed && n < a->max_frames) {
            if (a->frames > 0 ? n >= a->frames : (n > 0 && t1 - t0 >= a->seconds))
                break;
            double f0 = bench_now_s();
            strat_frame(&s, &src->img[i % src->n], &h0, &h1);
            t1 = bench_now_s();
            if (smp->ncpu < smp->cap)
                smp->cpu[smp->ncpu++] = (t1 - f0) * 1e3;
            if (a->hook && smp->nhook < smp->cap)
                smp->hook[smp->nhook++] = (h1 - h0) * 1e3;
            i++;
            n++;
        }
        /* part of the measured work: the frames' GL work completes inside
         * the clock */
        glFinish();
        t_end = bench_now_s();
        uint64_t allocs1 = glvf_heap_allocations();
        long long rss1 = bench_rss_bytes();
        rr->allocs = allocs1 - allocs0;
        rr->rss_growth = rss1 - rss0;
        if (s.ctx) {
            glvf_context_get_stats(s.ctx, &st1);
            rr->objects = objects_created(&st1) - objects_created(&st0);
            for (int k = 0; k < GLVF_OBJECT_KIND_COUNT; k++)
                rr->objects_by_kind[k] = st1.objects[k].created - st0.objects[k].created;
        } else {
            rr->objects = s.naive_objects - naive0;
            rr->objects_by_kind[GLVF_OBJECT_TEXTURE] = rr->objects;
        }
    }
    rr->frames = n;
    rr->seconds = t_end - t0;

    GLenum glerr = GL_NO_ERROR;
    if (s.ctx) {
        glvf_frame_unref(&s.prev);
        glvf_context_destroy(&s.ctx);
    } else {
        naive_finish(&s.ns);
        glBindBuffer(GL_PIXEL_UNPACK_BUFFER, (GLuint)saved_pbo);
        glPixelStorei(GL_UNPACK_ALIGNMENT, saved_align);
        glPixelStorei(GL_UNPACK_ROW_LENGTH, saved_row);
    }
    for (GLenum e; (e = glGetError()) != GL_NO_ERROR;)
        glerr = e;

    if (s.failed) {
        snprintf(rr->error, sizeof rr->error, "%s%s failed: %s", a->gpu_pass ? "GPU pass: " : "",
                 s.hook_failed ? "render" : strat == BENCH_NAIVE ? "naive upload" : "glvf_upload",
                 *bench_last_glvf_error() ? bench_last_glvf_error() : "see stderr");
        return;
    }
    if (glerr != GL_NO_ERROR) {
        snprintf(rr->error, sizeof rr->error, "%sGL error 0x%04x",
                 a->gpu_pass ? "GPU pass: " : "", glerr);
        return;
    }
    if (n == 0 || rr->seconds <= 0) {
        snprintf(rr->error, sizeof rr->error, "no frame measured");
        return;
    }
    rr->ok = true;
}

/* The floor: the same bytes copied into two alternating destinations, as
 * the pool alternates between the textures of two frames in flight. */
static double run_memcpy(const run_args *a, uint8_t *const dst[2], int *frames_out)
{
    const source_set *s = a->src;
    int n = 0;
    double t0 = bench_now_s(), t = t0;
    while (n < a->max_frames) {
        if (a->frames > 0 ? n >= a->frames : (n > 0 && t - t0 >= a->seconds))
            break;
        memcpy(dst[n & 1], s->mem + (size_t)(n % s->n) * s->slot, s->bytes);
        n++;
        if (a->frames <= 0)
            t = bench_now_s();
    }
    *frames_out = n;
    return bench_now_s() - t0;
}

/* ---- the scenario loop -------------------------------------------------- */

typedef struct strat_acc {
    bool ok;
    char error[160];
    double best_s;           /* seconds of the best repetition */
    int best_frames;
    uint64_t frames, objects, allocs, by_kind[GLVF_OBJECT_KIND_COUNT];
    long long rss_growth, rss_growth_min;
    glvf_upload_strategy used;
    double *cpu, *hook;          /* samples of every repetition */
    size_t ncpu, nhook;
    double *gpu;                 /* the GPU pass's samples */
    size_t ngpu;
    double gpu_fps;              /* the GPU pass's throughput (queries included) */
} strat_acc;

int bench_run_upload_scenarios(const bench_env *env, const char *mode_name,
                               bench_frame_hook hook, void *hook_user)
{
    const bench_options *o = env->opt;
    bench_report *rep = bench_report_open(env, mode_name);
    if (!rep)
        return -1;
    int failures = 0;
    int nscen = o->nformats * o->nsizes, iscen = 0;
    int per_rep = o->frames > 0 ? o->frames : BENCH_MAX_TIMED_FRAMES;

    for (int fi = 0; fi < o->nformats; fi++) {
        for (int si = 0; si < o->nsizes; si++) {
            iscen++;
            glvf_format fmt = o->formats[fi];
            int w = o->sizes[si].w, h = o->sizes[si].h;
            bench_result res = { .format = fmt, .width = w, .height = h, .mode = mode_name,
                                 .repeats = o->repeats };
            char err[160] = "";
            source_set src;
            bench_progress(o, "[%d/%d] %s %dx%d: preparing sources", iscen, nscen,
                           glvf_format_name(fmt), w, h);
            bool have_src = sources_make(&src, fmt, w, h, o->source_bytes, err, sizeof err);
            if (have_src) {
                bench_clear_glvf_error();
                if (glvf_image_validate(env->probe, &src.img[0]) < 0) {
                    snprintf(err, sizeof err, "%s", bench_last_glvf_error());
                    sources_free(&src);
                    have_src = false;
                }
            }
            if (!have_src) {
                for (int k = 0; k < o->nstrategies; k++) {
                    res.strategy = o->strategies[k];
                    res.strategy_used = bench_strategy_name(res.strategy);
                    res.ok = false;
                    snprintf(res.error, sizeof res.error, "%s", err);
                    bench_report_add(rep, &res);
                    failures++;
                }
                continue;
            }

            /* everything this scenario measures into, allocated and touched
             * before the first measurement */
            size_t cap = (size_t)per_rep * (size_t)o->repeats;
            size_t gpu_cap = env->gpu_timer ? (size_t)o->gpu_frames : 1;
            strat_acc acc[BENCH_STRATEGY_COUNT];
            memset(acc, 0, sizeof acc);
            bool oom = false;
            for (int k = 0; k < o->nstrategies; k++) {
                acc[k].ok = true;
                acc[k].best_s = 1e300;
                acc[k].gpu_fps = -1;
                acc[k].cpu = calloc(cap, sizeof(double));
                acc[k].gpu = calloc(gpu_cap, sizeof(double));
                acc[k].hook = calloc(cap, sizeof(double));
                oom |= !acc[k].cpu || !acc[k].gpu || !acc[k].hook;
                if (!oom) {
                    memset(acc[k].cpu, 0, cap * sizeof(double));
                    memset(acc[k].gpu, 0, gpu_cap * sizeof(double));
                    memset(acc[k].hook, 0, cap * sizeof(double));
                }
            }
            uint8_t *dst[2] = { malloc(src.bytes), malloc(src.bytes) };
            oom |= !dst[0] || !dst[1];
            if (!oom) {
                memset(dst[0], 1, src.bytes);
                memset(dst[1], 1, src.bytes);
            }

            double mem_best = 1e300;
            int mem_frames = 0;
            for (int r = 0; r < o->repeats && !oom; r++) {
                run_args a = { .env = env, .src = &src, .hook = hook, .hook_user = hook_user,
                               .frames = o->frames, .seconds = o->seconds,
                               .max_frames = per_rep };
                bench_progress(o, "[%d/%d] %s %dx%d rep %d/%d: memcpy", iscen, nscen,
                               glvf_format_name(fmt), w, h, r + 1, o->repeats);
                int mf = 0;
                double mt = run_memcpy(&a, dst, &mf);
                if (mf > 0 && mt / mf < mem_best / (mem_frames ? mem_frames : 1)) {
                    mem_best = mt;
                    mem_frames = mf;
                }
                /* each repetition starts one strategy further on, so no
                 * strategy always runs right after the same one */
                for (int kk = 0; kk < o->nstrategies; kk++) {
                    int k = (kk + r) % o->nstrategies;
                    strat_acc *sa = &acc[k];
                    if (!sa->ok)
                        continue; /* failed once: not retried */
                    bench_progress(o, "[%d/%d] %s %dx%d rep %d/%d: %s", iscen, nscen,
                                   glvf_format_name(fmt), w, h, r + 1, o->repeats,
                                   bench_strategy_name(o->strategies[k]));
                    samples smp = { .cpu = sa->cpu, .hook = sa->hook, .ncpu = sa->ncpu,
                                    .nhook = sa->nhook, .cap = cap };
                    a.smp = &smp;
                    rep_result rr;
                    run_strategy(&a, o->strategies[k], &rr);
                    sa->ncpu = smp.ncpu;
                    sa->nhook = smp.nhook;
                    if (!rr.ok) {
                        sa->ok = false;
                        snprintf(sa->error, sizeof sa->error, "%s", rr.error);
                        continue;
                    }
                    sa->used = rr.used;
                    double best = sa->best_s / (sa->best_frames ? sa->best_frames : 1);
                    if (rr.seconds / rr.frames < best) {
                        sa->best_s = rr.seconds;
                        sa->best_frames = rr.frames;
                    }
                    sa->frames += (uint64_t)rr.frames;
                    sa->objects += rr.objects;
                    sa->allocs += rr.allocs;
                    for (int ki = 0; ki < GLVF_OBJECT_KIND_COUNT; ki++)
                        sa->by_kind[ki] += rr.objects_by_kind[ki];
                    if (r == 0 || rr.rss_growth > sa->rss_growth)
                        sa->rss_growth = rr.rss_growth;
                    if (r == 0 || rr.rss_growth < sa->rss_growth_min)
                        sa->rss_growth_min = rr.rss_growth;
                }
            }
            /* the GPU pass: after every repetition, so that its queries touch
             * none of the figures above */
            for (int k = 0; k < o->nstrategies && env->gpu_timer && !oom; k++) {
                strat_acc *sa = &acc[k];
                if (!sa->ok)
                    continue;
                bench_progress(o, "[%d/%d] %s %dx%d GPU pass: %s", iscen, nscen,
                               glvf_format_name(fmt), w, h,
                               bench_strategy_name(o->strategies[k]));
                samples smp = { .gpu = sa->gpu, .cap = gpu_cap };
                run_args a = { .env = env, .src = &src, .hook = hook, .hook_user = hook_user,
                               .smp = &smp, .frames = o->gpu_frames,
                               .max_frames = o->gpu_frames, .gpu_pass = true };
                rep_result rr;
                run_strategy(&a, o->strategies[k], &rr);
                sa->ngpu = smp.ngpu;
                if (!rr.ok) {
                    sa->ok = false;
                    snprintf(sa->error, sizeof sa->error, "%s", rr.error);
                    continue;
                }
                sa->gpu_fps = rr.frames / rr.seconds;
            }
            bench_progress_done(o);

            double mem_fps = oom ? 0 : mem_frames / mem_best;
            double bytes = (double)src.bytes;
            if (!oom)
                bench_report_memcpy(rep, fmt, w, h, mem_fps, mem_fps * bytes / 1e9, src.bytes,
                                    src.n);
            for (int k = 0; k < o->nstrategies; k++) {
                strat_acc *sa = &acc[k];
                res.strategy = o->strategies[k];
                res.has_memcpy = true;
                res.render_p50_ms = res.render_p99_ms = -1;
                res.gpu_pass_p50_ms = res.gpu_pass_p99_ms = res.gpu_pass_fps = -1;
                res.gpu_pass_samples = 0;
                res.bytes_per_frame = src.bytes;
                res.sources = src.n;
                res.memcpy_fps = mem_fps;
                res.memcpy_gbps = mem_fps * bytes / 1e9;
                res.ok = !oom && sa->ok && sa->frames > 0;
                res.error[0] = 0;
                if (!res.ok) {
                    snprintf(res.error, sizeof res.error, "%s",
                             oom ? "out of memory" : sa->error);
                    res.strategy_used = bench_strategy_name(res.strategy);
                    bench_report_add(rep, &res);
                    failures++;
                    continue;
                }
                res.strategy_used = res.strategy == BENCH_NAIVE
                                            ? "naive"
                                            : glvf_upload_strategy_name(sa->used);
                res.frames = sa->best_frames;
                res.fps = sa->best_frames / sa->best_s;
                res.gbps = res.fps * bytes / 1e9;
                res.memcpy_ratio = mem_fps > 0 ? res.fps / mem_fps : 0;
                res.p50_ms = bench_percentile(sa->cpu, sa->ncpu, 50);
                res.p99_ms = bench_percentile(sa->cpu, sa->ncpu, 99);
                res.gpu_pass_samples = (int)sa->ngpu;
                res.gpu_pass_p50_ms = bench_percentile(sa->gpu, sa->ngpu, 50);
                res.gpu_pass_p99_ms = bench_percentile(sa->gpu, sa->ngpu, 99);
                res.gpu_pass_fps = sa->gpu_fps;
                res.render_p50_ms = bench_percentile(sa->hook, sa->nhook, 50);
                res.render_p99_ms = bench_percentile(sa->hook, sa->nhook, 99);
                res.gl_objects_per_frame = (double)sa->objects / (double)sa->frames;
                res.heap_allocs_per_frame = (double)sa->allocs / (double)sa->frames;
                for (int kk = 0; kk < GLVF_OBJECT_KIND_COUNT; kk++)
                    res.gl_objects_by_kind[kk] = (double)sa->by_kind[kk] / (double)sa->frames;
                for (int kk = 0; kk < GLVF_OBJECT_KIND_COUNT; kk++)
                    res.created_after_warmup[kk] = sa->by_kind[kk];
                res.heap_allocs_after_warmup = sa->allocs;
                res.rss_growth_bytes = sa->rss_growth;
                res.rss_growth_min_bytes = sa->rss_growth_min;
                bench_report_add(rep, &res);
            }
            for (int k = 0; k < o->nstrategies; k++) {
                free(acc[k].cpu);
                free(acc[k].gpu);
                free(acc[k].hook);
            }
            free(dst[0]);
            free(dst[1]);
            sources_free(&src);
        }
    }
    if (!bench_report_close(rep))
        failures++;
    return failures;
}
