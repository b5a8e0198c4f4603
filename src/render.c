/*
 * The renderer: draws a frame into whatever draw framebuffer is bound, into
 * the target rectangle (or the viewport), restoring every piece of GL state
 * it changes.
 *
 * Programs: one pair of shader files (shaders/glvf.vert, shaders/glvf.frag),
 * built per variant (layout family x scaler x 16-bit byte pairs x alpha
 * plane, times the colour path: none, or transfer x tone curve x gamut map)
 * on first use with the #version line of the context and cached in the
 * context. Colour: bit depth, range and the YUV matrix are folded on the
 * CPU, in double precision, into one 3x3 matrix and offset per draw; beyond
 * BT.709 SDR, src/colour.c computes the rest of the path's constants.
 */
#include "glvf_shaders.h"
#include "glvf_testing.h"
#include "internal.h"

#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static const char *layout_defines[GLVF_LAYOUT_COUNT] = {
    [GLVF_LAYOUT_RGB] = "#define LAYOUT_RGB 1\n",
    [GLVF_LAYOUT_GRAY] = "#define LAYOUT_GRAY 1\n",
    [GLVF_LAYOUT_PLANAR] = "#define LAYOUT_PLANAR 1\n",
    [GLVF_LAYOUT_NV] = "#define LAYOUT_NV 1\n",
    [GLVF_LAYOUT_PACKED422] = "#define LAYOUT_PACKED422 1\n",
};
static const char *layout_names[GLVF_LAYOUT_COUNT] = {
    [GLVF_LAYOUT_RGB] = "rgb",       [GLVF_LAYOUT_GRAY] = "gray", [GLVF_LAYOUT_PLANAR] = "planar",
    [GLVF_LAYOUT_NV] = "nv",         [GLVF_LAYOUT_PACKED422] = "packed422",
};
#define VARIANTS (GLVF_LAYOUT_COUNT * 8)

/* Colour variants: 0 is BT.709 SDR (no linearisation); then SDR with other
 * primaries, PQ and HLG, each per gamut map (x2), the HDR ones per tone
 * curve (x4). */
#define GAMUTS 2
#define CURVES 4
#define COLOURS (1 + GAMUTS + 2 * CURVES * GAMUTS)

typedef struct glvf_program {
    GLuint program;
    bool failed;
    GLint u_transform, u_tex[4], u_size, u_csub, u_coff, u_tsize0, u_tsize1, u_m, u_off,
        u_ascale, u_swap, u_sel[4], u_gamut, u_lin, u_tm;
} glvf_program;

struct glvf_renderer {
    glvf_program progs[VARIANTS];          /* colour variant 0 */
    glvf_program *cprogs[COLOURS - 1];     /* the others, allocated on first use */
    GLuint vao;
    glvf_colour_memory colour_log;
};

static int colour_index(const glvf_colour_plan *c)
{
    int g = c->gamut_map == GLVF_GAMUT_MAP_DESATURATE;
    switch (c->path) {
    case GLVF_COLOUR_SDR: return 1 + g;
    case GLVF_COLOUR_PQ: return 1 + GAMUTS + ((int)c->tone_map - 1) * GAMUTS + g;
    case GLVF_COLOUR_HLG:
        return 1 + GAMUTS + CURVES * GAMUTS + ((int)c->tone_map - 1) * GAMUTS + g;
    default: return 0;
    }
}

/* the defines and the name of colour variant ci */
static void colour_variant(int ci, char *defines, size_t dn, char *name, size_t nn)
{
    static const char *curves[CURVES] = { "BT2390", "CLIP", "HABLE", "MOBIUS" };
    if (ci == 0) {
        defines[0] = name[0] = '\0';
        return;
    }
    int k = ci - 1;
    int g = k % GAMUTS;
    const char *tf = "SDR", *curve = NULL;
    if (k >= GAMUTS) {
        k -= GAMUTS;
        tf = k / (CURVES * GAMUTS) ? "HLG" : "PQ";
        curve = curves[(k % (CURVES * GAMUTS)) / GAMUTS];
    }
    snprintf(defines, dn, "#define TRANSFER_%s 1\n%s%s%s%s", tf, curve ? "#define TONE_" : "",
             curve ? curve : "", curve ? " 1\n" : "", g ? "#define GAMUT_DESATURATE 1\n" : "");
    snprintf(name, nn, " %s%s%s%s", tf, curve ? " " : "", curve ? curve : "",
             g ? " desaturate" : "");
}

/* ---- test hook ---------------------------------------------------------- */

static _Atomic(const char *) inject_suffix;

void glvf_testing_break_shaders(const char *glsl)
{
    atomic_store(&inject_suffix, glsl);
}

/* ---- programs ----------------------------------------------------------- */

static int variant_index(const glvf_context *ctx, const glvf_format_desc *d, glvf_scaler scaler)
{
    bool pair16 = d->plane[0].bytes_per_comp == 2 && !ctx->caps.texture_norm16;
    bool alpha_plane = d->planes == 4;
    return (int)d->layout * 8 + (scaler == GLVF_SCALER_BICUBIC) * 4 + pair16 * 2 + alpha_plane;
}

/* Why a program could not be built: resources (glCreate* failed, out of
 * memory: worth trying again on a later draw) or the driver refused the
 * source (it would refuse it again: not retried). */
enum build_result { BUILD_OK, BUILD_RETRY, BUILD_REFUSED };

static GLuint compile_shader(glvf_context *ctx, GLenum type, const char *defines,
                             const char *body, const char *suffix, const char *variant,
                             enum build_result *why)
{
    GladGLContext *gl = &ctx->gl;
    const char *header = ctx->caps.is_gles ? "#version 300 es\n"
                                             "precision highp float;\n"
                                             "precision highp int;\n"
                                             "precision highp sampler2D;\n"
                                           : "#version 330 core\n";
    const char *src[4] = { header, defines, body, suffix ? suffix : "" };
    GLuint sh = gl->CreateShader(type);
    if (!sh) {
        LOG_E(ctx, "render: glCreateShader failed (0x%x)", gl->GetError());
        *why = BUILD_RETRY;
        return 0;
    }
    gl->ShaderSource(sh, 4, src, NULL);
    gl->CompileShader(sh);
    GLint ok = 0;
    gl->GetShaderiv(sh, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[2048] = "";
        gl->GetShaderInfoLog(sh, sizeof log, NULL, log);
        LOG_E(ctx, "render: compiling the %s shader (variant %s) failed: %s",
              type == GL_VERTEX_SHADER ? "vertex" : "fragment", variant, log);
        gl->DeleteShader(sh);
        *why = BUILD_REFUSED;
        return 0;
    }
    return sh;
}

static enum build_result build_program(glvf_context *ctx, int v, int ci, glvf_program *p)
{
    GladGLContext *gl = &ctx->gl;
    char cdefines[128], cname[48];
    colour_variant(ci, cdefines, sizeof cdefines, cname, sizeof cname);
    char defines[384];
    snprintf(defines, sizeof defines, "%s%s%s%s%s", layout_defines[v / 8],
             (v & 4) ? "#define BICUBIC 1\n" : "", (v & 2) ? "#define PAIR16 1\n" : "",
             (v & 1) ? "#define ALPHA_PLANE 1\n" : "", cdefines);
    char variant[112];
    snprintf(variant, sizeof variant, "%s %s%s%s%s", layout_names[v / 8],
             (v & 4) ? "bicubic" : "bilinear", (v & 2) ? " pair16" : "",
             (v & 1) ? " alpha-plane" : "", cname);
    const char *suffix = atomic_load(&inject_suffix);
    /* room in the deferred queue for the program's eventual delete: taken
     * first, so that queueing it later cannot fail */
    pthread_mutex_lock(&ctx->lock);
    bool reserved = glvf_tracker_reserve(ctx, 1);
    pthread_mutex_unlock(&ctx->lock);
    if (!reserved) {
        LOG_E(ctx, "render: out of memory building the program (variant %s)", variant);
        return BUILD_RETRY;
    }
    enum build_result why = BUILD_RETRY;
    GLuint vs = compile_shader(ctx, GL_VERTEX_SHADER, defines, glvf_shader_vert, NULL, variant,
                               &why);
    GLuint fs = vs ? compile_shader(ctx, GL_FRAGMENT_SHADER, defines, glvf_shader_frag, suffix,
                                    variant, &why)
                   : 0;
    if (!fs) {
        if (vs)
            gl->DeleteShader(vs);
        return why;
    }
    GLuint prog = gl->CreateProgram();
    if (!prog) {
        LOG_E(ctx, "render: glCreateProgram failed (0x%x)", gl->GetError());
        gl->DeleteShader(vs);
        gl->DeleteShader(fs);
        return BUILD_RETRY;
    }
    gl->AttachShader(prog, vs);
    gl->AttachShader(prog, fs);
    gl->LinkProgram(prog);
    gl->DetachShader(prog, vs);
    gl->DetachShader(prog, fs);
    gl->DeleteShader(vs);
    gl->DeleteShader(fs);
    GLint ok = 0;
    gl->GetProgramiv(prog, GL_LINK_STATUS, &ok);
    if (!ok) {
        char log[2048] = "";
        gl->GetProgramInfoLog(prog, sizeof log, NULL, log);
        LOG_E(ctx, "render: linking the program (variant %s) failed: %s", variant, log);
        gl->DeleteProgram(prog);
        return BUILD_REFUSED;
    }
    glvf_label(ctx, GL_PROGRAM, prog, "glvf program %s", variant);
    p->program = prog;
#define LOC(field, name) p->field = gl->GetUniformLocation(prog, name)
    LOC(u_transform, "u_transform");
    LOC(u_tex[0], "u_tex0");
    LOC(u_tex[1], "u_tex1");
    LOC(u_tex[2], "u_tex2");
    LOC(u_tex[3], "u_tex3");
    LOC(u_size, "u_size");
    LOC(u_csub, "u_csub");
    LOC(u_coff, "u_coff");
    LOC(u_tsize0, "u_tsize0");
    LOC(u_tsize1, "u_tsize1");
    LOC(u_m, "u_m");
    LOC(u_off, "u_off");
    LOC(u_ascale, "u_ascale");
    LOC(u_swap, "u_swap");
    LOC(u_sel[0], "u_sel_y0");
    LOC(u_sel[1], "u_sel_u");
    LOC(u_sel[2], "u_sel_y1");
    LOC(u_sel[3], "u_sel_v");
    LOC(u_gamut, "u_gamut");
    LOC(u_lin, "u_lin");
    LOC(u_tm, "u_tm");
#undef LOC
    GLint prev = 0;
    gl->GetIntegerv(GL_CURRENT_PROGRAM, &prev);
    gl->UseProgram(prog);
    for (int i = 0; i < 4; i++)
        if (p->u_tex[i] >= 0)
            gl->Uniform1i(p->u_tex[i], i);
    gl->UseProgram((GLuint)prev);
    pthread_mutex_lock(&ctx->lock);
    glvf_tracker_created(ctx, GLVF_OBJECT_PROGRAM, 0);
    pthread_mutex_unlock(&ctx->lock);
    return BUILD_OK;
}

static glvf_renderer *renderer_get(glvf_context *ctx)
{
    if (!ctx->render) {
        ctx->render = glvf_calloc(1, sizeof *ctx->render);
        if (!ctx->render)
            LOG_E(ctx, "render: out of memory");
    }
    return ctx->render;
}

static glvf_program *get_program(glvf_context *ctx, int v, int ci)
{
    glvf_renderer *r = renderer_get(ctx);
    if (!r)
        return NULL;
    if (!r->vao) {
        pthread_mutex_lock(&ctx->lock);
        bool ok = glvf_tracker_reserve(ctx, 1);
        pthread_mutex_unlock(&ctx->lock);
        if (ok)
            ctx->gl.GenVertexArrays(1, &r->vao);
        if (!r->vao) {
            LOG_E(ctx, "render: %s", ok ? "glGenVertexArrays failed" : "out of memory");
            return NULL;
        }
        pthread_mutex_lock(&ctx->lock);
        glvf_tracker_created(ctx, GLVF_OBJECT_VERTEX_ARRAY, 0);
        pthread_mutex_unlock(&ctx->lock);
    }
    glvf_program *p = &r->progs[v];
    if (ci > 0) {
        if (!r->cprogs[ci - 1]) {
            r->cprogs[ci - 1] = glvf_calloc(VARIANTS, sizeof(glvf_program));
            if (!r->cprogs[ci - 1]) {
                LOG_E(ctx, "render: out of memory");
                return NULL;
            }
        }
        p = &r->cprogs[ci - 1][v];
    }
    if (p->failed) {
        /* the driver refused this variant's source: it would again */
        LOG_E(ctx, "render: the program for this format and scaler failed to build earlier "
                   "(logged then); not drawing");
        return NULL;
    }
    if (!p->program && build_program(ctx, v, ci, p) == BUILD_REFUSED)
        p->failed = true;
    return p->program ? p : NULL;
}

void glvf_render_destroy(glvf_context *ctx, bool gl)
{
    /* lock held, context dead */
    glvf_renderer *r = ctx->render;
    if (!r)
        return;
    for (int ci = 0; ci < COLOURS; ci++) {
        glvf_program *progs = ci ? r->cprogs[ci - 1] : r->progs;
        for (int v = 0; progs && v < VARIANTS; v++) {
            if (!progs[v].program)
                continue;
            glvf_tracker_release(ctx, GLVF_OBJECT_PROGRAM, progs[v].program, 0, gl);
        }
        if (ci)
            glvf_free(progs);
    }
    if (r->vao) {
        glvf_tracker_release(ctx, GLVF_OBJECT_VERTEX_ARRAY, r->vao, 0, gl);
    }
    glvf_free(r);
    ctx->render = NULL;
}

int glvf_render_prepare(glvf_context *ctx, glvf_format format)
{
    int r = glvf_ctx_enter(ctx, __func__);
    if (r < 0)
        return r;
    const glvf_format_desc *d = glvf_format_desc_get(format);
    if (!d) {
        LOGF_E(ctx, "invalid format %d", (int)format);
        return -EINVAL;
    }
    for (int s = 0; s < 2; s++)
        if (!get_program(ctx, variant_index(ctx, d, (glvf_scaler)s), 0))
            return glvf_ctx_check_lost(ctx, __func__) ? -ENODEV : -EIO;
    return 0;
}

/* ---- colour ------------------------------------------------------------- */

typedef struct colour_xform {
    float m[9]; /* column-major */
    float off[3];
    float ascale;
} colour_xform;

static void set_colour(colour_xform *x, const double M[3][3], const double a[3],
                       const double b[3])
{
    for (int r = 0; r < 3; r++) {
        double o = 0;
        for (int c = 0; c < 3; c++) {
            x->m[c * 3 + r] = (float)(M[r][c] * a[c]);
            o += M[r][c] * b[c];
        }
        x->off[r] = (float)o;
    }
}

static glvf_matrix default_matrix(const glvf_image *img)
{
    return img->width >= 1280 || img->height > 576 ? GLVF_MATRIX_BT709 : GLVF_MATRIX_BT601;
}

static void colour_transform(const glvf_frame *f, const glvf_format_desc *d,
                             const glvf_render_params *p, colour_xform *x)
{
    const glvf_image *img = &f->image;
    int depth = d->depth;
    double cmax = d->plane[0].bytes_per_comp == 2 ? 65535.0 : 255.0;
    double k = cmax / (double)(1 << d->shift); /* fetched value -> stored integer */
    double maxv = (double)((1 << depth) - 1);
    double s = (double)(1 << (depth - 8));
    glvf_range range = p->range ? p->range : img->color.range;
    x->ascale = 0;

    if (d->layout == GLVF_LAYOUT_RGB || d->layout == GLVF_LAYOUT_GRAY) {
        /* RGB and gray: full range unless said otherwise */
        double a = range == GLVF_RANGE_LIMITED ? k / (219.0 * s) : k / maxv;
        double b = range == GLVF_RANGE_LIMITED ? -16.0 / 219.0 : 0.0;
        double av[3] = { a, a, a }, bv[3] = { b, b, b };
        if (d->layout == GLVF_LAYOUT_GRAY) {
            static const double G[3][3] = { { 1, 0, 0 }, { 1, 0, 0 }, { 1, 0, 0 } };
            set_colour(x, G, av, bv);
        } else {
            /* output channel r reads texel channel order[r] */
            double S[3][3] = { { 0 } };
            for (int r = 0; r < 3; r++)
                S[r][d->order[r]] = 1;
            set_colour(x, S, av, bv);
        }
        if (d->alpha)
            x->ascale = 1.0f; /* the shader reads alpha from the texel's .a */
        return;
    }

    glvf_matrix mx = p->matrix ? p->matrix : img->color.matrix;
    if (!mx)
        mx = default_matrix(img);
    if (!range)
        range = GLVF_RANGE_LIMITED;
    double ay, by, ac, bc;
    if (range == GLVF_RANGE_FULL) {
        ay = ac = k / maxv;
        by = 0;
        bc = -(double)(1 << (depth - 1)) / maxv;
    } else {
        ay = k / (219.0 * s);
        by = -16.0 / 219.0;
        ac = k / (224.0 * s);
        bc = -128.0 / 224.0;
    }
    double M[3][3];
    double kr = 0.2126, kb = 0.0722;
    switch (mx) {
    case GLVF_MATRIX_BT601: kr = 0.299, kb = 0.114; break;
    case GLVF_MATRIX_BT2020_NCL: kr = 0.2627, kb = 0.0593; break;
    case GLVF_MATRIX_SMPTE240M: kr = 0.212, kb = 0.087; break;
    default: break;
    }
    if (mx == GLVF_MATRIX_YCGCO) {
        const double Y[3][3] = { { 1, -1, 1 }, { 1, 1, 0 }, { 1, -1, -1 } };
        memcpy(M, Y, sizeof M);
    } else if (mx == GLVF_MATRIX_RGB) {
        /* planes hold G, B, R */
        const double G[3][3] = { { 0, 0, 1 }, { 1, 0, 0 }, { 0, 1, 0 } };
        memcpy(M, G, sizeof M);
        ac = ay;
        bc = by;
    } else {
        double kg = 1.0 - kr - kb;
        const double C[3][3] = { { 1, 0, 2 * (1 - kr) },
                                 { 1, -2 * kb * (1 - kb) / kg, -2 * kr * (1 - kr) / kg },
                                 { 1, 2 * (1 - kb), 0 } };
        memcpy(M, C, sizeof M);
    }
    double av[3] = { ay, ac, ac }, bv[3] = { by, bc, bc };
    set_colour(x, M, av, bv);
    if (d->alpha)
        x->ascale = (float)(k / maxv);
}

/* ---- geometry ----------------------------------------------------------- */

typedef struct affine {
    double a[3][3];
} affine;

static affine mul(const affine *p, const affine *q) /* p after q */
{
    affine r;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++)
                s += p->a[i][k] * q->a[k][j];
            r.a[i][j] = s;
        }
    return r;
}

/* source -> display step: clockwise rotation, then flips, on [0,1]^2 with
 * the origin top-left */
static affine orient(int rotation, bool flip_h, bool flip_v)
{
    affine r = { { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } } };
    switch (((rotation % 360) + 360) % 360) {
    case 90: r = (affine){ { { 0, -1, 1 }, { 1, 0, 0 }, { 0, 0, 1 } } }; break;
    case 180: r = (affine){ { { -1, 0, 1 }, { 0, -1, 1 }, { 0, 0, 1 } } }; break;
    case 270: r = (affine){ { { 0, 1, 0 }, { -1, 0, 1 }, { 0, 0, 1 } } }; break;
    default: break;
    }
    affine fl = { { { flip_h ? -1 : 1, 0, flip_h ? 1 : 0 },
                    { 0, flip_v ? -1 : 1, flip_v ? 1 : 0 },
                    { 0, 0, 1 } } };
    return mul(&fl, &r);
}

static affine invert(const affine *m)
{
    /* 2x2 linear part is a signed permutation: its inverse is its transpose */
    affine r = { { { m->a[0][0], m->a[1][0], 0 }, { m->a[0][1], m->a[1][1], 0 }, { 0, 0, 1 } } };
    for (int i = 0; i < 2; i++)
        r.a[i][2] = -(r.a[i][0] * m->a[0][2] + r.a[i][1] * m->a[1][2]);
    return r;
}

/* ---- state -------------------------------------------------------------- */

typedef struct saved_state {
    GLint program, vao, active, tex[4], viewport[4], scissor[4];
    GLboolean blend, depth, stencil, cull, scissor_test, srgb, discard, mask[4];
    GLfloat clear[4];
} saved_state;

static void state_save(glvf_context *ctx, saved_state *s)
{
    GladGLContext *gl = &ctx->gl;
    gl->GetIntegerv(GL_CURRENT_PROGRAM, &s->program);
    gl->GetIntegerv(GL_VERTEX_ARRAY_BINDING, &s->vao);
    gl->GetIntegerv(GL_ACTIVE_TEXTURE, &s->active);
    for (int i = 0; i < 4; i++) {
        gl->ActiveTexture(GL_TEXTURE0 + (GLenum)i);
        gl->GetIntegerv(GL_TEXTURE_BINDING_2D, &s->tex[i]);
    }
    gl->GetIntegerv(GL_VIEWPORT, s->viewport);
    gl->GetIntegerv(GL_SCISSOR_BOX, s->scissor);
    s->blend = gl->IsEnabled(GL_BLEND);
    s->depth = gl->IsEnabled(GL_DEPTH_TEST);
    s->stencil = gl->IsEnabled(GL_STENCIL_TEST);
    s->cull = gl->IsEnabled(GL_CULL_FACE);
    s->scissor_test = gl->IsEnabled(GL_SCISSOR_TEST);
    s->discard = gl->IsEnabled(GL_RASTERIZER_DISCARD);
    s->srgb = !ctx->caps.is_gles && gl->IsEnabled(GL_FRAMEBUFFER_SRGB);
    gl->GetBooleanv(GL_COLOR_WRITEMASK, s->mask);
    gl->GetFloatv(GL_COLOR_CLEAR_VALUE, s->clear);
}

static void enable(GladGLContext *gl, GLenum cap, GLboolean on)
{
    if (on)
        gl->Enable(cap);
    else
        gl->Disable(cap);
}

static void state_restore(glvf_context *ctx, const saved_state *s)
{
    GladGLContext *gl = &ctx->gl;
    gl->UseProgram((GLuint)s->program);
    gl->BindVertexArray((GLuint)s->vao);
    for (int i = 0; i < 4; i++) {
        gl->ActiveTexture(GL_TEXTURE0 + (GLenum)i);
        gl->BindTexture(GL_TEXTURE_2D, (GLuint)s->tex[i]);
    }
    gl->ActiveTexture((GLenum)s->active);
    gl->Viewport(s->viewport[0], s->viewport[1], s->viewport[2], s->viewport[3]);
    gl->Scissor(s->scissor[0], s->scissor[1], s->scissor[2], s->scissor[3]);
    enable(gl, GL_BLEND, s->blend);
    enable(gl, GL_DEPTH_TEST, s->depth);
    enable(gl, GL_STENCIL_TEST, s->stencil);
    enable(gl, GL_CULL_FACE, s->cull);
    enable(gl, GL_SCISSOR_TEST, s->scissor_test);
    enable(gl, GL_RASTERIZER_DISCARD, s->discard);
    if (!ctx->caps.is_gles)
        enable(gl, GL_FRAMEBUFFER_SRGB, s->srgb);
    gl->ColorMask(s->mask[0], s->mask[1], s->mask[2], s->mask[3]);
    gl->ClearColor(s->clear[0], s->clear[1], s->clear[2], s->clear[3]);
}

/* ---- draw --------------------------------------------------------------- */

static int render_frame(glvf_context *ctx, const glvf_frame *frame,
                        const glvf_render_params *p);

int glvf_render(glvf_context *ctx, const glvf_frame *frame, const glvf_render_params *params)
{
    static const glvf_render_params defaults;
    int r = glvf_ctx_enter(ctx, __func__);
    if (r < 0)
        return r;
    r = render_frame(ctx, frame, params ? params : &defaults);
    /* a graphics reset shows up as GL errors and failed object creation */
    if (r == -EIO && glvf_ctx_check_lost(ctx, __func__))
        r = -ENODEV;
    return r;
}

static int render_frame(glvf_context *ctx, const glvf_frame *frame,
                        const glvf_render_params *p)
{
    if (!frame || frame->magic != FRAME_MAGIC) {
        LOGF_E(ctx, "not a live frame");
        return -EINVAL;
    }
    if (frame->ctx != ctx) {
        LOGF_E(ctx, "frame %p belongs to another glvf context", (const void *)frame);
        return -EINVAL;
    }
    if ((unsigned)p->scaler > GLVF_SCALER_BICUBIC || p->rotation % 90 != 0 ||
        (unsigned)p->tone_map > GLVF_TONE_MAP_MOBIUS ||
        (unsigned)p->gamut_map > GLVF_GAMUT_MAP_DESATURATE ||
        p->target.width < 0 || p->target.height < 0 ||
        (long long)p->target.x + p->target.width > INT_MAX ||
        (long long)p->target.y + p->target.height > INT_MAX) {
        LOGF_E(ctx, "invalid parameters (scaler %d, rotation %d, target %d,%d "
                   "%dx%d, tone_map %d, gamut_map %d)",
              (int)p->scaler, p->rotation, p->target.x, p->target.y, p->target.width,
              p->target.height, (int)p->tone_map, (int)p->gamut_map);
        return -EINVAL;
    }
    GladGLContext *gl = &ctx->gl;
    GLenum status = gl->CheckFramebufferStatus(GL_DRAW_FRAMEBUFFER);
    if (status != GL_FRAMEBUFFER_COMPLETE) {
        GLint fb = 0;
        gl->GetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &fb);
        LOGF_E(ctx, "the draw framebuffer (%d) is not complete (0x%x)", fb, status);
        return -EIO;
    }
    const glvf_image *img = &frame->image;
    if (!renderer_get(ctx))
        return -EIO;
    glvf_colour_plan plan;
    glvf_colour_plan_make(ctx, &ctx->render->colour_log, img, p, &plan);
    const glvf_format_desc *d = glvf_format_desc_get(img->format);
    glvf_program *prog =
        get_program(ctx, variant_index(ctx, d, p->scaler), colour_index(&plan));
    if (!prog)
        return -EIO;

    saved_state st;
    glvf_gl_clear(ctx, "glvf_render");
    state_save(ctx, &st);

    glvf_rect t = p->target;
    if (t.width == 0 || t.height == 0)
        t = (glvf_rect){ st.viewport[0], st.viewport[1], st.viewport[2], st.viewport[3] };
    if (t.width < 0 || t.height < 0 || (long long)t.x + t.width > INT_MAX ||
        (long long)t.y + t.height > INT_MAX) {
        state_restore(ctx, &st);
        LOGF_E(ctx, "the viewport %d,%d %dx%d is out of range", t.x, t.y, t.width,
              t.height);
        return -EINVAL;
    }

    /* display size: sample aspect ratio, then rotation */
    double sar = img->sar.num > 0 && img->sar.den > 0 ? (double)img->sar.num / img->sar.den : 1.0;
    double dw = img->width * sar, dh = img->height;
    int rot_total = ((img->rotation + p->rotation % 360) % 360 + 360) % 360;
    if (rot_total == 90 || rot_total == 270) {
        double tmp = dw;
        dw = dh;
        dh = tmp;
    }
    double x0 = t.x, y0 = t.y, w = t.width, h = t.height;
    if (!p->stretch) {
        double scale = fmin(t.width / dw, t.height / dh);
        w = dw * scale;
        h = dh * scale;
        x0 = t.x + (t.width - w) / 2;
        y0 = t.y + (t.height - h) / 2;
    }
    int vx = (int)lround(x0), vy = (int)lround(y0);
    int vw = (int)lround(x0 + w) - vx, vh = (int)lround(y0 + h) - vy;

    affine fwd_frame = orient(img->rotation, img->flip_h, img->flip_v);
    affine fwd_params = orient(p->rotation, p->flip_h, p->flip_v);
    affine fwd = mul(&fwd_params, &fwd_frame);
    affine inv = invert(&fwd);
    float transform[9];
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            transform[c * 3 + r] = (float)inv.a[r][c];

    colour_xform cx;
    colour_transform(frame, d, p, &cx);

    float csub[2] = { 1, 1 }, coff[2] = { 0, 0 };
    if (d->layout == GLVF_LAYOUT_PLANAR || d->layout == GLVF_LAYOUT_NV) {
        csub[0] = (float)(1 << d->plane[1].sub_x);
        csub[1] = (float)(1 << d->plane[1].sub_y);
    } else if (d->layout == GLVF_LAYOUT_PACKED422) {
        csub[0] = 2;
    }
    glvf_chroma_location loc = p->chroma_location ? p->chroma_location
                                                  : img->color.chroma_location;
    if (csub[0] == 2 && loc == GLVF_CHROMA_CENTER)
        coff[0] = 0.5f;
    if (csub[1] == 2 && loc != GLVF_CHROMA_TOPLEFT)
        coff[1] = 0.5f;

    gl->Disable(GL_BLEND);
    gl->Disable(GL_DEPTH_TEST);
    gl->Disable(GL_STENCIL_TEST);
    gl->Disable(GL_CULL_FACE);
    gl->Disable(GL_RASTERIZER_DISCARD);
    if (!ctx->caps.is_gles)
        gl->Disable(GL_FRAMEBUFFER_SRGB);
    gl->ColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
    if (p->clear_background) {
        gl->Enable(GL_SCISSOR_TEST);
        gl->Scissor(t.x, t.y, t.width, t.height);
        gl->ClearColor(p->background[0], p->background[1], p->background[2],
                       p->background[3]);
        gl->Clear(GL_COLOR_BUFFER_BIT);
    }
    gl->Disable(GL_SCISSOR_TEST);
    gl->Viewport(vx, vy, vw, vh);

    gl->UseProgram(prog->program);
    gl->BindVertexArray(ctx->render->vao);
    for (int i = 0; i < frame->planes; i++) {
        gl->ActiveTexture(GL_TEXTURE0 + (GLenum)i);
        gl->BindTexture(GL_TEXTURE_2D, frame->plane[i].texture);
    }
    gl->UniformMatrix3fv(prog->u_transform, 1, GL_FALSE, transform);
    gl->Uniform2f(prog->u_size, (float)img->width, (float)img->height);
    gl->Uniform2f(prog->u_csub, csub[0], csub[1]);
    gl->Uniform2f(prog->u_coff, coff[0], coff[1]);
    gl->Uniform2i(prog->u_tsize0, frame->plane[0].width, frame->plane[0].height);
    if (frame->planes > 1)
        gl->Uniform2i(prog->u_tsize1, frame->plane[1].width, frame->plane[1].height);
    gl->UniformMatrix3fv(prog->u_m, 1, GL_FALSE, cx.m);
    gl->Uniform3f(prog->u_off, cx.off[0], cx.off[1], cx.off[2]);
    gl->Uniform1f(prog->u_ascale, cx.ascale);
    gl->Uniform1i(prog->u_swap, d->layout == GLVF_LAYOUT_NV && d->order[0] == 1);
    if (plan.path != GLVF_COLOUR_NONE) {
        gl->UniformMatrix3fv(prog->u_gamut, 1, GL_FALSE, plan.gamut);
        gl->Uniform2f(prog->u_lin, plan.lin[0], plan.lin[1]);
        gl->Uniform4f(prog->u_tm, plan.tm[0], plan.tm[1], plan.tm[2], plan.tm[3]);
    }
    if (d->layout == GLVF_LAYOUT_PACKED422) {
        /* which channel of a texel holds Y0, U, Y1, V */
        for (int i = 0; i < 4; i++) {
            float sel[4] = { 0, 0, 0, 0 };
            sel[d->order[i]] = 1;
            gl->Uniform4fv(prog->u_sel[i], 1, sel);
        }
    }
    gl->DrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    GLenum err = gl->GetError();
    state_restore(ctx, &st);
    if (err != GL_NO_ERROR) {
        LOGF_E(ctx, "GL error 0x%x while drawing", err);
        return -EIO;
    }
    return 0;
}
