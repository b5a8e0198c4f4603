/*
 * Contract tests on the fake GL: what real GL cannot show. The fake records
 * every GL call with the calling thread and whether the owning context was
 * "current" there (a thread-local flag that glvf's is_current reads).
 *
 *  - no GL call at all while the owning context is not current, including
 *    8 threads releasing frames and host objects while the GL thread uploads
 *    and collects;
 *  - drains are batched per kind and bounded per collect;
 *  - abandon makes zero GL calls; orphans dropped later make none either;
 *  - bad input at creation: NULL params, a loader missing a required
 *    function, contexts below GL 3.3 / GLES 3.0;
 *  - destroy deletes every object glvf created and reports leaks;
 *  - an injected GL_OUT_OF_MEMORY fails the upload cleanly and the context
 *    stays usable;
 *  - the pbo-persistent ring: bounded while the GPU lags; steady (no buffer
 *    after the warm-up when the lag starts later); changes of size replace
 *    slots within the budget.
 */
#include "check.h"
#include "fakegl.h"
#include "glvf_glad.h"

#include <errno.h>
#include <glvf/glvf.h>

static glvf_context *make_ctx_p(const glvf_context_params *p)
{
    return glvf_context_create(p);
}

#define MAKE_CTX(...)                                                                      \
    make_ctx_p(glvf_context_params(.get_proc_address = fakegl_get_proc,                    \
                                   .is_current = fakegl_is_current, .log = check_log,      \
                                   .flags = GLVF_CONTEXT_IGNORE_ENV, __VA_ARGS__))

static uint8_t pixels[64 * 64 * 4];

static glvf_frame *upload(glvf_context *ctx, glvf_format f, int w, int h)
{
    glvf_image img = { .format = f, .width = w, .height = h };
    for (int p = 0; p < glvf_format_planes(f); p++) {
        glvf_plane_layout l;
        glvf_plane_layout_get(ctx, f, w, h, p, &l);
        img.planes[p].data = pixels;
        img.planes[p].stride = l.row_bytes;
    }
    return glvf_upload(ctx, &img, NULL, NULL);
}

static void setup(void)
{
    fakegl_reset(NULL);
    fakegl_set_current(true);
    check_log_clear();
}

static void test_refused_when_not_current(void *arg)
{
    (void)arg;
    setup();
    glvf_context *ctx = MAKE_CTX(.log_level = GLVF_LOG_WARN);
    REQUIRE(ctx, "create");
    glvf_frame *f = upload(ctx, GLVF_FORMAT_NV12, 16, 16);
    REQUIRE(f, "upload");
    CHECK(glvf_staging_reserve(ctx, GLVF_FORMAT_NV12, 16, 16, 0, 1) == 0, "reserve");
    fakegl_set_current(false);
    unsigned long calls = fakegl_get_stats().calls;
    int err = 0;
    CHECK(!glvf_upload(ctx, &(glvf_image){ .format = GLVF_FORMAT_GRAY8, .width = 1,
                                           .height = 1, .planes = { { pixels, 1 } } },
                       NULL, &err) && err == -EPERM,
          "upload refused (%d)", err);
    CHECK(glvf_context_collect(ctx) == -EPERM, "collect refused");
    glvf_context *c = ctx;
    CHECK(!glvf_context_destroy(&c) && c == ctx, "destroy refused, pointer kept");
    CHECK(glvf_staging_reserve(ctx, GLVF_FORMAT_NV12, 16, 16, 0, 1) == -EPERM, "reserve");
    glvf_staging *st = glvf_staging_acquire(ctx, GLVF_FORMAT_NV12, 16, 16, 0, NULL);
    CHECK(st, "staging acquire is an any-thread call");
    CHECK(!glvf_staging_submit(ctx, &st, NULL, &err) && st && err == -EPERM,
          "submit refused, region kept");
    glvf_staging_release(&st);
    glvf_frame_unref(&f); /* any-thread: fine, no GL */
    glvf_stats s;
    glvf_context_get_stats(ctx, &s);
    CHECK(fakegl_get_stats().calls == calls, "%lu GL calls while not current",
          fakegl_get_stats().calls - calls);
    CHECK(fakegl_get_stats().violations == 0, "violation: %s", fakegl_first_violation());
    CHECK(s.rejected_calls == 5, "rejected %llu", (unsigned long long)s.rejected_calls);
    CHECK(check_log_count(GLVF_LOG_ERROR, "not current on this thread") == 5, "logged");
    fakegl_set_current(true);
    CHECK(glvf_context_destroy(&ctx), "destroy");
    CHECK(fakegl_get_stats().violations == 0, "violation: %s", fakegl_first_violation());
}

/* ---- 8 threads releasing while the GL thread uploads and collects ------- */

enum { THREADS = 8, PER_THREAD = 300 };

typedef struct releaser {
    glvf_context *ctx;
    glvf_frame **frames;
    unsigned *host_names;
    int n;
    pthread_t self;
} releaser;

static void *release_main(void *p)
{
    releaser *r = p;
    fakegl_set_current(false); /* never current here */
    r->self = pthread_self();
    for (int i = 0; i < r->n; i++) {
        glvf_frame *extra = glvf_frame_ref(r->frames[i]);
        glvf_frame_unref(&r->frames[i]);
        glvf_frame_unref(&extra);
        glvf_context_defer_delete(r->ctx, GLVF_OBJECT_TEXTURE, r->host_names[i]);
        glvf_stats s;
        glvf_context_get_stats(r->ctx, &s);
    }
    return NULL;
}

static void test_concurrent_release(void *arg)
{
    (void)arg;
    setup();
    /* a small budget: returned textures overflow it and are evicted through
     * the deferred queue, concurrently with the GL thread's own use */
    glvf_context *ctx = MAKE_CTX(.pool_budget_bytes = 64 * 1024);
    REQUIRE(ctx, "create");
    PFNGLGENTEXTURESPROC gen = (PFNGLGENTEXTURESPROC)fakegl_get_proc(NULL, "glGenTextures");
    releaser rel[THREADS];
    glvf_frame **frames = calloc(THREADS * PER_THREAD, sizeof *frames);
    unsigned *names = calloc(THREADS * PER_THREAD, sizeof *names);
    for (int i = 0; i < THREADS * PER_THREAD; i++) {
        frames[i] = upload(ctx, i % 3 ? GLVF_FORMAT_YUV420P : GLVF_FORMAT_NV12, 8 + i % 7, 8);
        gen(1, &names[i]); /* host objects, created on the GL thread */
    }
    fakegl_clear_calls();
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++) {
        rel[t] = (releaser){ .ctx = ctx, .frames = frames + t * PER_THREAD,
                             .host_names = names + t * PER_THREAD, .n = PER_THREAD };
        pthread_create(&th[t], NULL, release_main, &rel[t]);
    }
    /* meanwhile the GL thread keeps working */
    int gl_uploads = 0;
    for (int i = 0; i < 400; i++) {
        glvf_frame *f = upload(ctx, GLVF_FORMAT_YUV420P, 8 + i % 5, 8);
        gl_uploads += f != NULL;
        glvf_frame_unref(&f);
        glvf_context_collect(ctx);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    while (glvf_context_collect(ctx) > 0) {
    }
    fakegl_stats fs = fakegl_get_stats();
    unsigned long off_thread = 0;
    for (int t = 0; t < THREADS; t++)
        off_thread += fakegl_calls_on_thread(rel[t].self);
    glvf_stats s;
    glvf_context_get_stats(ctx, &s);
    printf("# %d releasing threads x %d frames + host textures; GL thread: %d uploads; "
           "GL calls %lu, off the GL thread %lu, violations %lu; deferred total %llu, "
           "texture deletes %lu in %lu glDeleteTextures calls\n",
           THREADS, PER_THREAD, gl_uploads, fs.calls, off_thread, fs.violations,
           (unsigned long long)s.deferred_total, fs.deleted[FAKEGL_TEXTURE],
           fs.delete_calls[FAKEGL_TEXTURE]);
    CHECK(gl_uploads == 400, "uploads");
    CHECK(fs.violations == 0, "GL call while not current: %s", fakegl_first_violation());
    CHECK(off_thread == 0, "%lu GL calls from releasing threads", off_thread);
    CHECK(s.frames_live == 0, "all frames released");
    CHECK(s.deferred_pending == 0, "queue drained");
    CHECK(fs.bad_deletes == 0, "no unknown name deleted");
    /* every host name was deleted exactly once */
    int alive = 0;
    for (int i = 0; i < THREADS * PER_THREAD; i++)
        alive += fakegl_texture_alive(names[i]);
    CHECK(alive == 0, "%d host textures not deleted", alive);
    CHECK(fs.delete_calls[FAKEGL_TEXTURE] < fs.deleted[FAKEGL_TEXTURE] / 4,
          "deletes are batched");
    /* the tracker agrees with the GL side */
    CHECK(s.objects[GLVF_OBJECT_TEXTURE].live == fs.live[FAKEGL_TEXTURE],
          "tracker live %llu vs GL live %lu",
          (unsigned long long)s.objects[GLVF_OBJECT_TEXTURE].live, fs.live[FAKEGL_TEXTURE]);
    CHECK(glvf_context_destroy(&ctx), "destroy");
    fs = fakegl_get_stats();
    CHECK(fs.live[FAKEGL_TEXTURE] == 0 && fs.live[FAKEGL_BUFFER] == 0 &&
          fs.live[FAKEGL_SYNC] == 0,
          "destroy deleted everything (tex %lu buf %lu sync %lu)", fs.live[FAKEGL_TEXTURE],
          fs.live[FAKEGL_BUFFER], fs.live[FAKEGL_SYNC]);
    free(frames);
    free(names);
}

static void test_bounded_batched_drain(void *arg)
{
    (void)arg;
    setup();
    glvf_context *ctx = MAKE_CTX(.max_deletes_per_collect = 16);
    REQUIRE(ctx, "create");
    PFNGLGENTEXTURESPROC gen = (PFNGLGENTEXTURESPROC)fakegl_get_proc(NULL, "glGenTextures");
    PFNGLGENBUFFERSPROC genb = (PFNGLGENBUFFERSPROC)fakegl_get_proc(NULL, "glGenBuffers");
    unsigned tex[40], buf[10];
    gen(40, tex);
    genb(10, buf);
    for (int i = 0; i < 40; i++)
        glvf_context_defer_delete(ctx, GLVF_OBJECT_TEXTURE, tex[i]);
    for (int i = 0; i < 10; i++)
        glvf_context_defer_delete(ctx, GLVF_OBJECT_BUFFER, buf[i]);
    fakegl_clear_calls();
    int n1 = glvf_context_collect(ctx);
    fakegl_stats a = fakegl_get_stats();
    int n2 = glvf_context_collect(ctx);
    int n3 = glvf_context_collect(ctx);
    int n4 = glvf_context_collect(ctx);
    int n5 = glvf_context_collect(ctx);
    fakegl_stats b = fakegl_get_stats();
    printf("# drains: %d %d %d %d %d; glDeleteTextures calls %lu, glDeleteBuffers calls %lu\n",
           n1, n2, n3, n4, n5, b.delete_calls[FAKEGL_TEXTURE], b.delete_calls[FAKEGL_BUFFER]);
    CHECK(n1 == 16 && n2 == 16 && n3 == 16 && n4 == 2 && n5 == 0, "bounded to 16 per collect");
    CHECK(a.delete_calls[FAKEGL_TEXTURE] + a.delete_calls[FAKEGL_BUFFER] <= 2,
          "a 16-object drain is one or two glDelete calls");
    CHECK(b.delete_calls[FAKEGL_BUFFER] == 1, "10 buffers in one call");
    CHECK(b.deleted[FAKEGL_TEXTURE] == 40 && b.deleted[FAKEGL_BUFFER] == 10, "all deleted");
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

static void test_abandon_no_gl(void *arg)
{
    (void)arg;
    setup();
    glvf_context *ctx = MAKE_CTX(.upload = GLVF_UPLOAD_PBO_PERSISTENT);
    REQUIRE(ctx, "create");
    glvf_frame *f = upload(ctx, GLVF_FORMAT_YUV420P, 32, 32);
    glvf_frame *g = upload(ctx, GLVF_FORMAT_NV12, 32, 32);
    glvf_frame_unref(&g);
    glvf_context_defer_delete(ctx, GLVF_OBJECT_BUFFER, 12345);
    glvf_staging *st = glvf_staging_acquire(ctx, GLVF_FORMAT_YUV420P, 32, 32, 0, NULL);
    CHECK(f, "upload");
    fakegl_set_current(false); /* the window closed: the context is gone */
    unsigned long calls = fakegl_get_stats().calls;
    glvf_context_abandon(&ctx);
    CHECK(!ctx, "pointer cleared");
    glvf_frame_unref(&f);
    glvf_staging_release(&st);
    CHECK(fakegl_get_stats().calls == calls, "abandon made %lu GL calls",
          fakegl_get_stats().calls - calls);
    CHECK(check_log_count(GLVF_LOG_WARN, "leak report: 1 frame") == 1, "leak report");
    CHECK(check_log_count(GLVF_LOG_WARN, "orphan") >= 1, "orphan warning");
}

static void test_leak_report(void *arg)
{
    (void)arg;
    setup();
    glvf_context *ctx = glvf_context_create(glvf_context_params(
            .get_proc_address = fakegl_get_proc, .is_current = fakegl_is_current,
            .log = check_log, .flags = GLVF_CONTEXT_IGNORE_ENV | GLVF_CONTEXT_TRACK_SITES));
    REQUIRE(ctx, "create");
    glvf_frame *a = upload(ctx, GLVF_FORMAT_RGBA8, 16, 16);  /* 1024 bytes */
    glvf_frame *b = upload(ctx, GLVF_FORMAT_YUV420P, 16, 16); /* 256 + 64 + 64 */
    glvf_frame *c = upload(ctx, GLVF_FORMAT_GRAY8, 4, 4);
    glvf_frame_unref(&c);
    check_log_clear();
    CHECK(glvf_context_destroy(&ctx), "destroy");
    CHECK(check_log_count(GLVF_LOG_WARN, "leak report: 2 frame(s) (1408 bytes of textures)") ==
              1,
          "count and bytes");
    CHECK(check_log_count(GLVF_LOG_WARN, "leaked frame") == 2, "one line per frame");
    CHECK(check_log_count(GLVF_LOG_WARN, "16x16 rgba") == 1, "size and format");
    CHECK(check_log_count(GLVF_LOG_WARN, "created at:") == 2, "creation sites");
    fakegl_stats fs = fakegl_get_stats();
    CHECK(fs.live[FAKEGL_TEXTURE] == 0, "leaked frames' textures deleted at destroy");
    glvf_frame_unref(&a);
    glvf_frame_unref(&b);
    CHECK(fakegl_get_stats().calls == fs.calls, "orphan drops make no GL call");
}

static const char *missing_fn;
static void *loader_missing(void *user, const char *name)
{
    if (!strcmp(name, missing_fn))
        return NULL;
    return fakegl_get_proc(user, name);
}

static void test_bad_create(void *arg)
{
    (void)arg;
    setup();
    CHECK(glvf_context_create(NULL) == NULL, "NULL params");
    missing_fn = "glMapBufferRange";
    glvf_context *ctx = glvf_context_create(glvf_context_params(
            .get_proc_address = loader_missing, .is_current = fakegl_is_current,
            .log = check_log));
    CHECK(!ctx, "a loader missing glMapBufferRange fails");
    CHECK(check_log_count(GLVF_LOG_ERROR, "required function glMapBufferRange") == 1,
          "the log names the function");
    missing_fn = "glGetString";
    check_log_clear();
    CHECK(!glvf_context_create(glvf_context_params(.get_proc_address = loader_missing,
                                                   .is_current = fakegl_is_current,
                                                   .log = check_log)),
          "no glGetString");
    CHECK(check_log_count(GLVF_LOG_ERROR, "glGetString") == 1, "logged");

    fakegl_reset(&(fakegl_config){ .major = 3, .minor = 2 });
    check_log_clear();
    CHECK(!MAKE_CTX(.log_level = 0), "GL 3.2 is too old");
    CHECK(check_log_count(GLVF_LOG_ERROR, "too old") == 1, "logged");
    fakegl_reset(&(fakegl_config){ .gles = true, .major = 2, .minor = 0 });
    check_log_clear();
    CHECK(!MAKE_CTX(.log_level = 0), "GLES 2.0 is too old");
    CHECK(check_log_count(GLVF_LOG_ERROR, "too old") == 1, "logged");
    /* one unrelated extension: glad's loader fails on a context reporting
     * none at all (malloc(0) may return NULL there); no real context does */
    fakegl_reset(&(fakegl_config){
            .gles = true, .major = 3, .minor = 0,
            .extensions = (const char *const[]){ "GL_EXT_color_buffer_float", NULL } });
    ctx = MAKE_CTX(.log_level = 0);
    CHECK(ctx, "GLES 3.0 without the optional extensions works");
    if (ctx) {
        const glvf_caps *c = glvf_context_get_caps(ctx);
        CHECK(c->is_gles && !c->texture_norm16 && !c->buffer_storage && !c->khr_debug,
              "caps follow the extensions");
        glvf_plane_layout l;
        glvf_plane_layout_get(ctx, GLVF_FORMAT_P010, 16, 16, 1, &l);
        CHECK(l.internal_format == 0x8058 /* GL_RGBA8 */ && l.bytes_per_texel == 4,
              "RG16 falls back to RGBA8 bytes");
        glvf_frame *f = upload(ctx, GLVF_FORMAT_P010, 16, 16);
        CHECK(f, "P010 uploads through the fallback");
        glvf_frame_unref(&f);
        glvf_context_destroy(&ctx);
    }
    fakegl_set_current(false);
    fakegl_reset(NULL);
    check_log_clear();
    CHECK(!MAKE_CTX(.log_level = 0), "not current at create");
    CHECK(check_log_count(GLVF_LOG_ERROR, "not current") == 1, "logged");
    CHECK(fakegl_get_stats().calls == 0, "and no GL call");
}

static void test_injected_oom(void *arg)
{
    (void)arg;
    setup();
    glvf_context *ctx = MAKE_CTX(.log_level = 0);
    REQUIRE(ctx, "create");
    fakegl_fail("TexStorage2D", 2, 0x0505 /* GL_OUT_OF_MEMORY */);
    int err = 0;
    glvf_image img = { .format = GLVF_FORMAT_YUV420P, .width = 64, .height = 64,
                       .planes = { { pixels, 64 }, { pixels, 32 }, { pixels, 32 } } };
    glvf_frame *f = glvf_upload(ctx, &img, NULL, &err);
    CHECK(!f && err == -ENOMEM, "upload fails with -ENOMEM (%d)", err);
    CHECK(check_log_count(GLVF_LOG_ERROR, "GL_OUT_OF_MEMORY") == 1, "logged");
    glvf_stats s;
    glvf_context_get_stats(ctx, &s);
    CHECK(s.frames_live == 0, "no frame leaked");
    f = glvf_upload(ctx, &img, NULL, &err);
    CHECK(f, "the context stays usable (%d)", err);
    glvf_frame_unref(&f);
    CHECK(glvf_context_destroy(&ctx), "destroy");
    fakegl_stats fs = fakegl_get_stats();
    CHECK(fs.live[FAKEGL_TEXTURE] == 0, "nothing left");
    fakegl_fail_clear();
}

/* glGetError reporting an error on every call (GL_CONTEXT_LOST on a lost
 * context): every call returns, reading a bounded number of errors */
static void test_error_forever(void *arg)
{
    (void)arg;
    setup();
    glvf_context *ctx = MAKE_CTX(.log_level = 0);
    REQUIRE(ctx, "create");
    glvf_frame *f = upload(ctx, GLVF_FORMAT_RGBA8, 16, 16);
    REQUIRE(f, "upload");
    fakegl_clear_calls();
    fakegl_set_error_forever(0x0507 /* GL_CONTEXT_LOST */);
    int err = 0;
    glvf_image img = { .format = GLVF_FORMAT_RGBA8, .width = 16, .height = 16,
                       .planes = { { pixels, 64 } } };
    glvf_frame *g = glvf_upload(ctx, &img, NULL, &err);
    CHECK(!g && err < 0, "the upload fails (%d), it does not hang", err);
    CHECK(glvf_render(ctx, f, NULL) < 0, "the render fails, it does not hang");
    CHECK(fakegl_call_count("GetError") < 200, "glGetError read a bounded number of times (%lu)",
          fakegl_call_count("GetError"));
    fakegl_set_error_forever(0);
    glvf_frame_unref(&f);
    glvf_frame_unref(&g);
    glvf_context_abandon(&ctx);
}

/* The pbo-persistent ring does not grow while the GPU lags: at most 3 slots
 * of a size in flight, then the oldest fence is waited for (bounded by
 * fence_timeout_ms: an error, not a new buffer). */
static void test_ring_bounded(void *arg)
{
    (void)arg;
    setup();
    glvf_context *ctx = MAKE_CTX(.upload = GLVF_UPLOAD_PBO_PERSISTENT, .fence_timeout_ms = 5);
    REQUIRE(ctx, "create");
    glvf_image img = { .format = GLVF_FORMAT_YUV420P, .width = 64, .height = 64,
                       .planes = { { pixels, 64 }, { pixels, 32 }, { pixels, 32 } } };
    fakegl_set_fence_never_signals(true);
    int err = 0;
    /* the frames are held: the pool has no busy texture to wait for, only
     * the staging ring does */
    glvf_frame *held[3] = { NULL, NULL, NULL };
    for (int i = 0; i < 3; i++) {
        held[i] = glvf_upload(ctx, &img, NULL, &err);
        CHECK(held[i], "upload %d while the GPU lags (%d)", i, err);
    }
    check_log_clear();
    glvf_frame *f = glvf_upload(ctx, &img, NULL, &err);
    CHECK(!f && err == -ETIMEDOUT, "the fourth waits for the oldest fence and times out (%d)",
          err);
    for (int i = 0; i < 3; i++)
        glvf_frame_unref(&held[i]);
    CHECK(check_log_count(GLVF_LOG_ERROR, "staging fence timed out") == 1, "logged");
    glvf_stats s;
    glvf_context_get_stats(ctx, &s);
    CHECK(s.staging_slots == 3 && s.objects[GLVF_OBJECT_BUFFER].created == 3,
          "no fourth buffer (slots %llu, buffers %llu)", (unsigned long long)s.staging_slots,
          (unsigned long long)s.objects[GLVF_OBJECT_BUFFER].created);
    CHECK(s.staging_waits >= 1, "the wait is counted");
    fakegl_set_fence_never_signals(false);
    for (int i = 0; i < 100; i++) {
        f = glvf_upload(ctx, &img, NULL, &err);
        CHECK(f, "upload after the GPU caught up (%d)", err);
        glvf_frame_unref(&f);
        glvf_context_collect(ctx);
    }
    glvf_context_get_stats(ctx, &s);
    printf("# ring: %llu slots, %llu buffers created, %llu waits over 104 uploads\n",
           (unsigned long long)s.staging_slots,
           (unsigned long long)s.objects[GLVF_OBJECT_BUFFER].created,
           (unsigned long long)s.staging_waits);
    CHECK(s.objects[GLVF_OBJECT_BUFFER].created == 3, "the same 3 buffers are reused");
    CHECK(s.objects[GLVF_OBJECT_SYNC].live <= 3, "fences retired");
    CHECK(glvf_context_destroy(&ctx), "destroy");
    CHECK(fakegl_get_stats().live[FAKEGL_BUFFER] == 0, "buffers deleted");
}

static uint64_t buffers_created(glvf_context *ctx, glvf_stats *s)
{
    glvf_context_get_stats(ctx, s);
    return s->objects[GLVF_OBJECT_BUFFER].created;
}

/* The ring is steady: the first upload of a size creates its whole working
 * set (3 slots), so a GPU that starts lagging after the warm-up makes
 * uploads wait for the oldest fence, never creates a buffer. (Before, the
 * ring grew lazily: a slot was created whenever no fence had signalled, so
 * a lag after the warm-up added buffers and touched new memory.) */
static void test_ring_steady(void *arg)
{
    (void)arg;
    setup();
    glvf_context *ctx = MAKE_CTX(.upload = GLVF_UPLOAD_PBO_PERSISTENT);
    REQUIRE(ctx, "create");
    glvf_stats s;
    glvf_frame *prev = NULL;
    for (int i = 0; i < 8; i++) { /* warm-up: the GPU keeps up */
        glvf_frame *f = upload(ctx, GLVF_FORMAT_YUV420P, 64, 64);
        CHECK(f, "warm-up upload %d", i);
        if (i == 0)
            CHECK(buffers_created(ctx, &s) == 3 && s.staging_slots == 3,
                  "the first upload creates the working set (%llu buffers)",
                  (unsigned long long)s.objects[GLVF_OBJECT_BUFFER].created);
        glvf_frame_unref(&prev);
        prev = f;
        glvf_context_collect(ctx);
    }
    uint64_t warm = buffers_created(ctx, &s);
    uint64_t waits0 = s.staging_waits;
    fakegl_set_fence_lag(true); /* then it lags: polls say "not yet" */
    for (int i = 0; i < 100; i++) {
        glvf_frame *f = upload(ctx, GLVF_FORMAT_YUV420P, 64, 64);
        CHECK(f, "upload %d while the GPU lags", i);
        glvf_frame_unref(&prev);
        prev = f;
        glvf_context_collect(ctx);
    }
    uint64_t after = buffers_created(ctx, &s);
    printf("# lag after warm-up: %llu buffers at warm-up, %llu created after it, %llu waits\n",
           (unsigned long long)warm, (unsigned long long)(after - warm),
           (unsigned long long)(s.staging_waits - waits0));
    CHECK(after == warm, "no buffer created after the warm-up (%llu)",
          (unsigned long long)(after - warm));
    CHECK(s.staging_waits > waits0, "uploads waited for the oldest fence instead");
    glvf_frame_unref(&prev);
    CHECK(glvf_context_destroy(&ctx), "destroy");
    CHECK(fakegl_get_stats().live[FAKEGL_BUFFER] == 0, "buffers deleted");
}

/* Changes of size replace slots within the budget: a budget with room for
 * one working set of the large size and one slot of the small one; sizes
 * alternate, with the GPU keeping up and lagging. Every upload succeeds,
 * the ring never exceeds the budget, and buffers are created only in the
 * first 3 uploads after a switch (the replaced slots), never later. */
static void test_ring_size_change(void *arg)
{
    (void)arg;
    setup();
    /* 64x64 yuv420p: an 8 KiB slot; 128x128: 24 KiB */
    size_t budget = 3 * 24576 + 8192;
    glvf_context *ctx = MAKE_CTX(.upload = GLVF_UPLOAD_PBO_PERSISTENT,
                                 .staging_budget_bytes = budget, .fence_timeout_ms = 50);
    REQUIRE(ctx, "create");
    glvf_stats s;
    glvf_frame *prev = NULL;
    for (int lag = 0; lag < 2; lag++) {
        fakegl_set_fence_lag(lag);
        for (int run = 0; run < 6; run++) {
            int size = run % 2 ? 128 : 64;
            uint64_t b0 = buffers_created(ctx, &s);
            for (int i = 0; i < 20; i++) {
                glvf_frame *f = upload(ctx, GLVF_FORMAT_YUV420P, size, size);
                CHECK(f, "%s: %dx%d upload %d of run %d", lag ? "lagging" : "keeping up",
                      size, size, i, run);
                glvf_frame_unref(&prev);
                prev = f;
                glvf_context_collect(ctx);
                glvf_context_get_stats(ctx, &s);
                CHECK(s.staging_bytes <= budget, "within the budget (%llu > %zu)",
                      (unsigned long long)s.staging_bytes, budget);
                if (i == 2)
                    b0 = s.objects[GLVF_OBJECT_BUFFER].created;
            }
            CHECK(buffers_created(ctx, &s) == b0,
                  "%dx%d run %d: buffers only at the switch (%llu after it)", size, size, run,
                  (unsigned long long)(s.objects[GLVF_OBJECT_BUFFER].created - b0));
            CHECK(s.objects[GLVF_OBJECT_BUFFER].live == s.staging_slots,
                  "every live buffer is a slot of the ring (%llu buffers, %llu slots)",
                  (unsigned long long)s.objects[GLVF_OBJECT_BUFFER].live,
                  (unsigned long long)s.staging_slots);
        }
    }
    glvf_context_get_stats(ctx, &s);
    printf("# size changes: %llu buffers created over 12 runs, %llu live, %llu bytes of %zu\n",
           (unsigned long long)s.objects[GLVF_OBJECT_BUFFER].created,
           (unsigned long long)s.objects[GLVF_OBJECT_BUFFER].live,
           (unsigned long long)s.staging_bytes, budget);
    glvf_frame_unref(&prev);
    fakegl_set_fence_lag(false);
    CHECK(glvf_context_destroy(&ctx), "destroy");
    CHECK(fakegl_get_stats().live[FAKEGL_BUFFER] == 0, "buffers deleted");
}

int main(void)
{
    RUN(test_refused_when_not_current, NULL);
    RUN(test_concurrent_release, NULL);
    RUN(test_bounded_batched_drain, NULL);
    RUN(test_abandon_no_gl, NULL);
    RUN(test_leak_report, NULL);
    RUN(test_bad_create, NULL);
    RUN(test_injected_oom, NULL);
    RUN(test_error_forever, NULL);
    RUN(test_ring_bounded, NULL);
    RUN(test_ring_steady, NULL);
    RUN(test_ring_size_change, NULL);
    fakegl_reset(NULL);
    check_log_clear();
    return check_finish();
}
