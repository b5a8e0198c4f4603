/*
 * Opt-in conversion (glvf_ffmpeg_decoder_params.convert) of pixel formats
 * the format table does not carry, through libswscale, into the closest
 * carried format (avcodec_find_best_pix_fmt_of_list). Output pictures come
 * from an AVBufferPool, so steady-state conversion allocates no picture
 * memory. Built only when libswscale is found.
 */
#include "ff_internal.h"

#ifdef GLVF_FF_HAVE_SWSCALE

#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include <string.h>

struct glvf_ff_convert {
    struct SwsContext *sws;
    AVBufferPool *pool;
    size_t pool_size;
    enum AVPixelFormat src_fmt;
    int src_range, src_space, w, h;
};

bool glvf_ff_convert_available(void)
{
    return true;
}

enum AVPixelFormat glvf_ff_convert_target(enum AVPixelFormat src)
{
    /* candidates: the carried formats without the deprecated yuvj ones */
    enum AVPixelFormat list[64];
    size_t n = 0;
    for (const enum AVPixelFormat *p = glvf_ff_carried_formats(); *p != AV_PIX_FMT_NONE; p++) {
        bool full;
        glvf_ffmpeg_format_from_av(*p, &full);
        if (!full && n + 1 < FF_ARRAY_LEN(list))
            list[n++] = *p;
    }
    list[n] = AV_PIX_FMT_NONE;
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(src);
    int alpha = d && (d->flags & AV_PIX_FMT_FLAG_ALPHA);
    return avcodec_find_best_pix_fmt_of_list(list, src, alpha, NULL);
}

glvf_ff_convert *glvf_ff_convert_create(void)
{
    glvf_ff_convert *c = glvf_priv_calloc(1, sizeof *c);
    if (c)
        c->src_fmt = AV_PIX_FMT_NONE;
    return c;
}

void glvf_ff_convert_destroy(glvf_ff_convert **pc)
{
    if (!pc || !*pc)
        return;
    glvf_ff_convert *c = *pc;
    *pc = NULL;
    sws_freeContext(c->sws);
    av_buffer_pool_uninit(&c->pool);
    glvf_priv_free(c);
}

static bool is_rgb(enum AVPixelFormat f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
    return d && (d->flags & AV_PIX_FMT_FLAG_RGB);
}

int glvf_ff_convert_frame(glvf_ff_convert *c, const AVFrame *src, AVFrame *dst)
{
    enum AVPixelFormat sf = src->format;
    enum AVPixelFormat df = glvf_ff_convert_target(sf);
    if (df == AV_PIX_FMT_NONE)
        return AVERROR(ENOTSUP);
    int w = src->width, h = src->height;
    if (!c->sws || sf != c->src_fmt || w != c->w || h != c->h ||
        (int)src->color_range != c->src_range || (int)src->colorspace != c->src_space) {
        sws_freeContext(c->sws);
        c->sws = sws_getContext(w, h, sf, w, h, df,
                                SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL,
                                NULL, NULL);
        if (!c->sws)
            return AVERROR(EINVAL);
        c->src_fmt = sf;
        c->w = w;
        c->h = h;
        c->src_range = src->color_range;
        c->src_space = src->colorspace;
        /* keep the matrix and range through YUV->YUV; RGB out is full range */
        int space = src->colorspace;
        if (space == AVCOL_SPC_UNSPECIFIED || space == AVCOL_SPC_RGB || space < 0 ||
            space >= AVCOL_SPC_NB)
            space = SWS_CS_DEFAULT;
        const int *coef = sws_getCoefficients(space);
        int src_full = src->color_range == AVCOL_RANGE_JPEG || is_rgb(sf);
        int dst_full = is_rgb(df) ? 1 : is_rgb(sf) ? 0 : src_full;
        sws_setColorspaceDetails(c->sws, coef, src_full, coef, dst_full, 0, 1 << 16, 1 << 16);
    }
    int size = av_image_get_buffer_size(df, w, h, 64);
    if (size < 0)
        return size;
    if (!c->pool || c->pool_size != (size_t)size + 64) {
        av_buffer_pool_uninit(&c->pool); /* buffers still out free themselves */
        c->pool_size = (size_t)size + 64;
        c->pool = av_buffer_pool_init(c->pool_size, NULL);
        if (!c->pool)
            return AVERROR(ENOMEM);
    }
    dst->buf[0] = av_buffer_pool_get(c->pool);
    if (!dst->buf[0])
        return AVERROR(ENOMEM);
    int r = av_image_fill_arrays(dst->data, dst->linesize, dst->buf[0]->data, df, w, h, 64);
    if (r < 0)
        goto fail;
    dst->extended_data = dst->data;
    dst->format = df;
    dst->width = w;
    dst->height = h;
    r = av_frame_copy_props(dst, src);
    if (r < 0)
        goto fail;
    if (is_rgb(df)) {
        dst->colorspace = AVCOL_SPC_RGB;
        dst->color_range = AVCOL_RANGE_JPEG;
    } else if (is_rgb(sf)) {
        dst->colorspace = AVCOL_SPC_SMPTE170M; /* swscale's default matrix */
        dst->color_range = AVCOL_RANGE_MPEG;
    }
    r = sws_scale(c->sws, (const uint8_t *const *)src->data, src->linesize, 0, h, dst->data,
                  dst->linesize);
    if (r < 0)
        goto fail;
    return 0;
fail:
    av_frame_unref(dst);
    return r;
}

#else /* !GLVF_FF_HAVE_SWSCALE */

bool glvf_ff_convert_available(void)
{
    return false;
}

enum AVPixelFormat glvf_ff_convert_target(enum AVPixelFormat src)
{
    (void)src;
    return AV_PIX_FMT_NONE;
}

glvf_ff_convert *glvf_ff_convert_create(void)
{
    return NULL;
}

int glvf_ff_convert_frame(glvf_ff_convert *c, const AVFrame *src, AVFrame *dst)
{
    (void)c;
    (void)src;
    (void)dst;
    return AVERROR(ENOTSUP);
}

void glvf_ff_convert_destroy(glvf_ff_convert **pc)
{
    if (pc)
        *pc = NULL;
}

#endif
