/*
 * glvf-player: the sample clip, made on first use with libavcodec and
 * libavformat (no ffmpeg command needed): 5 seconds of coloured blocks
 * moving over a dark gradient, 640x360 at 30 fps, yuv420p BT.709 limited
 * range, H.264 through libx264 when FFmpeg has it, else MPEG-4 part 2, in
 * Matroska. Written under a temporary name in the same directory and
 * renamed into place, so a reader never sees a partial file and two
 * players making it at once do not clash.
 */
#include "player.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define SAMPLE_NAME "sample-v1.mkv" /* bump the version when the content changes */
#define SAMPLE_W 640
#define SAMPLE_H 360
#define SAMPLE_FPS 30
#define SAMPLE_FRAMES 150

char *player_sample_path(void)
{
    return g_build_filename(g_get_user_cache_dir(), "glvf", SAMPLE_NAME, NULL);
}

typedef struct yuv {
    uint8_t y, u, v;
} yuv;

/* BT.709, limited range. */
static yuv rgb_to_yuv(double r, double g, double b)
{
    r /= 255.0;
    g /= 255.0;
    b /= 255.0;
    double y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    double u = (b - y) / 1.8556, v = (r - y) / 1.5748;
    return (yuv){ (uint8_t)(16.5 + 219.0 * y), (uint8_t)(128.5 + 224.0 * u),
                  (uint8_t)(128.5 + 224.0 * v) };
}

/* Fills [x, x+w) x [y, y+h) (even coordinates) with one colour. */
static void fill(AVFrame *f, int x, int y, int w, int h, yuv c)
{
    x = MAX(0, x) & ~1;
    y = MAX(0, y) & ~1;
    w = MIN(w, f->width - x) & ~1;
    h = MIN(h, f->height - y) & ~1;
    if (w <= 0 || h <= 0)
        return;
    for (int j = 0; j < h; j++)
        memset(f->data[0] + (ptrdiff_t)(y + j) * f->linesize[0] + x, c.y, (size_t)w);
    for (int j = 0; j < h / 2; j++) {
        memset(f->data[1] + (ptrdiff_t)(y / 2 + j) * f->linesize[1] + x / 2, c.u, (size_t)w / 2);
        memset(f->data[2] + (ptrdiff_t)(y / 2 + j) * f->linesize[2] + x / 2, c.v, (size_t)w / 2);
    }
}

static void draw(AVFrame *f, int n)
{
    /* background: a vertical gradient, dark blue-grey */
    for (int y = 0; y < f->height; y += 2) {
        double k = (double)y / f->height;
        fill(f, 0, y, f->width, 2, rgb_to_yuv(20 + 30 * k, 24 + 30 * k, 40 + 50 * k));
    }
    static const double colours[6][3] = {
        { 230, 40, 40 }, { 40, 200, 60 }, { 50, 90, 235 },
        { 240, 210, 40 }, { 200, 60, 220 }, { 40, 210, 220 },
    };
    /* one lane each, bouncing at its own speed, every other one leftward */
    const int bw = 88, bh = 44;
    for (int i = 0; i < 6; i++) {
        int span = f->width - bw;
        int speed = 3 + 2 * i;
        int t = (n * speed + i * 97) % (2 * span);
        int x = t < span ? t : 2 * span - t;
        if (i % 2)
            x = span - x;
        fill(f, x, 16 + i * 54, bw, bh, rgb_to_yuv(colours[i][0], colours[i][1], colours[i][2]));
    }
    /* progress bar along the bottom */
    int done = (int)((int64_t)(f->width - 32) * (n + 1) / SAMPLE_FRAMES);
    fill(f, 16, f->height - 14, f->width - 32, 6, rgb_to_yuv(70, 70, 80));
    fill(f, 16, f->height - 14, done, 6, rgb_to_yuv(240, 240, 240));
}

static int drain(AVCodecContext *c, AVFormatContext *oc, AVStream *st, AVPacket *pkt)
{
    for (;;) {
        int r = avcodec_receive_packet(c, pkt);
        if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
            return 0;
        if (r < 0)
            return r;
        av_packet_rescale_ts(pkt, c->time_base, st->time_base);
        pkt->stream_index = st->index;
        r = av_interleaved_write_frame(oc, pkt); /* takes the packet's data */
        if (r < 0)
            return r;
    }
}

/* Encodes the clip into `path`; returns 0 or an AVERROR with `what` set. */
static int encode(const char *path, volatile int *cancel, const char **what)
{
    AVFormatContext *oc = NULL;
    AVCodecContext *c = NULL;
    AVFrame *frame = NULL;
    AVPacket *pkt = NULL;
    bool header = false;
    int r;
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    if (!codec)
        codec = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
    *what = "no H.264 (libx264) or MPEG-4 encoder in this FFmpeg";
    if (!codec)
        return AVERROR_ENCODER_NOT_FOUND;

    *what = "cannot create the Matroska muxer";
    r = avformat_alloc_output_context2(&oc, NULL, "matroska", path);
    if (r < 0)
        goto out;
    AVStream *st = avformat_new_stream(oc, NULL);
    c = avcodec_alloc_context3(codec);
    frame = av_frame_alloc();
    pkt = av_packet_alloc();
    r = AVERROR(ENOMEM);
    *what = "out of memory";
    if (!st || !c || !frame || !pkt)
        goto out;
    c->width = SAMPLE_W;
    c->height = SAMPLE_H;
    c->time_base = (AVRational){ 1, SAMPLE_FPS };
    c->framerate = (AVRational){ SAMPLE_FPS, 1 };
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->gop_size = SAMPLE_FPS; /* a key frame a second: quick seeks */
    c->colorspace = AVCOL_SPC_BT709;
    c->color_primaries = AVCOL_PRI_BT709;
    c->color_trc = AVCOL_TRC_BT709;
    c->color_range = AVCOL_RANGE_MPEG;
    if (oc->oformat->flags & AVFMT_GLOBALHEADER)
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (codec->id == AV_CODEC_ID_H264) {
        av_opt_set(c->priv_data, "preset", "veryfast", 0);
        av_opt_set(c->priv_data, "crf", "20", 0);
    } else {
        c->flags |= AV_CODEC_FLAG_QSCALE;
        c->global_quality = FF_QP2LAMBDA * 3;
    }
    *what = "cannot open the encoder";
    if ((r = avcodec_open2(c, codec, NULL)) < 0)
        goto out;
    *what = "cannot set up the stream";
    if ((r = avcodec_parameters_from_context(st->codecpar, c)) < 0)
        goto out;
    st->time_base = c->time_base;
    *what = "cannot create the file";
    if ((r = avio_open(&oc->pb, path, AVIO_FLAG_WRITE)) < 0)
        goto out;
    *what = "cannot write the header";
    if ((r = avformat_write_header(oc, NULL)) < 0)
        goto out;
    header = true;
    frame->format = c->pix_fmt;
    frame->width = c->width;
    frame->height = c->height;
    *what = "out of memory";
    if ((r = av_frame_get_buffer(frame, 0)) < 0)
        goto out;
    for (int i = 0; i < SAMPLE_FRAMES; i++) {
        if (cancel && g_atomic_int_get(cancel)) {
            *what = "cancelled";
            r = AVERROR_EXIT;
            goto out;
        }
        *what = "encoding failed";
        if ((r = av_frame_make_writable(frame)) < 0)
            goto out;
        draw(frame, i);
        frame->pts = i;
        if ((r = avcodec_send_frame(c, frame)) < 0 || (r = drain(c, oc, st, pkt)) < 0)
            goto out;
    }
    if ((r = avcodec_send_frame(c, NULL)) < 0 || (r = drain(c, oc, st, pkt)) < 0)
        goto out;
    *what = "cannot finish the file";
    r = av_write_trailer(oc);
    header = false;
out:
    if (header)
        av_write_trailer(oc);
    if (oc && oc->pb)
        avio_closep(&oc->pb);
    avformat_free_context(oc);
    avcodec_free_context(&c);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    return r < 0 ? r : 0;
}

char *player_sample_ensure(volatile int *cancel, GError **error)
{
    char *path = player_sample_path();
    if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
        return path;
    char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                    "cannot create the directory '%s' for the sample clip: %s", dir,
                    g_strerror(e));
        g_free(dir);
        g_free(path);
        return NULL;
    }
    g_free(dir);
    char *tmp = g_strdup_printf("%s.tmp-%ld-%08x", path, (long)getpid(), g_random_int());
    const char *what = "";
    int r = encode(tmp, cancel, &what);
    if (r < 0) {
        char buf[AV_ERROR_MAX_STRING_SIZE];
        av_strerror(r, buf, sizeof buf);
        g_set_error(error, G_IO_ERROR, r == AVERROR_EXIT ? G_IO_ERROR_CANCELLED : G_IO_ERROR_FAILED,
                    "cannot make the sample clip '%s': %s (%s)", path, what, buf);
        g_unlink(tmp);
        g_free(tmp);
        g_free(path);
        return NULL;
    }
    if (g_rename(tmp, path) != 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                    "cannot move the sample clip into place ('%s'): %s", path, g_strerror(e));
        g_unlink(tmp);
        g_free(tmp);
        g_free(path);
        return NULL;
    }
    g_free(tmp);
    return path;
}
