/*
 * Internal interface between GlvfVideoPaintable's worker and the sources
 * that feed it (GlvfMediaStream). Not installed.
 *
 * A source hands the worker items one at a time; the worker uploads each
 * (source->upload, on the worker's GL context), converts it into an RGBA
 * texture from glvf's pool, waits on the conversion's fence, waits until
 * the item is due, and hands the texture to the main thread, which shows
 * it. The source decides when an item is due and whether it is still
 * wanted; the worker only asks.
 */
#ifndef GLVF_GTK4_INTERNAL_H
#define GLVF_GTK4_INTERNAL_H

#include <glvf/glvf-gtk4.h>

/* The modules' default log: g_log, domain "glvf". */
void glvf_gtk_default_log(void *user, glvf_log_level level, const char *msg);

/* One picture on its way to the screen. */
typedef struct glvf_gtk_item {
    gpointer data;          /* the source's (an AVFrame, a pushed item) */
    gint64 pts_us;          /* media time, carried to shown() */
    guint serial;           /* the source's generation (seeks bump it) */
    gboolean rebase;        /* the source's clock starts when this is handed over */
    gboolean wait_painted;  /* untimed: handed over only once GTK painted the last one */
} glvf_gtk_item;

#define GLVF_GTK_DUE_DROP G_MININT64   /* due(): no longer wanted */
#define GLVF_GTK_DUE_WAIT G_MAXINT64   /* due(): not now (paused): wait for a wake */

typedef struct glvf_gtk_source {
    /* Worker thread. Blocks until an item is available, the source is
     * interrupted, or it is closed. Returns 1 with *item filled, 0 when
     * interrupted (the worker looks at its own state and asks again), -1
     * when the source has nothing more to give until it is woken (the
     * worker then waits for a wake). */
    int (*next)(gpointer user, glvf_gtk_item *item);
    /* Any thread: makes a blocked next() return 0. */
    void (*interrupt)(gpointer user);
    /* Worker thread: the g_get_monotonic_time() at which the item should be
     * shown; 0 at once; GLVF_GTK_DUE_WAIT (paused), GLVF_GTK_DUE_DROP. Also
     * gives the tolerance: an item later than due + *late_us is dropped
     * (*late_us 0: never). May set item->wait_painted for the state now
     * (the last answer before the hand-off counts). */
    gint64 (*due)(gpointer user, glvf_gtk_item *item, gint64 *late_us);
    /* Worker thread, GL context current: uploads the item's picture. */
    glvf_frame *(*upload)(gpointer user, glvf_context *ctx, gpointer data);
    /* Optional. Worker thread, GL context current: the picture converted on
     * the CPU to straight RGBA at exactly tw x th, rows top to bottom, and
     * uploaded with `params` (a frame of GLVF_FORMAT_RGBA8); NULL to use upload() and the
     * GL conversion instead. Used on software renderers, where a shader
     * pass costs several times what SIMD code does. */
    glvf_frame *(*upload_rgba)(gpointer user, glvf_context *ctx, gpointer data, int tw, int th,
                               const glvf_upload_params *params);
    /* With upload_rgba: the picture's display size (sample aspect ratio and
     * rotation applied); FALSE when only the GL path can show it (rotated,
     * mirrored, colour beyond BT.709 SDR). Worker thread. */
    gboolean (*display_size)(gpointer user, gpointer data, int *dw, int *dh);
    /* Any thread: the item's data is done with (exactly once per item). */
    void (*release)(gpointer user, gpointer data);
    /* Worker thread: the item was handed to the main thread at `when_us`. */
    void (*handed)(gpointer user, const glvf_gtk_item *item, gint64 when_us);
    /* Worker thread: the item was dropped (late, stale, or failed). */
    void (*dropped)(gpointer user, const glvf_gtk_item *item, gboolean late);
    /* Reference counting of `user` (the worker holds one while it uses the
     * source; the last unref may come from the worker thread). */
    gpointer (*ref)(gpointer user);
    void (*unref)(gpointer user);
} glvf_gtk_source;

/* Main thread. Sets (or with NULL clears) the source the paintable's worker
 * pulls from. The paintable keeps a reference on `user` (source->ref). */
void glvf_video_paintable_set_source(GlvfVideoPaintable *self, const glvf_gtk_source *source,
                                     gpointer user);
/* Any thread: wakes the worker waiting for an item's due time or for the
 * source, so it asks due()/next() again. */
void glvf_video_paintable_wake(GlvfVideoPaintable *self);
/* Main thread: called on the main thread each time a new picture is shown. */
typedef void (*GlvfVideoPaintableShownFunc)(gpointer user, gint64 pts_us, guint serial);
void glvf_video_paintable_set_shown_func(GlvfVideoPaintable *self,
                                         GlvfVideoPaintableShownFunc func, gpointer user);
/* Main thread: the device scale of the surface showing it (from
 * GtkMediaStream's realize). */
void glvf_video_paintable_set_scale(GlvfVideoPaintable *self, int scale);

/* The worker's own GL context (glvf-gtk-glctx.c): native GLX or EGL,
 * sharing objects with GDK's contexts, current without a drawable. */
typedef enum { GLVF_GTK_GL_NONE, GLVF_GTK_GLX, GLVF_GTK_EGL } glvf_gtk_glkind;
typedef struct glvf_gtk_glctx {
    glvf_gtk_glkind kind;
    void *glx_dpy, *glx_ctx;    /* Display *, GLXContext */
    void *egl_dpy, *egl_ctx;    /* EGLDisplay, EGLContext */
    unsigned egl_api;
} glvf_gtk_glctx;
/* Main thread: creates a context sharing objects with `share` (realized),
 * of the same API and version. FALSE with the reason in `why`. */
gboolean glvf_gtk_glctx_create(glvf_gtk_glctx *g, GdkGLContext *share, char *why, size_t n);
/* The thread using it. */
gboolean glvf_gtk_glctx_make_current(glvf_gtk_glctx *g);
gboolean glvf_gtk_glctx_is_current(const glvf_gtk_glctx *g);
/* Releases it if current on this thread, then destroys it. */
void glvf_gtk_glctx_destroy(glvf_gtk_glctx *g);

/* Takes (TRUE) or gives back (FALSE) the turn for GL work that software
 * renderers need (see glvf-video-paintable.c); for main-thread GL outside a
 * frame clock's paint, such as a test rendering a widget itself. */
GLVF_API void glvf_gtk4_software_gl_lock(gboolean lock);

/* GlvfMediaStream's opening threads still running (0 without the FFmpeg
 * module). Any thread. */
guint glvf_media_stream_openers_running(void);

/* For tests: the worker behaves as if its GL context had been lost (a
 * graphics reset, which llvmpipe cannot produce): it abandons its
 * glvf_context without a GL call (textures GTK holds become orphans) and
 * the paintable starts a new worker for the next picture. On a
 * GlvfVideoWorker's paintable only its own worker (lane) restarts: the
 * shared context is not lost, and the textures GTK holds return to its
 * pool as usual. Main thread. */
GLVF_API void glvf_video_paintable_simulate_context_loss(GlvfVideoPaintable *self);

/* For tests: the area's next render finds its GL context lost and recovers
 * as from a graphics reset (see glvf_video_area's lose_context). Main
 * thread. */
GLVF_API void glvf_video_area_simulate_context_loss(GlvfVideoArea *self);

#endif
