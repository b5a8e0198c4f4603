/*
 * glvf-player: the window.
 *
 *   header bar   title (the file), open, statistics, fullscreen
 *   video        GtkOverlay: the video widget (--output paintable: a
 *                GtkPicture showing the player's GlvfMediaStream; --output
 *                area: the GlvfVideoArea), the statistics label
 *                (top left, `i`), the message label (centre: errors,
 *                "preparing the sample clip")
 *   controls     play/pause, frame step, seek bar, position / duration,
 *                volume (a GtkScaleButton; insensitive without sound)
 *
 * Keys (handled in the capture phase, so a focused button or the seek bar
 * does not take them first): space play/pause, Left/Right seek 5 s
 * (Shift: 1 s), period frame step, 9 / 0 volume down / up, m mute, f or
 * F11 fullscreen, Escape leave fullscreen, i statistics, o or Ctrl+O open,
 * ? the shortcuts window (every key), q or Ctrl+Q quit. Double click on the
 * video: fullscreen. Dropping a file on the window opens it.
 *
 * Fullscreen: the controls float over the bottom of the video (the video
 * keeps its size); while playing, they and the pointer hide after 2 s
 * without pointer motion and come back on motion; paused, they stay. The
 * screensaver is inhibited while playing (gtk_application_inhibit).
 *
 * The time label and the seek bar follow the position while playing, at
 * most 4 times a second (a timer that runs only while playing), changed only
 * when what they show changes; on every player event (open, pause, seek
 * done, step shown, end, error) they are updated once. Paused or with no
 * file, no timer runs. The time label has a fixed width and tabular
 * digits, so its changes never relayout the window.
 *
 * The window's size: 960x600 (or --size) until the first file with a
 * picture is open, then that picture's display size (sample aspect ratio
 * and rotation applied) for the video widget, scaled down to keep the
 * window within 90% of the monitor's work area; not if --size was given or
 * the user resized the window meanwhile (fit_to_video).
 *
 * Automation (--frames, --screenshot, --benchmark): when the player
 * finishes (frame limit or end of stream, last frame rendered), or on any
 * error, the window saves the screenshot if asked and closes itself.
 */
#include "player.h"

#ifdef GDK_WINDOWING_X11
#include <gdk/x11/gdkx.h>
#endif

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SEEK_STEP_US 5000000
#define SEEK_FINE_US 1000000
#define UI_INTERVAL_MS 250        /* the position while playing: 4 times a second */
#define UI_INTERVAL_BENCH_MS 500  /* benchmark: each change repaints the window */
#define CONTROLS_HIDE_MS 2000     /* fullscreen, playing: controls hide after this */
#define VOLUME_STEP 0.1
#define DEFAULT_WIDTH 960         /* the window before (or without) a video's size */
#define DEFAULT_HEIGHT 600
#define MONITOR_SHARE 0.9         /* a video's window: at most this share of the work area */

struct player_window {
    GtkApplication *app;
    player_options opt;
    GtkWidget *window, *video, *overlay, *stats_label, *message_label;
    GtkWidget *controls, *play_button, *step_button, *scale, *time_label;
    GtkWidget *prev_button, *next_button;
    GPtrArray *playlist;      /* paths (owned), played in order */
    int current;              /* index in the playlist (-1: none) */
    guint next_idle;          /* opens the next file after an end */
    GtkWidget *stats_button, *fullscreen_button, *volume_button;
    GtkWidget *vbox;          /* the video overlay, then the controls (windowed) */
    GtkWindow *shortcuts;     /* the shortcuts window while it exists */
    bool volume_syncing;      /* the button is being set from the player */
    double volume_shown;
    int muted_shown, audio_shown;
    player *player;
    /* fullscreen: controls over the video, hidden after CONTROLS_HIDE_MS */
    bool controls_overlaid;
    bool controls_hidden;
    bool pointer_on_controls;
    guint hide_timer;
    gint64 last_motion_us;
    double last_x, last_y;
    guint inhibit_cookie;     /* screensaver inhibited while playing */
    guint opening_timer;      /* shows "Opening..." when an open takes a while */
    guint ui_timer;           /* only while playing */
    char time_text[64];       /* what the time label shows */
    double scale_value, scale_upper;
    const char *play_icon;
    guint quit_idle;
    bool destroyed;
    bool was_playing;         /* --verbose: pauses and resumes are logged */
    int exit_status;
    GtkNativeDialog *chooser;
    /* sample clip */
    GThread *sample_thread;
    volatile int sample_cancel;
    char *sample_path;
    GError *sample_error;
    guint sample_idle;
    /* the window's size: the first video's display size (fit_to_video) */
    bool size_fitted;         /* done, or not to be done (--size, the user resized) */
    guint fit_tick;           /* waits for the window's first layout */
    int asked_w, asked_h;     /* the default size last set here */
    int display_w, display_h; /* the open file's (0: unknown) */
    int final_window_w, final_window_h, final_video_w, final_video_h; /* at destroy */
};

static const char *css =
        ".glvf-osd { background-color: rgba(0,0,0,0.65); color: #e8e8e8; padding: 8px 10px;"
        "  border-radius: 6px; font-family: monospace; font-size: 10pt; margin: 8px; }"
        ".glvf-message { background-color: rgba(20,20,20,0.85); color: white; padding: 14px;"
        "  border-radius: 8px; margin: 24px; }"
        ".glvf-message.error { background-color: rgba(130,20,20,0.9); }"
        ".glvf-video { background-color: black; }"
        ".glvf-time { font-feature-settings: \"tnum\"; }"
        ".glvf-osd-controls { background-color: rgba(0,0,0,0.65); color: #f0f0f0; }"
        /* no rounded corners, shadow or margin around the client-side
         * decorated window: with them GTK renders the whole window
         * offscreen and masks it on every frame, which doubled the CPU of
         * each paint on a software renderer (1080p video in 1280x720 on
         * llvmpipe: 16.3 against 7.9 CPU-s for 10 s) */
        "window.glvf-player, window.glvf-player.csd, window.glvf-player.solid-csd"
        " { border-radius: 0; box-shadow: none; margin: 0; }"
        "window.glvf-player > headerbar { border-radius: 0; }";

/* ---- helpers -------------------------------------------------------------------- */

static void fmt_time(char *buf, size_t n, int64_t us)
{
    if (us < 0)
        us = 0;
    int64_t ds = us / 100000; /* tenths of a second */
    g_snprintf(buf, n, "%d:%02d.%d", (int)(ds / 600), (int)(ds / 10 % 60), (int)(ds % 10));
}

static void show_message(player_window *w, const char *text, bool error)
{
    gtk_label_set_text(GTK_LABEL(w->message_label), text);
    if (error)
        gtk_widget_add_css_class(w->message_label, "error");
    else
        gtk_widget_remove_css_class(w->message_label, "error");
    gtk_widget_set_visible(w->message_label, text != NULL && text[0]);
}

static gboolean ui_timer_cb(gpointer data);
static void stop_opening_timer(player_window *w);

static void sync_controls(player_window *w);

/* While playing: the screensaver is inhibited. */
static void sync_inhibit(player_window *w, bool playing)
{
    if (playing && !w->inhibit_cookie) {
        w->inhibit_cookie = gtk_application_inhibit(w->app, GTK_WINDOW(w->window),
                                                    GTK_APPLICATION_INHIBIT_IDLE,
                                                    "Playing a video");
        if (w->opt.verbose)
            g_printerr(PLAYER_NAME ": ui: screensaver %s\n",
                       w->inhibit_cookie ? "inhibited" : "could not be inhibited");
        if (!w->inhibit_cookie)
            w->inhibit_cookie = G_MAXUINT; /* asked once: do not ask again while playing */
    } else if (!playing && w->inhibit_cookie) {
        if (w->inhibit_cookie != G_MAXUINT)
            gtk_application_uninhibit(w->app, w->inhibit_cookie);
        w->inhibit_cookie = 0;
    }
}

/* The timer runs only while playing. */
static void sync_timer(player_window *w)
{
    bool want = !w->destroyed && player_is_open(w->player) && player_is_playing(w->player);
    sync_inhibit(w, want);
    sync_controls(w);
    if (want && !w->ui_timer)
        w->ui_timer = g_timeout_add(w->opt.benchmark ? UI_INTERVAL_BENCH_MS : UI_INTERVAL_MS,
                                    ui_timer_cb, w);
    else if (!want && w->ui_timer) {
        g_source_remove(w->ui_timer);
        w->ui_timer = 0;
    }
}

/* Position, duration, seek bar: each set only when what it shows changes. */
static void update_position(player_window *w)
{
    player *p = w->player;
    char pos[32], dur[32], buf[sizeof w->time_text];
    fmt_time(pos, sizeof pos, player_position(p));
    fmt_time(dur, sizeof dur, player_duration(p));
    g_snprintf(buf, sizeof buf, "%s / %s", pos, dur);
    if (strcmp(buf, w->time_text)) {
        g_strlcpy(w->time_text, buf, sizeof w->time_text);
        gtk_label_set_text(GTK_LABEL(w->time_label), buf);
    }
    GtkAdjustment *adj = gtk_range_get_adjustment(GTK_RANGE(w->scale));
    double d = MAX((double)player_duration(p) / 1e6, 0.0);
    if (d != w->scale_upper) {
        w->scale_upper = d;
        gtk_adjustment_configure(adj, 0, 0, d, 1, 5, 0);
        w->scale_value = -1;
    }
    /* to a tenth of a second, as the label; programmatic: "change-value"
     * is not emitted, so no seek */
    double v = (double)(player_position(p) / 100000) / 10.0;
    if (v != w->scale_value) {
        w->scale_value = v;
        gtk_adjustment_set_value(adj, v);
    }
    if (gtk_widget_get_visible(w->stats_label)) {
        char *t = player_stats_text(p);
        gtk_label_set_text(GTK_LABEL(w->stats_label), t);
        g_free(t);
    }
}

static void update_ui(player_window *w)
{
    if (w->destroyed)
        return;
    player *p = w->player;
    update_position(w);
    const char *icon = player_is_playing(p) ? "media-playback-pause-symbolic"
                                            : "media-playback-start-symbolic";
    if (icon != w->play_icon) {
        w->play_icon = icon;
        gtk_button_set_icon_name(GTK_BUTTON(w->play_button), icon);
    }
    gtk_widget_set_sensitive(w->controls, player_is_open(p));
    double vol = player_get_volume(p);
    int muted = player_get_muted(p), audio = player_has_audio(p);
    if (vol != w->volume_shown || muted != w->muted_shown || audio != w->audio_shown) {
        w->volume_shown = vol;
        w->muted_shown = muted;
        w->audio_shown = audio;
        w->volume_syncing = true;
        /* muted: the button shows the muted icon (value 0) until unmuted */
        gtk_scale_button_set_value(GTK_SCALE_BUTTON(w->volume_button), muted ? 0 : vol);
        w->volume_syncing = false;
        char *tip = !audio ? g_strdup("No sound") :
                    muted  ? g_strdup_printf("Muted (m); volume %d%% (9/0)", (int)(vol * 100 + 0.5))
                           : g_strdup_printf("Volume %d%% (9/0, m mute)", (int)(vol * 100 + 0.5));
        gtk_widget_set_tooltip_text(w->volume_button, tip);
        g_free(tip);
        gtk_widget_set_sensitive(w->volume_button, audio);
    }
    sync_timer(w);
}

static void on_volume_changed(GtkScaleButton *b, double value, gpointer data)
{
    player_window *w = data;
    (void)b;
    if (w->volume_syncing || w->destroyed)
        return;
    if (player_get_muted(w->player))
        player_set_muted(w->player, false); /* moving the slider unmutes */
    player_set_volume(w->player, value);
}

static gboolean ui_timer_cb(gpointer data)
{
    player_window *w = data;
    update_position(w);
    return G_SOURCE_CONTINUE;
}

/* ---- quitting ------------------------------------------------------------------------ */

/* For --stats: the window's size (its default size, which GTK keeps equal
 * to the size it has, as --size gives it: the toplevel surface, GTK's
 * resize frame included) and the video widget's, taken before the window
 * goes (a destroyed window has none). */
static void remember_sizes(player_window *w)
{
    gtk_window_get_default_size(GTK_WINDOW(w->window), &w->final_window_w,
                                &w->final_window_h);
    w->final_video_w = gtk_widget_get_width(w->video);
    w->final_video_h = gtk_widget_get_height(w->video);
}

static gboolean on_close_request(GtkWindow *win, gpointer data)
{
    (void)win;
    remember_sizes(data);
    return FALSE; /* closes */
}

static gboolean quit_idle_cb(gpointer data)
{
    player_window *w = data;
    w->quit_idle = 0;
    if (w->destroyed)
        return G_SOURCE_REMOVE;
    if (w->opt.screenshot && w->exit_status == PLAYER_EXIT_OK) {
        if (!player_write_screenshot(player_screenshot(w->player), w->opt.screenshot,
                                     "rendered"))
            w->exit_status = PLAYER_EXIT_FAILURE;
    }
    remember_sizes(w);
    gtk_window_destroy(GTK_WINDOW(w->window)); /* unrealizes: the player tears down */
    return G_SOURCE_REMOVE;
}

static void request_quit(player_window *w, int status)
{
    if (status != PLAYER_EXIT_OK)
        w->exit_status = status;
    if (!w->quit_idle && !w->destroyed)
        w->quit_idle = g_idle_add_full(G_PRIORITY_DEFAULT, quit_idle_cb, w, NULL);
}

/* ---- the window's size ------------------------------------------------------------- */

/* The work area of the window's monitor (the first monitor before the
 * window has a surface); false when there is none. */
static bool monitor_area(player_window *w, GdkRectangle *r)
{
    GdkDisplay *d = gtk_widget_get_display(w->window);
    GdkSurface *s = gtk_native_get_surface(GTK_NATIVE(w->window));
    GdkMonitor *m = s ? gdk_display_get_monitor_at_surface(d, s) : NULL;
    GListModel *all = gdk_display_get_monitors(d);
    GdkMonitor *first = NULL;
    if (!m && g_list_model_get_n_items(all) > 0)
        m = first = g_list_model_get_item(all, 0);
    bool ok = m != NULL;
    if (m) {
        gdk_monitor_get_geometry(m, r);
#ifdef GDK_WINDOWING_X11
        if (GDK_IS_X11_MONITOR(m)) /* minus panels and docks (_NET_WORKAREA) */
            gdk_x11_monitor_get_workarea(m, r);
#endif
        ok = r->width > 0 && r->height > 0;
    }
    g_clear_object(&first);
    return ok;
}

/* The window's parts around the video (header bar, controls, GTK's frame
 * of the window), from what GTK allocated: the default size is the
 * window's size (the user has not resized it) minus the video widget's.
 * Before the first allocation, or in fullscreen (the controls float over
 * the video), the header bar's and the controls' natural heights. */
static void chrome_size(player_window *w, int *extra_w, int *extra_h)
{
    int dw = 0, dh = 0, vw = gtk_widget_get_width(w->overlay),
        vh = gtk_widget_get_height(w->overlay);
    gtk_window_get_default_size(GTK_WINDOW(w->window), &dw, &dh);
    if (vw > 0 && vh > 0 && !gtk_window_is_fullscreen(GTK_WINDOW(w->window)) &&
        !gtk_window_is_maximized(GTK_WINDOW(w->window)) && dw >= vw && dh >= vh) {
        *extra_w = dw - vw;
        *extra_h = dh - vh;
        return;
    }
    int min = 0, nat = 0;
    *extra_w = *extra_h = 0;
    GtkWidget *title = gtk_window_get_titlebar(GTK_WINDOW(w->window));
    if (title) {
        gtk_widget_measure(title, GTK_ORIENTATION_VERTICAL, -1, &min, &nat, NULL, NULL);
        *extra_h += nat;
    }
    gtk_widget_measure(w->controls, GTK_ORIENTATION_VERTICAL, -1, &min, &nat, NULL, NULL);
    *extra_h += nat;
}

/* Sizes the window for the open file (fit_to_video). */
static void fit_now(player_window *w)
{
    int dw = 0, dh = 0;
    gtk_window_get_default_size(GTK_WINDOW(w->window), &dw, &dh);
    if (dw != w->asked_w || dh != w->asked_h) {
        if (w->opt.verbose)
            g_printerr(PLAYER_NAME ": ui: the window was resized (%dx%d): its size stays\n",
                       dw, dh);
        return;
    }
    int extra_w, extra_h;
    chrome_size(w, &extra_w, &extra_h);
    double vw = w->display_w, vh = w->display_h;
    GdkRectangle area = { 0 };
    if (monitor_area(w, &area)) {
        double max_w = floor(area.width * MONITOR_SHARE) - extra_w;
        double max_h = floor(area.height * MONITOR_SHARE) - extra_h;
        double s = MIN(1.0, MIN(MAX(max_w, 1.0) / vw, MAX(max_h, 1.0) / vh));
        vw *= s;
        vh *= s;
    }
    w->asked_w = MAX(1, (int)(vw + 0.5)) + extra_w;
    w->asked_h = MAX(1, (int)(vh + 0.5)) + extra_h;
    gtk_window_set_default_size(GTK_WINDOW(w->window), w->asked_w, w->asked_h);
    if (w->opt.verbose)
        g_printerr(PLAYER_NAME ": ui: window %dx%d for the video's %dx%d (work area %dx%d)\n",
                   w->asked_w, w->asked_h, w->display_w, w->display_h, area.width, area.height);
}

static gboolean fit_tick_cb(GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
    player_window *w = data;
    (void)widget;
    (void)clock;
    if (gtk_widget_get_width(w->overlay) <= 0)
        return G_SOURCE_CONTINUE; /* not laid out yet */
    w->fit_tick = 0;
    fit_now(w);
    return G_SOURCE_REMOVE;
}

/* The first file with a picture sizes the window: its display size (sample
 * aspect ratio and rotation applied) at 1:1, scaled down, aspect kept, so
 * that the window with its header bar and controls fits MONITOR_SHARE of
 * the monitor's work area. Not with --size, and not once the user resized
 * the window (GTK keeps the default size equal to the size the user gave).
 * Before that, and when no file has a picture, DEFAULT_WIDTH x
 * DEFAULT_HEIGHT. GTK keeps the window at least as wide as the controls
 * need. Done once the window is laid out (the size of what surrounds the
 * video is known then): at once, or at the next frame. */
static void fit_to_video(player_window *w)
{
    if (w->destroyed || !player_video_size(w->player, &w->display_w, &w->display_h))
        return;
    if (w->size_fitted)
        return;
    w->size_fitted = true;
    if (gtk_widget_get_width(w->overlay) > 0 || gtk_window_is_fullscreen(GTK_WINDOW(w->window)))
        fit_now(w);
    else
        w->fit_tick = gtk_widget_add_tick_callback(w->window, fit_tick_cb, w, NULL);
}

/* ---- player events ------------------------------------------------------------------ */

static void set_title(player_window *w, const char *path)
{
    char *base = path ? g_path_get_basename(path) : NULL;
    char *title = !base ? g_strdup(PLAYER_NAME)
                  : w->playlist->len > 1
                          ? g_strdup_printf("%s (%d/%u) — " PLAYER_NAME, base, w->current + 1,
                                            w->playlist->len)
                          : g_strdup_printf("%s — " PLAYER_NAME, base);
    gtk_window_set_title(GTK_WINDOW(w->window), title);
    g_free(title);
    g_free(base);
}

static void on_player_event(player *p, player_event ev, void *user)
{
    player_window *w = user;
    switch (ev) {
    case PLAYER_EVENT_OPENED:
        stop_opening_timer(w);
        fit_to_video(w);
        /* an open that finished after the window closed (it ran on a
         * thread of its own) finds no widgets */
        if (!w->destroyed)
            show_message(w, NULL, false);
        break;
    case PLAYER_EVENT_STATE:
        break;
    case PLAYER_EVENT_ERROR: {
        stop_opening_timer(w);
        const char *msg = player_last_error(p);
        g_printerr(PLAYER_NAME ": %s\n", msg);
        char *text = g_strdup_printf("Cannot play this file\n\n%s", msg);
        /* a GtkGLArea that could not make its context shows its own error:
         * one box, not two on top of each other */
        bool area_error = GTK_IS_GL_AREA(w->video) &&
                          gtk_gl_area_get_error(GTK_GL_AREA(w->video)) != NULL;
        if (!w->destroyed && !area_error)
            show_message(w, text, true);
        g_free(text);
        if (player_options_automated(&w->opt))
            request_quit(w, PLAYER_EXIT_FAILURE);
        else
            w->exit_status = PLAYER_EXIT_FAILURE;
        break;
    }
    case PLAYER_EVENT_FINISHED:
        request_quit(w, PLAYER_EXIT_OK);
        break;
    }
    if (w->opt.verbose && player_is_playing(p) != w->was_playing) {
        w->was_playing = player_is_playing(p);
        player_stats s;
        player_get_stats(p, &s);
        char pos[32];
        fmt_time(pos, sizeof pos, player_position(p));
        g_printerr(PLAYER_NAME ": state: %s at %s, presented=%llu\n",
                   w->was_playing ? "playing" : "paused", pos, (unsigned long long)s.presented);
    }
    if (!w->destroyed)
        update_ui(w);
}

/* ---- opening ------------------------------------------------------------------------- */

/* An open that takes longer than this shows "Opening..." until the stream
 * is ready (a quick one shows nothing, rather than a flash). */
#define OPENING_MESSAGE_MS 300

static gboolean opening_timer_cb(gpointer data)
{
    player_window *w = data;
    w->opening_timer = 0;
    const char *path = player_path(w->player);
    char *base = path ? g_path_get_basename(path) : NULL;
    char *text = g_strdup_printf("Opening %s…", base ? base : "");
    show_message(w, text, false);
    if (w->opt.verbose)
        g_printerr(PLAYER_NAME ": ui: %s\n", text);
    g_free(text);
    g_free(base);
    return G_SOURCE_REMOVE;
}

static void stop_opening_timer(player_window *w)
{
    if (w->opening_timer) {
        g_source_remove(w->opening_timer);
        w->opening_timer = 0;
    }
}

static void open_path(player_window *w, const char *path)
{
    w->exit_status = PLAYER_EXIT_OK; /* a new file: earlier failures are history */
    w->display_w = w->display_h = 0;
    set_title(w, path);
    show_message(w, NULL, false);
    stop_opening_timer(w);
    w->opening_timer = g_timeout_add(OPENING_MESSAGE_MS, opening_timer_cb, w);
    player_open(w->player, path);
    update_ui(w);
}

/* ---- the playlist ---------------------------------------------------------------------- */

static void sync_playlist_buttons(player_window *w)
{
    bool several = w->playlist->len > 1;
    gtk_widget_set_visible(w->prev_button, several);
    gtk_widget_set_visible(w->next_button, several);
    gtk_widget_set_sensitive(w->prev_button, w->current > 0);
    gtk_widget_set_sensitive(w->next_button, w->current + 1 < (int)w->playlist->len);
}

static void play_index(player_window *w, int i)
{
    if (i < 0 || i >= (int)w->playlist->len)
        return;
    w->current = i;
    if (w->opt.verbose && w->playlist->len > 1)
        g_printerr(PLAYER_NAME ": playlist: %d of %u\n", i + 1, w->playlist->len);
    open_path(w, g_ptr_array_index(w->playlist, i));
    sync_playlist_buttons(w);
}

static gboolean next_idle_cb(gpointer data)
{
    player_window *w = data;
    w->next_idle = 0;
    if (!w->destroyed)
        play_index(w, w->current + 1);
    return G_SOURCE_REMOVE;
}

/* The player reached the end of a file: the next one starts (from an idle:
 * not inside the backend's own callback), or the player stops there. */
static bool on_file_ended(void *user)
{
    player_window *w = user;
    if (w->destroyed || w->current + 1 >= (int)w->playlist->len)
        return false;
    if (!w->next_idle)
        w->next_idle = g_idle_add_full(G_PRIORITY_DEFAULT, next_idle_cb, w, NULL);
    return true;
}

static void append_path(player_window *w, const char *path)
{
    g_ptr_array_add(w->playlist, g_strdup(path));
    sync_playlist_buttons(w);
    /* nothing playing (none yet, or the last one ended): it starts */
    if (w->current < 0 || (w->current == (int)w->playlist->len - 2 &&
                           player_at_end(w->player) && !player_is_playing(w->player)))
        play_index(w, (int)w->playlist->len - 1);
    else
        set_title(w, player_path(w->player));
}

void player_window_open(player_window *w, const char *path)
{
    g_ptr_array_set_size(w->playlist, 0);
    g_ptr_array_add(w->playlist, g_strdup(path));
    play_index(w, 0);
}

static void open_gfile(player_window *w, GFile *file)
{
    char *path = g_file_get_path(file);
    if (!path)
        path = g_file_get_uri(file); /* libavformat reads http:, ... */
    player_window_open(w, path);
    g_free(path);
}

static void on_chooser_response(GtkNativeDialog *d, int response, gpointer data)
{
    player_window *w = data;
    if (response == GTK_RESPONSE_ACCEPT) {
        GFile *f = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(d));
        if (f) {
            open_gfile(w, f);
            g_object_unref(f);
        }
    }
    g_clear_object(&w->chooser);
}

static void show_chooser(player_window *w)
{
    if (w->chooser)
        return;
    GtkFileChooserNative *n = gtk_file_chooser_native_new("Open a video", GTK_WINDOW(w->window),
                                                          GTK_FILE_CHOOSER_ACTION_OPEN, "_Open",
                                                          "_Cancel");
    GtkFileFilter *video = gtk_file_filter_new();
    gtk_file_filter_set_name(video, "Videos");
    gtk_file_filter_add_mime_type(video, "video/*");
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(n), video);
    g_object_unref(video);
    GtkFileFilter *all = gtk_file_filter_new();
    gtk_file_filter_set_name(all, "All files");
    gtk_file_filter_add_pattern(all, "*");
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(n), all);
    g_object_unref(all);
    w->chooser = GTK_NATIVE_DIALOG(n);
    g_signal_connect(n, "response", G_CALLBACK(on_chooser_response), w);
    gtk_native_dialog_show(w->chooser);
}

static gboolean on_drop(GtkDropTarget *t, const GValue *value, double x, double y, gpointer data)
{
    player_window *w = data;
    (void)t;
    (void)x;
    (void)y;
    if (!G_VALUE_HOLDS(value, GDK_TYPE_FILE_LIST))
        return FALSE;
    GSList *files = g_value_get_boxed(value);
    if (!files)
        return FALSE;
    /* dropped files join the playlist */
    for (GSList *l = files; l; l = l->next) {
        char *path = g_file_get_path(l->data);
        if (!path)
            path = g_file_get_uri(l->data);
        append_path(w, path);
        g_free(path);
    }
    return TRUE;
}

/* ---- the sample clip ------------------------------------------------------------------ */

static gboolean sample_done(gpointer data)
{
    player_window *w = data;
    w->sample_idle = 0;
    g_thread_join(w->sample_thread);
    w->sample_thread = NULL;
    if (w->sample_path) {
        player_window_open(w, w->sample_path);
    } else {
        player_fail(w->player, "%s", w->sample_error ? w->sample_error->message
                                                     : "cannot make the sample clip");
    }
    return G_SOURCE_REMOVE;
}

static gpointer sample_thread(gpointer data)
{
    player_window *w = data;
    w->sample_path = player_sample_ensure(&w->sample_cancel, &w->sample_error);
    w->sample_idle = g_idle_add_full(G_PRIORITY_DEFAULT, sample_done, w, NULL);
    return NULL;
}

static void start_sample(player_window *w)
{
    char *path = player_sample_path();
    if (g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        player_window_open(w, path);
        g_free(path);
        return;
    }
    char *text = g_strdup_printf("Preparing the sample clip…\n%s", path);
    show_message(w, text, false);
    g_free(text);
    g_free(path);
    set_title(w, NULL);
    w->sample_thread = g_thread_new("glvf-sample", sample_thread, w);
}

/* ---- input ---------------------------------------------------------------------------- */

/* ---- fullscreen controls ---------------------------------------------------------------- */

static void set_controls_hidden(player_window *w, bool hidden)
{
    if (w->controls_hidden == hidden)
        return;
    w->controls_hidden = hidden;
    gtk_widget_set_visible(w->controls, !hidden);
    /* the pointer goes with them */
    gtk_widget_set_cursor_from_name(w->overlay, hidden ? "none" : NULL);
    if (w->opt.verbose)
        g_printerr(PLAYER_NAME ": ui: controls %s\n", hidden ? "hidden" : "shown");
}

static gboolean hide_timer_cb(gpointer data);

/* Fullscreen and playing: the controls hide CONTROLS_HIDE_MS after the
 * last pointer motion (one timer, re-armed for the rest when motion came
 * meanwhile); otherwise they are shown and no timer runs. */
static void sync_controls(player_window *w)
{
    if (w->destroyed)
        return;
    bool autohide = w->controls_overlaid && player_is_open(w->player) &&
                    player_is_playing(w->player);
    if (!autohide) {
        if (w->hide_timer) {
            g_source_remove(w->hide_timer);
            w->hide_timer = 0;
        }
        set_controls_hidden(w, false);
        return;
    }
    if (w->controls_hidden || w->hide_timer)
        return;
    gint64 idle_ms = (g_get_monotonic_time() - w->last_motion_us) / 1000;
    if (idle_ms >= CONTROLS_HIDE_MS && !w->pointer_on_controls) {
        set_controls_hidden(w, true);
        return;
    }
    guint wait = idle_ms >= CONTROLS_HIDE_MS ? CONTROLS_HIDE_MS
                                             : (guint)(CONTROLS_HIDE_MS - idle_ms) + 1;
    w->hide_timer = g_timeout_add(wait, hide_timer_cb, w);
}

static gboolean hide_timer_cb(gpointer data)
{
    player_window *w = data;
    w->hide_timer = 0;
    sync_controls(w);
    return G_SOURCE_REMOVE;
}

static void on_motion(GtkEventControllerMotion *m, double x, double y, gpointer data)
{
    player_window *w = data;
    (void)m;
    /* GTK also reports "motion" when the layout moves under a still
     * pointer: only a real move counts */
    if (fabs(x - w->last_x) < 1 && fabs(y - w->last_y) < 1)
        return;
    w->last_x = x;
    w->last_y = y;
    w->last_motion_us = g_get_monotonic_time();
    if (!w->controls_overlaid)
        return;
    set_controls_hidden(w, false);
    sync_controls(w);
}

/* The pointer entering the window is motion too (the first event after it
 * comes from elsewhere) */
static void on_pointer_enter(GtkEventControllerMotion *m, double x, double y, gpointer data)
{
    on_motion(m, x, y, data);
}

static void on_controls_enter(GtkEventControllerMotion *m, double x, double y, gpointer data)
{
    (void)m;
    (void)x;
    (void)y;
    ((player_window *)data)->pointer_on_controls = true;
}

static void on_controls_leave(GtkEventControllerMotion *m, gpointer data)
{
    (void)m;
    player_window *w = data;
    w->pointer_on_controls = false;
    w->last_motion_us = g_get_monotonic_time();
    sync_controls(w);
}

/* Fullscreen: the controls float over the bottom of the video, which
 * keeps its size; windowed: below it. */
static void set_controls_overlaid(player_window *w, bool overlaid)
{
    if (w->controls_overlaid == overlaid)
        return;
    g_object_ref(w->controls);
    if (overlaid) {
        gtk_box_remove(GTK_BOX(w->vbox), w->controls);
        gtk_widget_set_valign(w->controls, GTK_ALIGN_END);
        gtk_widget_add_css_class(w->controls, "glvf-osd-controls");
        gtk_overlay_add_overlay(GTK_OVERLAY(w->overlay), w->controls);
    } else {
        gtk_overlay_remove_overlay(GTK_OVERLAY(w->overlay), w->controls);
        gtk_widget_remove_css_class(w->controls, "glvf-osd-controls");
        gtk_widget_set_valign(w->controls, GTK_ALIGN_FILL);
        gtk_box_append(GTK_BOX(w->vbox), w->controls);
    }
    g_object_unref(w->controls);
    w->controls_overlaid = overlaid;
    w->last_motion_us = g_get_monotonic_time();
    if (w->opt.verbose)
        g_printerr(PLAYER_NAME ": ui: fullscreen %s\n", overlaid ? "on" : "off");
    sync_controls(w);
}

/* ---- the shortcuts window -------------------------------------------------------------- */

static const char *shortcuts_ui =
        "<interface><object class='GtkShortcutsWindow' id='shortcuts'>"
        "<property name='modal'>1</property>"
        "<child><object class='GtkShortcutsSection'>"
        "<property name='section-name'>player</property>"
        "<child><object class='GtkShortcutsGroup'><property name='title'>Playback</property>"
#define SHORTCUT(accel, title)                                                                    \
    "<child><object class='GtkShortcutsShortcut'><property name='accelerator'>" accel             \
    "</property><property name='title'>" title "</property></object></child>"
        SHORTCUT("space", "Play / pause")
        SHORTCUT("Left Right", "Seek 5 s back / forward")
        SHORTCUT("&lt;Shift&gt;Left &lt;Shift&gt;Right", "Seek 1 s back / forward")
        SHORTCUT("period", "Next frame (paused)")
        SHORTCUT("comma", "Previous frame (paused)")
        SHORTCUT("9 0", "Volume down / up")
        SHORTCUT("m", "Mute")
        SHORTCUT("n p", "Next / previous file of the playlist")
        "</object></child>"
        "<child><object class='GtkShortcutsGroup'><property name='title'>Window</property>"
        SHORTCUT("f F11", "Fullscreen (also a double click on the video)")
        SHORTCUT("Escape", "Leave fullscreen")
        SHORTCUT("i", "Statistics")
        SHORTCUT("o &lt;Control&gt;o", "Open a file")
        SHORTCUT("question", "This window")
        SHORTCUT("q &lt;Control&gt;q &lt;Control&gt;w", "Quit")
#undef SHORTCUT
        "</object></child>"
        "</object></child></object></interface>";

/* The shortcuts window closed: the keyboard goes back to the player */
static void on_shortcuts_destroy(GtkWidget *win, gpointer data)
{
    (void)win;
    player_window *w = data;
    if (!w->destroyed)
        gtk_window_present(GTK_WINDOW(w->window));
}

static void show_shortcuts(player_window *w)
{
    if (w->shortcuts) {
        gtk_window_present(w->shortcuts);
        return;
    }
    GtkBuilder *b = gtk_builder_new_from_string(shortcuts_ui, -1);
    GtkWindow *win = GTK_WINDOW(gtk_builder_get_object(b, "shortcuts"));
    gtk_window_set_transient_for(win, GTK_WINDOW(w->window));
    gtk_window_set_hide_on_close(win, FALSE);
    w->shortcuts = win;
    g_object_add_weak_pointer(G_OBJECT(win), (gpointer *)&w->shortcuts);
    g_signal_connect(win, "destroy", G_CALLBACK(on_shortcuts_destroy), w);
    gtk_window_present(win);
    g_object_unref(b);
    if (w->opt.verbose)
        g_printerr(PLAYER_NAME ": ui: shortcuts window shown\n");
}

static void toggle_fullscreen(player_window *w)
{
    if (gtk_window_is_fullscreen(GTK_WINDOW(w->window)))
        gtk_window_unfullscreen(GTK_WINDOW(w->window));
    else
        gtk_window_fullscreen(GTK_WINDOW(w->window));
}

static void toggle_stats(player_window *w)
{
    gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(w->stats_button),
                                 !gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(w->stats_button)));
}

static gboolean on_key(GtkEventControllerKey *k, guint keyval, guint keycode,
                       GdkModifierType state, gpointer data)
{
    player_window *w = data;
    (void)k;
    (void)keycode;
    bool ctrl = state & GDK_CONTROL_MASK, shift = state & GDK_SHIFT_MASK;
    switch (keyval) {
    case GDK_KEY_space: player_toggle(w->player); break;
    case GDK_KEY_Left: player_seek_relative(w->player, -(shift ? SEEK_FINE_US : SEEK_STEP_US)); break;
    case GDK_KEY_Right: player_seek_relative(w->player, shift ? SEEK_FINE_US : SEEK_STEP_US); break;
    case GDK_KEY_period: player_step(w->player); break;
    case GDK_KEY_comma: player_step_back(w->player); break;
    case GDK_KEY_9:
    case GDK_KEY_KP_9:
        player_set_volume(w->player, player_get_volume(w->player) - VOLUME_STEP);
        break;
    case GDK_KEY_0:
    case GDK_KEY_KP_0:
        player_set_volume(w->player, player_get_volume(w->player) + VOLUME_STEP);
        break;
    case GDK_KEY_m:
    case GDK_KEY_M:
        if (ctrl)
            return FALSE;
        player_set_muted(w->player, !player_get_muted(w->player));
        break;
    case GDK_KEY_n:
    case GDK_KEY_N: play_index(w, w->current + 1); break;
    case GDK_KEY_p:
    case GDK_KEY_P: play_index(w, w->current - 1); break;
    case GDK_KEY_f:
    case GDK_KEY_F:
    case GDK_KEY_F11:
        if (ctrl)
            return FALSE;
        toggle_fullscreen(w);
        break;
    case GDK_KEY_Escape:
        if (!gtk_window_is_fullscreen(GTK_WINDOW(w->window)))
            return FALSE;
        gtk_window_unfullscreen(GTK_WINDOW(w->window));
        break;
    case GDK_KEY_i:
    case GDK_KEY_I: toggle_stats(w); break;
    case GDK_KEY_o:
    case GDK_KEY_O: show_chooser(w); break;
    case GDK_KEY_question: show_shortcuts(w); break;
    case GDK_KEY_q:
    case GDK_KEY_Q:
    case GDK_KEY_w:
        if (keyval == GDK_KEY_w && !ctrl)
            return FALSE;
        request_quit(w, PLAYER_EXIT_OK);
        break;
    default: return FALSE;
    }
    update_ui(w);
    return TRUE;
}

static void on_double_click(GtkGestureClick *g, int n_press, double x, double y, gpointer data)
{
    (void)g;
    (void)x;
    (void)y;
    if (n_press == 2)
        toggle_fullscreen(data);
}

static gboolean on_scale_change(GtkRange *r, GtkScrollType scroll, double value, gpointer data)
{
    player_window *w = data;
    (void)r;
    (void)scroll;
    player_seek(w->player, (int64_t)(value * 1e6));
    return FALSE; /* let the scale move */
}

static void on_play_clicked(GtkButton *b, gpointer data)
{
    (void)b;
    player_window *w = data;
    player_toggle(w->player);
    update_ui(w);
}

static void on_step_clicked(GtkButton *b, gpointer data)
{
    (void)b;
    player_step(((player_window *)data)->player);
}

static void on_prev_clicked(GtkButton *b, gpointer data)
{
    (void)b;
    player_window *w = data;
    play_index(w, w->current - 1);
}

static void on_next_clicked(GtkButton *b, gpointer data)
{
    (void)b;
    player_window *w = data;
    play_index(w, w->current + 1);
}

static void on_open_clicked(GtkButton *b, gpointer data)
{
    (void)b;
    show_chooser(data);
}

static void on_fullscreen_clicked(GtkButton *b, gpointer data)
{
    (void)b;
    toggle_fullscreen(data);
}

static void on_stats_toggled(GtkToggleButton *b, gpointer data)
{
    player_window *w = data;
    gtk_widget_set_visible(w->stats_label, gtk_toggle_button_get_active(b));
    update_ui(w);
}

static void on_fullscreened(GObject *o, GParamSpec *ps, gpointer data)
{
    (void)ps;
    player_window *w = data;
    set_controls_overlaid(w, gtk_window_is_fullscreen(GTK_WINDOW(o)));
}

static void on_destroy(GtkWidget *win, gpointer data)
{
    (void)win;
    player_window *w = data;
    w->destroyed = true;
    if (w->fit_tick) {
        gtk_widget_remove_tick_callback(w->window, w->fit_tick);
        w->fit_tick = 0;
    }
    if (w->ui_timer) {
        g_source_remove(w->ui_timer);
        w->ui_timer = 0;
    }
    if (w->hide_timer) {
        g_source_remove(w->hide_timer);
        w->hide_timer = 0;
    }
    stop_opening_timer(w);
    if (w->next_idle) {
        g_source_remove(w->next_idle);
        w->next_idle = 0;
    }
    sync_inhibit(w, false);
    if (w->shortcuts)
        gtk_window_destroy(w->shortcuts);
    if (w->quit_idle) {
        g_source_remove(w->quit_idle);
        w->quit_idle = 0;
    }
    if (w->chooser) {
        gtk_native_dialog_destroy(w->chooser);
        g_clear_object(&w->chooser);
    }
}

/* ---- construction --------------------------------------------------------------------- */

static GtkWidget *icon_button(const char *icon, const char *tooltip)
{
    GtkWidget *b = gtk_button_new_from_icon_name(icon);
    gtk_widget_set_tooltip_text(b, tooltip);
    gtk_widget_set_focus_on_click(b, FALSE);
    return b;
}

player_window *player_window_new(GtkApplication *app, const player_options *opt,
                                 const char *const *paths)
{
    player_window *w = g_new0(player_window, 1);
    w->playlist = g_ptr_array_new_with_free_func(g_free);
    w->current = -1;
    w->app = app;
    w->opt = *opt;

    static bool css_done;
    if (!css_done) {
        GtkCssProvider *prov = gtk_css_provider_new();
        gtk_css_provider_load_from_data(prov, css, -1);
        gtk_style_context_add_provider_for_display(gdk_display_get_default(),
                                                   GTK_STYLE_PROVIDER(prov),
                                                   GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
        g_object_unref(prov);
        css_done = true;
    }

    w->window = gtk_application_window_new(app);
    gtk_widget_add_css_class(w->window, "glvf-player");
    /* --size, else the default until the first video says its size */
    w->asked_w = opt->width > 0 ? opt->width : DEFAULT_WIDTH;
    w->asked_h = opt->height > 0 ? opt->height : DEFAULT_HEIGHT;
    w->size_fitted = opt->width > 0 || opt->height > 0;
    gtk_window_set_default_size(GTK_WINDOW(w->window), w->asked_w, w->asked_h);
    set_title(w, NULL);

    /* header bar */
    GtkWidget *header = gtk_header_bar_new();
    GtkWidget *open = icon_button("document-open-symbolic", "Open a video (o)");
    g_signal_connect(open, "clicked", G_CALLBACK(on_open_clicked), w);
    gtk_header_bar_pack_start(GTK_HEADER_BAR(header), open);
    w->fullscreen_button = icon_button("view-fullscreen-symbolic", "Fullscreen (f)");
    g_signal_connect(w->fullscreen_button, "clicked", G_CALLBACK(on_fullscreen_clicked), w);
    gtk_header_bar_pack_end(GTK_HEADER_BAR(header), w->fullscreen_button);
    w->stats_button = gtk_toggle_button_new();
    gtk_button_set_icon_name(GTK_BUTTON(w->stats_button), "dialog-information-symbolic");
    gtk_widget_set_tooltip_text(w->stats_button, "Statistics (i)");
    gtk_widget_set_focus_on_click(w->stats_button, FALSE);
    g_signal_connect(w->stats_button, "toggled", G_CALLBACK(on_stats_toggled), w);
    gtk_header_bar_pack_end(GTK_HEADER_BAR(header), w->stats_button);
    gtk_window_set_titlebar(GTK_WINDOW(w->window), header);

    /* video with overlays */
    if (opt->output == PLAYER_OUTPUT_AREA) {
        w->video = glvf_video_area_new();
        if (opt->screenshot)
            glvf_video_area_set_capture(GLVF_VIDEO_AREA(w->video), TRUE);
    } else {
        w->video = gtk_picture_new();
        gtk_picture_set_content_fit(GTK_PICTURE(w->video), GTK_CONTENT_FIT_CONTAIN);
        gtk_picture_set_can_shrink(GTK_PICTURE(w->video), TRUE);
    }
    gtk_widget_add_css_class(w->video, "glvf-video");
    gtk_widget_set_hexpand(w->video, TRUE);
    gtk_widget_set_vexpand(w->video, TRUE);
    w->overlay = gtk_overlay_new();
    gtk_overlay_set_child(GTK_OVERLAY(w->overlay), w->video);
    w->stats_label = gtk_label_new(NULL);
    gtk_widget_add_css_class(w->stats_label, "glvf-osd");
    gtk_widget_set_halign(w->stats_label, GTK_ALIGN_START);
    gtk_widget_set_valign(w->stats_label, GTK_ALIGN_START);
    gtk_label_set_xalign(GTK_LABEL(w->stats_label), 0);
    gtk_widget_set_can_target(w->stats_label, FALSE);
    gtk_widget_set_visible(w->stats_label, FALSE);
    gtk_overlay_add_overlay(GTK_OVERLAY(w->overlay), w->stats_label);
    /* in a small window the statistics are cut at the video's edge rather
     * than drawn over the controls */
    gtk_overlay_set_clip_overlay(GTK_OVERLAY(w->overlay), w->stats_label, TRUE);
    w->message_label = gtk_label_new(NULL);
    gtk_widget_add_css_class(w->message_label, "glvf-message");
    gtk_widget_set_halign(w->message_label, GTK_ALIGN_CENTER);
    gtk_widget_set_valign(w->message_label, GTK_ALIGN_CENTER);
    gtk_label_set_wrap(GTK_LABEL(w->message_label), TRUE);
    gtk_label_set_selectable(GTK_LABEL(w->message_label), FALSE);
    gtk_label_set_justify(GTK_LABEL(w->message_label), GTK_JUSTIFY_CENTER);
    gtk_widget_set_visible(w->message_label, FALSE);
    gtk_overlay_add_overlay(GTK_OVERLAY(w->overlay), w->message_label);
    GtkGesture *click = gtk_gesture_click_new();
    g_signal_connect(click, "pressed", G_CALLBACK(on_double_click), w);
    gtk_widget_add_controller(w->overlay, GTK_EVENT_CONTROLLER(click));

    /* controls */
    w->controls = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    gtk_widget_set_margin_start(w->controls, 6);
    gtk_widget_set_margin_end(w->controls, 6);
    gtk_widget_set_margin_top(w->controls, 4);
    gtk_widget_set_margin_bottom(w->controls, 4);
    w->play_button = icon_button("media-playback-pause-symbolic", "Play/pause (space)");
    g_signal_connect(w->play_button, "clicked", G_CALLBACK(on_play_clicked), w);
    w->step_button = icon_button("media-skip-forward-symbolic", "Next frame (.)");
    g_signal_connect(w->step_button, "clicked", G_CALLBACK(on_step_clicked), w);
    w->scale = gtk_scale_new_with_range(GTK_ORIENTATION_HORIZONTAL, 0, 1, 1);
    gtk_scale_set_draw_value(GTK_SCALE(w->scale), FALSE);
    gtk_widget_set_hexpand(w->scale, TRUE);
    gtk_widget_set_focus_on_click(w->scale, FALSE);
    g_signal_connect(w->scale, "change-value", G_CALLBACK(on_scale_change), w);
    w->time_label = gtk_label_new("0:00.0 / 0:00.0");
    gtk_widget_add_css_class(w->time_label, "glvf-time");
    /* fixed width ("10:00.0 / 10:00.0"), tabular digits (CSS): a new text
     * never changes the label's size */
    gtk_label_set_width_chars(GTK_LABEL(w->time_label), 17);
    gtk_label_set_xalign(GTK_LABEL(w->time_label), 1);
    w->prev_button = icon_button("media-skip-backward-symbolic", "Previous file (p)");
    g_signal_connect(w->prev_button, "clicked", G_CALLBACK(on_prev_clicked), w);
    w->next_button = icon_button("go-next-symbolic", "Next file (n)");
    g_signal_connect(w->next_button, "clicked", G_CALLBACK(on_next_clicked), w);
    gtk_box_append(GTK_BOX(w->controls), w->prev_button);
    gtk_box_append(GTK_BOX(w->controls), w->play_button);
    gtk_box_append(GTK_BOX(w->controls), w->step_button);
    gtk_box_append(GTK_BOX(w->controls), w->next_button);
    gtk_box_append(GTK_BOX(w->controls), w->scale);
    gtk_box_append(GTK_BOX(w->controls), w->time_label);
    static const char *volume_icons[] = { "audio-volume-muted-symbolic",
                                          "audio-volume-high-symbolic",
                                          "audio-volume-low-symbolic",
                                          "audio-volume-medium-symbolic", NULL };
    w->volume_button = gtk_scale_button_new(0.0, 1.0, 0.05, volume_icons);
    gtk_widget_set_focus_on_click(w->volume_button, FALSE);
    w->volume_shown = -1;
    w->muted_shown = w->audio_shown = -1;
    g_signal_connect(w->volume_button, "value-changed", G_CALLBACK(on_volume_changed), w);
    gtk_box_append(GTK_BOX(w->controls), w->volume_button);

    w->vbox = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    gtk_box_append(GTK_BOX(w->vbox), w->overlay);
    gtk_box_append(GTK_BOX(w->vbox), w->controls);
    gtk_window_set_child(GTK_WINDOW(w->window), w->vbox);
    GtkEventController *over_controls = gtk_event_controller_motion_new();
    g_signal_connect(over_controls, "enter", G_CALLBACK(on_controls_enter), w);
    g_signal_connect(over_controls, "leave", G_CALLBACK(on_controls_leave), w);
    gtk_widget_add_controller(w->controls, over_controls);

    /* input */
    GtkEventController *keys = gtk_event_controller_key_new();
    gtk_event_controller_set_propagation_phase(keys, GTK_PHASE_CAPTURE);
    g_signal_connect(keys, "key-pressed", G_CALLBACK(on_key), w);
    gtk_widget_add_controller(w->window, keys);
    GtkEventController *motion = gtk_event_controller_motion_new();
    g_signal_connect(motion, "motion", G_CALLBACK(on_motion), w);
    g_signal_connect(motion, "enter", G_CALLBACK(on_pointer_enter), w);
    gtk_widget_add_controller(w->window, motion);
    GtkDropTarget *drop = gtk_drop_target_new(GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
    g_signal_connect(drop, "drop", G_CALLBACK(on_drop), w);
    gtk_widget_add_controller(w->window, GTK_EVENT_CONTROLLER(drop));
    g_signal_connect(w->window, "notify::fullscreened", G_CALLBACK(on_fullscreened), w);
    g_signal_connect(w->window, "destroy", G_CALLBACK(on_destroy), w);
    g_signal_connect(w->window, "close-request", G_CALLBACK(on_close_request), w);

    if (opt->output == PLAYER_OUTPUT_AREA)
        w->player = player_new_area(GLVF_VIDEO_AREA(w->video), opt, on_player_event, w);
    else
        w->player = player_new_stream(GTK_PICTURE(w->video), opt, on_player_event, w);
    w->scale_upper = -1;
    player_set_on_ended(w->player, on_file_ended, w);
    for (int i = 0; paths && paths[i]; i++)
        g_ptr_array_add(w->playlist, g_strdup(paths[i]));
    sync_playlist_buttons(w);

    if (w->playlist->len)
        play_index(w, 0);
    else
        start_sample(w);
    if (opt->fullscreen)
        gtk_window_fullscreen(GTK_WINDOW(w->window));
    gtk_window_present(GTK_WINDOW(w->window));
    return w;
}

int player_window_exit_status(const player_window *w)
{
    return w->exit_status;
}

void player_window_get_stats(player_window *w, player_stats *out)
{
    player_get_stats(w->player, out);
    out->window_w = w->final_window_w;
    out->window_h = w->final_window_h;
    out->video_w = w->final_video_w;
    out->video_h = w->final_video_h;
    out->display_w = w->display_w;
    out->display_h = w->display_h;
}

void player_window_free(player_window *w)
{
    if (!w)
        return;
    if (w->sample_thread) { /* the window closed while the clip was being made */
        g_atomic_int_set(&w->sample_cancel, 1);
        g_thread_join(w->sample_thread);
        w->sample_thread = NULL;
    }
    if (w->sample_idle)
        g_source_remove(w->sample_idle);
    player_free(w->player);
    g_free(w->sample_path);
    g_clear_error(&w->sample_error);
    g_ptr_array_unref(w->playlist);
    g_free(w);
}
