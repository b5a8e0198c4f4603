/* glvf-gtkvideo-ref: GTK4's own GtkVideo playing a file, as the reference
 * that scripts/compare-players.sh measures glvf-player against.
 *
 *   glvf-gtkvideo-ref FILE WxH EXPECTED_FRAMES [TIMEOUT_S]
 *
 * A GtkWindow of WxH holding a GtkVideo (gtk_media_file_new_for_filename,
 * autoplay, nothing else changed). It quits when the stream ends
 * (notify::ended), on a stream error, or after TIMEOUT_S seconds (default:
 * the clip's length from EXPECTED_FRAMES at 30 fps, plus 30 s), and prints
 *
 *   presented=N dropped=N
 *
 * presented: the media stream's invalidate-contents signals (each new frame
 * the media backend hands GTK) that were followed by a paint of the window
 * (GdkFrameClock "paint") before the next one; dropped: EXPECTED_FRAMES -
 * presented (never below 0). Exit status 0, 1 on a stream error or timeout,
 * 2 on a bad command line. Needs GTK's media backend (Debian:
 * libgtk-4-media-gstreamer, gstreamer1.0-plugins-good, gstreamer1.0-libav for
 * H.264 in MP4). */
#include <gtk/gtk.h>
#include <stdio.h>
#include <stdlib.h>

static GMainLoop *loop;
static unsigned invalidated, presented;
static gboolean pending; /* a new frame was handed over, not painted yet */
static int status;

static void on_invalidate(GdkPaintable *p, gpointer data)
{
    (void)p, (void)data;
    invalidated++;
    pending = TRUE;
}

static void on_paint(GdkFrameClock *clock, gpointer data)
{
    (void)clock, (void)data;
    if (pending) {
        presented++;
        pending = FALSE;
    }
}

static void on_ended(GObject *obj, GParamSpec *ps, gpointer data)
{
    (void)ps, (void)data;
    if (gtk_media_stream_get_ended(GTK_MEDIA_STREAM(obj)))
        g_main_loop_quit(loop);
}

static void on_error(GObject *obj, GParamSpec *ps, gpointer data)
{
    (void)ps, (void)data;
    const GError *err = gtk_media_stream_get_error(GTK_MEDIA_STREAM(obj));
    if (err) {
        fprintf(stderr, "glvf-gtkvideo-ref: %s\n", err->message);
        status = 1;
        g_main_loop_quit(loop);
    }
}

static gboolean on_timeout(gpointer data)
{
    (void)data;
    fprintf(stderr, "glvf-gtkvideo-ref: timeout before the end of the stream\n");
    status = 1;
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static void on_realize(GtkWidget *win, gpointer data)
{
    (void)data;
    g_signal_connect(gtk_widget_get_frame_clock(win), "paint", G_CALLBACK(on_paint), NULL);
}

static gboolean on_close(GtkWindow *win, gpointer data)
{
    (void)win, (void)data;
    g_main_loop_quit(loop);
    return TRUE;
}

int main(int argc, char **argv)
{
    int w, h;
    long expected, timeout_s;
    char *end;
    if (argc < 4 || argc > 5 || sscanf(argv[2], "%dx%d", &w, &h) != 2 || w < 64 || h < 64 ||
        (expected = strtol(argv[3], &end, 10)) < 0 || *end) {
        fprintf(stderr, "usage: glvf-gtkvideo-ref FILE WxH EXPECTED_FRAMES [TIMEOUT_S]\n");
        return 2;
    }
    timeout_s = argc == 5 ? strtol(argv[4], NULL, 10) : expected / 30 + 30;
    if (timeout_s <= 0) {
        fprintf(stderr, "glvf-gtkvideo-ref: bad TIMEOUT_S '%s'\n", argv[4]);
        return 2;
    }
    if (!gtk_init_check()) {
        fprintf(stderr, "glvf-gtkvideo-ref: cannot open a display\n");
        return 1;
    }
    loop = g_main_loop_new(NULL, FALSE);

    GtkMediaStream *stream = gtk_media_file_new_for_filename(argv[1]);
    g_signal_connect(stream, "invalidate-contents", G_CALLBACK(on_invalidate), NULL);
    g_signal_connect(stream, "notify::ended", G_CALLBACK(on_ended), NULL);
    g_signal_connect(stream, "notify::error", G_CALLBACK(on_error), NULL);

    GtkWidget *video = gtk_video_new();
    gtk_video_set_autoplay(GTK_VIDEO(video), TRUE);
    gtk_video_set_media_stream(GTK_VIDEO(video), stream);

    GtkWidget *win = gtk_window_new();
    gtk_window_set_title(GTK_WINDOW(win), "glvf-gtkvideo-ref");
    gtk_window_set_default_size(GTK_WINDOW(win), w, h);
    gtk_window_set_child(GTK_WINDOW(win), video);
    g_signal_connect(win, "realize", G_CALLBACK(on_realize), NULL);
    g_signal_connect(win, "close-request", G_CALLBACK(on_close), NULL);
    gtk_window_present(GTK_WINDOW(win));

    g_timeout_add_seconds((guint)timeout_s, on_timeout, NULL);
    g_main_loop_run(loop);

    long dropped = expected - (long)presented;
    printf("presented=%u dropped=%ld\n", presented, dropped > 0 ? dropped : 0);
    fflush(stdout);
    gtk_media_stream_pause(stream);
    gtk_window_destroy(GTK_WINDOW(win));
    g_object_unref(stream);
    return status;
}
