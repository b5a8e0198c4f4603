/*
 * Context loss.
 *
 * Fake GL (a robust context: GL_LOSE_CONTEXT_ON_RESET):
 *  - a reset reported to glvf_context_collect: -ENODEV, logged once with the
 *    status, glvf_context_is_lost(); from then on every GL-thread call
 *    returns -ENODEV with no GL call at all, any-thread calls keep working;
 *    destroy frees CPU state only; frames and a staging region held across
 *    the loss are orphans and drop safely; the application makes a new GL
 *    context and a new glvf context and goes on;
 *  - a reset noticed on a failure path (an upload's GL_OUT_OF_MEMORY, a
 *    draw's GL error, a fence that never signals): that call returns -ENODEV;
 *  - a reset noticed only at destroy;
 *  - a context without reset notification is never asked (no
 *    glGetGraphicsResetStatus call).
 * Real GL (llvmpipe through EGL):
 *  - the owning EGL context destroyed before the glvf context (the window
 *    closed first): destroy refuses (not current), abandon frees CPU state
 *    with no GL call -- checked by another live context whose objects carry
 *    the same names and must all survive -- and orphans drop safely.
 */
#include "check.h"
#include "egl_harness.h"
#include "fakegl.h"

#include <epoxy/gl.h>
#include <errno.h>
#include <glvf/glvf.h>
#include <stdint.h>

static uint8_t pixels[256 * 256 * 4];

#define GUILTY 0x8253 /* GL_GUILTY_CONTEXT_RESET */
#define LOSE_ON_RESET 0x8252

static glvf_context *fake_ctx(glvf_upload_strategy s)
{
    return glvf_context_create(glvf_context_params(
            .get_proc_address = fakegl_get_proc, .is_current = fakegl_is_current,
            .log = check_log, .flags = GLVF_CONTEXT_IGNORE_ENV, .upload = s,
            .fence_timeout_ms = 5));
}

static void fake_setup(bool robust)
{
    fakegl_reset(&(fakegl_config){ .reset_strategy = robust ? LOSE_ON_RESET : 0 });
    fakegl_set_current(true);
    check_log_clear();
}

static glvf_image nv12(int w, int h)
{
    return (glvf_image){ .format = GLVF_FORMAT_NV12, .width = w, .height = h,
                         .planes = { { pixels, w }, { pixels, (w + 1) / 2 * 2 } } };
}

static void test_reset_in_collect(void *arg)
{
    (void)arg;
    fake_setup(true);
    glvf_context *ctx = fake_ctx(GLVF_UPLOAD_CLIENT);
    REQUIRE(ctx, "create");
    CHECK(glvf_context_get_caps(ctx)->robustness && !glvf_context_is_lost(ctx), "robust");
    glvf_image img = nv12(32, 32);
    glvf_frame *a = glvf_upload(ctx, &img, NULL, NULL);
    glvf_frame *b = glvf_upload(ctx, &img, NULL, NULL);
    REQUIRE(a && b, "upload");
    CHECK(glvf_render(ctx, a, NULL) == 0, "render");
    glvf_staging *st = glvf_staging_acquire(ctx, GLVF_FORMAT_NV12, 32, 32, 0, NULL);
    REQUIRE(st, "acquire");
    CHECK(glvf_context_collect(ctx) >= 0, "collect before the reset");

    fakegl_set_reset_status(GUILTY);
    check_log_clear();
    CHECK(glvf_context_collect(ctx) == -ENODEV, "collect reports the loss");
    CHECK(glvf_context_is_lost(ctx), "is_lost");
    CHECK(check_log_count(GLVF_LOG_ERROR, "GL_GUILTY_CONTEXT_RESET") == 1,
          "the loss is logged once, with the status");
    /* the driver reports a reset once, then GL_NO_ERROR: glvf keeps it */
    fakegl_set_reset_status(0);
    unsigned long calls = fakegl_get_stats().calls;

    int err = 0;
    CHECK(glvf_context_collect(ctx) == -ENODEV, "collect again");
    CHECK(!glvf_upload(ctx, &img, NULL, &err) && err == -ENODEV, "upload (%d)", err);
    CHECK(glvf_render(ctx, a, NULL) == -ENODEV, "render");
    CHECK(glvf_render_prepare(ctx, GLVF_FORMAT_NV12) == -ENODEV, "prepare");
    CHECK(glvf_staging_reserve(ctx, GLVF_FORMAT_NV12, 16, 16, 0, 1) == -ENODEV, "reserve");
    CHECK(!glvf_staging_submit(ctx, &st, NULL, &err) && err == -ENODEV && st,
          "submit refused, the region stays with the caller (%d)", err);
    CHECK(!glvf_staging_acquire(ctx, GLVF_FORMAT_NV12, 16, 16, 0, &err) && err == -ENODEV,
          "acquire (%d)", err);
    CHECK(glvf_context_is_lost(ctx) && glvf_context_is_lost(ctx), "still lost");
    CHECK(fakegl_get_stats().calls == calls, "%lu GL calls after the loss",
          fakegl_get_stats().calls - calls);
    CHECK(check_log_count(GLVF_LOG_ERROR, "lost") >= 8, "every refusal is logged");

    /* any-thread calls keep working */
    CHECK(glvf_frame_width(a) == 32 && glvf_frame_context(a) == ctx, "frames readable");
    glvf_frame_unref(&a);
    glvf_stats s;
    glvf_context_get_stats(ctx, &s);
    CHECK(s.frames_live == 1, "one frame still held");

    /* destroy: CPU state only */
    check_log_clear();
    CHECK(glvf_context_destroy(&ctx) && !ctx, "destroy a lost context");
    CHECK(check_log_count(GLVF_LOG_WARN, "freeing CPU state only") == 1, "logged");
    CHECK(check_log_count(GLVF_LOG_WARN, "leak report: 1 frame") == 1, "leak report");
    CHECK(fakegl_get_stats().calls == calls, "destroy made no GL call");
    /* held across the loss: orphans */
    CHECK(!glvf_frame_context(b) && glvf_frame_width(b) == 32, "b is an orphan");
    glvf_frame_unref(&b);
    glvf_staging_release(&st);
    CHECK(check_log_count(GLVF_LOG_WARN, "orphan") >= 2, "orphan drops warn");
    CHECK(fakegl_get_stats().calls == calls, "orphans made no GL call");

    /* recovery: a new GL context (the fake starts over) and a new glvf one */
    fake_setup(true);
    ctx = fake_ctx(GLVF_UPLOAD_CLIENT);
    REQUIRE(ctx, "a new context");
    glvf_frame *c = glvf_upload(ctx, &img, NULL, &err);
    CHECK(c && glvf_render(ctx, c, NULL) == 0, "uploads and draws again (%d)", err);
    glvf_frame_unref(&c);
    CHECK(glvf_context_destroy(&ctx), "destroy");
    CHECK(fakegl_get_stats().live[FAKEGL_TEXTURE] == 0, "nothing left");
}

static void test_reset_on_failure_paths(void *arg)
{
    (void)arg;
    const glvf_upload_strategy strategies[] = { GLVF_UPLOAD_CLIENT,
                                                GLVF_UPLOAD_PBO_PERSISTENT };
    for (int k = 0; k < 2; k++) {
        fake_setup(true);
        glvf_context *ctx = fake_ctx(strategies[k]);
        REQUIRE(ctx, "create");
        glvf_image img = nv12(32, 32);
        glvf_frame *a = glvf_upload(ctx, &img, NULL, NULL);
        REQUIRE(a, "upload");
        /* a reset shows up first as a failure: the failing call says so */
        fakegl_set_reset_status(GUILTY);
        fakegl_fail("TexStorage2D", 1, 0);
        int err = 0;
        glvf_image img2 = nv12(64, 64);
        CHECK(!glvf_upload(ctx, &img2, NULL, &err) && err == -ENODEV,
              "[%d] an upload failing during a reset returns -ENODEV (%d)", k, err);
        CHECK(glvf_context_is_lost(ctx), "lost");
        glvf_frame_unref(&a);
        CHECK(glvf_context_destroy(&ctx), "destroy");
    }
    /* a draw's GL error */
    fake_setup(true);
    glvf_context *ctx = fake_ctx(GLVF_UPLOAD_CLIENT);
    REQUIRE(ctx, "create");
    glvf_image img = nv12(32, 32);
    glvf_frame *a = glvf_upload(ctx, &img, NULL, NULL);
    CHECK(glvf_render(ctx, a, NULL) == 0, "render");
    fakegl_fail("DrawArrays", 1, 0x0505);
    CHECK(glvf_render(ctx, a, NULL) == -EIO && !glvf_context_is_lost(ctx),
          "a GL error without a reset is -EIO");
    fakegl_set_reset_status(GUILTY);
    fakegl_fail("DrawArrays", 1, 0x0505);
    CHECK(glvf_render(ctx, a, NULL) == -ENODEV && glvf_context_is_lost(ctx),
          "with a reset it is -ENODEV");
    glvf_frame_unref(&a);
    CHECK(glvf_context_destroy(&ctx), "destroy");

    /* a staging fence that never signals */
    fake_setup(true);
    ctx = fake_ctx(GLVF_UPLOAD_PBO_PERSISTENT);
    REQUIRE(ctx, "create");
    fakegl_set_fence_never_signals(true);
    int err = 0;
    for (int i = 0; i < 3; i++) {
        a = glvf_upload(ctx, &img, NULL, &err);
        CHECK(a, "upload %d (%d)", i, err);
        glvf_frame_unref(&a);
    }
    fakegl_set_reset_status(GUILTY);
    CHECK(!glvf_upload(ctx, &img, NULL, &err) && err == -ENODEV,
          "the fence wait times out during a reset: -ENODEV (%d)", err);
    fakegl_set_fence_never_signals(false);
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

static void test_reset_at_destroy(void *arg)
{
    (void)arg;
    fake_setup(true);
    glvf_context *ctx = fake_ctx(GLVF_UPLOAD_PBO_PERSISTENT);
    REQUIRE(ctx, "create");
    glvf_image img = nv12(32, 32);
    glvf_frame *a = glvf_upload(ctx, &img, NULL, NULL);
    REQUIRE(a, "upload");
    fakegl_set_reset_status(GUILTY);
    fakegl_clear_calls();
    check_log_clear();
    CHECK(glvf_context_destroy(&ctx), "destroy");
    CHECK(fakegl_call_count(NULL) == 1 && fakegl_call_count("GetGraphicsResetStatus") == 1,
          "one GL call: the status (%lu calls)", fakegl_call_count(NULL));
    CHECK(check_log_count(GLVF_LOG_ERROR, "was lost") == 1, "logged");
    glvf_frame_unref(&a);
    CHECK(fakegl_call_count(NULL) == 1, "the orphan made no GL call");
}

static void test_no_reset_notification(void *arg)
{
    (void)arg;
    fake_setup(false);
    glvf_context *ctx = fake_ctx(GLVF_UPLOAD_CLIENT);
    REQUIRE(ctx, "create");
    CHECK(glvf_context_get_caps(ctx)->robustness, "the entry point exists");
    fakegl_clear_calls();
    for (int i = 0; i < 10; i++)
        glvf_context_collect(ctx);
    CHECK(fakegl_call_count("GetGraphicsResetStatus") == 0,
          "not asked: such a context never reports a reset");
    CHECK(glvf_context_destroy(&ctx), "destroy");
    CHECK(fakegl_call_count("GetGraphicsResetStatus") == 0, "not at destroy either");
}

/* ---- real GL: the window closed first ----------------------------------- */

static void test_window_closed_first(void *arg)
{
    harness_api api = *(harness_api *)arg;
    check_log_clear();
    harness_ctx *owner = harness_ctx_create(api, NULL);
    harness_ctx *other = harness_ctx_create(api, NULL);
    REQUIRE(owner && other, "two unrelated contexts");
    REQUIRE(harness_make_current(owner), "current");
    /* is_current: the platform default (the current EGLContext compared with
     * the one current at creation); it must outlive the EGL context, which
     * harness_is_current (it reads the harness_ctx) would not */
    glvf_context *ctx = glvf_context_create(glvf_context_params(
            .get_proc_address = harness_get_proc, .get_proc_user = owner, .log = check_log,
            .flags = GLVF_CONTEXT_IGNORE_ENV));
    REQUIRE(ctx, "create");
    glvf_image img = nv12(64, 32);
    glvf_frame *frames[4];
    for (int i = 0; i < 4; i++)
        frames[i] = glvf_upload(ctx, &img, NULL, NULL);
    REQUIRE(frames[0] && frames[3], "uploads");
    /* draw into an FBO: programs and a vertex array exist too */
    GLuint tex = 0, fbo = 0;
    glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    glTexStorage2D(GL_TEXTURE_2D, 1, GL_RGBA8, 64, 64);
    glGenFramebuffers(1, &fbo);
    glBindFramebuffer(GL_FRAMEBUFFER, fbo);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, tex, 0);
    glViewport(0, 0, 64, 64);
    CHECK(glvf_render(ctx, frames[0], NULL) == 0, "render");
    glvf_frame_unref(&frames[1]); /* one back in the pool */
    glvf_staging *st = glvf_staging_acquire(ctx, GLVF_FORMAT_NV12, 64, 32, 0, NULL);
    CHECK(st, "a staging region held by a producer");
    glFinish();

    /* the other context owns textures with the same names */
    REQUIRE(harness_make_current(other), "other current");
    GLuint names[16];
    glGenTextures(16, names);
    for (int i = 0; i < 16; i++) {
        glBindTexture(GL_TEXTURE_2D, names[i]);
        glTexStorage2D(GL_TEXTURE_2D, 1, GL_R8, 4, 4);
    }
    glvf_frame_plane p0;
    glvf_frame_get_plane(frames[0], 0, &p0);
    printf("# owner's frame texture %u; the other context's names %u..%u\n", p0.texture,
           names[0], names[15]);

    /* the window closes: the owning context is destroyed first */
    harness_release_current();
    harness_ctx_destroy(owner);
    REQUIRE(harness_make_current(other), "the other context is current now");
    glvf_context *c = ctx;
    CHECK(!glvf_context_destroy(&c) && c == ctx,
          "destroy refuses: its context is not current (and never will be)");
    CHECK(check_log_count(GLVF_LOG_ERROR, "glvf_context_abandon") == 1,
          "the refusal points to abandon");
    glvf_context_abandon(&ctx);
    CHECK(!ctx, "abandon clears the pointer");
    CHECK(check_log_count(GLVF_LOG_WARN, "leak report: 3 frame") == 1, "leak report");
    int alive = 0;
    for (int i = 0; i < 16; i++)
        alive += glIsTexture(names[i]) == GL_TRUE;
    CHECK(alive == 16, "the other context's textures all survive (%d/16)", alive);
    /* orphans: held frames and the region drop safely, CPU only */
    CHECK(!glvf_frame_context(frames[0]) && glvf_frame_width(frames[0]) == 64, "orphans");
    for (int i = 0; i < 4; i++)
        glvf_frame_unref(&frames[i]);
    glvf_staging_release(&st);
    alive = 0;
    for (int i = 0; i < 16; i++)
        alive += glIsTexture(names[i]) == GL_TRUE;
    CHECK(alive == 16, "still (%d/16)", alive);
    CHECK(glGetError() == GL_NO_ERROR, "no GL error on the other context");
    glDeleteTextures(16, names);
    harness_ctx_destroy(other);
}

int main(int argc, char **argv)
{
    harness_api api = HARNESS_GL45;
    if (argc > 1 && !harness_api_parse(argv[1], &api)) {
        fprintf(stderr, "usage: %s [gl33|gl45|gles30]\n", argv[0]);
        return 2;
    }
    check_log_echo = false;
    RUN(test_reset_in_collect, NULL);
    RUN(test_reset_on_failure_paths, NULL);
    RUN(test_reset_at_destroy, NULL);
    RUN(test_no_reset_notification, NULL);
    fakegl_reset(NULL);
    RUN(test_window_closed_first, &api);
    check_log_clear();
    return check_finish();
}
