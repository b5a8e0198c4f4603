/*
 * The fence-aware pool and glvf_frame_fence() on real GL (llvmpipe, EGL
 * surfaceless), once per context kind:
 *
 *  - frames uploaded, drawn several times and released, with and without a
 *    collect in between: every upload succeeds, what is drawn is what was
 *    uploaded last, the pool stays small, and the statistics add up
 *    (hits + misses = textures asked for, misses = textures created);
 *  - a budget of exactly one texture: every upload reuses it, after its
 *    fence (polled or waited for), and no second texture is made;
 *  - glvf_frame_fence(): a second context sharing objects with the owner
 *    waits on it on another thread and reads the uploaded bytes back; the
 *    fence is deleted after the last unref;
 *  - nothing leaks: at destroy glvf reports no object still counted live.
 */
#include "check.h"
#include "egl_harness.h"

#include <epoxy/gl.h>
#include <errno.h>
#include <pthread.h>

static harness_ctx *H;
static harness_api API;

enum { W = 256, H_ = 128 };
static uint8_t pixels[W * H_ * 4];

static glvf_context *make_ctx(size_t pool_budget)
{
    return glvf_context_create(glvf_context_params(
            .get_proc_address = harness_get_proc, .get_proc_user = H,
            .is_current = harness_is_current, .is_current_user = H, .log = check_log,
            .log_level = GLVF_LOG_WARN, .pool_budget_bytes = pool_budget,
            .upload = GLVF_UPLOAD_CLIENT, .flags = GLVF_CONTEXT_IGNORE_ENV));
}

/* an RGBA frame of one colour */
static glvf_frame *upload_colour(glvf_context *ctx, uint8_t r, uint8_t g, uint8_t b)
{
    for (size_t i = 0; i < sizeof pixels; i += 4) {
        pixels[i] = r;
        pixels[i + 1] = g;
        pixels[i + 2] = b;
        pixels[i + 3] = 255;
    }
    glvf_image img = { .format = GLVF_FORMAT_RGBA8, .width = W, .height = H_,
                       .planes = { { pixels, W * 4 } } };
    int err = 0;
    glvf_frame *f = glvf_upload(ctx, &img, NULL, &err);
    CHECK(f, "upload (%d)", err);
    return f;
}

static void end_ctx(glvf_context **ctx)
{
    glvf_context_collect(*ctx);
    CHECK(glvf_context_destroy(ctx), "destroy");
    CHECK(check_log_count(GLVF_LOG_ERROR, "still counted live") == 0, "nothing leaked");
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "no error logged");
    CHECK(harness_gl_error("end") == 0, "no GL error");
}

static void run_frames(glvf_context *ctx, int n, int draws, bool collect, int *wrong)
{
    harness_fbo fbo;
    if (!harness_fbo_create(&fbo, W, H_)) {
        CHECK(false, "fbo");
        return;
    }
    static uint8_t out[W * H_ * 4];
    for (int i = 0; i < n; i++) {
        uint8_t c = (uint8_t)(40 + i * 7);
        glvf_frame *f = upload_colour(ctx, c, 255 - c, 17);
        if (!f)
            continue;
        for (int d = 0; d < draws; d++)
            glvf_render(ctx, f, glvf_render_params(.stretch = true));
        glvf_frame_unref(&f); /* the draws may still be queued */
        if (collect)
            glvf_context_collect(ctx);
        if (i % 8 == 7) {
            harness_fbo_read_rgba(&fbo, out);
            *wrong += out[0] != c || out[1] != 255 - c;
        }
    }
    harness_fbo_destroy(&fbo);
}

static void test_reuse(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx(0);
    REQUIRE(ctx, "create");
    int wrong = 0;
    run_frames(ctx, 32, 4, true, &wrong);
    run_frames(ctx, 32, 4, false, &wrong);
    glvf_stats s;
    glvf_context_get_stats(ctx, &s);
    const glvf_object_stats *tex = &s.objects[GLVF_OBJECT_TEXTURE];
    printf("# %s: 64 frames: %llu textures created, hits %llu misses %llu, busy skips %llu, "
           "fence waits %llu, fences live %llu\n",
           harness_api_name(API), (unsigned long long)tex->created,
           (unsigned long long)s.pool_hits, (unsigned long long)s.pool_misses,
           (unsigned long long)s.pool_busy_skips, (unsigned long long)s.pool_fence_waits,
           (unsigned long long)s.objects[GLVF_OBJECT_SYNC].live);
    CHECK(wrong == 0, "%d readbacks showed another frame", wrong);
    CHECK(s.pool_hits + s.pool_misses == 64, "hits + misses = textures asked for");
    CHECK(tex->created == s.pool_misses, "misses = textures created");
    /* one in use, at most 3 busy (none on llvmpipe): then the pool waits */
    CHECK(tex->created <= 4, "the pool stays small (%llu)", (unsigned long long)tex->created);
    CHECK(s.pool_busy_skips <= s.pool_misses + s.pool_fence_waits,
          "a busy skip ends in a new texture or a wait");
    CHECK(s.objects[GLVF_OBJECT_SYNC].live <= 64, "fences retired");
    end_ctx(&ctx);
}

static void test_budget_one_texture(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx((size_t)W * H_ * 4);
    REQUIRE(ctx, "create");
    int wrong = 0;
    run_frames(ctx, 24, 8, true, &wrong);
    run_frames(ctx, 24, 8, false, &wrong);
    glvf_stats s;
    glvf_context_get_stats(ctx, &s);
    printf("# %s: budget of one texture: %llu created, hits %llu, busy skips %llu, fence "
           "waits %llu\n",
           harness_api_name(API),
           (unsigned long long)s.objects[GLVF_OBJECT_TEXTURE].created,
           (unsigned long long)s.pool_hits, (unsigned long long)s.pool_busy_skips,
           (unsigned long long)s.pool_fence_waits);
    CHECK(wrong == 0, "%d readbacks showed another frame", wrong);
    CHECK(s.objects[GLVF_OBJECT_TEXTURE].created == 1 && s.pool_hits == 47,
          "one texture, reused after its fence (%llu created)",
          (unsigned long long)s.objects[GLVF_OBJECT_TEXTURE].created);
    CHECK(s.pool_fence_waits == s.pool_busy_skips, "every busy skip at the budget waits");
    end_ctx(&ctx);
}

typedef struct waiter {
    harness_ctx *h;
    void *fence;
    unsigned texture;
    glvf_plane_layout layout;
    GLenum wait_result;
    int wrong;
    bool ok;
} waiter;

static void *waiter_main(void *p)
{
    waiter *w = p;
    if (!harness_make_current(w->h))
        return NULL;
    GLsync sync = (GLsync)w->fence;
    glWaitSync(sync, 0, GL_TIMEOUT_IGNORED);
    w->wait_result = glClientWaitSync(sync, GL_SYNC_FLUSH_COMMANDS_BIT, 2000000000u);
    static uint8_t got[W * H_ * 4];
    w->ok = harness_read_plane(w->h, w->texture, &w->layout, got);
    for (size_t i = 0; w->ok && i < sizeof got; i += 4)
        w->wrong += got[i] != 1 || got[i + 1] != 2 || got[i + 2] != 3;
    glFinish();
    harness_release_current();
    return NULL;
}

static void test_frame_fence_shared(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx(0);
    REQUIRE(ctx, "create");
    harness_ctx *h2 = harness_ctx_create(API, H);
    if (!h2) {
        CHECK(false, "a context sharing objects with the owner");
        glvf_context_destroy(&ctx);
        return;
    }
    glvf_frame *f = upload_colour(ctx, 1, 2, 3);
    int err = 0;
    void *fence = f ? glvf_frame_fence(ctx, f, &err) : NULL;
    CHECK(fence && err == 0, "fence (%d)", err);
    CHECK(fence == glvf_frame_fence(ctx, f, NULL), "the same fence again");
    if (fence) {
        waiter w = { .h = h2, .fence = fence };
        glvf_frame_plane pl;
        glvf_frame_get_plane(f, 0, &pl);
        w.texture = pl.texture;
        glvf_plane_layout_get(ctx, GLVF_FORMAT_RGBA8, W, H_, 0, &w.layout);
        pthread_t th;
        pthread_create(&th, NULL, waiter_main, &w);
        pthread_join(th, NULL);
        CHECK(w.wait_result == GL_ALREADY_SIGNALED || w.wait_result == GL_CONDITION_SATISFIED,
              "the other context's wait ends (0x%x)", w.wait_result);
        CHECK(w.ok && w.wrong == 0, "it reads the uploaded bytes (%d wrong)", w.wrong);
        glvf_stats s;
        glvf_context_get_stats(ctx, &s);
        uint64_t syncs = s.objects[GLVF_OBJECT_SYNC].live;
        glvf_frame_unref(&f);
        glvf_context_collect(ctx);
        glvf_context_get_stats(ctx, &s);
        CHECK(s.objects[GLVF_OBJECT_SYNC].deleted >= 1 && s.objects[GLVF_OBJECT_SYNC].live <= syncs,
              "deleted after the last unref (live %llu, was %llu)",
              (unsigned long long)s.objects[GLVF_OBJECT_SYNC].live, (unsigned long long)syncs);
        CHECK(!glIsSync((GLsync)fence), "the GL object is gone");
    }
    glvf_frame_unref(&f);
    end_ctx(&ctx);
    harness_ctx_destroy(h2);
    harness_make_current(H);
}

int main(int argc, char **argv)
{
    int status;
    H = harness_test_start(argc, argv, &API, &status);
    if (!H)
        return status;
    RUN(test_reuse, NULL);
    RUN(test_budget_one_texture, NULL);
    RUN(test_frame_fence_shared, NULL);
    harness_ctx_destroy(H);
    check_log_clear();
    return check_finish();
}
