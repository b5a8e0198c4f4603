/*
 * AVFrame -> glvf_image: the pixel-format table and the colorimetry,
 * aspect-ratio and display-matrix mapping.
 */
#include "ff_internal.h"

#include <libavutil/display.h>
#include <libavutil/mastering_display_metadata.h>
#include <libavutil/pixdesc.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct format_map {
    enum AVPixelFormat av;
    glvf_format glvf;
    bool full_range; /* yuvj* */
} format_map;

/* Built once from the core's format table: a glvf format's name is
 * FFmpeg's (av_get_pix_fmt() takes "yuv420p10" as the native-endian
 * yuv420p10le), so a format added to the core is carried with no change
 * here. Plus FFmpeg's full-range aliases of the 8-bit planar formats. */
static format_map formats[GLVF_FORMAT_COUNT + 3];
static size_t nformats;
static enum AVPixelFormat carried[GLVF_FORMAT_COUNT + 4];
static char carried_list[1024];
static pthread_once_t carried_once = PTHREAD_ONCE_INIT;

static void carried_init(void)
{
    for (int f = GLVF_FORMAT_NONE + 1; f < GLVF_FORMAT_COUNT; f++) {
        enum AVPixelFormat av = av_get_pix_fmt(glvf_format_name((glvf_format)f));
        if (av != AV_PIX_FMT_NONE)
            formats[nformats++] = (format_map){ av, (glvf_format)f, false };
    }
    static const format_map jpeg[] = {
        { AV_PIX_FMT_YUVJ420P, GLVF_FORMAT_YUV420P, true },
        { AV_PIX_FMT_YUVJ422P, GLVF_FORMAT_YUV422P, true },
        { AV_PIX_FMT_YUVJ444P, GLVF_FORMAT_YUV444P, true },
    };
    for (size_t i = 0; i < FF_ARRAY_LEN(jpeg); i++)
        formats[nformats++] = jpeg[i];
    size_t len = 0;
    for (size_t i = 0; i < nformats; i++) {
        carried[i] = formats[i].av;
        const char *name = av_get_pix_fmt_name(formats[i].av);
        int n = snprintf(carried_list + len, sizeof carried_list - len, "%s%s", i ? ", " : "",
                         name ? name : "?");
        if (n > 0 && (size_t)n < sizeof carried_list - len)
            len += (size_t)n;
    }
    carried[nformats] = AV_PIX_FMT_NONE;
}

const char *glvf_ff_carried_list(void)
{
    pthread_once(&carried_once, carried_init);
    return carried_list;
}

const enum AVPixelFormat *glvf_ff_carried_formats(void)
{
    pthread_once(&carried_once, carried_init);
    return carried;
}

glvf_format glvf_ffmpeg_format_from_av(int av_pix_fmt, bool *full_range)
{
    pthread_once(&carried_once, carried_init);
    if (full_range)
        *full_range = false;
    for (size_t i = 0; i < nformats; i++) {
        if ((int)formats[i].av == av_pix_fmt) {
            if (full_range)
                *full_range = formats[i].full_range;
            return formats[i].glvf;
        }
    }
    return GLVF_FORMAT_NONE;
}

int glvf_ffmpeg_format_to_av(glvf_format f)
{
    pthread_once(&carried_once, carried_init);
    for (size_t i = 0; i < nformats; i++)
        if (formats[i].glvf == f && !formats[i].full_range)
            return formats[i].av;
    return AV_PIX_FMT_NONE;
}

static glvf_matrix matrix_from_av(enum AVColorSpace cs)
{
    switch (cs) {
    case AVCOL_SPC_BT709: return GLVF_MATRIX_BT709;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M:
    case AVCOL_SPC_FCC: /* within a rounding of BT.601 */
        return GLVF_MATRIX_BT601;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: /* constant luminance is not rendered: the
                                 non-constant matrix is the closest */
        return GLVF_MATRIX_BT2020_NCL;
    case AVCOL_SPC_SMPTE240M: return GLVF_MATRIX_SMPTE240M;
    case AVCOL_SPC_YCGCO: return GLVF_MATRIX_YCGCO;
    case AVCOL_SPC_RGB: return GLVF_MATRIX_RGB;
    default: return GLVF_MATRIX_UNSPECIFIED;
    }
}

static glvf_chroma_location chroma_from_av(enum AVChromaLocation loc)
{
    /* glvf has left, center and top-left; the others map to the one with
     * the same horizontal siting (the one that matters for 4:2:0 and 4:2:2
     * alike) */
    switch (loc) {
    case AVCHROMA_LOC_LEFT:
    case AVCHROMA_LOC_BOTTOMLEFT: return GLVF_CHROMA_LEFT;
    case AVCHROMA_LOC_CENTER:
    case AVCHROMA_LOC_TOP:
    case AVCHROMA_LOC_BOTTOM: return GLVF_CHROMA_CENTER;
    case AVCHROMA_LOC_TOPLEFT: return GLVF_CHROMA_TOPLEFT;
    default: return GLVF_CHROMA_UNSPECIFIED;
    }
}

void glvf_ff_display_matrix(const int32_t m[9], int *rotation, bool *flip_h, bool *flip_v)
{
    *rotation = 0;
    *flip_h = *flip_v = false;
    int32_t t[9];
    memcpy(t, m, sizeof t);
    /* A negative determinant of the 2x2 part: the picture is mirrored.
     * Row vectors: p' = p.M; with F = diag(-1, 1, 1), M = (M.F).F, i.e.
     * the rotation M.F followed by a horizontal mirror. */
    if ((int64_t)t[0] * t[4] - (int64_t)t[1] * t[3] < 0) {
        *flip_h = true;
        av_display_matrix_flip(t, 1, 0);
    }
    double ccw = av_display_rotation_get(t);
    if (isnan(ccw))
        return;
    /* av_display_rotation_get is counter-clockwise; glvf's is clockwise */
    long cw = lround(-ccw / 90.0) * 90;
    cw %= 360;
    if (cw < 0)
        cw += 360;
    *rotation = (int)cw;
}

void glvf_ff_colour_from_frame(const AVFrame *frame, glvf_colorimetry *out)
{
    memset(out, 0, sizeof *out);
    out->matrix = matrix_from_av(frame->colorspace);
    if (frame->color_range == AVCOL_RANGE_JPEG)
        out->range = GLVF_RANGE_FULL;
    else if (frame->color_range == AVCOL_RANGE_MPEG)
        out->range = GLVF_RANGE_LIMITED;
    out->primaries = frame->color_primaries;
    out->transfer = frame->color_trc;
    out->chroma_location = chroma_from_av(frame->chroma_location);
    /* HDR metadata: SMPTE ST 2086 mastering display, CTA-861.3 light level */
    const AVFrameSideData *hd =
            av_frame_get_side_data(frame, AV_FRAME_DATA_MASTERING_DISPLAY_METADATA);
    if (hd && hd->size >= sizeof(AVMasteringDisplayMetadata)) {
        const AVMasteringDisplayMetadata *m = (const AVMasteringDisplayMetadata *)hd->data;
        if (m->has_luminance && m->max_luminance.den && m->min_luminance.den) {
            out->hdr.max_luminance = (float)av_q2d(m->max_luminance);
            out->hdr.min_luminance = (float)av_q2d(m->min_luminance);
        }
    }
    hd = av_frame_get_side_data(frame, AV_FRAME_DATA_CONTENT_LIGHT_LEVEL);
    if (hd && hd->size >= sizeof(AVContentLightMetadata)) {
        const AVContentLightMetadata *c = (const AVContentLightMetadata *)hd->data;
        out->hdr.max_cll = (float)c->MaxCLL;
        out->hdr.max_fall = (float)c->MaxFALL;
    }
}

int glvf_ffmpeg_image_from_frame(const AVFrame *frame, glvf_image *out, char *why,
                                 size_t why_len)
{
    char dummy[1];
    if (!why || !why_len) {
        why = dummy;
        why_len = sizeof dummy;
    }
    why[0] = '\0';
    if (!out) {
        snprintf(why, why_len, "output image is NULL");
        return -EINVAL;
    }
    memset(out, 0, sizeof *out);
    if (!frame) {
        snprintf(why, why_len, "AVFrame is NULL");
        return -EINVAL;
    }
    bool full = false;
    glvf_format f = glvf_ffmpeg_format_from_av(frame->format, &full);
    if (f == GLVF_FORMAT_NONE) {
        const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(frame->format);
        if (!d)
            snprintf(why, why_len, "AVFrame has no pixel format (%d)", frame->format);
        else if (d->flags & AV_PIX_FMT_FLAG_HWACCEL)
            snprintf(why, why_len, "pixel format '%s' is a hardware surface: transfer it to "
                                   "memory first (av_hwframe_transfer_data)",
                     d->name);
        else
            snprintf(why, why_len, "pixel format '%s' is not supported by glvf (supported: %s)",
                     d->name, glvf_ff_carried_list());
        return -ENOTSUP;
    }
    if (frame->width <= 0 || frame->height <= 0) {
        snprintf(why, why_len, "AVFrame has no picture (size %dx%d)", frame->width,
                 frame->height);
        return -EINVAL;
    }
    out->format = f;
    out->width = frame->width;
    out->height = frame->height;
    for (int i = 0; i < glvf_format_planes(f); i++) {
        if (!frame->data[i]) {
            snprintf(why, why_len, "%s AVFrame %dx%d: plane %d has no data",
                     av_get_pix_fmt_name(frame->format), frame->width, frame->height, i);
            memset(out, 0, sizeof *out);
            return -EINVAL;
        }
        out->planes[i].data = frame->data[i];
        out->planes[i].stride = frame->linesize[i];
    }
    glvf_ff_colour_from_frame(frame, &out->color);
    if (full)
        out->color.range = GLVF_RANGE_FULL;
    if (frame->sample_aspect_ratio.num > 0 && frame->sample_aspect_ratio.den > 0) {
        out->sar.num = frame->sample_aspect_ratio.num;
        out->sar.den = frame->sample_aspect_ratio.den;
    }
    const AVFrameSideData *sd = av_frame_get_side_data(frame, AV_FRAME_DATA_DISPLAYMATRIX);
    if (sd && sd->size >= 9 * sizeof(int32_t))
        glvf_ff_display_matrix((const int32_t *)sd->data, &out->rotation, &out->flip_h,
                               &out->flip_v);
    out->pts = frame->pts != AV_NOPTS_VALUE ? frame->pts : frame->best_effort_timestamp;
    int r = glvf_image_validate(NULL, out);
    if (r < 0) {
        snprintf(why, why_len, "%s AVFrame %dx%d (strides %d/%d/%d/%d) is not a valid image: %s",
                 av_get_pix_fmt_name(frame->format), frame->width, frame->height,
                 frame->linesize[0], frame->linesize[1], frame->linesize[2], frame->linesize[3],
                 r == -EOVERFLOW ? "sizes overflow" : r == -E2BIG ? "too large"
                                                                 : "short stride or bad size");
        memset(out, 0, sizeof *out);
        return r;
    }
    return 0;
}
