/*
 * glvf-player --output area --benchmark: the untimed loop (see the
 * benchmark paragraph at the head of player_area.c).
 */
#include "player_area.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- benchmark ----------------------------------------------------------------- */

static bool read_u64_file(const char *path, unsigned long long *out, bool schedstat)
{
    gchar *s = NULL;
    if (!g_file_get_contents(path, &s, NULL, NULL))
        return false;
    bool ok = false;
    if (schedstat) {
        ok = sscanf(s, "%llu", out) == 1;
    } else { /* stat: fields 14 and 15 (utime, stime) after the ")" of comm */
        const char *r = strrchr(s, ')');
        unsigned long long ut = 0, st = 0;
        if (r && sscanf(r + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                        &st) == 2) {
            *out = (ut + st) * (1000000000ull / (unsigned long long)sysconf(_SC_CLK_TCK));
            ok = true;
        }
    }
    g_free(s);
    return ok;
}

/* CPU time of this process's threads by group: the main thread, the
 * decoder (threads named glvf-decode: the opening thread's name is
 * inherited by the decoding thread and libavcodec's), llvmpipe's
 * rasteriser threads, the rest (GTK, GLib). */
static bool cpu_times_take(cpu_times *t)
{
    memset(t, 0, sizeof *t);
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return false;
    long pid = (long)getpid();
    struct dirent *e;
    bool any = false;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[96];
        gchar *comm = NULL;
        g_snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        if (!g_file_get_contents(path, &comm, NULL, NULL))
            continue;
        g_strstrip(comm);
        unsigned long long ns = 0;
        g_snprintf(path, sizeof path, "/proc/self/task/%s/schedstat", e->d_name);
        if (!read_u64_file(path, &ns, true)) {
            g_snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
            if (!read_u64_file(path, &ns, false)) {
                g_free(comm);
                continue;
            }
        }
        double ms = (double)ns / 1e6;
        if (atol(e->d_name) == pid)
            t->main_ms += ms;
        else if (g_str_has_prefix(comm, "glvf-decode"))
            t->decode_ms += ms;
        else if (g_str_has_prefix(comm, "llvmpipe"))
            t->raster_ms += ms;
        else
            t->other_ms += ms;
        any = true;
        g_free(comm);
    }
    closedir(d);
    return any;
}

static bool bench_fbo_ensure(area_player *p)
{
    int scale = gtk_widget_get_scale_factor(GTK_WIDGET(p->area));
    int w = MAX(1, gtk_widget_get_width(GTK_WIDGET(p->area)) * scale);
    int h = MAX(1, gtk_widget_get_height(GTK_WIDGET(p->area)) * scale);
    if (p->bench.fbo && w == p->bench.w && h == p->bench.h)
        return true;
    /* the old ones go through glvf's deferred queue, like any GL object */
    if (p->bench.fbo)
        glvf_context_defer_delete(p->ctx, GLVF_OBJECT_FRAMEBUFFER, p->bench.fbo);
    if (p->bench.tex)
        glvf_context_defer_delete(p->ctx, GLVF_OBJECT_TEXTURE, p->bench.tex);
    p->bench.fbo = p->bench.tex = 0;
    GLint prev_fb = 0, prev_tex = 0;
    glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &prev_fb);
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &prev_tex);
    glGenTextures(1, &p->bench.tex);
    glBindTexture(GL_TEXTURE_2D, p->bench.tex);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, NULL);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glGenFramebuffers(1, &p->bench.fbo);
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, p->bench.fbo);
    glFramebufferTexture2D(GL_DRAW_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D,
                           p->bench.tex, 0);
    GLenum st = glCheckFramebufferStatus(GL_DRAW_FRAMEBUFFER);
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, (GLuint)prev_fb);
    glBindTexture(GL_TEXTURE_2D, (GLuint)prev_tex);
    p->bench.w = w;
    p->bench.h = h;
    if (st != GL_FRAMEBUFFER_COMPLETE) {
        player_fail(&p->base, "benchmark: offscreen framebuffer incomplete (0x%x)", st);
        return false;
    }
    return true;
}

static void bench_display(area_player *p, bool force)
{
    if (!p->bench.latest || !p->bench.latest_new)
        return;
    gint64 now = g_get_monotonic_time();
    if (!force && now - p->bench.last_display < BENCH_DISPLAY_INTERVAL_US)
        return;
    glvf_video_area_push_frame(p->area, p->bench.latest);
    p->bench.latest_new = false;
    p->bench.last_display = now;
}

static void bench_finish(area_player *p)
{
    if (p->bench.done)
        return;
    p->bench.done = true;
    p->bench.t_end = g_get_monotonic_time();
    p->bench.cpu_ok = p->bench.cpu_ok && cpu_times_take(&p->bench.cpu1);
    snapshot_stats(p);
    if (p->bench.latest) {
        /* show the last frame, then finish once it is rendered (captured) */
        p->bench.latest_new = true;
        bench_display(p, true);
        finish_after_render(p, false);
    } else {
        finish(p);
    }
}

static gboolean bench_step(gpointer data)
{
    area_player *p = data;
    if (!p->dec || p->base.error || p->bench.done) {
        p->bench.idle_id = 0;
        return G_SOURCE_REMOVE;
    }
    AVFrame *f = NULL;
    gint64 t0 = g_get_monotonic_time();
    int r = glvf_ffmpeg_decoder_next(p->dec, &f, BENCH_WAIT_MS);
    gint64 t1 = g_get_monotonic_time();
    if (r == -EAGAIN) {
        if (p->bench.started)
            p->bench.wait_us += t1 - t0;
        return G_SOURCE_CONTINUE;
    }
    if (r != 0) {
        p->bench.idle_id = 0;
        if (r == GLVF_FFMPEG_EOF) {
            p->eos = true;
            bench_finish(p);
        } else {
            set_decoder_error(p, r);
        }
        return G_SOURCE_REMOVE;
    }
    if (!p->bench.started) {
        /* the clock starts with the first decoded frame (opening and the
         * decoder's start-up latency are not counted) */
        p->bench.started = true;
        p->bench.t_start = t1;
        p->bench.cpu_ok = cpu_times_take(&p->bench.cpu0);
    } else {
        p->bench.wait_us += t1 - t0;
    }
    int64_t t_us = frame_time_us(p, f);
    gtk_gl_area_make_current(GTK_GL_AREA(p->area));
    if (!bench_fbo_ensure(p)) {
        glvf_ffmpeg_decoder_release(p->dec, &f);
        p->bench.idle_id = 0;
        return G_SOURCE_REMOVE;
    }
    gint64 t2 = g_get_monotonic_time();
    int err = 0;
    glvf_frame *gf = glvf_ffmpeg_upload(p->ctx, f, NULL, &err);
    gint64 t3 = g_get_monotonic_time();
    glvf_ffmpeg_decoder_release(p->dec, &f);
    if (!gf) {
        char buf[128];
        p->upload_failures++;
        player_fail(&p->base, "cannot upload a frame: %s", glvf_ffmpeg_strerror(err, buf, sizeof buf));
        p->bench.idle_id = 0;
        return G_SOURCE_REMOVE;
    }
    GLint prev_fb = 0;
    glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &prev_fb);
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, p->bench.fbo);
    int rr = glvf_render(p->ctx, gf,
                         glvf_render_params(.target = { 0, 0, p->bench.w, p->bench.h },
                                            .clear_background = true,
                                            .background = { 0, 0, 0, 1 }));
    glFinish();
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, (GLuint)prev_fb);
    glvf_context_collect(p->ctx);
    gint64 t4 = g_get_monotonic_time();
    if (rr < 0) {
        glvf_frame_unref(&gf);
        player_fail(&p->base, "glvf_render failed (%s)", g_strerror(-rr));
        p->bench.idle_id = 0;
        return G_SOURCE_REMOVE;
    }
    p->bench.upload_us += t3 - t2;
    p->bench.render_us += t4 - t3;
    p->bench.frames++;
    glvf_frame_unref(&p->bench.latest);
    p->bench.latest = gf;
    p->bench.latest_new = true;
    p->shown_us = t_us;
    p->position_us = t_us - p->start_us;
    count_presented(p);
    bench_display(p, false);
    if (p->base.opt.frames > 0 && p->bench.frames >= (uint64_t)p->base.opt.frames) {
        p->bench.idle_id = 0;
        bench_finish(p);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

void bench_start(area_player *p)
{
    if (p->bench.idle_id || p->bench.done)
        return;
    /* below the redraw priority: the window keeps being painted */
    p->bench.idle_id = g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, bench_step, p, NULL);
    update_tick(p);
}

void bench_teardown(area_player *p)
{
    glvf_frame_unref(&p->bench.latest);
    if (p->ctx) {
        if (p->bench.fbo)
            glvf_context_defer_delete(p->ctx, GLVF_OBJECT_FRAMEBUFFER, p->bench.fbo);
        if (p->bench.tex)
            glvf_context_defer_delete(p->ctx, GLVF_OBJECT_TEXTURE, p->bench.tex);
    }
    p->bench.fbo = p->bench.tex = 0;
}

void bench_tick(area_player *p)
{
    bench_display(p, false);
}

