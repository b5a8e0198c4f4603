/*
 * The paintable worker's GL context: a native GLX or EGL context, created
 * sharing objects with a realized GdkGLContext of GDK's display, and made
 * current on the worker with no drawable at all.
 *
 * Why not a GdkGLContext on the worker: outside a frame, GDK 4.8 makes
 * every context current on one drawable shared by the whole display (GLX:
 * the leader surface's window; EGL without surfaceless contexts: one
 * pbuffer). Mesa's software drivers keep per-drawable state that is not
 * meant to be used from two threads at once, so a worker context current on
 * that drawable while GTK's main thread uses it too crashes now and then
 * (reproduced with MALLOC_PERTURB_ set: segfaults in the driver on either
 * thread, X errors). A context of our own, current without a drawable
 * (GLX_ARB_create_context for GL 3.0+ / EGL_KHR_surfaceless_context), shares
 * nothing with GTK but the objects.
 */
#include "gtk4-internal.h"

#include <epoxy/egl.h>
#include <epoxy/gl.h>
#include <epoxy/glx.h>
#include <stdio.h>
#include <string.h>

#ifdef GDK_WINDOWING_X11
#include <gdk/x11/gdkx.h>
#endif

/* Runs on the main thread with `share` current: which of GLX or EGL GDK
 * uses is what is current now. */
static gboolean create_glx(glvf_gtk_glctx *g, gboolean es, int major, int minor, char *why,
                           size_t n)
{
#ifdef GDK_WINDOWING_X11
    Display *dpy = glXGetCurrentDisplay();
    GLXContext share = glXGetCurrentContext();
    if (!dpy || !share) {
        snprintf(why, n, "no current GLX context to share with");
        return FALSE;
    }
    if (!epoxy_has_glx_extension(dpy, DefaultScreen(dpy), "GLX_ARB_create_context")) {
        snprintf(why, n, "GLX_ARB_create_context is missing");
        return FALSE;
    }
    int fbid = 0, screen = 0;
    glXQueryContext(dpy, share, GLX_FBCONFIG_ID, &fbid);
    glXQueryContext(dpy, share, GLX_SCREEN, &screen);
    const int pick[] = { GLX_FBCONFIG_ID, fbid, None };
    int count = 0;
    GLXFBConfig *configs = glXChooseFBConfig(dpy, screen, pick, &count);
    if (!configs || count < 1) {
        if (configs)
            XFree(configs);
        snprintf(why, n, "GDK's GLX framebuffer configuration %d is not found", fbid);
        return FALSE;
    }
    int attribs[] = {
        GLX_CONTEXT_MAJOR_VERSION_ARB, major,
        GLX_CONTEXT_MINOR_VERSION_ARB, minor,
        GLX_CONTEXT_PROFILE_MASK_ARB,
        es ? GLX_CONTEXT_ES2_PROFILE_BIT_EXT : GLX_CONTEXT_CORE_PROFILE_BIT_ARB,
        None,
    };
    GdkDisplay *gdpy = gdk_display_get_default();
    gboolean trap = GDK_IS_X11_DISPLAY(gdpy);
    if (trap)
        gdk_x11_display_error_trap_push(gdpy);
    GLXContext ctx = glXCreateContextAttribsARB(dpy, configs[0], share, True, attribs);
    if (trap && gdk_x11_display_error_trap_pop(gdpy) && ctx) {
        glXDestroyContext(dpy, ctx);
        ctx = NULL;
    }
    XFree(configs);
    if (!ctx) {
        snprintf(why, n, "glXCreateContextAttribsARB failed for %s %d.%d", es ? "GLES" : "GL",
                 major, minor);
        return FALSE;
    }
    g->kind = GLVF_GTK_GLX;
    g->glx_dpy = dpy;
    g->glx_ctx = (void *)ctx;
    return TRUE;
#else
    (void)g, (void)es, (void)major, (void)minor;
    snprintf(why, n, "built without X11");
    return FALSE;
#endif
}

static gboolean create_egl(glvf_gtk_glctx *g, gboolean es, int major, int minor, char *why,
                           size_t n)
{
    EGLDisplay dpy = eglGetCurrentDisplay();
    EGLContext share = eglGetCurrentContext();
    if (dpy == EGL_NO_DISPLAY || share == EGL_NO_CONTEXT) {
        snprintf(why, n, "no current GLX or EGL context to share with");
        return FALSE;
    }
    if (!epoxy_has_egl_extension(dpy, "EGL_KHR_surfaceless_context")) {
        snprintf(why, n, "EGL_KHR_surfaceless_context is missing");
        return FALSE;
    }
    EGLint cfg_id = 0;
    eglQueryContext(dpy, share, EGL_CONFIG_ID, &cfg_id);
    EGLConfig config = NULL;
    EGLint count = 0;
    const EGLint pick[] = { EGL_CONFIG_ID, cfg_id, EGL_NONE };
    if (!eglChooseConfig(dpy, pick, &config, 1, &count) || count < 1) {
        /* a context made with EGL_KHR_no_config_context has none */
        config = EGL_NO_CONFIG_KHR;
    }
    EGLint attribs[16];
    int i = 0;
    attribs[i++] = EGL_CONTEXT_MAJOR_VERSION;
    attribs[i++] = major;
    attribs[i++] = EGL_CONTEXT_MINOR_VERSION;
    attribs[i++] = minor;
    if (!es) {
        attribs[i++] = EGL_CONTEXT_OPENGL_PROFILE_MASK;
        attribs[i++] = EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT;
    }
    attribs[i] = EGL_NONE;
    EGLenum api = es ? EGL_OPENGL_ES_API : EGL_OPENGL_API;
    EGLenum was_api = eglQueryAPI();
    eglBindAPI(api);
    EGLContext ctx = eglCreateContext(dpy, config, share, attribs);
    eglBindAPI(was_api);
    if (ctx == EGL_NO_CONTEXT) {
        snprintf(why, n, "eglCreateContext failed for %s %d.%d (0x%x)", es ? "GLES" : "GL", major,
                 minor, (unsigned)eglGetError());
        return FALSE;
    }
    g->kind = GLVF_GTK_EGL;
    g->egl_dpy = dpy;
    g->egl_ctx = ctx;
    g->egl_api = api;
    return TRUE;
}

gboolean glvf_gtk_glctx_create(glvf_gtk_glctx *g, GdkGLContext *share, char *why, size_t n)
{
    memset(g, 0, sizeof *g);
    GdkGLContext *was = gdk_gl_context_get_current();
    if (was)
        g_object_ref(was);
    gdk_gl_context_make_current(share);
    int major = 0, minor = 0;
    gdk_gl_context_get_version(share, &major, &minor);
    gboolean es = gdk_gl_context_get_use_es(share);
    gboolean ok = FALSE;
#ifdef GDK_WINDOWING_X11
    if (glXGetCurrentContext())
        ok = create_glx(g, es, major, minor, why, n);
    else
#endif
        ok = create_egl(g, es, major, minor, why, n);
    if (was)
        gdk_gl_context_make_current(was);
    else
        gdk_gl_context_clear_current();
    g_clear_object(&was);
    return ok;
}

gboolean glvf_gtk_glctx_make_current(glvf_gtk_glctx *g)
{
    switch (g->kind) {
#ifdef GDK_WINDOWING_X11
    case GLVF_GTK_GLX:
        return glXMakeContextCurrent(g->glx_dpy, None, None, (GLXContext)g->glx_ctx);
#endif
    case GLVF_GTK_EGL:
        eglBindAPI(g->egl_api);
        return eglMakeCurrent(g->egl_dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, g->egl_ctx);
    default: return FALSE;
    }
}

gboolean glvf_gtk_glctx_is_current(const glvf_gtk_glctx *g)
{
    switch (g->kind) {
#ifdef GDK_WINDOWING_X11
    case GLVF_GTK_GLX: return g->glx_ctx && (void *)glXGetCurrentContext() == g->glx_ctx;
#endif
    case GLVF_GTK_EGL: return g->egl_ctx && eglGetCurrentContext() == g->egl_ctx;
    default: return FALSE;
    }
}

void glvf_gtk_glctx_destroy(glvf_gtk_glctx *g)
{
    switch (g->kind) {
#ifdef GDK_WINDOWING_X11
    case GLVF_GTK_GLX:
        if ((void *)glXGetCurrentContext() == g->glx_ctx)
            glXMakeContextCurrent(g->glx_dpy, None, None, NULL);
        glXDestroyContext(g->glx_dpy, (GLXContext)g->glx_ctx);
        break;
#endif
    case GLVF_GTK_EGL:
        if (eglGetCurrentContext() == g->egl_ctx)
            eglMakeCurrent(g->egl_dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
        eglDestroyContext(g->egl_dpy, g->egl_ctx);
        break;
    default: break;
    }
    memset(g, 0, sizeof *g);
}
