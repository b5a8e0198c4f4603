/*
 * Real GL test contexts: Mesa (llvmpipe) through EGL surfaceless contexts,
 * using libepoxy for EGL and GL entry points. No display, no window system.
 *
 * One process-wide EGLDisplay (EGL_PLATFORM_SURFACELESS_MESA), initialised
 * lazily and thread-safely by the first harness_ctx_create(). Contexts are
 * made current without any surface.
 *
 * Desktop GL versions: Mesa answers a request for "3.3 core" with the highest
 * core version it supports (4.5 on llvmpipe). So that a gl33 test really runs
 * on a 3.3 context, the harness sets MESA_GL_VERSION_OVERRIDE=3.3 (unless the
 * environment already sets it) before initialising the display when the
 * first context the process creates is HARNESS_GL33; a 4.5 context cannot
 * be created in that process afterwards. Tests therefore create one desktop
 * GL version per process (GLES contexts may be mixed with either).
 *
 * glvf's loader and is_current callbacks are provided: pass
 *   .get_proc_address = harness_get_proc, .get_proc_user = h,
 *   .is_current = harness_is_current, .is_current_user = h
 */
#ifndef GLVF_TEST_EGL_HARNESS_H
#define GLVF_TEST_EGL_HARNESS_H

#include <glvf/glvf.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum harness_api { HARNESS_GL33, HARNESS_GL45, HARNESS_GLES30 } harness_api;

/* "gl33", "gl45", "gles30". Returns false (out untouched) for anything else. */
bool harness_api_parse(const char *s, harness_api *out);
/* "gl33", "gl45", "gles30" ("?" for an invalid value). */
const char *harness_api_name(harness_api api);

typedef struct harness_ctx harness_ctx;

/*
 * Creates a context of that kind on the process-wide surfaceless EGLDisplay.
 * Desktop GL: core profile of that version; GLES 3.0. `share` may be NULL or
 * another harness context to share objects with. Does not make it current.
 * Returns NULL with a message on stderr on failure. Any thread.
 */
harness_ctx *harness_ctx_create(harness_api api, harness_ctx *share);
/* eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, ctx) on the calling
 * thread. False with a message on stderr on failure. */
bool harness_make_current(harness_ctx *h);
/* Makes nothing current on the calling thread. */
void harness_release_current(void);
/* Destroys the context (NULL ok); releases it first if it is current on the
 * calling thread. */
void harness_ctx_destroy(harness_ctx *h);
harness_api harness_ctx_api(const harness_ctx *h);

/* glvf callbacks; user = harness_ctx *. get_proc wraps eglGetProcAddress;
 * is_current: eglGetCurrentContext() is h's context. */
void *harness_get_proc(void *user, const char *name);
bool harness_is_current(void *user);

/* Prints "# context <api>: GL_VERSION=... GL_RENDERER=... GL_VENDOR=..."
 * (h must be current) and returns GL_RENDERER ("" when unavailable). */
const char *harness_print_info(harness_ctx *h);

/*
 * Reads back the raw texels of level 0 of GL_TEXTURE_2D `texture`, laid out
 * as `layout` describes, into `out`: layout->height rows of
 * layout->row_bytes, tightly packed, row 0 = the first row uploaded.
 * Desktop GL: glGetTexImage(layout->format, layout->type). GLES: through a
 * temporary framebuffer and glReadPixels (RGBA/UNSIGNED_BYTE for 8-bit
 * normalized formats, RGBA/UNSIGNED_SHORT for 16-bit norm formats), keeping
 * the first channels. Restores the framebuffer, texture and pack state it
 * changed. h must be current. False with a message on stderr on failure.
 */
bool harness_read_plane(harness_ctx *h, unsigned texture, const glvf_plane_layout *layout,
                        void *out);

/* Returns glGetError(), printing it with `where` when non-zero. */
unsigned harness_gl_error(const char *where);

/*
 * The start of a real-GL test program run as `prog gl33|gl45|gles30`:
 * parses argv[1] into *api, creates that context, makes it current on this
 * thread and prints its info line. Returns the context, or NULL with
 * *status set to the exit status (2: usage, printed on stderr; 1: no
 * context, printed as a TAP failure).
 */
harness_ctx *harness_test_start(int argc, char **argv, harness_api *api, int *status);

/* An RGBA8 framebuffer object to render into. */
typedef struct harness_fbo {
    unsigned fb, tex;
    int width, height;
} harness_fbo;

/* Creates it, binds it (draw and read) and sets the viewport to it. The
 * context must be current. False on failure. */
bool harness_fbo_create(harness_fbo *f, int width, int height);
/* Reads it back as RGBA bytes, TOP row first (width * height * 4). */
void harness_fbo_read_rgba(const harness_fbo *f, uint8_t *out);
/* Deletes it and binds framebuffer 0. Accepts a zeroed struct. */
void harness_fbo_destroy(harness_fbo *f);

#ifdef __cplusplus
}
#endif

#endif
