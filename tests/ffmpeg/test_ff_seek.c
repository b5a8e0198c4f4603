/*
 * Accurate seeking (no GL): for several containers and GOP structures, a
 * seek to a time delivers first the frame at or after it (the expected pts
 * comes from libavcodec's own decoding of the file), the frames that follow
 * are the reference's, a seek past the end gives end of stream, seeking
 * again after the end works, a burst of seeks is answered by the last one,
 * and a seek while the decoder thread is blocked on a full queue works.
 */
#include "check.h"
#include "ff_media.h"

#include "ffmpeg/ff_internal.h"

#include <glvf/glvf-ffmpeg.h>

#include <libavutil/mathematics.h>

typedef struct seek_clip {
    media_clip m;
    bool made;
} seek_clip;

static seek_clip clips[] = {
    { { "seek-h264.mp4", "libx264", "64x48", 50,
        "-c:v libx264 -preset ultrafast -bf 2 -g 12" }, false },
    { { "seek-h264-longgop.mkv", "libx264", "64x48", 50,
        "-c:v libx264 -preset ultrafast -bf 3 -g 300 -sc_threshold 0" }, false },
    { { "seek-vp9.webm", "libvpx-vp9", "64x48", 50,
        "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -g 10" }, false },
    { { "seek-mpeg4.avi", "mpeg4", "64x48", 50, "-c:v mpeg4 -bf 0 -g 10" }, false },
    { { "seek-ffv1.nut", "ffv1", "64x48", 30, "-c:v ffv1 -g 5" }, false },
};

/* The index of the first reference frame at or after `us`; refs->n if none. */
/* The frame nearest `us`: the first at most half a frame before it
 * (`half_us`, from the clip's frame rate). */
static int64_t half_us;

static int expected_index(const ref_frames *refs, int64_t us)
{
    for (int i = 0; i < refs->n; i++)
        if (av_compare_ts(refs->f[i]->pts, refs->time_base, us - half_us, AV_TIME_BASE_Q) >
            (half_us ? 0 : -1))
            return i;
    return refs->n;
}

static glvf_ffmpeg_decoder *open_clip(const char *name, int queue)
{
    int err = 0;
    glvf_ffmpeg_decoder *d = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = media_path(name), .queue_frames = queue,
                                       .log = check_log),
            &err);
    CHECK(d, "%s: open %d", name, err);
    return d;
}

/* Seeks to `us` and checks the first frame (and `follow` more). */
static void seek_check(glvf_ffmpeg_decoder *d, const ref_frames *refs, int64_t us, int follow,
                       const char *name)
{
    CHECK(glvf_ffmpeg_decoder_seek(d, us) == 0, "seek");
    int want = expected_index(refs, us);
    for (int k = 0; k <= follow; k++) {
        AVFrame *f = NULL;
        int r = glvf_ffmpeg_decoder_next(d, &f, 20000);
        if (want + k >= refs->n) {
            CHECK(r == GLVF_FFMPEG_EOF, "%s: seek %lld: want end of stream, got %d (pts %lld)",
                  name, (long long)us, r, f ? (long long)f->pts : -1LL);
            glvf_ffmpeg_decoder_release(d, &f);
            return;
        }
        CHECK(r == 0, "%s: seek %lld: next %d", name, (long long)us, r);
        if (r != 0)
            return;
        int64_t want_pts = refs->f[want + k]->pts;
        if (k == 0)
            printf("# %s: seek to %lld us -> pts %lld (%lld us), expected %lld\n", name,
                   (long long)us, (long long)f->pts,
                   (long long)av_rescale_q(f->pts, refs->time_base, AV_TIME_BASE_Q),
                   (long long)want_pts);
        CHECK(f->pts == want_pts, "%s: seek %lld us, frame +%d: pts %lld, want %lld", name,
              (long long)us, k, (long long)f->pts, (long long)want_pts);
        CHECK(f->width == refs->f[want + k]->width &&
                      !memcmp(f->data[0], refs->f[want + k]->data[0], (size_t)f->width),
              "%s: seek %lld us, frame +%d: first row differs", name, (long long)us, k);
        glvf_ffmpeg_decoder_release(d, &f);
    }
}

static void test_clip(void *arg)
{
    seek_clip *c = arg;
    if (!c->made) {
        printf("# %s skipped\n", c->m.name);
        return;
    }
    ref_frames refs;
    REQUIRE(ref_decode(media_path(c->m.name), &refs) > 10, "reference");
    glvf_ffmpeg_decoder *d = open_clip(c->m.name, 0);
    if (!d) {
        ref_free(&refs);
        return;
    }
    const glvf_ffmpeg_info *in = glvf_ffmpeg_decoder_info(d);
    printf("# %s: %s in %s, time base %d/%d, %d reference frames, start %lld us, duration "
           "%lld us\n",
           c->m.name, in->codec_name, in->container_name, in->time_base.num, in->time_base.den,
           refs.n, (long long)in->start_time_us, (long long)in->duration_us);
    for (int i = 0; i < refs.n; i++)
        CHECK(refs.f[i]->pts != AV_NOPTS_VALUE, "%s: reference frame %d has no pts", c->m.name,
              i);
    int64_t last = av_rescale_q(refs.f[refs.n - 1]->pts, refs.time_base, AV_TIME_BASE_Q);
    half_us = in->frame_rate.num > 0 ? av_rescale(500000, in->frame_rate.den, in->frame_rate.num)
                                     : 0;
    /* a time rounded a microsecond below a frame's (a position kept in
     * whole microseconds) lands on that frame, not the next */
    int64_t f5 = av_rescale_q(refs.f[5]->pts, refs.time_base, AV_TIME_BASE_Q);
    int64_t targets[] = { 500000, 0, 1000000, 1230000, last, 40000, last + 1, 3000000,
                          700000, 1930000, 120000, f5 - 1, f5 + 1, last + half_us + 1 };
    for (size_t i = 0; i < FF_ARRAY_LEN(targets); i++)
        seek_check(d, &refs, targets[i], i == 3 ? 6 : 1, c->m.name);
    /* a burst: the last one wins */
    glvf_ffmpeg_decoder_seek(d, 200000);
    glvf_ffmpeg_decoder_seek(d, 1500000);
    seek_check(d, &refs, 800000, 0, c->m.name);
    /* read to the end after a seek: exactly the reference's tail */
    int want = expected_index(&refs, 1000000);
    CHECK(glvf_ffmpeg_decoder_seek(d, 1000000) == 0, "seek");
    int n = 0;
    for (;;) {
        AVFrame *f = NULL;
        int r = glvf_ffmpeg_decoder_next(d, &f, 20000);
        if (r != 0) {
            CHECK(r == GLVF_FFMPEG_EOF, "end: %d", r);
            break;
        }
        CHECK(want + n < refs.n && f->pts == refs.f[want + n]->pts, "tail frame %d", n);
        glvf_ffmpeg_decoder_release(d, &f);
        n++;
    }
    CHECK(n == refs.n - want, "%s: %d frames after the seek, want %d", c->m.name, n,
          refs.n - want);
    glvf_ffmpeg_stats st;
    glvf_ffmpeg_decoder_get_stats(d, &st);
    printf("# %s: %llu seeks, %llu frames decoded, %llu delivered, %llu dropped\n", c->m.name,
           (unsigned long long)st.seeks, (unsigned long long)st.frames_decoded,
           (unsigned long long)st.frames_delivered, (unsigned long long)st.frames_dropped);
    glvf_ffmpeg_decoder_destroy(&d);
    ref_free(&refs);
}

/* The decoder thread blocked on a full queue, then a seek. */
static void test_seek_blocked(void *arg)
{
    (void)arg;
    seek_clip *c = &clips[0];
    REQUIRE(c->made, "clip");
    ref_frames refs;
    REQUIRE(ref_decode(media_path(c->m.name), &refs) > 10, "reference");
    glvf_ffmpeg_decoder *d = open_clip(c->m.name, 2);
    REQUIRE(d, "open");
    glvf_ffmpeg_stats st;
    for (int i = 0; i < 2000; i++) {
        glvf_ffmpeg_decoder_get_stats(d, &st);
        if (st.queue_depth == st.queue_capacity)
            break;
        usleep(1000);
    }
    CHECK(st.queue_depth == 2 && st.queue_capacity == 2, "queue full: %d/%d", st.queue_depth,
          st.queue_capacity);
    usleep(20000);
    glvf_ffmpeg_decoder_get_stats(d, &st);
    /* back-pressure: the queue, plus the frame waiting for room, plus what
     * the codec holds internally (frame threads, reordering) */
    CHECK(st.frames_decoded <= 2 + 1 + 8, "decoded %llu frames with a 2-frame queue",
          (unsigned long long)st.frames_decoded);
    seek_check(d, &refs, 1600000, 3, "blocked");
    glvf_ffmpeg_decoder_destroy(&d);
    ref_free(&refs);
}

/* next() with timeouts: -EAGAIN when nothing comes in time. */
static void test_timeouts(void *arg)
{
    (void)arg;
    seek_clip *c = &clips[0];
    REQUIRE(c->made, "clip");
    glvf_ffmpeg_decoder *d = open_clip(c->m.name, 1);
    REQUIRE(d, "open");
    AVFrame *f = NULL;
    int got = 0, again = 0;
    for (int i = 0; i < 100000 && got < 60; i++) {
        int r = glvf_ffmpeg_decoder_next(d, &f, i % 3 ? 0 : 1);
        if (r == 0) {
            got++;
            glvf_ffmpeg_decoder_release(d, &f);
        } else if (r == -EAGAIN) {
            again++;
            CHECK(f == NULL, "no frame on -EAGAIN");
        } else {
            CHECK(r == GLVF_FFMPEG_EOF, "end %d", r);
            break;
        }
    }
    CHECK(got == 50, "%d frames", got);
    CHECK(glvf_ffmpeg_decoder_next(d, &f, 0) == GLVF_FFMPEG_EOF &&
                  glvf_ffmpeg_decoder_next(d, &f, -1) == GLVF_FFMPEG_EOF,
          "end of stream again");
    printf("# %d frames, %d timeouts\n", got, again);
    CHECK(glvf_ffmpeg_decoder_next(NULL, &f, 0) == -EINVAL && !f, "NULL decoder");
    CHECK(glvf_ffmpeg_decoder_next(d, NULL, 0) == -EINVAL, "NULL out");
    glvf_ffmpeg_decoder_release(d, NULL);
    glvf_ffmpeg_decoder_release(d, &f);
    glvf_ffmpeg_decoder_destroy(&d);
    glvf_ffmpeg_decoder_destroy(&d);
    glvf_ffmpeg_decoder_destroy(NULL);
}

int main(void)
{
    media_init("seek");
    media_watchdog(240);
    check_log_echo = true;
    glvf_ffmpeg_route_av_log(true);
    for (size_t i = 0; i < FF_ARRAY_LEN(clips); i++)
        clips[i].made = media_make(&clips[i].m);
    for (size_t i = 0; i < FF_ARRAY_LEN(clips); i++)
        RUN_NAMED(clips[i].m.name, test_clip, &clips[i]);
    RUN(test_seek_blocked, NULL);
    RUN(test_timeouts, NULL);
    glvf_ffmpeg_route_av_log(false);
    check_log_clear();
    media_cleanup();
    return check_finish();
}
