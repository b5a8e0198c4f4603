/*
 * Soak: many frames uploaded, rendered and released, on real GL (Mesa
 * llvmpipe through an EGL surfaceless context), with the releases done by
 * other threads, checking that nothing accumulates.
 *
 *   soak [--frames N] [--api gl33|gl45|gles30] [--upload auto|client|...]
 *        [--threads T] [--warmup-cycles C] [--no-render]
 *
 * The schedule is a cycle of 40 batches of 5 frames (200 frames): each
 * batch one format and one size, 10 formats (every layout family: planar
 * 8 and 10 bit, 4:4:4, semi-planar 8 and 16 bit, packed 4:2:2, gray, RGBA,
 * BGRA, alpha plane) x 4 sizes, consecutive batches always of different
 * sizes; every third batch goes through a staging region (acquire, write,
 * submit) instead of glvf_upload. Each frame is drawn into an FBO, with the
 * bilinear and the bicubic scaler in turn. The GL thread then hands the
 * batch to T release threads (default 3), which take an extra reference and
 * drop both, while the GL thread goes on with the next batch (it waits for
 * batch j-1 to be released before it starts batch j+1), and collects once
 * per batch.
 *
 * Measured at the same point of the cycle after the warm-up (C cycles,
 * default 2) and at the end (N is rounded up to whole cycles), once every
 * release has landed and the queue is drained: live GL objects per kind and
 * their bytes, pool bytes, staging bytes, glvf heap allocations, resident
 * memory (/proc/self/statm). Asserted: GL objects, pool and staging bytes
 * exactly equal; no glvf heap allocation after the warm-up; resident memory
 * within RSS_SLACK (below) of the warm-up figure (not under ASan, whose
 * quarantine holds freed memory by design: there it is printed only);
 * no frame live, nothing pending, no error or warning logged.
 */
#include "check.h"
#include "egl_harness.h"
#include "glvf_alloc.h"

#include <epoxy/gl.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SOAK_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SOAK_SANITIZED 1
#endif
#endif

/* Resident memory: glvf allocates nothing in steady state (asserted
 * exactly, through glvf_alloc_count), and its GL objects are counted
 * exactly, so what RSS adds is the driver's and the C library's noise.
 * Measured on llvmpipe, 100,000 frames: one run flat to 0.05 MiB, another
 * +5.1 MiB over the first 40,000 frames then flat for the last 60,000
 * (allocator and llvmpipe caches settling; shorter runs crept or not from
 * run to run, with glibc's default malloc arenas or one, and with
 * LP_NUM_THREADS=0 or not). The bound, 8 MiB,
 * sits above that noise and below any per-frame leak: the smallest frame
 * here (64x48 gray, 3 KiB) leaked once per frame for the 4,600 frames after
 * the warm-up of the 5,000-frame run is 13.5 MiB. */
#define RSS_SLACK ((long)8 << 20)

#define BATCH 5
#define NSIZES 4
#define NFORMATS 10
#define CYCLE_BATCHES (NSIZES * NFORMATS)
#define CYCLE_FRAMES (CYCLE_BATCHES * BATCH)
#define MAX_THREADS 8

static const struct { int w, h; } sizes[NSIZES] = {
    { 176, 144 }, { 320, 180 }, { 64, 48 }, { 128, 72 },
};
static const glvf_format formats[NFORMATS] = {
    GLVF_FORMAT_YUV420P, GLVF_FORMAT_NV12,   GLVF_FORMAT_RGBA8,    GLVF_FORMAT_YUV420P10,
    GLVF_FORMAT_YUYV422, GLVF_FORMAT_GRAY8,  GLVF_FORMAT_YUVA420P, GLVF_FORMAT_P010,
    GLVF_FORMAT_BGRA8,   GLVF_FORMAT_YUV444P,
};

static uint8_t *pixels; /* big enough for any plane here */
#define PIXELS_BYTES ((size_t)320 * 180 * 8)

/* ---- release threads ---------------------------------------------------- */

typedef struct releaser {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    glvf_frame *queue[4 * BATCH];
    int head, tail;
    bool stop;
} releaser;

static releaser rel[MAX_THREADS];
static int nthreads = 3;
static glvf_context *ctx;
static atomic_long released;
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;

static void *release_main(void *arg)
{
    releaser *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->lock);
        while (r->head == r->tail && !r->stop)
            pthread_cond_wait(&r->cond, &r->lock);
        if (r->head == r->tail && r->stop) {
            pthread_mutex_unlock(&r->lock);
            return NULL;
        }
        glvf_frame *f = r->queue[r->head % (4 * BATCH)];
        r->head++;
        pthread_mutex_unlock(&r->lock);
        /* another holder appears and goes: the last of the two releases */
        glvf_frame *extra = glvf_frame_ref(f);
        glvf_frame_unref(&f);
        glvf_stats s;
        glvf_context_get_stats(ctx, &s); /* any-thread reads meanwhile */
        glvf_frame_unref(&extra);
        pthread_mutex_lock(&done_lock);
        atomic_fetch_add(&released, 1);
        pthread_cond_signal(&done_cond);
        pthread_mutex_unlock(&done_lock);
    }
}

static void hand_over(int k, glvf_frame *f)
{
    releaser *r = &rel[k % nthreads];
    pthread_mutex_lock(&r->lock);
    r->queue[r->tail % (4 * BATCH)] = f;
    r->tail++;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

static void wait_released(long n)
{
    pthread_mutex_lock(&done_lock);
    while (atomic_load(&released) < n)
        pthread_cond_wait(&done_cond, &done_lock);
    pthread_mutex_unlock(&done_lock);
}

/* ---- frames ------------------------------------------------------------- */

static glvf_image make_image(glvf_format f, int w, int h)
{
    glvf_image img = { .format = f, .width = w, .height = h };
    for (int p = 0; p < glvf_format_planes(f); p++) {
        glvf_plane_layout l;
        glvf_plane_layout_get(ctx, f, w, h, p, &l);
        img.planes[p].data = pixels;
        img.planes[p].stride = l.row_bytes;
    }
    return img;
}

static glvf_frame *make_frame(glvf_format f, int w, int h, bool staging)
{
    int err = 0;
    if (!staging) {
        glvf_image img = make_image(f, w, h);
        glvf_frame *fr = glvf_upload(ctx, &img, NULL, &err);
        CHECK(fr, "upload %s %dx%d: %d", glvf_format_name(f), w, h, err);
        return fr;
    }
    glvf_staging *st = glvf_staging_acquire(ctx, f, w, h, 0, &err);
    if (!st && err == -EAGAIN) { /* pbo-persistent: created on the GL thread */
        glvf_context_collect(ctx);
        st = glvf_staging_acquire(ctx, f, w, h, 0, &err);
    }
    CHECK(st, "acquire %s %dx%d: %d", glvf_format_name(f), w, h, err);
    if (!st)
        return NULL;
    glvf_image *img = glvf_staging_image(st);
    for (int p = 0; p < glvf_format_planes(f); p++) {
        glvf_plane_layout l;
        glvf_plane_layout_get(ctx, f, w, h, p, &l);
        for (int y = 0; y < l.height; y++)
            memcpy((uint8_t *)img->planes[p].data + (ptrdiff_t)y * img->planes[p].stride,
                   pixels + (size_t)y * (size_t)l.row_bytes, (size_t)l.row_bytes);
    }
    glvf_frame *fr = glvf_staging_submit(ctx, &st, NULL, &err);
    CHECK(fr, "submit %s %dx%d: %d", glvf_format_name(f), w, h, err);
    return fr;
}

/* ---- measurements ------------------------------------------------------- */

typedef struct snapshot {
    long frame;
    glvf_stats s;
    uint64_t allocs;
    long rss;
} snapshot;

static long rss_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * sysconf(_SC_PAGESIZE);
}

static void take(snapshot *sn, long frame, long handed)
{
    wait_released(handed);
    glFinish(); /* staging fences signalled: the collects below retire them */
    while (glvf_context_collect(ctx) > 0) {
    }
    glvf_context_collect(ctx);
    sn->frame = frame;
    glvf_context_get_stats(ctx, &sn->s);
    sn->allocs = glvf_alloc_count();
    sn->rss = rss_bytes();
}

static double mib(double b)
{
    return b / (1024.0 * 1024.0);
}

static void print_snapshot(const char *what, const snapshot *sn)
{
    const glvf_object_stats *o = sn->s.objects;
    printf("# %s (frame %ld): GL objects live: %llu textures (%.2f MiB), %llu buffers "
           "(%.2f MiB), %llu syncs, %llu programs, %llu vertex arrays; pool %.2f MiB "
           "(%.2f MiB cached in %llu textures); staging %.2f MiB in %llu slots; "
           "frames live %llu, deletes pending %llu; glvf heap allocations so far %llu; "
           "RSS %.1f MiB\n",
           what, sn->frame, (unsigned long long)o[GLVF_OBJECT_TEXTURE].live,
           mib((double)o[GLVF_OBJECT_TEXTURE].live_bytes),
           (unsigned long long)o[GLVF_OBJECT_BUFFER].live,
           mib((double)o[GLVF_OBJECT_BUFFER].live_bytes),
           (unsigned long long)o[GLVF_OBJECT_SYNC].live,
           (unsigned long long)o[GLVF_OBJECT_PROGRAM].live,
           (unsigned long long)o[GLVF_OBJECT_VERTEX_ARRAY].live, mib((double)sn->s.pool_bytes),
           mib((double)sn->s.pool_cached_bytes), (unsigned long long)sn->s.pool_cached_textures,
           mib((double)sn->s.staging_bytes), (unsigned long long)sn->s.staging_slots,
           (unsigned long long)sn->s.frames_live, (unsigned long long)sn->s.deferred_pending,
           (unsigned long long)sn->allocs, mib((double)sn->rss));
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- main --------------------------------------------------------------- */

typedef struct soak_args {
    long frames;
    harness_api api;
    glvf_upload_strategy upload;
    int warmup_cycles;
    bool no_render; /* diagnosis: upload and release only */
} soak_args;

static void soak(void *arg)
{
    soak_args *a = arg;
    long cycles = (a->frames + CYCLE_FRAMES - 1) / CYCLE_FRAMES;
    if (cycles <= a->warmup_cycles)
        cycles = a->warmup_cycles + 1;
    long total_batches = cycles * CYCLE_BATCHES;
    harness_ctx *h = harness_ctx_create(a->api, NULL);
    REQUIRE(h && harness_make_current(h), "EGL context");
    harness_print_info(h);
    ctx = glvf_context_create(glvf_context_params(
            .get_proc_address = harness_get_proc, .get_proc_user = h,
            .is_current = harness_is_current, .is_current_user = h, .log = check_log,
            .flags = GLVF_CONTEXT_IGNORE_ENV, .upload = a->upload));
    REQUIRE(ctx, "glvf context");
    printf("# soak: %ld frames = %ld cycles of %d (%d formats x %d sizes, batches of %d, "
           "every third batch through staging), %d release threads, upload %s, warm-up %d "
           "cycles\n",
           cycles * CYCLE_FRAMES, cycles, CYCLE_FRAMES, NFORMATS, NSIZES, BATCH, nthreads,
           glvf_upload_strategy_name(glvf_context_get_upload_strategy(ctx)),
           a->warmup_cycles);
    fflush(stdout);

    GLuint tex = 0, fbo = 0;
    glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    glTexStorage2D(GL_TEXTURE_2D, 1, GL_RGBA8, 160, 120);
    glGenFramebuffers(1, &fbo);
    glBindFramebuffer(GL_FRAMEBUFFER, fbo);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, tex, 0);
    glViewport(0, 0, 160, 120);
    REQUIRE(glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE, "FBO");

    atomic_store(&released, 0);
    for (int t = 0; t < nthreads; t++) {
        rel[t] = (releaser){ .head = 0, .tail = 0 };
        pthread_mutex_init(&rel[t].lock, NULL);
        pthread_cond_init(&rel[t].cond, NULL);
        pthread_create(&rel[t].thread, NULL, release_main, &rel[t]);
    }

    snapshot warm = { 0 }, end = { 0 };
    long handed = 0, frame = 0, render_errors = 0;
    long handed_before[2] = { 0, 0 }; /* frames handed over before batches j-1, j */
    glvf_frame *held[BATCH] = { NULL };
    double t0 = now_s(), t_warm = 0;
    for (long j = 0; j < total_batches; j++) {
        if (j > 0 && j % (25L * CYCLE_BATCHES) == 0) {
            glvf_stats s;
            glvf_context_get_stats(ctx, &s);
            printf("# progress: frame %ld, %.1f s, RSS %.1f MiB, GL objects %llu textures %llu "
                   "buffers, pool %.2f MiB, glvf heap allocations %llu\n",
                   frame, now_s() - t0, mib((double)rss_bytes()),
                   (unsigned long long)s.objects[GLVF_OBJECT_TEXTURE].live,
                   (unsigned long long)s.objects[GLVF_OBJECT_BUFFER].live,
                   mib((double)s.pool_bytes), (unsigned long long)glvf_alloc_count());
            fflush(stdout);
        }
        if (j == (long)a->warmup_cycles * CYCLE_BATCHES) {
            take(&warm, frame, handed);
            print_snapshot("after warm-up", &warm);
            fflush(stdout);
            t_warm = now_s();
        }
        /* batch j-2 must be released before batch j starts: the release
         * threads work on batch j-1 while this thread makes batch j (of
         * another size, so the two never compete for pool textures) */
        wait_released(handed_before[0]);
        int ci = (int)(j % CYCLE_BATCHES);
        glvf_format f = formats[(ci / NSIZES) % NFORMATS];
        int w = sizes[ci % NSIZES].w, hh = sizes[ci % NSIZES].h;
        bool staging = ci % 3 == 2;
        glvf_frame *batch[BATCH];
        for (int k = 0; k < BATCH; k++) {
            batch[k] = make_frame(f, w, hh, staging);
            if (batch[k] && !a->no_render &&
                glvf_render(ctx, batch[k],
                            glvf_render_params(.scaler = (glvf_scaler)((frame + k) & 1),
                                               .clear_background = true)) != 0)
                render_errors++;
        }
        glFlush();
        /* First cycle: hold each batch until the next one is made, so that
         * the most frames ever live at once (two batches) is reached during
         * the warm-up whatever the timing of the release threads; glvf
         * keeps that many frame records pooled, and allocates no more. */
        bool hold = j < CYCLE_BATCHES - 1;
        for (int k = 0; k < BATCH; k++) {
            if (held[k]) {
                hand_over((int)handed, held[k]);
                handed++;
                held[k] = NULL;
            }
            if (hold) {
                held[k] = batch[k];
            } else if (batch[k]) {
                hand_over((int)handed, batch[k]);
                handed++;
            }
        }
        frame += BATCH;
        handed_before[0] = handed_before[1];
        handed_before[1] = handed;
        glvf_context_collect(ctx);
    }
    take(&end, frame, handed);
    double t1 = now_s();
    print_snapshot("end", &end);

    for (int t = 0; t < nthreads; t++) {
        pthread_mutex_lock(&rel[t].lock);
        rel[t].stop = true;
        pthread_cond_signal(&rel[t].cond);
        pthread_mutex_unlock(&rel[t].lock);
        pthread_join(rel[t].thread, NULL);
        pthread_mutex_destroy(&rel[t].lock);
        pthread_cond_destroy(&rel[t].cond);
    }

    uint8_t px[4] = { 0 };
    glReadPixels(80, 60, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, px);
    long steady_frames = end.frame - warm.frame;
    printf("# %ld frames in %.1f s (%.0f frames/s after the warm-up); render errors %ld; "
           "centre pixel %u,%u,%u,%u\n",
           frame, t1 - t0, steady_frames / (t1 - t_warm), render_errors, px[0], px[1], px[2],
           px[3]);
    long d_objects = 0;
    for (int k = 0; k < GLVF_OBJECT_KIND_COUNT; k++)
        d_objects += (long)end.s.objects[k].live - (long)warm.s.objects[k].live;
    long d_pool = (long)end.s.pool_bytes - (long)warm.s.pool_bytes;
    long d_staging = (long)end.s.staging_bytes - (long)warm.s.staging_bytes;
    long d_allocs = (long)(end.allocs - warm.allocs);
    long d_rss = end.rss - warm.rss;
    printf("# growth over %ld frames after the warm-up: GL objects %+ld, pool bytes %+ld, "
           "staging bytes %+ld, glvf heap allocations %+ld, RSS %+.2f MiB%s\n",
           steady_frames, d_objects, d_pool, d_staging, d_allocs, mib((double)d_rss),
#ifdef SOAK_SANITIZED
           " (sanitizer build: RSS not asserted)"
#else
           ""
#endif
    );
    fflush(stdout);
    for (int k = 0; k < GLVF_OBJECT_KIND_COUNT; k++)
        CHECK(end.s.objects[k].live == warm.s.objects[k].live &&
                  end.s.objects[k].live_bytes == warm.s.objects[k].live_bytes,
              "%s: %llu live (%llu bytes) after the warm-up, %llu (%llu) at the end",
              glvf_object_kind_name((glvf_object_kind)k),
              (unsigned long long)warm.s.objects[k].live,
              (unsigned long long)warm.s.objects[k].live_bytes,
              (unsigned long long)end.s.objects[k].live,
              (unsigned long long)end.s.objects[k].live_bytes);
    CHECK(d_pool == 0 && end.s.pool_cached_textures == warm.s.pool_cached_textures,
          "pool bytes moved by %ld", d_pool);
    CHECK(d_staging == 0, "staging bytes moved by %ld", d_staging);
    CHECK(d_allocs == 0, "%ld glvf heap allocations after the warm-up", d_allocs);
#ifndef SOAK_SANITIZED
    CHECK(d_rss <= RSS_SLACK, "RSS grew by %.2f MiB (bound %.0f MiB)", mib((double)d_rss),
          mib((double)RSS_SLACK));
#endif
    CHECK(end.s.frames_live == 0 && end.s.deferred_pending == 0 && end.s.staging_live == 0,
          "frames %llu, pending %llu, regions %llu", (unsigned long long)end.s.frames_live,
          (unsigned long long)end.s.deferred_pending, (unsigned long long)end.s.staging_live);
    CHECK(render_errors == 0, "render errors");
    CHECK(handed == frame, "%ld of %ld frames made and handed over", handed, frame);
    CHECK(a->no_render || px[0] || px[1] || px[2], "something was drawn");
    CHECK(check_log_count(GLVF_LOG_WARN, NULL) == 0, "%d errors or warnings logged",
          check_log_count(GLVF_LOG_WARN, NULL));

    glDeleteFramebuffers(1, &fbo);
    glDeleteTextures(1, &tex);
    CHECK(glvf_context_destroy(&ctx), "destroy");
    harness_ctx_destroy(h);
}

int main(int argc, char **argv)
{
    soak_args a = { .frames = 5000, .api = HARNESS_GL45, .upload = GLVF_UPLOAD_AUTO,
                    .warmup_cycles = 2 };
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--frames") && v) {
            a.frames = atol(v);
            i++;
        } else if (!strcmp(argv[i], "--api") && v && harness_api_parse(v, &a.api)) {
            i++;
        } else if (!strcmp(argv[i], "--upload") && v && glvf_upload_strategy_parse(v) >= 0) {
            a.upload = (glvf_upload_strategy)glvf_upload_strategy_parse(v);
            i++;
        } else if (!strcmp(argv[i], "--threads") && v && atoi(v) >= 1 &&
                   atoi(v) <= MAX_THREADS) {
            nthreads = atoi(v);
            i++;
        } else if (!strcmp(argv[i], "--no-render")) {
            a.no_render = true;

        } else if (!strcmp(argv[i], "--warmup-cycles") && v && atoi(v) >= 1) {
            a.warmup_cycles = atoi(v);
            i++;
        } else {
            fprintf(stderr,
                    "usage: %s [--frames N] [--api gl33|gl45|gles30] [--upload STRATEGY] "
                    "[--threads 1-%d] [--warmup-cycles C] [--no-render]\n",
                    argv[0], MAX_THREADS);
            return 2;
        }
    }
    pixels = malloc(PIXELS_BYTES);
    for (size_t i = 0; i < PIXELS_BYTES; i++)
        pixels[i] = (uint8_t)(i * 31 + (i >> 8));
    check_log_echo = false;
    RUN(soak, &a);
    free(pixels);
    check_log_clear();
    return check_finish();
}
