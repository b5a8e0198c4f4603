/*
 * The decoder's audio (no GL): .audio decodes the default audio stream on
 * its own thread into float stereo chunks at the stream's rate; chunks are
 * contiguous and carry the stream's times; the samples are the tone that
 * was encoded (not silence); without .audio nothing changes; a seek empties
 * both queues and the first chunk starts at the target; end of stream; a
 * file without audio; an audio stream that cannot be decoded (video goes on,
 * one warning); many open/destroy cycles in every state (LeakSanitizer in
 * the ASan build; TSan in 'threading').
 */
#include "check.h"
#include "ff_media.h"

#include "ffmpeg/ff_internal.h"

#include <glvf/glvf-ffmpeg.h>

#include <libavutil/mathematics.h>
#include <math.h>

#define CLIP_S 3

static bool make_av(const char *name, const char *extra)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -hide_banner -v error -y -f lavfi -i testsrc2=size=64x48:rate=25 "
             "-f lavfi -i sine=frequency=1000:sample_rate=44100 -t %d "
             "-c:v libx264 -preset ultrafast -g 10 -pix_fmt yuv420p %s '%s'",
             CLIP_S, extra, media_path(name));
    return media_sh(cmd);
}

static glvf_ffmpeg_decoder *open_av(const char *name, bool audio)
{
    int err = 0;
    glvf_ffmpeg_decoder *d = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = media_path(name), .log = check_log,
                                       .audio = audio),
            &err);
    CHECK(d, "%s: open %d", name, err);
    return d;
}

typedef struct drained {
    int video_frames;
    int64_t first_video_us;
    int chunks;
    int64_t first_pts, audio_us;   /* first chunk's time, total duration */
    int gaps;                      /* chunks not following the previous one */
    double peak, rms;
    int video_end, audio_end;
} drained;

/* Takes everything until both streams end (one thread, no waiting on one
 * stream while the other is full). */
static void drain(glvf_ffmpeg_decoder *d, drained *out)
{
    memset(out, 0, sizeof *out);
    out->first_video_us = out->first_pts = GLVF_FFMPEG_NOPTS;
    const glvf_ffmpeg_info *in = glvf_ffmpeg_decoder_info(d);
    int64_t expect = GLVF_FFMPEG_NOPTS;
    double sum2 = 0;
    long n2 = 0;
    for (int spins = 0; spins < 20000 && (!out->video_end || !out->audio_end); spins++) {
        bool got = false;
        if (!out->video_end) {
            AVFrame *f = NULL;
            int r = glvf_ffmpeg_decoder_next(d, &f, 0);
            if (r == 0) {
                if (out->first_video_us == GLVF_FFMPEG_NOPTS)
                    out->first_video_us = av_rescale_q(
                            f->pts, (AVRational){ in->time_base.num, in->time_base.den },
                            AV_TIME_BASE_Q);
                out->video_frames++;
                got = true;
            } else if (r != -EAGAIN) {
                out->video_end = r;
            }
            glvf_ffmpeg_decoder_release(d, &f);
        }
        if (!out->audio_end) {
            glvf_ffmpeg_audio_chunk *c = NULL;
            int r = glvf_ffmpeg_decoder_next_audio(d, &c, 0);
            if (r == 0) {
                CHECK(c->channels == 2 && c->rate == in->audio_rate && c->frames > 0,
                      "chunk %d ch %d Hz %d frames", c->channels, c->rate, c->frames);
                if (out->first_pts == GLVF_FFMPEG_NOPTS)
                    out->first_pts = c->pts_us;
                if (expect != GLVF_FFMPEG_NOPTS && llabs(c->pts_us - expect) > 1000)
                    out->gaps++;
                expect = c->pts_us + (int64_t)c->frames * 1000000 / c->rate;
                out->audio_us += (int64_t)c->frames * 1000000 / c->rate;
                for (int i = 0; i < c->frames * 2; i++) {
                    double v = fabs(c->samples[i]);
                    if (v > out->peak)
                        out->peak = v;
                    sum2 += v * v;
                    n2++;
                }
                out->chunks++;
                got = true;
            } else if (r != -EAGAIN) {
                out->audio_end = r;
            }
            glvf_ffmpeg_decoder_release_audio(d, &c);
        }
        if (!got)
            usleep(1000);
    }
    out->rms = n2 ? sqrt(sum2 / (double)n2) : 0;
}

static void test_decode(void *arg)
{
    (void)arg;
    glvf_ffmpeg_decoder *d = open_av("av.mp4", true);
    REQUIRE(d, "open");
    const glvf_ffmpeg_info *in = glvf_ffmpeg_decoder_info(d);
    CHECK(in->has_audio && in->audio_stream_index >= 0, "has_audio");
    CHECK(in->audio_rate == 44100, "rate %d", in->audio_rate);
    CHECK(in->audio_channels == 1, "channels %d", in->audio_channels);
    CHECK(!strcmp(in->audio_codec_name, "aac"), "codec %s", in->audio_codec_name);
    drained dr;
    drain(d, &dr);
    printf("# %d video frames, %d chunks, audio %.3f s from %.3f s, peak %.3f rms %.3f, gaps %d\n",
           dr.video_frames, dr.chunks, dr.audio_us / 1e6, dr.first_pts / 1e6, dr.peak, dr.rms,
           dr.gaps);
    CHECK(dr.video_end == GLVF_FFMPEG_EOF && dr.audio_end == GLVF_FFMPEG_EOF, "ends %d %d",
          dr.video_end, dr.audio_end);
    CHECK(dr.video_frames == CLIP_S * 25, "video frames %d", dr.video_frames);
    CHECK(llabs(dr.audio_us - CLIP_S * 1000000LL) < 60000, "audio %lld us", (long long)dr.audio_us);
    CHECK(dr.gaps == 0, "gaps %d", dr.gaps);
    /* lavfi's sine: amplitude 1/8; mono to stereo keeps it within -3 dB */
    CHECK(dr.peak > 0.05 && dr.peak < 0.3 && dr.rms > 0.03, "peak %.3f rms %.3f", dr.peak, dr.rms);
    /* the end again, until a seek */
    glvf_ffmpeg_audio_chunk *c = NULL;
    CHECK(glvf_ffmpeg_decoder_next_audio(d, &c, 100) == GLVF_FFMPEG_EOF && !c, "EOF again");
    glvf_ffmpeg_stats st;
    glvf_ffmpeg_decoder_get_stats(d, &st);
    CHECK(st.audio_chunks_delivered == (uint64_t)dr.chunks && st.audio_errors == 0,
          "stats %llu %llu", (unsigned long long)st.audio_chunks_delivered,
          (unsigned long long)st.audio_errors);

    /* seek (after the end) to 1.5 s: both start there */
    for (int k = 0; k < 2; k++) {
        int64_t target = k ? 400000 : 1500000;
        CHECK(glvf_ffmpeg_decoder_seek(d, target) == 0, "seek");
        drain(d, &dr);
        printf("# seek %lld: first chunk %lld us, first frame %lld us, audio %.3f s\n",
               (long long)target, (long long)dr.first_pts, (long long)dr.first_video_us,
               dr.audio_us / 1e6);
        CHECK(llabs(dr.first_pts - target) <= 23, "first chunk at %lld, want %lld",
              (long long)dr.first_pts, (long long)target);
        CHECK(dr.first_video_us >= target && dr.first_video_us < target + 40000,
              "first frame %lld", (long long)dr.first_video_us);
        CHECK(llabs(dr.audio_us - (CLIP_S * 1000000LL - target)) < 60000, "audio %lld",
              (long long)dr.audio_us);
        CHECK(dr.gaps == 0 && dr.audio_end == GLVF_FFMPEG_EOF, "gaps %d end %d", dr.gaps,
              dr.audio_end);
    }
    glvf_ffmpeg_decoder_destroy(&d);
}

static void test_off_and_none(void *arg)
{
    (void)arg;
    /* without .audio: as before */
    glvf_ffmpeg_decoder *d = open_av("av.mp4", false);
    REQUIRE(d, "open");
    const glvf_ffmpeg_info *in = glvf_ffmpeg_decoder_info(d);
    CHECK(!in->has_audio && in->audio_stream_index >= 0, "has_audio %d index %d",
          in->has_audio, in->audio_stream_index);
    glvf_ffmpeg_audio_chunk *c = NULL;
    CHECK(glvf_ffmpeg_decoder_next_audio(d, &c, 0) == -ENOENT, "no audio");
    drained dr;
    drain(d, &dr);
    CHECK(dr.video_frames == CLIP_S * 25, "frames %d", dr.video_frames);
    glvf_ffmpeg_decoder_destroy(&d);
    /* a file without audio, .audio on */
    d = open_av("video.mp4", true);
    REQUIRE(d, "open");
    in = glvf_ffmpeg_decoder_info(d);
    CHECK(!in->has_audio && in->audio_stream_index == -1, "no audio stream");
    drain(d, &dr);
    CHECK(dr.video_frames == 25 && dr.audio_end == -ENOENT, "frames %d audio %d",
          dr.video_frames, dr.audio_end);
    glvf_ffmpeg_decoder_destroy(&d);
}

/* An audio stream no decoder reads (its Matroska codec id renamed): the
 * video plays, one warning names the stream. */
static void test_undecodable(void *arg)
{
    (void)arg;
    size_t n = 0;
    unsigned char *buf = media_read("pcm.mkv", &n);
    REQUIRE(buf, "read pcm.mkv");
    int patched = 0;
    for (size_t i = 0; i + 13 <= n; i++)
        if (!memcmp(buf + i, "A_PCM/INT/LIT", 13)) {
            memcpy(buf + i, "A_XYZ/INT/LIT", 13);
            patched++;
        }
    CHECK(patched == 1, "patched %d", patched);
    REQUIRE(media_write("bad-audio.mkv", buf, n), "write");
    free(buf);
    check_log_clear();
    glvf_ffmpeg_decoder *d = open_av("bad-audio.mkv", true);
    REQUIRE(d, "open");
    const glvf_ffmpeg_info *in = glvf_ffmpeg_decoder_info(d);
    CHECK(!in->has_audio, "has_audio");
    CHECK(check_log_count(GLVF_LOG_WARN, "cannot be played: no decoder") == 1,
          "one warning");
    drained dr;
    drain(d, &dr);
    CHECK(dr.video_frames == CLIP_S * 25 && dr.video_end == GLVF_FFMPEG_EOF, "frames %d",
          dr.video_frames);
    glvf_ffmpeg_decoder_destroy(&d);
    /* Matroska with AAC (another demuxer, other interleaving) */
    d = open_av("av.mkv", true);
    REQUIRE(d, "open");
    drain(d, &dr);
    CHECK(dr.video_frames == CLIP_S * 25 && dr.gaps == 0 && dr.audio_end == GLVF_FFMPEG_EOF,
          "frames %d gaps %d", dr.video_frames, dr.gaps);
    CHECK(llabs(dr.audio_us - CLIP_S * 1000000LL) < 60000, "audio %lld", (long long)dr.audio_us);
    glvf_ffmpeg_decoder_destroy(&d);
}

/* Open/destroy in every state: right after open, mid-stream with chunks
 * held across destroy, at the end, mid-seek. */
static void test_cycles(void *arg)
{
    (void)arg;
    int cycles = getenv("GLVF_AUDIO_CYCLES") ? atoi(getenv("GLVF_AUDIO_CYCLES")) : 200;
    check_log_echo = false;
    for (int i = 0; i < cycles; i++) {
        glvf_ffmpeg_decoder *d = open_av("av.mp4", true);
        if (!d)
            break;
        glvf_ffmpeg_audio_chunk *held = NULL;
        AVFrame *f = NULL;
        switch (i % 4) {
        case 0: break;
        case 1:
            glvf_ffmpeg_decoder_next_audio(d, &held, 2000);
            glvf_ffmpeg_decoder_next(d, &f, 2000);
            break;
        case 2: {
            drained dr;
            drain(d, &dr);
            break;
        }
        case 3:
            glvf_ffmpeg_decoder_seek(d, 1000000);
            glvf_ffmpeg_decoder_next_audio(d, &held, 10);
            glvf_ffmpeg_decoder_seek(d, 2000000);
            break;
        }
        glvf_ffmpeg_decoder_destroy(&d);
        glvf_ffmpeg_decoder_release_audio(NULL, &held); /* held across destroy */
        glvf_ffmpeg_decoder_release(NULL, &f);
    }
    check_log_echo = true;
    printf("# %d cycles\n", cycles);
}

int main(void)
{
    media_init("audio");
    media_watchdog(240);
    glvf_ffmpeg_route_av_log(true);
    if (!media_have_encoder("libx264") || !media_have_encoder("aac")) {
        printf("1..0 # SKIP libx264 or aac encoder missing\n");
        media_cleanup();
        return 77;
    }
    bool ok = make_av("av.mp4", "-c:a aac") && make_av("av.mkv", "-c:a aac") &&
              make_av("pcm.mkv", "-c:a pcm_s16le");
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -hide_banner -v error -y -f lavfi -i testsrc2=size=64x48:rate=25 "
             "-frames:v 25 -c:v libx264 -preset ultrafast -pix_fmt yuv420p '%s'",
             media_path("video.mp4"));
    ok = ok && media_sh(cmd);
    if (!ok) {
        printf("Bail out! cannot make the clips\n");
        return 1;
    }
    RUN(test_decode, NULL);
    RUN(test_off_and_none, NULL);
    RUN(test_undecodable, NULL);
    RUN(test_cycles, NULL);
    glvf_ffmpeg_route_av_log(false);
    check_log_clear();
    media_cleanup();
    return check_finish();
}
