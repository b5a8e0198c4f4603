/*
 * glvf GTK4 module: GlvfVideoArea, a GtkGLArea that shows glvf frames.
 *
 * On realize the widget makes its GdkGLContext current and creates a
 * glvf_context bound to it (loader: whichever of EGL or GLX GDK uses;
 * is_current: "this area's GdkGLContext is current on the calling thread").
 * On render it collects the deferred queue, then draws the current frame
 * into the framebuffer GTK bound for the area (queried, never assumed to be
 * 0), restoring the GL state it changes. On unrealize it makes the context
 * current and destroys the glvf_context before GtkGLArea frees its own
 * objects; the leak report goes to the log.
 *
 * Frames arrive from any thread through a one-slot mailbox: the latest wins,
 * a replaced item is released at once, and a redraw is queued on the main
 * context. Threading: functions marked "any thread" may be called from any
 * thread at any time; the others are GTK main-thread functions, as usual
 * for widgets.
 */
#ifndef GLVF_GLVF_GTK4_H
#define GLVF_GLVF_GTK4_H

#include <glvf/glvf.h>
#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GLVF_TYPE_VIDEO_AREA (glvf_video_area_get_type())
GLVF_API G_DECLARE_FINAL_TYPE(GlvfVideoArea, glvf_video_area, GLVF, VIDEO_AREA, GtkGLArea)

/* A new, empty video area. Main thread. */
GLVF_API GtkWidget *glvf_video_area_new(void);

/*
 * Shows `frame` on the next redraw. The frame must come from this area's
 * glvf context (glvf_video_area_get_context()). Takes a new reference
 * (the caller keeps its own). A frame still waiting in the mailbox is
 * replaced and its reference dropped (no GL call). Any thread. Returns
 * FALSE (and takes nothing) when the area is not realized or the frame
 * belongs to another context.
 */
GLVF_API gboolean glvf_video_area_push_frame(GlvfVideoArea *area, glvf_frame *frame);

/*
 * Called on the GL thread, with the area's context current, to upload a
 * pushed item: returns a new frame (one reference, handed to the area) or
 * NULL on failure.
 */
typedef glvf_frame *(*GlvfVideoAreaUploadFunc)(glvf_context *ctx, gpointer data);

/*
 * Queues an item that the area uploads itself when it next renders (main
 * thread, context current), by calling upload(ctx, data). `release(data)` is
 * called exactly once when the item is done with: after the upload, when a
 * newer item replaces it (then on the pushing thread), or when the area is
 * unrealized or finalized. Any thread.
 */
GLVF_API void glvf_video_area_push(GlvfVideoArea *area, GlvfVideoAreaUploadFunc upload,
                                   gpointer data, GDestroyNotify release);

/* Drops the shown frame and anything in the mailbox; the area shows the
 * background. Any thread. */
GLVF_API void glvf_video_area_clear(GlvfVideoArea *area);

/* The glvf context of the area, or NULL while unrealized. Valid until the
 * area is unrealized ("unrealize" signal). Main thread (the pointer may be
 * handed to other threads for any-thread glvf calls while it is valid). */
GLVF_API glvf_context *glvf_video_area_get_context(GlvfVideoArea *area);

/* Scaling filter (property "scaler", a glvf_scaler value). Main thread. */
GLVF_API void glvf_video_area_set_scaler(GlvfVideoArea *area, glvf_scaler scaler);
GLVF_API glvf_scaler glvf_video_area_get_scaler(GlvfVideoArea *area);

/* Colour of the bars and of an empty area (property "background");
 * default opaque black. Main thread. */
GLVF_API void glvf_video_area_set_background(GlvfVideoArea *area, const GdkRGBA *rgba);
GLVF_API void glvf_video_area_get_background(GlvfVideoArea *area, GdkRGBA *rgba);

/* Extra rotation (0/90/180/270) applied after the frame's own (property
 * "rotation"). Main thread. */
GLVF_API void glvf_video_area_set_rotation(GlvfVideoArea *area, int rotation);

/*
 * With capture on, every render also reads the rendered pixels back from
 * the area's framebuffer (costly: for tests and screenshots).
 * glvf_video_area_get_capture() returns a new reference to the last one
 * (NULL if none). Main thread.
 */
GLVF_API void glvf_video_area_set_capture(GlvfVideoArea *area, gboolean capture);
GLVF_API GdkTexture *glvf_video_area_get_capture(GlvfVideoArea *area);

typedef struct GlvfVideoAreaStats {
    guint64 frames_rendered;   /* renders that drew a frame */
    guint64 frames_pushed;     /* items accepted by the mailbox */
    guint64 frames_replaced;   /* items replaced before being shown */
    guint64 upload_failures;
    guint64 realizations;
    gint64 last_render_us;     /* CPU time of the last render, microseconds */
    /* Frames and staging regions of the area's glvf context that the
     * application still held when the area destroyed the context (on
     * unrealize, after dropping its own frame): leaks, summed over
     * realizations. The leak report with their sites goes to the log. */
    guint64 leaked_at_unrealize;
} GlvfVideoAreaStats;

/* Copies the counters. Any thread. */
GLVF_API void glvf_video_area_get_stats(GlvfVideoArea *area, GlvfVideoAreaStats *out);

/* The glvf log of every area goes here (default: g_log, domain "glvf"). */
GLVF_API void glvf_video_area_set_log(GlvfVideoArea *area, glvf_log_fn log, gpointer user);

G_END_DECLS

#endif
