/*
 * Decode + upload throughput of the FFmpeg module (meson benchmark, not a
 * test), on real GL through an EGL surfaceless context:
 *
 *   bench-ffmpeg-decode [gl33|gl45|gles30] [--size WxH] [--frames N]
 *
 * An H.264 yuv420p clip made by the ffmpeg CLI is decoded and every frame
 * uploaded (glFinish before the clock stops), in each mode:
 *   decode-only      frames released unseen: the decoder's own ceiling
 *   copy/client      DR off, glTexSubImage2D from FFmpeg's buffers
 *   dr/client        DR forced into CPU staging regions, then the same upload
 *   copy/pbo         DR off, pbo-persistent: glvf copies into the ring
 *   dr/pbo           DR into persistently mapped buffers: no CPU copy by glvf
 * Each row is the best of three interleaved repetitions.
 */
#include "check.h"
#include "egl_harness.h"
#include "ff_media.h"

#include <glvf/glvf-ffmpeg.h>

#include <epoxy/gl.h>
#include <time.h>

static harness_ctx *H;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct bmode {
    const char *name;
    bool upload;
    glvf_upload_strategy strategy;
    glvf_ffmpeg_dr dr;
    double best;
    glvf_ffmpeg_stats st;
    bool skipped;
} bmode;

static void run(bmode *m, const char *path)
{
    glvf_context *ctx = glvf_context_create(glvf_context_params(
            .get_proc_address = harness_get_proc, .get_proc_user = H,
            .is_current = harness_is_current, .is_current_user = H, .log = check_log,
            .upload = m->strategy, .flags = GLVF_CONTEXT_IGNORE_ENV));
    if (!ctx || (m->strategy && glvf_context_get_upload_strategy(ctx) != m->strategy)) {
        m->skipped = true;
        glvf_context_destroy(&ctx);
        return;
    }
    double t0 = now_s();
    glvf_ffmpeg_decoder *d = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = path, .ctx = ctx, .direct_rendering = m->dr,
                                       .log = check_log),
            NULL);
    if (!d) {
        m->skipped = true;
        glvf_context_destroy(&ctx);
        return;
    }
    AVFrame *f = NULL;
    while (glvf_ffmpeg_decoder_next(d, &f, 60000) == 0) {
        if (m->upload) {
            glvf_frame *gf = glvf_ffmpeg_upload(ctx, f, NULL, NULL);
            glvf_frame_unref(&gf);
        }
        glvf_ffmpeg_decoder_release(d, &f);
        glvf_context_collect(ctx);
    }
    glFinish();
    double dt = now_s() - t0;
    glvf_ffmpeg_decoder_get_stats(d, &m->st);
    glvf_ffmpeg_decoder_destroy(&d);
    glvf_context_destroy(&ctx);
    if (m->best == 0 || dt < m->best)
        m->best = dt;
}

int main(int argc, char **argv)
{
    harness_api api = HARNESS_GL45;
    const char *size = "1280x720";
    int frames = 90;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--size") && i + 1 < argc)
            size = argv[++i];
        else if (!strcmp(argv[i], "--frames") && i + 1 < argc)
            frames = atoi(argv[++i]);
        else if (!harness_api_parse(argv[i], &api)) {
            fprintf(stderr, "usage: %s [gl33|gl45|gles30] [--size WxH] [--frames N]\n",
                    argv[0]);
            return 2;
        }
    }
    media_init("bench");
    check_log_echo = false;
    glvf_ffmpeg_route_av_log(true);
    media_clip clip = { "bench.mkv", "libx264", size, frames,
                        "-c:v libx264 -preset ultrafast -bf 2 -g 30 -pix_fmt yuv420p" };
    if (!media_make(&clip)) {
        media_cleanup();
        return 77;
    }
    H = harness_ctx_create(api, NULL);
    if (!H || !harness_make_current(H)) {
        media_cleanup();
        return 1;
    }
    harness_print_info(H);
    bmode modes[] = {
        { "decode-only", false, GLVF_UPLOAD_CLIENT, GLVF_FFMPEG_DR_OFF, 0, { 0 }, false },
        { "copy/client", true, GLVF_UPLOAD_CLIENT, GLVF_FFMPEG_DR_OFF, 0, { 0 }, false },
        { "dr/client", true, GLVF_UPLOAD_CLIENT, GLVF_FFMPEG_DR_FORCE, 0, { 0 }, false },
        { "copy/pbo", true, GLVF_UPLOAD_PBO_PERSISTENT, GLVF_FFMPEG_DR_OFF, 0, { 0 }, false },
        { "dr/pbo", true, GLVF_UPLOAD_PBO_PERSISTENT, GLVF_FFMPEG_DR_AUTO, 0, { 0 }, false },
    };
    for (int rep = 0; rep < 3; rep++)
        for (size_t i = 0; i < (sizeof modes / sizeof modes[0]); i++)
            run(&modes[i], media_path(clip.name));
    printf("# %s h264 yuv420p, %d frames, %s\n", size, frames, harness_api_name(api));
    printf("# %-12s %9s %9s %10s %10s\n", "mode", "fps", "ms/frame", "DR frames", "fallbacks");
    for (size_t i = 0; i < (sizeof modes / sizeof modes[0]); i++) {
        bmode *m = &modes[i];
        if (m->skipped) {
            printf("# %-12s (unavailable on this context)\n", m->name);
            continue;
        }
        double fps = (double)m->st.frames_delivered / m->best;
        printf("# %-12s %9.1f %9.2f %10llu %10llu\n", m->name, fps, 1000.0 / fps,
               (unsigned long long)m->st.dr_frames, (unsigned long long)m->st.dr_fallbacks);
    }
    harness_ctx_destroy(H);
    glvf_ffmpeg_route_av_log(false);
    check_log_clear();
    media_cleanup();
    return 0;
}
