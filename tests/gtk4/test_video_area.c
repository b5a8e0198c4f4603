/*
 * GlvfVideoArea under Xvfb (started by tests/harness/xvfb-run.sh), real GL
 * through GDK (EGL or GLX on Mesa; GLES with GDK_DEBUG=gl-gles):
 *  - 100 realize/unrealize cycles: no leak report, the tracker balanced;
 *  - two areas in one window and one in a second window, each showing its
 *    own frame (read back from each area's framebuffer);
 *  - frames pushed from another thread: the latest wins, every item is
 *    released exactly once;
 *  - an area moved to another window (unrealize/realize) keeps working.
 */
#include "check.h"
#include "pin_libs.h"
#include "gtk_test.h"

#include <glvf/glvf-gtk4.h>
/* glvf_video_area_simulate_context_loss */
#include "../../src/gtk4/gtk4-internal.h"

static gboolean is_realized(gpointer w)
{
    return gtk_widget_get_realized(GTK_WIDGET(w)) &&
           glvf_video_area_get_context(GLVF_VIDEO_AREA(w)) != NULL;
}

typedef struct rendered_wait {
    GlvfVideoArea *area;
    guint64 target;
} rendered_wait;

static gboolean has_rendered(gpointer p)
{
    rendered_wait *r = p;
    GlvfVideoAreaStats s;
    glvf_video_area_get_stats(r->area, &s);
    return s.frames_rendered >= r->target;
}

/* ---- a solid-colour frame, uploaded by the area itself ------------------- */

typedef struct solid {
    uint8_t rgba[4];
    int *released;
} solid;

static glvf_frame *upload_solid(glvf_context *ctx, gpointer data)
{
    solid *s = data;
    static uint8_t px[32 * 24 * 4];
    for (int i = 0; i < 32 * 24; i++)
        memcpy(px + i * 4, s->rgba, 4);
    glvf_image img = { .format = GLVF_FORMAT_RGBA8, .width = 32, .height = 24,
                       .planes = { { px, 32 * 4 } } };
    return glvf_upload(ctx, &img, NULL, NULL);
}

static void release_solid(gpointer data)
{
    solid *s = data;
    if (s->released)
        g_atomic_int_inc(s->released);
    g_free(s);
}

static void push_solid(GlvfVideoArea *a, uint8_t r, uint8_t g, uint8_t b, int *released)
{
    solid *s = g_new0(solid, 1);
    s->rgba[0] = r;
    s->rgba[1] = g;
    s->rgba[2] = b;
    s->rgba[3] = 255;
    s->released = released;
    glvf_video_area_push(a, upload_solid, s, release_solid);
}

/* The centre pixel of the area's last capture (R,G,B,A); false if none. */
static bool capture_centre(GlvfVideoArea *a, uint8_t out[4])
{
    GdkTexture *t = glvf_video_area_get_capture(a);
    if (!t)
        return false;
    int w = gdk_texture_get_width(t), h = gdk_texture_get_height(t);
    guchar *px = g_malloc((gsize)w * (gsize)h * 4);
    gdk_texture_download(t, px, (gsize)w * 4);
    /* gdk_texture_download gives B,G,R,A (cairo ARGB32 in memory) */
    guchar *c = px + ((gsize)(h / 2) * (gsize)w + (gsize)(w / 2)) * 4;
    out[0] = c[2];
    out[1] = c[1];
    out[2] = c[0];
    out[3] = c[3];
    g_free(px);
    g_object_unref(t);
    return true;
}

static bool colour_near(const uint8_t *a, uint8_t r, uint8_t g, uint8_t b)
{
    return abs(a[0] - r) <= 2 && abs(a[1] - g) <= 2 && abs(a[2] - b) <= 2;
}

typedef struct colour_wait {
    GlvfVideoArea *area;
    uint8_t want[3];
    uint8_t seen[4];
} colour_wait;

static gboolean shows_colour(gpointer p)
{
    colour_wait *cw = p;
    return capture_centre(cw->area, cw->seen) &&
           colour_near(cw->seen, cw->want[0], cw->want[1], cw->want[2]);
}

/* Runs the main loop until the area's capture shows (r, g, b) at its centre
 * (5 s at most); `seen` gets the last colour captured. */
static bool wait_colour(GlvfVideoArea *a, uint8_t r, uint8_t g, uint8_t b, uint8_t seen[4])
{
    colour_wait cw = { a, { r, g, b }, { 0 } };
    bool ok = wait_until(shows_colour, &cw, 5000);
    memcpy(seen, cw.seen, 4);
    return ok;
}

static void test_realize_cycles(void *arg)
{
    (void)arg;
    GtkWidget *area = glvf_video_area_new();
    glvf_video_area_set_log(GLVF_VIDEO_AREA(area), check_log, NULL);
    g_object_ref_sink(area);
    GtkWidget *win = new_window(NULL, 160, 120);
    check_log_clear();
    int released = 0, cycles = 0;
    const char *api = NULL;
    for (int i = 0; i < 100; i++) {
        gtk_window_set_child(GTK_WINDOW(win), area);
        if (!wait_until(is_realized, area, 5000))
            break;
        if (!api) {
            const glvf_caps *c = glvf_context_get_caps(glvf_video_area_get_context(GLVF_VIDEO_AREA(area)));
            printf("# GDK context: %s %d.%d, %s\n", c->is_gles ? "OpenGL ES" : "OpenGL",
                   c->gl_major, c->gl_minor, c->renderer);
            api = c->is_gles ? "gles" : "gl";
        }
        push_solid(GLVF_VIDEO_AREA(area), (uint8_t)(i * 2), 100, 200, &released);
        GlvfVideoAreaStats s;
        glvf_video_area_get_stats(GLVF_VIDEO_AREA(area), &s);
        rendered_wait rw = { GLVF_VIDEO_AREA(area), s.frames_rendered + 1 };
        wait_until(has_rendered, &rw, 5000);
        gtk_window_set_child(GTK_WINDOW(win), NULL); /* unrealizes the area */
        cycles++;
    }
    GlvfVideoAreaStats s;
    glvf_video_area_get_stats(GLVF_VIDEO_AREA(area), &s);
    printf("# %d realize/unrealize cycles, %llu realizations, %llu frames rendered, %d items "
           "released\n",
           cycles, (unsigned long long)s.realizations, (unsigned long long)s.frames_rendered,
           released);
    CHECK(cycles == 100 && s.realizations == 100, "100 cycles (%d)", cycles);
    CHECK(s.frames_rendered == 100, "a frame rendered in each cycle");
    CHECK(released == 100, "every item released once (%d)", released);
    CHECK(check_log_count(GLVF_LOG_WARN, "leak report") == 0, "no leak report");
    CHECK(s.leaked_at_unrealize == 0, "nothing held at unrealize");
    CHECK(check_log_count(GLVF_LOG_ERROR, "still counted live") == 0,
          "every GL object glvf created was deleted");
    /* a frame the application keeps across unrealize is counted (and
     * becomes an orphan, dropped safely afterwards) */
    gtk_window_set_child(GTK_WINDOW(win), area);
    if (wait_until(is_realized, area, 5000)) {
        gtk_gl_area_make_current(GTK_GL_AREA(area));
        solid sd = { { 1, 2, 3, 255 }, NULL };
        glvf_frame *kept = upload_solid(glvf_video_area_get_context(GLVF_VIDEO_AREA(area)), &sd);
        gtk_window_set_child(GTK_WINDOW(win), NULL);
        glvf_video_area_get_stats(GLVF_VIDEO_AREA(area), &s);
        CHECK(kept && s.leaked_at_unrealize == 1, "a kept frame is counted (%llu)",
              (unsigned long long)s.leaked_at_unrealize);
        CHECK(check_log_count(GLVF_LOG_WARN, "leak report: 1 frame") == 1, "and reported");
        glvf_frame_unref(&kept);
        check_log_clear();
    }
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "no error logged");
    gtk_window_destroy(GTK_WINDOW(win));
    g_object_unref(area);
}

static void test_several_areas(void *arg)
{
    (void)arg;
    GtkWidget *a = glvf_video_area_new(), *b = glvf_video_area_new(), *c = glvf_video_area_new();
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
    gtk_widget_set_hexpand(a, TRUE);
    gtk_widget_set_hexpand(b, TRUE);
    gtk_box_append(GTK_BOX(box), a);
    gtk_box_append(GTK_BOX(box), b);
    GtkWidget *w1 = new_window(box, 320, 120), *w2 = new_window(c, 160, 120);
    GtkWidget *areas[3] = { a, b, c };
    static const uint8_t colours[3][3] = { { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 } };
    for (int i = 0; i < 3; i++) {
        glvf_video_area_set_capture(GLVF_VIDEO_AREA(areas[i]), TRUE);
        glvf_video_area_set_log(GLVF_VIDEO_AREA(areas[i]), check_log, NULL);
        CHECK(wait_until(is_realized, areas[i], 5000), "area %d realized", i);
    }
    CHECK(glvf_video_area_get_context(GLVF_VIDEO_AREA(a)) !=
              glvf_video_area_get_context(GLVF_VIDEO_AREA(b)),
          "each area has its own glvf context");
    for (int i = 0; i < 3; i++)
        push_solid(GLVF_VIDEO_AREA(areas[i]), colours[i][0], colours[i][1], colours[i][2], NULL);
    for (int i = 0; i < 3; i++) {
        uint8_t px[4] = { 0 };
        bool ok = wait_colour(GLVF_VIDEO_AREA(areas[i]), colours[i][0], colours[i][1],
                              colours[i][2], px);
        printf("# area %d centre: %d,%d,%d\n", i, px[0], px[1], px[2]);
        CHECK(ok, "area %d shows its own frame", i);
    }
    /* frames pushed directly (uploaded by the caller with the area's context
     * current) work too; a frame of another area's context is refused */
    gtk_gl_area_make_current(GTK_GL_AREA(a));
    solid s = { { 255, 255, 0, 255 }, NULL };
    glvf_frame *f = upload_solid(glvf_video_area_get_context(GLVF_VIDEO_AREA(a)), &s);
    CHECK(f && glvf_video_area_push_frame(GLVF_VIDEO_AREA(a), f), "push_frame");
    CHECK(!glvf_video_area_push_frame(GLVF_VIDEO_AREA(b), f), "wrong context refused");
    glvf_frame_unref(&f);
    uint8_t px[4];
    CHECK(wait_colour(GLVF_VIDEO_AREA(a), 255, 255, 0, px), "yellow (%d,%d,%d)", px[0], px[1],
          px[2]);
    gtk_window_destroy(GTK_WINDOW(w1));
    gtk_window_destroy(GTK_WINDOW(w2));
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "no error logged");
}

typedef struct pusher {
    GlvfVideoArea *area;
    int pushed;
    int released;
} pusher;

static gpointer push_thread(gpointer p)
{
    pusher *ps = p;
    for (int i = 0; i < 500; i++) {
        push_solid(ps->area, (uint8_t)i, (uint8_t)(255 - i), 7, &ps->released);
        g_atomic_int_inc(&ps->pushed);
        if (i % 50 == 0)
            g_usleep(2000);
    }
    push_solid(ps->area, 10, 20, 250, &ps->released); /* the last one */
    g_atomic_int_inc(&ps->pushed);
    return NULL;
}

static gboolean all_released(gpointer p)
{
    pusher *ps = p;
    return g_atomic_int_get(&ps->released) == g_atomic_int_get(&ps->pushed);
}

static void test_push_from_thread(void *arg)
{
    (void)arg;
    GtkWidget *area = glvf_video_area_new();
    glvf_video_area_set_capture(GLVF_VIDEO_AREA(area), TRUE);
    GtkWidget *win = new_window(area, 160, 120);
    CHECK(wait_until(is_realized, area, 5000), "realized");
    pusher ps = { GLVF_VIDEO_AREA(area), 0, 0 };
    GThread *t = g_thread_new("pusher", push_thread, &ps);
    /* keep the main loop running while the thread pushes */
    while (g_atomic_int_get(&ps.pushed) < 501)
        g_main_context_iteration(NULL, FALSE);
    g_thread_join(t);
    CHECK(wait_until(all_released, &ps, 5000), "every item released (%d of %d)", ps.released,
          ps.pushed);
    uint8_t px[4];
    CHECK(wait_colour(GLVF_VIDEO_AREA(area), 10, 20, 250, px),
          "the latest item is shown (%d,%d,%d)", px[0], px[1], px[2]);
    GlvfVideoAreaStats s;
    glvf_video_area_get_stats(GLVF_VIDEO_AREA(area), &s);
    printf("# pushed %llu, replaced before shown %llu, rendered %llu, upload failures %llu\n",
           (unsigned long long)s.frames_pushed, (unsigned long long)s.frames_replaced,
           (unsigned long long)s.frames_rendered, (unsigned long long)s.upload_failures);
    CHECK(s.upload_failures == 0, "no upload failed");
    CHECK(s.frames_pushed == 501, "pushes counted");
    CHECK(s.frames_replaced + s.frames_rendered >= 501 - 1, "each push replaced or rendered");
    gtk_window_destroy(GTK_WINDOW(win));
}

static void test_move_window(void *arg)
{
    (void)arg;
    GtkWidget *area = glvf_video_area_new();
    g_object_ref_sink(area);
    glvf_video_area_set_capture(GLVF_VIDEO_AREA(area), TRUE);
    glvf_video_area_set_log(GLVF_VIDEO_AREA(area), check_log, NULL);
    GtkWidget *w1 = new_window(area, 160, 120);
    CHECK(wait_until(is_realized, area, 5000), "realized in window 1");
    push_solid(GLVF_VIDEO_AREA(area), 200, 50, 50, NULL);
    uint8_t px[4];
    CHECK(wait_colour(GLVF_VIDEO_AREA(area), 200, 50, 50, px), "window 1");
    gtk_window_set_child(GTK_WINDOW(w1), NULL);
    GtkWidget *w2 = new_window(area, 200, 100);
    CHECK(wait_until(is_realized, area, 5000), "realized in window 2");
    push_solid(GLVF_VIDEO_AREA(area), 50, 200, 50, NULL);
    CHECK(wait_colour(GLVF_VIDEO_AREA(area), 50, 200, 50, px), "window 2 (%d,%d,%d)", px[0],
          px[1], px[2]);
    /* an empty area shows the background */
    GdkRGBA bg = { 0.0f, 0.0f, 1.0f, 1.0f };
    glvf_video_area_set_background(GLVF_VIDEO_AREA(area), &bg);
    glvf_video_area_clear(GLVF_VIDEO_AREA(area));
    CHECK(wait_colour(GLVF_VIDEO_AREA(area), 0, 0, 255, px), "a cleared area shows the "
                                                             "background (%d,%d,%d)",
          px[0], px[1], px[2]);
    gtk_window_destroy(GTK_WINDOW(w1));
    gtk_window_destroy(GTK_WINDOW(w2));
    g_object_unref(area);
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "no error logged");
    CHECK(check_log_count(GLVF_LOG_WARN, "leak report") == 0, "no leak report");
}

/* a lost GL context: the area abandons its glvf context, re-realizes with a
 * new one and shows the next picture; a frame the application kept from
 * the lost context is an orphan its drop frees without GL */
static void test_context_loss(void *arg)
{
    (void)arg;
    GtkWidget *area = glvf_video_area_new();
    g_object_ref_sink(area);
    glvf_video_area_set_capture(GLVF_VIDEO_AREA(area), TRUE);
    glvf_video_area_set_log(GLVF_VIDEO_AREA(area), check_log, NULL);
    GtkWidget *win = new_window(area, 160, 120);
    CHECK(wait_until(is_realized, area, 5000), "realized");
    push_solid(GLVF_VIDEO_AREA(area), 200, 50, 50, NULL);
    uint8_t px[4];
    CHECK(wait_colour(GLVF_VIDEO_AREA(area), 200, 50, 50, px), "before the loss");
    glvf_context *old = glvf_video_area_get_context(GLVF_VIDEO_AREA(area));
    glvf_frame *kept = NULL;
    {
        /* a frame the application holds across the loss */
        static uint8_t rgba[4 * 4 * 4];
        memset(rgba, 128, sizeof rgba);
        glvf_image img = { .format = GLVF_FORMAT_RGBA8, .width = 4, .height = 4,
                           .planes = { { rgba, 16 } } };
        gtk_gl_area_make_current(GTK_GL_AREA(area));
        kept = glvf_upload(old, &img, NULL, NULL);
    }
    CHECK(kept != NULL, "a frame uploaded by the application");
    check_log_clear();
    glvf_video_area_simulate_context_loss(GLVF_VIDEO_AREA(area));
    GlvfVideoAreaStats s;
    for (int i = 0; i < 500; i++) {
        glvf_video_area_get_stats(GLVF_VIDEO_AREA(area), &s);
        if (s.realizations >= 2 && glvf_video_area_get_context(GLVF_VIDEO_AREA(area)))
            break;
        g_main_context_iteration(NULL, FALSE);
        g_usleep(10000);
    }
    CHECK(s.context_losses == 1 && s.realizations == 2, "one loss, re-realized (%llu, %llu)",
          (unsigned long long)s.context_losses, (unsigned long long)s.realizations);
    CHECK(glvf_video_area_get_context(GLVF_VIDEO_AREA(area)) != NULL, "a new glvf context");
    glvf_frame_unref(&kept); /* an orphan of the abandoned context: no GL call */
    push_solid(GLVF_VIDEO_AREA(area), 50, 50, 200, NULL);
    CHECK(wait_colour(GLVF_VIDEO_AREA(area), 50, 50, 200, px),
          "the new context shows the next picture (%d,%d,%d)", px[0], px[1], px[2]);
    gtk_window_destroy(GTK_WINDOW(win));
    g_object_unref(area);
    CHECK(check_log_count(GLVF_LOG_WARN, "was lost") == 1, "the loss logged once");
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "no error logged");
    /* the abandon names what the application held, not the area's own */
    CHECK(check_log_count(GLVF_LOG_WARN, "leak report: 1 frame(s)") == 1 &&
              check_log_count(GLVF_LOG_WARN, "leak report") == 1,
          "one leak report, the application's frame");
}

int main(void)
{
    check_log_echo = g_getenv("GLVF_TEST_VERBOSE") != NULL;
    glvf_test_gtk_init();
    printf("# GDK_DEBUG=%s DISPLAY=%s\n", g_getenv("GDK_DEBUG") ? g_getenv("GDK_DEBUG") : "",
           g_getenv("DISPLAY") ? g_getenv("DISPLAY") : "");
    RUN(test_realize_cycles, NULL);
    RUN(test_several_areas, NULL);
    RUN(test_push_from_thread, NULL);
    RUN(test_move_window, NULL);
    RUN(test_context_loss, NULL);
    check_log_clear();
    return check_finish();
}
