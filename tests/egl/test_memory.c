/*
 * Run-time memory control on real GL (llvmpipe, EGL surfaceless), once per
 * context kind; in the 'threading' suite, so it also runs under TSan (and
 * under ASan, which runs every suite):
 *
 *  - glvf_context_purge(): nothing recent goes when asked for what has been
 *    unused for a minute; everything cached (textures and free staging
 *    slots) goes when asked for what has been unused for 20 ms; a byte
 *    target stops the purge there; textures and regions in use are never
 *    touched (they still draw what was uploaded); purgeable_bytes says what
 *    a purge can free;
 *  - glvf_context_set_budget(): applied at the next collect (cached
 *    textures over a lowered budget evicted, free staging slots dropped),
 *    shown in the statistics; 0 leaves a budget as it is;
 *  - under load: the GL thread uploads, draws and collects while release
 *    threads drop the frames and control threads change budgets, purge,
 *    acquire and release staging regions and read statistics; no upload
 *    fails, no GL call is made off the GL thread (the purge's deletes
 *    happen in collect), and at the end everything cached can be purged
 *    and destroy finds nothing counted live.
 */
#include "check.h"
#include "egl_harness.h"

#include <epoxy/gl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static harness_ctx *H;
static harness_api API;

static uint8_t pixels[320 * 240 * 4];

static glvf_context *make_ctx(glvf_upload_strategy s)
{
    return glvf_context_create(glvf_context_params(
            .get_proc_address = harness_get_proc, .get_proc_user = H,
            .is_current = harness_is_current, .is_current_user = H, .log = check_log,
            .log_level = GLVF_LOG_ERROR, .upload = s, .flags = GLVF_CONTEXT_IGNORE_ENV));
}

static glvf_frame *upload_yuv(glvf_context *ctx, int w, int h, uint8_t luma)
{
    glvf_image img = { .format = GLVF_FORMAT_YUV420P, .width = w, .height = h };
    memset(pixels, luma, (size_t)w * (size_t)h);
    memset(pixels + (size_t)w * (size_t)h, 128, sizeof pixels - (size_t)w * (size_t)h);
    img.planes[0] = (glvf_image_plane){ pixels, w };
    img.planes[1] = (glvf_image_plane){ pixels + (size_t)w * (size_t)h, w / 2 };
    img.planes[2] = (glvf_image_plane){ pixels + (size_t)w * (size_t)h, w / 2 };
    int err = 0;
    glvf_frame *f = glvf_upload(ctx, &img, NULL, &err);
    CHECK(f, "upload %dx%d (%d)", w, h, err);
    return f;
}

static glvf_stats stats(glvf_context *ctx)
{
    glvf_stats s;
    glvf_context_get_stats(ctx, &s);
    return s;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* free staging bytes = staging bytes minus what is in use */
static void settle(glvf_context *ctx)
{
    glFinish(); /* every fence signalled: the collects retire them */
    glvf_context_collect(ctx);
    glvf_context_collect(ctx);
}

static void end_ctx(glvf_context **ctx)
{
    CHECK(glvf_context_destroy(ctx), "destroy");
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "no error logged");
    CHECK(harness_gl_error("end") == 0, "no GL error");
}

static void test_purge_and_budget(void *arg)
{
    glvf_upload_strategy strategy = (glvf_upload_strategy)(intptr_t)arg;
    check_log_clear();
    glvf_context *ctx = make_ctx(strategy);
    REQUIRE(ctx, "create");
    static const int sizes[][2] = { { 64, 48 }, { 96, 64 }, { 128, 72 }, { 160, 90 },
                                    { 192, 108 }, { 240, 136 } };
    glvf_frame *keep[2] = { NULL, NULL };
    unsigned cached_names[4][3];
    for (int i = 0; i < 6; i++) {
        glvf_frame *f = upload_yuv(ctx, sizes[i][0], sizes[i][1], (uint8_t)(20 * i + 16));
        if (i < 2) {
            keep[i] = f;
            continue;
        }
        for (int p = 0; p < 3; p++) {
            glvf_frame_plane pl = { 0 };
            glvf_frame_get_plane(f, p, &pl);
            cached_names[i - 2][p] = pl.texture;
        }
        glvf_frame_unref(&f);
    }
    CHECK(glvf_staging_reserve(ctx, GLVF_FORMAT_NV12, 320, 240, 0, 2) == 0, "reserve");
    glvf_staging *held = glvf_staging_acquire(ctx, GLVF_FORMAT_NV12, 320, 240, 0, NULL);
    CHECK(held, "a region in use");
    settle(ctx);
    glvf_stats s = stats(ctx);
    uint64_t in_use_tex = s.pool_bytes - s.pool_cached_bytes;
    printf("# %s %s: pool %llu bytes (%llu cached), staging %llu bytes in %llu slots, "
           "purgeable %llu\n",
           harness_api_name(API), glvf_upload_strategy_name(s.upload_strategy),
           (unsigned long long)s.pool_bytes, (unsigned long long)s.pool_cached_bytes,
           (unsigned long long)s.staging_bytes, (unsigned long long)s.staging_slots,
           (unsigned long long)s.purgeable_bytes);
    CHECK(s.pool_cached_textures == 12, "4 frames' textures cached (%llu)",
          (unsigned long long)s.pool_cached_textures);
    CHECK(s.purgeable_bytes > s.pool_cached_bytes &&
              s.purgeable_bytes < s.pool_cached_bytes + s.staging_bytes,
          "purgeable: cached textures and the free slot, not the region in use");

    /* nothing has been unused for a minute */
    CHECK(glvf_context_purge(ctx, 60000, 0) == 0, "purge");
    glvf_stats after = stats(ctx);
    CHECK(after.pool_cached_textures == 12, "nothing happens before the collect");
    glvf_context_collect(ctx);
    after = stats(ctx);
    CHECK(after.pool_cached_textures == 12 && after.staging_bytes == s.staging_bytes,
          "nothing recent is purged");

    /* a byte target: purge stops once pool + staging fit */
    size_t target = (size_t)(s.pool_bytes + s.staging_bytes) - (size_t)s.pool_cached_bytes / 2;
    sleep_ms(30);
    CHECK(glvf_context_purge(ctx, 20, target) == 0, "purge to a target");
    glvf_context_collect(ctx);
    after = stats(ctx);
    CHECK(after.pool_bytes + after.staging_bytes <= target &&
              after.pool_cached_textures > 0,
          "down to %zu: %llu held, %llu textures still cached", target,
          (unsigned long long)(after.pool_bytes + after.staging_bytes),
          (unsigned long long)after.pool_cached_textures);
    /* least recently used first: staging slots idle since before these
     * releases may go before the textures, the newest release stays */
    CHECK(glIsTexture(cached_names[3][0]), "the newest release stays");

    /* everything unused for 20 ms */
    CHECK(glvf_context_purge(ctx, 20, 0) == 0, "purge all");
    glvf_context_collect(ctx);
    after = stats(ctx);
    printf("# after purge: pool %llu bytes (%llu cached), staging %llu bytes in %llu slots, "
           "purgeable %llu, textures live %llu\n",
           (unsigned long long)after.pool_bytes, (unsigned long long)after.pool_cached_bytes,
           (unsigned long long)after.staging_bytes, (unsigned long long)after.staging_slots,
           (unsigned long long)after.purgeable_bytes,
           (unsigned long long)after.objects[GLVF_OBJECT_TEXTURE].live);
    CHECK(after.pool_cached_bytes == 0 && after.purgeable_bytes == 0, "nothing cached left");
    CHECK(after.pool_bytes == in_use_tex &&
              after.objects[GLVF_OBJECT_TEXTURE].live == 6,
          "the textures in use stay (%llu bytes)", (unsigned long long)after.pool_bytes);
    CHECK(after.staging_bytes > 0 && after.staging_bytes < s.staging_bytes,
          "the region in use stays, the free slot goes");
    int gone = 0;
    for (int i = 0; i < 4; i++)
        for (int p = 0; p < 3; p++)
            gone += !glIsTexture(cached_names[i][p]);
    CHECK(gone == 12, "the purged textures are deleted (%d of 12)", gone);
    CHECK(after.deferred_pending == 0, "deleted by that collect");
    /* the frames in use still draw what they hold */
    harness_fbo fbo;
    if (harness_fbo_create(&fbo, 16, 16)) {
        uint8_t out[16 * 16 * 4];
        for (int i = 0; i < 2; i++) {
            CHECK(glvf_render(ctx, keep[i], glvf_render_params(.stretch = true)) == 0,
                  "render");
            harness_fbo_read_rgba(&fbo, out);
            int y = 20 * i + 16; /* limited range: (y - 16) * 255 / 219 */
            int want = (y - 16) * 255 / 219;
            CHECK(abs(out[0] - want) <= 2, "frame %d still holds its picture (%d vs %d)", i,
                  out[0], want);
        }
        harness_fbo_destroy(&fbo);
    }
    glvf_staging_release(&held);

    /* budgets */
    size_t small = (size_t)after.pool_bytes / 2; /* less than the two frames' textures */
    CHECK(glvf_context_set_budget(ctx, small, 1 << 20) == 0, "set budget");
    CHECK(stats(ctx).pool_budget_bytes != small, "applied at the next collect only");
    glvf_frame_unref(&keep[0]);
    glvf_frame_unref(&keep[1]);
    glvf_context_collect(ctx);
    after = stats(ctx);
    CHECK(after.pool_budget_bytes == small && after.staging_budget_bytes == (1 << 20),
          "budgets in force: %llu, %llu", (unsigned long long)after.pool_budget_bytes,
          (unsigned long long)after.staging_budget_bytes);
    CHECK(after.pool_bytes <= small, "the pool fits the lowered budget (%llu)",
          (unsigned long long)after.pool_bytes);
    CHECK(glvf_context_set_budget(ctx, 0, 0) == 0, "0: unchanged");
    glvf_context_collect(ctx);
    CHECK(stats(ctx).pool_budget_bytes == small, "unchanged");
    CHECK(glvf_context_set_budget(NULL, 1, 1) == -EINVAL && glvf_context_purge(NULL, 0, 0) ==
                                                                -EINVAL,
          "NULL context");
    end_ctx(&ctx);
}

/* ---- under load ----------------------------------------------------------- */

/* at least FRAMES frames, and on until the control threads made
 * MIN_CONTROL calls (MAX_FRAMES at most) */
enum { FRAMES = 240, MAX_FRAMES = 4000, MIN_CONTROL = 200, RELEASERS = 2, CONTROLLERS = 2,
       QCAP = 16 };

typedef struct load {
    glvf_context *ctx;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    glvf_frame *q[QCAP];
    int qlen;
    bool done;
    atomic_int control_calls, regions;
} load;

static void *releaser_main(void *p)
{
    load *l = p;
    for (;;) {
        pthread_mutex_lock(&l->lock);
        while (!l->qlen && !l->done)
            pthread_cond_wait(&l->cond, &l->lock);
        if (!l->qlen && l->done) {
            pthread_mutex_unlock(&l->lock);
            return NULL;
        }
        glvf_frame *f = l->q[--l->qlen];
        pthread_cond_broadcast(&l->cond);
        pthread_mutex_unlock(&l->lock);
        glvf_frame *extra = glvf_frame_ref(f);
        glvf_frame_unref(&f);
        glvf_frame_unref(&extra);
    }
}

static void *controller_main(void *p)
{
    load *l = p;
    unsigned seed = (unsigned)(uintptr_t)&seed;
    for (int i = 0;; i++) {
        pthread_mutex_lock(&l->lock);
        bool done = l->done;
        pthread_mutex_unlock(&l->lock);
        if (done)
            return NULL;
        seed = seed * 1103515245u + 12345u;
        switch ((seed >> 16) % 4) {
        case 0:
            /* staging stays roomy: a ring whose budget is taken by regions
             * held elsewhere fails uploads (-ENOSPC), as it should */
            glvf_context_set_budget(l->ctx, (size_t)(64 + (seed >> 8) % 4096) << 10,
                                    (size_t)(2048 + (seed >> 4) % 4096) << 10);
            break;
        case 1: glvf_context_purge(l->ctx, (seed >> 8) % 20, (size_t)((seed >> 4) % 2) << 20);
            break;
        case 2: {
            /* the size the GL thread reserves: with pbo-persistent a miss
             * asks the GL thread for a region, and requests for ever new
             * sizes would fill the ring's entries with slots */
            glvf_staging *st = glvf_staging_acquire(l->ctx, GLVF_FORMAT_NV12, 128, 64, 0, NULL);
            if (st) {
                memset((void *)glvf_staging_image(st)->planes[0].data, 0x55, 96);
                atomic_fetch_add(&l->regions, 1);
            }
            glvf_staging_release(&st);
            break;
        }
        default: {
            glvf_stats s;
            glvf_context_get_stats(l->ctx, &s);
            break;
        }
        }
        atomic_fetch_add(&l->control_calls, 1);
        sched_yield();
    }
}

static void test_under_load(void *arg)
{
    glvf_upload_strategy strategy = (glvf_upload_strategy)(intptr_t)arg;
    check_log_clear();
    load l = { .ctx = make_ctx(strategy) };
    REQUIRE(l.ctx, "create");
    pthread_mutex_init(&l.lock, NULL);
    pthread_cond_init(&l.cond, NULL);
    pthread_t rel[RELEASERS], ctl[CONTROLLERS];
    for (int i = 0; i < RELEASERS; i++)
        pthread_create(&rel[i], NULL, releaser_main, &l);
    for (int i = 0; i < CONTROLLERS; i++)
        pthread_create(&ctl[i], NULL, controller_main, &l);
    harness_fbo fbo;
    bool have_fbo = harness_fbo_create(&fbo, 64, 64);
    static const int sizes[][2] = { { 64, 48 }, { 96, 64 }, { 128, 72 }, { 160, 90 } };
    int failed = 0, frames = 0;
    for (int i = 0; i < MAX_FRAMES &&
                    (i < FRAMES || atomic_load(&l.control_calls) < MIN_CONTROL);
         i++) {
        frames++;
        const int *sz = sizes[(i / 5) % 4];
        glvf_frame *f = upload_yuv(l.ctx, sz[0], sz[1], (uint8_t)(16 + i % 200));
        failed += !f;
        if (f && have_fbo)
            glvf_render(l.ctx, f, NULL);
        if (i % 16 == 0)
            glvf_staging_reserve(l.ctx, GLVF_FORMAT_NV12, 128, 64, 0, 1);
        pthread_mutex_lock(&l.lock);
        while (l.qlen == QCAP)
            pthread_cond_wait(&l.cond, &l.lock);
        if (f)
            l.q[l.qlen++] = f;
        pthread_cond_broadcast(&l.cond);
        pthread_mutex_unlock(&l.lock);
        glvf_context_collect(l.ctx);
    }
    pthread_mutex_lock(&l.lock);
    l.done = true;
    pthread_cond_broadcast(&l.cond);
    pthread_mutex_unlock(&l.lock);
    for (int i = 0; i < RELEASERS; i++)
        pthread_join(rel[i], NULL);
    for (int i = 0; i < CONTROLLERS; i++)
        pthread_join(ctl[i], NULL);
    if (have_fbo)
        harness_fbo_destroy(&fbo);
    /* everything released: all of it can be purged */
    glvf_context_set_budget(l.ctx, 64 << 20, 64 << 20);
    glvf_context_purge(l.ctx, 0, 0);
    settle(l.ctx);
    glvf_context_purge(l.ctx, 0, 0);
    glvf_context_collect(l.ctx);
    glvf_stats s = stats(l.ctx);
    printf("# %s %s under load: %d frames, %d control calls, %d regions written; %llu "
           "uploads, busy skips %llu, fence waits %llu, evictions %llu; after the final "
           "purge: pool %llu bytes, staging %llu bytes, textures live %llu, buffers live "
           "%llu\n",
           harness_api_name(API), glvf_upload_strategy_name(s.upload_strategy), frames,
           atomic_load(&l.control_calls), atomic_load(&l.regions),
           (unsigned long long)s.frames_uploaded, (unsigned long long)s.pool_busy_skips,
           (unsigned long long)s.pool_fence_waits, (unsigned long long)s.pool_evictions,
           (unsigned long long)s.pool_bytes, (unsigned long long)s.staging_bytes,
           (unsigned long long)s.objects[GLVF_OBJECT_TEXTURE].live,
           (unsigned long long)s.objects[GLVF_OBJECT_BUFFER].live);
    CHECK(failed == 0, "%d uploads failed", failed);
    CHECK(atomic_load(&l.control_calls) >= MIN_CONTROL, "the control threads ran");
    CHECK(s.frames_live == 0 && s.staging_live == 0, "everything released");
    CHECK(s.pool_bytes == 0 && s.purgeable_bytes == 0 &&
              s.objects[GLVF_OBJECT_TEXTURE].live == 0,
          "a purge of everything leaves no texture (%llu bytes)",
          (unsigned long long)s.pool_bytes);
    CHECK(s.staging_bytes == 0 || s.upload_strategy == GLVF_UPLOAD_PBO_ORPHAN,
          "nor a staging slot (%llu bytes)", (unsigned long long)s.staging_bytes);
    CHECK(s.deferred_pending == 0, "drained");
    pthread_mutex_destroy(&l.lock);
    pthread_cond_destroy(&l.cond);
    end_ctx(&l.ctx);
}

int main(int argc, char **argv)
{
    int status;
    H = harness_test_start(argc, argv, &API, &status);
    if (!H)
        return status;
    RUN_NAMED("purge and budget, client", test_purge_and_budget,
              (intptr_t)GLVF_UPLOAD_CLIENT);
    RUN_NAMED("purge and budget, pbo-persistent", test_purge_and_budget,
              (intptr_t)GLVF_UPLOAD_PBO_PERSISTENT);
    RUN_NAMED("under load, client", test_under_load, (intptr_t)GLVF_UPLOAD_CLIENT);
    RUN_NAMED("under load, pbo-persistent", test_under_load,
              (intptr_t)GLVF_UPLOAD_PBO_PERSISTENT);
    harness_ctx_destroy(H);
    check_log_clear();
    return check_finish();
}
