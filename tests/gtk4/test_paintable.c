/*
 * GlvfVideoPaintable and GlvfMediaStream under Xvfb (started by
 * tests/harness/xvfb-run.sh), real GL through GDK (GLX or EGL on Mesa; GLES
 * with GDK_DEBUG=gl-gles). What reaches GTK is read back through GTK's own
 * renderer: the widget is snapshotted (GtkWidgetPaintable) and rendered by
 * the window's GskRenderer into a texture that is downloaded.
 *  - pushed pictures: the latest is shown, every item released once;
 *  - a GtkVideo playing a GlvfMediaStream: the right colours at the right
 *    times, play / pause (nothing shown while paused) / seek through
 *    GtkMediaStream's API, the end reached, no frame dropped;
 *  - a texture GTK still holds when the paintable is gone stays valid (its
 *    pixels read back) until GTK drops it; only then does the worker end,
 *    and nothing leaks;
 *  - three paintables in one window, each its own picture;
 *  - one GlvfVideoWorker for four paintables (two fed from threads at
 *    once): one shared thread and glvf context, each its own picture; a
 *    failed upload stays with its paintable; one leaves and another comes;
 *    the thread ends with the worker's last user, nothing leaked;
 *  - unrealize / re-realize: the GL side is let go and made again;
 *  - a missing file and a text file: gtk_media_stream_get_error() with a
 *    clear message, nothing leaked.
 * Media is made with the ffmpeg command.
 */
#include "check.h"
#include "pin_libs.h"
#include "gtk_test.h"

#include <glvf/glvf-gtk4.h>

#include "../../src/gtk4/gtk4-internal.h"

#include <stdlib.h>
#include <unistd.h>

static char *tmpdir;

static void spin(int ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
    while (g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
}

/* The pixel at (fx, fy) (fractions of the widget's size) of what GTK draws
 * for `widget`, rendered by its window's GskRenderer. */
static bool widget_pixel(GtkWidget *widget, double fx, double fy, uint8_t out[4])
{
    int w = gtk_widget_get_width(widget), h = gtk_widget_get_height(widget);
    GtkNative *native = gtk_widget_get_native(widget);
    if (w <= 0 || h <= 0 || !native)
        return false;
    GdkPaintable *wp = gtk_widget_paintable_new(widget);
    GtkSnapshot *s = gtk_snapshot_new();
    gdk_paintable_snapshot(wp, s, w, h);
    GskRenderNode *node = gtk_snapshot_free_to_node(s);
    g_object_unref(wp);
    if (!node)
        return false;
    /* GL on the main thread outside a frame clock's paint: take the turn a
     * software renderer needs (see glvf-video-paintable.c) */
    glvf_gtk4_software_gl_lock(TRUE);
    GdkTexture *t = gsk_renderer_render_texture(gtk_native_get_renderer(native), node,
                                                &GRAPHENE_RECT_INIT(0, 0, (float)w, (float)h));
    gsk_render_node_unref(node);
    if (!t) {
        glvf_gtk4_software_gl_lock(FALSE);
        return false;
    }
    int tw = gdk_texture_get_width(t), th = gdk_texture_get_height(t);
    guchar *px = g_malloc((gsize)tw * (gsize)th * 4);
    gdk_texture_download(t, px, (gsize)tw * 4);
    glvf_gtk4_software_gl_lock(FALSE);
    int x = CLAMP((int)(fx * tw), 0, tw - 1), y = CLAMP((int)(fy * th), 0, th - 1);
    guchar *c = px + ((gsize)y * (gsize)tw + (gsize)x) * 4;
    out[0] = c[2]; /* downloads are B,G,R,A in memory */
    out[1] = c[1];
    out[2] = c[0];
    out[3] = c[3];
    g_free(px);
    g_object_unref(t);
    return true;
}

static bool near(const uint8_t *a, int r, int g, int b, int tol)
{
    return abs(a[0] - r) <= tol && abs(a[1] - g) <= tol && abs(a[2] - b) <= tol;
}

typedef struct colour_wait {
    GtkWidget *widget;
    double fx, fy;
    int rgb[3];
    int tol;
    uint8_t seen[4];
} colour_wait;

static gboolean shows_colour(gpointer p)
{
    colour_wait *cw = p;
    return widget_pixel(cw->widget, cw->fx, cw->fy, cw->seen) &&
           near(cw->seen, cw->rgb[0], cw->rgb[1], cw->rgb[2], cw->tol);
}

static bool wait_colour(GtkWidget *w, double fx, double fy, int r, int g, int b, int tol,
                        uint8_t seen[4])
{
    colour_wait cw = { w, fx, fy, { r, g, b }, tol, { 0 } };
    bool ok = wait_until(shows_colour, &cw, 8000);
    memcpy(seen, cw.seen, 4);
    return ok;
}

static gboolean workers_done(gpointer p)
{
    (void)p;
    GlvfGtk4Totals t;
    glvf_gtk4_get_totals(&t);
    return t.workers_running == 0;
}

/* ---- pushed pictures --------------------------------------------------------- */

typedef struct solid {
    uint8_t rgba[4];
    int w, h;
    int *released;
} solid;

static glvf_frame *upload_solid(glvf_context *ctx, gpointer data)
{
    solid *s = data;
    uint8_t *px = g_malloc((gsize)s->w * (gsize)s->h * 4);
    for (int i = 0; i < s->w * s->h; i++)
        memcpy(px + i * 4, s->rgba, 4);
    /* the top half keeps the colour, the bottom row is white: orientation */
    for (int x = 0; x < s->w; x++)
        memset(px + ((gsize)(s->h - 1) * (gsize)s->w + (gsize)x) * 4, 255, 4);
    glvf_image img = { .format = GLVF_FORMAT_RGBA8, .width = s->w, .height = s->h,
                       .planes = { { px, s->w * 4 } } };
    glvf_frame *f = glvf_upload(ctx, &img, NULL, NULL);
    g_free(px);
    return f;
}

static void release_solid(gpointer data)
{
    solid *s = data;
    if (s->released)
        g_atomic_int_inc(s->released);
    g_free(s);
}

static void push_solid(GlvfVideoPaintable *p, int r, int g, int b, int w, int h, int *released)
{
    solid *s = g_new0(solid, 1);
    s->rgba[0] = (uint8_t)r;
    s->rgba[1] = (uint8_t)g;
    s->rgba[2] = (uint8_t)b;
    s->rgba[3] = 255;
    s->w = w;
    s->h = h;
    s->released = released;
    glvf_video_paintable_push(p, upload_solid, s, release_solid);
}

typedef struct pusher {
    GlvfVideoPaintable *p;
    int pushed, released;
} pusher;

static gpointer push_thread(gpointer data)
{
    pusher *ps = data;
    for (int i = 0; i < 200; i++) {
        push_solid(ps->p, i, 255 - i, 7, 64, 48, &ps->released);
        g_atomic_int_inc(&ps->pushed);
        if (i % 20 == 0)
            g_usleep(2000);
    }
    push_solid(ps->p, 10, 20, 250, 64, 48, &ps->released);
    g_atomic_int_inc(&ps->pushed);
    return NULL;
}

static gboolean all_released(gpointer p)
{
    pusher *ps = p;
    return g_atomic_int_get(&ps->released) == g_atomic_int_get(&ps->pushed);
}

static void test_push(void *arg)
{
    (void)arg;
    GlvfVideoPaintable *p = glvf_video_paintable_new(NULL);
    glvf_video_paintable_set_log(p, check_log, NULL);
    GtkWidget *pic = gtk_picture_new_for_paintable(GDK_PAINTABLE(p));
    GtkWidget *win = new_window(pic, 320, 240);
    pusher ps = { p, 0, 0 };
    GThread *t = g_thread_new("pusher", push_thread, &ps);
    while (g_atomic_int_get(&ps.pushed) < 201)
        g_main_context_iteration(NULL, FALSE);
    g_thread_join(t);
    uint8_t px[4];
    bool ok = wait_colour(pic, 0.5, 0.3, 10, 20, 250, 2, px);
    CHECK(ok, "the latest picture reaches GTK (%d,%d,%d)", px[0], px[1], px[2]);
    /* the picture's last row is white: GTK shows it at the bottom */
    widget_pixel(pic, 0.5, 0.995, px);
    CHECK(near(px, 255, 255, 255, 8), "orientation: the last row at the bottom (%d,%d,%d)",
          px[0], px[1], px[2]);
    CHECK(wait_until(all_released, &ps, 5000), "every item released (%d of %d)", ps.released,
          ps.pushed);
    GlvfVideoPaintableStats st;
    glvf_video_paintable_get_stats(p, &st);
    printf("# pushed %d: converted %llu, shown %llu, replaced %llu, failures %llu; %s, %s %d.%d,"
           " upload %s; texture %dx%d\n",
           ps.pushed, (unsigned long long)st.frames_converted,
           (unsigned long long)st.frames_shown, (unsigned long long)st.frames_replaced,
           (unsigned long long)st.upload_failures, st.renderer, st.gl_es ? "GLES" : "GL",
           st.gl_major, st.gl_minor, st.upload_strategy, st.texture_width, st.texture_height);
    CHECK(st.upload_failures == 0, "no failure");
    CHECK(st.frames_shown >= 1 && st.frames_shown <= st.frames_converted, "shown <= converted");
#if GTK_CHECK_VERSION(4, 12, 0)
    /* GdkGLTextureBuilder: every texture goes with its conversion's fence */
    CHECK(st.frames_fenced == st.frames_shown, "every texture fenced (%llu of %llu)",
          (unsigned long long)st.frames_fenced, (unsigned long long)st.frames_shown);
#else
    CHECK(st.frames_fenced == 0, "GTK 4.8 takes no fence: the worker waits");
#endif
    CHECK(gdk_paintable_get_intrinsic_width(GDK_PAINTABLE(p)) == 64 &&
              gdk_paintable_get_intrinsic_height(GDK_PAINTABLE(p)) == 48,
          "intrinsic size is the picture's");
    gtk_window_destroy(GTK_WINDOW(win));
    g_object_unref(p);
    CHECK(wait_until(workers_done, NULL, 5000), "the worker ended");
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "no error logged");
    CHECK(check_log_count(GLVF_LOG_WARN, "leak report") == 0, "no leak report");
}

/* ---- texture lifetime -------------------------------------------------------- */

static void test_texture_outlives(void *arg)
{
    (void)arg;
    GlvfGtk4Totals t0;
    glvf_gtk4_get_totals(&t0);
    GlvfVideoPaintable *p = glvf_video_paintable_new(NULL);
    glvf_video_paintable_set_log(p, check_log, NULL);
    GtkWidget *pic = gtk_picture_new_for_paintable(GDK_PAINTABLE(p));
    GtkWidget *win = new_window(pic, 160, 120);
    push_solid(p, 0, 200, 100, 32, 24, NULL);
    uint8_t px[4];
    CHECK(wait_colour(pic, 0.5, 0.3, 0, 200, 100, 2, px), "shown (%d,%d,%d)", px[0], px[1],
          px[2]);
    /* GTK's own texture, as a widget would hold it */
    GdkPaintable *held = gdk_paintable_get_current_image(GDK_PAINTABLE(p));
    REQUIRE(held != NULL && GDK_IS_GL_TEXTURE(held), "a GL texture");
    GdkTexture *copy = glvf_video_paintable_get_texture(p);
    CHECK(copy && GDK_IS_MEMORY_TEXTURE(copy) && gdk_texture_get_width(copy) == 32,
          "get_texture: a copy in memory");
    g_clear_object(&copy);
    gtk_window_destroy(GTK_WINDOW(win));
    g_object_unref(p); /* the paintable is gone; the texture is still held */
    spin(200);
    GlvfGtk4Totals t;
    glvf_gtk4_get_totals(&t);
    CHECK(t.workers_running == 1, "the worker waits for the texture (%u running)",
          t.workers_running);
    guchar buf[32 * 24 * 4];
    glvf_gtk4_software_gl_lock(TRUE);
    gdk_texture_download(GDK_TEXTURE(held), buf, 32 * 4);
    glvf_gtk4_software_gl_lock(FALSE);
    CHECK(buf[2] == 0 && buf[1] == 200 && buf[0] == 100, "its pixels are intact (%d,%d,%d)",
          buf[2], buf[1], buf[0]);
    g_object_unref(held);
    CHECK(wait_until(workers_done, NULL, 5000), "released: the worker ends");
    glvf_gtk4_get_totals(&t);
    CHECK(t.leaked_objects == t0.leaked_objects, "nothing leaked");
    CHECK(t.orphaned == t0.orphaned, "no orphan");
    CHECK(check_log_count(GLVF_LOG_WARN, "leak report") == 0, "no leak report");
    CHECK(check_log_count(GLVF_LOG_WARN, "orphan") == 0, "no orphan warning");
}

/* ---- context loss ------------------------------------------------------------------ */

static void test_context_loss(void *arg)
{
    (void)arg;
    GlvfGtk4Totals t0;
    glvf_gtk4_get_totals(&t0);
    GlvfVideoPaintable *p = glvf_video_paintable_new(NULL);
    glvf_video_paintable_set_log(p, check_log, NULL);
    GtkWidget *pic = gtk_picture_new_for_paintable(GDK_PAINTABLE(p));
    GtkWidget *win = new_window(pic, 160, 120);
    push_solid(p, 200, 0, 0, 32, 24, NULL);
    uint8_t px[4];
    CHECK(wait_colour(pic, 0.5, 0.3, 200, 0, 0, 2, px), "before (%d,%d,%d)", px[0], px[1], px[2]);
    /* the worker finds its context lost while GTK shows (holds) its texture */
    glvf_video_paintable_simulate_context_loss(p);
    spin(100);
    push_solid(p, 0, 0, 200, 32, 24, NULL);
    CHECK(wait_colour(pic, 0.5, 0.3, 0, 0, 200, 2, px), "a new context shows the next picture "
                                                        "(%d,%d,%d)",
          px[0], px[1], px[2]);
    GlvfVideoPaintableStats st;
    glvf_video_paintable_get_stats(p, &st);
    printf("# workers started %llu, context losses %llu\n",
           (unsigned long long)st.workers_started, (unsigned long long)st.context_losses);
    CHECK(st.workers_started == 2 && st.context_losses == 1, "recovered once");
    gtk_window_destroy(GTK_WINDOW(win));
    g_object_unref(p);
    CHECK(wait_until(workers_done, NULL, 5000), "both workers ended");
    GlvfGtk4Totals t;
    glvf_gtk4_get_totals(&t);
    CHECK(t.orphaned == t0.orphaned + 1, "the texture GTK held became an orphan");
    CHECK(t.leaked_objects == t0.leaked_objects, "nothing leaked");
    CHECK(check_log_count(GLVF_LOG_WARN, "orphan") >= 1, "its release was an orphan's (no GL)");
    check_log_clear();
}

/* ---- three paintables ------------------------------------------------------------ */

static void test_three(void *arg)
{
    (void)arg;
    static const int colours[3][3] = { { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 } };
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
    GlvfVideoPaintable *ps[3];
    GtkWidget *pics[3];
    for (int i = 0; i < 3; i++) {
        ps[i] = glvf_video_paintable_new(NULL);
        glvf_video_paintable_set_log(ps[i], check_log, NULL);
        pics[i] = gtk_picture_new_for_paintable(GDK_PAINTABLE(ps[i]));
        gtk_widget_set_hexpand(pics[i], TRUE);
        gtk_box_append(GTK_BOX(box), pics[i]);
    }
    GtkWidget *win = new_window(box, 480, 120);
    for (int i = 0; i < 3; i++)
        push_solid(ps[i], colours[i][0], colours[i][1], colours[i][2], 40, 30, NULL);
    for (int i = 0; i < 3; i++) {
        uint8_t px[4];
        CHECK(wait_colour(pics[i], 0.5, 0.3, colours[i][0], colours[i][1], colours[i][2], 2, px),
              "paintable %d shows its own picture (%d,%d,%d)", i, px[0], px[1], px[2]);
    }
    gtk_window_destroy(GTK_WINDOW(win));
    for (int i = 0; i < 3; i++)
        g_object_unref(ps[i]);
    CHECK(wait_until(workers_done, NULL, 5000), "every worker ended");
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "no error logged");
}

/* ---- one GlvfVideoWorker for several paintables -------------------------------- */

static glvf_frame *upload_nothing(glvf_context *ctx, gpointer data)
{
    (void)ctx;
    (void)data;
    return NULL; /* a picture that cannot be uploaded */
}

static gboolean worker_has(gpointer p)
{
    GlvfVideoWorkerStats ws;
    glvf_video_worker_get_stats(GLVF_VIDEO_WORKER(((gpointer *)p)[0]), &ws);
    return ws.paintables == GPOINTER_TO_UINT(((gpointer *)p)[1]);
}

static void test_shared_worker(void *arg)
{
    (void)arg;
    static const int colours[5][3] = {
        { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 }, { 255, 255, 0 }, { 0, 255, 255 }
    };
    GlvfGtk4Totals t0;
    glvf_gtk4_get_totals(&t0);
    GlvfVideoWorker *vw = glvf_video_worker_new(NULL);
    glvf_video_worker_set_log(vw, check_log, NULL);
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
    GlvfVideoPaintable *ps[4];
    GtkWidget *pics[4];
    for (int i = 0; i < 4; i++) {
        ps[i] = glvf_video_paintable_new(NULL);
        glvf_video_paintable_set_log(ps[i], check_log, NULL);
        glvf_video_paintable_set_worker(ps[i], vw);
        pics[i] = gtk_picture_new_for_paintable(GDK_PAINTABLE(ps[i]));
        gtk_widget_set_hexpand(pics[i], TRUE);
        gtk_box_append(GTK_BOX(box), pics[i]);
    }
    CHECK(glvf_video_paintable_get_worker(ps[0]) == vw, "get_worker");
    GtkWidget *win = new_window(box, 480, 120);
    /* two paintables fed from threads at once, two with one picture each */
    pusher pa = { ps[0], 0, 0 }, pb = { ps[1], 0, 0 };
    GThread *ta = g_thread_new("pusher-a", push_thread, &pa);
    GThread *tb = g_thread_new("pusher-b", push_thread, &pb);
    push_solid(ps[2], colours[2][0], colours[2][1], colours[2][2], 40, 30, NULL);
    push_solid(ps[3], colours[3][0], colours[3][1], colours[3][2], 40, 30, NULL);
    while (g_atomic_int_get(&pa.pushed) < 201 || g_atomic_int_get(&pb.pushed) < 201)
        g_main_context_iteration(NULL, FALSE);
    g_thread_join(ta);
    g_thread_join(tb);
    uint8_t px[4];
    /* push_thread's last picture is (10, 20, 250) */
    for (int i = 0; i < 4; i++) {
        int r = i < 2 ? 10 : colours[i][0], g = i < 2 ? 20 : colours[i][1],
            b = i < 2 ? 250 : colours[i][2];
        CHECK(wait_colour(pics[i], 0.5, 0.3, r, g, b, 2, px),
              "paintable %d shows its own picture (%d,%d,%d)", i, px[0], px[1], px[2]);
    }
    CHECK(wait_until(all_released, &pa, 5000) && wait_until(all_released, &pb, 5000),
          "every pushed item released");
    gpointer want4[2] = { vw, GUINT_TO_POINTER(4) };
    CHECK(wait_until(worker_has, want4, 2000), "4 paintables on the worker");
    GlvfVideoWorkerStats ws;
    glvf_video_worker_get_stats(vw, &ws);
    GlvfGtk4Totals t;
    glvf_gtk4_get_totals(&t);
    printf("# shared worker: %u paintables, %llu thread(s), %llu jobs, pool %llu bytes, %s\n",
           ws.paintables, (unsigned long long)ws.threads_started, (unsigned long long)ws.jobs,
           (unsigned long long)ws.pool_bytes, ws.renderer);
    CHECK(ws.threads_started == 1 && ws.running, "one shared thread");
    CHECK(t.contexts_made == t0.contexts_made + 1, "one glvf context for the four (%llu made)",
          (unsigned long long)(t.contexts_made - t0.contexts_made));

    /* a picture that fails in one paintable: the others go on */
    glvf_video_paintable_push(ps[1], upload_nothing, NULL, NULL);
    spin(100);
    push_solid(ps[0], colours[0][0], colours[0][1], colours[0][2], 40, 30, NULL);
    CHECK(wait_colour(pics[0], 0.5, 0.3, colours[0][0], colours[0][1], colours[0][2], 2, px),
          "after another paintable's failure, paintable 0 shows its next picture");
    push_solid(ps[1], colours[1][0], colours[1][1], colours[1][2], 40, 30, NULL);
    CHECK(wait_colour(pics[1], 0.5, 0.3, colours[1][0], colours[1][1], colours[1][2], 2, px),
          "and the failed one its next (%d,%d,%d)", px[0], px[1], px[2]);
    GlvfVideoPaintableStats st;
    glvf_video_paintable_get_stats(ps[1], &st);
    CHECK(st.upload_failures == 1, "the failure is counted where it happened (%llu)",
          (unsigned long long)st.upload_failures);
    glvf_video_paintable_get_stats(ps[0], &st);
    CHECK(st.upload_failures == 0, "and only there");

    /* a lane's own loss (simulated) restarts that paintable's lane only */
    glvf_video_paintable_simulate_context_loss(ps[2]);
    spin(100);
    push_solid(ps[2], colours[4][0], colours[4][1], colours[4][2], 40, 30, NULL);
    CHECK(wait_colour(pics[2], 0.5, 0.3, colours[4][0], colours[4][1], colours[4][2], 2, px),
          "after a lane's loss its next picture is shown (%d,%d,%d)", px[0], px[1], px[2]);
    glvf_video_paintable_get_stats(ps[2], &st);
    CHECK(st.workers_started == 2 && st.context_losses == 1, "its lane restarted once");

    /* streams come and go: paintable 3 leaves, a new one takes its place */
    gtk_box_remove(GTK_BOX(box), pics[3]);
    g_clear_object(&ps[3]);
    gpointer want3[2] = { vw, GUINT_TO_POINTER(3) };
    CHECK(wait_until(worker_has, want3, 5000), "the paintable that left detached");
    ps[3] = glvf_video_paintable_new(NULL);
    glvf_video_paintable_set_log(ps[3], check_log, NULL);
    glvf_video_paintable_set_worker(ps[3], vw);
    pics[3] = gtk_picture_new_for_paintable(GDK_PAINTABLE(ps[3]));
    gtk_widget_set_hexpand(pics[3], TRUE);
    gtk_box_append(GTK_BOX(box), pics[3]);
    push_solid(ps[3], colours[4][0], colours[4][1], colours[4][2], 64, 48, NULL);
    CHECK(wait_colour(pics[3], 0.5, 0.3, colours[4][0], colours[4][1], colours[4][2], 2, px),
          "the newcomer shows its picture (%d,%d,%d)", px[0], px[1], px[2]);
    glvf_video_worker_get_stats(vw, &ws);
    glvf_gtk4_get_totals(&t);
    CHECK(ws.threads_started == 1 && t.contexts_made == t0.contexts_made + 1,
          "still one shared thread and context");

    /* the paintables go; the worker's thread waits for its last user */
    gtk_window_destroy(GTK_WINDOW(win));
    for (int i = 0; i < 4; i++)
        g_clear_object(&ps[i]);
    gpointer want0[2] = { vw, GUINT_TO_POINTER(0) };
    CHECK(wait_until(worker_has, want0, 5000), "every paintable detached");
    glvf_gtk4_get_totals(&t);
    CHECK(t.workers_running == 1, "the shared thread stays while the worker is referenced (%u)",
          t.workers_running);
    g_object_unref(vw);
    CHECK(wait_until(workers_done, NULL, 5000), "then it ends");
    glvf_gtk4_get_totals(&t);
    CHECK(t.leaked_objects == t0.leaked_objects, "nothing leaked");
    CHECK(t.orphaned == t0.orphaned, "no orphan");
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "no error logged");
    CHECK(check_log_count(GLVF_LOG_WARN, "leak report") == 0, "no leak report");
}

/* ---- GlvfMediaStream --------------------------------------------------------------- */

static char *clip_path;

/* red for 1 s, then blue for 1 s, 320x240, 25 fps */
static bool make_clip(void)
{
    clip_path = g_build_filename(tmpdir, "red-blue.mkv", NULL);
    char *cmd = g_strdup_printf(
            "ffmpeg -hide_banner -loglevel error -nostdin -y "
            "-f lavfi -i color=c=red:s=320x240:r=25:d=1 "
            "-f lavfi -i color=c=blue:s=320x240:r=25:d=1 "
            "-filter_complex '[0:v][1:v]concat=n=2:v=1[v]' -map '[v]' "
            "-c:v ffv1 -pix_fmt yuv420p '%s'",
            clip_path);
    int r = system(cmd);
    g_free(cmd);
    return r == 0;
}

static gboolean is_prepared(gpointer ms)
{
    return gtk_media_stream_is_prepared(ms) || gtk_media_stream_get_error(ms);
}

static gboolean is_ended(gpointer ms)
{
    return gtk_media_stream_get_ended(ms) || gtk_media_stream_get_error(ms);
}

static gboolean not_seeking(gpointer ms)
{
    return !gtk_media_stream_is_seeking(ms);
}

typedef struct shown_wait {
    GlvfMediaStream *ms;
    guint64 target;
} shown_wait;

static gboolean has_shown(gpointer p)
{
    shown_wait *sw = p;
    GlvfMediaStreamStats st;
    glvf_media_stream_get_stats(sw->ms, &st);
    return st.frames_shown >= sw->target;
}

static void test_stream_gtkvideo(void *arg)
{
    (void)arg;
    REQUIRE(clip_path, "clip");
    GtkMediaStream *ms = glvf_media_stream_new_for_filename(clip_path);
    GlvfMediaStream *gs = GLVF_MEDIA_STREAM(ms);
    glvf_video_paintable_set_log(glvf_media_stream_get_paintable(gs), check_log, NULL);
    GtkWidget *video = gtk_video_new();
    gtk_video_set_media_stream(GTK_VIDEO(video), ms);
    GtkWidget *win = new_window(video, 320, 240);
    REQUIRE(wait_until(is_prepared, ms, 8000), "prepared");
    REQUIRE(!gtk_media_stream_get_error(ms), "no error: %s",
            gtk_media_stream_get_error(ms)->message);
    CHECK(gtk_media_stream_get_duration(ms) >= 1900000 &&
              gtk_media_stream_get_duration(ms) <= 2100000,
          "duration 2 s (%" G_GINT64_FORMAT ")", gtk_media_stream_get_duration(ms));
    CHECK(gtk_media_stream_is_seekable(ms), "seekable");
    CHECK(!gtk_media_stream_get_playing(ms), "paused until played");
    uint8_t px[4];
    /* the first frame is shown before play; sampled away from GtkVideo's
     * play icon (centre) and controls (bottom) */
    CHECK(wait_colour(video, 0.25, 0.25, 255, 0, 0, 6, px), "first frame red (%d,%d,%d)", px[0],
          px[1], px[2]);
    /* play to the end */
    gint64 t0 = g_get_monotonic_time();
    gtk_media_stream_play(ms);
    CHECK(wait_until(is_ended, ms, 10000), "ended");
    double secs = (g_get_monotonic_time() - t0) / 1e6;
    GlvfMediaStreamStats st;
    glvf_media_stream_get_stats(gs, &st);
    printf("# played in %.2f s: decoded %llu, shown %llu, dropped %llu (late %llu, replaced "
           "%llu); upload %.2f ms, convert %.2f ms; texture %dx%d; %s\n",
           secs, (unsigned long long)st.frames_decoded, (unsigned long long)st.frames_shown,
           (unsigned long long)st.frames_dropped, (unsigned long long)st.paintable.frames_late,
           (unsigned long long)st.paintable.frames_replaced, st.paintable.upload_ms,
           st.paintable.convert_ms, st.paintable.texture_width, st.paintable.texture_height,
           st.paintable.renderer);
    CHECK(secs > 1.7 && secs < 6.0, "played in real time (%.2f s)", secs);
    CHECK(st.frames_decoded == 50, "50 frames decoded (%llu)",
          (unsigned long long)st.frames_decoded);
    /* every frame is shown or dropped as late; how many are late depends on
     * the machine's load (sanitizers, other jobs), so no bound is put on it:
     * the untimed case shows that each one can be shown */
    CHECK(st.frames_shown + st.frames_dropped >= 50 && st.frames_shown >= 2,
          "frames shown (%llu) or dropped (%llu)", (unsigned long long)st.frames_shown,
          (unsigned long long)st.frames_dropped);
    CHECK(wait_colour(video, 0.25, 0.25, 0, 0, 255, 6, px), "last frame blue (%d,%d,%d)", px[0],
          px[1], px[2]);
    CHECK(!gtk_media_stream_get_playing(ms), "paused at the end");

    /* seek while paused: the target frame is shown, seek_success reported */
    gtk_media_stream_seek(ms, 500000);
    CHECK(wait_until(not_seeking, ms, 5000), "seek done");
    CHECK(llabs(gtk_media_stream_get_timestamp(ms) - 500000) <= 40000,
          "timestamp 0.5 s (%" G_GINT64_FORMAT ")", gtk_media_stream_get_timestamp(ms));
    CHECK(wait_colour(video, 0.25, 0.25, 255, 0, 0, 6, px), "red at 0.5 s (%d,%d,%d)", px[0],
          px[1], px[2]);
    gtk_media_stream_seek(ms, 1500000);
    CHECK(wait_until(not_seeking, ms, 5000), "seek done");
    CHECK(wait_colour(video, 0.25, 0.25, 0, 0, 255, 6, px), "blue at 1.5 s (%d,%d,%d)", px[0],
          px[1], px[2]);

    /* play from 0.2 s, pause: nothing is shown while paused */
    gtk_media_stream_seek(ms, 200000);
    wait_until(not_seeking, ms, 5000);
    gtk_media_stream_play(ms);
    glvf_media_stream_get_stats(gs, &st);
    shown_wait sw = { gs, st.frames_shown + 5 };
    CHECK(wait_until(has_shown, &sw, 5000), "playing");
    gtk_media_stream_pause(ms);
    spin(100);
    glvf_media_stream_get_stats(gs, &st);
    guint64 paused_at = st.frames_shown;
    gint64 ts = gtk_media_stream_get_timestamp(ms);
    spin(400);
    glvf_media_stream_get_stats(gs, &st);
    CHECK(st.frames_shown == paused_at, "nothing shown while paused (%llu -> %llu)",
          (unsigned long long)paused_at, (unsigned long long)st.frames_shown);
    CHECK(gtk_media_stream_get_timestamp(ms) == ts, "the position stays");
    CHECK(ts > 200000 && ts < 1000000, "position after 5 frames (%" G_GINT64_FORMAT ")", ts);
    /* step: one frame, still paused */
    glvf_media_stream_step(gs);
    sw.target = paused_at + 1;
    CHECK(wait_until(has_shown, &sw, 5000), "a step shows one frame");
    spin(200);
    glvf_media_stream_get_stats(gs, &st);
    CHECK(st.frames_shown == paused_at + 1, "exactly one (%llu)",
          (unsigned long long)(st.frames_shown - paused_at));
    CHECK(!gtk_media_stream_get_playing(ms), "still paused");
    /* play again at the end: from the start */
    gtk_media_stream_play(ms);
    CHECK(wait_until(is_ended, ms, 10000), "ended again");
    gtk_media_stream_play(ms);
    CHECK(wait_colour(video, 0.25, 0.25, 255, 0, 0, 6, px), "play at the end restarts (%d,%d,%d)",
          px[0], px[1], px[2]);
    gtk_media_stream_pause(ms);

    gtk_window_destroy(GTK_WINDOW(win));
    g_object_unref(ms);
    CHECK(wait_until(workers_done, NULL, 5000), "the worker ended");
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "no error logged");
    CHECK(check_log_count(GLVF_LOG_WARN, "leak report") == 0, "no leak report");
}

static void test_stream_rerealize(void *arg)
{
    (void)arg;
    REQUIRE(clip_path, "clip");
    GtkMediaStream *ms = glvf_media_stream_new_for_filename(clip_path);
    GlvfMediaStream *gs = GLVF_MEDIA_STREAM(ms);
    glvf_video_paintable_set_log(glvf_media_stream_get_paintable(gs), check_log, NULL);
    GtkWidget *video = g_object_ref_sink(gtk_video_new());
    gtk_video_set_media_stream(GTK_VIDEO(video), ms);
    GtkWidget *win = new_window(video, 240, 180);
    uint8_t px[4];
    CHECK(wait_colour(video, 0.25, 0.25, 255, 0, 0, 6, px), "first frame (%d,%d,%d)", px[0],
          px[1], px[2]);
    for (int i = 0; i < 5; i++) {
        gtk_window_set_child(GTK_WINDOW(win), NULL); /* unrealizes: GL let go */
        CHECK(wait_until(workers_done, NULL, 5000), "cycle %d: the worker ended", i);
        gtk_window_set_child(GTK_WINDOW(win), video);
        gtk_media_stream_seek(ms, i % 2 ? 200000 : 1200000);
        CHECK(wait_until(not_seeking, ms, 5000), "cycle %d: seek done", i);
        CHECK(wait_colour(video, 0.25, 0.25, i % 2 ? 255 : 0, 0, i % 2 ? 0 : 255, 6, px),
              "cycle %d: shown again (%d,%d,%d)", i, px[0], px[1], px[2]);
    }
    GlvfMediaStreamStats st;
    glvf_media_stream_get_stats(gs, &st);
    printf("# workers started %llu\n", (unsigned long long)st.paintable.workers_started);
    CHECK(st.paintable.workers_started >= 6, "a new GL context per realization (%llu)",
          (unsigned long long)st.paintable.workers_started);
    gtk_window_destroy(GTK_WINDOW(win));
    g_object_unref(video);
    g_object_unref(ms);
    CHECK(wait_until(workers_done, NULL, 5000), "the worker ended");
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "no error logged");
    CHECK(check_log_count(GLVF_LOG_WARN, "leak report") == 0, "no leak report");
}

static void test_stream_untimed(void *arg)
{
    (void)arg;
    REQUIRE(clip_path, "clip");
    GtkMediaStream *ms = glvf_media_stream_new_for_filename(clip_path);
    GlvfMediaStream *gs = GLVF_MEDIA_STREAM(ms);
    glvf_video_paintable_set_log(glvf_media_stream_get_paintable(gs), check_log, NULL);
    GtkWidget *pic = gtk_picture_new_for_paintable(GDK_PAINTABLE(ms));
    GtkWidget *win = new_window(pic, 320, 240);
    REQUIRE(wait_until(is_prepared, ms, 8000), "prepared");
    GlvfMediaStreamStats st0, st;
    glvf_media_stream_get_stats(gs, &st0);
    glvf_media_stream_set_untimed(gs, TRUE);
    gtk_media_stream_play(ms);
    CHECK(wait_until(is_ended, ms, 20000), "ended");
    glvf_media_stream_get_stats(gs, &st);
    guint64 painted = st.paintable.frames_painted - st0.paintable.frames_painted;
    printf("# untimed: shown %llu, painted %llu, dropped %llu\n",
           (unsigned long long)(st.frames_shown - st0.frames_shown), (unsigned long long)painted,
           (unsigned long long)(st.frames_dropped - st0.frames_dropped));
    CHECK(st.frames_dropped == st0.frames_dropped, "none dropped");
    /* the first frame may have been shown (and painted) before play */
    CHECK(st.frames_shown - st0.frames_shown + st0.frames_shown == 50, "every frame shown (%llu)",
          (unsigned long long)st.frames_shown);
    /* GTK paints what is current at its next frame; the stream waits for
     * that paint (250 ms at most) before the next picture */
    CHECK(painted + st0.paintable.frames_painted >= 45, "and painted by GTK (%llu)",
          (unsigned long long)painted);
    gtk_window_destroy(GTK_WINDOW(win));
    g_object_unref(ms);
    CHECK(wait_until(workers_done, NULL, 5000), "the worker ended");
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "no error logged");
}

static void test_stream_errors(void *arg)
{
    (void)arg;
    GlvfGtk4Totals t0;
    glvf_gtk4_get_totals(&t0);
    char *text = g_build_filename(tmpdir, "notes.txt", NULL);
    g_file_set_contents(text, "not a video\n", -1, NULL);
    char *missing = g_build_filename(tmpdir, "missing.mkv", NULL);
    struct {
        const char *path, *want;
    } cases[] = { { missing, "No such file" }, { text, "Invalid data" } };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        GtkMediaStream *ms = glvf_media_stream_new_for_filename(cases[i].path);
        GtkWidget *video = gtk_video_new();
        gtk_video_set_media_stream(GTK_VIDEO(video), ms);
        GtkWidget *win = new_window(video, 160, 120);
        gtk_media_stream_play(ms);
        CHECK(wait_until(is_prepared, ms, 8000), "%s: answered", cases[i].path);
        const GError *e = gtk_media_stream_get_error(ms);
        printf("# %s: %s\n", cases[i].path, e ? e->message : "(no error)");
        CHECK(e && strstr(e->message, cases[i].want) && strstr(e->message, cases[i].path),
              "a clear error naming the file and '%s'", cases[i].want);
        gtk_window_destroy(GTK_WINDOW(win));
        g_object_unref(ms);
    }
    CHECK(wait_until(workers_done, NULL, 5000), "the workers ended");
    GlvfGtk4Totals t;
    glvf_gtk4_get_totals(&t);
    CHECK(t.leaked_objects == t0.leaked_objects, "leaked_objects=0");
    unlink(text);
    g_free(text);
    g_free(missing);
}

int main(void)
{
    check_log_echo = g_getenv("GLVF_TEST_VERBOSE") != NULL;
    glvf_test_gtk_init();
    tmpdir = g_dir_make_tmp("glvf-paintable-XXXXXX", NULL);
    printf("# GDK_DEBUG=%s DISPLAY=%s\n", g_getenv("GDK_DEBUG") ? g_getenv("GDK_DEBUG") : "",
           g_getenv("DISPLAY") ? g_getenv("DISPLAY") : "");
    bool have_clip = make_clip();
    if (!have_clip)
        g_clear_pointer(&clip_path, g_free);
    /* GLVF_TEST_ONLY=name runs one case (to bisect a sanitizer report) */
    const char *only = g_getenv("GLVF_TEST_ONLY");
#define CASE(fn)                                  \
    if (!only || strcmp(only, #fn) == 0)          \
        RUN(fn, NULL)
    CASE(test_push);
    CASE(test_texture_outlives);
    CASE(test_context_loss);
    CASE(test_three);
    CASE(test_shared_worker);
    CASE(test_stream_gtkvideo);
    CASE(test_stream_rerealize);
    CASE(test_stream_untimed);
    CASE(test_stream_errors);
#undef CASE
    check_log_clear();
    glvf_gtk4_join_workers();
    if (clip_path)
        unlink(clip_path);
    rmdir(tmpdir);
    g_free(clip_path);
    g_free(tmpdir);
    return check_finish();
}
