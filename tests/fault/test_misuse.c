/*
 * Misuse on the fake GL: each case behaves as include/glvf/glvf.h documents
 * it -- detected and logged, never undefined behaviour inside glvf (ASan
 * and UBSan watch in CI). The case glvf cannot detect (a stale handle
 * whose memory was freed, with its context) is stated in glvf.h and not
 * run here: it is undefined behaviour in the caller, as with free().
 *
 *  - stale handles: a frame or region handle kept after its last unref or
 *    release, its memory reused by the next frame or region, is refused
 *    everywhere (generation) and never acts on the new object;
 *  - unref after the last reference (and ref after it); a staging region
 *    released twice, submitted after release;
 *  - destroy twice through the same pointer (harmless), through a stale
 *    copy while orphans keep the context's memory (detected, refused);
 *  - a frame of one context rendered with another, an orphan rendered, a
 *    staging region submitted to another context;
 *  - collect, upload, render, reserve and destroy on a thread where the
 *    owning context is not current: refused, -EPERM, no GL call there;
 *  - NULL handles and bad parameters.
 */
#include "check.h"
#include "fakegl.h"

#include <errno.h>
#include <glvf/glvf.h>
#include <limits.h>
#include <stdint.h>

static uint8_t pixels[64 * 64 * 4];

static glvf_context *make_ctx(void)
{
    return glvf_context_create(glvf_context_params(
            .get_proc_address = fakegl_get_proc, .is_current = fakegl_is_current,
            .log = check_log, .flags = GLVF_CONTEXT_IGNORE_ENV,
            .upload = GLVF_UPLOAD_CLIENT));
}

static glvf_frame *upload(glvf_context *ctx, int *err)
{
    glvf_image img = { .format = GLVF_FORMAT_NV12, .width = 16, .height = 16,
                       .planes = { { pixels, 16 }, { pixels, 16 } } };
    return glvf_upload(ctx, &img, NULL, err);
}

static void setup(void)
{
    fakegl_reset(NULL);
    fakegl_set_current(true);
    check_log_clear();
}

static void test_unref_after_last(void *arg)
{
    (void)arg;
    setup();
    glvf_context *ctx = make_ctx();
    REQUIRE(ctx, "create");
    glvf_frame *f = upload(ctx, NULL);
    REQUIRE(f, "upload");
    glvf_frame *copy = f;
    glvf_frame_unref(&f);
    CHECK(!f, "the pointer is cleared");
    glvf_frame_unref(&f); /* cleared pointer: a no-op */
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "no error for a cleared pointer");
    unsigned long calls = fakegl_get_stats().calls;
    glvf_frame *stale = copy;
    glvf_frame_unref(&stale); /* the stale copy: no reference left */
    CHECK(check_log_count(GLVF_LOG_ERROR, "has no reference left") == 1,
          "unref after the last reference is logged");
    CHECK(!glvf_frame_ref(copy), "ref after the last reference refuses (NULL)");
    CHECK(glvf_frame_width(copy) == 0 && glvf_frame_planes(copy) == 0 &&
              !glvf_frame_image(copy) && !glvf_frame_context(copy),
          "accessors of a released frame answer nothing");
    glvf_stats s;
    glvf_context_get_stats(ctx, &s);
    CHECK(s.frames_live == 0, "the count did not go negative: %llu",
          (unsigned long long)s.frames_live);
    CHECK(s.pool_cached_textures == 2, "the textures were returned once (%llu cached)",
          (unsigned long long)s.pool_cached_textures);
    CHECK(fakegl_get_stats().calls == calls, "no GL call");
    /* the pool keeps working: the next frames reuse the two textures */
    glvf_frame *g = upload(ctx, NULL);
    glvf_frame *h = upload(ctx, NULL);
    CHECK(g && h, "uploads after the misuse");
    glvf_context_get_stats(ctx, &s);
    CHECK(s.pool_misses == 4 && s.frames_live == 2, "misses %llu live %llu",
          (unsigned long long)s.pool_misses, (unsigned long long)s.frames_live);
    glvf_frame_unref(&g);
    glvf_frame_unref(&h);

    /* a staging region released twice, then submitted */
    glvf_staging *st = glvf_staging_acquire(ctx, GLVF_FORMAT_GRAY8, 16, 16, 0, NULL);
    REQUIRE(st, "acquire");
    glvf_staging *st_copy = st;
    glvf_staging_release(&st);
    CHECK(!st, "cleared");
    check_log_clear();
    glvf_staging *st_stale = st_copy;
    glvf_staging_release(&st_stale);
    CHECK(check_log_count(GLVF_LOG_ERROR, "already released") == 1, "double release logged");
    int err = 0;
    st_stale = st_copy;
    CHECK(!glvf_staging_submit(ctx, &st_stale, NULL, &err) && err == -EINVAL,
          "submit after release refused (%d)", err);
    CHECK(check_log_count(GLVF_LOG_ERROR, "not a live staging region") == 1, "logged");
    CHECK(!glvf_staging_image(st_copy), "no image from a released region");
    CHECK(glvf_context_destroy(&ctx), "destroy");
    CHECK(fakegl_get_stats().live[FAKEGL_TEXTURE] == 0, "nothing left");
}

static void test_stale_handles(void *arg)
{
    (void)arg;
    setup();
    glvf_context *ctx = make_ctx();
    REQUIRE(ctx, "create");
    glvf_frame *a = upload(ctx, NULL);
    REQUIRE(a, "upload");
    glvf_frame *stale = a;
    glvf_frame_unref(&a);
    glvf_frame *b = upload(ctx, NULL); /* the pooled frame memory, reused */
    REQUIRE(b, "upload");
    printf("# frame handles: released %p, new %p\n", (void *)stale, (void *)b);
    CHECK(stale != b, "the new frame's handle differs from the stale one");
    check_log_clear();
    CHECK(glvf_frame_width(stale) == 0 && !glvf_frame_image(stale) && !glvf_frame_ref(stale) &&
              !glvf_frame_context(stale),
          "the stale handle answers nothing");
    CHECK(glvf_render(ctx, stale, NULL) == -EINVAL, "render refuses it");
    int err = 0;
    CHECK(!glvf_frame_fence(ctx, stale, &err) && err == -EINVAL, "fence refuses it");
    glvf_frame *s2 = stale;
    glvf_frame_unref(&s2);
    CHECK(check_log_count(GLVF_LOG_ERROR, "another frame's now") == 1,
          "the stale unref is logged as such");
    glvf_stats s;
    glvf_context_get_stats(ctx, &s);
    CHECK(s.frames_live == 1 && glvf_frame_width(b) == 16, "the new frame is untouched");
    glvf_frame_unref(&b);
    glvf_context_get_stats(ctx, &s);
    CHECK(s.frames_live == 0, "and its own unref releases it");

    glvf_staging *r = glvf_staging_acquire(ctx, GLVF_FORMAT_GRAY8, 16, 16, 0, NULL);
    if (!r) { /* the first acquire asks the GL thread for a region */
        glvf_context_collect(ctx);
        r = glvf_staging_acquire(ctx, GLVF_FORMAT_GRAY8, 16, 16, 0, NULL);
    }
    REQUIRE(r, "acquire");
    glvf_staging *rstale = r;
    glvf_staging_release(&r);
    glvf_staging *r2 = glvf_staging_acquire(ctx, GLVF_FORMAT_GRAY8, 16, 16, 0, NULL);
    REQUIRE(r2, "acquire again");
    printf("# region handles: released %p, new %p\n", (void *)rstale, (void *)r2);
    CHECK(rstale != r2 && !glvf_staging_image(rstale) && glvf_staging_image(r2),
          "the stale region handle answers nothing, the new one works");
    check_log_clear();
    glvf_staging *rs = rstale;
    CHECK(!glvf_staging_submit(ctx, &rs, NULL, &err) && err == -EINVAL,
          "submit through the stale handle is refused");
    rs = rstale;
    glvf_staging_release(&rs);
    CHECK(check_log_count(GLVF_LOG_ERROR, "another region's now") == 1, "release logged");
    glvf_frame *g = glvf_staging_submit(ctx, &r2, NULL, &err);
    CHECK(g && !r2, "the new region submits (%d)", err);
    glvf_frame_unref(&g);
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

static void test_destroy_twice(void *arg)
{
    (void)arg;
    setup();
    glvf_context *ctx = make_ctx();
    REQUIRE(ctx, "create");
    CHECK(glvf_context_destroy(&ctx) && !ctx, "destroy clears the pointer");
    CHECK(glvf_context_destroy(&ctx), "destroy again through the same pointer: no-op, true");
    CHECK(glvf_context_destroy(NULL), "destroy(NULL)");
    glvf_context_abandon(&ctx); /* also a no-op */
    glvf_context_abandon(NULL);
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "nothing to report");

    /* through a stale copy, while an orphan keeps the context's memory */
    ctx = make_ctx();
    REQUIRE(ctx, "create");
    glvf_frame *f = upload(ctx, NULL);
    REQUIRE(f, "upload");
    glvf_context *copy = ctx;
    CHECK(glvf_context_destroy(&ctx), "destroy");
    unsigned long calls = fakegl_get_stats().calls;
    check_log_clear();
    glvf_context *stale = copy;
    CHECK(!glvf_context_destroy(&stale) && stale == copy,
          "destroy through the stale copy is refused, pointer kept");
    glvf_context_abandon(&stale);
    CHECK(!stale, "abandon clears the stale pointer and does nothing else");
    CHECK(glvf_context_collect(copy) == -EINVAL, "collect on a destroyed context");
    int err = 0;
    CHECK(!upload(copy, &err) && err == -EINVAL, "upload on a destroyed context (%d)", err);
    CHECK(glvf_render(copy, f, NULL) == -EINVAL, "render on a destroyed context");
    CHECK(!glvf_staging_acquire(copy, GLVF_FORMAT_GRAY8, 8, 8, 0, &err) && err == -EINVAL,
          "acquire on a destroyed context (%d)", err);
    CHECK(glvf_context_defer_delete(copy, GLVF_OBJECT_TEXTURE, 7) == -EINVAL, "defer_delete");
    CHECK(!glvf_context_get_caps(copy) && !glvf_context_is_lost(copy), "queries");
    CHECK(check_log_count(GLVF_LOG_ERROR, "was already destroyed") >= 6,
          "each is logged (%d)", check_log_count(GLVF_LOG_ERROR, "was already destroyed"));
    CHECK(fakegl_get_stats().calls == calls, "no GL call");
    CHECK(!glvf_frame_context(f), "the frame is an orphan");
    glvf_frame_unref(&f); /* the last orphan: frees the context's memory */
    CHECK(fakegl_get_stats().calls == calls, "no GL call from the orphan");
}

static void test_frame_of_another_context(void *arg)
{
    (void)arg;
    setup();
    /* two glvf contexts on one (fake) GL context: the contract is per glvf
     * context, whatever the GL side */
    glvf_context *a = make_ctx(), *b = make_ctx();
    REQUIRE(a && b, "create");
    glvf_frame *fa = upload(a, NULL);
    REQUIRE(fa, "upload");
    CHECK(glvf_render(a, fa, NULL) == 0, "render on its own context");
    unsigned long draws = fakegl_call_count("DrawArrays");
    check_log_clear();
    CHECK(glvf_render(b, fa, NULL) == -EINVAL, "render with another context refused");
    CHECK(check_log_count(GLVF_LOG_ERROR, "belongs to another glvf context") == 1, "logged");
    CHECK(fakegl_call_count("DrawArrays") == draws, "nothing drawn");

    glvf_staging *st = glvf_staging_acquire(a, GLVF_FORMAT_GRAY8, 16, 16, 0, NULL);
    REQUIRE(st, "acquire");
    int err = 0;
    CHECK(!glvf_staging_submit(b, &st, NULL, &err) && err == -EINVAL && st,
          "a region submitted to another context: refused, kept by the caller (%d)", err);
    CHECK(check_log_count(GLVF_LOG_ERROR, "belongs to another context") == 1, "logged");
    glvf_frame *ok = glvf_staging_submit(a, &st, NULL, &err);
    CHECK(ok && !st, "then to its own (%d)", err);
    glvf_frame_unref(&ok);

    /* an orphan rendered with a live context */
    glvf_frame *keep = glvf_frame_ref(fa);
    CHECK(glvf_context_destroy(&a), "destroy a");
    CHECK(glvf_render(b, keep, NULL) == -EINVAL, "an orphan is refused");
    glvf_frame_unref(&keep);
    glvf_frame_unref(&fa);
    CHECK(glvf_context_destroy(&b), "destroy b");
    CHECK(fakegl_get_stats().live[FAKEGL_TEXTURE] == 0, "nothing left");
}

typedef struct wrong_thread {
    glvf_context *ctx;
    glvf_frame *frame;
    pthread_t self;
    int collect, render, reserve, prepare, upload_err, submit_err;
    bool destroy;
    glvf_context *ctx_after;
} wrong_thread;

static void *wrong_thread_main(void *p)
{
    wrong_thread *w = p;
    w->self = pthread_self();
    fakegl_set_current(false); /* the owning context is not current here */
    w->collect = glvf_context_collect(w->ctx);
    w->render = glvf_render(w->ctx, w->frame, NULL);
    w->reserve = glvf_staging_reserve(w->ctx, GLVF_FORMAT_GRAY8, 8, 8, 0, 1);
    w->prepare = glvf_render_prepare(w->ctx, GLVF_FORMAT_GRAY8);
    upload(w->ctx, &w->upload_err);
    glvf_staging *st = glvf_staging_acquire(w->ctx, GLVF_FORMAT_GRAY8, 8, 8, 0, NULL);
    glvf_frame *f = glvf_staging_submit(w->ctx, &st, NULL, &w->submit_err);
    glvf_frame_unref(&f);
    glvf_staging_release(&st); /* kept by the caller after -EPERM */
    glvf_context *c = w->ctx;
    w->destroy = glvf_context_destroy(&c);
    w->ctx_after = c;
    /* any-thread calls work here */
    glvf_stats s;
    glvf_context_get_stats(w->ctx, &s);
    glvf_frame_unref(&w->frame);
    return NULL;
}

static void test_wrong_thread(void *arg)
{
    (void)arg;
    setup();
    glvf_context *ctx = make_ctx();
    REQUIRE(ctx, "create");
    wrong_thread w = { .ctx = ctx, .frame = upload(ctx, NULL) };
    REQUIRE(w.frame, "upload");
    check_log_clear();
    pthread_t t;
    pthread_create(&t, NULL, wrong_thread_main, &w);
    pthread_join(t, NULL);
    CHECK(w.collect == -EPERM, "collect %d", w.collect);
    CHECK(w.render == -EPERM, "render %d", w.render);
    CHECK(w.reserve == -EPERM, "reserve %d", w.reserve);
    CHECK(w.prepare == -EPERM, "prepare %d", w.prepare);
    CHECK(w.upload_err == -EPERM, "upload %d", w.upload_err);
    CHECK(w.submit_err == -EPERM, "submit %d", w.submit_err);
    CHECK(!w.destroy && w.ctx_after == ctx, "destroy refused, pointer kept");
    CHECK(fakegl_calls_on_thread(w.self) == 0, "%lu GL calls on the wrong thread",
          fakegl_calls_on_thread(w.self));
    CHECK(fakegl_get_stats().violations == 0, "violation: %s", fakegl_first_violation());
    CHECK(check_log_count(GLVF_LOG_ERROR, "not current on this thread") == 7,
          "each refusal logged (%d)", check_log_count(GLVF_LOG_ERROR, "not current"));
    glvf_stats s;
    glvf_context_get_stats(ctx, &s);
    CHECK(s.rejected_calls == 7 && s.frames_live == 0, "rejected %llu, live %llu",
          (unsigned long long)s.rejected_calls, (unsigned long long)s.frames_live);
    CHECK(glvf_context_collect(ctx) >= 0, "the GL thread collects what the other released");
    CHECK(glvf_context_destroy(&ctx), "destroy on the GL thread");
    CHECK(fakegl_get_stats().live[FAKEGL_TEXTURE] == 0, "nothing left");
}

static void test_null_and_bad_params(void *arg)
{
    (void)arg;
    setup();
    int err = 0;
    CHECK(!glvf_upload(NULL, &(glvf_image){ 0 }, NULL, &err) && err == -EINVAL, "upload NULL");
    CHECK(glvf_context_collect(NULL) == -EINVAL, "collect NULL");
    CHECK(glvf_render(NULL, NULL, NULL) == -EINVAL, "render NULL");
    CHECK(glvf_render_prepare(NULL, GLVF_FORMAT_NV12) == -EINVAL, "prepare NULL");
    CHECK(glvf_staging_reserve(NULL, GLVF_FORMAT_NV12, 8, 8, 0, 1) == -EINVAL, "reserve NULL");
    CHECK(!glvf_staging_acquire(NULL, GLVF_FORMAT_NV12, 8, 8, 0, &err) && err == -EINVAL,
          "acquire NULL");
    CHECK(!glvf_staging_submit(NULL, NULL, NULL, &err) && err == -EINVAL, "submit NULL");
    CHECK(!glvf_frame_ref(NULL) && !glvf_frame_image(NULL) && !glvf_frame_context(NULL),
          "frame NULL");
    glvf_frame_unref(NULL);
    glvf_staging_release(NULL);
    glvf_stats s;
    s.frames_live = 99;
    glvf_context_get_stats(NULL, &s);
    CHECK(s.frames_live == 0, "stats of NULL are zero");
    CHECK(!glvf_context_is_lost(NULL), "is_lost NULL");

    glvf_context *ctx = make_ctx();
    REQUIRE(ctx, "create");
    glvf_frame *f = upload(ctx, NULL);
    REQUIRE(f, "upload");
    check_log_clear();
    CHECK(glvf_render(ctx, NULL, NULL) == -EINVAL, "render a NULL frame");
    CHECK(glvf_render(ctx, f, glvf_render_params(.rotation = 45)) == -EINVAL, "rotation 45");
    CHECK(glvf_render(ctx, f, glvf_render_params(.scaler = (glvf_scaler)7)) == -EINVAL,
          "scaler 7");
    CHECK(glvf_render(ctx, f, glvf_render_params(.target = { 0, 0, -4, 4 })) == -EINVAL,
          "negative target");
    /* found by fuzz_image: x + width past INT_MAX overflowed the viewport
     * arithmetic (undefined behaviour); now refused */
    CHECK(glvf_render(ctx, f, glvf_render_params(.target = { INT_MAX - 9, 0, 100, 10 })) ==
              -EINVAL,
          "target past INT_MAX");
    CHECK(glvf_render(ctx, f, glvf_render_params(.target = { 0, INT_MAX - 9, 10, 100 })) ==
              -EINVAL,
          "target past INT_MAX (y)");
    /* a rotation that is a multiple of 90 near INT_MAX: no overflow */
    CHECK(glvf_render(ctx, f, glvf_render_params(.rotation = 2147483610)) == 0,
          "rotation 2147483610 (a multiple of 90)");
    glvf_image bad = { .format = GLVF_FORMAT_NV12, .width = 16, .height = 16,
                       .planes = { { pixels, 16 }, { NULL, 16 } } };
    CHECK(!glvf_upload(ctx, &bad, NULL, &err) && err == -EINVAL, "NULL plane (%d)", err);
    bad.planes[1].data = pixels;
    bad.planes[1].stride = 15;
    CHECK(!glvf_upload(ctx, &bad, NULL, &err) && err == -EINVAL, "short stride (%d)", err);
    bad.width = -16;
    CHECK(!glvf_upload(ctx, &bad, NULL, &err) && err == -EINVAL, "negative width (%d)", err);
    bad.width = 1 << 30;
    CHECK(!glvf_upload(ctx, &bad, NULL, &err) && err == -EOVERFLOW, "huge width (%d)", err);
    bad.width = 16;
    bad.format = (glvf_format)999;
    CHECK(!glvf_upload(ctx, &bad, NULL, &err) && err == -EINVAL, "bad format (%d)", err);
    CHECK(glvf_staging_reserve(ctx, GLVF_FORMAT_NV12, 8, 8, 3, 1) == -EINVAL, "align 3");
    CHECK(glvf_staging_reserve(ctx, GLVF_FORMAT_NV12, 8, 8, 0, -1) == -EINVAL, "count -1");
    CHECK(glvf_context_defer_delete(ctx, GLVF_OBJECT_KIND_COUNT, 1) == -EINVAL, "bad kind");
    CHECK(glvf_context_defer_delete(ctx, GLVF_OBJECT_TEXTURE, 0) == -EINVAL, "handle 0");
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) >= 15, "each is logged (%d)",
          check_log_count(GLVF_LOG_ERROR, NULL));
    glvf_frame_unref(&f);
    CHECK(glvf_context_destroy(&ctx), "destroy");
    CHECK(fakegl_get_stats().live[FAKEGL_TEXTURE] == 0, "nothing left");
}

int main(void)
{
    check_log_echo = false;
    RUN(test_unref_after_last, NULL);
    RUN(test_stale_handles, NULL);
    RUN(test_destroy_twice, NULL);
    RUN(test_frame_of_another_context, NULL);
    RUN(test_wrong_thread, NULL);
    RUN(test_null_and_bad_params, NULL);
    fakegl_reset(NULL);
    check_log_clear();
    return check_finish();
}
