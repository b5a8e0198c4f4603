/*
 * Test media for the FFmpeg module, made at test time by the `ffmpeg` CLI in
 * a temporary directory, plus a plain-libavcodec reference decoder.
 *
 *   media_init()             checks ffmpeg/ffprobe exist (else the test skips:
 *                            exit 77), creates the temporary directory
 *   media_make(&clip)        encodes one clip (false: its encoder is missing)
 *   media_path(name)         path of a file in the directory
 *   media_probe_frames(p)    `ffprobe -count_frames` of the video stream
 *   ref_decode(p, &refs)     every frame of the best video stream, decoded
 *                            by libavcodec alone (one thread, its own buffers)
 *   media_cleanup()          removes the directory
 */
#ifndef GLVF_TEST_FF_MEDIA_H
#define GLVF_TEST_FF_MEDIA_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>

#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct media_clip {
    const char *name;      /* file name (extension chooses the container) */
    const char *encoder;   /* checked with `ffmpeg -encoders`; NULL: none */
    const char *size;      /* WxH */
    int frames;
    const char *args;      /* output options */
} media_clip;

static char media_dir[256];
static char media_encoders[1 << 16];

static inline const char *media_path(const char *name)
{
    static __thread char buf[8][512];
    static __thread int k;
    char *p = buf[k++ % 8];
    snprintf(p, 512, "%s/%s", media_dir, name);
    return p;
}

static inline int media_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void media_cleanup(void)
{
    if (media_dir[0] && !getenv("GLVF_TEST_KEEP_MEDIA"))
        nftw(media_dir, media_rm, 16, FTW_DEPTH | FTW_PHYS);
    media_dir[0] = '\0';
}

/* Reads the whole output of a command into buf; returns its exit status. */
static inline int media_run_capture(const char *cmd, char *buf, size_t n)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t len = 0;
    if (buf && n)
        buf[0] = '\0';
    char tmp[4096];
    size_t k;
    while ((k = fread(tmp, 1, sizeof tmp, p)) > 0) {
        if (buf && len + 1 < n) {
            size_t c = k < n - 1 - len ? k : n - 1 - len;
            memcpy(buf + len, tmp, c);
            len += c;
            buf[len] = '\0';
        }
    }
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Exits with 77 (skip) when the ffmpeg CLI is missing. */
static inline void media_init(const char *tag)
{
    if (system("ffmpeg -hide_banner -version >/dev/null 2>&1") != 0 ||
        system("ffprobe -hide_banner -version >/dev/null 2>&1") != 0) {
        printf("1..0 # SKIP the ffmpeg and ffprobe commands are needed to make test media\n");
        exit(77);
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(media_dir, sizeof media_dir, "%s/glvf-%s-XXXXXX", tmp && tmp[0] ? tmp : "/tmp",
             tag);
    if (!mkdtemp(media_dir)) {
        printf("Bail out! mkdtemp %s: %s\n", media_dir, strerror(errno));
        exit(1);
    }
    media_run_capture("ffmpeg -hide_banner -encoders 2>/dev/null", media_encoders,
                      sizeof media_encoders);
    printf("# media in %s\n", media_dir);
}

static inline bool media_have_encoder(const char *name)
{
    if (!name)
        return true;
    char pat[64];
    snprintf(pat, sizeof pat, " %s ", name);
    return strstr(media_encoders, pat) != NULL;
}

/* Runs a shell command; prints it when it fails. */
static inline bool media_sh(const char *cmd)
{
    int r = system(cmd);
    if (r != 0)
        printf("# command failed (%d): %s\n", r, cmd);
    return r == 0;
}

/* Encodes a clip from testsrc2; false (with a note) when its encoder is
 * missing or ffmpeg fails. */
static inline bool media_make(const media_clip *c)
{
    if (!media_have_encoder(c->encoder)) {
        printf("# encoder %s missing: clip %s skipped\n", c->encoder, c->name);
        return false;
    }
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -hide_banner -v error -y -f lavfi -i testsrc2=size=%s:rate=25 "
             "-frames:v %d %s '%s'",
             c->size, c->frames, c->args, media_path(c->name));
    return media_sh(cmd);
}

/* Writes `n` bytes of `data` into a new file of the directory. */
static inline bool media_write(const char *name, const void *data, size_t n)
{
    FILE *f = fopen(media_path(name), "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

static inline unsigned char *media_read(const char *name, size_t *n)
{
    FILE *f = fopen(media_path(name), "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(len > 0 ? (size_t)len : 1);
    *n = len > 0 && fread(buf, 1, (size_t)len, f) == (size_t)len ? (size_t)len : 0;
    fclose(f);
    return buf;
}

/* Frames of the video stream as `ffprobe -count_frames` counts them; -1 on
 * failure. */
static inline int media_probe_frames(const char *path)
{
    char cmd[1024], out[256];
    snprintf(cmd, sizeof cmd,
             "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
             "stream=nb_read_frames -of csv=p=0 '%s'",
             path);
    if (media_run_capture(cmd, out, sizeof out) != 0)
        return -1;
    return atoi(out);
}

/* A copy of the container `in` with a display matrix (clockwise rotation
 * `cw` degrees, then a horizontal mirror when `hflip`) on its video stream:
 * the stream-level rotation of phone videos (remuxed, no re-encoding). */
static inline bool media_remux_rotated(const char *in, const char *out, int cw, bool hflip)
{
    AVFormatContext *ic = NULL, *oc = NULL;
    AVPacket *pkt = av_packet_alloc();
    bool ok = false;
    if (avformat_open_input(&ic, media_path(in), NULL, NULL) < 0 ||
        avformat_find_stream_info(ic, NULL) < 0)
        goto done;
    if (avformat_alloc_output_context2(&oc, NULL, NULL, media_path(out)) < 0)
        goto done;
    for (unsigned i = 0; i < ic->nb_streams; i++) {
        AVStream *os = avformat_new_stream(oc, NULL);
        if (!os || avcodec_parameters_copy(os->codecpar, ic->streams[i]->codecpar) < 0)
            goto done;
        os->codecpar->codec_tag = 0;
        os->time_base = ic->streams[i]->time_base;
        if (ic->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
            uint8_t *sd = av_stream_new_side_data(os, AV_PKT_DATA_DISPLAYMATRIX,
                                                  9 * sizeof(int32_t));
            if (!sd)
                goto done;
            /* FFmpeg 5.1: "a pure clockwise rotation" (what
             * av_display_rotation_get() reads back as -cw, counterclockwise) */
            av_display_rotation_set((int32_t *)sd, (double)cw);
            if (hflip)
                av_display_matrix_flip((int32_t *)sd, 1, 0);
        }
    }
    if (avio_open(&oc->pb, media_path(out), AVIO_FLAG_WRITE) < 0 ||
        avformat_write_header(oc, NULL) < 0)
        goto done;
    while (av_read_frame(ic, pkt) >= 0) {
        AVStream *is = ic->streams[pkt->stream_index], *os = oc->streams[pkt->stream_index];
        av_packet_rescale_ts(pkt, is->time_base, os->time_base);
        pkt->pos = -1;
        if (av_interleaved_write_frame(oc, pkt) < 0)
            goto done;
    }
    ok = av_write_trailer(oc) == 0;
done:
    av_packet_free(&pkt);
    if (oc) {
        if (oc->pb)
            avio_closep(&oc->pb);
        avformat_free_context(oc);
    }
    avformat_close_input(&ic);
    return ok;
}

/* ---- reference decoding -------------------------------------------------- */

typedef struct ref_frames {
    AVFrame **f;
    int n, cap;
    AVRational time_base;
} ref_frames;

static inline void ref_free(ref_frames *r)
{
    for (int i = 0; i < r->n; i++)
        av_frame_free(&r->f[i]);
    free(r->f);
    memset(r, 0, sizeof *r);
}

static inline void ref_push(ref_frames *r, AVFrame *f)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->f = realloc(r->f, (size_t)r->cap * sizeof *r->f);
    }
    f->pts = f->best_effort_timestamp;
    r->f[r->n++] = f;
}

/* Decodes every frame; returns the count or a negative AVERROR. */
static inline int ref_decode(const char *path, ref_frames *out)
{
    memset(out, 0, sizeof *out);
    AVFormatContext *fc = NULL;
    AVCodecContext *cc = NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *fr = av_frame_alloc();
    const AVCodec *codec = NULL;
    int r = avformat_open_input(&fc, path, NULL, NULL);
    if (r >= 0)
        r = avformat_find_stream_info(fc, NULL);
    int idx = r >= 0 ? av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0) : r;
    r = idx;
    if (r >= 0) {
        out->time_base = fc->streams[idx]->time_base;
        cc = avcodec_alloc_context3(codec);
        avcodec_parameters_to_context(cc, fc->streams[idx]->codecpar);
        cc->pkt_timebase = fc->streams[idx]->time_base;
        cc->thread_count = 1;
        r = avcodec_open2(cc, codec, NULL);
    }
    bool eof = false;
    while (r >= 0) {
        int rr = avcodec_receive_frame(cc, fr);
        if (rr == 0) {
            ref_push(out, fr);
            fr = av_frame_alloc();
            continue;
        }
        if (rr == AVERROR_EOF)
            break;
        if (rr != AVERROR(EAGAIN)) {
            r = rr;
            break;
        }
        if (eof) {
            r = AVERROR_BUG;
            break;
        }
        rr = av_read_frame(fc, pkt);
        if (rr < 0) {
            avcodec_send_packet(cc, NULL);
            eof = true;
            continue;
        }
        if (pkt->stream_index == idx)
            avcodec_send_packet(cc, pkt);
        av_packet_unref(pkt);
    }
    av_frame_free(&fr);
    av_packet_free(&pkt);
    avcodec_free_context(&cc);
    avformat_close_input(&fc);
    return r < 0 ? r : out->n;
}

/* Compares rows of `rows` x `row_bytes` bytes; prints the first mismatch. */
static inline bool media_rows_equal(const uint8_t *got, size_t got_stride, const uint8_t *want,
                             ptrdiff_t want_stride, size_t row_bytes, int rows, const char *what)
{
    for (int y = 0; y < rows; y++) {
        const uint8_t *g = got + (size_t)y * got_stride;
        const uint8_t *w = want + (ptrdiff_t)y * want_stride;
        if (memcmp(g, w, row_bytes) != 0) {
            size_t x = 0;
            while (x < row_bytes && g[x] == w[x])
                x++;
            printf("#   %s: row %d byte %zu: got %u, want %u\n", what, y, x, g[x], w[x]);
            return false;
        }
    }
    return true;
}

/* A watchdog for tests that could deadlock: aborts after `seconds`. */
#include <signal.h>
static inline void media_watchdog_fire(int sig)
{
    (void)sig;
    static const char msg[] = "Bail out! watchdog: the test hung (deadlock?)\n";
    ssize_t w = write(1, msg, sizeof msg - 1);
    (void)w;
    _exit(1);
}

static inline void media_watchdog(unsigned seconds)
{
    signal(SIGALRM, media_watchdog_fire);
    alarm(seconds);
}

#endif
