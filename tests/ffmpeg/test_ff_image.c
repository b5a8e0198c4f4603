/*
 * AVFrame -> glvf_image mapping (no GL, no media files): every carried
 * AVPixelFormat, the yuvj full-range variants, colour fields, sample aspect
 * ratio, display matrices (rotations, mirroring, odd angles), refusals with
 * a message naming the format, error strings.
 */
#include "check.h"
#include "ffmpeg/ff_internal.h"

#include <glvf/glvf-ffmpeg.h>

#include <libavutil/display.h>
#include <libavutil/mastering_display_metadata.h>
#include <libavutil/pixdesc.h>
#include <math.h>

#include <errno.h>

_Static_assert(GLVF_FFMPEG_EOF == AVERROR_EOF, "GLVF_FFMPEG_EOF is AVERROR_EOF");
_Static_assert(GLVF_FFMPEG_NOPTS == AV_NOPTS_VALUE, "GLVF_FFMPEG_NOPTS is AV_NOPTS_VALUE");

static const struct {
    enum AVPixelFormat av;
    glvf_format f;
    bool full;
} carried[] = {
    { AV_PIX_FMT_YUV420P, GLVF_FORMAT_YUV420P, false },
    { AV_PIX_FMT_YUV422P, GLVF_FORMAT_YUV422P, false },
    { AV_PIX_FMT_YUV444P, GLVF_FORMAT_YUV444P, false },
    { AV_PIX_FMT_YUVJ420P, GLVF_FORMAT_YUV420P, true },
    { AV_PIX_FMT_YUVJ422P, GLVF_FORMAT_YUV422P, true },
    { AV_PIX_FMT_YUVJ444P, GLVF_FORMAT_YUV444P, true },
    { AV_PIX_FMT_YUV420P10LE, GLVF_FORMAT_YUV420P10, false },
    { AV_PIX_FMT_YUV422P10LE, GLVF_FORMAT_YUV422P10, false },
    { AV_PIX_FMT_YUV444P10LE, GLVF_FORMAT_YUV444P10, false },
    { AV_PIX_FMT_YUV420P12LE, GLVF_FORMAT_YUV420P12, false },
    { AV_PIX_FMT_YUV422P12LE, GLVF_FORMAT_YUV422P12, false },
    { AV_PIX_FMT_YUV444P12LE, GLVF_FORMAT_YUV444P12, false },
    { AV_PIX_FMT_YUV420P16LE, GLVF_FORMAT_YUV420P16, false },
    { AV_PIX_FMT_YUV422P16LE, GLVF_FORMAT_YUV422P16, false },
    { AV_PIX_FMT_YUV444P16LE, GLVF_FORMAT_YUV444P16, false },
    { AV_PIX_FMT_NV12, GLVF_FORMAT_NV12, false },
    { AV_PIX_FMT_NV21, GLVF_FORMAT_NV21, false },
    { AV_PIX_FMT_P010LE, GLVF_FORMAT_P010, false },
    { AV_PIX_FMT_P016LE, GLVF_FORMAT_P016, false },
    { AV_PIX_FMT_GRAY8, GLVF_FORMAT_GRAY8, false },
    { AV_PIX_FMT_GRAY16LE, GLVF_FORMAT_GRAY16, false },
    { AV_PIX_FMT_RGBA, GLVF_FORMAT_RGBA8, false },
    { AV_PIX_FMT_BGRA, GLVF_FORMAT_BGRA8, false },
    { AV_PIX_FMT_RGB0, GLVF_FORMAT_RGBX8, false },
    { AV_PIX_FMT_BGR0, GLVF_FORMAT_BGRX8, false },
    { AV_PIX_FMT_RGB24, GLVF_FORMAT_RGB24, false },
    { AV_PIX_FMT_YUYV422, GLVF_FORMAT_YUYV422, false },
    { AV_PIX_FMT_UYVY422, GLVF_FORMAT_UYVY422, false },
    { AV_PIX_FMT_YUVA420P, GLVF_FORMAT_YUVA420P, false },
};

static AVFrame *make_frame(enum AVPixelFormat f, int w, int h)
{
    AVFrame *fr = av_frame_alloc();
    fr->format = f;
    fr->width = w;
    fr->height = h;
    if (av_frame_get_buffer(fr, 0) < 0)
        av_frame_free(&fr);
    return fr;
}

static void test_every_format(void *arg)
{
    (void)arg;
    CHECK(FF_ARRAY_LEN(carried) == GLVF_FORMAT_COUNT - 1 + 3,
          "every glvf format (+3 yuvj) is listed");
    for (size_t i = 0; i < FF_ARRAY_LEN(carried); i++) {
        const char *name = av_get_pix_fmt_name(carried[i].av);
        bool full = !carried[i].full;
        CHECK(glvf_ffmpeg_format_from_av(carried[i].av, &full) == carried[i].f &&
                      full == carried[i].full,
              "%s maps to %s", name, glvf_format_name(carried[i].f));
        if (!carried[i].full)
            CHECK(glvf_ffmpeg_format_to_av(carried[i].f) == (int)carried[i].av, "%s back", name);
        int sizes[][2] = { { 64, 48 }, { 33, 17 }, { 2, 2 } };
        for (size_t z = 0; z < 3; z++) {
            AVFrame *fr = make_frame(carried[i].av, sizes[z][0], sizes[z][1]);
            REQUIRE(fr, "%s frame", name);
            fr->pts = 1234;
            fr->color_range = AVCOL_RANGE_MPEG;
            glvf_image img;
            char why[256];
            int r = glvf_ffmpeg_image_from_frame(fr, &img, why, sizeof why);
            CHECK(r == 0, "%s %dx%d: %d %s", name, fr->width, fr->height, r, why);
            CHECK(img.format == carried[i].f && img.width == fr->width &&
                          img.height == fr->height && img.pts == 1234,
                  "%s: description", name);
            for (int p = 0; p < GLVF_MAX_PLANES; p++) {
                bool used = p < glvf_format_planes(img.format);
                CHECK(img.planes[p].data == (used ? fr->data[p] : NULL) &&
                              img.planes[p].stride == (used ? fr->linesize[p] : 0),
                      "%s plane %d borrowed from the AVFrame", name, p);
            }
            CHECK(img.color.range == (carried[i].full ? GLVF_RANGE_FULL : GLVF_RANGE_LIMITED),
                  "%s: range %d", name, (int)img.color.range);
            CHECK(glvf_image_validate(NULL, &img) == 0, "%s: valid", name);
            av_frame_free(&fr);
        }
    }
    CHECK(glvf_ffmpeg_format_to_av(GLVF_FORMAT_NONE) == AV_PIX_FMT_NONE, "none");
    CHECK(glvf_ffmpeg_format_from_av(AV_PIX_FMT_NONE, NULL) == GLVF_FORMAT_NONE, "none");
    printf("# carried: %s\n", glvf_ff_carried_list());
}

static void test_colour(void *arg)
{
    (void)arg;
    AVFrame *fr = make_frame(AV_PIX_FMT_YUV420P, 16, 16);
    REQUIRE(fr, "frame");
    static const struct {
        enum AVColorSpace cs;
        glvf_matrix m;
    } spaces[] = {
        { AVCOL_SPC_BT709, GLVF_MATRIX_BT709 },         { AVCOL_SPC_BT470BG, GLVF_MATRIX_BT601 },
        { AVCOL_SPC_SMPTE170M, GLVF_MATRIX_BT601 },     { AVCOL_SPC_BT2020_NCL, GLVF_MATRIX_BT2020_NCL },
        { AVCOL_SPC_SMPTE240M, GLVF_MATRIX_SMPTE240M }, { AVCOL_SPC_YCGCO, GLVF_MATRIX_YCGCO },
        { AVCOL_SPC_RGB, GLVF_MATRIX_RGB },             { AVCOL_SPC_UNSPECIFIED, GLVF_MATRIX_UNSPECIFIED },
    };
    glvf_image img;
    for (size_t i = 0; i < FF_ARRAY_LEN(spaces); i++) {
        fr->colorspace = spaces[i].cs;
        CHECK(glvf_ffmpeg_image_from_frame(fr, &img, NULL, 0) == 0 &&
                      img.color.matrix == spaces[i].m,
              "colorspace %s", av_color_space_name(spaces[i].cs));
    }
    fr->color_range = AVCOL_RANGE_JPEG;
    fr->color_primaries = AVCOL_PRI_BT2020;
    fr->color_trc = AVCOL_TRC_SMPTE2084;
    fr->chroma_location = AVCHROMA_LOC_TOPLEFT;
    fr->sample_aspect_ratio = (AVRational){ 16, 11 };
    CHECK(glvf_ffmpeg_image_from_frame(fr, &img, NULL, 0) == 0, "map");
    CHECK(img.color.range == GLVF_RANGE_FULL, "full range");
    CHECK(img.color.primaries == AVCOL_PRI_BT2020 && img.color.transfer == AVCOL_TRC_SMPTE2084,
          "primaries %d transfer %d", img.color.primaries, img.color.transfer);
    CHECK(img.color.chroma_location == GLVF_CHROMA_TOPLEFT, "chroma location");
    CHECK(img.sar.num == 16 && img.sar.den == 11, "sar %d/%d", img.sar.num, img.sar.den);
    fr->chroma_location = AVCHROMA_LOC_LEFT;
    fr->color_range = AVCOL_RANGE_UNSPECIFIED;
    fr->sample_aspect_ratio = (AVRational){ 0, 1 };
    CHECK(glvf_ffmpeg_image_from_frame(fr, &img, NULL, 0) == 0 &&
                  img.color.chroma_location == GLVF_CHROMA_LEFT &&
                  img.color.range == GLVF_RANGE_UNSPECIFIED && img.sar.num == 0,
          "left, unspecified range, no sar");
    fr->chroma_location = AVCHROMA_LOC_CENTER;
    CHECK(glvf_ffmpeg_image_from_frame(fr, &img, NULL, 0) == 0 &&
                  img.color.chroma_location == GLVF_CHROMA_CENTER,
          "center");
    fr->pts = AV_NOPTS_VALUE;
    fr->best_effort_timestamp = 77;
    CHECK(glvf_ffmpeg_image_from_frame(fr, &img, NULL, 0) == 0 && img.pts == 77,
          "best effort pts");
    av_frame_free(&fr);
}

static void test_hdr_metadata(void *arg)
{
    (void)arg;
    AVFrame *fr = make_frame(AV_PIX_FMT_YUV420P10LE, 16, 8);
    REQUIRE(fr, "frame");
    glvf_image img;
    CHECK(glvf_ffmpeg_image_from_frame(fr, &img, NULL, 0) == 0 && img.color.hdr.max_cll == 0 &&
                  img.color.hdr.max_luminance == 0,
          "no side data: no metadata");
    AVMasteringDisplayMetadata *m = av_mastering_display_metadata_create_side_data(fr);
    AVContentLightMetadata *c = av_content_light_metadata_create_side_data(fr);
    REQUIRE(m && c, "side data");
    m->has_luminance = 1;
    m->max_luminance = av_make_q(40000000, 10000); /* HEVC SEI units: 0.0001 nits */
    m->min_luminance = av_make_q(50, 10000);
    c->MaxCLL = 1000;
    c->MaxFALL = 400;
    CHECK(glvf_ffmpeg_image_from_frame(fr, &img, NULL, 0) == 0, "map");
    CHECK(img.color.hdr.max_luminance == 4000.0f && fabsf(img.color.hdr.min_luminance - 0.005f) < 1e-6f,
          "mastering luminance %g..%g", (double)img.color.hdr.min_luminance,
          (double)img.color.hdr.max_luminance);
    CHECK(img.color.hdr.max_cll == 1000.0f && img.color.hdr.max_fall == 400.0f,
          "light level %g/%g", (double)img.color.hdr.max_cll, (double)img.color.hdr.max_fall);
    m->has_luminance = 0;
    m->max_luminance = av_make_q(1, 0);
    CHECK(glvf_ffmpeg_image_from_frame(fr, &img, NULL, 0) == 0 && img.color.hdr.max_luminance == 0,
          "mastering display without luminance: not used");
    av_frame_free(&fr);
}

static void test_display_matrix(void *arg)
{
    (void)arg;
    AVFrame *fr = make_frame(AV_PIX_FMT_NV12, 16, 8);
    REQUIRE(fr, "frame");
    AVFrameSideData *sd =
            av_frame_new_side_data(fr, AV_FRAME_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t));
    REQUIRE(sd, "side data");
    int32_t *m = (int32_t *)sd->data;
    static const struct {
        double cw;     /* clockwise, as FFmpeg 5.1's av_display_rotation_set takes it */
        bool hflip;
        int rotation;
    } cases[] = {
        { 0, false, 0 },   { 90, false, 90 },  { 180, false, 180 }, { 270, false, 270 },
        { -90, false, 270 }, { 0, true, 0 },   { 90, true, 90 },    { 180, true, 180 },
        { 270, true, 270 }, { 30, false, 0 },  { 60, false, 90 },   { 134, false, 90 },
        { 136, false, 180 },
    };
    for (size_t i = 0; i < FF_ARRAY_LEN(cases); i++) {
        av_display_rotation_set(m, cases[i].cw);
        if (cases[i].hflip)
            av_display_matrix_flip(m, 1, 0);
        glvf_image img;
        CHECK(glvf_ffmpeg_image_from_frame(fr, &img, NULL, 0) == 0, "map");
        CHECK(img.rotation == cases[i].rotation && img.flip_h == cases[i].hflip && !img.flip_v,
              "matrix cw %g hflip %d: rotation %d flip_h %d, want %d", cases[i].cw,
              cases[i].hflip, img.rotation, img.flip_h, cases[i].rotation);
    }
    /* a vertical mirror is a horizontal one after a half turn */
    av_display_rotation_set(m, 0);
    av_display_matrix_flip(m, 0, 1);
    glvf_image img;
    CHECK(glvf_ffmpeg_image_from_frame(fr, &img, NULL, 0) == 0 && img.flip_h &&
                  img.rotation == 180,
          "vflip: rotation %d flip_h %d", img.rotation, img.flip_h);
    memset(m, 0, 9 * sizeof *m); /* singular */
    CHECK(glvf_ffmpeg_image_from_frame(fr, &img, NULL, 0) == 0 && img.rotation == 0,
          "singular matrix: no rotation");
    av_frame_free(&fr);
}

static void test_refusals(void *arg)
{
    (void)arg;
    char why[512];
    glvf_image img;
    static const enum AVPixelFormat refused[] = { AV_PIX_FMT_YUV410P, AV_PIX_FMT_PAL8,
                                                  AV_PIX_FMT_YUV420P10BE, AV_PIX_FMT_GBRP,
                                                  AV_PIX_FMT_YUV440P };
    for (size_t i = 0; i < FF_ARRAY_LEN(refused); i++) {
        AVFrame *fr = make_frame(refused[i], 16, 16);
        REQUIRE(fr, "frame");
        const char *name = av_get_pix_fmt_name(refused[i]);
        int r = glvf_ffmpeg_image_from_frame(fr, &img, why, sizeof why);
        CHECK(r == -ENOTSUP && strstr(why, name) && strstr(why, "not supported"),
              "%s: %d '%s'", name, r, why);
        CHECK(img.format == GLVF_FORMAT_NONE, "zeroed");
        CHECK(glvf_ffmpeg_format_from_av(refused[i], NULL) == GLVF_FORMAT_NONE, "%s", name);
        if (i == 0)
            printf("# %s\n", why);
        av_frame_free(&fr);
    }
    AVFrame *fr = av_frame_alloc();
    fr->format = AV_PIX_FMT_VAAPI;
    fr->width = fr->height = 16;
    CHECK(glvf_ffmpeg_image_from_frame(fr, &img, why, sizeof why) == -ENOTSUP &&
                  strstr(why, "hardware"),
          "hw: %s", why);
    fr->format = AV_PIX_FMT_YUV420P; /* no buffers */
    CHECK(glvf_ffmpeg_image_from_frame(fr, &img, why, sizeof why) == -EINVAL &&
                  strstr(why, "no data"),
          "no data: %s", why);
    fr->width = 0;
    CHECK(glvf_ffmpeg_image_from_frame(fr, &img, why, sizeof why) == -EINVAL, "no size: %s",
          why);
    fr->format = AV_PIX_FMT_NONE;
    CHECK(glvf_ffmpeg_image_from_frame(fr, &img, why, sizeof why) == -ENOTSUP, "none: %s",
          why);
    av_frame_free(&fr);
    CHECK(glvf_ffmpeg_image_from_frame(NULL, &img, why, sizeof why) == -EINVAL, "NULL frame");
    CHECK(glvf_ffmpeg_image_from_frame(NULL, NULL, NULL, 0) == -EINVAL, "NULL everything");
    /* a short stride is refused by validation */
    fr = make_frame(AV_PIX_FMT_RGBA, 64, 4);
    fr->linesize[0] = 16;
    CHECK(glvf_ffmpeg_image_from_frame(fr, &img, why, sizeof why) == -EINVAL, "short: %s",
          why);
    av_frame_free(&fr);
    CHECK(!glvf_ffmpeg_frame_is_direct(NULL), "NULL is not direct");
    fr = make_frame(AV_PIX_FMT_YUV420P, 16, 16);
    CHECK(!glvf_ffmpeg_frame_is_direct(fr), "an ordinary frame is not direct");
    av_frame_free(&fr);
    CHECK(glvf_ffmpeg_upload(NULL, NULL, NULL, NULL) == NULL, "upload NULL");
}

static void test_strings(void *arg)
{
    (void)arg;
    char buf[128];
    CHECK(strstr(glvf_ffmpeg_strerror(GLVF_FFMPEG_EOF, buf, sizeof buf), "End of file"), "%s",
          buf);
    CHECK(strstr(glvf_ffmpeg_strerror(-ENOENT, buf, sizeof buf), "No such file"), "%s", buf);
    CHECK(strlen(glvf_ffmpeg_strerror(AVERROR_INVALIDDATA, buf, sizeof buf)) > 0, "%s", buf);
    CHECK(glvf_ffmpeg_strerror(0, buf, 4) == buf && strlen(buf) == 3, "truncated");
    CHECK(!strcmp(glvf_ffmpeg_version(), glvf_version()), "version");
}

int main(void)
{
    RUN(test_every_format, NULL);
    RUN(test_colour, NULL);
    RUN(test_hdr_metadata, NULL);
    RUN(test_display_matrix, NULL);
    RUN(test_refusals, NULL);
    RUN(test_strings, NULL);
    check_log_clear();
    return check_finish();
}
