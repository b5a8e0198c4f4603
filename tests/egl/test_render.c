/*
 * glvf_render on real GL (llvmpipe, EGL surfaceless), per context kind:
 *  - geometry: 1:1 placement, rotations by 90-degree steps and flips land
 *    the corner pixels where they belong; sample aspect ratio and aspect fit
 *    leave bars of the background colour; stretch fills the target;
 *  - framebuffer: draws into the host FBO bound for drawing, leaves another
 *    framebuffer untouched, never changes the binding; an incomplete
 *    framebuffer is an error, not a crash;
 *  - state sentinel: every piece of state the header lists is restored;
 *  - shader failure: a broken variant is reported with the driver's log,
 *    nothing leaks, the context stays usable.
 */
#include "check.h"
#include "egl_harness.h"
#include "glvf_testing.h"

#include <epoxy/gl.h>
#include <errno.h>

static harness_ctx *H;
static harness_api API;

static glvf_context *make_ctx(void)
{
    return glvf_context_create(glvf_context_params(
            .get_proc_address = harness_get_proc, .get_proc_user = H,
            .is_current = harness_is_current, .is_current_user = H, .log = check_log,
            .flags = GLVF_CONTEXT_IGNORE_ENV));
}

typedef struct fbo {
    GLuint fb, tex;
    int w, h;
} fbo;

static fbo fbo_make(int w, int h, float r, float g, float b, float a)
{
    fbo f = { .w = w, .h = h };
    glGenTextures(1, &f.tex);
    glBindTexture(GL_TEXTURE_2D, f.tex);
    glTexStorage2D(GL_TEXTURE_2D, 1, GL_RGBA8, w, h);
    glBindTexture(GL_TEXTURE_2D, 0);
    glGenFramebuffers(1, &f.fb);
    glBindFramebuffer(GL_FRAMEBUFFER, f.fb);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, f.tex, 0);
    glViewport(0, 0, w, h);
    glClearColor(r, g, b, a);
    glClear(GL_COLOR_BUFFER_BIT);
    return f;
}

static void fbo_free(fbo *f)
{
    glDeleteFramebuffers(1, &f->fb);
    glDeleteTextures(1, &f->tex);
}

/* RGBA of pixel (x, y) with y counted from the TOP row. */
static void fbo_pixel(const fbo *f, int x, int y, uint8_t out[4])
{
    GLint prev = 0;
    glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &prev);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, f->fb);
    glReadPixels(x, f->h - 1 - y, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, out);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, (GLuint)prev);
}

static bool px_eq(const uint8_t *a, const uint8_t *b, int tol)
{
    for (int i = 0; i < 4; i++)
        if (abs(a[i] - b[i]) > tol)
            return false;
    return true;
}

/* A W x H rgba image: the four corners red, green, blue, white (TL, TR, BL,
 * BR), the rest grey. */
enum { W = 8, H_ = 4 };
static uint8_t corners[H_][W][4];
static const uint8_t RED[4] = { 255, 0, 0, 255 }, GREEN[4] = { 0, 255, 0, 255 },
                     BLUE[4] = { 0, 0, 255, 255 }, WHITE[4] = { 255, 255, 255, 255 };

static glvf_frame *upload_corners(glvf_context *ctx, int rotation, bool fh, bool fv,
                                  glvf_rational sar)
{
    for (int y = 0; y < H_; y++)
        for (int x = 0; x < W; x++)
            memcpy(corners[y][x], (uint8_t[4]){ 128, 128, 128, 255 }, 4);
    memcpy(corners[0][0], RED, 4);
    memcpy(corners[0][W - 1], GREEN, 4);
    memcpy(corners[H_ - 1][0], BLUE, 4);
    memcpy(corners[H_ - 1][W - 1], WHITE, 4);
    glvf_image img = { .format = GLVF_FORMAT_RGBA8, .width = W, .height = H_,
                       .planes = { { corners, W * 4 } }, .rotation = rotation,
                       .flip_h = fh, .flip_v = fv, .sar = sar };
    return glvf_upload(ctx, &img, NULL, NULL);
}

/* Expected display corners (TL, TR, BL, BR) for the source corners after a
 * clockwise rotation then flips. */
static void expected_corners(int rot, bool fh, bool fv, const uint8_t *out[4])
{
    const uint8_t *src[4] = { RED, GREEN, BLUE, WHITE };
    /* index = row*2 + col in a 2x2 grid */
    int map[4] = { 0, 1, 2, 3 };
    for (int r = rot; r > 0; r -= 90) {
        /* clockwise: new TL = old BL, TR = old TL, BL = old BR, BR = old TR */
        int m[4] = { map[2], map[0], map[3], map[1] };
        memcpy(map, m, sizeof m);
    }
    if (fh) {
        int m[4] = { map[1], map[0], map[3], map[2] };
        memcpy(map, m, sizeof m);
    }
    if (fv) {
        int m[4] = { map[2], map[3], map[0], map[1] };
        memcpy(map, m, sizeof m);
    }
    for (int i = 0; i < 4; i++)
        out[i] = src[map[i]];
}

static void test_orientation(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx();
    REQUIRE(ctx, "create");
    static const int rots[] = { 0, 90, 180, 270 };
    int cases = 0;
    for (int ri = 0; ri < 4; ri++) {
        for (int fl = 0; fl < 4; fl++) {
            for (int where = 0; where < 2; where++) {
                /* the frame's own orientation, or the render params' */
                int rot = rots[ri];
                bool fh = fl & 1, fv = fl & 2;
                glvf_frame *f = where == 0 ? upload_corners(ctx, rot, fh, fv, (glvf_rational){ 0 })
                                           : upload_corners(ctx, 0, false, false,
                                                            (glvf_rational){ 0 });
                int dw = rot % 180 ? H_ : W, dh = rot % 180 ? W : H_;
                fbo t = fbo_make(dw, dh, 0, 0, 0, 0);
                int r = where == 0
                                ? glvf_render(ctx, f, NULL)
                                : glvf_render(ctx, f,
                                              glvf_render_params(.rotation = rot, .flip_h = fh,
                                                                 .flip_v = fv));
                CHECK(r == 0, "render %d", r);
                const uint8_t *want[4];
                expected_corners(rot, fh, fv, want);
                uint8_t got[4][4];
                fbo_pixel(&t, 0, 0, got[0]);
                fbo_pixel(&t, dw - 1, 0, got[1]);
                fbo_pixel(&t, 0, dh - 1, got[2]);
                fbo_pixel(&t, dw - 1, dh - 1, got[3]);
                for (int i = 0; i < 4; i++)
                    CHECK(px_eq(got[i], want[i], 0),
                          "rot %d flip_h %d flip_v %d (%s): corner %d is %d,%d,%d, want %d,%d,%d",
                          rot, fh, fv, where ? "params" : "frame", i, got[i][0], got[i][1],
                          got[i][2], want[i][0], want[i][1], want[i][2]);
                cases++;
                fbo_free(&t);
                glvf_frame_unref(&f);
            }
        }
    }
    printf("# %d orientation cases checked pixel-exact at the corners\n", cases);
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

static void test_aspect(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx();
    REQUIRE(ctx, "create");
    /* 8x4 with SAR 1:2 displays as 4x4: in a 16x8 target, a centred 8x8
     * square with 4-pixel bars left and right */
    glvf_frame *f = upload_corners(ctx, 0, false, false, (glvf_rational){ 1, 2 });
    fbo t = fbo_make(16, 8, 1, 0, 1, 1); /* magenta: "untouched" */
    const float bg[4] = { 0, 0, 1, 1 };
    CHECK(glvf_render(ctx, f, glvf_render_params(.clear_background = true,
                                                   .background = { bg[0], bg[1], bg[2], bg[3] })) == 0,
          "render");
    uint8_t p[4];
    static const uint8_t BG[4] = { 0, 0, 255, 255 };
    fbo_pixel(&t, 0, 0, p);
    CHECK(px_eq(p, BG, 0), "left bar has the background colour (%d,%d,%d)", p[0], p[1], p[2]);
    fbo_pixel(&t, 15, 7, p);
    CHECK(px_eq(p, BG, 0), "right bar");
    fbo_pixel(&t, 3, 4, p);
    CHECK(px_eq(p, BG, 0), "bar edge");
    fbo_pixel(&t, 4, 0, p);
    CHECK(px_eq(p, RED, 0), "picture starts at x=4 (%d,%d,%d)", p[0], p[1], p[2]);
    fbo_pixel(&t, 11, 7, p);
    CHECK(px_eq(p, WHITE, 0), "picture ends at x=11 (%d,%d,%d)", p[0], p[1], p[2]);

    /* without clear_background the bars are left alone */
    fbo_free(&t);
    t = fbo_make(16, 8, 1, 0, 1, 1);
    CHECK(glvf_render(ctx, f, NULL) == 0, "render");
    fbo_pixel(&t, 0, 0, p);
    CHECK(px_eq(p, (uint8_t[4]){ 255, 0, 255, 255 }, 0), "bars untouched by default");

    /* stretch fills the target */
    CHECK(glvf_render(ctx, f, glvf_render_params(.stretch = true)) == 0, "render");
    fbo_pixel(&t, 0, 0, p);
    CHECK(px_eq(p, RED, 0), "stretched: red at the top-left");
    fbo_pixel(&t, 15, 7, p);
    CHECK(px_eq(p, WHITE, 0), "stretched: white at the bottom-right");

    /* an explicit target rectangle (GL coordinates: bottom-left origin) */
    fbo_free(&t);
    t = fbo_make(16, 8, 0, 0, 0, 1);
    CHECK(glvf_render(ctx, f, glvf_render_params(.target = { 8, 0, 8, 4 }, .stretch = true)) == 0,
          "render into a sub-rectangle");
    fbo_pixel(&t, 8, 4, p);
    CHECK(px_eq(p, RED, 0), "top-left of the sub-rectangle (%d,%d,%d)", p[0], p[1], p[2]);
    fbo_pixel(&t, 7, 4, p);
    CHECK(px_eq(p, (uint8_t[4]){ 0, 0, 0, 255 }, 0), "outside untouched");
    fbo_free(&t);
    glvf_frame_unref(&f);
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

static void test_framebuffer(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx();
    REQUIRE(ctx, "create");
    glvf_frame *f = upload_corners(ctx, 0, false, false, (glvf_rational){ 0 });
    fbo other = fbo_make(W, H_, 0, 1, 1, 1);
    fbo host = fbo_make(W, H_, 0, 0, 0, 1); /* bound last: the draw framebuffer */
    glBindFramebuffer(GL_READ_FRAMEBUFFER, other.fb);
    CHECK(glvf_render(ctx, f, NULL) == 0, "render");
    GLint draw = 0, read = 0;
    glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &draw);
    glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &read);
    CHECK((GLuint)draw == host.fb && (GLuint)read == other.fb, "bindings unchanged");
    uint8_t p[4];
    fbo_pixel(&host, 0, 0, p);
    CHECK(px_eq(p, RED, 0), "the host FBO got the picture");
    int touched = 0;
    for (int y = 0; y < H_; y++)
        for (int x = 0; x < W; x++) {
            fbo_pixel(&other, x, y, p);
            touched += !px_eq(p, (uint8_t[4]){ 0, 255, 255, 255 }, 0);
        }
    CHECK(touched == 0, "%d pixels of the other framebuffer changed", touched);

    /* framebuffer 0 of a surfaceless context is incomplete: an error */
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    check_log_clear();
    CHECK(glvf_render(ctx, f, NULL) == -EIO, "incomplete framebuffer refused");
    CHECK(check_log_count(GLVF_LOG_ERROR, "not complete") == 1, "logged");
    fbo_free(&host);
    fbo_free(&other);
    glvf_frame_unref(&f);
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

/* A linked do-nothing program for the sentinel state. */
static GLuint sentinel_program(void)
{
    const char *ver = epoxy_is_desktop_gl() ? "#version 330 core\n"
                                            : "#version 300 es\nprecision highp float;\n";
    const char *vs_src[2] = { ver, "void main() { gl_Position = vec4(0.0); }\n" };
    const char *fs_src[2] = { ver, "out vec4 c; void main() { c = vec4(1.0); }\n" };
    GLuint vs = glCreateShader(GL_VERTEX_SHADER), fs = glCreateShader(GL_FRAGMENT_SHADER);
    glShaderSource(vs, 2, vs_src, NULL);
    glShaderSource(fs, 2, fs_src, NULL);
    glCompileShader(vs);
    glCompileShader(fs);
    GLuint p = glCreateProgram();
    glAttachShader(p, vs);
    glAttachShader(p, fs);
    glLinkProgram(p);
    glDeleteShader(vs);
    glDeleteShader(fs);
    GLint ok = 0;
    glGetProgramiv(p, GL_LINK_STATUS, &ok);
    return ok ? p : 0;
}

static void test_state_restored(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx();
    REQUIRE(ctx, "create");
    fbo t = fbo_make(64, 32, 0, 0, 0, 1);
    /* sentinel state, none of it at defaults */
    GLuint vao, texs[4], prog = sentinel_program();
    REQUIRE(prog, "sentinel program");
    glGenVertexArrays(1, &vao);
    glGenTextures(4, texs);
    for (int i = 0; i < 4; i++) {
        glActiveTexture(GL_TEXTURE0 + (GLenum)i);
        glBindTexture(GL_TEXTURE_2D, texs[i]);
    }
    glActiveTexture(GL_TEXTURE2);
    glBindVertexArray(vao);
    glEnable(GL_BLEND);
    glEnable(GL_DEPTH_TEST);
    glEnable(GL_STENCIL_TEST);
    glEnable(GL_CULL_FACE);
    glEnable(GL_SCISSOR_TEST);
    glScissor(1, 2, 3, 4);
    glViewport(5, 6, 50, 20);
    glColorMask(GL_TRUE, GL_FALSE, GL_TRUE, GL_FALSE);
    glClearColor(0.25f, 0.5f, 0.75f, 1.0f);
    GLint unpack_before = 0, align_before = 0;
    glPixelStorei(GL_UNPACK_ALIGNMENT, 2);
    glGetIntegerv(GL_UNPACK_ALIGNMENT, &align_before);
    glGetIntegerv(GL_PIXEL_UNPACK_BUFFER_BINDING, &unpack_before);

    glvf_frame *f = upload_corners(ctx, 90, true, false, (glvf_rational){ 3, 2 });
    CHECK(f, "upload");
    /* a bicubic NV12 render too: more textures and another program */
    static uint8_t nv[16 * 16 + 16 * 8];
    glvf_image img = { .format = GLVF_FORMAT_NV12, .width = 16, .height = 16,
                       .planes = { { nv, 16 }, { nv + 256, 16 } } };
    glvf_frame *g = glvf_upload(ctx, &img, NULL, NULL);
    CHECK(g, "upload nv12");
    CHECK(glvf_render(ctx, f, glvf_render_params(.clear_background = true)) == 0, "render");
    CHECK(glvf_render(ctx, g, glvf_render_params(.scaler = GLVF_SCALER_BICUBIC)) == 0,
          "render");

    GLint v = 0, vp[4], sc[4];
    GLboolean mask[4];
    GLfloat cc[4];
    glGetIntegerv(GL_CURRENT_PROGRAM, &v);
    CHECK(v == 0, "program %d (none was current)", v);
    glUseProgram(prog);
    CHECK(glvf_render(ctx, f, NULL) == 0, "render with a program current");
    glGetIntegerv(GL_CURRENT_PROGRAM, &v);
    CHECK((GLuint)v == prog, "program restored");
    glGetIntegerv(GL_VERTEX_ARRAY_BINDING, &v);
    CHECK((GLuint)v == vao, "VAO restored");
    glGetIntegerv(GL_ACTIVE_TEXTURE, &v);
    CHECK(v == GL_TEXTURE2, "active texture restored");
    for (int i = 0; i < 4; i++) {
        glActiveTexture(GL_TEXTURE0 + (GLenum)i);
        glGetIntegerv(GL_TEXTURE_BINDING_2D, &v);
        CHECK((GLuint)v == texs[i], "unit %d binding restored", i);
    }
    glActiveTexture(GL_TEXTURE2);
    CHECK(glIsEnabled(GL_BLEND) && glIsEnabled(GL_DEPTH_TEST) && glIsEnabled(GL_STENCIL_TEST) &&
              glIsEnabled(GL_CULL_FACE) && glIsEnabled(GL_SCISSOR_TEST),
          "capabilities restored");
    CHECK(!glIsEnabled(GL_RASTERIZER_DISCARD), "discard still off");
    glGetIntegerv(GL_SCISSOR_BOX, sc);
    CHECK(sc[0] == 1 && sc[1] == 2 && sc[2] == 3 && sc[3] == 4, "scissor box restored");
    glGetIntegerv(GL_VIEWPORT, vp);
    CHECK(vp[0] == 5 && vp[1] == 6 && vp[2] == 50 && vp[3] == 20, "viewport restored");
    glGetBooleanv(GL_COLOR_WRITEMASK, mask);
    CHECK(mask[0] && !mask[1] && mask[2] && !mask[3], "colour mask restored");
    glGetFloatv(GL_COLOR_CLEAR_VALUE, cc);
    CHECK(cc[0] == 0.25f && cc[1] == 0.5f && cc[2] == 0.75f && cc[3] == 1.0f,
          "clear colour restored");
    GLint a = 0, u = 0;
    glGetIntegerv(GL_UNPACK_ALIGNMENT, &a);
    glGetIntegerv(GL_PIXEL_UNPACK_BUFFER_BINDING, &u);
    CHECK(a == align_before && u == unpack_before, "upload left the unpack state alone");
    if (epoxy_is_desktop_gl()) {
        glEnable(GL_FRAMEBUFFER_SRGB);
        CHECK(glvf_render(ctx, f, NULL) == 0, "render with sRGB on");
        CHECK(glIsEnabled(GL_FRAMEBUFFER_SRGB), "GL_FRAMEBUFFER_SRGB restored");
        glDisable(GL_FRAMEBUFFER_SRGB);
    }
    CHECK(glGetError() == GL_NO_ERROR, "no GL error left behind");

    glUseProgram(0);
    glBindVertexArray(0);
    glDeleteProgram(prog);
    glDeleteVertexArrays(1, &vao);
    glDeleteTextures(4, texs);
    glDisable(GL_BLEND);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_STENCIL_TEST);
    glDisable(GL_CULL_FACE);
    glDisable(GL_SCISSOR_TEST);
    glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
    glActiveTexture(GL_TEXTURE0);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    fbo_free(&t);
    glvf_frame_unref(&f);
    glvf_frame_unref(&g);
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

static void test_shader_failure(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx();
    REQUIRE(ctx, "create");
    fbo t = fbo_make(8, 4, 0, 0, 0, 1);
    glvf_frame *f = upload_corners(ctx, 0, false, false, (glvf_rational){ 0 });
    glvf_testing_break_shaders("\nthis is not GLSL;\n");
    check_log_clear();
    CHECK(glvf_render(ctx, f, NULL) == -EIO, "a broken shader fails the render");
    CHECK(check_log_count(GLVF_LOG_ERROR, "compiling the fragment shader") == 1,
          "reported once, with the driver's log");
    CHECK(glvf_render(ctx, f, NULL) == -EIO, "and again, quietly");
    CHECK(check_log_count(GLVF_LOG_ERROR, "compiling") == 1, "not reported twice");
    glvf_testing_break_shaders(NULL);
    glvf_stats s;
    glvf_context_get_stats(ctx, &s);
    CHECK(s.objects[GLVF_OBJECT_PROGRAM].live == 0 && s.objects[GLVF_OBJECT_SHADER].live == 0,
          "no program or shader left");
    /* other variants still build: the context stays usable */
    static uint8_t gray[16];
    glvf_image img = { .format = GLVF_FORMAT_GRAY8, .width = 4, .height = 4,
                       .planes = { { gray, 4 } } };
    glvf_frame *g = glvf_upload(ctx, &img, NULL, NULL);
    CHECK(glvf_render(ctx, g, NULL) == 0, "another format renders");
    glvf_context_get_stats(ctx, &s);
    CHECK(s.objects[GLVF_OBJECT_PROGRAM].live == 1, "one program");
    glvf_frame_unref(&g);
    glvf_frame_unref(&f);
    fbo_free(&t);
    CHECK(glvf_context_destroy(&ctx), "destroy");
    CHECK(check_log_count(GLVF_LOG_ERROR, "internal") == 0, "tracker balanced at destroy");
}

/* an error the application left pending is not blamed on glvf: the draw
 * works, the error is named as discarded, once */
static void test_host_error(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx();
    REQUIRE(ctx, "create");
    fbo t = fbo_make(8, 4, 0, 0, 0, 1);
    glvf_frame *f = upload_corners(ctx, 0, false, false, (glvf_rational){ 0 });
    check_log_clear();
    glEnable(0x7fff); /* GL_INVALID_ENUM, left pending */
    CHECK(glvf_render(ctx, f, NULL) == 0, "the draw works");
    CHECK(check_log_count(GLVF_LOG_WARN, "glvf_render: discarded GL error 0x500") == 1,
          "the application's error is logged as discarded");
    CHECK(glGetError() == GL_NO_ERROR, "nothing left pending");
    CHECK(glvf_render(ctx, f, NULL) == 0 && check_log_count(GLVF_LOG_WARN, "discarded") == 1,
          "no error, no line");
    glvf_frame_unref(&f);
    fbo_free(&t);
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

static void test_bad_calls(void *arg)
{
    (void)arg;
    glvf_context *a = make_ctx(), *b = make_ctx();
    REQUIRE(a && b, "create");
    fbo t = fbo_make(8, 4, 0, 0, 0, 1);
    glvf_frame *f = upload_corners(a, 0, false, false, (glvf_rational){ 0 });
    check_log_clear();
    CHECK(glvf_render(b, f, NULL) == -EINVAL, "a frame of another context is refused");
    CHECK(check_log_count(GLVF_LOG_ERROR, "another glvf context") == 1, "logged");
    CHECK(glvf_render(a, NULL, NULL) == -EINVAL, "NULL frame");
    CHECK(glvf_render(a, f, glvf_render_params(.rotation = 45)) == -EINVAL, "rotation 45");
    CHECK(glvf_render(a, f, glvf_render_params(.scaler = 7)) == -EINVAL, "bad scaler");
    CHECK(glvf_render(NULL, f, NULL) == -EINVAL, "NULL context");
    CHECK(glvf_render_prepare(a, GLVF_FORMAT_P010) == 0, "prepare");
    CHECK(glvf_render_prepare(a, 999) == -EINVAL, "prepare: bad format");
    glvf_frame_unref(&f);
    fbo_free(&t);
    CHECK(glvf_context_destroy(&a) && glvf_context_destroy(&b), "destroy");
}

int main(int argc, char **argv)
{
    int status;
    H = harness_test_start(argc, argv, &API, &status);
    if (!H)
        return status;
    RUN(test_orientation, NULL);
    RUN(test_aspect, NULL);
    RUN(test_framebuffer, NULL);
    RUN(test_state_restored, NULL);
    RUN(test_shader_failure, NULL);
    RUN(test_host_error, NULL);
    RUN(test_bad_calls, NULL);
    harness_ctx_destroy(H);
    check_log_clear();
    return check_finish();
}
