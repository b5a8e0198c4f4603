/*
 * glvf GTK4 module.
 *
 *   GlvfVideoPaintable  a GdkPaintable (the path to prefer): a worker thread
 *                       with its own GdkGLContext, shared with GDK's,
 *                       uploads frames and converts them into RGBA textures
 *                       from glvf's pool, handed to GTK as GdkGLTexture.
 *   GlvfMediaStream     a GtkMediaStream playing a file through the FFmpeg
 *                       module's decoder into a GlvfVideoPaintable, for
 *                       GtkVideo, GtkPicture and GtkMediaControls.
 *   GlvfVideoArea       a GtkGLArea that renders glvf frames into the
 *                       framebuffer GTK owns.
 *   GlvfVideoWorker     one GL context and one glvf_context (one texture
 *                       pool) shared by several GlvfVideoPaintables or
 *                       GlvfMediaStreams: a video wall.
 *
 * GlvfVideoArea:
 * On realize the widget makes its GdkGLContext current and creates a
 * glvf_context bound to it (loader: whichever of EGL or GLX GDK uses;
 * is_current: "this area's GdkGLContext is current on the calling thread").
 * On render it collects the deferred queue, then draws the current frame
 * into the framebuffer GTK bound for the area (queried, never assumed to be
 * 0), restoring the GL state it changes. On unrealize it makes the context
 * current and destroys the glvf_context before GtkGLArea frees its own
 * objects; the leak report goes to the log. When a render finds the GL
 * context lost (a graphics reset), the area abandons its glvf_context (no
 * GL call: frames the application still holds become orphans, freed
 * without GL when dropped), logs one warning and re-realizes itself: GTK
 * makes a new GdkGLContext and the area a new glvf_context ("unrealize"
 * then "realize" are emitted, as when it moves to another window). An item
 * queued with glvf_video_area_push() is kept and shown there; a frame of
 * the lost context is dropped.
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
    /* GL contexts found lost (graphics reset): each time the area abandons
     * its glvf context and re-realizes itself with a new one */
    guint64 context_losses;
    guint64 reserved[8];        /* room for fields added later (the size stays);
                                   written as zero */
} GlvfVideoAreaStats;

/* Copies the counters. Any thread. */
GLVF_API void glvf_video_area_get_stats(GlvfVideoArea *area, GlvfVideoAreaStats *out);

/* The glvf log of every area goes here (default: g_log, domain "glvf"). */
GLVF_API void glvf_video_area_set_log(GlvfVideoArea *area, glvf_log_fn log, gpointer user);

/* ------------------------------------------------------------------------ */
/* GlvfVideoPaintable                                                        */
/*
 * A GdkPaintable showing video. Pictures are uploaded and converted off the
 * main thread: a worker thread makes its own GdkGLContext (created with
 * gdk_display_create_gl_context, so it shares objects with GDK's) current,
 * owns a glvf_context on it, uploads each picture, draws it with glvf_render
 * into an RGBA8 texture from glvf's pool at the size it is shown (the
 * snapshot's size in device pixels, never larger than the video), waits on a
 * fence after the drawing (on the worker: GTK 4.8 takes no fence with a
 * GdkGLTexture) and hands the texture to the main thread, which wraps it in
 * a GdkGLTexture and invalidates the paintable. The main thread never
 * uploads, draws video or waits for the GPU.
 *
 * Texture lifetime: GTK may keep a texture after the paintable moved on, or
 * after the paintable is gone. Its release (GdkGLTexture's destroy notify,
 * any thread) only returns it to glvf's pool, without a GL call. The worker
 * ends only once GTK has dropped every texture it handed out, then destroys
 * its glvf_context with its GL context current (nothing leaks, nothing is
 * deleted under GTK's feet). When the GL context is lost, the glvf_context
 * is destroyed at once (CPU only); textures GTK still holds are then
 * orphans whose release frees CPU memory only; a new worker and GL context
 * are made for the next picture.
 *
 * Intrinsic size: the video's display size (sample aspect ratio and
 * rotation applied). Threading: "any thread" functions may be called from
 * any thread; the others are main-thread functions.
 */
#define GLVF_TYPE_VIDEO_PAINTABLE (glvf_video_paintable_get_type())
GLVF_API G_DECLARE_FINAL_TYPE(GlvfVideoPaintable, glvf_video_paintable, GLVF, VIDEO_PAINTABLE,
                              GObject)

/* A new, empty paintable for `display` (NULL: the default display). The
 * worker and its GL context are made when the first picture arrives. Main
 * thread. */
GLVF_API GlvfVideoPaintable *glvf_video_paintable_new(GdkDisplay *display);

/*
 * Queues a picture: the worker calls upload(ctx, data) on its thread with
 * its glvf_context current, converts the frame upload returns (a new frame
 * with one reference, taken by the paintable; NULL: failure, counted) and
 * shows it as soon as it is ready. A picture still waiting is replaced (the
 * latest wins; counted as replaced). `release(data)` is called exactly once,
 * on some thread, when the item is done with. Any thread.
 */
GLVF_API void glvf_video_paintable_push(GlvfVideoPaintable *self, GlvfVideoAreaUploadFunc upload,
                                        gpointer data, GDestroyNotify release);

/* Drops what is shown and what waits; the paintable becomes empty. Main
 * thread. */
GLVF_API void glvf_video_paintable_clear(GlvfVideoPaintable *self);

/*
 * Lets go of the GL side now: the worker stops (it ends, and destroys its
 * glvf_context, once GTK has dropped its textures) and a new one is made
 * when a picture next needs it. What is shown stays shown. GlvfMediaStream
 * calls it when the last widget showing it is unrealized. Main thread.
 */
GLVF_API void glvf_video_paintable_release_gl(GlvfVideoPaintable *self);

/* Scaling filter of the conversion (default bilinear). Main thread. */
GLVF_API void glvf_video_paintable_set_scaler(GlvfVideoPaintable *self, glvf_scaler scaler);

/* A copy of the picture shown now, in CPU memory (a new GdkMemoryTexture
 * the caller owns), or NULL: for screenshots. Costly (reads the texture
 * back). GTK's own texture is what gdk_paintable_get_current_image()
 * returns. Main thread. */
GLVF_API GdkTexture *glvf_video_paintable_get_texture(GlvfVideoPaintable *self);

typedef struct GlvfVideoPaintableStats {
    guint64 frames_shown;       /* textures the main thread made current */
    guint64 frames_painted;     /* of those, drawn by GTK (snapshotted) at least once */
    guint64 frames_converted;   /* pictures uploaded and converted */
    guint64 frames_late;        /* dropped by the pacing: would be shown late */
    guint64 frames_replaced;    /* pushed or converted, replaced before shown */
    guint64 upload_failures;    /* upload or conversion failed */
    guint64 workers_started;    /* GL contexts made (1 + recoveries/re-realizations) */
    guint64 context_losses;     /* GL contexts found lost */
    guint64 textures_held;      /* handed to GTK and not yet released by it */
    double upload_ms;           /* mean per converted picture, worker thread */
    double convert_ms;          /* glvf_render into the RGBA texture + fence wait, mean */
    int texture_width, texture_height; /* of the last converted picture */
    char renderer[128];         /* GL_RENDERER of the worker's context */
    char upload_strategy[24];   /* glvf's upload strategy there */
    gboolean gl_es;             /* the worker's context is OpenGL ES */
    int gl_major, gl_minor;
    guint64 pool_bytes;         /* glvf's texture pool (last seen) */
    /* of frames_shown, handed to GTK with the conversion's fence
     * (GdkGLTextureBuilder, GTK 4.12 and later), which GTK's renderer waits
     * for on the GPU; 0 where GTK takes no fence (the worker waits) */
    guint64 frames_fenced;
    guint64 reserved[8];        /* room for fields added later (the size stays);
                                   written as zero */
} GlvfVideoPaintableStats;

/* Copies the counters (cumulative over workers). Any thread. */
GLVF_API void glvf_video_paintable_get_stats(GlvfVideoPaintable *self,
                                             GlvfVideoPaintableStats *out);

/* The glvf log of the paintable's contexts goes here (default: g_log,
 * domain "glvf"). `log` must be thread-safe and stay valid as long as a
 * worker may run (see glvf_gtk4_get_totals). Main thread. */
GLVF_API void glvf_video_paintable_set_log(GlvfVideoPaintable *self, glvf_log_fn log,
                                           gpointer user);

/* Process-wide totals over every paintable's workers. */
typedef struct GlvfGtk4Totals {
    guint workers_running;      /* worker threads not yet finished */
    guint64 workers_finished;
    /* frames and staging regions still held when a worker destroyed its
     * glvf_context (the leak report goes to the log), summed */
    guint64 leaked_objects;
    guint64 orphaned;           /* contexts destroyed while GTK held textures (loss) */
    /* GlvfMediaStream opening threads still running (nobody joins them: an
     * open blocked in the kernel may never end; a cancelled one ends at its
     * next I/O poll). A program about to exit may give them a moment. */
    guint openers_running;
    /* glvf contexts the module's workers made: one per own worker (and per
     * recovery), one per GlvfVideoWorker's shared thread however many
     * paintables it serves */
    guint64 contexts_made;
    guint64 reserved[8];        /* room for fields added later (the size stays);
                                   written as zero */
} GlvfGtk4Totals;

/* Any thread. workers_running counts every thread of the module's
 * workers: each paintable's, and each GlvfVideoWorker's shared GL
 * thread. A program that wants every worker finished before it exits
 * (after its windows are gone) runs its main loop until workers_running
 * is 0. */
GLVF_API void glvf_gtk4_get_totals(GlvfGtk4Totals *out);

/* Joins the worker threads that have finished (counted in
 * workers_finished), so that none is still on its way out when the
 * process exits (tools that check for leaks at exit want that). It waits
 * only for threads past the end of their work. Main thread, typically at
 * exit after workers_running reached 0. */
GLVF_API void glvf_gtk4_join_workers(void);

/* ------------------------------------------------------------------------ */
/* GlvfVideoWorker                                                           */
/*
 * One GL context, one glvf_context and so one texture pool and one
 * deferred-release queue, shared by every GlvfVideoPaintable (or
 * GlvfMediaStream) it is set on: a video wall's tiles. Its thread (the
 * "shared thread") makes the GL context current and runs the GL work of
 * all of them, one conversion at a time: uploads, conversions into RGBA
 * textures from the one pool, fence waits, collects, deletions. Each
 * paintable keeps its own light thread that asks its source for pictures,
 * paces them and hands them to GTK but makes no GL call (its GL work is
 * posted to the shared thread and waited for): a source blocks (waiting
 * for its decoder, for a picture's due time) and must not hold up the
 * others' conversions.
 *
 * Streams come and go at run time: a paintable set on the worker attaches
 * when its first picture needs GL and detaches when it is disposed, let go
 * (glvf_video_paintable_release_gl) or set on another worker. What it
 * held goes back to the shared pool as GTK releases its textures (no GL
 * call; reused, or evicted under the pool's budget); nothing is deleted
 * off the shared context, and nothing leaks: the glvf_context is destroyed
 * (with its GL context current, leaks counted in glvf_gtk4_get_totals)
 * only once the GlvfVideoWorker is unreferenced and every paintable that
 * used it has ended, GTK's textures included.
 *
 * A paintable whose picture fails to upload (a bad file's decoder error
 * is its stream's own) fails alone; the others keep playing. When the
 * shared GL context is lost (or no glvf_context can be made on it), the
 * paintables that find it so let go of it and the next picture starts a
 * new shared thread and context (threads_started counts them).
 *
 * GlvfVideoArea cannot share it: a GtkGLArea renders with its own
 * GdkGLContext, made and current on the main thread by GTK, so each area
 * has its own glvf_context (see GlvfVideoArea above).
 *
 * Threading: main-thread functions, except glvf_video_worker_get_stats
 * (any thread).
 */
#define GLVF_TYPE_VIDEO_WORKER (glvf_video_worker_get_type())
GLVF_API G_DECLARE_FINAL_TYPE(GlvfVideoWorker, glvf_video_worker, GLVF, VIDEO_WORKER, GObject)

/* A new worker for `display` (NULL: the default display), with a
 * reference for the caller. The thread and its GL context are made when
 * the first paintable set on it needs GL. Main thread. */
GLVF_API GlvfVideoWorker *glvf_video_worker_new(GdkDisplay *display);

/* The glvf log of the shared context (default: g_log, domain "glvf"); same
 * rules as glvf_video_paintable_set_log. Takes effect for the next shared
 * thread: call it before the first paintable is shown. Main thread. */
GLVF_API void glvf_video_worker_set_log(GlvfVideoWorker *worker, glvf_log_fn log,
                                        gpointer user);

typedef struct GlvfVideoWorkerStats {
    guint paintables;           /* paintables' workers attached to the shared thread now */
    gboolean running;           /* a shared thread with a usable context exists */
    guint64 threads_started;    /* shared threads (GL and glvf contexts) made: 1 + recoveries */
    guint64 jobs;               /* GL jobs run (conversions, attach, detach) */
    guint64 pool_bytes;         /* the shared texture pool (last seen) */
    char renderer[128];         /* GL_RENDERER of the shared context ("" before) */
    guint64 reserved[8];        /* room for fields added later (the size stays);
                                   written as zero */
} GlvfVideoWorkerStats;

/* Copies the counters. Any thread. */
GLVF_API void glvf_video_worker_get_stats(GlvfVideoWorker *worker, GlvfVideoWorkerStats *out);

/*
 * Makes the paintable's GL work run on `worker` (NULL: on its own worker,
 * the default) from the next picture on: a worker it has now is let go
 * (what is shown stays shown). The paintable keeps a reference on
 * `worker`. Its statistics stay its own (frames, drops, failures); their
 * workers_started then counts its attachments. Main thread.
 */
GLVF_API void glvf_video_paintable_set_worker(GlvfVideoPaintable *self,
                                              GlvfVideoWorker *worker);
/* The worker set (not a new reference), or NULL. Main thread. */
GLVF_API GlvfVideoWorker *glvf_video_paintable_get_worker(GlvfVideoPaintable *self);

/* ------------------------------------------------------------------------ */
/* GlvfMediaStream                                                           */
/*
 * A GtkMediaStream (and so a GdkPaintable) playing the video of a file with
 * the FFmpeg module's threaded decoder into a GlvfVideoPaintable: set it on
 * a GtkVideo (gtk_video_set_media_stream) or a GtkPicture, drive it with
 * GtkMediaStream's API or GtkMediaControls. Only in builds with the FFmpeg
 * module (libglvf-gtk4 then links libglvf-ffmpeg; GLVF_GTK4_HAS_MEDIA_STREAM
 * is defined in the pkg-config cflags).
 *
 * Pacing: the worker takes decoded frames, and the frame of media time P is
 * shown at T0 + (P - P0), where (T0, P0) is when and what the first frame
 * after play, a seek or a step was handed to GTK. A frame that would be
 * shown more than half a frame late is dropped, before it is converted when
 * that is already known. While paused nothing runs: no tick callback, no
 * timer, the worker waits. Seeking is accurate (the first frame at or after
 * the target) and reported with gtk_media_stream_seek_success() once that
 * frame is shown. Errors (missing or unreadable file, no video stream,
 * decoding ended on an error, no usable GL) go to gtk_media_stream_gerror()
 * with a clear message (domain G_IO_ERROR). Opening happens on the worker,
 * never on the main thread.
 *
 * Sound: the file's default audio stream is decoded by the FFmpeg module
 * (its own thread, resampled to float stereo) and played through the
 * PulseAudio client library (PipeWire desktops serve it through
 * pipewire-pulse) when libglvf-gtk4 was built with libpulse and a sound
 * server answers. Then the audio clock is the master: frame P is shown when
 * the sample of time P is heard (the samples written minus the latency
 * libpulse reports, the sink's included), pausing corks the stream,
 * seeking flushes it and both restart together, and
 * gtk_media_stream_get_has_audio() is TRUE, so GtkVideo/GtkMediaControls
 * show a volume button; GtkMediaStream's volume and muted properties set
 * the stream's volume on the server. Without an audio stream, with no
 * reachable sound server (stats.audio == GLVF_MEDIA_STREAM_AUDIO_NO_SERVER),
 * after glvf_media_stream_set_audio_enabled(FALSE), or once the audio has
 * ended before the video, the video clock above is used.
 */
#define GLVF_TYPE_MEDIA_STREAM (glvf_media_stream_get_type())
GLVF_API G_DECLARE_FINAL_TYPE(GlvfMediaStream, glvf_media_stream, GLVF, MEDIA_STREAM,
                              GtkMediaStream)

/* A stream for a local file path (or anything libavformat opens with the
 * file, pipe and fd protocols). Paused until played. Main thread. */
GLVF_API GtkMediaStream *glvf_media_stream_new_for_filename(const char *path);
/* Same for a GFile with a local path (another GFile gives the stream an
 * error: use glvf_media_stream_new_for_uri() for the network). Main
 * thread. */
GLVF_API GtkMediaStream *glvf_media_stream_new_for_file(GFile *file);

/* The protocols glvf_media_stream_new_for_uri() allows by default. */
#define GLVF_MEDIA_STREAM_NETWORK_PROTOCOLS                                                       \
    "file,pipe,fd,http,https,tcp,tls,udp,rtp,rtsp,rtsps,srtp,hls,crypto,data,httpproxy"

/* A stream for a URL (or path): libavformat may use `protocols`, as its
 * protocol_whitelist (NULL: GLVF_MEDIA_STREAM_NETWORK_PROTOCOLS), which
 * also binds what a playlist it opens refers to: give URLs the user chose,
 * not ones found in untrusted files. `io_timeout_ms` > 0: a network read or
 * write that makes no progress that long fails the stream with a timeout
 * error (0: wait as long as it takes; closing the stream still cancels
 * it). Main thread. */
GLVF_API GtkMediaStream *glvf_media_stream_new_for_uri(const char *uri, const char *protocols,
                                                       int io_timeout_ms);

/* Runs the stream's conversions on `worker` (glvf_video_paintable_set_worker
 * on its paintable): a wall of streams shares one GL context and pool.
 * Main thread. */
GLVF_API void glvf_media_stream_set_worker(GlvfMediaStream *self, GlvfVideoWorker *worker);

/* The paintable the stream draws into (owned by the stream). Main thread. */
GLVF_API GlvfVideoPaintable *glvf_media_stream_get_paintable(GlvfMediaStream *self);

/* Shows the next frame and stays paused. Main thread. */
GLVF_API void glvf_media_stream_step(GlvfMediaStream *self);

/*
 * Untimed (for benchmarks): while playing, every frame is converted as
 * soon as the previous one was painted by GTK, none is dropped, and the
 * media clock is ignored; the rate is what decoding, conversion and GTK's
 * painting reach together. Off by default. Main thread.
 */
GLVF_API void glvf_media_stream_set_untimed(GlvfMediaStream *self, gboolean untimed);

/* Plays the file's sound (TRUE, the default) or not. Takes effect when the
 * file is opened: call it before the stream is first shown or played.
 * Main thread. */
GLVF_API void glvf_media_stream_set_audio_enabled(GlvfMediaStream *self, gboolean enabled);

/* Where the stream's sound stands (stats.audio). Append-only. */
typedef enum GlvfMediaStreamAudio {
    GLVF_MEDIA_STREAM_AUDIO_UNKNOWN = 0, /* not opened yet */
    GLVF_MEDIA_STREAM_AUDIO_NONE = 1,        /* the file has no audio stream */
    GLVF_MEDIA_STREAM_AUDIO_DISABLED = 2,    /* glvf_media_stream_set_audio_enabled(FALSE) */
    GLVF_MEDIA_STREAM_AUDIO_NO_SERVER = 3,   /* no sound server answered (or no libpulse) */
    GLVF_MEDIA_STREAM_AUDIO_FAILED = 4,      /* the audio stream cannot be decoded or played */
    GLVF_MEDIA_STREAM_AUDIO_PLAYING = 5,     /* sound out; the audio clock is the master */
} GlvfMediaStreamAudio;

typedef struct GlvfMediaStreamStats {
    guint64 frames_decoded;     /* delivered by the decoder */
    guint64 frames_shown;
    guint64 frames_dropped;     /* late (pacing) + replaced */
    guint64 decode_errors;
    int width, height;          /* coded size */
    char codec[32];
    char pix_fmt[32];
    double frame_rate;          /* 0 when unknown */
    int decoder_threads;
    int queue_depth, queue_capacity;
    GlvfVideoPaintableStats paintable;
    /* sound */
    GlvfMediaStreamAudio audio;
    char audio_codec[32];       /* "" when none */
    int audio_rate;             /* Hz of the samples played */
    gboolean audio_clock;       /* the audio clock paced the last frame */
    gint64 audio_latency_us;    /* buffered + the sink's latency, now */
    guint64 audio_underruns;    /* the server ran dry while playing */
    guint64 audio_frames_written;
    guint64 audio_errors;       /* damaged audio packets skipped */
    char audio_message[160];    /* why there is no sound: NO_SERVER; FAILED when the
                                   sound output failed ("" when the decoder could
                                   not decode the stream: it logged why) */
    int display_width, display_height; /* the picture as shown: coded size with the
                                   stream's sample aspect ratio and rotation (its
                                   display matrix) applied, as the paintable's
                                   intrinsic size will be; 0 until prepared */
    char colour[128];           /* the last frame's colour and what the renderer
                                   does with it (glvf_colour_describe); "" before
                                   the first frame */
    guint64 reserved[8];        /* room for fields added later (the size stays);
                                   written as zero */
} GlvfMediaStreamStats;

/* Copies the counters. Any thread. */
GLVF_API void glvf_media_stream_get_stats(GlvfMediaStream *self, GlvfMediaStreamStats *out);

G_END_DECLS

#endif
