/*
 * glvf-player --wall FILE...: the files as a grid of tiles, each a
 * GlvfMediaStream in a GtkPicture, all set on one GlvfVideoWorker: one GL
 * context, one glvf_context and one texture pool convert every tile (each
 * stream keeps its own decoder and pacing thread, which make no GL call).
 *
 *   grid    a homogeneous GtkGrid, ceil(sqrt(n)) columns; every tile plays
 *           muted (its stream opens without sound: no audio decoding, the
 *           video clock) and starts again at its end. A file that cannot
 *           be played shows its error in its tile; the others play on.
 *   alone   a click on a playing tile plays that file alone in the whole
 *           window, with sound as the single-file player has it: a new
 *           GlvfMediaStream (on the same worker) from the tile's position;
 *           the other tiles pause. A click or Escape goes back to the grid:
 *           that stream is dropped (what it held goes back to the shared
 *           pool) and the tiles play on.
 *
 * Keys: Escape back to the grid, space pause/play everything, f/F11
 * fullscreen, q quit.
 *
 * Automation: with --frames N (30 when only --screenshot is given) the
 * window closes once every tile that plays has shown N frames (at once
 * when none can play); --screenshot writes the grid as shown: each tile's
 * picture (read back from its texture) placed where the tile is, an
 * error tile dark red. --stats: a line per tile, then the shared worker's
 * figures (main.c adds what the workers left at exit).
 *
 * GLVF_PLAYER_WALL_SHARED=0 in the environment gives each stream its own
 * worker (thread, GL context, glvf_context, pool) instead: for measuring
 * what the sharing saves.
 *
 * --output area cannot make a wall: each GlvfVideoArea is a GtkGLArea with
 * its own GdkGLContext (GTK's, current on the main thread), so the tiles
 * would have a glvf_context each. main.c refuses the combination.
 */
#include "player.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define WALL_DEFAULT_WIDTH 960
#define WALL_DEFAULT_HEIGHT 600
#define WALL_SCREENSHOT_FRAMES 30 /* --screenshot without --frames */
#define WALL_POLL_MS 50           /* automation: how often the tiles are looked at */

typedef struct wall_tile {
    player_wall *wall;
    int index;
    char *path;
    GtkMediaStream *ms;
    GtkWidget *overlay, *picture, *label;
    bool failed;
    char *error;
    player_wall_tile_stats final;
} wall_tile;

struct player_wall {
    GtkApplication *app;
    player_options opt;
    GlvfVideoWorker *worker;   /* NULL: each stream its own (GLVF_PLAYER_WALL_SHARED=0) */
    GtkWidget *window, *stack, *grid, *alone_picture;
    GPtrArray *tiles;          /* wall_tile * */
    int cols, rows;
    int alone;                 /* the tile playing alone, or -1 */
    GtkMediaStream *alone_ms;  /* its stream (sound) */
    int64_t alone_from_us;     /* where it starts */
    uint64_t alone_frames;     /* shown by the last one, when it went */
    bool paused;               /* space: every tile */
    guint poll_timer;
    guint quit_idle;
    bool destroyed;
    int exit_status;
    int frames;                /* automation's frame count (0: none) */
    guint max_paintables;      /* most paintables seen on the worker at once */
    GlvfVideoWorkerStats worker_final;
    GdkSurface *surface;       /* the window's while realized: the streams are
                                  realized with it (scale; GL let go at unrealize) */
};

static void wlog(player_wall *w, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void wlog(player_wall *w, const char *fmt, ...)
{
    if (!w->opt.verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_printerr(PLAYER_NAME ": wall: %s\n", msg);
    g_free(msg);
}

/* The streams' glvf messages: warnings and errors on stderr, the rest with
 * --verbose (as the single-file player does). Any thread. */
static bool verbose_log;
static void wall_glvf_log(void *user, glvf_log_level level, const char *msg)
{
    (void)user;
    if (level <= GLVF_LOG_WARN || verbose_log)
        g_printerr(PLAYER_NAME ": glvf: %s\n", msg);
}

static void tile_stats(wall_tile *t, player_wall_tile_stats *out)
{
    memset(out, 0, sizeof *out);
    out->failed = t->failed;
    g_strlcpy(out->error, t->error ? t->error : "", sizeof out->error);
    if (!t->ms)
        return;
    GlvfMediaStreamStats st;
    glvf_media_stream_get_stats(GLVF_MEDIA_STREAM(t->ms), &st);
    out->presented = st.frames_shown;
    out->dropped = st.frames_dropped;
    out->late = st.paintable.frames_late;
    out->replaced = st.paintable.frames_replaced;
    out->painted = st.paintable.frames_painted;
    out->decoded = st.frames_decoded;
    out->upload_failures = st.paintable.upload_failures;
    out->texture_w = st.paintable.texture_width;
    out->texture_h = st.paintable.texture_height;
}

/* ---- automation ------------------------------------------------------------------ */

/* A texture's pixels placed, fitted (aspect kept, nearest sample), in the
 * rectangle (x, y, rw, rh) of a B8G8R8A8 image `dst` of width dw. */
static void blit_fit(guchar *dst, int dw, int dh, GdkTexture *t, int x, int y, int rw, int rh)
{
    int tw = gdk_texture_get_width(t), th = gdk_texture_get_height(t);
    if (tw <= 0 || th <= 0 || rw <= 0 || rh <= 0)
        return;
    guchar *px = g_malloc((gsize)tw * th * 4);
    gdk_texture_download(t, px, (gsize)tw * 4);
    double s = MIN((double)rw / tw, (double)rh / th);
    int fw = MAX(1, (int)(tw * s + 0.5)), fh = MAX(1, (int)(th * s + 0.5));
    int ox = x + (rw - fw) / 2, oy = y + (rh - fh) / 2;
    for (int j = 0; j < fh; j++) {
        int dy = oy + j;
        if (dy < 0 || dy >= dh)
            continue;
        int sy = MIN(th - 1, (int)(j / s));
        for (int i = 0; i < fw; i++) {
            int dx = ox + i;
            if (dx < 0 || dx >= dw)
                continue;
            int sx = MIN(tw - 1, (int)(i / s));
            memcpy(dst + ((gsize)dy * dw + dx) * 4, px + ((gsize)sy * tw + sx) * 4, 4);
        }
    }
    g_free(px);
}

static void fill(guchar *dst, int dw, int dh, int x, int y, int rw, int rh, guchar r, guchar g,
                 guchar b)
{
    for (int j = MAX(0, y); j < MIN(dh, y + rh); j++)
        for (int i = MAX(0, x); i < MIN(dw, x + rw); i++) {
            guchar *p = dst + ((gsize)j * dw + i) * 4;
            p[0] = b; /* GDK_MEMORY_DEFAULT: B8G8R8A8 premultiplied */
            p[1] = g;
            p[2] = r;
            p[3] = 255;
        }
}

/* The grid as shown, composed on the CPU from each tile's texture (its
 * paintable's read-back: no main-thread drawing of the window). */
static GdkTexture *grid_screenshot(player_wall *w)
{
    int gw = gtk_widget_get_width(w->grid), gh = gtk_widget_get_height(w->grid);
    if (gw <= 0 || gh <= 0)
        return NULL;
    guchar *img = g_malloc0((gsize)gw * gh * 4);
    fill(img, gw, gh, 0, 0, gw, gh, 0, 0, 0);
    bool any = false;
    for (guint i = 0; i < w->tiles->len; i++) {
        wall_tile *t = g_ptr_array_index(w->tiles, i);
        graphene_rect_t r;
        if (!gtk_widget_compute_bounds(t->overlay, w->grid, &r))
            continue;
        int x = (int)r.origin.x, y = (int)r.origin.y;
        int rw = (int)r.size.width, rh = (int)r.size.height;
        if (t->failed) {
            fill(img, gw, gh, x, y, rw, rh, 130, 20, 20);
            continue;
        }
        GdkTexture *tex = t->ms ? glvf_video_paintable_get_texture(
                                          glvf_media_stream_get_paintable(GLVF_MEDIA_STREAM(t->ms)))
                                : NULL;
        if (tex) {
            blit_fit(img, gw, gh, tex, x, y, rw, rh);
            g_object_unref(tex);
            any = true;
        }
    }
    if (!any) {
        g_free(img);
        return NULL;
    }
    GBytes *bytes = g_bytes_new_take(img, (gsize)gw * gh * 4);
    GdkTexture *out = gdk_memory_texture_new(gw, gh, GDK_MEMORY_DEFAULT, bytes, (gsize)gw * 4);
    g_bytes_unref(bytes);
    return out;
}

static void remember(player_wall *w)
{
    for (guint i = 0; i < w->tiles->len; i++) {
        wall_tile *t = g_ptr_array_index(w->tiles, i);
        tile_stats(t, &t->final);
    }
    if (w->worker)
        glvf_video_worker_get_stats(w->worker, &w->worker_final);
    w->max_paintables = MAX(w->max_paintables, w->worker_final.paintables);
}

static gboolean quit_idle_cb(gpointer data)
{
    player_wall *w = data;
    w->quit_idle = 0;
    if (w->destroyed)
        return G_SOURCE_REMOVE;
    if (w->opt.screenshot && w->exit_status == PLAYER_EXIT_OK) {
        if (!player_write_screenshot(grid_screenshot(w), w->opt.screenshot, "shown"))
            w->exit_status = PLAYER_EXIT_FAILURE;
    }
    gtk_window_destroy(GTK_WINDOW(w->window));
    return G_SOURCE_REMOVE;
}

static void request_quit(player_wall *w, int status)
{
    if (status != PLAYER_EXIT_OK)
        w->exit_status = status;
    if (!w->quit_idle && !w->destroyed)
        w->quit_idle = g_idle_add_full(G_PRIORITY_DEFAULT, quit_idle_cb, w, NULL);
}

/* Automation: every tile that plays has shown the frames asked for. */
static gboolean poll_cb(gpointer data)
{
    player_wall *w = data;
    GlvfVideoWorkerStats ws = { 0 };
    if (w->worker)
        glvf_video_worker_get_stats(w->worker, &ws);
    w->max_paintables = MAX(w->max_paintables, ws.paintables);
    if (!w->frames || w->alone >= 0)
        return G_SOURCE_CONTINUE;
    guint playing = 0, done = 0;
    for (guint i = 0; i < w->tiles->len; i++) {
        wall_tile *t = g_ptr_array_index(w->tiles, i);
        if (t->failed)
            continue;
        playing++;
        player_wall_tile_stats s;
        tile_stats(t, &s);
        if (s.presented >= (uint64_t)w->frames && s.painted > 0)
            done++;
    }
    if (playing == 0) {
        request_quit(w, PLAYER_EXIT_FAILURE); /* nothing can play */
        w->poll_timer = 0;
        return G_SOURCE_REMOVE;
    }
    if (done == playing) {
        wlog(w, "every tile showed %d frames", w->frames);
        request_quit(w, PLAYER_EXIT_OK);
        w->poll_timer = 0;
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

/* ---- the tiles ------------------------------------------------------------------- */

static void tile_play(wall_tile *t, bool play)
{
    if (!t->ms || t->failed || !gtk_media_stream_is_prepared(t->ms))
        return;
    if (play)
        gtk_media_stream_play(t->ms);
    else
        gtk_media_stream_pause(t->ms);
}

static void on_tile_prepared(GObject *obj, GParamSpec *ps, gpointer data)
{
    (void)ps;
    wall_tile *t = data;
    GtkMediaStream *ms = GTK_MEDIA_STREAM(obj);
    if (!gtk_media_stream_is_prepared(ms))
        return;
    wlog(t->wall, "tile %d playing %s", t->index, t->path);
    if (!t->wall->paused && t->wall->alone < 0)
        gtk_media_stream_play(ms);
}

static void on_tile_error(GObject *obj, GParamSpec *ps, gpointer data)
{
    (void)ps;
    wall_tile *t = data;
    const GError *e = gtk_media_stream_get_error(GTK_MEDIA_STREAM(obj));
    if (!e || t->failed)
        return;
    t->failed = true;
    g_free(t->error);
    t->error = g_strdup(e->message);
    char *base = g_path_get_basename(t->path);
    char *text = g_strdup_printf("%s\n%s", base, e->message);
    gtk_label_set_text(GTK_LABEL(t->label), text);
    gtk_widget_set_visible(t->label, TRUE);
    g_printerr(PLAYER_NAME ": tile %d: %s\n", t->index, e->message);
    g_free(text);
    g_free(base);
}

/* The wall loops: a tile that ended starts again. */
static void on_tile_ended(GObject *obj, GParamSpec *ps, gpointer data)
{
    (void)ps;
    wall_tile *t = data;
    GtkMediaStream *ms = GTK_MEDIA_STREAM(obj);
    if (!gtk_media_stream_get_ended(ms) || t->failed)
        return;
    gtk_media_stream_seek(ms, 0);
    if (!t->wall->paused && t->wall->alone < 0)
        gtk_media_stream_play(ms);
}

static void show_grid(player_wall *w);
static void play_alone(player_wall *w, int index);

static void on_tile_click(GtkGestureClick *g, int n_press, double x, double y, gpointer data)
{
    (void)g;
    (void)x;
    (void)y;
    wall_tile *t = data;
    if (n_press == 1)
        play_alone(t->wall, t->index);
}

static wall_tile *tile_new(player_wall *w, int index, const char *path)
{
    wall_tile *t = g_new0(wall_tile, 1);
    t->wall = w;
    t->index = index;
    t->path = g_strdup(path);
    t->ms = player_is_url(path) ? glvf_media_stream_new_for_uri(path, PLAYER_URL_PROTOCOLS,
                                                                  w->opt.network_timeout_ms)
                                : glvf_media_stream_new_for_filename(path);
    GlvfMediaStream *gms = GLVF_MEDIA_STREAM(t->ms);
    glvf_video_paintable_set_log(glvf_media_stream_get_paintable(gms), wall_glvf_log, NULL);
    if (w->worker)
        glvf_media_stream_set_worker(gms, w->worker);
    /* tiles are muted: no sound opened at all */
    glvf_media_stream_set_audio_enabled(gms, FALSE);
    g_signal_connect(t->ms, "notify::prepared", G_CALLBACK(on_tile_prepared), t);
    g_signal_connect(t->ms, "notify::error", G_CALLBACK(on_tile_error), t);
    g_signal_connect(t->ms, "notify::ended", G_CALLBACK(on_tile_ended), t);

    t->picture = gtk_picture_new_for_paintable(GDK_PAINTABLE(t->ms));
    gtk_picture_set_can_shrink(GTK_PICTURE(t->picture), TRUE);
    gtk_picture_set_content_fit(GTK_PICTURE(t->picture), GTK_CONTENT_FIT_CONTAIN);
    gtk_widget_add_css_class(t->picture, "glvf-video");
    t->label = gtk_label_new("");
    gtk_label_set_wrap(GTK_LABEL(t->label), TRUE);
    gtk_label_set_justify(GTK_LABEL(t->label), GTK_JUSTIFY_CENTER);
    gtk_widget_add_css_class(t->label, "glvf-tile-error");
    gtk_widget_set_visible(t->label, FALSE);
    t->overlay = gtk_overlay_new();
    gtk_overlay_set_child(GTK_OVERLAY(t->overlay), t->picture);
    gtk_overlay_add_overlay(GTK_OVERLAY(t->overlay), t->label);
    gtk_widget_set_hexpand(t->overlay, TRUE);
    gtk_widget_set_vexpand(t->overlay, TRUE);
    gtk_widget_add_css_class(t->overlay, "glvf-tile");
    GtkGesture *click = gtk_gesture_click_new();
    g_signal_connect(click, "released", G_CALLBACK(on_tile_click), t);
    gtk_widget_add_controller(t->overlay, GTK_EVENT_CONTROLLER(click));
    return t;
}

static void tile_free(gpointer data)
{
    wall_tile *t = data;
    if (t->ms && t->wall->surface)
        gtk_media_stream_unrealize(t->ms, t->wall->surface);
    if (t->ms) {
        g_signal_handlers_disconnect_by_data(t->ms, t);
        gtk_media_stream_pause(t->ms);
        g_clear_object(&t->ms);
    }
    g_free(t->path);
    g_free(t->error);
    g_free(t);
}

/* ---- alone and back ------------------------------------------------------------ */

static void on_alone_prepared(GObject *obj, GParamSpec *ps, gpointer data)
{
    (void)ps;
    player_wall *w = data;
    GtkMediaStream *ms = GTK_MEDIA_STREAM(obj);
    if (ms != w->alone_ms || !gtk_media_stream_is_prepared(ms))
        return;
    if (w->alone_from_us > 0 && gtk_media_stream_is_seekable(ms))
        gtk_media_stream_seek(ms, w->alone_from_us);
    gtk_media_stream_play(ms);
}

static void on_alone_error(GObject *obj, GParamSpec *ps, gpointer data)
{
    (void)ps;
    player_wall *w = data;
    const GError *e = gtk_media_stream_get_error(GTK_MEDIA_STREAM(obj));
    if (e)
        g_printerr(PLAYER_NAME ": %s\n", e->message);
    (void)w;
}

static void drop_alone(player_wall *w)
{
    if (!w->alone_ms)
        return;
    GlvfMediaStreamStats st;
    glvf_media_stream_get_stats(GLVF_MEDIA_STREAM(w->alone_ms), &st);
    w->alone_frames = st.frames_shown;
    g_signal_handlers_disconnect_by_data(w->alone_ms, w);
    gtk_media_stream_pause(w->alone_ms);
    if (w->surface)
        gtk_media_stream_unrealize(w->alone_ms, w->surface);
    gtk_picture_set_paintable(GTK_PICTURE(w->alone_picture), NULL);
    g_clear_object(&w->alone_ms); /* its worker detaches; its textures return to the pool */
}

static void play_alone(player_wall *w, int index)
{
    wall_tile *t = g_ptr_array_index(w->tiles, index);
    if (t->failed || w->alone >= 0)
        return;
    w->alone = index;
    w->alone_from_us = t->ms ? gtk_media_stream_get_timestamp(t->ms) : 0;
    for (guint i = 0; i < w->tiles->len; i++)
        tile_play(g_ptr_array_index(w->tiles, i), false);
    w->alone_ms = player_is_url(t->path)
                          ? glvf_media_stream_new_for_uri(t->path, PLAYER_URL_PROTOCOLS,
                                                          w->opt.network_timeout_ms)
                          : glvf_media_stream_new_for_filename(t->path);
    GlvfMediaStream *gms = GLVF_MEDIA_STREAM(w->alone_ms);
    glvf_video_paintable_set_log(glvf_media_stream_get_paintable(gms), wall_glvf_log, NULL);
    if (w->worker)
        glvf_media_stream_set_worker(gms, w->worker);
    glvf_media_stream_set_audio_enabled(gms, !w->opt.no_audio);
    gtk_media_stream_set_volume(w->alone_ms, w->opt.volume / 100.0);
    g_signal_connect(w->alone_ms, "notify::prepared", G_CALLBACK(on_alone_prepared), w);
    g_signal_connect(w->alone_ms, "notify::error", G_CALLBACK(on_alone_error), w);
    gtk_picture_set_paintable(GTK_PICTURE(w->alone_picture), GDK_PAINTABLE(w->alone_ms));
    if (w->surface)
        gtk_media_stream_realize(w->alone_ms, w->surface);
    gtk_stack_set_visible_child_name(GTK_STACK(w->stack), "alone");
    wlog(w, "tile %d alone (%s from %.3f s)", index, t->path, w->alone_from_us / 1e6);
}

static void show_grid(player_wall *w)
{
    if (w->alone < 0)
        return;
    int was = w->alone;
    drop_alone(w);
    w->alone = -1;
    gtk_stack_set_visible_child_name(GTK_STACK(w->stack), "grid");
    if (!w->paused)
        for (guint i = 0; i < w->tiles->len; i++)
            tile_play(g_ptr_array_index(w->tiles, i), true);
    wlog(w, "grid (tile %d showed %llu frames alone)", was,
         (unsigned long long)w->alone_frames);
}

static void on_alone_click(GtkGestureClick *g, int n_press, double x, double y, gpointer data)
{
    (void)g;
    (void)x;
    (void)y;
    if (n_press == 1)
        show_grid(data);
}

static gboolean on_key(GtkEventControllerKey *c, guint keyval, guint code, GdkModifierType mods,
                       gpointer data)
{
    (void)c;
    (void)code;
    player_wall *w = data;
    if (mods & (GDK_CONTROL_MASK | GDK_ALT_MASK))
        return keyval == GDK_KEY_q && (mods & GDK_CONTROL_MASK)
                       ? (request_quit(w, PLAYER_EXIT_OK), TRUE)
                       : FALSE;
    switch (keyval) {
    case GDK_KEY_Escape:
        if (w->alone >= 0)
            show_grid(w);
        else if (gtk_window_is_fullscreen(GTK_WINDOW(w->window)))
            gtk_window_unfullscreen(GTK_WINDOW(w->window));
        return TRUE;
    case GDK_KEY_q:
        request_quit(w, PLAYER_EXIT_OK);
        return TRUE;
    case GDK_KEY_space:
        if (w->alone >= 0) {
            if (w->alone_ms && gtk_media_stream_get_playing(w->alone_ms))
                gtk_media_stream_pause(w->alone_ms);
            else if (w->alone_ms)
                gtk_media_stream_play(w->alone_ms);
            return TRUE;
        }
        w->paused = !w->paused;
        for (guint i = 0; i < w->tiles->len; i++)
            tile_play(g_ptr_array_index(w->tiles, i), !w->paused);
        wlog(w, "%s", w->paused ? "paused" : "playing");
        return TRUE;
    case GDK_KEY_f:
    case GDK_KEY_F11:
        if (gtk_window_is_fullscreen(GTK_WINDOW(w->window)))
            gtk_window_unfullscreen(GTK_WINDOW(w->window));
        else
            gtk_window_fullscreen(GTK_WINDOW(w->window));
        return TRUE;
    default:
        return FALSE;
    }
}

/* ---- the window ------------------------------------------------------------------ */

static const char *css = ".glvf-video { background-color: black; }"
                         ".glvf-tile { background-color: black; }"
                         ".glvf-tile-error { background-color: rgba(130,20,20,0.9); color: white;"
                         "  padding: 8px; }";

static void on_realize(GtkWidget *win, gpointer data)
{
    player_wall *w = data;
    w->surface = g_object_ref(gtk_native_get_surface(GTK_NATIVE(win)));
    for (guint i = 0; i < w->tiles->len; i++) {
        wall_tile *t = g_ptr_array_index(w->tiles, i);
        if (t->ms)
            gtk_media_stream_realize(t->ms, w->surface);
    }
    if (w->alone_ms)
        gtk_media_stream_realize(w->alone_ms, w->surface);
}

static void on_unrealize(GtkWidget *win, gpointer data)
{
    (void)win;
    player_wall *w = data;
    if (!w->surface)
        return;
    for (guint i = 0; i < w->tiles->len; i++) {
        wall_tile *t = g_ptr_array_index(w->tiles, i);
        if (t->ms)
            gtk_media_stream_unrealize(t->ms, w->surface);
    }
    if (w->alone_ms)
        gtk_media_stream_unrealize(w->alone_ms, w->surface);
    g_clear_object(&w->surface);
}

static void on_destroy(GtkWidget *win, gpointer data)
{
    (void)win;
    player_wall *w = data;
    remember(w);
    w->destroyed = true;
    if (w->poll_timer) {
        g_source_remove(w->poll_timer);
        w->poll_timer = 0;
    }
    if (w->quit_idle) {
        g_source_remove(w->quit_idle);
        w->quit_idle = 0;
    }
    drop_alone(w);
}

player_wall *player_wall_new(GtkApplication *app, const player_options *opt,
                             const char *const *paths)
{
    player_wall *w = g_new0(player_wall, 1);
    w->app = app;
    w->opt = *opt;
    w->alone = -1;
    verbose_log = opt->verbose;
    w->frames = opt->frames ? opt->frames : opt->screenshot ? WALL_SCREENSHOT_FRAMES : 0;
    /* GLVF_PLAYER_WALL_SHARED=0: each stream its own worker and context, to
     * measure what sharing saves */
    const char *shared = g_getenv("GLVF_PLAYER_WALL_SHARED");
    if (!shared || strcmp(shared, "0")) {
        w->worker = glvf_video_worker_new(NULL);
        glvf_video_worker_set_log(w->worker, wall_glvf_log, NULL);
    }
    w->tiles = g_ptr_array_new_with_free_func(tile_free);
    int n = 0;
    while (paths && paths[n])
        n++;
    w->cols = MAX(1, (int)ceil(sqrt((double)n)));
    w->rows = MAX(1, (n + w->cols - 1) / w->cols);

    GtkCssProvider *provider = gtk_css_provider_new();
    gtk_css_provider_load_from_data(provider, css, -1);
    gtk_style_context_add_provider_for_display(gdk_display_get_default(),
                                               GTK_STYLE_PROVIDER(provider),
                                               GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
    g_object_unref(provider);

    w->window = gtk_application_window_new(app);
    char *title = g_strdup_printf("%s — wall of %d", PLAYER_NAME, n);
    gtk_window_set_title(GTK_WINDOW(w->window), title);
    g_free(title);
    gtk_window_set_default_size(GTK_WINDOW(w->window),
                                opt->width ? opt->width : WALL_DEFAULT_WIDTH,
                                opt->height ? opt->height : WALL_DEFAULT_HEIGHT);
    w->grid = gtk_grid_new();
    gtk_grid_set_row_homogeneous(GTK_GRID(w->grid), TRUE);
    gtk_grid_set_column_homogeneous(GTK_GRID(w->grid), TRUE);
    for (int i = 0; i < n; i++) {
        wall_tile *t = tile_new(w, i, paths[i]);
        g_ptr_array_add(w->tiles, t);
        gtk_grid_attach(GTK_GRID(w->grid), t->overlay, i % w->cols, i / w->cols, 1, 1);
    }
    w->alone_picture = gtk_picture_new();
    gtk_picture_set_can_shrink(GTK_PICTURE(w->alone_picture), TRUE);
    gtk_widget_add_css_class(w->alone_picture, "glvf-video");
    GtkGesture *click = gtk_gesture_click_new();
    g_signal_connect(click, "released", G_CALLBACK(on_alone_click), w);
    gtk_widget_add_controller(w->alone_picture, GTK_EVENT_CONTROLLER(click));
    w->stack = gtk_stack_new();
    gtk_stack_add_named(GTK_STACK(w->stack), w->grid, "grid");
    gtk_stack_add_named(GTK_STACK(w->stack), w->alone_picture, "alone");
    gtk_stack_set_visible_child_name(GTK_STACK(w->stack), "grid");
    gtk_window_set_child(GTK_WINDOW(w->window), w->stack);
    GtkEventController *keys = gtk_event_controller_key_new();
    gtk_event_controller_set_propagation_phase(keys, GTK_PHASE_CAPTURE);
    g_signal_connect(keys, "key-pressed", G_CALLBACK(on_key), w);
    gtk_widget_add_controller(w->window, keys);
    g_signal_connect(w->window, "realize", G_CALLBACK(on_realize), w);
    g_signal_connect(w->window, "unrealize", G_CALLBACK(on_unrealize), w);
    g_signal_connect(w->window, "destroy", G_CALLBACK(on_destroy), w);
    if (opt->fullscreen)
        gtk_window_fullscreen(GTK_WINDOW(w->window));
    w->poll_timer = g_timeout_add(WALL_POLL_MS, poll_cb, w);
    gtk_window_present(GTK_WINDOW(w->window));
    wlog(w, "%d tile(s), %dx%d, %s", n, w->cols, w->rows,
         w->worker ? "one GlvfVideoWorker" : "a worker each (GLVF_PLAYER_WALL_SHARED=0)");
    return w;
}

int player_wall_exit_status(const player_wall *w)
{
    guint failed = 0;
    for (guint i = 0; i < w->tiles->len; i++)
        failed += ((wall_tile *)g_ptr_array_index(w->tiles, i))->failed;
    if (w->exit_status == PLAYER_EXIT_OK && w->tiles->len && failed == w->tiles->len)
        return PLAYER_EXIT_FAILURE;
    return w->exit_status;
}

void player_wall_get_stats(player_wall *w, player_wall_stats *out)
{
    if (!w->destroyed)
        remember(w);
    memset(out, 0, sizeof *out);
    out->tiles = w->tiles->len;
    out->tile = g_new0(player_wall_tile_stats, MAX(1, w->tiles->len));
    for (guint i = 0; i < w->tiles->len; i++) {
        wall_tile *t = g_ptr_array_index(w->tiles, i);
        out->tile[i] = t->final;
        g_strlcpy(out->tile[i].file, t->path, sizeof out->tile[i].file);
    }
    out->workers = w->worker ? 1 : 0; /* every stream was set on w->worker */
    out->worker_threads_started = w->worker_final.threads_started;
    out->worker_jobs = w->worker_final.jobs;
    out->max_paintables = w->max_paintables;
    out->pool_bytes = w->worker_final.pool_bytes;
    g_strlcpy(out->renderer, w->worker_final.renderer, sizeof out->renderer);
}

void player_wall_free(player_wall *w)
{
    if (!w)
        return;
    if (!w->destroyed && w->window)
        gtk_window_destroy(GTK_WINDOW(w->window));
    drop_alone(w);
    g_ptr_array_unref(w->tiles); /* the streams: their workers detach */
    g_clear_object(&w->worker);  /* its thread ends once they have */
    g_clear_object(&w->surface);
    g_free(w);
}
