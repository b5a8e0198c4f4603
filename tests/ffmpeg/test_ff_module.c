/*
 * The FFmpeg module as a part of glvf (no GPU: a fake GL context):
 *  - glvf_ffmpeg_version() is the module's own version;
 *  - a decoder without a log callback logs through its glvf context
 *    (params.ctx, or the one given to glvf_ffmpeg_decoder_attach_context);
 *    glvf_ffmpeg_upload() logs a refused frame through ctx;
 *  - no fixed process-wide table: the av_log routing registry holds more
 *    than the old 64 decoders, the direct-rendering tags more than the old
 *    1024 pictures, the reserve-request table more than the old 32 layouts,
 *    and a request it cannot record (out of memory) or caps is counted and
 *    logged, never dropped silently;
 *  - the module allocates on the core's heap (glvf_alloc_count counts it,
 *    glvf_alloc_fail_nth fails it): every allocation of a decoder's life
 *    failed in turn is handled.
 */
#include "check.h"
#include "fakegl.h"
#include "ff_media.h"

#include "ffmpeg/ff_internal.h"
#include "glvf_alloc.h"

#include <glvf/glvf-ffmpeg.h>

#include <libavutil/log.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifndef EXPECT_FFMPEG_VERSION
#error "EXPECT_FFMPEG_VERSION comes from tests/ffmpeg/meson.build"
#endif

static glvf_context *make_ctx(void)
{
    fakegl_reset(NULL);
    fakegl_set_current(true);
    return glvf_context_create(glvf_context_params(
            .get_proc_address = fakegl_get_proc, .is_current = fakegl_is_current,
            .log = check_log, .log_level = GLVF_LOG_DEBUG, .flags = GLVF_CONTEXT_IGNORE_ENV,
            .upload = GLVF_UPLOAD_CLIENT));
}

static void test_version(void *arg)
{
    (void)arg;
    const char *v = glvf_ffmpeg_version();
    CHECK(v && strcmp(v, EXPECT_FFMPEG_VERSION) == 0, "module version '%s', expected '%s'",
          v ? v : "(null)", EXPECT_FFMPEG_VERSION);
    int maj = -1, min = -1, pat = -1;
    CHECK(v && sscanf(v, "%d.%d.%d", &maj, &min, &pat) == 3 && maj >= 0 && min >= 0 && pat >= 0,
          "'%s' is MAJOR.MINOR.PATCH", v ? v : "(null)");
}

/* A decoder given a context and no callback logs through the context. */
static void test_log_through_context(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx();
    REQUIRE(ctx, "fake context");
    check_log_clear();
    int err = 0;
    glvf_ffmpeg_decoder *d = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = "/nonexistent/glvf/module.mkv", .ctx = ctx),
            &err);
    CHECK(!d && err == AVERROR(ENOENT), "missing: %d", err);
    CHECK(check_log_count(GLVF_LOG_ERROR, "/nonexistent/glvf/module.mkv") == 1,
          "the open's error went to the context's log");
    /* bad params, before the decoder exists */
    check_log_clear();
    d = glvf_ffmpeg_decoder_open(glvf_ffmpeg_decoder_params(.path = "x", .queue_frames = -1,
                                                            .ctx = ctx),
                                 &err);
    CHECK(!d && err == -EINVAL && check_log_count(GLVF_LOG_ERROR, "invalid parameters") == 1,
          "invalid parameters logged through the context");

    /* a frame glvf does not carry: the refusal is logged through ctx */
    check_log_clear();
    AVFrame *f = av_frame_alloc();
    REQUIRE(f, "av_frame_alloc");
    f->format = AV_PIX_FMT_YUV410P;
    f->width = 16;
    f->height = 16;
    REQUIRE(av_frame_get_buffer(f, 0) == 0, "av_frame_get_buffer");
    err = 0;
    glvf_frame *out = glvf_ffmpeg_upload(ctx, f, NULL, &err);
    CHECK(!out && err == -ENOTSUP, "yuv410p refused: %d", err);
    CHECK(check_log_count(GLVF_LOG_ERROR, "yuv410p") == 1,
          "glvf_ffmpeg_upload logs the refusal through ctx");
    av_frame_free(&f);
    glvf_context_destroy(&ctx);
}

/* A decoder opened with defer_context logs through the attached context. */
static void test_log_through_attached_context(const char *path)
{
    glvf_context *ctx = make_ctx();
    REQUIRE(ctx, "fake context");
    int err = 0;
    glvf_ffmpeg_decoder *d = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = path, .defer_context = true), &err);
    REQUIRE(d, "open %s: %d", path, err);
    check_log_clear();
    /* the client strategy: DR stays off (AUTO), and says why at info level */
    CHECK(!glvf_ffmpeg_decoder_attach_context(d, ctx), "DR stays off with the client strategy");
    CHECK(check_log_count(GLVF_LOG_INFO, "direct rendering off") == 1,
          "the attach's refusal went to the attached context's log");
    AVFrame *f = NULL;
    int frames = 0;
    while (glvf_ffmpeg_decoder_next(d, &f, 20000) == 0) {
        glvf_ffmpeg_decoder_release(d, &f);
        frames++;
    }
    CHECK(frames == 6, "%d frames", frames);
    glvf_ffmpeg_decoder_destroy(&d);
    glvf_context_destroy(&ctx);
}

/* Every allocation a decoder's life makes (open, decode, destroy) failed in
 * turn through the core's hook: each is handled (the open refuses with
 * -ENOMEM, or the decoder plays the clip to its end), nothing leaks (LSan in
 * the ASan build). */
static void test_alloc_sweep(const char *path)
{
    check_log_echo = false;
    uint64_t a0 = glvf_alloc_count();
    int err = 0, frames = 0;
    glvf_ffmpeg_decoder *d = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = path, .log = check_log, .threads = 1), &err);
    REQUIRE(d, "open %s: %d", path, err);
    AVFrame *f = NULL;
    while (glvf_ffmpeg_decoder_next(d, &f, 20000) == 0) {
        glvf_ffmpeg_decoder_release(d, &f);
        frames++;
    }
    glvf_ffmpeg_decoder_destroy(&d);
    uint64_t n = glvf_alloc_count() - a0;
    CHECK(n >= 3 && n < 1000, "%llu allocations in a decoder's life", (unsigned long long)n);
    int refused = 0, played = 0;
    for (uint64_t k = 1; k <= n; k++) {
        glvf_alloc_fail_nth(k);
        d = glvf_ffmpeg_decoder_open(
                glvf_ffmpeg_decoder_params(.path = path, .log = check_log, .threads = 1), &err);
        if (!d) {
            glvf_alloc_fail_nth(0);
            CHECK(err == -ENOMEM, "allocation %llu failing: open %d", (unsigned long long)k,
                  err);
            refused++;
            continue;
        }
        int got = 0, r;
        while ((r = glvf_ffmpeg_decoder_next(d, &f, 20000)) == 0) {
            glvf_ffmpeg_decoder_release(d, &f);
            got++;
        }
        glvf_ffmpeg_decoder_destroy(&d);
        glvf_alloc_fail_nth(0);
        CHECK(r == GLVF_FFMPEG_EOF && got == frames,
              "allocation %llu failing: %d of %d frames, end %d", (unsigned long long)k, got,
              frames, r);
        played++;
    }
    check_log_echo = true;
    printf("# %llu allocations failed in turn: %d refused the open, %d played through\n",
           (unsigned long long)n, refused, played);
    CHECK(refused >= 1, "a failure reached the module");
}

/* ---- the av_log routing registry ---------------------------------------- */

#define MANY 200

static int routed[MANY];

static void count_log(void *user, glvf_log_level level, const char *msg)
{
    (void)level;
    if (strstr(msg, "glvf registry probe"))
        routed[(int)(intptr_t)user]++;
}

static void test_registry_grows(void *arg)
{
    (void)arg;
    static glvf_ff_log logs[MANY];
    static char owners[MANY];
    memset(routed, 0, sizeof routed);
    for (int i = 0; i < MANY; i++) {
        glvf_ff_log_init(&logs[i], count_log, (void *)(intptr_t)i, GLVF_LOG_WARN, NULL);
        CHECK(glvf_ff_registry_add(&owners[i], &logs[i]), "registry entry %d", i);
    }
    glvf_ffmpeg_route_av_log(true);
    for (int i = 0; i < MANY; i += 37) {
        glvf_ff_thread_owner(&owners[i]);
        av_log(NULL, AV_LOG_ERROR, "glvf registry probe %d\n", i);
        glvf_ff_thread_owner(NULL);
    }
    glvf_ff_thread_owner(&owners[MANY - 1]);
    av_log(NULL, AV_LOG_ERROR, "glvf registry probe last\n");
    glvf_ff_thread_owner(NULL);
    glvf_ffmpeg_route_av_log(false);
    for (int i = 0; i < MANY; i++)
        glvf_ff_registry_remove(&owners[i]);
    for (int i = 0; i < MANY; i += 37)
        CHECK(routed[i] == 1, "decoder %d of %d got its message (%d)", i, MANY, routed[i]);
    CHECK(routed[MANY - 1] == 1, "the last of %d decoders got its message", MANY);
}

/* ---- direct rendering's tables ------------------------------------------ */

static void dr_free_noop(void *opaque, uint8_t *data)
{
    (void)opaque;
    (void)data;
}

/* More DR pictures alive at once than the old fixed 1024 tags. */
static void test_dr_tags_grow(void *arg)
{
    (void)arg;
    enum { N = 1500 };
    static void *tags[N];
    static uint8_t byte;
    AVFrame *f = av_frame_alloc();
    REQUIRE(f, "av_frame_alloc");
    int recognised = 0, distinct = 1;
    for (int i = 0; i < N; i++) {
        tags[i] = glvf_ff_dr_tag_acquire();
        if (!tags[i])
            continue;
        if (i && tags[i] == tags[i - 1])
            distinct = 0;
        f->buf[0] = av_buffer_create(&byte, 1, dr_free_noop, tags[i], 0);
        recognised += f->buf[0] && glvf_ffmpeg_frame_is_direct(f);
        av_buffer_unref(&f->buf[0]);
    }
    CHECK(recognised == N && distinct, "%d of %d tags recognised", recognised, N);
    /* not a tag: a pointer just past one, and a foreign opaque */
    f->buf[0] = av_buffer_create(&byte, 1, dr_free_noop, (uint8_t *)tags[0] + 1, 0);
    CHECK(f->buf[0] && !glvf_ffmpeg_frame_is_direct(f), "misaligned opaque is not a tag");
    av_buffer_unref(&f->buf[0]);
    f->buf[0] = av_buffer_create(&byte, 1, dr_free_noop, &byte, 0);
    CHECK(f->buf[0] && !glvf_ffmpeg_frame_is_direct(f), "foreign opaque is not a tag");
    av_buffer_unref(&f->buf[0]);
    for (int i = 0; i < N; i++)
        if (tags[i])
            glvf_ff_dr_tag_release(tags[i]);
    /* the blocks stay: the same number of pictures again allocates nothing */
    uint64_t a0 = glvf_alloc_count();
    for (int i = 0; i < N; i++)
        tags[i] = glvf_ff_dr_tag_acquire();
    CHECK(glvf_alloc_count() == a0, "%llu allocations for reused tags",
          (unsigned long long)(glvf_alloc_count() - a0));
    for (int i = 0; i < N; i++)
        if (tags[i])
            glvf_ff_dr_tag_release(tags[i]);
    av_frame_free(&f);
}

/* The reserve-request table: more layouts than the old 32 are all kept; a
 * request beyond the per-layout cap or one the table cannot record (out of
 * memory) is counted and logged once, never dropped silently. */
static void test_dr_requests(void *arg)
{
    (void)arg;
    glvf_context *ctx = (glvf_context *)(uintptr_t)0x1000; /* only compared */
    glvf_ff_log log;
    glvf_ff_log_init(&log, check_log, NULL, GLVF_LOG_DEBUG, NULL);
    static char owner;
    glvf_ff_dr dr = { .owner = &owner, .log = &log };
    check_log_clear();

    enum { LAYOUTS = 100 };
    for (int i = 0; i < LAYOUTS; i++)
        glvf_ff_dr_request(&dr, ctx, GLVF_FORMAT_YUV420P, 64 + 2 * i, 48, 64);
    CHECK(glvf_ff_dr_requests_pending(ctx) == LAYOUTS, "%d of %d layouts pending",
          glvf_ff_dr_requests_pending(ctx), LAYOUTS);
    CHECK(atomic_load(&dr.requests_lost) == 0 && atomic_load(&dr.requests_capped) == 0,
          "nothing lost or capped");

    /* one layout asked for 20 times: 16 pending, 4 capped, one debug line */
    for (int i = 0; i < 20; i++)
        glvf_ff_dr_request(&dr, ctx, GLVF_FORMAT_NV12, 1920, 1084, 64);
    CHECK(glvf_ff_dr_requests_pending(ctx) == LAYOUTS + 16, "%d pending",
          glvf_ff_dr_requests_pending(ctx));
    CHECK(atomic_load(&dr.requests_capped) == 4, "%llu capped",
          (unsigned long long)atomic_load(&dr.requests_capped));
    CHECK(check_log_count(GLVF_LOG_DEBUG, "dr_requests_capped") == 1, "the cap logged once");

    /* fill the table up to its capacity, then make its growth fail */
    int added = LAYOUTS + 1, lost = 0;
    for (int i = 0; i < 4096 && !lost; i++) {
        uint64_t before = atomic_load(&dr.requests_lost);
        glvf_alloc_fail_nth(1);
        glvf_ff_dr_request(&dr, ctx, GLVF_FORMAT_RGBA8, 16 + i, 16, 64);
        glvf_alloc_fail_nth(0);
        if (atomic_load(&dr.requests_lost) > before)
            lost++;
        else
            added++;
    }
    CHECK(lost == 1, "a request the full table cannot record is counted (%d)", lost);
    CHECK(check_log_count(GLVF_LOG_WARN, "dr_requests_lost") == 1, "and logged (warning)");
    /* a second one: counted again, not logged again */
    glvf_alloc_fail_nth(1);
    glvf_ff_dr_request(&dr, ctx, GLVF_FORMAT_RGBA8, 8, 8, 64);
    glvf_alloc_fail_nth(0);
    CHECK(atomic_load(&dr.requests_lost) == 2 &&
                  check_log_count(GLVF_LOG_WARN, "dr_requests_lost") == 1,
          "counted twice, logged once");
    printf("# request table: %d layouts recorded before an allocation failure\n", added);

    glvf_ff_dr_forget(&owner);
    CHECK(glvf_ff_dr_requests_pending(ctx) == 0, "forgotten");
}

/* The module's allocations are the core's: counted and failed with them. */
static void test_module_heap(void *arg)
{
    (void)arg;
    uint64_t a0 = glvf_alloc_count();
    static char owner;
    glvf_ff_log log;
    glvf_ff_log_init(&log, check_log, NULL, GLVF_LOG_WARN, NULL);
    CHECK(glvf_ff_registry_add(&owner, &log), "registry add");
    CHECK(glvf_alloc_count() > a0, "the registry's allocation is counted by glvf_alloc_count");
    glvf_ff_registry_remove(&owner);

    check_log_clear();
    check_log_echo = false;
    glvf_alloc_fail_nth(1);
    bool ok = glvf_ff_registry_add(&owner, &log);
    glvf_alloc_fail_nth(0);
    check_log_echo = true;
    CHECK(!ok && check_log_count(GLVF_LOG_WARN, "av_log routing table") == 1,
          "glvf_alloc_fail_nth reaches the module; the failure is logged");
    glvf_ff_registry_remove(&owner);
}

int main(void)
{
    RUN(test_version, NULL);
    RUN(test_log_through_context, NULL);
    RUN(test_registry_grows, NULL);
    RUN(test_dr_tags_grow, NULL);
    RUN(test_dr_requests, NULL);
    RUN(test_module_heap, NULL);
    static const media_clip clip = { "module.mkv", "ffv1", "64x48", 6, "-c:v ffv1" };
    if (system("ffmpeg -hide_banner -version >/dev/null 2>&1") == 0 &&
        system("ffprobe -hide_banner -version >/dev/null 2>&1") == 0) {
        media_init("module");
        if (media_make(&clip)) {
            RUN_NAMED("test_log_through_attached_context",
                      (void (*)(void *))test_log_through_attached_context,
                      (void *)media_path("module.mkv"));
            RUN_NAMED("test_alloc_sweep", (void (*)(void *))test_alloc_sweep,
                      (void *)media_path("module.mkv"));
        }
        media_cleanup();
    } else {
        printf("# no ffmpeg/ffprobe: the attached-context case is skipped\n");
    }
    return check_finish();
}
