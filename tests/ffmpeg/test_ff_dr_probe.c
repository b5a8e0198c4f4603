/*
 * The mapped-read probe and the direct-rendering decision (real GL, Mesa
 * llvmpipe through EGL).
 *
 *  - a pbo-persistent context probes at creation: both speeds in the
 *    statistics, the decision logged at info level, in well under 5 ms;
 *    a client context does not probe (speeds 0);
 *  - on llvmpipe mapped memory is ordinary memory: the probe finds mapped
 *    reads fast, and GLVF_FFMPEG_DR_AUTO turns DR on with pbo-persistent;
 *  - a probe that cannot map its buffer (glMapBufferRange failing once,
 *    through a wrapping loader) reports no speed and "not fast", logged as
 *    an error: GLVF_FFMPEG_DR_AUTO then leaves DR off (saying why) and
 *    GLVF_FFMPEG_DR_FORCE still turns it on.
 */
#include "check.h"
#include "egl_harness.h"
#include "ff_media.h"

#include <glvf/glvf-ffmpeg.h>

#include <time.h>

static harness_ctx *H;
static harness_api API;
static const media_clip clip = { "probe.avi", "mpeg4", "64x48", 8, "-c:v mpeg4 -g 4" };

/* glMapBufferRange that fails its first call: the probe's map */
typedef void *(*map_fn)(unsigned, intptr_t, intptr_t, unsigned);
static map_fn real_map;
static int map_calls;

static void *failing_map(unsigned target, intptr_t offset, intptr_t length, unsigned access)
{
    if (map_calls++ == 0)
        return NULL;
    return real_map(target, offset, length, access);
}

static void *wrapping_get_proc(void *user, const char *name)
{
    void *p = harness_get_proc(user, name);
    if (p && !strcmp(name, "glMapBufferRange")) {
        real_map = (map_fn)p;
        return (void *)failing_map;
    }
    return p;
}

static glvf_context *make_ctx(glvf_upload_strategy s, bool fail_map, double *ms)
{
    map_calls = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    glvf_context *ctx = glvf_context_create(glvf_context_params(
            .get_proc_address = fail_map ? wrapping_get_proc : harness_get_proc,
            .get_proc_user = H, .is_current = harness_is_current, .is_current_user = H,
            .log = check_log, .log_level = GLVF_LOG_INFO, .upload = s,
            .flags = GLVF_CONTEXT_IGNORE_ENV));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (ms)
        *ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    return ctx;
}

static bool dr_on(glvf_context *ctx, glvf_ffmpeg_dr mode)
{
    int err = 0;
    glvf_ffmpeg_decoder *dec = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = media_path(clip.name), .ctx = ctx,
                                       .direct_rendering = mode, .log = check_log,
                                       .log_level = GLVF_LOG_INFO),
            &err);
    if (!dec) {
        CHECK(false, "decoder_open: %d", err);
        return false;
    }
    bool on = glvf_ffmpeg_decoder_info(dec)->direct_rendering;
    glvf_ffmpeg_decoder_destroy(&dec);
    return on;
}

static void test_probe_llvmpipe(void *arg)
{
    (void)arg;
    check_log_clear();
    double ms_probe = 0, ms_plain = 0;
    glvf_context *plain = make_ctx(GLVF_UPLOAD_CLIENT, false, &ms_plain);
    glvf_context *ctx = make_ctx(GLVF_UPLOAD_PBO_PERSISTENT, false, &ms_probe);
    REQUIRE(ctx && plain, "create");
    glvf_stats s, sp;
    glvf_context_get_stats(ctx, &s);
    glvf_context_get_stats(plain, &sp);
    printf("# probe: mapped %llu MB/s, heap %llu MB/s, fast %d; create %.2f ms with the "
           "probe, %.2f ms without\n",
           (unsigned long long)s.staging_read_mapped_mbps,
           (unsigned long long)s.staging_read_heap_mbps, s.staging_reads_fast, ms_probe,
           ms_plain);
    CHECK(s.staging_read_mapped_mbps > 0 && s.staging_read_heap_mbps > 0,
          "both speeds in the statistics");
    CHECK(s.staging_reads_fast, "llvmpipe: mapped memory is ordinary memory, reads are fast");
    CHECK(check_log_count(GLVF_LOG_INFO, "mapped-read probe") == 1 &&
              check_log_count(GLVF_LOG_INFO, "direct rendering (auto) on") == 1,
          "the result and the decision are logged at info level");
    CHECK(sp.staging_read_mapped_mbps == 0 && sp.staging_read_heap_mbps == 0 &&
              !sp.staging_reads_fast,
          "a client context does not probe");
    /* the probe's cost, generously bounded (a shared machine): the design
     * target is well under 5 ms, printed above */
    CHECK(ms_probe - ms_plain < 50, "the probe is cheap (%.2f ms)", ms_probe - ms_plain);
    CHECK(dr_on(ctx, GLVF_FFMPEG_DR_AUTO), "DR auto is on with pbo-persistent");
    CHECK(!dr_on(plain, GLVF_FFMPEG_DR_AUTO), "DR auto is off with client");
    CHECK(glvf_context_destroy(&ctx) && glvf_context_destroy(&plain), "destroy");
}

static void test_probe_failed(void *arg)
{
    (void)arg;
    check_log_clear();
    glvf_context *ctx = make_ctx(GLVF_UPLOAD_PBO_PERSISTENT, true, NULL);
    REQUIRE(ctx, "create (the probe's failure does not fail it)");
    CHECK(map_calls == 1, "the probe mapped a buffer (%d calls)", map_calls);
    glvf_stats s;
    glvf_context_get_stats(ctx, &s);
    CHECK(s.staging_read_mapped_mbps == 0 && !s.staging_reads_fast,
          "no speed, not fast (%llu MB/s)", (unsigned long long)s.staging_read_mapped_mbps);
    CHECK(check_log_count(GLVF_LOG_ERROR, "mapped-read probe failed") == 1, "logged");
    check_log_clear();
    CHECK(!dr_on(ctx, GLVF_FFMPEG_DR_AUTO), "DR auto stays off");
    CHECK(check_log_count(GLVF_LOG_INFO, "direct rendering off: the mapped-read probe") == 1,
          "the decoder says why");
    CHECK(dr_on(ctx, GLVF_FFMPEG_DR_FORCE), "GLVF_FFMPEG_DR_FORCE still forces it");
    /* the ring itself works: the probe's failure was the probe's only */
    uint8_t px[64 * 48 * 4] = { 0 };
    glvf_image img = { .format = GLVF_FORMAT_RGBA8, .width = 64, .height = 48,
                       .planes = { { px, 64 * 4 } } };
    int err = 0;
    glvf_frame *f = glvf_upload(ctx, &img, NULL, &err);
    CHECK(f, "uploads through the ring (%d)", err);
    glvf_frame_unref(&f);
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !harness_api_parse(argv[1], &API)) {
        fprintf(stderr, "usage: %s gl33|gl45|gles30\n", argv[0]);
        return 2;
    }
    media_init(argv[1]);
    media_watchdog(120);
    H = harness_ctx_create(API, NULL);
    if (!H || !harness_make_current(H)) {
        printf("not ok 1 - create %s context\n", argv[1]);
        media_cleanup();
        return 1;
    }
    harness_print_info(H);
    if (!media_make(&clip)) {
        printf("# SKIP: no %s encoder\n", clip.encoder);
        harness_ctx_destroy(H);
        media_cleanup();
        return 77;
    }
    RUN(test_probe_llvmpipe, NULL);
    RUN(test_probe_failed, NULL);
    harness_ctx_destroy(H);
    check_log_clear();
    media_cleanup();
    return check_finish();
}
