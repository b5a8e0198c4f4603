/*
 * GlvfVideoArea: a GtkGLArea showing glvf frames. See glvf-gtk4.h for the
 * contract. GL calls of the widget itself (framebuffer query, capture
 * readback, clearing an empty area) go through libepoxy, as GTK's do; glvf
 * loads its own dispatch table.
 */
#include "gtk4-internal.h"

#include <epoxy/gl.h>
#include <pthread.h>
#include <stdarg.h>

struct _GlvfVideoArea {
    GtkGLArea parent;

    /* guarded by lock: the mailbox, ctx as seen by other threads, stats.
     * A pthread mutex rather than a GMutex: GLib implements GMutex with
     * futexes that ThreadSanitizer cannot see. */
    pthread_mutex_t lock;
    glvf_frame *mb_frame;
    GlvfVideoAreaUploadFunc mb_upload;
    gpointer mb_data;
    GDestroyNotify mb_release;
    gboolean mb_clear;          /* drop the shown frame on the next render */
    gboolean redraw_pending;
    glvf_context *ctx;
    GlvfVideoAreaStats stats;

    /* main thread */
    GdkGLContext *glctx;
    glvf_frame *current;
    glvf_scaler scaler;
    GdkRGBA background;
    int rotation;
    gboolean capture;
    GdkTexture *captured;
    glvf_log_fn log;
    gpointer log_user;
    gboolean simulate_loss;     /* tests: the next render finds the context lost */
    guint recover_id;           /* idle that re-realizes the area after a loss */
};

G_DEFINE_FINAL_TYPE(GlvfVideoArea, glvf_video_area, GTK_TYPE_GL_AREA)

enum { PROP_0, PROP_SCALER, PROP_BACKGROUND, PROP_ROTATION, N_PROPS };
static GParamSpec *props[N_PROPS];

/* ---- logging ------------------------------------------------------------ */


/* ---- mailbox ------------------------------------------------------------ */

/* Empties the mailbox (lock held); what it held is returned to release
 * outside the lock. */
typedef struct mail {
    glvf_frame *frame;
    gpointer data;
    GDestroyNotify release;
} mail;

static mail mailbox_take_locked(GlvfVideoArea *self)
{
    mail m = { self->mb_frame, self->mb_data, self->mb_release };
    if (!self->mb_upload)
        m.release = NULL;
    self->mb_frame = NULL;
    self->mb_upload = NULL;
    self->mb_data = NULL;
    self->mb_release = NULL;
    return m;
}

static void mail_drop(mail *m)
{
    glvf_frame_unref(&m->frame);
    if (m->release)
        m->release(m->data);
    m->release = NULL;
}

static gboolean redraw_idle(gpointer data)
{
    GlvfVideoArea *self = data;
    pthread_mutex_lock(&self->lock);
    self->redraw_pending = FALSE;
    pthread_mutex_unlock(&self->lock);
    if (gtk_widget_get_realized(GTK_WIDGET(self)))
        gtk_gl_area_queue_render(GTK_GL_AREA(self));
    return G_SOURCE_REMOVE;
}

/* lock held */
static void schedule_redraw_locked(GlvfVideoArea *self)
{
    if (self->redraw_pending)
        return;
    self->redraw_pending = TRUE;
    /* always through an idle source: g_main_context_invoke() would run the
     * callback right here on the main thread, with the lock held */
    GSource *src = g_idle_source_new();
    g_source_set_priority(src, G_PRIORITY_DEFAULT);
    g_source_set_callback(src, redraw_idle, g_object_ref(self), g_object_unref);
    g_source_attach(src, NULL);
    g_source_unref(src);
}

gboolean glvf_video_area_push_frame(GlvfVideoArea *self, glvf_frame *frame)
{
    g_return_val_if_fail(GLVF_IS_VIDEO_AREA(self), FALSE);
    g_return_val_if_fail(frame != NULL, FALSE);
    pthread_mutex_lock(&self->lock);
    if (!self->ctx || glvf_frame_context(frame) != self->ctx) {
        pthread_mutex_unlock(&self->lock);
        return FALSE;
    }
    mail old = mailbox_take_locked(self);
    if (old.frame || old.release)
        self->stats.frames_replaced++;
    self->mb_frame = glvf_frame_ref(frame);
    self->stats.frames_pushed++;
    schedule_redraw_locked(self);
    pthread_mutex_unlock(&self->lock);
    mail_drop(&old);
    return TRUE;
}

void glvf_video_area_push(GlvfVideoArea *self, GlvfVideoAreaUploadFunc upload, gpointer data,
                          GDestroyNotify release)
{
    g_return_if_fail(GLVF_IS_VIDEO_AREA(self));
    g_return_if_fail(upload != NULL);
    pthread_mutex_lock(&self->lock);
    mail old = mailbox_take_locked(self);
    if (old.frame || old.release)
        self->stats.frames_replaced++;
    self->mb_upload = upload;
    self->mb_data = data;
    self->mb_release = release;
    self->stats.frames_pushed++;
    schedule_redraw_locked(self);
    pthread_mutex_unlock(&self->lock);
    mail_drop(&old);
}

void glvf_video_area_clear(GlvfVideoArea *self)
{
    g_return_if_fail(GLVF_IS_VIDEO_AREA(self));
    pthread_mutex_lock(&self->lock);
    mail old = mailbox_take_locked(self);
    self->mb_clear = TRUE;
    schedule_redraw_locked(self);
    pthread_mutex_unlock(&self->lock);
    mail_drop(&old);
}

/* ---- GL side ------------------------------------------------------------ */

static bool area_is_current(void *user)
{
    GlvfVideoArea *self = user;
    return self->glctx && gdk_gl_context_get_current() == self->glctx;
}

/* Like GtkGLArea's default, but lets GDK choose GL or GLES (use_es = -1):
 * the default asks for desktop GL only, which fails where GDK allows GLES
 * only (GDK_DEBUG=gl-gles). glvf works with either. */
static GdkGLContext *glvf_video_area_create_context(GtkGLArea *gl_area)
{
    GtkWidget *widget = GTK_WIDGET(gl_area);
    GError *err = NULL;
    GdkGLContext *ctx =
            gdk_surface_create_gl_context(gtk_native_get_surface(gtk_widget_get_native(widget)),
                                          &err);
    if (!ctx) {
        gtk_gl_area_set_error(gl_area, err);
        g_clear_error(&err);
        return NULL;
    }
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    gdk_gl_context_set_use_es(ctx, -1);
    G_GNUC_END_IGNORE_DEPRECATIONS
    if (!gdk_gl_context_realize(ctx, &err)) {
        gtk_gl_area_set_error(gl_area, err);
        g_clear_error(&err);
        g_object_unref(ctx);
        return NULL;
    }
    return ctx;
}

static void glvf_video_area_realize(GtkWidget *widget)
{
    GlvfVideoArea *self = GLVF_VIDEO_AREA(widget);
    GTK_WIDGET_CLASS(glvf_video_area_parent_class)->realize(widget);
    gtk_gl_area_make_current(GTK_GL_AREA(self));
    if (gtk_gl_area_get_error(GTK_GL_AREA(self))) {
        self->log(self->log_user, GLVF_LOG_ERROR,
                  gtk_gl_area_get_error(GTK_GL_AREA(self))->message);
        return;
    }
    self->glctx = gtk_gl_area_get_context(GTK_GL_AREA(self));
    /* NULL loader: glvf resolves through whichever of EGL or GLX is current,
     * i.e. the backend GDK chose */
    glvf_context *ctx = glvf_context_create(glvf_context_params(
            .is_current = area_is_current, .is_current_user = self, .log = self->log,
            .log_user = self->log_user));
    if (!ctx) {
        GError *err = g_error_new(GDK_GL_ERROR, GDK_GL_ERROR_NOT_AVAILABLE,
                                  "glvf could not use this GL context (see the log)");
        gtk_gl_area_set_error(GTK_GL_AREA(self), err);
        g_error_free(err);
        return;
    }
    pthread_mutex_lock(&self->lock);
    self->ctx = ctx;
    self->stats.realizations++;
    pthread_mutex_unlock(&self->lock);
}

/* Main thread: re-realizes the area after a context loss: GtkGLArea makes
 * a new GdkGLContext, the area a new glvf context. */
static gboolean recover_idle(gpointer data)
{
    GlvfVideoArea *self = data;
    GtkWidget *widget = GTK_WIDGET(self);
    self->recover_id = 0;
    if (gtk_widget_get_realized(widget)) {
        gboolean mapped = gtk_widget_get_mapped(widget);
        if (mapped)
            gtk_widget_unmap(widget);
        gtk_widget_unrealize(widget);
        gtk_widget_realize(widget);
        if (mapped)
            gtk_widget_map(widget);
        gtk_gl_area_queue_render(GTK_GL_AREA(self));
    }
    return G_SOURCE_REMOVE;
}

/* Main thread, in render: the GL context was lost (a graphics reset). The
 * area drops its own frames, then abandons the glvf context (frames the
 * application still holds become orphans, freed without GL when dropped;
 * the leak report names them) and an idle
 * re-realizes the area; pictures pushed with glvf_video_area_push() wait
 * in the mailbox and show once it is back. */
static void lose_context(GlvfVideoArea *self)
{
    pthread_mutex_lock(&self->lock);
    glvf_context *ctx = self->ctx;
    self->ctx = NULL;
    self->stats.context_losses++;
    mail old = { 0 };
    if (self->mb_frame)
        old = mailbox_take_locked(self); /* a frame of the lost context */
    pthread_mutex_unlock(&self->lock);
    self->simulate_loss = FALSE;
    self->log(self->log_user, GLVF_LOG_WARN,
              "glvf video area: the GL context was lost; making a new one");
    /* the area's own frames go first (their GL deletes are harmless no-ops
     * on a lost context), so that the leak report of the abandon names only
     * what the application still holds */
    glvf_frame_unref(&self->current);
    mail_drop(&old);
    glvf_context_abandon(&ctx);
    if (!self->recover_id)
        self->recover_id = g_idle_add_full(G_PRIORITY_DEFAULT, recover_idle, g_object_ref(self),
                                           g_object_unref);
}

static void glvf_video_area_unrealize(GtkWidget *widget)
{
    GlvfVideoArea *self = GLVF_VIDEO_AREA(widget);
    pthread_mutex_lock(&self->lock);
    glvf_context *ctx = self->ctx;
    self->ctx = NULL;
    mail old = mailbox_take_locked(self);
    pthread_mutex_unlock(&self->lock);
    mail_drop(&old);
    glvf_frame_unref(&self->current);
    if (ctx) {
        glvf_stats st;
        glvf_context_get_stats(ctx, &st);
        pthread_mutex_lock(&self->lock);
        self->stats.leaked_at_unrealize += st.frames_live + st.staging_live;
        pthread_mutex_unlock(&self->lock);
        /* before GtkGLArea frees its own objects and the GdkGLContext */
        gtk_gl_area_make_current(GTK_GL_AREA(self));
        if (!glvf_context_destroy(&ctx))
            glvf_context_abandon(&ctx); /* the context is gone: no GL call */
    }
    self->glctx = NULL;
    GTK_WIDGET_CLASS(glvf_video_area_parent_class)->unrealize(widget);
}

static void capture_pixels(GlvfVideoArea *self, int w, int h)
{
    gsize stride = (gsize)w * 4;
    guchar *pixels = g_malloc(stride * (gsize)h);
    guchar *row = g_malloc(stride);
    GLint pack = 4;
    glGetIntegerv(GL_PACK_ALIGNMENT, &pack);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
    glPixelStorei(GL_PACK_ALIGNMENT, pack);
    for (int y = 0; y < h / 2; y++) { /* GL rows are bottom-up */
        memcpy(row, pixels + (gsize)y * stride, stride);
        memcpy(pixels + (gsize)y * stride, pixels + (gsize)(h - 1 - y) * stride, stride);
        memcpy(pixels + (gsize)(h - 1 - y) * stride, row, stride);
    }
    g_free(row);
    GBytes *bytes = g_bytes_new_take(pixels, stride * (gsize)h);
    g_clear_object(&self->captured);
    self->captured = gdk_memory_texture_new(w, h, GDK_MEMORY_R8G8B8A8, bytes, stride);
    g_bytes_unref(bytes);
}

static gboolean glvf_video_area_render(GtkGLArea *gl_area, GdkGLContext *context)
{
    GlvfVideoArea *self = GLVF_VIDEO_AREA(gl_area);
    (void)context;
    gint64 t0 = g_get_monotonic_time();
    pthread_mutex_lock(&self->lock);
    glvf_context *ctx = self->ctx;
    GlvfVideoAreaUploadFunc upload = self->mb_upload;
    mail m = mailbox_take_locked(self);
    gboolean clear = self->mb_clear;
    self->mb_clear = FALSE;
    pthread_mutex_unlock(&self->lock);
    if (clear)
        glvf_frame_unref(&self->current);
    if (ctx && (self->simulate_loss || glvf_context_is_lost(ctx))) {
        if (upload) {
            /* kept for the new context */
            pthread_mutex_lock(&self->lock);
            if (!self->mb_upload && !self->mb_frame) {
                self->mb_upload = upload;
                self->mb_data = m.data;
                self->mb_release = m.release;
                m.release = NULL;
            }
            pthread_mutex_unlock(&self->lock);
        }
        mail_drop(&m);
        lose_context(self);
        return FALSE;
    }
    if (!ctx) {
        mail_drop(&m);
        return FALSE;
    }
    if (m.frame) {
        glvf_frame_unref(&self->current);
        self->current = m.frame;
        m.frame = NULL;
    } else if (upload) {
        glvf_frame *f = upload(ctx, m.data);
        if (f) {
            glvf_frame_unref(&self->current);
            self->current = f;
        } else {
            pthread_mutex_lock(&self->lock);
            self->stats.upload_failures++;
            pthread_mutex_unlock(&self->lock);
        }
    }
    mail_drop(&m);
    if (glvf_context_is_lost(ctx)) {
        lose_context(self);
        return FALSE;
    }
    glvf_context_collect(ctx);

    int scale = gtk_widget_get_scale_factor(GTK_WIDGET(self));
    int w = gtk_widget_get_width(GTK_WIDGET(self)) * scale;
    int h = gtk_widget_get_height(GTK_WIDGET(self)) * scale;
    const GdkRGBA *bg = &self->background;
    bool drew = false;
    if (self->current) {
        /* glvf_render draws into the framebuffer GTK bound for this area
         * (GL_DRAW_FRAMEBUFFER_BINDING), never framebuffer 0 */
        drew = glvf_render(ctx, self->current,
                           glvf_render_params(.target = { 0, 0, w, h }, .scaler = self->scaler,
                                              .clear_background = true,
                                              .background = { bg->red, bg->green, bg->blue,
                                                              bg->alpha },
                                              .rotation = self->rotation)) == 0;
    }
    if (!drew) {
        GLfloat cc[4];
        glGetFloatv(GL_COLOR_CLEAR_VALUE, cc);
        glClearColor(bg->red, bg->green, bg->blue, bg->alpha);
        glClear(GL_COLOR_BUFFER_BIT);
        glClearColor(cc[0], cc[1], cc[2], cc[3]);
    }
    if (self->capture && w > 0 && h > 0)
        capture_pixels(self, w, h);
    pthread_mutex_lock(&self->lock);
    if (drew)
        self->stats.frames_rendered++;
    self->stats.last_render_us = g_get_monotonic_time() - t0;
    pthread_mutex_unlock(&self->lock);
    return TRUE;
}

/* ---- accessors ---------------------------------------------------------- */

glvf_context *glvf_video_area_get_context(GlvfVideoArea *self)
{
    g_return_val_if_fail(GLVF_IS_VIDEO_AREA(self), NULL);
    pthread_mutex_lock(&self->lock);
    glvf_context *ctx = self->ctx;
    pthread_mutex_unlock(&self->lock);
    return ctx;
}

void glvf_video_area_set_scaler(GlvfVideoArea *self, glvf_scaler scaler)
{
    g_return_if_fail(GLVF_IS_VIDEO_AREA(self));
    g_return_if_fail(scaler == GLVF_SCALER_BILINEAR || scaler == GLVF_SCALER_BICUBIC);
    if (self->scaler == scaler)
        return;
    self->scaler = scaler;
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_SCALER]);
    gtk_gl_area_queue_render(GTK_GL_AREA(self));
}

glvf_scaler glvf_video_area_get_scaler(GlvfVideoArea *self)
{
    g_return_val_if_fail(GLVF_IS_VIDEO_AREA(self), GLVF_SCALER_BILINEAR);
    return self->scaler;
}

void glvf_video_area_set_background(GlvfVideoArea *self, const GdkRGBA *rgba)
{
    g_return_if_fail(GLVF_IS_VIDEO_AREA(self));
    g_return_if_fail(rgba != NULL);
    if (gdk_rgba_equal(&self->background, rgba))
        return;
    self->background = *rgba;
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_BACKGROUND]);
    gtk_gl_area_queue_render(GTK_GL_AREA(self));
}

void glvf_video_area_get_background(GlvfVideoArea *self, GdkRGBA *rgba)
{
    g_return_if_fail(GLVF_IS_VIDEO_AREA(self));
    *rgba = self->background;
}

void glvf_video_area_set_rotation(GlvfVideoArea *self, int rotation)
{
    g_return_if_fail(GLVF_IS_VIDEO_AREA(self));
    g_return_if_fail(rotation % 90 == 0);
    rotation = ((rotation % 360) + 360) % 360;
    if (self->rotation == rotation)
        return;
    self->rotation = rotation;
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ROTATION]);
    gtk_gl_area_queue_render(GTK_GL_AREA(self));
}

void glvf_video_area_set_capture(GlvfVideoArea *self, gboolean capture)
{
    g_return_if_fail(GLVF_IS_VIDEO_AREA(self));
    self->capture = capture;
    if (!capture)
        g_clear_object(&self->captured);
}

GdkTexture *glvf_video_area_get_capture(GlvfVideoArea *self)
{
    g_return_val_if_fail(GLVF_IS_VIDEO_AREA(self), NULL);
    return self->captured ? g_object_ref(self->captured) : NULL;
}

void glvf_video_area_get_stats(GlvfVideoArea *self, GlvfVideoAreaStats *out)
{
    g_return_if_fail(GLVF_IS_VIDEO_AREA(self));
    pthread_mutex_lock(&self->lock);
    *out = self->stats;
    pthread_mutex_unlock(&self->lock);
}

void glvf_video_area_set_log(GlvfVideoArea *self, glvf_log_fn log, gpointer user)
{
    g_return_if_fail(GLVF_IS_VIDEO_AREA(self));
    self->log = log ? log : glvf_gtk_default_log;
    self->log_user = log ? user : NULL;
}

void glvf_video_area_simulate_context_loss(GlvfVideoArea *self)
{
    g_return_if_fail(GLVF_IS_VIDEO_AREA(self));
    self->simulate_loss = TRUE;
    gtk_gl_area_queue_render(GTK_GL_AREA(self));
}

GtkWidget *glvf_video_area_new(void)
{
    return g_object_new(GLVF_TYPE_VIDEO_AREA, NULL);
}

/* ---- GObject ------------------------------------------------------------ */

static void glvf_video_area_set_property(GObject *obj, guint id, const GValue *v,
                                         GParamSpec *pspec)
{
    GlvfVideoArea *self = GLVF_VIDEO_AREA(obj);
    switch (id) {
    case PROP_SCALER: glvf_video_area_set_scaler(self, (glvf_scaler)g_value_get_int(v)); break;
    case PROP_BACKGROUND:
        if (g_value_get_boxed(v))
            glvf_video_area_set_background(self, g_value_get_boxed(v));
        break;
    case PROP_ROTATION: glvf_video_area_set_rotation(self, g_value_get_int(v)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
    }
}

static void glvf_video_area_get_property(GObject *obj, guint id, GValue *v, GParamSpec *pspec)
{
    GlvfVideoArea *self = GLVF_VIDEO_AREA(obj);
    switch (id) {
    case PROP_SCALER: g_value_set_int(v, (int)self->scaler); break;
    case PROP_BACKGROUND: g_value_set_boxed(v, &self->background); break;
    case PROP_ROTATION: g_value_set_int(v, self->rotation); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
    }
}

static void glvf_video_area_finalize(GObject *obj)
{
    GlvfVideoArea *self = GLVF_VIDEO_AREA(obj);
    mail old = mailbox_take_locked(self);
    mail_drop(&old);
    g_clear_object(&self->captured);
    pthread_mutex_destroy(&self->lock);
    G_OBJECT_CLASS(glvf_video_area_parent_class)->finalize(obj);
}

static void glvf_video_area_class_init(GlvfVideoAreaClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    GtkGLAreaClass *gc = GTK_GL_AREA_CLASS(klass);
    oc->set_property = glvf_video_area_set_property;
    oc->get_property = glvf_video_area_get_property;
    oc->finalize = glvf_video_area_finalize;
    wc->realize = glvf_video_area_realize;
    wc->unrealize = glvf_video_area_unrealize;
    gc->render = glvf_video_area_render;
    gc->create_context = glvf_video_area_create_context;
    props[PROP_SCALER] = g_param_spec_int("scaler", "Scaler", "glvf_scaler: 0 bilinear, 1 bicubic",
                                          0, 1, 0, G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                                       G_PARAM_STATIC_STRINGS);
    props[PROP_BACKGROUND] = g_param_spec_boxed("background", "Background",
                                                "Colour of the bars and of an empty area",
                                                GDK_TYPE_RGBA,
                                                G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                                    G_PARAM_STATIC_STRINGS);
    props[PROP_ROTATION] = g_param_spec_int("rotation", "Rotation",
                                            "Clockwise rotation after the frame's own", 0, 270, 0,
                                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                                G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, props);
}

static void glvf_video_area_init(GlvfVideoArea *self)
{
    pthread_mutex_init(&self->lock, NULL);
    self->background = (GdkRGBA){ 0, 0, 0, 1 };
    self->log = glvf_gtk_default_log;
    gtk_gl_area_set_auto_render(GTK_GL_AREA(self), FALSE);
    gtk_gl_area_set_has_depth_buffer(GTK_GL_AREA(self), FALSE);
    gtk_gl_area_set_has_stencil_buffer(GTK_GL_AREA(self), FALSE);
}
