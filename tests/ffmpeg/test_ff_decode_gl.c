/*
 * The decoder + glvf_ffmpeg_upload on real GL (llvmpipe, EGL surfaceless),
 * once per context kind (argv[1]: gl33, gl45, gles30). Media are made at
 * test time by the ffmpeg CLI.
 *
 *  - every clip (H.264 4:2:0 / full-range 4:2:0 / 4:2:2 / 4:4:4, HEVC 10-bit,
 *    VP9, MPEG-4 part 2, FFV1 bgr0 / gray / gray16 / 4:2:2 10-bit, odd sizes
 *    1366x769 and 17x9, rotation from SEI and from the container, rawvideo
 *    nv12 / nv21 / yuyv422 / uyvy422 / rgb24 / rgba / yuva420p), in three
 *    modes: plain copy, DR forced (CPU regions), DR auto with pbo-persistent
 *    (desktop GL only): every uploaded frame read back equals libavcodec's
 *    own decoding of the file bit for bit, pts equal, frame count equals
 *    `ffprobe -count_frames`; DR was used where the codec allows it
 *  - steady state: after warm-up, decode+upload+release makes no heap
 *    allocation in glvf (core and module) and allocates no AVFrame
 *  - AVFrames held across decoder destroy stay valid and upload correctly
 *  - damaged media with DR on: no crash, every delivered frame uploads
 */
#include "check.h"
#include "egl_harness.h"
#include "ff_media.h"
#include "ffmpeg/ff_internal.h"
#include "glvf_alloc.h"

#include <glvf/glvf-ffmpeg.h>

#include <epoxy/gl.h>

static harness_ctx *H;
static harness_api API;

typedef struct clip {
    media_clip m;
    glvf_format format;     /* expected delivered format */
    bool full_range;
    int rotation;
    bool flip_h;
    bool dr_capable;        /* the codec has AV_CODEC_CAP_DR1 */
    const char *remux_from; /* made by media_remux_rotated from this clip */
    bool made;
    int probe_frames;
} clip;

#define X264 "-c:v libx264 -preset ultrafast -bf 2 -g 6"
static clip clips[] = {
    { { "h264-420.mp4", "libx264", "96x54", 12, X264 " -pix_fmt yuv420p" },
      GLVF_FORMAT_YUV420P, false, 0, false, true, NULL, false, 0 },
    { { "h264-j420.mkv", "libx264", "64x48", 8, X264 " -pix_fmt yuvj420p" },
      GLVF_FORMAT_YUV420P, true, 0, false, true, NULL, false, 0 },
    { { "h264-422.mkv", "libx264", "64x48", 8, X264 " -pix_fmt yuv422p" },
      GLVF_FORMAT_YUV422P, false, 0, false, true, NULL, false, 0 },
    { { "h264-444.mkv", "libx264", "64x48", 8, X264 " -pix_fmt yuv444p" },
      GLVF_FORMAT_YUV444P, false, 0, false, true, NULL, false, 0 },
    { { "hevc-420p10.mkv", "libx265", "64x48", 8,
        "-c:v libx265 -preset ultrafast -pix_fmt yuv420p10le -x265-params log-level=error" },
      GLVF_FORMAT_YUV420P10, false, 0, false, true, NULL, false, 0 },
    { { "vp9.webm", "libvpx-vp9", "64x48", 8,
        "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -pix_fmt yuv420p" },
      GLVF_FORMAT_YUV420P, false, 0, false, true, NULL, false, 0 },
    { { "mpeg4.avi", "mpeg4", "64x48", 8, "-c:v mpeg4 -bf 1 -g 4" },
      GLVF_FORMAT_YUV420P, false, 0, false, true, NULL, false, 0 },
    { { "ffv1-bgr0.mkv", "ffv1", "64x48", 4, "-c:v ffv1 -pix_fmt bgr0" },
      GLVF_FORMAT_BGRX8, true, 0, false, true, NULL, false, 0 },
    { { "ffv1-gray.mkv", "ffv1", "64x48", 4, "-c:v ffv1 -pix_fmt gray" },
      GLVF_FORMAT_GRAY8, true, 0, false, true, NULL, false, 0 },
    { { "ffv1-gray16.mkv", "ffv1", "64x48", 3, "-c:v ffv1 -pix_fmt gray16le" },
      GLVF_FORMAT_GRAY16, true, 0, false, true, NULL, false, 0 },
    { { "ffv1-422p10.mkv", "ffv1", "64x48", 3, "-c:v ffv1 -pix_fmt yuv422p10le" },
      GLVF_FORMAT_YUV422P10, false, 0, false, true, NULL, false, 0 },
    { { "odd-1366x769.mkv", "mpeg4", "1366x769", 3, "-c:v mpeg4 -q:v 8" },
      GLVF_FORMAT_YUV420P, false, 0, false, true, NULL, false, 0 },
    { { "odd-17x9-ffv1.mkv", "ffv1", "17x9", 4, "-c:v ffv1 -pix_fmt yuv420p" },
      GLVF_FORMAT_YUV420P, false, 0, false, true, NULL, false, 0 },
    { { "odd-17x9-h264.mkv", "libx264", "17x9", 6, X264 " -pix_fmt yuv444p" },
      GLVF_FORMAT_YUV444P, false, 0, false, true, NULL, false, 0 },
    /* display orientation SEI, anticlockwise 90: clockwise 270 */
    { { "rotate-sei.mkv", "libx264", "64x48", 4,
        X264 " -pix_fmt yuv420p -bsf:v h264_metadata=display_orientation=insert:rotate=90" },
      GLVF_FORMAT_YUV420P, false, 270, false, true, NULL, false, 0 },
    /* container display matrix: clockwise 90 (a phone's portrait video) */
    { { "rotate-container.mp4", NULL, NULL, 0, NULL }, GLVF_FORMAT_YUV420P, false, 90, false,
      true, "h264-420.mp4", false, 0 },
    /* the same, mirrored after the rotation */
    { { "rotate-flip.mp4", NULL, NULL, 0, NULL }, GLVF_FORMAT_YUV420P, false, 90, true, true,
      "h264-420.mp4", false, 0 },
    /* rawvideo: no DR1 (the frames reference the packets) */
    { { "raw-nv12.nut", "rawvideo", "32x18", 3, "-c:v rawvideo -pix_fmt nv12" },
      GLVF_FORMAT_NV12, false, 0, false, false, NULL, false, 0 },
    { { "raw-nv21.nut", "rawvideo", "32x18", 3, "-c:v rawvideo -pix_fmt nv21" },
      GLVF_FORMAT_NV21, false, 0, false, false, NULL, false, 0 },
    { { "raw-yuyv422.nut", "rawvideo", "32x18", 3, "-c:v rawvideo -pix_fmt yuyv422" },
      GLVF_FORMAT_YUYV422, false, 0, false, false, NULL, false, 0 },
    { { "raw-uyvy422.nut", "rawvideo", "32x18", 3, "-c:v rawvideo -pix_fmt uyvy422" },
      GLVF_FORMAT_UYVY422, false, 0, false, false, NULL, false, 0 },
    { { "raw-rgb24.nut", "rawvideo", "32x18", 3, "-c:v rawvideo -pix_fmt rgb24" },
      GLVF_FORMAT_RGB24, false, 0, false, false, NULL, false, 0 },
    { { "raw-rgba.nut", "rawvideo", "32x18", 3, "-c:v rawvideo -pix_fmt rgba" },
      GLVF_FORMAT_RGBA8, false, 0, false, false, NULL, false, 0 },
    { { "raw-yuva420p.nut", "rawvideo", "32x18", 3, "-c:v rawvideo -pix_fmt yuva420p" },
      GLVF_FORMAT_YUVA420P, false, 0, false, false, NULL, false, 0 },
};

typedef struct mode {
    const char *name;
    glvf_upload_strategy strategy;
    glvf_ffmpeg_dr dr;
} mode;

static const mode modes[] = {
    { "copy", GLVF_UPLOAD_AUTO, GLVF_FFMPEG_DR_OFF },
    { "dr-forced", GLVF_UPLOAD_AUTO, GLVF_FFMPEG_DR_FORCE },
    { "dr-pbo", GLVF_UPLOAD_PBO_PERSISTENT, GLVF_FFMPEG_DR_AUTO },
};

static glvf_context *make_ctx(glvf_upload_strategy s)
{
    return glvf_context_create(glvf_context_params(
            .get_proc_address = harness_get_proc, .get_proc_user = H,
            .is_current = harness_is_current, .is_current_user = H, .log = check_log,
            .upload = s, .flags = GLVF_CONTEXT_IGNORE_ENV));
}

/* Reads every plane of `gf` back and compares it with `ref`. */
static bool frame_matches(glvf_context *ctx, glvf_frame *gf, const AVFrame *ref,
                          const char *what)
{
    bool ok = true;
    int w = glvf_frame_width(gf), h = glvf_frame_height(gf);
    if (w != ref->width || h != ref->height) {
        printf("#   %s: size %dx%d, want %dx%d\n", what, w, h, ref->width, ref->height);
        return false;
    }
    for (int p = 0; p < glvf_frame_planes(gf) && ok; p++) {
        glvf_frame_plane fp;
        glvf_plane_layout l;
        glvf_frame_get_plane(gf, p, &fp);
        glvf_plane_layout_get(ctx, glvf_frame_format(gf), w, h, p, &l);
        size_t n = (size_t)l.row_bytes * (size_t)l.height;
        uint8_t *buf = malloc(n);
        memset(buf, 0x5a, n);
        char pw[160];
        snprintf(pw, sizeof pw, "%s plane %d", what, p);
        ok = harness_read_plane(H, fp.texture, &l, buf) &&
             media_rows_equal(buf, (size_t)l.row_bytes, ref->data[p], ref->linesize[p],
                              (size_t)l.row_bytes, l.height, pw);
        free(buf);
    }
    return ok;
}

static void run_clip_mode(clip *c, const mode *m, const ref_frames *refs)
{
    char what[192];
    glvf_context *ctx = make_ctx(m->strategy);
    REQUIRE(ctx, "context");
    if (m->strategy != GLVF_UPLOAD_AUTO && glvf_context_get_upload_strategy(ctx) != m->strategy) {
        printf("# %s: %s unavailable on %s, mode skipped\n", c->m.name,
               glvf_upload_strategy_name(m->strategy), harness_api_name(API));
        glvf_context_destroy(&ctx);
        return;
    }
    int err = 0;
    glvf_ffmpeg_decoder *dec = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = media_path(c->m.name), .ctx = ctx,
                                       .direct_rendering = m->dr, .threads = 2,
                                       .log = check_log),
            &err);
    CHECK(dec, "%s: open failed (%d)", c->m.name, err);
    if (!dec) {
        glvf_context_destroy(&ctx);
        return;
    }
    const glvf_ffmpeg_info *info = glvf_ffmpeg_decoder_info(dec);
    CHECK(info->format == c->format, "%s: format %s, want %s", c->m.name,
          glvf_format_name(info->format), glvf_format_name(c->format));
    bool dr_expected = m->dr != GLVF_FFMPEG_DR_OFF && c->dr_capable;
    CHECK(info->direct_rendering == dr_expected, "%s %s: direct rendering %d, expected %d",
          c->m.name, m->name, info->direct_rendering, dr_expected);
    int n = 0, bad = 0, zero_copy = 0;
    for (;;) {
        AVFrame *f = NULL;
        int r = glvf_ffmpeg_decoder_next(dec, &f, 20000);
        if (r == GLVF_FFMPEG_EOF)
            break;
        if (r < 0) {
            char e[128];
            CHECK(0, "%s %s: next returned %d (%s)", c->m.name, m->name, r,
                  glvf_ffmpeg_strerror(r, e, sizeof e));
            break;
        }
        snprintf(what, sizeof what, "%s %s frame %d", c->m.name, m->name, n);
        if (n >= refs->n) {
            CHECK(0, "%s: more frames than the reference (%d)", what, refs->n);
            glvf_ffmpeg_decoder_release(dec, &f);
            break;
        }
        glvf_frame *gf = glvf_ffmpeg_upload(ctx, f, NULL, &err);
        CHECK(gf, "%s: upload failed (%d)", what, err);
        if (gf) {
            const glvf_image *im = glvf_frame_image(gf);
            if (!frame_matches(ctx, gf, refs->f[n], what))
                bad++;
            CHECK(glvf_frame_pts(gf) == refs->f[n]->pts, "%s: pts %lld, want %lld", what,
                  (long long)glvf_frame_pts(gf), (long long)refs->f[n]->pts);
            CHECK(im->format == c->format, "%s: format", what);
            CHECK((im->color.range == GLVF_RANGE_FULL) == c->full_range, "%s: range %d", what,
                  (int)im->color.range);
            CHECK(im->rotation == c->rotation && im->flip_h == c->flip_h,
                  "%s: rotation %d flip_h %d, want %d %d", what, im->rotation, im->flip_h,
                  c->rotation, c->flip_h);
            zero_copy += glvf_frame_zero_copy(gf);
        }
        glvf_frame_unref(&gf);
        glvf_ffmpeg_decoder_release(dec, &f);
        glvf_context_collect(ctx);
        n++;
    }
    glvf_ffmpeg_stats st;
    glvf_ffmpeg_decoder_get_stats(dec, &st);
    printf("# %s %s on %s: %d frames (ffprobe %d, reference %d), DR %s: %llu DR frames, %llu "
           "fallbacks, %d zero-copy uploads, %llu AVFrames allocated\n",
           c->m.name, m->name, harness_api_name(API), n, c->probe_frames, refs->n,
           info->direct_rendering ? "on" : "off", (unsigned long long)st.dr_frames,
           (unsigned long long)st.dr_fallbacks, zero_copy,
           (unsigned long long)st.avframes_allocated);
    CHECK(bad == 0, "%s %s: %d frames differ from libavcodec's", c->m.name, m->name, bad);
    CHECK(n == refs->n && n == c->probe_frames, "%s %s: %d frames, reference %d, ffprobe %d",
          c->m.name, m->name, n, refs->n, c->probe_frames);
    CHECK(st.frames_delivered == (uint64_t)n && st.decode_errors == 0, "%s: stats",
          c->m.name);
    /* With pbo-persistent the first pictures fall back while the GL thread
     * creates the regions (on its next call): a short clip may be decoded
     * entirely before that (test_steady_state checks the DR ratio). With
     * CPU regions every picture of a DR1 codec is a DR one. */
    if (!info->direct_rendering)
        CHECK(st.dr_frames == 0, "%s %s: DR frames with DR off", c->m.name, m->name);
    else if (m->strategy != GLVF_UPLOAD_PBO_PERSISTENT)
        CHECK(st.dr_frames == st.frames_decoded && st.dr_fallbacks == 0,
              "%s %s: %llu of %llu frames DR", c->m.name, m->name,
              (unsigned long long)st.dr_frames, (unsigned long long)st.frames_decoded);
    else
        CHECK(zero_copy == (int)st.dr_frames, "%s %s: %d zero-copy uploads of %llu DR frames",
              c->m.name, m->name, zero_copy, (unsigned long long)st.dr_frames);
    glvf_ffmpeg_decoder_destroy(&dec);
    CHECK(!dec, "destroy clears");
    glvf_stats gs;
    glvf_context_get_stats(ctx, &gs);
    CHECK(gs.frames_live == 0 && gs.staging_live == 0, "%s: %llu frames, %llu regions live",
          c->m.name, (unsigned long long)gs.frames_live, (unsigned long long)gs.staging_live);
    CHECK(glvf_context_destroy(&ctx), "context destroy");
}

static void test_clip(void *arg)
{
    clip *c = arg;
    if (!c->made) {
        printf("# %s: not made (encoder missing), skipped\n", c->m.name);
        return;
    }
    ref_frames refs;
    int n = ref_decode(media_path(c->m.name), &refs);
    CHECK(n > 0, "%s: reference decode %d", c->m.name, n);
    c->probe_frames = media_probe_frames(media_path(c->m.name));
    CHECK(c->probe_frames > 0, "%s: ffprobe", c->m.name);
    if (n > 0)
        for (size_t i = 0; i < FF_ARRAY_LEN(modes); i++)
            run_clip_mode(c, &modes[i], &refs);
    ref_free(&refs);
}

/* ---- steady state -------------------------------------------------------- */

/* Decodes and uploads the whole clip; returns the frame count. */
static int steady_pass(glvf_ffmpeg_decoder *dec, glvf_context *ctx)
{
    int n = 0;
    for (;;) {
        AVFrame *f = NULL;
        if (glvf_ffmpeg_decoder_next(dec, &f, 20000) != 0)
            break;
        glvf_frame *gf = glvf_ffmpeg_upload(ctx, f, NULL, NULL);
        CHECK(gf, "upload");
        glvf_frame_unref(&gf);
        glvf_ffmpeg_decoder_release(dec, &f);
        glvf_context_collect(ctx);
        n++;
    }
    return n;
}

/*
 * Two passes through the clip warm up (texture pool, staging regions, AVFrame
 * shells, glvf frame structs); two more passes (after seeking back to the
 * start) are measured. A per-frame allocation would show up as hundreds.
 * Direct rendering's staging regions grow, like FFmpeg's own frame pool, to
 * the most pictures alive at once (the codec's references + frame threads +
 * the decoder's queue + the one being uploaded), and how close a run comes
 * to that depends on thread timing (6 or 7 regions for this clip; under
 * ASan a warm-up has stopped at 4). So the measured passes may create
 * regions, two allocations each (memory and handle), and nothing else;
 * and the regions stay within that bound. The exact figures are printed.
 */
static void steady_state(const char *file, const mode *m)
{
    glvf_context *ctx = make_ctx(m->strategy);
    REQUIRE(ctx, "context");
    if (m->strategy != GLVF_UPLOAD_AUTO && glvf_context_get_upload_strategy(ctx) != m->strategy) {
        glvf_context_destroy(&ctx);
        return;
    }
    glvf_ffmpeg_decoder *dec = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = media_path(file), .ctx = ctx,
                                       .direct_rendering = m->dr, .threads = 2,
                                       .log = check_log),
            NULL);
    REQUIRE(dec, "open");
    /* two warm-up passes: the pools' high-water mark depends on how far
     * the decoder's threads run ahead, which varies most under TSan */
    int warm = steady_pass(dec, ctx);
    CHECK(glvf_ffmpeg_decoder_seek(dec, 0) == 0, "seek");
    CHECK(steady_pass(dec, ctx) == warm, "second warm-up pass");
    glvf_ffmpeg_stats s0, s1;
    glvf_stats g;
    glvf_ffmpeg_decoder_get_stats(dec, &s0);
    glvf_context_get_stats(ctx, &g);
    uint64_t a0 = glvf_alloc_count();
    uint64_t t0 = g.objects[GLVF_OBJECT_TEXTURE].created;
    uint64_t b0 = g.objects[GLVF_OBJECT_BUFFER].created;
    uint64_t slots0 = g.staging_slots;
    int n = 0;
    for (int pass = 0; pass < 2; pass++) {
        CHECK(glvf_ffmpeg_decoder_seek(dec, 0) == 0, "seek");
        n += steady_pass(dec, ctx);
    }
    /* the module allocates on the core's heap: one count for both */
    uint64_t core = glvf_alloc_count() - a0;
    glvf_ffmpeg_decoder_get_stats(dec, &s1);
    glvf_context_get_stats(ctx, &g);
    printf("# steady state %s %s on %s: %d frames after %d of warm-up: %llu allocations (core "
           "and module), %llu AVFrames allocated, %llu textures + %llu buffers created; "
           "staging regions %llu -> %llu; DR frames %llu/%llu, fallbacks %llu\n",
           file, m->name, harness_api_name(API), n, 2 * warm, (unsigned long long)core,
           (unsigned long long)(s1.avframes_allocated - s0.avframes_allocated),
           (unsigned long long)(g.objects[GLVF_OBJECT_TEXTURE].created - t0),
           (unsigned long long)(g.objects[GLVF_OBJECT_BUFFER].created - b0),
           (unsigned long long)slots0, (unsigned long long)g.staging_slots,
           (unsigned long long)(s1.dr_frames - s0.dr_frames),
           (unsigned long long)(s1.frames_decoded - s0.frames_decoded),
           (unsigned long long)(s1.dr_fallbacks - s0.dr_fallbacks));
    CHECK(warm > 100 && n == 2 * warm, "%d + %d frames", warm, n);
    /* CPU regions (no GL buffer: client strategy) cost two allocations;
     * regions in GL buffers are created by glvf_staging_reserve and may
     * grow the tracker's queue, which counts them at their bound */
    uint64_t new_slots = g.staging_slots - slots0;
    uint64_t new_buffers = g.objects[GLVF_OBJECT_BUFFER].created - b0;
    CHECK(core <= 2 * new_slots + 2 * new_buffers,
          "%llu allocations over %d frames in steady state (%llu staging regions and "
          "%llu buffers created: at most two allocations each)",
          (unsigned long long)core, n, (unsigned long long)new_slots,
          (unsigned long long)new_buffers);
    /* references (H.264: at most 16) + frame threads (2) + queue + the one
     * uploaded */
    CHECK(g.staging_slots <= 16 + 2 + (uint64_t)s1.queue_capacity + 1,
          "%llu staging regions: more than the pictures a decoder can hold at once",
          (unsigned long long)g.staging_slots);
    CHECK(s1.avframes_allocated == s0.avframes_allocated, "AVFrames allocated in steady state");
    CHECK(g.objects[GLVF_OBJECT_TEXTURE].created == t0, "textures created in steady state");
    if (m->dr != GLVF_FFMPEG_DR_OFF)
        CHECK((s1.dr_frames - s0.dr_frames) * 10 >= (s1.frames_decoded - s0.frames_decoded) * 9,
              "DR frames in steady state below 90%%");
    glvf_ffmpeg_decoder_destroy(&dec);
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

static void test_steady_state(void *arg)
{
    (void)arg;
    static const media_clip c = { "steady.mkv", "libx264", "64x48", 120,
                                  "-c:v libx264 -preset ultrafast -bf 2 -g 30" };
    REQUIRE(media_make(&c), "clip");
    for (size_t i = 0; i < FF_ARRAY_LEN(modes); i++)
        steady_state(c.name, &modes[i]);
}

/* ---- frames held across destroy ------------------------------------------ */

static void test_held_frames(void *arg)
{
    (void)arg;
    const char *file = "h264-420.mp4";
    ref_frames refs;
    REQUIRE(ref_decode(media_path(file), &refs) > 4, "reference");
    for (size_t mi = 1; mi < FF_ARRAY_LEN(modes); mi++) {
        glvf_context *ctx = make_ctx(modes[mi].strategy);
        REQUIRE(ctx, "context");
        glvf_ffmpeg_decoder *dec = glvf_ffmpeg_decoder_open(
                glvf_ffmpeg_decoder_params(.path = media_path(file), .ctx = ctx,
                                           .direct_rendering = modes[mi].dr, .threads = 2,
                                           .log = check_log),
                NULL);
        REQUIRE(dec, "open");
        AVFrame *held[4] = { 0 };
        int direct = 0;
        for (int i = 0; i < 4; i++) {
            CHECK(glvf_ffmpeg_decoder_next(dec, &held[i], 20000) == 0, "next %d", i);
            direct += glvf_ffmpeg_frame_is_direct(held[i]);
        }
        /* the decoder goes away while its frames (and the codec's
         * reference pictures) are still out there */
        glvf_ffmpeg_decoder_destroy(&dec);
        for (int i = 0; i < 4; i++) {
            if (!held[i])
                continue;
            char what[64];
            snprintf(what, sizeof what, "%s held frame %d", modes[mi].name, i);
            glvf_frame *gf = glvf_ffmpeg_upload(ctx, held[i], NULL, NULL);
            CHECK(gf && frame_matches(ctx, gf, refs.f[i], what), "%s", what);
            glvf_frame_unref(&gf);
            if (i % 2)
                av_frame_free(&held[i]);
            else
                glvf_ffmpeg_decoder_release(NULL, &held[i]);
        }
        printf("# %s: %d of 4 held frames were DR pictures\n", modes[mi].name, direct);
        glvf_context_collect(ctx);
        glvf_stats gs;
        glvf_context_get_stats(ctx, &gs);
        CHECK(gs.staging_live == 0, "%llu regions still live",
              (unsigned long long)gs.staging_live);
        CHECK(glvf_context_destroy(&ctx), "destroy");
    }
    ref_free(&refs);
    CHECK(check_log_count(GLVF_LOG_WARN, "leak") == 0, "leaks reported");
}

/* ---- damaged media with DR ---------------------------------------------- */

static void test_damaged_dr(void *arg)
{
    (void)arg;
    size_t n = 0;
    unsigned char *buf = media_read("h264-420.mp4", &n);
    REQUIRE(buf && n > 2000, "read clip");
    for (int seed = 1; seed <= 4; seed++) {
        srand((unsigned)seed);
        unsigned char *b = malloc(n);
        memcpy(b, buf, n);
        for (int k = 0; k < 40; k++)
            b[800 + (size_t)rand() % (n - 1600)] ^= (unsigned char)(1 + rand() % 255);
        char name[64];
        snprintf(name, sizeof name, "damaged-%d.mp4", seed);
        media_write(name, b, n / (size_t)(seed == 4 ? 2 : 1)); /* the last one truncated */
        free(b);
        glvf_context *ctx = make_ctx(GLVF_UPLOAD_AUTO);
        REQUIRE(ctx, "context");
        int err = 0;
        glvf_ffmpeg_decoder *dec = glvf_ffmpeg_decoder_open(
                glvf_ffmpeg_decoder_params(.path = media_path(name), .ctx = ctx,
                                           .direct_rendering = GLVF_FFMPEG_DR_FORCE,
                                           .threads = 2, .log = check_log),
                &err);
        int frames = 0, r = 0;
        if (dec) {
            for (;;) {
                AVFrame *f = NULL;
                r = glvf_ffmpeg_decoder_next(dec, &f, 20000);
                if (r != 0)
                    break;
                glvf_frame *gf = glvf_ffmpeg_upload(ctx, f, NULL, NULL);
                CHECK(gf, "%s: upload", name);
                glvf_frame_unref(&gf);
                glvf_ffmpeg_decoder_release(dec, &f);
                frames++;
            }
            CHECK(r == GLVF_FFMPEG_EOF || (r < 0 && r != -EAGAIN), "%s: ended with %d", name, r);
            glvf_ffmpeg_stats st;
            glvf_ffmpeg_decoder_get_stats(dec, &st);
            char e[128];
            printf("# %s: %d frames, ended with %s, %llu decode errors, %llu corrupt\n", name,
                   frames, glvf_ffmpeg_strerror(r, e, sizeof e),
                   (unsigned long long)st.decode_errors, (unsigned long long)st.frames_corrupt);
        } else {
            char e[128];
            printf("# %s: open failed: %s\n", name, glvf_ffmpeg_strerror(err, e, sizeof e));
            CHECK(err < 0, "error code");
        }
        glvf_ffmpeg_decoder_destroy(&dec);
        CHECK(glvf_context_destroy(&ctx), "destroy");
    }
    free(buf);
}

/* defer_context: the open touches no glvf context; after the attach the
 * pictures go to its staging memory (the first ones, decoded before it,
 * are FFmpeg's own); a second attach and one without defer_context are
 * refused. */
static void test_deferred_context(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx(GLVF_UPLOAD_AUTO);
    REQUIRE(ctx, "context");
    int err = 0;
    glvf_ffmpeg_decoder *dec = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = media_path("h264-420.mp4"), .defer_context = true,
                                       .direct_rendering = GLVF_FFMPEG_DR_FORCE, .threads = 2,
                                       .log = check_log),
            &err);
    REQUIRE(dec, "open with defer_context (%d)", err);
    CHECK(!glvf_ffmpeg_decoder_info(dec)->direct_rendering, "DR off before the attach");
    CHECK(glvf_ffmpeg_decoder_attach_context(dec, ctx), "attach");
    CHECK(glvf_ffmpeg_decoder_info(dec)->direct_rendering, "DR on after the attach");
    CHECK(!glvf_ffmpeg_decoder_attach_context(dec, ctx), "a second attach is refused");
    int frames = 0, direct = 0, r;
    for (;;) {
        AVFrame *f = NULL;
        r = glvf_ffmpeg_decoder_next(dec, &f, 20000);
        if (r != 0)
            break;
        direct += glvf_ffmpeg_frame_is_direct(f);
        glvf_frame *gf = glvf_ffmpeg_upload(ctx, f, NULL, NULL);
        CHECK(gf, "upload frame %d", frames);
        glvf_frame_unref(&gf);
        glvf_ffmpeg_decoder_release(dec, &f);
        frames++;
    }
    CHECK(r == GLVF_FFMPEG_EOF, "ends at EOF (%d)", r);
    printf("# deferred context: %d frames, %d direct\n", frames, direct);
    CHECK(frames > 0 && direct > 0, "pictures in staging memory after the attach (%d of %d)",
          direct, frames);
    glvf_ffmpeg_decoder_destroy(&dec);
    dec = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = media_path("h264-420.mp4"), .log = check_log),
            &err);
    REQUIRE(dec, "open without defer_context");
    CHECK(!glvf_ffmpeg_decoder_attach_context(dec, ctx), "attach refused without defer_context");
    glvf_ffmpeg_decoder_destroy(&dec);
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !harness_api_parse(argv[1], &API)) {
        fprintf(stderr, "usage: %s gl33|gl45|gles30\n", argv[0]);
        return 2;
    }
    media_init(argv[1]);
    check_log_echo = true;
    glvf_ffmpeg_route_av_log(true);
    H = harness_ctx_create(API, NULL);
    if (!H || !harness_make_current(H)) {
        printf("not ok 1 - create %s context\n", argv[1]);
        media_cleanup();
        return 1;
    }
    harness_print_info(H);
    for (size_t i = 0; i < FF_ARRAY_LEN(clips); i++) {
        clip *c = &clips[i];
        if (c->remux_from)
            c->made = media_remux_rotated(c->remux_from, c->m.name, c->rotation, c->flip_h);
        else
            c->made = media_make(&c->m);
    }
    for (size_t i = 0; i < FF_ARRAY_LEN(clips); i++)
        RUN_NAMED(clips[i].m.name, test_clip, &clips[i]);
    RUN(test_steady_state, NULL);
    RUN(test_deferred_context, NULL);
    RUN(test_held_frames, NULL);
    RUN(test_damaged_dr, NULL);
    harness_ctx_destroy(H);
    glvf_ffmpeg_route_av_log(false);
    check_log_clear();
    media_cleanup();
    return check_finish();
}
