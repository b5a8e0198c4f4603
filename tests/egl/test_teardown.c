/*
 * Orphan teardown races on real GL (llvmpipe, EGL surfaceless), public API
 * only: worker threads drop frames (some referenced from two threads) and
 * staging regions
 *   destroy   while the owning thread calls glvf_context_destroy;
 *   abandon   while the owning thread calls glvf_context_abandon;
 *   orphans   after glvf_context_destroy returned (orphan against orphan).
 * Many iterations of each, varied in every combination: with a log
 * callback or without (glvf reads the context's log fields either way);
 * the host's loader or the platform default (whose teardown dlcloses);
 * each thread starting after a different delay and dropping in a different
 * order; the threads' last drops at the same moment; and one thread holding
 * its last drop until the teardown logs that orphans outlive it (the moment
 * the teardown lets go of the context).
 *
 * What it catches: a drop, or the teardown itself, touching the context
 * after its own reference was given up while another thread's last drop
 * frees it. ThreadSanitizer does not report that reliably (the freed fields
 * are far from the ones the lock guards): the test is meant for ASan (every
 * suite) as much as for TSan (suite 'threading').
 *
 *   test-teardown gl33|gl45|gles30 [iterations per mode [destroy|abandon|orphans]]
 * The default is GLVF_TEST_TEARDOWN_ITERATIONS, else 3000 (750 under TSan,
 * which is several times slower and only checks the locking here), every
 * mode. An iteration takes about a millisecond under ASan on llvmpipe.
 */
#include "check.h"
#include "egl_harness.h"

#include <sched.h>
#include <stdatomic.h>

#define THREADS 4
#define FRAMES 2  /* uploaded per thread; each also referenced by the next thread */
#define REGIONS 1 /* staging regions per thread */
#define DROPS (2 * FRAMES + REGIONS)

typedef enum mode { MODE_DESTROY, MODE_ABANDON, MODE_ORPHANS } mode;
static const char *mode_names[] = { "destroy", "abandon", "orphans" };

static harness_ctx *H;
static harness_api API;
#if defined(__SANITIZE_THREAD__)
#define TEARDOWN_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEARDOWN_TSAN 1
#endif
#endif
#ifdef TEARDOWN_TSAN
static int ITERATIONS = 750;
#else
static int ITERATIONS = 3000;
#endif

static atomic_int log_errors, log_orphans, log_other;

typedef struct shared {
    pthread_barrier_t start, done;
    atomic_int go;          /* 1: drop now */
    atomic_int at_last;     /* threads ready for their last drop */
    atomic_int teardown_end; /* the teardown logged its orphan count */
    /* set by the main thread before the start barrier */
    bool quit;
    int iteration;
    bool together;  /* the threads make their last drops at the same moment */
    int hold_back;  /* this thread makes its last drop at the end of the
                     * teardown (-1: none) */
    /* per thread: FRAMES frames uploaded for it, FRAMES references to the
     * previous thread's frames, REGIONS regions */
    glvf_frame *frames[THREADS][2 * FRAMES];
    glvf_staging *regions[THREADS][REGIONS];
} shared;

static void count_log(void *user, glvf_log_level level, const char *msg)
{
    shared *s = user;
    if (level == GLVF_LOG_ERROR) {
        atomic_fetch_add(&log_errors, 1);
        printf("# log error: %s\n", msg);
    } else if (strstr(msg, "(orphan)")) {
        atomic_fetch_add(&log_orphans, 1);
    } else if (strstr(msg, "outlive the context")) {
        /* Logged by the teardown, under the context's lock, right before it
         * lets go of the context: the held-back thread (spinning) makes its
         * last drop now, so that drop frees the context just as the
         * teardown unlocks. */
        atomic_store(&s->teardown_end, 1);
    } else {
        atomic_fetch_add(&log_other, 1);
    }
}

typedef struct worker {
    shared *s;
    int index;
} worker;

static void *worker_main(void *p)
{
    worker *w = p;
    shared *s = w->s;
    for (;;) {
        pthread_barrier_wait(&s->start);
        if (s->quit)
            return NULL;
        while (!atomic_load_explicit(&s->go, memory_order_acquire))
            sched_yield();
        /* a different delay each iteration and thread: drops land at every
         * point of the teardown */
        unsigned spin = (unsigned)(s->iteration * 37 + w->index * 101) % 2000u;
        for (volatile unsigned i = 0; i < spin; i++) {
        }
        /* the order rotates too: any kind of drop may be a thread's last */
        for (int j = 0; j < DROPS; j++) {
            int k = (j + s->iteration + w->index) % DROPS;
            if (j == DROPS - 1 && s->together) {
                atomic_fetch_add(&s->at_last, 1);
                while (atomic_load(&s->at_last) < THREADS)
                    sched_yield();
            }
            if (j == DROPS - 1 && s->hold_back == w->index)
                while (!atomic_load(&s->teardown_end)) {
                }
            if (k < 2 * FRAMES)
                glvf_frame_unref(&s->frames[w->index][k]);
            else
                glvf_staging_release(&s->regions[w->index][k - 2 * FRAMES]);
        }
        pthread_barrier_wait(&s->done);
    }
}

static bool prepare(shared *s, glvf_context *ctx)
{
    static uint8_t pixels[32 * 32];
    for (int t = 0; t < THREADS; t++) {
        for (int k = 0; k < FRAMES; k++) {
            int w = 8 + 4 * k + t;
            glvf_image img = { .format = GLVF_FORMAT_GRAY8, .width = w, .height = 8,
                               .planes = { { pixels, w } } };
            glvf_frame *f = glvf_upload(ctx, &img, NULL, NULL);
            if (!f)
                return false;
            s->frames[t][k] = f;
            s->frames[(t + 1) % THREADS][FRAMES + k] = glvf_frame_ref(f);
        }
        for (int k = 0; k < REGIONS; k++)
            if (!(s->regions[t][k] = glvf_staging_acquire(ctx, GLVF_FORMAT_NV12, 16, 8, 0,
                                                          NULL)))
                return false;
    }
    return true;
}

static void run_mode(void *arg)
{
    mode m = (mode)(intptr_t)arg;
    shared s = { 0 };
    pthread_barrier_init(&s.start, NULL, THREADS + 1);
    pthread_barrier_init(&s.done, NULL, THREADS + 1);
    worker w[THREADS];
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++) {
        w[t] = (worker){ .s = &s, .index = t };
        pthread_create(&th[t], NULL, worker_main, &w[t]);
    }
    int failed_iterations = 0, orphans_min = -1, orphans_max = 0;
    atomic_store(&log_errors, 0);
    /* Abandon leaves the GL objects to the GL context (as when it is gone
     * first): those contexts get a GL context of their own, replaced every
     * 100 iterations, so that the objects do not pile up. */
    harness_ctx *gl = H;
    for (int i = 0; i < ITERATIONS && failed_iterations < 3; i++) {
        if (m == MODE_ABANDON && i % 100 == 0) {
            if (gl != H)
                harness_ctx_destroy(gl);
            gl = harness_ctx_create(API, NULL);
            if (!gl || !harness_make_current(gl)) {
                CHECK(false, "iteration %d: a GL context", i);
                harness_ctx_destroy(gl);
                gl = H;
                harness_make_current(H);
                break;
            }
        }
        /* the variants, in every combination */
        bool with_log = i % 2 == 0;
        s.together = i / 2 % 2 == 0;
        bool platform_loader = i % 3 == 0; /* the default loader: EGL's */
        s.hold_back = m != MODE_ORPHANS && with_log && i / 4 % 2 == 1 ? i / 8 % THREADS : -1;
        atomic_store(&log_orphans, 0);
        glvf_context *ctx = glvf_context_create(glvf_context_params(
                .get_proc_address = platform_loader ? NULL : harness_get_proc,
                .get_proc_user = gl, .is_current = platform_loader ? NULL : harness_is_current,
                .is_current_user = gl, .log = with_log ? count_log : NULL, .log_user = &s,
                .flags = GLVF_CONTEXT_IGNORE_ENV));
        if (!ctx || !prepare(&s, ctx)) {
            CHECK(false, "iteration %d: context, uploads and regions", i);
            failed_iterations = 3;
            /* hand whatever was made to the workers: they drop it */
        }
        s.iteration = i;
        atomic_store(&s.go, 0);
        atomic_store(&s.at_last, 0);
        atomic_store(&s.teardown_end, 0);
        pthread_barrier_wait(&s.start);
        if (m == MODE_ORPHANS) {
            CHECK(glvf_context_destroy(&ctx), "destroy");
            atomic_store_explicit(&s.go, 1, memory_order_release);
        } else {
            atomic_store_explicit(&s.go, 1, memory_order_release);
            /* on some iterations the first drops come before the teardown */
            unsigned spin = (unsigned)(i * 53) % 20000u;
            for (volatile unsigned k = 0; k < spin; k++) {
            }
            if (m == MODE_DESTROY)
                CHECK(glvf_context_destroy(&ctx), "destroy");
            else
                glvf_context_abandon(&ctx);
        }
        atomic_store(&s.teardown_end, 1); /* in case nothing was logged */
        pthread_barrier_wait(&s.done);
        int orphans = atomic_load(&log_orphans);
        if (with_log) {
            if (orphans_min < 0 || orphans < orphans_min)
                orphans_min = orphans;
            if (orphans > orphans_max)
                orphans_max = orphans;
            /* each frame's last drop and each region's drop, once */
            if (m == MODE_ORPHANS && orphans != THREADS * (FRAMES + REGIONS)) {
                CHECK(false, "iteration %d: %d orphan drops logged, expected %d", i, orphans,
                      THREADS * (FRAMES + REGIONS));
                failed_iterations++;
            }
        }
        for (int t = 0; t < THREADS; t++) {
            for (int k = 0; k < 2 * FRAMES; k++)
                CHECK(!s.frames[t][k], "dropped");
            for (int k = 0; k < REGIONS; k++)
                CHECK(!s.regions[t][k], "dropped");
        }
    }
    if (gl != H) {
        harness_ctx_destroy(gl);
        harness_make_current(H);
    }
    s.quit = true;
    pthread_barrier_wait(&s.start);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    pthread_barrier_destroy(&s.start);
    pthread_barrier_destroy(&s.done);
    printf("# %s: %d iterations, %d thread(s), orphan drops logged per iteration %d..%d\n",
           mode_names[m], ITERATIONS, THREADS, orphans_min, orphans_max);
    CHECK(atomic_load(&log_errors) == 0, "no error logged");
    if (m == MODE_ORPHANS)
        CHECK(orphans_min == THREADS * (FRAMES + REGIONS), "every drop was an orphan");
}

int main(int argc, char **argv)
{
    int status;
    H = harness_test_start(argc, argv, &API, &status);
    if (!H)
        return status;
    const char *env = getenv("GLVF_TEST_TEARDOWN_ITERATIONS");
    if (argc > 2)
        ITERATIONS = atoi(argv[2]);
    else if (env && *env)
        ITERATIONS = atoi(env);
    if (ITERATIONS < 1)
        ITERATIONS = 1;
    const char *only = argc > 3 ? argv[3] : NULL;
    if (!only || !strcmp(only, "destroy"))
        RUN_NAMED("drops during glvf_context_destroy", run_mode, (intptr_t)MODE_DESTROY);
    if (!only || !strcmp(only, "abandon"))
        RUN_NAMED("drops during glvf_context_abandon", run_mode, (intptr_t)MODE_ABANDON);
    if (!only || !strcmp(only, "orphans"))
        RUN_NAMED("orphan against orphan after destroy", run_mode, (intptr_t)MODE_ORPHANS);
    harness_ctx_destroy(H);
    return check_finish();
}
