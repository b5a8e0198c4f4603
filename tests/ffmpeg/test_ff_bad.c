/*
 * Bad input (no GL): a missing path, an empty file, a text file, an audio
 * file, truncated files (at many cut points), corrupted bytes (many seeds,
 * tolerant and stop_on_error), a pixel format glvf does not carry (refused
 * with its name; converted with .convert), invalid parameters. Each ends
 * with a clear error code and message, never a crash; leaks are LSan's.
 */
#include "check.h"
#include <arpa/inet.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ff_media.h"

#include "ffmpeg/ff_internal.h"
#include "glvf_alloc.h"

#include <glvf/glvf-ffmpeg.h>

static const media_clip src_mkv = { "good.mkv", "libx264", "64x48", 24,
                                    "-c:v libx264 -preset ultrafast -bf 2 -g 8" };
static const media_clip src_mp4 = { "good.mp4", "libx264", "64x48", 24,
                                    "-c:v libx264 -preset ultrafast -bf 2 -g 8" };
static const media_clip src_mp4_fast = { "good-faststart.mp4", "libx264", "64x48", 24,
                                         "-c:v libx264 -preset ultrafast -bf 2 -g 8 "
                                         "-movflags +faststart" };
static const media_clip src_mpeg4 = { "good.avi", "mpeg4", "64x48", 24, "-c:v mpeg4 -g 8" };
static const media_clip src_410 = { "yuv410p.mkv", "ffv1", "64x48", 3,
                                    "-c:v ffv1 -pix_fmt yuv410p" };

/* Opens, decodes everything; returns the final code (or the open error),
 * frames in *frames. Checks the invariants every bad file must keep. */
static int decode_all(const char *name, bool stop_on_error, int *frames, bool convert)
{
    int err = 0;
    *frames = 0;
    glvf_ffmpeg_decoder *d = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = media_path(name), .threads = 2,
                                       .stop_on_error = stop_on_error, .convert = convert,
                                       .log = check_log),
            &err);
    if (!d) {
        CHECK(err < 0, "%s: open failed without a code", name);
        return err;
    }
    int r;
    for (;;) {
        AVFrame *f = NULL;
        r = glvf_ffmpeg_decoder_next(d, &f, 20000);
        if (r != 0)
            break;
        glvf_image img;
        CHECK(glvf_ffmpeg_image_from_frame(f, &img, NULL, 0) == 0, "%s: delivered frame maps",
              name);
        glvf_ffmpeg_decoder_release(d, &f);
        (*frames)++;
    }
    CHECK(r == GLVF_FFMPEG_EOF || (r < 0 && r != -EAGAIN && r != -ECANCELED),
          "%s: ended with %d", name, r);
    char msg[600];
    int code = glvf_ffmpeg_decoder_last_error(d, msg, sizeof msg);
    if (r != GLVF_FFMPEG_EOF)
        CHECK(code == r && msg[0], "%s: last error %d '%s' for %d", name, code, msg, r);
    glvf_ffmpeg_decoder_destroy(&d);
    return r;
}

static void test_missing(void *arg)
{
    (void)arg;
    check_log_clear();
    int err = 0;
    glvf_ffmpeg_decoder *d = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = "/nonexistent/glvf/clip.mkv", .log = check_log),
            &err);
    CHECK(!d && err == AVERROR(ENOENT), "missing: %d", err);
    CHECK(check_log_count(GLVF_LOG_ERROR, "/nonexistent/glvf/clip.mkv") == 1 &&
                  check_log_count(GLVF_LOG_ERROR, "No such file") == 1,
          "the message names the path and the cause");
}

/* Local input only by default: a URL, or a concat list pointing at one, is
 * refused by the protocol whitelist (no connection is attempted); a concat
 * list of local files still plays. */
static void test_protocols(void *arg)
{
    (void)arg;
    int err = 0;
    check_log_clear();
    glvf_ffmpeg_decoder *d = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = "http://127.0.0.1:9/clip.mp4", .log = check_log),
            &err);
    CHECK(!d && err < 0, "a URL is refused by default (%d)", err);
    glvf_ffmpeg_decoder_destroy(&d);

    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -hide_banner -v error -y -f lavfi -i testsrc2=s=64x48:r=10 "
             "-frames:v 5 -c:v ffv1 '%s'",
             media_path("local.mkv"));
    REQUIRE(media_sh(cmd), "local clip");
    const char remote[] = "ffconcat version 1.0\nfile 'http://127.0.0.1:9/clip.mp4'\n";
    const char local[] = "ffconcat version 1.0\nfile 'local.mkv'\n";
    REQUIRE(media_write("remote.ffconcat", remote, sizeof remote - 1), "write");
    REQUIRE(media_write("local.ffconcat", local, sizeof local - 1), "write");
    int frames = 0;
    int r = decode_all("remote.ffconcat", false, &frames, false);
    CHECK(r < 0 && r != GLVF_FFMPEG_EOF && frames == 0,
          "a concat list cannot reach a URL (%d, %d frames)", r, frames);
    r = decode_all("local.ffconcat", false, &frames, false);
    CHECK(r == GLVF_FFMPEG_EOF && frames == 5, "a concat list of local files plays (%d, %d)",
          r, frames);
}

/* A server that takes the connection and never answers: without a
 * cancellation the open would wait forever (libavformat's default I/O
 * timeout is none); the caller's interrupt ends it at the next poll. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cancel_at;

static bool cancel_after(void *user)
{
    (void)user;
    return now_s() >= cancel_at;
}

static void test_cancel(void *arg)
{
    (void)arg;
    int srv = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(srv >= 0, "socket");
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    REQUIRE(bind(srv, (struct sockaddr *)&a, sizeof a) == 0 && listen(srv, 4) == 0 &&
                    getsockname(srv, (struct sockaddr *)&a, &len) == 0,
            "listen on 127.0.0.1");
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/clip.mp4", ntohs(a.sin_port));
    check_log_clear();
    int err = 0;
    double t0 = now_s();
    cancel_at = t0 + 0.3;
    glvf_ffmpeg_decoder *d = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = url, .protocols = "http,tcp",
                                       .log = check_log, .log_level = GLVF_LOG_INFO,
                                       .interrupt = cancel_after),
            &err);
    double secs = now_s() - t0;
    printf("# a stalled server: the open returned %d after %.2f s (cancelled at 0.3 s)\n", err,
           secs);
    CHECK(!d && err == AVERROR_EXIT, "cancelled: AVERROR_EXIT (%d)", err);
    CHECK(secs < 5, "returned soon after the cancellation (%.2f s)", secs);
    CHECK(check_log_count(GLVF_LOG_INFO, "was cancelled") == 1, "logged as cancelled");
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "not logged as an error");
    glvf_ffmpeg_decoder_destroy(&d);
    close(srv);
}

static void test_empty_and_text(void *arg)
{
    (void)arg;
    REQUIRE(media_write("empty.mkv", "", 0), "write");
    const char text[] = "This is not a video file, only some text.\n";
    REQUIRE(media_write("text.mp4", text, sizeof text - 1), "write");
    int frames;
    check_log_clear();
    int r = decode_all("empty.mkv", false, &frames, false);
    CHECK(r < 0 && r != GLVF_FFMPEG_EOF, "empty: %d", r);
    CHECK(check_log_count(GLVF_LOG_ERROR, "empty.mkv") >= 1, "message names the file");
    r = decode_all("text.mp4", false, &frames, false);
    CHECK(r < 0 && r != GLVF_FFMPEG_EOF, "text: %d", r);
    char e[128];
    printf("# empty and text files: %s\n", glvf_ffmpeg_strerror(r, e, sizeof e));
}

static void test_audio_only(void *arg)
{
    (void)arg;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -hide_banner -v error -y -f lavfi -i sine=d=0.3 '%s'",
             media_path("audio.wav"));
    REQUIRE(media_sh(cmd), "audio");
    check_log_clear();
    int frames;
    int r = decode_all("audio.wav", false, &frames, false);
    CHECK(r == AVERROR_STREAM_NOT_FOUND, "audio only: %d", r);
    CHECK(check_log_count(GLVF_LOG_ERROR, "no video stream (streams: audio)") == 1,
          "message says there is no video stream");
}

static void test_truncated(void *arg)
{
    (void)arg;
    const media_clip *srcs[] = { &src_mkv, &src_mp4, &src_mp4_fast, &src_mpeg4 };
    for (size_t s = 0; s < FF_ARRAY_LEN(srcs); s++) {
        size_t n = 0;
        unsigned char *buf = media_read(srcs[s]->name, &n);
        REQUIRE(buf && n > 1000, "read %s", srcs[s]->name);
        int opened = 0, failed = 0;
        check_log_clear();
        for (int pct = 5; pct < 100; pct += 9) {
            char name[64];
            snprintf(name, sizeof name, "cut%d-%s", pct, srcs[s]->name);
            size_t len = n * (size_t)pct / 100;
            REQUIRE(media_write(name, buf, len), "write");
            int frames;
            int r = decode_all(name, false, &frames, false);
            CHECK(frames <= srcs[s]->frames, "%s: %d frames", name, frames);
            char e[128];
            printf("# %s (%zu of %zu bytes): %d frames, %s\n", name, len, n, frames,
                   glvf_ffmpeg_strerror(r, e, sizeof e));
            if (frames > 0)
                opened++;
            else
                failed++;
        }
        int warned = check_log_count(GLVF_LOG_WARN, "may be truncated");
        printf("# %s truncated: %d decoded partly (%d flagged as truncated), %d refused\n",
               srcs[s]->name, opened, warned, failed);
        if (srcs[s] == &src_mkv) /* Matroska reports a cut file as a plain end */
            CHECK(warned > 0, "no truncation warning for a cut Matroska file");
        free(buf);
    }
}

static void test_corrupted(void *arg)
{
    (void)arg;
    const media_clip *srcs[] = { &src_mkv, &src_mp4_fast, &src_mpeg4 };
    for (size_t s = 0; s < FF_ARRAY_LEN(srcs); s++) {
        size_t n = 0;
        unsigned char *buf = media_read(srcs[s]->name, &n);
        REQUIRE(buf && n > 1000, "read %s", srcs[s]->name);
        unsigned char *b = malloc(n);
        int errors_seen = 0;
        for (int seed = 1; seed <= 12; seed++) {
            srand((unsigned)seed * 7919u);
            memcpy(b, buf, n);
            /* seeds 1-3 damage the headers too, the others only the payload */
            size_t from = seed <= 3 ? 0 : n / 4;
            int count = seed % 2 ? 16 : 200;
            for (int k = 0; k < count; k++)
                b[from + (size_t)rand() % (n - from)] = (unsigned char)rand();
            char name[64];
            snprintf(name, sizeof name, "bad%d-%s", seed, srcs[s]->name);
            REQUIRE(media_write(name, b, n), "write");
            for (int strict = 0; strict < 2; strict++) {
                int frames;
                int r = decode_all(name, strict, &frames, false);
                char e[128];
                printf("# %s%s: %d frames, %s\n", name, strict ? " (stop_on_error)" : "", frames,
                       glvf_ffmpeg_strerror(r, e, sizeof e));
                errors_seen += r != GLVF_FFMPEG_EOF;
            }
        }
        printf("# %s: %d of 24 runs ended on an error\n", srcs[s]->name, errors_seen);
        free(b);
        free(buf);
    }
}

static void test_unsupported_format(void *arg)
{
    (void)arg;
    check_log_clear();
    int err = 0;
    glvf_ffmpeg_decoder *d = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = media_path(src_410.name), .log = check_log),
            &err);
    CHECK(!d && err == -ENOTSUP, "yuv410p refused: %d", err);
    CHECK(check_log_count(GLVF_LOG_ERROR, "pixel format 'yuv410p' is not supported") == 1,
          "the message names the format");
    d = glvf_ffmpeg_decoder_open(glvf_ffmpeg_decoder_params(.path = media_path(src_410.name),
                                                            .convert = true, .log = check_log),
                                 &err);
    REQUIRE(d, "open with convert: %d", err);
    const glvf_ffmpeg_info *in = glvf_ffmpeg_decoder_info(d);
    printf("# yuv410p converts to %s\n", glvf_format_name(in->format));
    CHECK(in->converting && in->format != GLVF_FORMAT_NONE && !strcmp(in->pix_fmt_name, "yuv410p"),
          "info");
    int n = 0;
    AVFrame *f = NULL;
    while (glvf_ffmpeg_decoder_next(d, &f, 20000) == 0) {
        bool full;
        CHECK(glvf_ffmpeg_format_from_av(f->format, &full) == in->format, "converted format");
        CHECK(f->width == 64 && f->height == 48 && f->pts != AV_NOPTS_VALUE, "props");
        glvf_ffmpeg_decoder_release(d, &f);
        n++;
    }
    glvf_ffmpeg_stats st;
    glvf_ffmpeg_decoder_get_stats(d, &st);
    CHECK(n == 3 && st.frames_converted == 3, "%d frames, %llu converted", n,
          (unsigned long long)st.frames_converted);
    glvf_ffmpeg_decoder_destroy(&d);
}

static void test_bad_params(void *arg)
{
    (void)arg;
    int err = 0;
    CHECK(!glvf_ffmpeg_decoder_open(NULL, &err) && err == -EINVAL, "NULL params");
    CHECK(!glvf_ffmpeg_decoder_open(glvf_ffmpeg_decoder_params(.path = NULL), &err) &&
                  err == -EINVAL,
          "NULL path");
    CHECK(!glvf_ffmpeg_decoder_open(glvf_ffmpeg_decoder_params(.path = ""), &err) &&
                  err == -EINVAL,
          "empty path");
    CHECK(!glvf_ffmpeg_decoder_open(glvf_ffmpeg_decoder_params(.path = media_path("good.mkv"),
                                                               .queue_frames = 1000,
                                                               .log = check_log),
                                    &err) &&
                  err == -EINVAL,
          "queue too long");
    CHECK(!glvf_ffmpeg_decoder_open(glvf_ffmpeg_decoder_params(.path = media_path("good.mkv"),
                                                               .threads = -1),
                                    NULL),
          "negative threads");
    CHECK(glvf_ffmpeg_decoder_seek(NULL, 0) == -EINVAL, "seek NULL");
    CHECK(glvf_ffmpeg_decoder_info(NULL) == NULL, "info NULL");
    glvf_ffmpeg_stats st;
    glvf_ffmpeg_decoder_get_stats(NULL, &st);
    CHECK(st.frames_decoded == 0, "stats NULL");
    char msg[8] = "x";
    CHECK(glvf_ffmpeg_decoder_last_error(NULL, msg, sizeof msg) == -EINVAL && !msg[0],
          "last error NULL");
}

/* Allocation failures inside the module: it allocates on the core's heap,
 * so glvf_alloc_count() counts its allocations and glvf_alloc_fail_nth()
 * fails them; every one is handled. */
static void test_alloc_failures(void *arg)
{
    (void)arg;
    /* counted: the decoder, its queue and its AVFrame shell table at least */
    uint64_t a0 = glvf_alloc_count();
    int err = 0;
    glvf_ffmpeg_decoder *d = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = media_path("good.mkv"), .log = check_log),
            &err);
    CHECK(d && glvf_alloc_count() - a0 >= 3, "the module's allocations are counted (%llu)",
          (unsigned long long)(glvf_alloc_count() - a0));
    glvf_ffmpeg_decoder_destroy(&d);

    check_log_echo = false;
    int refused = 0;
    const uint64_t tries = 8;
    for (uint64_t nth = 1; nth <= tries; nth++) {
        glvf_alloc_fail_nth(nth);
        err = 0;
        d = glvf_ffmpeg_decoder_open(
                glvf_ffmpeg_decoder_params(.path = media_path("good.mkv"), .log = check_log),
                &err);
        glvf_alloc_fail_nth(0);
        if (!d) {
            CHECK(err == -ENOMEM, "allocation %llu failing: %d", (unsigned long long)nth, err);
            refused++;
            continue;
        }
        int frames = 0;
        AVFrame *f = NULL;
        while (glvf_ffmpeg_decoder_next(d, &f, 20000) == 0) {
            glvf_ffmpeg_decoder_release(d, &f);
            frames++;
        }
        CHECK(frames == 24, "%d frames", frames);
        glvf_ffmpeg_decoder_destroy(&d);
    }
    check_log_echo = true;
    printf("# %d of %llu injected allocation failures refused the open (ENOMEM)\n", refused,
           (unsigned long long)tries);
    CHECK(refused >= 1, "an injected failure was seen");
    /* the av_log routing table (the decoder's second allocation when no
     * other decoder lives) failing: the open goes on, with one warning */
    check_log_clear();
    check_log_echo = false;
    glvf_alloc_fail_nth(2);
    d = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = media_path("good.mkv"), .log = check_log), &err);
    glvf_alloc_fail_nth(0);
    check_log_echo = true;
    CHECK(d && check_log_count(GLVF_LOG_WARN, "av_log routing table") == 1,
          "a routing table that cannot grow is logged, the open goes on");
    glvf_ffmpeg_decoder_destroy(&d);
}

int main(void)
{
    media_init("bad");
    media_watchdog(240);
    check_log_echo = true;
    glvf_ffmpeg_route_av_log(true);
    bool ok = media_make(&src_mkv) && media_make(&src_mp4) && media_make(&src_mp4_fast) &&
              media_make(&src_mpeg4) && media_make(&src_410);
    if (!ok) {
        printf("1..0 # SKIP libx264/mpeg4/ffv1 encoders needed\n");
        media_cleanup();
        return 77;
    }
    RUN(test_missing, NULL);
    RUN(test_protocols, NULL);
    RUN(test_cancel, NULL);
    RUN(test_empty_and_text, NULL);
    RUN(test_audio_only, NULL);
    RUN(test_truncated, NULL);
    RUN(test_corrupted, NULL);
    RUN(test_unsupported_format, NULL);
    RUN(test_bad_params, NULL);
    RUN(test_alloc_failures, NULL);
    glvf_ffmpeg_route_av_log(false);
    check_log_clear();
    media_cleanup();
    return check_finish();
}
