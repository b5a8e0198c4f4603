/*
 * Fuzz target: media bytes through the FFmpeg module's decoder.
 *
 * The input (after a first config byte) becomes a file in memory (memfd,
 * opened by path as /proc/self/fd/N: glvf_ffmpeg_decoder_open takes a
 * path); the decoder opens it (probing, stream selection, codec, pixel
 * format check), its thread decodes, and the consumer takes up to 24 frames
 * with glvf_ffmpeg_decoder_next, uploads each with glvf_ffmpeg_upload into a
 * fake-GL context (tests/harness/fakegl.h) -- direct rendering into glvf
 * staging memory on or off, libswscale conversion on or off, as the config
 * byte says -- and releases it; then destroys everything.
 *
 * Must never crash, trip ASan/UBSan, leak, hang (libFuzzer's -timeout), or
 * leave a glvf frame, staging region or GL object behind.
 *
 * Config byte: bit 0 direct rendering forced (else off), bit 1 convert,
 * bit 2 a seek to 0 after the first frame, bit 3 stop on the first error,
 * bits 4-5 queue depth - 1.
 *
 * Only glvf's own code is instrumented for coverage in scripts/fuzz.sh
 * (FFmpeg is the system's); the seeds are small real clips of several
 * containers and codecs, so mutations reach the demuxers and decoders.
 */
#define _GNU_SOURCE
#include "fakegl.h"

#include <errno.h>
#include <glvf/glvf-ffmpeg.h>
#include <glvf/glvf.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define ENSURE(cond)                                                                       \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_decoder: %s:%d: %s\n", __FILE__, __LINE__, #cond);       \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

#define MAX_FRAMES 24
#define MAX_PIXELS (4096 * 4096)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    av_log_set_level(AV_LOG_QUIET);
    return 0;
}

static void quiet(void *user, glvf_log_level level, const char *msg)
{
    (void)user, (void)level, (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    if (!init) { /* the replay driver may not call LLVMFuzzerInitialize */
        av_log_set_level(AV_LOG_QUIET);
        init = true;
    }
    if (size < 1)
        return 0;
    unsigned config = data[0];
    data++, size--;

    int fd = memfd_create("glvf-fuzz", MFD_CLOEXEC);
    ENSURE(fd >= 0);
    size_t done = 0;
    while (done < size) {
        ssize_t k = write(fd, data + done, size - done);
        ENSURE(k > 0);
        done += (size_t)k;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

    fakegl_reset(&(fakegl_config){ 0 });
    fakegl_set_current(true);
    glvf_context *ctx = glvf_context_create(glvf_context_params(
            .get_proc_address = fakegl_get_proc, .is_current = fakegl_is_current,
            .log = quiet, .flags = GLVF_CONTEXT_IGNORE_ENV, .upload = GLVF_UPLOAD_CLIENT));
    ENSURE(ctx);

    int err = 0;
    glvf_ffmpeg_decoder *dec = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(
                    .path = path, .ctx = ctx,
                    .direct_rendering = config & 1 ? GLVF_FFMPEG_DR_FORCE : GLVF_FFMPEG_DR_OFF,
                    .convert = (config >> 1) & 1, .stop_on_error = (config >> 3) & 1,
                    .queue_frames = 1 + (int)((config >> 4) & 3), .threads = 1,
                    .log = quiet),
            &err);
    ENSURE(dec || err < 0);
    bool verbose = getenv("GLVF_FUZZ_VERBOSE") != NULL;
    int uploaded = 0;
    if (verbose && !dec) {
        char msg[128];
        fprintf(stderr, "# open: %s\n", glvf_ffmpeg_strerror(err, msg, sizeof msg));
    }
    if (dec) {
        const glvf_ffmpeg_info *info = glvf_ffmpeg_decoder_info(dec);
        ENSURE(info && info->width >= 0 && info->height >= 0);
        bool small = (int64_t)info->width * info->height <= MAX_PIXELS;
        bool seeked = false;
        for (int n = 0; small && n < MAX_FRAMES; n++) {
            AVFrame *f = NULL;
            int r = glvf_ffmpeg_decoder_next(dec, &f, 5000);
            if (r != 0) {
                ENSURE(!f);
                break; /* end, error, or too slow: destroy interrupts it */
            }
            ENSURE(f);
            glvf_frame *frame = glvf_ffmpeg_upload(ctx, f, NULL, &err);
            ENSURE(frame || err < 0);
            uploaded += frame != NULL;
            glvf_ffmpeg_decoder_release(dec, &f);
            ENSURE(!f);
            glvf_frame_unref(&frame);
            glvf_context_collect(ctx);
            if ((config >> 2) & 1 && !seeked) {
                ENSURE(glvf_ffmpeg_decoder_seek(dec, 0) == 0);
                seeked = true;
            }
        }
        glvf_ffmpeg_stats st;
        glvf_ffmpeg_decoder_get_stats(dec, &st);
        if (verbose)
            fprintf(stderr, "# %s %s %dx%d %s: %d frames uploaded, %llu decoded, %llu DR\n",
                    info->container_name, info->codec_name, info->width, info->height,
                    info->pix_fmt_name, uploaded, (unsigned long long)st.frames_decoded,
                    (unsigned long long)st.dr_frames);
        ENSURE(st.frames_delivered <= st.frames_decoded);
        glvf_ffmpeg_decoder_destroy(&dec);
        ENSURE(!dec);
    }
    close(fd);
    glvf_stats s;
    glvf_context_get_stats(ctx, &s);
    ENSURE(s.frames_live == 0 && s.staging_live == 0);
    ENSURE(glvf_context_destroy(&ctx));
    fakegl_stats fs = fakegl_get_stats();
    for (int k = 0; k < FAKEGL_KIND_COUNT; k++)
        ENSURE(fs.live[k] == 0);
    ENSURE(fs.bad_deletes == 0 && fs.violations == 0);
    return 0;
}
