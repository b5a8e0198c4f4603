/*
 * The fence-aware texture pool on the fake GL, whose fences signal only
 * when the test says so (fakegl_set_fence_manual), lag until waited for
 * (fakegl_set_fence_lag) or never signal (fakegl_set_fence_never_signals):
 *
 *  - a texture whose fence has not signalled is never handed out; the
 *    oldest texture whose fence has signalled is;
 *  - every match busy and budget left: a new texture, until 3 of a kind are
 *    busy; then a wait for the oldest;
 *  - at the budget: a wait for the oldest busy match, then reuse; when the
 *    fence never signals, -ETIMEDOUT after fence_timeout_ms with one clear
 *    log line, and the context stays usable;
 *  - one fence per collect, not per texture;
 *  - glvf_frame_fence(): created once, flushed, owned by the frame (deleted
 *    at the next collect after the last unref, or at destroy for an orphan);
 *  - abandon makes no GL call, glDeleteSync included;
 *  - glvf_context_set_budget() / glvf_context_purge() off the GL thread
 *    make no GL call; the next collect applies them.
 */
#include "check.h"
#include "fakegl.h"
#include "glvf_glad.h"

#include <errno.h>
#include <glvf/glvf.h>

#define MAKE_CTX(...)                                                                      \
    glvf_context_create(glvf_context_params(                                               \
            .get_proc_address = fakegl_get_proc, .is_current = fakegl_is_current,          \
            .log = check_log, .flags = GLVF_CONTEXT_IGNORE_ENV,                            \
            .upload = GLVF_UPLOAD_CLIENT, __VA_ARGS__))

static uint8_t pixels[64 * 64 * 4];

/* a 64x64 gray frame: one texture of 4096 bytes */
static glvf_frame *upload_gray(glvf_context *ctx, int *err)
{
    glvf_image img = { .format = GLVF_FORMAT_GRAY8, .width = 64, .height = 64,
                       .planes = { { pixels, 64 } } };
    return glvf_upload(ctx, &img, NULL, err);
}

static unsigned tex_of(const glvf_frame *f)
{
    glvf_frame_plane p = { 0 };
    glvf_frame_get_plane(f, 0, &p);
    return p.texture;
}

static glvf_stats stats(glvf_context *ctx)
{
    glvf_stats s;
    glvf_context_get_stats(ctx, &s);
    return s;
}

static void setup(void)
{
    fakegl_reset(NULL);
    fakegl_set_current(true);
    check_log_clear();
}

static void finish(glvf_context **ctx)
{
    fakegl_set_fence_manual(false);
    fakegl_set_fence_lag(false);
    fakegl_set_fence_never_signals(false);
    CHECK(glvf_context_destroy(ctx), "destroy");
    fakegl_stats fs = fakegl_get_stats();
    CHECK(fs.live[FAKEGL_TEXTURE] == 0 && fs.live[FAKEGL_SYNC] == 0,
          "destroy deleted every texture and fence (tex %lu sync %lu)", fs.live[FAKEGL_TEXTURE],
          fs.live[FAKEGL_SYNC]);
    CHECK(fs.bad_deletes == 0, "%lu deletes of unknown names", fs.bad_deletes);
    CHECK(fs.violations == 0, "GL call while not current: %s", fakegl_first_violation());
}

static void test_busy_never_handed_out(void *arg)
{
    (void)arg;
    setup();
    glvf_context *ctx = MAKE_CTX(.log_level = GLVF_LOG_WARN);
    REQUIRE(ctx, "create");
    fakegl_set_fence_manual(true);
    glvf_frame *a = upload_gray(ctx, NULL), *b = upload_gray(ctx, NULL);
    REQUIRE(a && b, "uploads");
    unsigned ta = tex_of(a), tb = tex_of(b);
    glvf_frame_unref(&a);
    unsigned long fences0 = fakegl_get_stats().created[FAKEGL_SYNC];
    glvf_context_collect(ctx); /* fence 1 covers a's release */
    CHECK(fakegl_get_stats().created[FAKEGL_SYNC] == fences0 + 1, "one fence per collect");
    glvf_context_collect(ctx);
    CHECK(fakegl_get_stats().created[FAKEGL_SYNC] == fences0 + 1,
          "no fence when nothing was released since the last one");
    fakegl_signal_fences(); /* the GPU is done with a */
    glvf_frame_unref(&b);
    glvf_context_collect(ctx); /* fence 2, pending: b may still be read */

    glvf_frame *c = upload_gray(ctx, NULL);
    REQUIRE(c, "upload c");
    CHECK(tex_of(c) == ta, "c gets a's texture, the one whose fence signalled (%u, a %u b %u)",
          tex_of(c), ta, tb);
    glvf_frame *d = upload_gray(ctx, NULL);
    REQUIRE(d, "upload d");
    CHECK(tex_of(d) != tb && tex_of(d) != ta,
          "d does not get b's texture while its fence is pending (%u)", tex_of(d));
    glvf_stats s = stats(ctx);
    CHECK(s.pool_busy_skips == 1 && s.pool_fence_waits == 0, "busy skips %llu, waits %llu",
          (unsigned long long)s.pool_busy_skips, (unsigned long long)s.pool_fence_waits);
    CHECK(s.pool_hits == 1 && s.pool_misses == 3, "hits %llu misses %llu",
          (unsigned long long)s.pool_hits, (unsigned long long)s.pool_misses);

    /* many releases, one fence */
    glvf_frame_unref(&c);
    glvf_frame_unref(&d);
    fences0 = fakegl_get_stats().created[FAKEGL_SYNC];
    glvf_context_collect(ctx);
    CHECK(fakegl_get_stats().created[FAKEGL_SYNC] == fences0 + 1, "2 releases, 1 fence");

    fakegl_signal_fences();
    glvf_frame *g = upload_gray(ctx, NULL);
    CHECK(g && tex_of(g) == tb, "once signalled, b's texture (the oldest release) is reused");
    glvf_frame_unref(&g);
    s = stats(ctx);
    CHECK(s.objects[GLVF_OBJECT_TEXTURE].created == 3, "%llu textures",
          (unsigned long long)s.objects[GLVF_OBJECT_TEXTURE].created);
    glvf_context_collect(ctx);
    s = stats(ctx);
    CHECK(s.objects[GLVF_OBJECT_SYNC].live == fakegl_get_stats().live[FAKEGL_SYNC],
          "the tracker counts the fences (%llu vs %lu)",
          (unsigned long long)s.objects[GLVF_OBJECT_SYNC].live,
          fakegl_get_stats().live[FAKEGL_SYNC]);
    finish(&ctx);
}

static void test_busy_budget_left(void *arg)
{
    (void)arg;
    setup();
    glvf_context *ctx = MAKE_CTX(.log_level = GLVF_LOG_WARN);
    REQUIRE(ctx, "create");
    fakegl_set_fence_lag(true); /* polls find every fence pending, a wait ends it */
    unsigned names[5];
    for (int i = 0; i < 5; i++) {
        glvf_frame *f = upload_gray(ctx, NULL);
        REQUIRE(f, "upload %d", i);
        names[i] = tex_of(f);
        glvf_frame_unref(&f);
        glvf_context_collect(ctx);
    }
    glvf_stats s = stats(ctx);
    CHECK(names[0] != names[1] && names[1] != names[2] && names[0] != names[2],
          "all busy, budget left: a new texture each time (%u %u %u)", names[0], names[1],
          names[2]);
    /* three busy: the fourth and fifth wait for the oldest instead */
    CHECK(names[3] == names[0] && names[4] == names[1], "then the oldest after a wait (%u %u)",
          names[3], names[4]);
    CHECK(s.pool_busy_skips == 4 && s.pool_fence_waits == 2 && s.pool_misses == 3,
          "skips %llu waits %llu misses %llu", (unsigned long long)s.pool_busy_skips,
          (unsigned long long)s.pool_fence_waits, (unsigned long long)s.pool_misses);
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "a busy texture is not an error");
    finish(&ctx);
}

static void test_budget_wait(void *arg)
{
    (void)arg;
    setup();
    /* room for exactly two 64x64 gray textures */
    glvf_context *ctx = MAKE_CTX(.log_level = GLVF_LOG_WARN, .pool_budget_bytes = 8192);
    REQUIRE(ctx, "create");
    fakegl_set_fence_lag(true); /* polls: pending; a wait: signalled */
    glvf_frame *a = upload_gray(ctx, NULL), *b = upload_gray(ctx, NULL);
    REQUIRE(a && b, "uploads");
    unsigned ta = tex_of(a);
    glvf_frame_unref(&a);
    glvf_frame_unref(&b);
    glvf_context_collect(ctx);
    unsigned long waits0 = fakegl_call_count("ClientWaitSync");
    glvf_frame *c = upload_gray(ctx, NULL);
    REQUIRE(c, "upload at the budget");
    glvf_stats s = stats(ctx);
    CHECK(tex_of(c) == ta, "the oldest busy texture, after its fence (%u vs %u)", tex_of(c), ta);
    CHECK(s.pool_fence_waits == 1 && s.pool_busy_skips == 1, "waits %llu skips %llu",
          (unsigned long long)s.pool_fence_waits, (unsigned long long)s.pool_busy_skips);
    CHECK(s.objects[GLVF_OBJECT_TEXTURE].created == 2 && s.pool_bytes <= 8192,
          "no texture beyond the budget (%llu created, %llu bytes)",
          (unsigned long long)s.objects[GLVF_OBJECT_TEXTURE].created,
          (unsigned long long)s.pool_bytes);
    CHECK(fakegl_call_count("ClientWaitSync") - waits0 == 2, "one poll and one wait (%lu)",
          fakegl_call_count("ClientWaitSync") - waits0);
    /* the wait retired the fence: b's texture, released with a, is ready */
    glvf_frame *d = upload_gray(ctx, NULL);
    CHECK(d && stats(ctx).pool_fence_waits == 1, "b's texture needs no second wait");
    glvf_frame_unref(&c);
    glvf_frame_unref(&d);
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "no error");
    finish(&ctx);
}

static void test_budget_timeout(void *arg)
{
    (void)arg;
    setup();
    glvf_context *ctx = MAKE_CTX(.log_level = GLVF_LOG_WARN, .pool_budget_bytes = 8192,
                                 .fence_timeout_ms = 5);
    REQUIRE(ctx, "create");
    fakegl_set_fence_never_signals(true); /* a hung GPU */
    glvf_frame *a = upload_gray(ctx, NULL), *b = upload_gray(ctx, NULL);
    REQUIRE(a && b, "uploads");
    glvf_frame_unref(&a);
    glvf_frame_unref(&b);
    glvf_context_collect(ctx);
    check_log_clear();
    int err = 0;
    glvf_frame *c = upload_gray(ctx, &err);
    CHECK(!c && err == -ETIMEDOUT, "at the budget, a fence that never signals: -ETIMEDOUT (%d)",
          err);
    CHECK(check_log_count(GLVF_LOG_ERROR, "fence_timeout_ms (5 ms)") == 1,
          "one clear line from the pool");
    CHECK(check_log_count(GLVF_LOG_ERROR, "64x64 texture") == 1, "it names the size");
    glvf_stats s = stats(ctx);
    CHECK(s.pool_fence_waits == 1 && s.objects[GLVF_OBJECT_TEXTURE].created == 2 &&
              s.frames_live == 0,
          "waits %llu, textures %llu, frames %llu", (unsigned long long)s.pool_fence_waits,
          (unsigned long long)s.objects[GLVF_OBJECT_TEXTURE].created,
          (unsigned long long)s.frames_live);
    /* a frame in another format does not wait: nothing of its kind is busy */
    glvf_image rgba = { .format = GLVF_FORMAT_RGBA8, .width = 8, .height = 8,
                        .planes = { { pixels, 32 } } };
    glvf_frame *other = glvf_upload(ctx, &rgba, NULL, &err);
    CHECK(other, "another size evicts cached textures instead (%d)", err);
    glvf_frame_unref(&other);
    fakegl_set_fence_never_signals(false);
    c = upload_gray(ctx, &err);
    CHECK(c, "the context stays usable once the GPU recovers (%d)", err);
    glvf_frame_unref(&c);
    finish(&ctx);
}

static void test_frame_fence(void *arg)
{
    (void)arg;
    setup();
    glvf_context *ctx = MAKE_CTX(.log_level = GLVF_LOG_WARN);
    REQUIRE(ctx, "create");
    glvf_frame *f = upload_gray(ctx, NULL);
    REQUIRE(f, "upload");
    unsigned long syncs = fakegl_get_stats().live[FAKEGL_SYNC];
    unsigned long flushes = fakegl_call_count("Flush");
    int err = 1;
    void *s1 = glvf_frame_fence(ctx, f, &err);
    CHECK(s1 && err == 0, "a fence (%d)", err);
    CHECK(fakegl_call_count("Flush") == flushes + 1, "flushed, so another context can wait");
    void *s2 = glvf_frame_fence(ctx, f, NULL);
    CHECK(s2 == s1, "the same fence on later calls");
    CHECK(fakegl_get_stats().live[FAKEGL_SYNC] == syncs + 1, "one fence");
    glvf_stats st = stats(ctx);
    CHECK(st.objects[GLVF_OBJECT_SYNC].live == fakegl_get_stats().live[FAKEGL_SYNC],
          "tracked");
    fakegl_set_current(false);
    unsigned long calls = fakegl_get_stats().calls;
    CHECK(!glvf_frame_fence(ctx, f, &err) && err == -EPERM, "GL thread only (%d)", err);
    glvf_frame *ref = glvf_frame_ref(f);
    glvf_frame_unref(&f);
    glvf_frame_unref(&ref); /* last reference, off the GL thread */
    CHECK(fakegl_get_stats().calls == calls, "no GL call off the GL thread");
    fakegl_set_current(true);
    CHECK(fakegl_get_stats().live[FAKEGL_SYNC] == syncs + 1, "alive until the next collect");
    glvf_context_collect(ctx);
    glvf_context_collect(ctx);
    CHECK(fakegl_get_stats().deleted[FAKEGL_SYNC] >= 1 &&
              stats(ctx).objects[GLVF_OBJECT_SYNC].live == fakegl_get_stats().live[FAKEGL_SYNC],
          "deleted after the last unref");
    CHECK(!glvf_frame_fence(ctx, NULL, &err) && err == -EINVAL, "NULL frame");

    /* a frame outliving its context: the fence goes at destroy */
    glvf_frame *g = upload_gray(ctx, NULL);
    CHECK(glvf_frame_fence(ctx, g, NULL), "fence");
    CHECK(glvf_context_destroy(&ctx), "destroy");
    fakegl_stats fs = fakegl_get_stats();
    CHECK(fs.live[FAKEGL_SYNC] == 0 && fs.bad_deletes == 0, "deleted at destroy (%lu live)",
          fs.live[FAKEGL_SYNC]);
    calls = fs.calls;
    glvf_frame_unref(&g);
    CHECK(fakegl_get_stats().calls == calls && fakegl_get_stats().bad_deletes == 0,
          "the orphan's unref makes no GL call");
}

static void test_abandon_keeps_off_gl(void *arg)
{
    (void)arg;
    setup();
    glvf_context *ctx = MAKE_CTX(.log_level = GLVF_LOG_ERROR);
    REQUIRE(ctx, "create");
    fakegl_set_fence_manual(true);
    glvf_frame *a = upload_gray(ctx, NULL), *b = upload_gray(ctx, NULL);
    REQUIRE(a && b, "uploads");
    glvf_frame_unref(&a);
    glvf_context_collect(ctx); /* a pool fence, pending */
    CHECK(glvf_frame_fence(ctx, b, NULL), "a frame fence");
    glvf_stats s = stats(ctx);
    CHECK(s.objects[GLVF_OBJECT_SYNC].live == 2, "two fences (%llu)",
          (unsigned long long)s.objects[GLVF_OBJECT_SYNC].live);
    fakegl_set_current(false); /* the GL context is gone */
    unsigned long calls = fakegl_get_stats().calls;
    unsigned long deletes = fakegl_call_count("DeleteSync");
    glvf_context_abandon(&ctx);
    glvf_frame_unref(&b);
    CHECK(fakegl_get_stats().calls == calls, "abandon made %lu GL calls",
          fakegl_get_stats().calls - calls);
    CHECK(fakegl_call_count("DeleteSync") == deletes, "no glDeleteSync");
    CHECK(fakegl_get_stats().violations == 0, "violation: %s", fakegl_first_violation());
    fakegl_set_fence_manual(false);
}

/* set_budget and purge from a thread where the context is not current: no
 * GL call there; the next collect frees what they ask for, in one batch */
static void test_memory_requests_off_gl(void *arg)
{
    (void)arg;
    setup();
    glvf_context *ctx = MAKE_CTX(.log_level = GLVF_LOG_WARN);
    REQUIRE(ctx, "create");
    glvf_frame *f[6];
    for (int i = 0; i < 6; i++)
        f[i] = upload_gray(ctx, NULL);
    for (int i = 0; i < 5; i++)
        glvf_frame_unref(&f[i]);
    glvf_context_collect(ctx);
    glvf_stats s = stats(ctx);
    CHECK(s.purgeable_bytes == 5 * 4096 && s.pool_cached_bytes == 5 * 4096,
          "purgeable %llu", (unsigned long long)s.purgeable_bytes);
    fakegl_set_current(false);
    unsigned long calls = fakegl_get_stats().calls;
    CHECK(glvf_context_set_budget(ctx, 4 * 4096, 0) == 0, "set budget");
    CHECK(glvf_context_purge(ctx, 0, 3 * 4096) == 0, "purge");
    CHECK(fakegl_get_stats().calls == calls, "no GL call off the GL thread");
    CHECK(stats(ctx).pool_cached_textures == 5, "nothing freed before the collect");
    fakegl_set_current(true);
    unsigned long del_calls = fakegl_call_count("DeleteTextures");
    glvf_context_collect(ctx);
    s = stats(ctx);
    CHECK(s.pool_budget_bytes == 4 * 4096, "budget in force");
    CHECK(s.pool_bytes == 3 * 4096 && s.pool_cached_textures == 2 && s.purgeable_bytes == 2 * 4096,
          "budget then purge: %llu bytes, %llu cached", (unsigned long long)s.pool_bytes,
          (unsigned long long)s.pool_cached_textures);
    CHECK(fakegl_call_count("DeleteTextures") == del_calls + 1, "one batched delete");
    CHECK(fakegl_get_stats().live[FAKEGL_TEXTURE] == 3, "3 textures left in GL");
    glvf_frame_unref(&f[5]);
    finish(&ctx);
}

int main(void)
{
    RUN(test_busy_never_handed_out, NULL);
    RUN(test_busy_budget_left, NULL);
    RUN(test_budget_wait, NULL);
    RUN(test_budget_timeout, NULL);
    RUN(test_frame_fence, NULL);
    RUN(test_abandon_keeps_off_gl, NULL);
    RUN(test_memory_requests_off_gl, NULL);
    fakegl_reset(NULL);
    check_log_clear();
    return check_finish();
}
