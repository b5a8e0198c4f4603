/*
 * glvf-bench: drawing frames (render mode, decode --render).
 *
 * Each frame is drawn with glvf_render into the window's back buffer,
 * fitted to the window with the bars cleared, and the buffers are swapped
 * (swap interval 0: no wait for a vertical blank). The window is normally
 * hidden; Mesa (llvmpipe, GLX or EGL, under Xvfb) draws into a hidden
 * window's back buffer, but not every platform gives a hidden window one
 * (Wayland), so a test draw at start checks it: where the drawing does not
 * land, or with --offscreen, frames go to an FBO the frame's size instead
 * and no swap happens (the draw is then only queued when the hook returns;
 * glFinish at the end of each run still waits for it).
 *
 * The naive strategy has no glvf frame: the hook does nothing for it (the
 * modes that draw leave naive out; see options.c).
 */
#include "bench.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <epoxy/gl.h>
#include <stdlib.h>
#include <string.h>

/* Draws a mid-grey 16x16 RGBA picture with the probe context over a magenta
 * background into the draw framebuffer bound now and reads back the centre
 * of `w` x `h`: true when the picture is there. */
static bool test_draw(const bench_env *env, GLuint fbo, int w, int h)
{
    enum { N = 16 };
    static uint8_t grey[N * N * 4];
    memset(grey, 128, sizeof grey);
    glvf_image img = { .format = GLVF_FORMAT_RGBA8, .width = N, .height = N };
    img.planes[0].data = grey;
    img.planes[0].stride = N * 4;
    glvf_frame *f = glvf_upload(env->probe, &img, NULL, NULL);
    if (!f)
        return false;
    glBindFramebuffer(GL_FRAMEBUFFER, fbo);
    glClearColor(1, 0, 1, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    int r = glvf_render(env->probe, f,
                        glvf_render_params(.target = { 0, 0, w, h }, .stretch = true));
    uint8_t px[4] = { 0 };
    /* the default framebuffer reads from the back buffer, drawn into */
    glReadPixels(w / 2, h / 2, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, px);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glvf_frame_unref(&f);
    glvf_context_collect(env->probe);
    while (glGetError() != GL_NO_ERROR) {
    }
    bool near = abs(px[0] - 128) <= 16 && abs(px[1] - 128) <= 16 && abs(px[2] - 128) <= 16;
    if (env->opt->verbose)
        fprintf(stderr, BENCH_NAME ": test draw into %s: glvf_render %d, centre pixel "
                        "%u,%u,%u (want about 128,128,128)\n",
                fbo ? "an FBO" : "the window", r, px[0], px[1], px[2]);
    return r == 0 && near;
}

bool bench_render_fbo_make(bench_render_state *st, int w, int h)
{
    bench_render_finish(st);
    glGenTextures(1, &st->tex);
    glBindTexture(GL_TEXTURE_2D, st->tex);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, NULL);
    glBindTexture(GL_TEXTURE_2D, 0);
    glGenFramebuffers(1, &st->fbo);
    glBindFramebuffer(GL_FRAMEBUFFER, st->fbo);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, st->tex, 0);
    GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    if (status != GL_FRAMEBUFFER_COMPLETE) {
        fprintf(stderr, BENCH_NAME ": a %dx%d RGBA8 FBO is not complete (0x%x)\n", w, h,
                status);
        bench_render_finish(st);
        return false;
    }
    st->fbo_w = w;
    st->fbo_h = h;
    return true;
}

void bench_render_finish(bench_render_state *st)
{
    if (st->fbo)
        glDeleteFramebuffers(1, &st->fbo);
    if (st->tex)
        glDeleteTextures(1, &st->tex);
    st->fbo = st->tex = 0;
    st->fbo_w = st->fbo_h = 0;
}

bool bench_render_init(bench_env *env)
{
    int w = 0, h = 0;
    glfwGetFramebufferSize((GLFWwindow *)env->window, &w, &h);
    if (!env->opt->offscreen) {
        if (w > 0 && h > 0 && test_draw(env, 0, w, h)) {
            env->render_fbo = false;
            env->render_w = w;
            env->render_h = h;
            snprintf(env->render_target, sizeof env->render_target, "window %dx%d", w, h);
            return true;
        }
        fprintf(stderr, BENCH_NAME ": note: drawing into the %s window's framebuffer "
                        "(%dx%d) had no effect; drawing into an FBO the frame's size "
                        "instead, without swaps\n",
                env->opt->visible ? "" : "hidden", w, h);
    }
    bench_render_state st = { 0 };
    bool ok = bench_render_fbo_make(&st, 64, 64) && test_draw(env, st.fbo, 64, 64);
    bench_render_finish(&st);
    if (!ok) {
        fprintf(stderr, BENCH_NAME ": glvf_render draws neither into the window nor into an "
                        "FBO on this context (%s)\n",
                *bench_last_glvf_error() ? bench_last_glvf_error() : "see above");
        return false;
    }
    env->render_fbo = true;
    snprintf(env->render_target, sizeof env->render_target, "fbo (frame size)");
    return true;
}

bool bench_render_hook(const bench_env *env, glvf_frame *frame, void *user)
{
    bench_render_state *st = user;
    if (!frame)
        return true;
    glvf_rect t;
    if (env->render_fbo) {
        int w = glvf_frame_width(frame), h = glvf_frame_height(frame);
        if ((st->fbo_w != w || st->fbo_h != h) && !bench_render_fbo_make(st, w, h))
            return false;
        glBindFramebuffer(GL_DRAW_FRAMEBUFFER, st->fbo);
        t = (glvf_rect){ 0, 0, w, h };
    } else {
        t = (glvf_rect){ 0, 0, env->render_w, env->render_h };
    }
    int r = glvf_render(glvf_frame_context(frame), frame,
                        glvf_render_params(.target = t, .scaler = env->opt->scaler,
                                           .primaries = env->opt->primaries,
                                           .transfer = env->opt->transfer,
                                           .tone_map = env->opt->tone_map,
                                           .clear_background = true,
                                           .background = { 0, 0, 0, 1 }));
    if (env->render_fbo) {
        glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
    } else {
        glfwSwapBuffers((GLFWwindow *)env->window);
        if (env->opt->visible)
            glfwPollEvents();
    }
    return r == 0;
}
