/*
 * Reference B of tests/colour: libplacebo (4.208) renders the first frame of
 * a clip 1:1 into an RGBA8 (or RGBA32F) framebuffer on an EGL surfaceless
 * (llvmpipe) context, with settings chosen to compute what glvf's renderer
 * computes:
 *
 *   output     BT.709 primaries, BT.1886 with a black of 1e-7 nits (pure
 *              pow(1/2.4): lb^(1/2.4) ~ 1e-4 of a level), white 203 nits
 *              (PL_COLOR_SDR_WHITE, the unit of libplacebo's linear light;
 *              white= sets another, as glvf's target_peak)
 *   source     colorimetry from the AVFrame (pl_frame_from_avframe), with
 *              hdr.min_luma forced to 1e-7 nits (libplacebo infers 0.005 for
 *              HDR and white/1000 for SDR: a lifted black in its BT.1886 and
 *              HLG curves and in BT.2390's black-point term, which glvf, with
 *              a black of 0, has not) and hdr.max_luma set to the source peak
 *              given on the command line (glvf: MaxCLL, else mastering peak)
 *   tone map   pl_tone_map_bt2390 (param 0.5: libplacebo's default is 1.0,
 *              ITU-R's and glvf's 0.5), PL_TONE_MAP_MAX (max-RGB, as glvf),
 *              crosstalk 0, LUT of 1024 entries, no peak detection
 *   gamut      PL_GAMUT_CLIP, relative colorimetric intent
 *   no dither, no deband, no sigmoid, no scaling (1:1)
 *   HDR        two passes: libplacebo 4.208 tone-maps in the source
 *              primaries, glvf after converting them to BT.709; so the
 *              source is first rendered to BT.709 primaries, PQ, the same
 *              peak (no tone mapping) into an RGBA32F texture, which is
 *              then rendered to the output (tone mapping in BT.709)
 *
 * usage: placebo-ref gl33|gles30 IN OUT SOURCE_PEAK_NITS [f32] [knee=K]
 *                    [white=NITS]
 * Writes width*height RGBA pixels, top row first: bytes (an RGBA8 target),
 * or with f32 native floats (an RGBA32F target: the output before
 * rounding). knee: BT.2390's knee offset (default 0.5); white: the output's
 * peak in nits (default 203; glvf's target_peak). Exit 0 on success.
 */
#include "egl_harness.h"
#include "ff_media.h"

#include <epoxy/gl.h>
#include <libplacebo/opengl.h>
#include <libplacebo/renderer.h>
#include <libplacebo/utils/libav.h>

#define PLACEBO_BLACK_NITS 1e-7f

static void log_cb(void *priv, enum pl_log_level level, const char *msg)
{
    (void)priv;
    if (level <= PL_LOG_WARN)
        fprintf(stderr, "placebo-ref: libplacebo: %s\n", msg);
}

int main(int argc, char **argv)
{
    harness_api api;
    bool f32 = false, usage = argc < 5 || !harness_api_parse(argv[1], &api);
    float knee = 0.5f, white = PL_COLOR_SDR_WHITE;
    for (int i = 5; i < argc && !usage; i++) {
        if (strcmp(argv[i], "f32") == 0)
            f32 = true;
        else if (strncmp(argv[i], "knee=", 5) == 0)
            knee = strtof(argv[i] + 5, NULL);
        else if (strncmp(argv[i], "white=", 6) == 0)
            white = strtof(argv[i] + 6, NULL);
        else
            usage = true;
    }
    if (usage) {
        fprintf(stderr, "usage: %s gl33|gles30 IN OUT SOURCE_PEAK_NITS [f32] [knee=K] "
                        "[white=NITS]\n", argv[0]);
        return 2;
    }
    size_t bpp = f32 ? 4 * sizeof(float) : 4;
    float peak = strtof(argv[4], NULL);
    ref_frames refs;
    if (ref_decode(argv[2], &refs) < 1) {
        fprintf(stderr, "placebo-ref: cannot decode %s\n", argv[2]);
        return 1;
    }
    const AVFrame *av = refs.f[0];
    int w = av->width, h = av->height, rc = 1;

    harness_ctx *H = harness_ctx_create(api, NULL);
    if (!H || !harness_make_current(H))
        return 1;
    pl_log log = pl_log_create(PL_API_VER, pl_log_params(.log_cb = log_cb,
                                                          .log_level = PL_LOG_WARN));
    pl_opengl gl = pl_opengl_create(log, pl_opengl_params(.allow_software = true));
    if (!gl) {
        fprintf(stderr, "placebo-ref: pl_opengl_create failed\n");
        return 1;
    }
    pl_renderer rr = pl_renderer_create(log, gl->gpu);

    GLuint tex, fb;
    glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    glTexImage2D(GL_TEXTURE_2D, 0, f32 ? GL_RGBA32F : GL_RGBA8, w, h, 0, GL_RGBA,
                 f32 ? GL_FLOAT : GL_UNSIGNED_BYTE, NULL);
    glBindTexture(GL_TEXTURE_2D, 0);
    glGenFramebuffers(1, &fb);
    glBindFramebuffer(GL_FRAMEBUFFER, fb);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, tex, 0);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    pl_tex target_tex = pl_opengl_wrap(gl->gpu, pl_opengl_wrap_params(
            .texture = tex, .framebuffer = fb, .width = w, .height = h,
            .iformat = f32 ? GL_RGBA32F : GL_RGBA8));

    pl_tex src_tex[4] = { 0 };
    struct pl_frame image;
    bool ok = target_tex && pl_map_avframe_ex(gl->gpu, &image, pl_avframe_params(
                                                      .frame = av, .tex = src_tex,
                                                      .map_dovi = false));
    /* HDR: two passes (see the header): the source to linear-light BT.709
     * kept as PQ in a float texture, no tone mapping (same peak on both
     * sides); then that to the output, tone-mapped in BT.709 primaries. */
    GLuint mid_tex = 0, mid_fb = 0;
    pl_tex mid = NULL;
    struct pl_frame mapped = image;
    bool was_mapped = ok;
    if (ok) {
        image.color.hdr.min_luma = PLACEBO_BLACK_NITS;
        bool hdr = pl_color_transfer_is_hdr(image.color.transfer);
        image.color.hdr.max_luma = hdr ? peak : PL_COLOR_SDR_WHITE;
        struct pl_frame target = {
            .num_planes = 1,
            .planes = { { .texture = target_tex, .components = 4,
                          .component_mapping = { 0, 1, 2, 3 } } },
            .repr = pl_color_repr_rgb,
            .color = { .primaries = PL_COLOR_PRIM_BT_709, .transfer = PL_COLOR_TRC_BT_1886,
                       .hdr = { .min_luma = PLACEBO_BLACK_NITS,
                                .max_luma = white } },
        };
        struct pl_color_map_params cmap = {
            .intent = PL_INTENT_RELATIVE_COLORIMETRIC,
            .gamut_mode = PL_GAMUT_CLIP,
            .tone_mapping_function = &pl_tone_map_bt2390,
            .tone_mapping_mode = PL_TONE_MAP_MAX,
            .tone_mapping_param = knee,
            .tone_mapping_crosstalk = 0.0f,
            .lut_size = 1024,
        };
        struct pl_render_params params = {
            .color_map_params = &cmap,
            /* everything else off: no peak detection, dither, deband, ... */
            .skip_anti_aliasing = true,
        };
        if (hdr) {
            glGenTextures(1, &mid_tex);
            glBindTexture(GL_TEXTURE_2D, mid_tex);
            glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA32F, w, h, 0, GL_RGBA, GL_FLOAT, NULL);
            glBindTexture(GL_TEXTURE_2D, 0);
            glGenFramebuffers(1, &mid_fb);
            glBindFramebuffer(GL_FRAMEBUFFER, mid_fb);
            glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, mid_tex, 0);
            glBindFramebuffer(GL_FRAMEBUFFER, 0);
            mid = pl_opengl_wrap(gl->gpu, pl_opengl_wrap_params(
                    .texture = mid_tex, .framebuffer = mid_fb, .width = w, .height = h,
                    .iformat = GL_RGBA32F));
            struct pl_frame midf = {
                .num_planes = 1,
                .planes = { { .texture = mid, .components = 4,
                              .component_mapping = { 0, 1, 2, 3 } } },
                .repr = pl_color_repr_rgb,
                .color = { .primaries = PL_COLOR_PRIM_BT_709, .transfer = PL_COLOR_TRC_PQ,
                           .hdr = image.color.hdr },
            };
            midf.color.hdr.prim = (struct pl_raw_primaries){ 0 };
            struct pl_color_map_params cmap1 = cmap;
            cmap1.tone_mapping_function = NULL; /* and the same peak: none */
            struct pl_render_params p1 = params;
            p1.color_map_params = &cmap1;
            ok = mid && pl_render_image(rr, &image, &midf, &p1);
            image = midf; /* pass 2 reads it */
        }
        ok = ok && pl_render_image(rr, &image, &target, &params);
        pl_gpu_finish(gl->gpu);
    }
    if (was_mapped)
        pl_unmap_avframe(gl->gpu, &mapped);
    if (ok) {
        uint8_t *buf = malloc((size_t)w * (size_t)h * bpp);
        glBindFramebuffer(GL_FRAMEBUFFER, fb);
        glPixelStorei(GL_PACK_ALIGNMENT, 1);
        glReadPixels(0, 0, w, h, GL_RGBA, f32 ? GL_FLOAT : GL_UNSIGNED_BYTE, buf);
        glBindFramebuffer(GL_FRAMEBUFFER, 0);
        FILE *f = fopen(argv[3], "wb");
        bool wr = f != NULL;
        /* libplacebo draws a wrapped framebuffer top row first (row 0 of
         * glReadPixels is the picture's top) */
        wr = wr && fwrite(buf, bpp, (size_t)w * (size_t)h, f) == (size_t)w * (size_t)h;
        if (f)
            wr = fclose(f) == 0 && wr;
        free(buf);
        rc = wr ? 0 : 1;
        printf("placebo-ref: %s %dx%d %s/%s peak %.0f knee %.2f white %.0f -> %s\n", argv[2], w,
               h, av_color_primaries_name(av->color_primaries),
               av_color_transfer_name(av->color_trc), (double)peak, (double)knee, (double)white,
               argv[3]);
    } else {
        fprintf(stderr, "placebo-ref: rendering failed\n");
    }
    for (int i = 0; i < 4; i++)
        pl_tex_destroy(gl->gpu, &src_tex[i]);
    pl_tex_destroy(gl->gpu, &mid);
    pl_tex_destroy(gl->gpu, &target_tex);
    pl_renderer_destroy(&rr);
    pl_opengl_destroy(&gl);
    pl_log_destroy(&log);
    glDeleteFramebuffers(1, &fb);
    glDeleteTextures(1, &tex);
    if (mid_fb)
        glDeleteFramebuffers(1, &mid_fb);
    if (mid_tex)
        glDeleteTextures(1, &mid_tex);
    harness_ctx_destroy(H);
    ref_free(&refs);
    return rc;
}
