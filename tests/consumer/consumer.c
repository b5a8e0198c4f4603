/*
 * A program built against an installed glvf through pkg-config alone
 * (tests/consumer/run.sh). It makes its own GL context with plain EGL
 * (surfaceless, no display, no libepoxy) and lets glvf find GL through its
 * platform default loader (NULL get_proc_address and is_current).
 *
 *   consumer gl     desktop OpenGL 3.3 core
 *   consumer gles   OpenGL ES 3.0
 *
 * Prints "consumer: OK" and exits 0 when every step worked.
 */
#include <glvf/glvf.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>

#include <stdio.h>
#include <string.h>

#ifndef EGL_PLATFORM_SURFACELESS_MESA
#define EGL_PLATFORM_SURFACELESS_MESA 0x31DD
#endif

#if defined(__SANITIZE_ADDRESS__)
#define CONSUMER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CONSUMER_ASAN 1
#endif
#endif

#define STR_(x) #x
#define STR(x) STR_(x)

static int fail(const char *what)
{
    fprintf(stderr, "consumer: %s failed (EGL error 0x%04x)\n", what, (unsigned)eglGetError());
    printf("consumer: FAILED\n");
    return 1;
}

static EGLDisplay get_display(void)
{
    PFNEGLGETPLATFORMDISPLAYEXTPROC get_platform_display =
        (PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
    const char *client = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
    if (get_platform_display && client && strstr(client, "EGL_MESA_platform_surfaceless"))
        return get_platform_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
    /* Fall back on the default platform (EGL_PLATFORM=surfaceless). */
    return eglGetDisplay(EGL_DEFAULT_DISPLAY);
}

int main(int argc, char **argv)
{
    const bool gles = argc > 1 && strcmp(argv[1], "gles") == 0;
    setvbuf(stdout, NULL, _IOLBF, 0);

    EGLDisplay dpy = get_display();
    if (dpy == EGL_NO_DISPLAY)
        return fail("eglGetPlatformDisplayEXT(surfaceless)");
    if (!eglInitialize(dpy, NULL, NULL))
        return fail("eglInitialize");
    if (!eglBindAPI(gles ? EGL_OPENGL_ES_API : EGL_OPENGL_API)) {
        eglTerminate(dpy);
        return fail("eglBindAPI");
    }

    EGLConfig config = (EGLConfig)0; /* EGL_NO_CONFIG_KHR */
    const char *exts = eglQueryString(dpy, EGL_EXTENSIONS);
    if (!exts || !strstr(exts, "EGL_KHR_no_config_context")) {
        const EGLint want[] = {
            EGL_SURFACE_TYPE, EGL_PBUFFER_BIT,
            EGL_RENDERABLE_TYPE, gles ? EGL_OPENGL_ES3_BIT : EGL_OPENGL_BIT,
            EGL_NONE,
        };
        EGLint n = 0;
        if (!eglChooseConfig(dpy, want, &config, 1, &n) || n < 1) {
            eglTerminate(dpy);
            return fail("eglChooseConfig");
        }
    }
    const EGLint gl_attribs[] = {
        EGL_CONTEXT_MAJOR_VERSION, 3, EGL_CONTEXT_MINOR_VERSION, 3,
        EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
        EGL_NONE,
    };
    const EGLint gles_attribs[] = {
        EGL_CONTEXT_MAJOR_VERSION, 3, EGL_CONTEXT_MINOR_VERSION, 0,
        EGL_NONE,
    };
    EGLContext ctx = eglCreateContext(dpy, config, EGL_NO_CONTEXT,
                                      gles ? gles_attribs : gl_attribs);
    if (ctx == EGL_NO_CONTEXT) {
        eglTerminate(dpy);
        return fail(gles ? "eglCreateContext(OpenGL ES 3.0)" : "eglCreateContext(OpenGL 3.3 core)");
    }
    if (!eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, ctx)) {
        eglDestroyContext(dpy, ctx);
        eglTerminate(dpy);
        return fail("eglMakeCurrent(surfaceless)");
    }

    int status = 0;
    printf("glvf version: %s (header %s)\n", glvf_version(),
           STR(GLVF_VERSION_MAJOR) "." STR(GLVF_VERSION_MINOR) "." STR(GLVF_VERSION_PATCH));
    if (glvf_version_number() != GLVF_VERSION_NUMBER) {
        fprintf(stderr, "consumer: library version 0x%06x, header 0x%06x\n",
                glvf_version_number(), (unsigned)GLVF_VERSION_NUMBER);
        status = 1;
    }

    glvf_context *g = glvf_context_create(glvf_context_params(.log = glvf_log_stderr));
    if (!g) {
        fprintf(stderr, "consumer: glvf_context_create failed\n");
        status = 1;
    } else {
        const glvf_caps *caps = glvf_context_get_caps(g);
        printf("renderer: %s\n", caps && caps->renderer ? caps->renderer : "(null)");
        printf("context: %s %d.%d, GLSL %d\n", caps && caps->is_gles ? "OpenGL ES" : "OpenGL",
               caps ? caps->gl_major : 0, caps ? caps->gl_minor : 0,
               caps ? caps->glsl_version : 0);
        if (!caps || caps->is_gles != gles) {
            fprintf(stderr, "consumer: caps disagree on the client API\n");
            status = 1;
        }
        if (glvf_context_collect(g) < 0) {
            fprintf(stderr, "consumer: glvf_context_collect failed\n");
            status = 1;
        }
        if (!glvf_context_destroy(&g) || g != NULL) {
            fprintf(stderr, "consumer: glvf_context_destroy failed\n");
            status = 1;
        }
    }

    eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    eglDestroyContext(dpy, ctx);
#ifndef CONSUMER_ASAN
    /* Under LeakSanitizer the driver must stay loaded: blocks Mesa leaks
     * would otherwise show as "<unknown module>", which no suppression
     * (tests/lsan.supp) can name. */
    eglTerminate(dpy);
#endif
    printf("consumer: %s\n", status == 0 ? "OK" : "FAILED");
    return status;
}
