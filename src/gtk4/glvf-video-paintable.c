/*
 * GlvfVideoPaintable: a GdkPaintable fed by a worker thread that uploads and
 * converts pictures on its own GdkGLContext (shared with GDK's) into RGBA
 * textures from glvf's pool, handed to GTK as GdkGLTexture. See
 * glvf-gtk4.h for the contract and gtk4-internal.h for the source interface.
 *
 * Objects and their lives:
 *   paintable  main-thread GObject; holds the current GdkTexture and a
 *              reference on its current worker.
 *   worker     refcounted, outlives the paintable when GTK still holds its
 *              textures. References: the paintable (until it detaches),
 *              the worker thread (until it ends), each texture handed to
 *              GTK, each pending main-thread hand-off.
 *   textures   a glvf_frame (RGBA8, from glvf_frame_new) wrapped in a
 *              GdkGLTexture on the main thread; its destroy notify drops the
 *              frame (any thread, no GL call) and the worker reference.
 *   shared_gl  with a GlvfVideoWorker set: one thread, GL context and
 *              glvf_context running the GL work of several paintables'
 *              workers ("lanes"), which then make no GL call themselves
 *              (see "the shared GL thread" below). References: the
 *              GlvfVideoWorker's and each lane's; the last one ends it.
 *
 * Two GdkGLContexts per worker: `gl` is current on the worker thread only;
 * `tex_gl` is the one named in the GdkGLTextures (GTK makes it current on
 * the main thread if it ever downloads one), so no context is ever current
 * on two threads.
 *
 * Locks: worker->lock guards the worker's queue, flags, counters and
 * hand-off slot; paintable->lock guards the paintable's worker pointer and
 * retired counters for readers on other threads. Never both at once except
 * paintable then worker. pthread mutexes: ThreadSanitizer cannot see
 * GLib's futex-based GMutex.
 */
#include "gtk4-internal.h"

#include <epoxy/gl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define FENCE_TIMEOUT_NS (2 * G_GINT64_CONSTANT(1000000000))

/* GTK 4.12 and later take the conversion's fence with the texture
 * (GdkGLTextureBuilder): GTK's renderer waits for it on the GPU and the
 * worker does not block. GTK 4.8 takes none: the worker waits. */
#if GTK_CHECK_VERSION(4, 12, 0)
#define HAVE_TEXTURE_BUILDER 1
#else
#define HAVE_TEXTURE_BUILDER 0
#endif
#define HAND_OFF_LEAD_US 2000 /* hand over this early: the main thread's hop */

/* ---- process-wide totals ------------------------------------------------ */

static atomic_uint totals_running;
static atomic_ullong totals_finished, totals_leaked, totals_orphaned, totals_contexts;

/* worker threads that have finished their work, not yet joined */
static pthread_mutex_t finished_lock = PTHREAD_MUTEX_INITIALIZER;
static GSList *finished;

void glvf_gtk4_join_workers(void)
{
    pthread_mutex_lock(&finished_lock);
    GSList *list = finished;
    finished = NULL;
    pthread_mutex_unlock(&finished_lock);
    for (GSList *l = list; l; l = l->next)
        g_thread_join(l->data); /* returns at once: the thread was on its way out */
    g_slist_free(list);
}

void glvf_gtk4_get_totals(GlvfGtk4Totals *out)
{
    g_return_if_fail(out != NULL);
    out->workers_running = atomic_load(&totals_running);
#ifdef GLVF_GTK4_HAS_MEDIA_STREAM
    out->openers_running = glvf_media_stream_openers_running();
#endif
    out->workers_finished = atomic_load(&totals_finished);
    out->leaked_objects = atomic_load(&totals_leaked);
    out->orphaned = atomic_load(&totals_orphaned);
    out->contexts_made = atomic_load(&totals_contexts);
}

/* ---- taking turns on software renderers ----------------------------------
 *
 * Mesa's llvmpipe (seen with Mesa 22.3) reads freed memory when two threads
 * draw or upload in one share group at the same time: with malloc
 * perturbation (MALLOC_PERTURB_) a player crashed in the driver on either
 * thread within a few hundred frames; without it the stale reads go
 * unnoticed. On a software renderer (glvf_caps.software) the worker's GL
 * work and GTK's painting therefore take turns: the worker holds this lock
 * around each GL section, and the main thread holds it from each frame
 * clock's "before-paint" to its "after-paint" (the clocks of every
 * toplevel, hooked once each). A software renderer spreads each draw over
 * every core anyway, so taking turns costs little; hardware drivers never
 * take the lock. */
static pthread_mutex_t sw_gl_lock = PTHREAD_MUTEX_INITIALIZER;
/* A turn is never waited for longer than this: a frame clock frozen between
 * "before-paint" and "after-paint", or a stuck conversion, must not stall
 * the other side (it then goes ahead without its turn). */
#define TURN_WAIT_US 100000

static gboolean turn_take(void)
{
    gint64 until = g_get_real_time() + TURN_WAIT_US;
    struct timespec ts = { .tv_sec = until / G_USEC_PER_SEC,
                           .tv_nsec = (long)(until % G_USEC_PER_SEC) * 1000 };
    return pthread_mutex_timedlock(&sw_gl_lock, &ts) == 0;
}

/* The main thread's turns nest (a paint, a read-back inside it). */
static int main_turn_depth;
static gboolean main_turn_held;

static void main_turn_begin(void)
{
    if (main_turn_depth++ == 0)
        main_turn_held = turn_take();
}

static void main_turn_end(void)
{
    if (main_turn_depth == 0)
        return; /* an "after-paint" without its "before-paint" */
    if (--main_turn_depth == 0 && main_turn_held) {
        main_turn_held = FALSE;
        pthread_mutex_unlock(&sw_gl_lock);
    }
}

void glvf_gtk4_software_gl_lock(gboolean lock)
{
    if (lock)
        main_turn_begin();
    else
        main_turn_end();
}

static void clock_before_paint(GdkFrameClock *clock, gpointer data)
{
    (void)clock;
    (void)data;
    main_turn_begin();
}

static void clock_after_paint(GdkFrameClock *clock, gpointer data)
{
    (void)clock;
    (void)data;
    main_turn_end();
}

/* Main thread: every toplevel's frame clock takes the lock while it paints. */
static void hook_frame_clocks(void)
{
    GListModel *tops = gtk_window_get_toplevels();
    guint n = g_list_model_get_n_items(tops);
    for (guint i = 0; i < n; i++) {
        GtkWidget *win = g_list_model_get_item(tops, i);
        GdkSurface *surface =
                gtk_widget_get_realized(win) ? gtk_native_get_surface(GTK_NATIVE(win)) : NULL;
        GdkFrameClock *clock = surface ? gdk_surface_get_frame_clock(surface) : NULL;
        if (clock && !g_object_get_data(G_OBJECT(clock), "glvf-software-gl-turns")) {
            g_object_set_data(G_OBJECT(clock), "glvf-software-gl-turns", GINT_TO_POINTER(1));
            g_signal_connect(clock, "before-paint", G_CALLBACK(clock_before_paint), NULL);
            g_signal_connect_after(clock, "after-paint", G_CALLBACK(clock_after_paint), NULL);
        }
        g_object_unref(win);
    }
}

void glvf_gtk_default_log(void *user, glvf_log_level level, const char *msg)
{
    (void)user;
    GLogLevelFlags l = level <= GLVF_LOG_WARN ? G_LOG_LEVEL_WARNING
                       : level == GLVF_LOG_INFO ? G_LOG_LEVEL_INFO
                                                : G_LOG_LEVEL_DEBUG;
    g_log("glvf", l, "%s", msg);
}

/* ---- the worker ---------------------------------------------------------- */

typedef struct worker {
    atomic_int refs;
    pthread_mutex_t lock;
    pthread_cond_t cond;

    /* set at creation (main thread), read-only afterwards */
    glvf_gtk_glctx gl;          /* current on the worker thread only */
    GdkGLContext *tex_gl;       /* named in the GdkGLTextures (main thread only) */
    glvf_log_fn log;
    gpointer log_user;
    GWeakRef paintable;

    /* lock */
    gboolean quit;              /* the paintable let go: finish up */
    guint wakes;                /* bumped by every wake */
    const glvf_gtk_source *src; /* the source in use and its user */
    gpointer src_user;
    int hint_w, hint_h;         /* size shown, device pixels (0: unknown) */
    glvf_scaler scaler;
    guint outstanding;          /* textures handed out, not yet released */
    struct tex_ref *free_refs;  /* reused records of textures handed to GTK */
    GLsync *dead_syncs;         /* fences GTK is done with: deleted by the
                                   worker with its GL current (any thread may
                                   add, no GL call there) */
    guint n_dead_syncs, cap_dead_syncs;
    /* hand-off slot to the main thread */
    glvf_frame *ho_frame;
    GLsync ho_sync;             /* the conversion's fence (GTK >= 4.12), or NULL */
    glvf_gtk_item ho_item;
    const glvf_gtk_source *ho_src;
    gpointer ho_src_user;
    int ho_dw, ho_dh;           /* the picture's display size */
    gboolean ho_scheduled;
    GSource *wake_src;          /* dispatches hand_off_idle on the main thread: one
                                   source for the worker's life, no allocation a frame */
    GlvfVideoPaintableStats stats;
    gint64 upload_us_sum, convert_us_sum;
    gint64 cost_est_us;         /* moving average of upload + conversion time */
    gboolean lost;              /* the GL context was lost */
    gboolean software;          /* software renderer: take turns with GTK */
    gboolean cpu_convert;       /* the source converts on the CPU where it can */

    /* set at creation: the shared GL thread this worker's GL work runs on
     * (GlvfVideoWorker), or NULL when it has its own GL context. Shared:
     * `gl` is unused, ctx and fbo are the shared thread's (borrowed, set
     * by the first job, used only inside jobs). */
    struct shared_gl *sh;
    gint64 job_queued_us;       /* shared: when the running job was queued (the
                                   lane's thread writes it, the job reads it) */

    /* worker thread only */
    glvf_context *ctx;
    GLuint fbo;
} worker;

/* What a GdkGLTexture's destroy notify gets: the frame and its fence.
 * Records are kept on the worker and reused (no allocation per frame once
 * warm). */
typedef struct tex_ref {
    worker *w;
    glvf_frame *frame;
    GLsync sync;
    struct tex_ref *next;
} tex_ref;

static worker *worker_ref(worker *w)
{
    atomic_fetch_add(&w->refs, 1);
    return w;
}

static void shared_unuse(struct shared_gl *sh);

static void worker_unref(worker *w)
{
    if (!w || atomic_fetch_sub(&w->refs, 1) != 1)
        return;
    if (w->sh)
        shared_unuse(w->sh);
    g_weak_ref_clear(&w->paintable);
    /* GdkGLContexts are dropped by the thread; tex_gl may be referenced by
     * GdkGLTextures still (they hold their own references) */
    g_clear_object(&w->tex_gl);
    while (w->free_refs) {
        tex_ref *r = w->free_refs;
        w->free_refs = r->next;
        g_free(r);
    }
    g_free(w->dead_syncs); /* deleted, or gone with a lost context */
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    g_free(w);
}

/* Any thread: a fence GTK is done with goes to the worker, which deletes
 * it with its GL context current (no GL call here). */
static void dead_sync_locked(worker *w, GLsync sync)
{
    if (!sync)
        return;
    if (w->n_dead_syncs == w->cap_dead_syncs) {
        w->cap_dead_syncs = w->cap_dead_syncs ? w->cap_dead_syncs * 2 : 8;
        w->dead_syncs = g_renew(GLsync, w->dead_syncs, w->cap_dead_syncs);
    }
    w->dead_syncs[w->n_dead_syncs++] = sync;
}

/* Worker thread, GL current (and its turn on software renderers): deletes
 * the fences GTK is done with. */
static void delete_dead_syncs(worker *w)
{
    pthread_mutex_lock(&w->lock);
    for (guint i = 0; i < w->n_dead_syncs; i++)
        glDeleteSync(w->dead_syncs[i]);
    w->n_dead_syncs = 0;
    pthread_mutex_unlock(&w->lock);
}

static void wlog(worker *w, glvf_log_level level, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void wlog(worker *w, glvf_log_level level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    w->log(w->log_user, level, msg);
}

/* GL thread check for glvf: the worker's GdkGLContext is current here. */
static bool worker_is_current(void *user)
{
    worker *w = user;
    return glvf_gtk_glctx_is_current(&w->gl);
}

static gboolean worker_gl_begin_locked(worker *w);

static gboolean shared_lane_begin(worker *w);

static gboolean worker_gl_begin(worker *w)
{
    if (w->ctx)
        return TRUE;
    if (w->sh)
        return shared_lane_begin(w);
    /* whether the renderer is a software one is known only afterwards */
    gboolean turn = turn_take();
    gboolean ok = worker_gl_begin_locked(w);
    if (turn)
        pthread_mutex_unlock(&sw_gl_lock);
    return ok;
}

static gboolean worker_gl_begin_locked(worker *w)
{
    if (!glvf_gtk_glctx_make_current(&w->gl)) {
        wlog(w, GLVF_LOG_ERROR, "glvf paintable: cannot make the worker's GL context current");
        return FALSE;
    }
    w->ctx = glvf_context_create(glvf_context_params(.is_current = worker_is_current,
                                                     .is_current_user = w, .log = w->log,
                                                     .log_user = w->log_user));
    if (!w->ctx)
        return FALSE;
    atomic_fetch_add(&totals_contexts, 1);
    glGenFramebuffers(1, &w->fbo);
    const glvf_caps *caps = glvf_context_get_caps(w->ctx);
    pthread_mutex_lock(&w->lock);
    g_strlcpy(w->stats.renderer, caps->renderer ? caps->renderer : "?",
              sizeof w->stats.renderer);
    g_strlcpy(w->stats.upload_strategy,
              glvf_upload_strategy_name(glvf_context_get_upload_strategy(w->ctx)),
              sizeof w->stats.upload_strategy);
    w->stats.gl_es = caps->is_gles;
    w->software = caps->software;
    /* GLVF_GTK4_CONVERT=gl|cpu forces one; auto: the CPU on software
     * renderers (SIMD code beats a shader pass there), GL elsewhere */
    const char *conv = g_getenv("GLVF_GTK4_CONVERT");
    w->cpu_convert = conv && !strcmp(conv, "cpu")  ? TRUE
                     : conv && !strcmp(conv, "gl") ? FALSE
                                                   : caps->software;
    w->stats.gl_major = caps->gl_major;
    w->stats.gl_minor = caps->gl_minor;
    pthread_mutex_unlock(&w->lock);
    return TRUE;
}

/* Worker thread: the glvf context goes. With `gl`, the GL context is usable
 * and everything is deleted; without, it was lost: CPU state only. */
static void shared_lane_end(worker *w, gboolean gl);

static void worker_gl_end(worker *w, gboolean gl)
{
    if (!w->ctx)
        return;
    if (w->sh) {
        shared_lane_end(w, gl);
        return;
    }
    if (gl) {
        /* every texture handed to GTK came back: what is left is a leak
         * (after a loss, frames GTK still holds are orphans instead) */
        glvf_stats st;
        glvf_context_get_stats(w->ctx, &st);
        atomic_fetch_add(&totals_leaked, st.frames_live + st.staging_live);
    }
    if (gl) {
        delete_dead_syncs(w);
    } else {
        pthread_mutex_lock(&w->lock);
        w->n_dead_syncs = 0; /* gone with the lost context */
        pthread_mutex_unlock(&w->lock);
    }
    if (w->fbo) {
        glvf_context_defer_delete(w->ctx, GLVF_OBJECT_FRAMEBUFFER, w->fbo);
        w->fbo = 0;
    }
    if (!gl || !glvf_context_destroy(&w->ctx))
        glvf_context_abandon(&w->ctx);
}

/* Main thread: shows what the worker handed over. */
static gboolean hand_off_idle(gpointer data);

/* The worker's wake source: ready when the worker sets its ready time to 0
 * (g_source_set_ready_time is thread-safe); disarmed before each dispatch,
 * so a wake that comes during the callback is not lost. */
static gboolean wake_dispatch(GSource *s, GSourceFunc cb, gpointer data)
{
    g_source_set_ready_time(s, -1);
    return cb ? cb(data) : G_SOURCE_CONTINUE;
}

static GSourceFuncs wake_funcs = { .dispatch = wake_dispatch };

/* Releases an item's data through its source. */
static void item_release(const glvf_gtk_source *src, gpointer user, glvf_gtk_item *it)
{
    if (it->data)
        src->release(user, it->data);
    it->data = NULL;
}

/* Waits (lock held) until `deadline` (monotonic µs), a wake or quit.
 * Returns FALSE when woken or quitting before the deadline. */
static gboolean wait_until_locked(worker *w, gint64 deadline, guint wakes)
{
    while (!w->quit && w->wakes == wakes) {
        if (deadline == GLVF_GTK_DUE_WAIT) {
            pthread_cond_wait(&w->cond, &w->lock);
            continue;
        }
        gint64 now = g_get_monotonic_time();
        if (now >= deadline)
            return TRUE;
        /* the condition variable waits on CLOCK_MONOTONIC, the clock of
         * g_get_monotonic_time() */
        struct timespec ts = { .tv_sec = deadline / G_USEC_PER_SEC,
                               .tv_nsec = (long)(deadline % G_USEC_PER_SEC) * 1000 };
        pthread_cond_timedwait(&w->cond, &w->lock, &ts);
    }
    return FALSE;
}

/* The picture's display size: sample aspect ratio, then rotation. */
static void display_size(const glvf_image *img, int *dw, int *dh)
{
    double w = img->width, h = img->height;
    if (img->sar.num > 0 && img->sar.den > 0)
        w = w * img->sar.num / img->sar.den;
    int iw = MAX(1, (int)(w + 0.5)), ih = MAX(1, (int)(h + 0.5));
    if (img->rotation == 90 || img->rotation == 270) {
        *dw = ih;
        *dh = iw;
    } else {
        *dw = iw;
        *dh = ih;
    }
}

/* The conversion's size: the display size fitted into the shown size
 * (aspect kept), never larger than the display size. */
static void target_size(int dw, int dh, int hint_w, int hint_h, int *tw, int *th)
{
    *tw = dw;
    *th = dh;
    if (hint_w <= 0 || hint_h <= 0 || (hint_w >= dw && hint_h >= dh))
        return;
    double s = MIN((double)hint_w / dw, (double)hint_h / dh);
    *tw = MAX(1, (int)(dw * s + 0.5));
    *th = MAX(1, (int)(dh * s + 0.5));
}

static void count_failure(worker *w)
{
    pthread_mutex_lock(&w->lock);
    w->stats.upload_failures++;
    if (w->ctx && glvf_context_is_lost(w->ctx) && !w->lost) {
        w->lost = TRUE;
        w->stats.context_losses++;
    }
    pthread_mutex_unlock(&w->lock);
}

/* Worker thread: makes sure GTK never samples a half-written texture.
 * With GdkGLTextureBuilder the fence goes with the texture (*sync_out) and
 * GTK's renderer waits for it on the GPU; the worker waits itself on GTK
 * 4.8, which takes no fence, and on software renderers (the CPU rasteriser
 * must finish anyway, and the guarantee then does not rest on how such a
 * driver orders a server-side wait across contexts). */
static gboolean finish_fence(worker *w, GLsync *sync_out)
{
    *sync_out = NULL;
    GLsync sync = glFenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
    if (!sync)
        return FALSE;
    if (HAVE_TEXTURE_BUILDER && !w->software) {
        glFlush(); /* so that another context's wait can end */
        *sync_out = sync;
        return TRUE;
    }
    GLenum wr = glClientWaitSync(sync, GL_SYNC_FLUSH_COMMANDS_BIT, FENCE_TIMEOUT_NS);
    if (wr != GL_ALREADY_SIGNALED && wr != GL_CONDITION_SATISFIED) {
        glDeleteSync(sync);
        wlog(w, GLVF_LOG_ERROR, "glvf paintable: the conversion's fence did not signal");
        return FALSE;
    }
    if (HAVE_TEXTURE_BUILDER)
        *sync_out = sync; /* signalled: GTK's wait costs nothing */
    else
        glDeleteSync(sync);
    return TRUE;
}

static void count_converted(worker *w, gint64 t0, gint64 t1, gint64 t2, int tw, int th)
{
    glvf_stats st;
    glvf_context_get_stats(w->ctx, &st);
    pthread_mutex_lock(&w->lock);
    w->stats.frames_converted++;
    w->upload_us_sum += t1 - t0;
    w->convert_us_sum += t2 - t1;
    /* the first conversion compiles shaders: not a sample of the cost. A
     * shared worker's lane counts from when its job was queued: the wait
     * for the shared thread is part of what a frame costs it. */
    gint64 cost = t2 - (w->job_queued_us ? MIN(t0, w->job_queued_us) : t0);
    if (w->stats.frames_converted > 1)
        w->cost_est_us = w->cost_est_us ? (w->cost_est_us * 7 + cost) / 8 : cost;
    w->stats.texture_width = tw;
    w->stats.texture_height = th;
    w->stats.pool_bytes = st.pool_bytes;
    pthread_mutex_unlock(&w->lock);
}

/* Worker thread, software renderer: the source converts on the CPU straight
 * to RGBA at the shown size and uploads it; no shader pass. Returns NULL
 * with *tried FALSE when the source cannot (the GL path is taken). */
static glvf_frame *convert_cpu(worker *w, const glvf_gtk_source *src, gpointer user,
                               glvf_gtk_item *it, int *dw, int *dh, gboolean *tried,
                               GLsync *sync)
{
    *tried = FALSE;
    if (!src->upload_rgba || !src->display_size || !src->display_size(user, it->data, dw, dh))
        return NULL;
    *tried = TRUE;
    pthread_mutex_lock(&w->lock);
    int hw = w->hint_w, hh = w->hint_h;
    pthread_mutex_unlock(&w->lock);
    int tw, th;
    target_size(*dw, *dh, hw, hh, &tw, &th);
    gint64 t0 = g_get_monotonic_time();
    glvf_frame *out = src->upload_rgba(user, w->ctx, it->data, tw, th,
                                       glvf_upload_params(.user_data = w));
    item_release(src, user, it);
    if (!out || !finish_fence(w, sync)) {
        glvf_frame_unref(&out);
        count_failure(w);
        return NULL;
    }
    gint64 t1 = g_get_monotonic_time();
    count_converted(w, t0, t0, t1, tw, th); /* all of it is conversion */
    return out;
}

/* Worker thread: uploads and converts one item; returns the RGBA frame
 * (and its fence in *sync, see finish_fence) or NULL. Releases the item's
 * data. */
static glvf_frame *convert(worker *w, const glvf_gtk_source *src, gpointer user,
                           glvf_gtk_item *it, int *dw, int *dh, GLsync *sync)
{
    *sync = NULL;
    if (w->cpu_convert) {
        gboolean tried;
        glvf_frame *out = convert_cpu(w, src, user, it, dw, dh, &tried, sync);
        if (tried)
            return out;
    }
    gint64 t0 = g_get_monotonic_time();
    glvf_frame *vf = src->upload(user, w->ctx, it->data);
    item_release(src, user, it);
    if (!vf) {
        count_failure(w);
        return NULL;
    }
    gint64 t1 = g_get_monotonic_time();
    display_size(glvf_frame_image(vf), dw, dh);
    pthread_mutex_lock(&w->lock);
    int hw = w->hint_w, hh = w->hint_h;
    glvf_scaler scaler = w->scaler;
    pthread_mutex_unlock(&w->lock);
    int tw, th;
    target_size(*dw, *dh, hw, hh, &tw, &th);
    int err = 0;
    glvf_frame *out = glvf_frame_new(w->ctx, GLVF_FORMAT_RGBA8, tw, th,
                                     glvf_upload_params(.user_data = w), &err);
    if (!out) {
        glvf_frame_unref(&vf);
        count_failure(w);
        return NULL;
    }
    glvf_frame_plane plane;
    glvf_frame_get_plane(out, 0, &plane);
    glBindFramebuffer(GL_FRAMEBUFFER, w->fbo);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, plane.texture, 0);
    /* GdkGLTexture rows run top to bottom: draw the picture upside down
     * in GL's bottom-up convention */
    int r = glvf_render(w->ctx, vf,
                        glvf_render_params(.target = { 0, 0, tw, th }, .stretch = true,
                                           .flip_v = true, .scaler = scaler));
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, 0, 0);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glvf_frame_unref(&vf);
    if (r != 0 || !finish_fence(w, sync)) {
        glvf_frame_unref(&out);
        count_failure(w);
        return NULL;
    }
    count_converted(w, t0, t1, g_get_monotonic_time(), tw, th);
    return out;
}

/* Worker thread: puts a converted picture in the hand-off slot. */
static void hand_off(worker *w, const glvf_gtk_source *src, gpointer user, glvf_frame *out,
                     GLsync sync, const glvf_gtk_item *it, int dw, int dh)
{
    pthread_mutex_lock(&w->lock);
    if (it->wait_painted) {
        /* untimed: one picture at a time, each painted before the next; a
         * paint GTK skips (a window not drawn, a frame clock held back)
         * stalls the stream for 250 ms at most */
        guint wakes = w->wakes;
        gint64 until = g_get_monotonic_time() + 250000;
        struct timespec ts = { .tv_sec = until / G_USEC_PER_SEC,
                               .tv_nsec = (long)(until % G_USEC_PER_SEC) * 1000 };
        /* the main thread takes every hand-off: none is replaced */
        while (!w->quit && w->wakes == wakes && (w->ho_frame || w->ho_scheduled))
            pthread_cond_wait(&w->cond, &w->lock);
        while (!w->quit && w->wakes == wakes &&
               w->stats.frames_painted < w->stats.frames_shown)
            if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) == ETIMEDOUT)
                break;
    }
    gint64 now = g_get_monotonic_time();
    glvf_frame *old = w->ho_frame;
    if (old)
        w->stats.frames_replaced++;
    dead_sync_locked(w, w->ho_sync);
    w->ho_sync = sync;
    const glvf_gtk_source *old_src = w->ho_src;
    gpointer old_user = w->ho_src_user;
    glvf_gtk_item old_item = w->ho_item;
    w->ho_frame = out;
    w->ho_item = *it;
    w->ho_src = src;
    w->ho_src_user = src->ref(user);
    w->ho_dw = dw;
    w->ho_dh = dh;
    gboolean schedule = !w->ho_scheduled;
    w->ho_scheduled = TRUE;
    pthread_mutex_unlock(&w->lock);
    if (old) {
        glvf_frame_unref(&old);
        if (old_src->dropped)
            old_src->dropped(old_user, &old_item, FALSE);
        old_src->unref(old_user);
    }
    if (src->handed)
        src->handed(user, it, now);
    if (schedule)
        g_source_set_ready_time(w->wake_src, 0); /* thread-safe */
}

static glvf_frame *shared_lane_convert(worker *w, const glvf_gtk_source *src, gpointer user,
                                      glvf_gtk_item *it, int *dw, int *dh, GLsync *sync);

/* Worker thread: one item from the source to the hand-off slot. */
static void process(worker *w, const glvf_gtk_source *src, gpointer user, glvf_gtk_item *it)
{
    gint64 late = 0;
    gint64 due = src->due(user, it, &late);
    pthread_mutex_lock(&w->lock);
    gint64 cost = w->cost_est_us;
    pthread_mutex_unlock(&w->lock);
    gboolean predicted_late = due > 0 && due != GLVF_GTK_DUE_WAIT && late > 0 &&
                              g_get_monotonic_time() + cost > due + late;
    if (predicted_late && g_get_monotonic_time() <= due + late) {
        /* dropped on the estimate alone: let it decay, so that one slow
         * conversion cannot make every later frame look too late */
        pthread_mutex_lock(&w->lock);
        w->cost_est_us = w->cost_est_us * 7 / 8;
        pthread_mutex_unlock(&w->lock);
    }
    if (due == GLVF_GTK_DUE_DROP || predicted_late) {
        /* stale, or it would be ready only once too late to be shown (the
         * conversion's usual cost counted): not even converted */
        gboolean is_late = due != GLVF_GTK_DUE_DROP;
        item_release(src, user, it);
        if (is_late) {
            pthread_mutex_lock(&w->lock);
            w->stats.frames_late++;
            pthread_mutex_unlock(&w->lock);
        }
        if (src->dropped)
            src->dropped(user, it, is_late);
        return;
    }
    int dw = 0, dh = 0;
    GLsync sync = NULL;
    glvf_frame *out;
    if (w->sh) {
        out = shared_lane_convert(w, src, user, it, &dw, &dh, &sync);
    } else {
        gboolean turn = w->software && turn_take();
        out = convert(w, src, user, it, &dw, &dh, &sync);
        delete_dead_syncs(w);
        if (out)
            glvf_context_collect(w->ctx);
        if (turn)
            pthread_mutex_unlock(&sw_gl_lock);
    }
    if (!out) {
        if (src->dropped)
            src->dropped(user, it, FALSE);
        return;
    }
    /* pacing: wait for the due time (asked again after each wake: a pause
     * or a seek changes it) */
    for (;;) {
        due = src->due(user, it, &late);
        if (due == GLVF_GTK_DUE_DROP)
            break;
        gint64 now = g_get_monotonic_time();
        if (due > 0 && due != GLVF_GTK_DUE_WAIT && late > 0 && now > due + late) {
            pthread_mutex_lock(&w->lock);
            w->stats.frames_late++;
            pthread_mutex_unlock(&w->lock);
            due = GLVF_GTK_DUE_DROP;
            break;
        }
        if (due == 0 || (due != GLVF_GTK_DUE_WAIT && now >= due - HAND_OFF_LEAD_US))
            break;
        pthread_mutex_lock(&w->lock);
        guint wakes = w->wakes;
        gboolean reached =
                wait_until_locked(w, due == GLVF_GTK_DUE_WAIT ? due : due - HAND_OFF_LEAD_US,
                                  wakes);
        gboolean quit = w->quit;
        pthread_mutex_unlock(&w->lock);
        if (quit) {
            due = GLVF_GTK_DUE_DROP;
            break;
        }
        if (reached)
            break;
    }
    if (due == GLVF_GTK_DUE_DROP) {
        glvf_frame_unref(&out);
        pthread_mutex_lock(&w->lock);
        dead_sync_locked(w, sync);
        pthread_mutex_unlock(&w->lock);
        if (src->dropped)
            src->dropped(user, it, TRUE);
        return;
    }
    hand_off(w, src, user, out, sync, it, dw, dh);
}

static gpointer worker_main(gpointer data)
{
    worker *w = data;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        if (w->quit || w->lost)
            break;
        const glvf_gtk_source *src = w->src;
        if (!src) {
            pthread_cond_wait(&w->cond, &w->lock);
            continue;
        }
        gpointer user = src->ref(w->src_user);
        guint wakes = w->wakes;
        pthread_mutex_unlock(&w->lock);

        glvf_gtk_item it = { 0 };
        int r = src->next(user, &it);
        if (r > 0) {
            if (worker_gl_begin(w)) {
                process(w, src, user, &it);
            } else {
                item_release(src, user, &it);
                count_failure(w);
                pthread_mutex_lock(&w->lock);
                w->lost = TRUE; /* no usable GL: let the paintable know */
                pthread_mutex_unlock(&w->lock);
            }
        }
        src->unref(user);
        pthread_mutex_lock(&w->lock);
        if (r < 0 && w->wakes == wakes && !w->quit)
            pthread_cond_wait(&w->cond, &w->lock); /* nothing until a wake */
    }
    gboolean lost = w->lost;
    gboolean quit = w->quit;
    pthread_mutex_unlock(&w->lock);

    if (lost && !quit) {
        /* tell the paintable, which starts a new worker */
        pthread_mutex_lock(&w->lock);
        w->ho_scheduled = TRUE;
        pthread_mutex_unlock(&w->lock);
        g_source_set_ready_time(w->wake_src, 0);
    }
    if (w->ctx && !w->sh && (lost || glvf_context_is_lost(w->ctx))) {
        /* lost: nothing to wait for; textures GTK holds become orphans.
         * (A shared worker's lane always waits below: its textures belong
         * to the shared context, which outlives the lane and is abandoned,
         * if it was lost, only once its last user is gone.) */
        pthread_mutex_lock(&w->lock);
        if (w->outstanding)
            atomic_fetch_add(&totals_orphaned, 1);
        pthread_mutex_unlock(&w->lock);
        worker_gl_end(w, FALSE);
    } else {
        /* GTK may still sample textures it holds: the context stays until
         * every one is released */
        pthread_mutex_lock(&w->lock);
        while (w->outstanding || w->ho_frame || w->ho_scheduled)
            pthread_cond_wait(&w->cond, &w->lock);
        pthread_mutex_unlock(&w->lock);
        if (w->ctx && w->sh) {
            worker_gl_end(w, TRUE); /* a job on the shared thread */
        } else if (w->ctx) {
            gboolean turn = turn_take();
            worker_gl_end(w, glvf_gtk_glctx_make_current(&w->gl));
            if (turn)
                pthread_mutex_unlock(&sw_gl_lock);
        }
    }
    pthread_mutex_lock(&w->lock);
    const glvf_gtk_source *src = w->src;
    gpointer user = w->src_user;
    w->src = NULL;
    w->src_user = NULL;
    pthread_mutex_unlock(&w->lock);
    if (src)
        src->unref(user);
    if (!w->sh) {
        gboolean turn = turn_take();
        glvf_gtk_glctx_destroy(&w->gl);
        if (turn)
            pthread_mutex_unlock(&sw_gl_lock);
    }
    /* the main thread has taken the last hand-off (or the loss notice) */
    pthread_mutex_lock(&w->lock);
    while (w->ho_scheduled)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
    g_source_destroy(w->wake_src); /* drops its reference on the worker */
    g_source_unref(w->wake_src);
    /* joinable until glvf_gtk4_join_workers(): listed before it counts as
     * finished, so that no finished thread is missed there */
    pthread_mutex_lock(&finished_lock);
    finished = g_slist_prepend(finished, g_thread_self());
    pthread_mutex_unlock(&finished_lock);
    atomic_fetch_sub(&totals_running, 1);
    atomic_fetch_add(&totals_finished, 1);
    worker_unref(w);
    return NULL;
}

/* ---- the shared GL thread (GlvfVideoWorker) --------------------------------
 *
 * One GL context, one glvf_context (one texture pool, one deferred queue),
 * current on one thread that runs the GL work of every paintable attached
 * to a GlvfVideoWorker, one job at a time. Each attached paintable keeps a
 * worker (a "lane": its thread asks its source for items, paces them and
 * hands them to the main thread, as an own worker does) but makes no GL
 * call itself: its uploads, conversions and fence deletions are jobs posted
 * here, waited for synchronously. Sources block (next() waits for the
 * decoder, due() for the clock): a lane per paintable keeps that blocking
 * off the GL thread, which is never idle while a job waits.
 *
 * References (`users`): the GlvfVideoWorker's (until it replaces or drops
 * it) and each lane's (until the lane is freed, i.e. after GTK released
 * every texture it made). The last one makes the thread destroy the
 * glvf_context with its GL context current (leaks counted) and end. */

typedef struct gl_job {
    void (*fn)(struct shared_gl *sh, gpointer arg);
    gpointer arg;
    gboolean done, ok;
    struct gl_job *next;
} gl_job;

typedef struct shared_gl {
    atomic_int users;
    pthread_mutex_t lock;
    pthread_cond_t cond;

    /* set at creation (main thread), read-only afterwards */
    glvf_gtk_glctx gl;          /* current on the shared thread only */
    GdkGLContext *tex_gl;       /* named in the lanes' GdkGLTextures */
    glvf_log_fn log;
    gpointer log_user;

    /* lock */
    gl_job *jobs, **jobs_tail;
    gboolean quit;              /* users reached 0 */
    gboolean failed;            /* no glvf_context could be made */
    gboolean lost;              /* the GL context was lost */
    guint64 jobs_run;
    guint64 pool_bytes;
    char renderer[128];

    /* the shared thread only (lanes read them inside their jobs) */
    glvf_context *ctx;
    GLuint fbo;
    gboolean software, cpu_convert;
} shared_gl;

static bool shared_is_current(void *user)
{
    shared_gl *sh = user;
    return glvf_gtk_glctx_is_current(&sh->gl);
}

/* Shared thread: the GL context current and the glvf_context made. */
static gboolean shared_begin(shared_gl *sh)
{
    if (sh->ctx)
        return TRUE;
    if (!glvf_gtk_glctx_make_current(&sh->gl)) {
        sh->log(sh->log_user, GLVF_LOG_ERROR,
                "glvf video worker: cannot make the shared GL context current");
        return FALSE;
    }
    sh->ctx = glvf_context_create(glvf_context_params(.is_current = shared_is_current,
                                                      .is_current_user = sh, .log = sh->log,
                                                      .log_user = sh->log_user));
    if (!sh->ctx)
        return FALSE;
    atomic_fetch_add(&totals_contexts, 1);
    glGenFramebuffers(1, &sh->fbo);
    const glvf_caps *caps = glvf_context_get_caps(sh->ctx);
    sh->software = caps->software;
    const char *conv = g_getenv("GLVF_GTK4_CONVERT");
    sh->cpu_convert = conv && !strcmp(conv, "cpu")  ? TRUE
                      : conv && !strcmp(conv, "gl") ? FALSE
                                                    : caps->software;
    pthread_mutex_lock(&sh->lock);
    g_strlcpy(sh->renderer, caps->renderer ? caps->renderer : "?", sizeof sh->renderer);
    pthread_mutex_unlock(&sh->lock);
    return TRUE;
}

static gpointer shared_main(gpointer data)
{
    shared_gl *sh = data;
    pthread_mutex_lock(&sh->lock);
    for (;;) {
        while (!sh->jobs && !sh->quit)
            pthread_cond_wait(&sh->cond, &sh->lock);
        gl_job *job = sh->jobs;
        if (!job)
            break; /* quit, and no lane is left to post one */
        sh->jobs = job->next;
        if (!sh->jobs)
            sh->jobs_tail = &sh->jobs;
        gboolean failed = sh->failed || sh->lost;
        pthread_mutex_unlock(&sh->lock);
        gboolean ok = FALSE;
        if (!failed) {
            /* whether the renderer is a software one is known only once
             * the context is made */
            gboolean turn = (!sh->ctx || sh->software) && turn_take();
            ok = shared_begin(sh);
            if (ok)
                job->fn(sh, job->arg);
            if (turn)
                pthread_mutex_unlock(&sw_gl_lock);
        }
        glvf_stats st = { 0 };
        if (sh->ctx)
            glvf_context_get_stats(sh->ctx, &st);
        pthread_mutex_lock(&sh->lock);
        if (!ok)
            sh->failed = TRUE;
        if (sh->ctx && glvf_context_is_lost(sh->ctx))
            sh->lost = TRUE;
        sh->jobs_run++;
        sh->pool_bytes = st.pool_bytes;
        job->ok = ok;
        job->done = TRUE;
        pthread_cond_broadcast(&sh->cond);
    }
    gboolean lost = sh->lost;
    pthread_mutex_unlock(&sh->lock);

    /* every lane is gone, and with it every texture GTK held */
    gboolean turn = turn_take();
    if (sh->ctx) {
        gboolean gl = !lost && !glvf_context_is_lost(sh->ctx) &&
                      glvf_gtk_glctx_make_current(&sh->gl);
        if (gl) {
            glvf_stats st;
            glvf_context_get_stats(sh->ctx, &st);
            atomic_fetch_add(&totals_leaked, st.frames_live + st.staging_live);
        }
        if (sh->fbo)
            glvf_context_defer_delete(sh->ctx, GLVF_OBJECT_FRAMEBUFFER, sh->fbo);
        if (!gl || !glvf_context_destroy(&sh->ctx))
            glvf_context_abandon(&sh->ctx);
    }
    glvf_gtk_glctx_destroy(&sh->gl);
    if (turn)
        pthread_mutex_unlock(&sw_gl_lock);
    g_clear_object(&sh->tex_gl); /* GdkGLTextures hold their own references */
    pthread_cond_destroy(&sh->cond);
    pthread_mutex_destroy(&sh->lock);
    g_free(sh);
    pthread_mutex_lock(&finished_lock);
    finished = g_slist_prepend(finished, g_thread_self());
    pthread_mutex_unlock(&finished_lock);
    atomic_fetch_sub(&totals_running, 1);
    atomic_fetch_add(&totals_finished, 1);
    return NULL;
}

static shared_gl *shared_use(shared_gl *sh)
{
    atomic_fetch_add(&sh->users, 1);
    return sh;
}

/* Any thread: the last user makes the thread finish (it frees `sh`). */
static void shared_unuse(shared_gl *sh)
{
    if (atomic_fetch_sub(&sh->users, 1) != 1)
        return;
    pthread_mutex_lock(&sh->lock);
    sh->quit = TRUE;
    pthread_cond_broadcast(&sh->cond);
    pthread_mutex_unlock(&sh->lock);
}

/* A lane's thread: runs fn(sh, arg) on the shared thread, GL current, and
 * waits for it. FALSE (fn not run) when the shared context is unusable. */
static gboolean shared_run(shared_gl *sh, void (*fn)(shared_gl *, gpointer), gpointer arg)
{
    gl_job job = { .fn = fn, .arg = arg };
    pthread_mutex_lock(&sh->lock);
    *sh->jobs_tail = &job;
    sh->jobs_tail = &job.next;
    pthread_cond_broadcast(&sh->cond);
    while (!job.done)
        pthread_cond_wait(&sh->cond, &sh->lock);
    pthread_mutex_unlock(&sh->lock);
    return job.ok;
}

static void lane_begin_job(shared_gl *sh, gpointer arg)
{
    worker *w = arg;
    const glvf_caps *caps = glvf_context_get_caps(sh->ctx);
    w->ctx = sh->ctx;
    w->fbo = sh->fbo;
    pthread_mutex_lock(&w->lock);
    w->software = sh->software;
    w->cpu_convert = sh->cpu_convert;
    g_strlcpy(w->stats.renderer, caps->renderer ? caps->renderer : "?",
              sizeof w->stats.renderer);
    g_strlcpy(w->stats.upload_strategy,
              glvf_upload_strategy_name(glvf_context_get_upload_strategy(sh->ctx)),
              sizeof w->stats.upload_strategy);
    w->stats.gl_es = caps->is_gles;
    w->stats.gl_major = caps->gl_major;
    w->stats.gl_minor = caps->gl_minor;
    pthread_mutex_unlock(&w->lock);
}

/* Lane thread: borrows the shared glvf_context (w->ctx, w->fbo). */
static gboolean shared_lane_begin(worker *w)
{
    return shared_run(w->sh, lane_begin_job, w) && w->ctx;
}

static void lane_end_job(shared_gl *sh, gpointer arg)
{
    (void)sh;
    delete_dead_syncs(arg);
}

/* Lane thread, at its end: gives the borrowed context back. With `gl`,
 * the fences GTK is done with are deleted on the shared thread; without
 * (lost), they went with the context. Nothing else is the lane's own:
 * its frames were returned to the shared pool as GTK released them. */
static void shared_lane_end(worker *w, gboolean gl)
{
    if (!gl || !shared_run(w->sh, lane_end_job, w)) {
        pthread_mutex_lock(&w->lock);
        w->n_dead_syncs = 0;
        pthread_mutex_unlock(&w->lock);
    }
    w->ctx = NULL;
    w->fbo = 0;
}

typedef struct convert_job {
    worker *w;
    const glvf_gtk_source *src;
    gpointer user;
    glvf_gtk_item *it;
    int *dw, *dh;
    GLsync *sync;
    glvf_frame *out;
} convert_job;

static void lane_convert_job(shared_gl *sh, gpointer arg)
{
    convert_job *j = arg;
    j->out = convert(j->w, j->src, j->user, j->it, j->dw, j->dh, j->sync);
    delete_dead_syncs(j->w);
    if (j->out)
        glvf_context_collect(sh->ctx);
}

/* Lane thread: process()'s GL section, run on the shared thread. */
static glvf_frame *shared_lane_convert(worker *w, const glvf_gtk_source *src, gpointer user,
                                      glvf_gtk_item *it, int *dw, int *dh, GLsync *sync)
{
    *sync = NULL;
    convert_job j = { w, src, user, it, dw, dh, sync, NULL };
    w->job_queued_us = g_get_monotonic_time();
    gboolean ran = shared_run(w->sh, lane_convert_job, &j);
    w->job_queued_us = 0;
    if (!ran) {
        item_release(src, user, it);
        count_failure(w);
        pthread_mutex_lock(&w->lock);
        w->lost = TRUE; /* the shared context is unusable: the paintable
                           asks its GlvfVideoWorker for a new one */
        pthread_mutex_unlock(&w->lock);
        return NULL;
    }
    return j.out;
}

/* ---- the paintable ------------------------------------------------------- */

struct _GlvfVideoPaintable {
    GObject parent;
    GdkDisplay *display;

    pthread_mutex_t lock;       /* w (for other threads), retired, start_pending */
    worker *w;
    gboolean start_pending;     /* an idle will make the worker */
    GlvfVideoPaintableStats retired; /* counters of workers let go */
    gint64 retired_upload_us, retired_convert_us;

    /* main thread */
    GdkTexture *current;
    gboolean current_painted;   /* GTK drew `current` (snapshot) */
    worker *current_w;          /* the worker that made `current` (not a reference) */
    int dw, dh;                 /* display size of what is shown */
    int scale;
    glvf_scaler scaler;
    glvf_log_fn log;
    gpointer log_user;
    const glvf_gtk_source *src;
    gpointer src_user;
    GlvfVideoPaintableShownFunc shown;
    gpointer shown_user;
    gboolean gl_failed;         /* no worker could be made: do not retry per frame */
    GlvfVideoWorker *shared;    /* glvf_video_paintable_set_worker (a reference), or NULL */
    /* the built-in source of glvf_video_paintable_push */
    struct push_source *push;
};

static void glvf_video_paintable_iface_init(GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(GlvfVideoPaintable, glvf_video_paintable, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(GDK_TYPE_PAINTABLE,
                                                    glvf_video_paintable_iface_init))

static void stats_add(GlvfVideoPaintableStats *to, const GlvfVideoPaintableStats *s)
{
    to->frames_shown += s->frames_shown;
    to->frames_painted += s->frames_painted;
    to->frames_converted += s->frames_converted;
    to->frames_late += s->frames_late;
    to->frames_replaced += s->frames_replaced;
    to->upload_failures += s->upload_failures;
    to->workers_started += s->workers_started;
    to->context_losses += s->context_losses;
    to->frames_fenced += s->frames_fenced;
}

/* self->lock and w->lock held: the worker's descriptive figures and sums
 * carried over to the paintable when it is let go. */
static void retire_last(GlvfVideoPaintable *self, const worker *w)
{
    GlvfVideoPaintableStats *r = &self->retired;
    const GlvfVideoPaintableStats *s = &w->stats;
    if (!s->frames_converted)
        return;
    memcpy(r->renderer, s->renderer, sizeof r->renderer);
    memcpy(r->upload_strategy, s->upload_strategy, sizeof r->upload_strategy);
    r->gl_es = s->gl_es;
    r->gl_major = s->gl_major;
    r->gl_minor = s->gl_minor;
    r->texture_width = s->texture_width;
    r->texture_height = s->texture_height;
    r->pool_bytes = s->pool_bytes;
    self->retired_upload_us += w->upload_us_sum;
    self->retired_convert_us += w->convert_us_sum;
}

/* Main thread: a GdkGLContext of `display` (named in GdkGLTextures) and
 * a native context sharing objects with it, for a worker thread. FALSE
 * with the reason in `why`. */
static gboolean make_gl(GdkDisplay *display, GdkGLContext **tex_gl_out, glvf_gtk_glctx *gl,
                        char *why, size_t n)
{
    GError *err = NULL;
    GdkGLContext *tex_gl = gdk_display_create_gl_context(display, &err);
    if (tex_gl) {
        G_GNUC_BEGIN_IGNORE_DEPRECATIONS
        /* GL or GLES, whichever GDK allows (GDK_DEBUG=gl-gles) */
        gdk_gl_context_set_use_es(tex_gl, -1);
        G_GNUC_END_IGNORE_DEPRECATIONS
    }
    GdkGLContext *was = gdk_gl_context_get_current();
    if (was)
        g_object_ref(was);
    gboolean ok = tex_gl && gdk_gl_context_realize(tex_gl, &err);
    if (!ok)
        g_strlcpy(why, err ? err->message : "unknown error", n);
    /* the worker's own context, sharing objects with tex_gl (and so with
     * every GdkGLContext of the display) */
    if (ok)
        ok = glvf_gtk_glctx_create(gl, tex_gl, why, n);
    /* realizing may leave a context current here: restore what was */
    if (gdk_gl_context_get_current() != was) {
        if (was)
            gdk_gl_context_make_current(was);
        else
            gdk_gl_context_clear_current();
    }
    g_clear_object(&was);
    g_clear_error(&err);
    if (!ok)
        g_clear_object(&tex_gl);
    *tex_gl_out = tex_gl;
    return ok;
}

static shared_gl *video_worker_acquire(GlvfVideoWorker *vw);

/* Main thread: a worker for the paintable, made when needed (with a
 * GlvfVideoWorker set: a lane of its shared GL thread). */
static worker *ensure_worker(GlvfVideoPaintable *self)
{
    if (self->w)
        return self->w;
    if (self->gl_failed)
        return NULL;
    glvf_gtk4_join_workers(); /* those that ended since the last one started */
    shared_gl *sh = NULL;
    glvf_gtk_glctx gl = { 0 };
    GdkGLContext *tex_gl = NULL;
    if (self->shared) {
        sh = video_worker_acquire(self->shared);
        if (!sh) {
            self->gl_failed = TRUE; /* logged by the worker */
            return NULL;
        }
        tex_gl = g_object_ref(sh->tex_gl);
    } else {
        char why[256] = "";
        if (!make_gl(self->display, &tex_gl, &gl, why, sizeof why)) {
            char msg[320];
            g_snprintf(msg, sizeof msg, "no usable GL context for video: %s", why);
            self->log(self->log_user, GLVF_LOG_ERROR, msg);
            self->gl_failed = TRUE;
            return NULL;
        }
    }
    worker *w = g_new0(worker, 1);
    atomic_init(&w->refs, 2); /* the paintable's and the thread's */
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &ca);
    pthread_condattr_destroy(&ca);
    w->gl = gl;
    w->tex_gl = tex_gl;
    w->sh = sh; /* the reference video_worker_acquire() gave */
    w->log = self->log;
    w->log_user = self->log_user;
    g_weak_ref_init(&w->paintable, self);
    w->scaler = self->scaler;
    w->stats.workers_started = 1;
    if (self->src) {
        w->src = self->src;
        w->src_user = self->src->ref(self->src_user);
    }
    w->wake_src = g_source_new(&wake_funcs, sizeof(GSource));
    g_source_set_priority(w->wake_src, G_PRIORITY_DEFAULT);
    g_source_set_callback(w->wake_src, hand_off_idle, worker_ref(w),
                          (GDestroyNotify)worker_unref);
    g_source_set_name(w->wake_src, "glvf paintable hand-off");
    g_source_attach(w->wake_src, NULL);
    atomic_fetch_add(&totals_running, 1);
    /* its reference is given back by glvf_gtk4_join_workers() */
    (void)g_thread_new("glvf-paintable", worker_main, w);
    pthread_mutex_lock(&self->lock);
    self->w = w;
    pthread_mutex_unlock(&self->lock);
    return w;
}

/* w->lock held, released here: the worker looks at its state again, and a
 * next() it is blocked in returns. */
static void worker_kick_unlock(worker *w)
{
    w->wakes++;
    const glvf_gtk_source *src = w->src;
    gpointer user = src ? src->ref(w->src_user) : NULL;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    if (src) {
        src->interrupt(user);
        src->unref(user);
    }
}

/* Main thread: lets the current worker go (it finishes by itself). */
static void detach_worker(GlvfVideoPaintable *self)
{
    pthread_mutex_lock(&self->lock);
    worker *w = self->w;
    self->w = NULL;
    if (w) {
        pthread_mutex_lock(&w->lock);
        stats_add(&self->retired, &w->stats);
        /* what the worker last knew stays readable after it is let go */
        retire_last(self, w);
        w->quit = TRUE;
        worker_kick_unlock(w);
        pthread_mutex_unlock(&self->lock);
        worker_unref(w);
        return;
    }
    pthread_mutex_unlock(&self->lock);
}

/* A GdkGLTexture's destroy notify: any thread, never a GL call. */
static void texture_released(gpointer data)
{
    tex_ref *r = data;
    worker *w = r->w;
    glvf_frame_unref(&r->frame); /* back to the pool (or freed, for an orphan) */
    pthread_mutex_lock(&w->lock);
    dead_sync_locked(w, r->sync);
    r->sync = NULL;
    r->next = w->free_refs;
    w->free_refs = r;
    w->outstanding--;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    worker_unref(w);
}

static gboolean hand_off_idle(gpointer data)
{
    worker *w = data;
    GlvfVideoPaintable *self = g_weak_ref_get(&w->paintable);
    pthread_mutex_lock(&w->lock);
    glvf_frame *f = w->ho_frame;
    GLsync sync = w->ho_sync;
    glvf_gtk_item it = w->ho_item;
    const glvf_gtk_source *src = w->ho_src;
    gpointer user = w->ho_src_user;
    int dw = w->ho_dw, dh = w->ho_dh;
    w->ho_frame = NULL;
    w->ho_sync = NULL;
    w->ho_src = NULL;
    w->ho_src_user = NULL;
    /* ho_scheduled stays set until the frame is dealt with: a worker that
     * is finishing waits for it before it destroys its context */
    gboolean lost = w->lost;
    gboolean current = self && self->w == w;
    tex_ref *ref = NULL;
    if (f && current) {
        w->outstanding++;
        w->stats.frames_shown++;
        if (sync)
            w->stats.frames_fenced++;
        ref = w->free_refs;
        if (ref)
            w->free_refs = ref->next;
    } else {
        dead_sync_locked(w, sync);
    }
    pthread_mutex_unlock(&w->lock);

    if (f && !current) {
        glvf_frame_unref(&f);
    } else if (f) {
        if (w->software)
            hook_frame_clocks();
        if (!ref)
            ref = g_new(tex_ref, 1);
        *ref = (tex_ref){ .w = worker_ref(w) /* the texture's */, .frame = f, .sync = sync };
        glvf_frame_plane plane;
        glvf_frame_get_plane(f, 0, &plane);
#if HAVE_TEXTURE_BUILDER
        GdkGLTextureBuilder *b = gdk_gl_texture_builder_new();
        gdk_gl_texture_builder_set_context(b, w->tex_gl);
        gdk_gl_texture_builder_set_id(b, plane.texture);
        gdk_gl_texture_builder_set_width(b, plane.width);
        gdk_gl_texture_builder_set_height(b, plane.height);
        gdk_gl_texture_builder_set_format(b, GDK_MEMORY_R8G8B8A8_PREMULTIPLIED);
        gdk_gl_texture_builder_set_sync(b, sync);
        GdkTexture *tex = gdk_gl_texture_builder_build(b, texture_released, ref);
        g_object_unref(b);
#else
        GdkTexture *tex = gdk_gl_texture_new(w->tex_gl, plane.texture, plane.width,
                                             plane.height, texture_released, ref);
#endif
        g_clear_object(&self->current);
        self->current = tex;
        self->current_painted = FALSE;
        self->current_w = w;
        gboolean resized = dw != self->dw || dh != self->dh;
        self->dw = dw;
        self->dh = dh;
        if (resized)
            gdk_paintable_invalidate_size(GDK_PAINTABLE(self));
        gdk_paintable_invalidate_contents(GDK_PAINTABLE(self));
        if (self->shown && src == self->src && user == self->src_user)
            self->shown(self->shown_user, it.pts_us, it.serial);
    }
    if (src)
        src->unref(user);
    pthread_mutex_lock(&w->lock);
    if (w->ho_frame)
        g_source_set_ready_time(w->wake_src, 0); /* another came meanwhile */
    else
        w->ho_scheduled = FALSE;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    if (lost && current) {
        /* the GL context was lost (or could not be used): start over with a
         * new one */
        detach_worker(self);
        ensure_worker(self);
    }
    g_clear_object(&self);
    return G_SOURCE_CONTINUE;
}

/* ---- GlvfVideoWorker -------------------------------------------------------- */

struct _GlvfVideoWorker {
    GObject parent;
    GdkDisplay *display;
    glvf_log_fn log;
    gpointer log_user;
    pthread_mutex_t lock;       /* sh and the counters, for readers on other threads */
    shared_gl *sh;              /* the shared thread in use (one user reference), or NULL */
    guint64 threads_started;
    guint64 retired_jobs;
};

G_DEFINE_FINAL_TYPE(GlvfVideoWorker, glvf_video_worker, G_TYPE_OBJECT)

/* Main thread: the shared thread (started when needed; a new one replaces
 * one whose context failed or was lost), with a user reference for the
 * caller. NULL when no GL context can be made (logged). */
static shared_gl *video_worker_acquire(GlvfVideoWorker *vw)
{
    shared_gl *old = NULL;
    pthread_mutex_lock(&vw->lock);
    if (vw->sh) {
        pthread_mutex_lock(&vw->sh->lock);
        gboolean bad = vw->sh->failed || vw->sh->lost;
        guint64 jobs = vw->sh->jobs_run;
        pthread_mutex_unlock(&vw->sh->lock);
        if (bad) {
            old = vw->sh;
            vw->sh = NULL;
            vw->retired_jobs += jobs;
        }
    }
    shared_gl *sh = vw->sh;
    pthread_mutex_unlock(&vw->lock);
    if (old)
        shared_unuse(old); /* it ends once its lanes are gone */
    if (sh)
        return shared_use(sh);

    glvf_gtk_glctx gl = { 0 };
    GdkGLContext *tex_gl = NULL;
    char why[256] = "";
    if (!make_gl(vw->display, &tex_gl, &gl, why, sizeof why)) {
        char msg[320];
        g_snprintf(msg, sizeof msg, "no usable GL context for video: %s", why);
        vw->log(vw->log_user, GLVF_LOG_ERROR, msg);
        return NULL;
    }
    sh = g_new0(shared_gl, 1);
    atomic_init(&sh->users, 2); /* the GlvfVideoWorker's and the caller's */
    pthread_mutex_init(&sh->lock, NULL);
    pthread_cond_init(&sh->cond, NULL);
    sh->gl = gl;
    sh->tex_gl = tex_gl;
    sh->log = vw->log;
    sh->log_user = vw->log_user;
    sh->jobs_tail = &sh->jobs;
    atomic_fetch_add(&totals_running, 1);
    /* its reference is given back by glvf_gtk4_join_workers(); it frees
     * `sh` itself when the last user is gone */
    (void)g_thread_new("glvf-video-worker", shared_main, sh);
    pthread_mutex_lock(&vw->lock);
    vw->sh = sh;
    vw->threads_started++;
    pthread_mutex_unlock(&vw->lock);
    return sh;
}

GlvfVideoWorker *glvf_video_worker_new(GdkDisplay *display)
{
    GlvfVideoWorker *vw = g_object_new(GLVF_TYPE_VIDEO_WORKER, NULL);
    vw->display = g_object_ref(display ? display : gdk_display_get_default());
    return vw;
}

void glvf_video_worker_set_log(GlvfVideoWorker *vw, glvf_log_fn log, gpointer user)
{
    g_return_if_fail(GLVF_IS_VIDEO_WORKER(vw));
    vw->log = log ? log : glvf_gtk_default_log;
    vw->log_user = log ? user : NULL;
}

void glvf_video_worker_get_stats(GlvfVideoWorker *vw, GlvfVideoWorkerStats *out)
{
    g_return_if_fail(GLVF_IS_VIDEO_WORKER(vw));
    g_return_if_fail(out != NULL);
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&vw->lock);
    out->threads_started = vw->threads_started;
    out->jobs = vw->retired_jobs;
    shared_gl *sh = vw->sh;
    if (sh) {
        /* every user but the GlvfVideoWorker's is a paintable's worker */
        int users = atomic_load(&sh->users);
        out->paintables = users > 1 ? (guint)(users - 1) : 0;
        pthread_mutex_lock(&sh->lock);
        out->jobs += sh->jobs_run;
        out->pool_bytes = sh->pool_bytes;
        out->running = !sh->failed && !sh->lost;
        memcpy(out->renderer, sh->renderer, sizeof out->renderer);
        pthread_mutex_unlock(&sh->lock);
    }
    pthread_mutex_unlock(&vw->lock);
}

static void glvf_video_worker_dispose(GObject *obj)
{
    GlvfVideoWorker *vw = GLVF_VIDEO_WORKER(obj);
    pthread_mutex_lock(&vw->lock);
    shared_gl *sh = vw->sh;
    vw->sh = NULL;
    pthread_mutex_unlock(&vw->lock);
    if (sh)
        shared_unuse(sh); /* the thread ends once the paintables let go */
    G_OBJECT_CLASS(glvf_video_worker_parent_class)->dispose(obj);
}

static void glvf_video_worker_finalize(GObject *obj)
{
    GlvfVideoWorker *vw = GLVF_VIDEO_WORKER(obj);
    g_clear_object(&vw->display);
    pthread_mutex_destroy(&vw->lock);
    G_OBJECT_CLASS(glvf_video_worker_parent_class)->finalize(obj);
}

static void glvf_video_worker_class_init(GlvfVideoWorkerClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    oc->dispose = glvf_video_worker_dispose;
    oc->finalize = glvf_video_worker_finalize;
}

static void glvf_video_worker_init(GlvfVideoWorker *vw)
{
    pthread_mutex_init(&vw->lock, NULL);
    vw->log = glvf_gtk_default_log;
}

void glvf_video_paintable_set_worker(GlvfVideoPaintable *self, GlvfVideoWorker *vw)
{
    g_return_if_fail(GLVF_IS_VIDEO_PAINTABLE(self));
    g_return_if_fail(vw == NULL || GLVF_IS_VIDEO_WORKER(vw));
    if (self->shared == vw)
        return;
    if (vw)
        g_object_ref(vw);
    g_clear_object(&self->shared);
    self->shared = vw;
    self->gl_failed = FALSE;
    /* the next picture goes through the new one; what is shown stays */
    if (self->w) {
        detach_worker(self);
        if (self->src)
            ensure_worker(self);
    }
}

GlvfVideoWorker *glvf_video_paintable_get_worker(GlvfVideoPaintable *self)
{
    g_return_val_if_fail(GLVF_IS_VIDEO_PAINTABLE(self), NULL);
    return self->shared;
}

/* ---- the push source ------------------------------------------------------ */

typedef struct push_source {
    atomic_int refs;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    guint interrupts;
    gboolean closed;
    /* the mailbox */
    GlvfVideoAreaUploadFunc upload;
    gpointer data;
    GDestroyNotify release;
    GlvfVideoPaintable *owner; /* for counting replacements; cleared at dispose */
    guint64 replaced;
    struct push_item *free_items; /* reused: no allocation per push once warm */
} push_source;

/* An item taken by a worker (one per worker at a time; a worker let go may
 * still hold one while the next takes another). */
typedef struct push_item {
    GlvfVideoAreaUploadFunc upload;
    gpointer data;
    GDestroyNotify release;
    push_source *ps;
    struct push_item *next;
} push_item;

static gpointer push_ref(gpointer user)
{
    push_source *ps = user;
    atomic_fetch_add(&ps->refs, 1);
    return ps;
}

static void push_unref(gpointer user)
{
    push_source *ps = user;
    if (atomic_fetch_sub(&ps->refs, 1) != 1)
        return;
    if (ps->upload && ps->release)
        ps->release(ps->data);
    while (ps->free_items) {
        push_item *pi = ps->free_items;
        ps->free_items = pi->next;
        g_free(pi);
    }
    pthread_cond_destroy(&ps->cond);
    pthread_mutex_destroy(&ps->lock);
    g_free(ps);
}

static int push_next(gpointer user, glvf_gtk_item *item)
{
    push_source *ps = user;
    pthread_mutex_lock(&ps->lock);
    guint interrupts = ps->interrupts;
    while (!ps->upload && !ps->closed && ps->interrupts == interrupts)
        pthread_cond_wait(&ps->cond, &ps->lock);
    if (!ps->upload) {
        gboolean closed = ps->closed;
        pthread_mutex_unlock(&ps->lock);
        return closed ? -1 : 0;
    }
    push_item *pi = ps->free_items;
    if (pi)
        ps->free_items = pi->next;
    else
        pi = g_new(push_item, 1);
    *pi = (push_item){ ps->upload, ps->data, ps->release, ps, NULL };
    ps->upload = NULL;
    ps->data = NULL;
    ps->release = NULL;
    pthread_mutex_unlock(&ps->lock);
    *item = (glvf_gtk_item){ .data = pi };
    return 1;
}

static void push_interrupt(gpointer user)
{
    push_source *ps = user;
    pthread_mutex_lock(&ps->lock);
    ps->interrupts++;
    pthread_cond_broadcast(&ps->cond);
    pthread_mutex_unlock(&ps->lock);
}

static gint64 push_due(gpointer user, glvf_gtk_item *item, gint64 *late_us)
{
    (void)user;
    (void)item;
    *late_us = 0;
    return 0;
}

static glvf_frame *push_upload(gpointer user, glvf_context *ctx, gpointer data)
{
    (void)user;
    push_item *pi = data;
    return pi->upload(ctx, pi->data);
}

static void push_release(gpointer user, gpointer data)
{
    (void)user;
    push_item *pi = data;
    push_source *ps = pi->ps; /* alive: the worker holds a reference */
    if (pi->release)
        pi->release(pi->data);
    pthread_mutex_lock(&ps->lock);
    pi->next = ps->free_items;
    ps->free_items = pi;
    pthread_mutex_unlock(&ps->lock);
}

static const glvf_gtk_source push_vtable = {
    .next = push_next,
    .interrupt = push_interrupt,
    .due = push_due,
    .upload = push_upload,
    .release = push_release,
    .ref = push_ref,
    .unref = push_unref,
};

static gboolean start_idle(gpointer data)
{
    GlvfVideoPaintable *self = data;
    pthread_mutex_lock(&self->lock);
    self->start_pending = FALSE;
    pthread_mutex_unlock(&self->lock);
    if (self->src)
        ensure_worker(self);
    return G_SOURCE_REMOVE;
}

void glvf_video_paintable_push(GlvfVideoPaintable *self, GlvfVideoAreaUploadFunc upload,
                               gpointer data, GDestroyNotify release)
{
    g_return_if_fail(GLVF_IS_VIDEO_PAINTABLE(self));
    g_return_if_fail(upload != NULL);
    push_source *ps = self->push;
    pthread_mutex_lock(&ps->lock);
    GDestroyNotify old_release = ps->upload ? ps->release : NULL;
    gpointer old_data = ps->data;
    gboolean replaced = ps->upload != NULL;
    if (replaced)
        ps->replaced++;
    ps->upload = upload;
    ps->data = data;
    ps->release = release;
    pthread_cond_broadcast(&ps->cond);
    pthread_mutex_unlock(&ps->lock);
    if (old_release)
        old_release(old_data);
    /* the worker is made on the main thread, when there is none */
    pthread_mutex_lock(&self->lock);
    gboolean start = !self->w && !self->start_pending;
    self->start_pending |= start;
    pthread_mutex_unlock(&self->lock);
    if (start) {
        GSource *s = g_idle_source_new();
        g_source_set_priority(s, G_PRIORITY_DEFAULT);
        g_source_set_callback(s, start_idle, g_object_ref(self), g_object_unref);
        g_source_attach(s, NULL);
        g_source_unref(s);
    }
}

/* ---- public API ----------------------------------------------------------- */

void glvf_video_paintable_set_source(GlvfVideoPaintable *self, const glvf_gtk_source *source,
                                     gpointer user)
{
    g_return_if_fail(GLVF_IS_VIDEO_PAINTABLE(self));
    const glvf_gtk_source *old = self->src;
    gpointer old_user = self->src_user;
    self->src = source;
    self->src_user = source ? source->ref(user) : NULL;
    worker *w = source ? ensure_worker(self) : self->w;
    if (w) {
        pthread_mutex_lock(&w->lock);
        const glvf_gtk_source *wsrc = w->src;
        gpointer wuser = w->src_user;
        w->src = source;
        w->src_user = source ? source->ref(user) : NULL;
        w->wakes++;
        pthread_cond_broadcast(&w->cond);
        pthread_mutex_unlock(&w->lock);
        if (wsrc) {
            wsrc->interrupt(wuser);
            wsrc->unref(wuser);
        }
    }
    if (old) {
        old->interrupt(old_user);
        old->unref(old_user);
    }
}

void glvf_video_paintable_wake(GlvfVideoPaintable *self)
{
    g_return_if_fail(GLVF_IS_VIDEO_PAINTABLE(self));
    pthread_mutex_lock(&self->lock);
    worker *w = self->w;
    if (w) {
        pthread_mutex_lock(&w->lock);
        w->wakes++;
        pthread_cond_broadcast(&w->cond);
        pthread_mutex_unlock(&w->lock);
    }
    pthread_mutex_unlock(&self->lock);
}

void glvf_video_paintable_set_shown_func(GlvfVideoPaintable *self,
                                         GlvfVideoPaintableShownFunc func, gpointer user)
{
    g_return_if_fail(GLVF_IS_VIDEO_PAINTABLE(self));
    self->shown = func;
    self->shown_user = user;
}

void glvf_video_paintable_set_scale(GlvfVideoPaintable *self, int scale)
{
    g_return_if_fail(GLVF_IS_VIDEO_PAINTABLE(self));
    self->scale = MAX(1, scale);
}

void glvf_video_paintable_clear(GlvfVideoPaintable *self)
{
    g_return_if_fail(GLVF_IS_VIDEO_PAINTABLE(self));
    push_source *ps = self->push;
    pthread_mutex_lock(&ps->lock);
    GDestroyNotify release = ps->upload ? ps->release : NULL;
    gpointer data = ps->data;
    ps->upload = NULL;
    ps->data = NULL;
    ps->release = NULL;
    pthread_mutex_unlock(&ps->lock);
    if (release)
        release(data);
    if (self->current) {
        g_clear_object(&self->current);
        self->dw = self->dh = 0;
        gdk_paintable_invalidate_size(GDK_PAINTABLE(self));
        gdk_paintable_invalidate_contents(GDK_PAINTABLE(self));
    }
}

static GdkTexture *download(GdkTexture *t)
{
    int w = gdk_texture_get_width(t), h = gdk_texture_get_height(t);
    gsize stride = (gsize)w * 4;
    guchar *px = g_malloc(stride * (gsize)h);
    main_turn_begin();
    gdk_texture_download(t, px, stride);
    main_turn_end();
    GBytes *bytes = g_bytes_new_take(px, stride * (gsize)h);
    GdkTexture *copy = gdk_memory_texture_new(w, h, GDK_MEMORY_DEFAULT, bytes, stride);
    g_bytes_unref(bytes);
    return copy;
}

void glvf_video_paintable_simulate_context_loss(GlvfVideoPaintable *self)
{
    g_return_if_fail(GLVF_IS_VIDEO_PAINTABLE(self));
    pthread_mutex_lock(&self->lock);
    worker *w = self->w;
    if (w) {
        pthread_mutex_lock(&w->lock);
        if (!w->lost) {
            w->lost = TRUE;
            w->stats.context_losses++;
        }
        worker_kick_unlock(w);
    }
    pthread_mutex_unlock(&self->lock);
}

void glvf_video_paintable_release_gl(GlvfVideoPaintable *self)
{
    g_return_if_fail(GLVF_IS_VIDEO_PAINTABLE(self));
    if (self->current && GDK_IS_GL_TEXTURE(self->current)) {
        /* what is shown stays shown, in CPU memory: the worker can end as
         * soon as GTK drops the textures it holds */
        GdkTexture *t = self->current;
        self->current = download(t);
        g_object_unref(t);
    }
    detach_worker(self);
}

void glvf_video_paintable_set_scaler(GlvfVideoPaintable *self, glvf_scaler scaler)
{
    g_return_if_fail(GLVF_IS_VIDEO_PAINTABLE(self));
    g_return_if_fail(scaler == GLVF_SCALER_BILINEAR || scaler == GLVF_SCALER_BICUBIC);
    self->scaler = scaler;
    pthread_mutex_lock(&self->lock);
    if (self->w) {
        pthread_mutex_lock(&self->w->lock);
        self->w->scaler = scaler;
        pthread_mutex_unlock(&self->w->lock);
    }
    pthread_mutex_unlock(&self->lock);
}

/* Main thread: a copy of `t` in CPU memory (GL on the main thread outside
 * a paint: it takes the software renderer's turn). */
GdkTexture *glvf_video_paintable_get_texture(GlvfVideoPaintable *self)
{
    g_return_val_if_fail(GLVF_IS_VIDEO_PAINTABLE(self), NULL);
    if (!self->current)
        return NULL;
    return GDK_IS_GL_TEXTURE(self->current) ? download(self->current)
                                            : g_object_ref(self->current);
}

void glvf_video_paintable_get_stats(GlvfVideoPaintable *self, GlvfVideoPaintableStats *out)
{
    g_return_if_fail(GLVF_IS_VIDEO_PAINTABLE(self));
    g_return_if_fail(out != NULL);
    pthread_mutex_lock(&self->lock);
    *out = self->retired;
    gint64 upload_us = self->retired_upload_us, convert_us = self->retired_convert_us;
    worker *w = self->w;
    if (w) {
        pthread_mutex_lock(&w->lock);
        GlvfVideoPaintableStats s = w->stats;
        stats_add(out, &s);
        upload_us += w->upload_us_sum;
        convert_us += w->convert_us_sum;
        out->textures_held = w->outstanding;
    }
    if (w && w->stats.frames_converted) {
        GlvfVideoPaintableStats s = w->stats;
        out->texture_width = s.texture_width;
        out->texture_height = s.texture_height;
        memcpy(out->renderer, s.renderer, sizeof out->renderer);
        memcpy(out->upload_strategy, s.upload_strategy, sizeof out->upload_strategy);
        out->gl_es = s.gl_es;
        out->gl_major = s.gl_major;
        out->gl_minor = s.gl_minor;
        out->pool_bytes = s.pool_bytes;
    }
    if (w)
        pthread_mutex_unlock(&w->lock);
    if (out->frames_converted) {
        out->upload_ms = upload_us / 1000.0 / (double)out->frames_converted;
        out->convert_ms = convert_us / 1000.0 / (double)out->frames_converted;
    }
    /* a push replaced in the mailbox before the worker took it */
    push_source *ps = self->push;
    if (ps) {
        pthread_mutex_lock(&ps->lock);
        out->frames_replaced += ps->replaced;
        pthread_mutex_unlock(&ps->lock);
    }
    pthread_mutex_unlock(&self->lock);
}

void glvf_video_paintable_set_log(GlvfVideoPaintable *self, glvf_log_fn log, gpointer user)
{
    g_return_if_fail(GLVF_IS_VIDEO_PAINTABLE(self));
    self->log = log ? log : glvf_gtk_default_log;
    self->log_user = log ? user : NULL;
}

GlvfVideoPaintable *glvf_video_paintable_new(GdkDisplay *display)
{
    GlvfVideoPaintable *self = g_object_new(GLVF_TYPE_VIDEO_PAINTABLE, NULL);
    self->display = g_object_ref(display ? display : gdk_display_get_default());
    return self;
}

/* ---- GdkPaintable ------------------------------------------------------- */

static void paintable_snapshot(GdkPaintable *paintable, GdkSnapshot *snapshot, double width,
                               double height)
{
    GlvfVideoPaintable *self = GLVF_VIDEO_PAINTABLE(paintable);
    pthread_mutex_lock(&self->lock);
    worker *w = self->w;
    if (w) {
        pthread_mutex_lock(&w->lock);
        w->hint_w = (int)(width * self->scale + 0.5);
        w->hint_h = (int)(height * self->scale + 0.5);
        if (self->current && !self->current_painted && self->current_w == w) {
            w->stats.frames_painted++;
            pthread_cond_broadcast(&w->cond);
        }
        pthread_mutex_unlock(&w->lock);
    }
    if (self->current)
        self->current_painted = TRUE;
    pthread_mutex_unlock(&self->lock);
    if (!self->w && self->src && !self->gl_failed)
        ensure_worker(self); /* the GL side was let go; it is needed again */
    if (self->current)
        gtk_snapshot_append_texture(GTK_SNAPSHOT(snapshot), self->current,
                                    &GRAPHENE_RECT_INIT(0, 0, (float)width, (float)height));
}

static GdkPaintable *paintable_get_current_image(GdkPaintable *paintable)
{
    GlvfVideoPaintable *self = GLVF_VIDEO_PAINTABLE(paintable);
    if (self->current)
        return GDK_PAINTABLE(g_object_ref(self->current));
    return gdk_paintable_new_empty(self->dw, self->dh);
}

static int paintable_get_intrinsic_width(GdkPaintable *paintable)
{
    return GLVF_VIDEO_PAINTABLE(paintable)->dw;
}

static int paintable_get_intrinsic_height(GdkPaintable *paintable)
{
    return GLVF_VIDEO_PAINTABLE(paintable)->dh;
}

static double paintable_get_intrinsic_aspect_ratio(GdkPaintable *paintable)
{
    GlvfVideoPaintable *self = GLVF_VIDEO_PAINTABLE(paintable);
    return self->dh > 0 ? (double)self->dw / self->dh : 0.0;
}

static void glvf_video_paintable_iface_init(GdkPaintableInterface *iface)
{
    iface->snapshot = paintable_snapshot;
    iface->get_current_image = paintable_get_current_image;
    iface->get_intrinsic_width = paintable_get_intrinsic_width;
    iface->get_intrinsic_height = paintable_get_intrinsic_height;
    iface->get_intrinsic_aspect_ratio = paintable_get_intrinsic_aspect_ratio;
}

/* ---- GObject ------------------------------------------------------------ */

static void glvf_video_paintable_dispose(GObject *obj)
{
    GlvfVideoPaintable *self = GLVF_VIDEO_PAINTABLE(obj);
    if (self->src)
        glvf_video_paintable_set_source(self, NULL, NULL);
    if (self->push) {
        push_source *ps = self->push;
        pthread_mutex_lock(&ps->lock);
        ps->closed = TRUE;
        GDestroyNotify release = ps->upload ? ps->release : NULL;
        gpointer data = ps->data;
        ps->upload = NULL;
        ps->release = NULL;
        ps->data = NULL;
        pthread_cond_broadcast(&ps->cond);
        pthread_mutex_unlock(&ps->lock);
        if (release)
            release(data);
        pthread_mutex_lock(&self->lock);
        self->push = NULL;
        pthread_mutex_unlock(&self->lock);
        push_unref(ps);
    }
    detach_worker(self);
    g_clear_object(&self->current);
    G_OBJECT_CLASS(glvf_video_paintable_parent_class)->dispose(obj);
}

static void glvf_video_paintable_finalize(GObject *obj)
{
    GlvfVideoPaintable *self = GLVF_VIDEO_PAINTABLE(obj);
    g_clear_object(&self->display);
    g_clear_object(&self->shared);
    pthread_mutex_destroy(&self->lock);
    G_OBJECT_CLASS(glvf_video_paintable_parent_class)->finalize(obj);
}

static void glvf_video_paintable_class_init(GlvfVideoPaintableClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    oc->dispose = glvf_video_paintable_dispose;
    oc->finalize = glvf_video_paintable_finalize;
}

static void glvf_video_paintable_init(GlvfVideoPaintable *self)
{
    pthread_mutex_init(&self->lock, NULL);
    self->log = glvf_gtk_default_log;
    self->scale = 1;
    push_source *ps = g_new0(push_source, 1);
    atomic_init(&ps->refs, 1);
    pthread_mutex_init(&ps->lock, NULL);
    pthread_cond_init(&ps->cond, NULL);
    self->push = ps;
    /* pushed pictures are the source until one is set */
    self->src = &push_vtable;
    self->src_user = push_ref(ps);
}
