/*
 * Upload throughput benchmark (meson benchmark, not a test): for 1080p and
 * 4K yuv420p (and any --format/--size given), each upload strategy against a
 * memcpy of the same bytes timed in the same run, on real GL through an EGL
 * surfaceless context (Mesa llvmpipe unless the driver says otherwise).
 *
 *   bench-upload [--api gl33|gl45|gles30] [--frames N] [--format F,...]
 *                [--size WxH,...] [--render-frames N]
 *
 * Then, in the same run, render time per frame: each size and format drawn
 * 1:1 into an RGBA8 FBO with the bilinear and the bicubic scaler
 * (glFinish per frame: the time is the GPU's, or llvmpipe's threads').
 *
 * Source frames rotate through a set larger than the CPU caches, so neither
 * side reads from cache. glFinish() runs before the clock stops, so
 * asynchronous strategies are not flattered. Every row is the best of three
 * interleaved repetitions (memcpy, each strategy, memcpy, ...), which keeps
 * the noise of a shared machine out of the ratios.
 */
#include "egl_harness.h"

#include <epoxy/gl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "glvf_alloc.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct source {
    glvf_image img;
    uint8_t *mem;
    size_t bytes;
} source;

static void make_sources(source *s, int n, glvf_format f, int w, int h)
{
    for (int i = 0; i < n; i++) {
        size_t total = 0, off[GLVF_MAX_PLANES];
        glvf_plane_layout l[GLVF_MAX_PLANES];
        int planes = glvf_format_planes(f);
        for (int p = 0; p < planes; p++) {
            glvf_plane_layout_get(NULL, f, w, h, p, &l[p]);
            off[p] = total;
            total += (size_t)l[p].row_bytes * (size_t)l[p].height;
        }
        s[i].mem = malloc(total);
        for (size_t k = 0; k < total; k++)
            s[i].mem[k] = (uint8_t)(k * 7 + (size_t)i * 13);
        s[i].bytes = total;
        memset(&s[i].img, 0, sizeof s[i].img);
        s[i].img.format = f;
        s[i].img.width = w;
        s[i].img.height = h;
        for (int p = 0; p < planes; p++) {
            s[i].img.planes[p].data = s[i].mem + off[p];
            s[i].img.planes[p].stride = l[p].row_bytes;
        }
    }
}

/* The floor: the same bytes copied into two alternating destinations, as
 * the pool alternates between the textures of two frames in flight. */
static double bench_memcpy(source *s, int nsrc, int frames, uint8_t *const dst[2])
{
    double t0 = now_s();
    for (int i = 0; i < frames; i++)
        memcpy(dst[i & 1], s[i % nsrc].mem, s[i % nsrc].bytes);
    return now_s() - t0;
}

static double bench_strategy(harness_ctx *h, glvf_upload_strategy strat, source *s, int nsrc,
                             int frames, glvf_upload_strategy *used, uint64_t *allocs)
{
    glvf_context *ctx = glvf_context_create(glvf_context_params(
            .get_proc_address = harness_get_proc, .get_proc_user = h,
            .is_current = harness_is_current, .is_current_user = h, .log = glvf_log_stderr,
            .upload = strat));
    if (!ctx)
        return -1;
    *used = glvf_context_get_upload_strategy(ctx);
    /* warm-up: fill the pool and the staging ring */
    glvf_frame *prev = NULL;
    for (int i = 0; i < 4; i++) {
        glvf_frame *f = glvf_upload(ctx, &s[i % nsrc].img, NULL, NULL);
        glvf_frame_unref(&prev);
        prev = f;
        glvf_context_collect(ctx);
    }
    glFinish();
    uint64_t a0 = glvf_alloc_count();
    double t0 = now_s();
    for (int i = 0; i < frames; i++) {
        glvf_frame *f = glvf_upload(ctx, &s[i % nsrc].img, NULL, NULL);
        glvf_frame_unref(&prev);
        prev = f;
        glvf_context_collect(ctx);
    }
    glFinish();
    double t = now_s() - t0;
    *allocs = glvf_alloc_count() - a0;
    glvf_frame_unref(&prev);
    glvf_context_destroy(&ctx);
    return t;
}

/* ms per rendered frame: upload once, render `frames` times 1:1 into an FBO. */
static double bench_render(harness_ctx *h, source *s, glvf_scaler scaler, int frames)
{
    glvf_context *ctx = glvf_context_create(glvf_context_params(
            .get_proc_address = harness_get_proc, .get_proc_user = h,
            .is_current = harness_is_current, .is_current_user = h, .log = glvf_log_stderr));
    if (!ctx)
        return -1;
    int w = s->img.width, hh = s->img.height;
    glvf_frame *f = glvf_upload(ctx, &s->img, NULL, NULL);
    harness_fbo fbo;
    harness_fbo_create(&fbo, w, hh);
    double best = 1e30;
    int ok = f && glvf_render_prepare(ctx, s->img.format) == 0;
    glvf_render(ctx, f, glvf_render_params(.scaler = scaler)); /* warm-up */
    glFinish();
    for (int i = 0; ok && i < frames; i++) {
        double t0 = now_s();
        ok = glvf_render(ctx, f, glvf_render_params(.scaler = scaler)) == 0;
        glFinish();
        double t = now_s() - t0;
        best = t < best ? t : best;
    }
    harness_fbo_destroy(&fbo);
    glvf_frame_unref(&f);
    glvf_context_destroy(&ctx);
    return ok ? best * 1000.0 : -1;
}

static int parse_size(const char *s, int *w, int *h)
{
    if (!strcmp(s, "720p")) { *w = 1280; *h = 720; return 1; }
    if (!strcmp(s, "1080p")) { *w = 1920; *h = 1080; return 1; }
    if (!strcmp(s, "4k")) { *w = 3840; *h = 2160; return 1; }
    return sscanf(s, "%dx%d", w, h) == 2 && *w > 0 && *h > 0;
}

int main(int argc, char **argv)
{
    harness_api api = HARNESS_GL45;
    int frames = 60, render_frames = 5;
    char formats[256] = "yuv420p", sizes[256] = "1080p,4k";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--api") && i + 1 < argc) {
            if (!harness_api_parse(argv[++i], &api)) {
                fprintf(stderr, "bench-upload: unknown api %s\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--frames") && i + 1 < argc) {
            frames = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--render-frames") && i + 1 < argc) {
            render_frames = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            snprintf(formats, sizeof formats, "%s", argv[++i]);
        } else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            snprintf(sizes, sizeof sizes, "%s", argv[++i]);
        } else {
            fprintf(stderr, "usage: %s [--api gl33|gl45|gles30] [--frames N] [--format F,...] "
                            "[--size WxH|720p|1080p|4k,...] [--render-frames N]\n",
                    argv[0]);
            return !strcmp(argv[i], "--help") ? 0 : 2;
        }
    }
    harness_ctx *h = harness_ctx_create(api, NULL);
    if (!h || !harness_make_current(h))
        return 1;
    const char *renderer = harness_print_info(h);
    printf("renderer: %s (%s)\n", renderer, (const char *)glGetString(GL_VERSION));
    printf("%-10s %-10s %-15s %8s %8s %9s %7s %s\n", "format", "size", "strategy", "fps",
           "GB/s", "x memcpy", "allocs", "(used)");
    char fbuf[256];
    snprintf(fbuf, sizeof fbuf, "%s", formats);
    for (char *fs = strtok(fbuf, ","); fs; fs = strtok(NULL, ",")) {
        int f = glvf_format_parse(fs);
        if (f < 0) {
            fprintf(stderr, "bench-upload: unknown format %s\n", fs);
            return 2;
        }
        char sbuf[256];
        snprintf(sbuf, sizeof sbuf, "%s", sizes);
        char *save = NULL;
        for (char *ss = strtok_r(sbuf, ",", &save); ss; ss = strtok_r(NULL, ",", &save)) {
            int w, hh;
            if (!parse_size(ss, &w, &hh)) {
                fprintf(stderr, "bench-upload: bad size %s\n", ss);
                return 2;
            }
            /* 8 distinct source frames: 100 MB at 4K, far over any cache */
            enum { NSRC = 8 };
            source src[NSRC];
            make_sources(src, NSRC, f, w, hh);
            uint8_t *dst[2] = { malloc(src[0].bytes), malloc(src[0].bytes) };
            memset(dst[0], 1, src[0].bytes);
            memset(dst[1], 1, src[0].bytes);
            double bytes = (double)src[0].bytes * frames;
            static const glvf_upload_strategy strats[] = {
                GLVF_UPLOAD_CLIENT, GLVF_UPLOAD_PBO_ORPHAN, GLVF_UPLOAD_PBO_PERSISTENT,
                GLVF_UPLOAD_AUTO,
            };
            double tm = 1e30, ts[4] = { 1e30, 1e30, 1e30, 1e30 };
            glvf_upload_strategy used[4];
            uint64_t allocs[4] = { 0 };
            for (int rep = 0; rep < 3; rep++) {
                double t = bench_memcpy(src, NSRC, frames, dst);
                tm = t < tm ? t : tm;
                for (int k = 0; k < 4; k++) {
                    uint64_t a = 0;
                    t = bench_strategy(h, strats[k], src, NSRC, frames, &used[k], &a);
                    if (t < 0 || ts[k] < 0)
                        ts[k] = -1;
                    else if (t < ts[k])
                        ts[k] = t;
                    allocs[k] += a;
                }
            }
            for (int k = 0; k < 4; k++)
                allocs[k] /= 3;
            char size_s[32];
            snprintf(size_s, sizeof size_s, "%dx%d", w, hh);
            printf("%-10s %-10s %-15s %8.1f %8.2f %9.2f %7s\n", fs, size_s, "memcpy",
                   frames / tm, bytes / tm / 1e9, 1.0, "-");
            for (int k = 0; k < 4; k++) {
                if (ts[k] <= 0) {
                    printf("%-10s %-10s %-15s failed\n", fs, size_s,
                           glvf_upload_strategy_name(strats[k]));
                    continue;
                }
                printf("%-10s %-10s %-15s %8.1f %8.2f %9.2f %7.2f (%s)\n", fs, size_s,
                       glvf_upload_strategy_name(strats[k]), frames / ts[k],
                       bytes / ts[k] / 1e9, tm / ts[k], (double)allocs[k] / frames,
                       glvf_upload_strategy_name(used[k]));
            }
            fflush(stdout);
            if (render_frames > 0) {
                double bl = bench_render(h, &src[0], GLVF_SCALER_BILINEAR, render_frames);
                double bc = bench_render(h, &src[0], GLVF_SCALER_BICUBIC, render_frames);
                printf("%-10s %-10s render 1:1: bilinear %.2f ms/frame, bicubic %.2f ms/frame "
                       "(best of %d)\n",
                       fs, size_s, bl, bc, render_frames);
                fflush(stdout);
            }
            free(dst[0]);
            free(dst[1]);
            for (int i = 0; i < NSRC; i++)
                free(src[i].mem);
        }
    }
    harness_ctx_destroy(h);
    return 0;
}
