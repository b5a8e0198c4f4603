/*
 * Real GL test contexts: Mesa (llvmpipe) through EGL surfaceless contexts.
 * See egl_harness.h.
 */
#include "egl_harness.h"

#include <epoxy/egl.h>
#include <epoxy/gl.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef EGL_PLATFORM_SURFACELESS_MESA
#define EGL_PLATFORM_SURFACELESS_MESA 0x31DD
#endif
#ifndef EGL_NO_CONFIG_KHR
#define EGL_NO_CONFIG_KHR ((EGLConfig)0)
#endif
#ifndef EGL_OPENGL_ES3_BIT_KHR
#define EGL_OPENGL_ES3_BIT_KHR 0x00000040
#endif
/* EXT_texture_norm16 */
#ifndef GL_R16_EXT
#define GL_R16_EXT 0x822A
#define GL_RG16_EXT 0x822C
#define GL_RGBA16_EXT 0x805B
#endif
#ifndef GL_RGB16_EXT
#define GL_RGB16_EXT 0x8054
#endif
#ifndef GL_BGRA_EXT
#define GL_BGRA_EXT 0x80E1
#endif

struct harness_ctx {
    harness_api api;
    EGLContext ctx;
    EGLConfig config;
};

/* ---- process-wide display --------------------------------------------- */

static pthread_once_t display_once = PTHREAD_ONCE_INIT;
static EGLDisplay display = EGL_NO_DISPLAY;
static bool display_ok;
static bool display_no_config;    /* EGL_KHR_no_config_context */
static harness_api display_first_api;
static bool display_desktop_pinned; /* MESA_GL_VERSION_OVERRIDE set by us or env */
static char display_desktop_version[16];

static const char *egl_error_name(EGLint e)
{
    switch (e) {
    case EGL_SUCCESS: return "EGL_SUCCESS";
    case EGL_NOT_INITIALIZED: return "EGL_NOT_INITIALIZED";
    case EGL_BAD_ACCESS: return "EGL_BAD_ACCESS";
    case EGL_BAD_ALLOC: return "EGL_BAD_ALLOC";
    case EGL_BAD_ATTRIBUTE: return "EGL_BAD_ATTRIBUTE";
    case EGL_BAD_CONFIG: return "EGL_BAD_CONFIG";
    case EGL_BAD_CONTEXT: return "EGL_BAD_CONTEXT";
    case EGL_BAD_CURRENT_SURFACE: return "EGL_BAD_CURRENT_SURFACE";
    case EGL_BAD_DISPLAY: return "EGL_BAD_DISPLAY";
    case EGL_BAD_MATCH: return "EGL_BAD_MATCH";
    case EGL_BAD_NATIVE_PIXMAP: return "EGL_BAD_NATIVE_PIXMAP";
    case EGL_BAD_NATIVE_WINDOW: return "EGL_BAD_NATIVE_WINDOW";
    case EGL_BAD_PARAMETER: return "EGL_BAD_PARAMETER";
    case EGL_BAD_SURFACE: return "EGL_BAD_SURFACE";
    case EGL_CONTEXT_LOST: return "EGL_CONTEXT_LOST";
    default: return "unknown EGL error";
    }
}

static void egl_fail(const char *what)
{
    EGLint e = eglGetError();
    fprintf(stderr, "harness: %s failed: %s (0x%04x)\n", what, egl_error_name(e), (unsigned)e);
}

static bool api_is_desktop(harness_api api)
{
    return api == HARNESS_GL33 || api == HARNESS_GL45;
}

static void api_version(harness_api api, int *major, int *minor)
{
    switch (api) {
    case HARNESS_GL33: *major = 3; *minor = 3; break;
    case HARNESS_GL45: *major = 4; *minor = 5; break;
    case HARNESS_GLES30: default: *major = 3; *minor = 0; break;
    }
}

/*
 * Mesa creates the highest version it supports for any desktop core or ES
 * request (4.5 for "3.3 core", 3.2 for "ES 3.0"). To run on the version a
 * test asks for, pin it through Mesa's override variables, which Mesa reads
 * once, when the display is initialised. Values already in the environment
 * win. Other drivers ignore these variables.
 */
static void pin_versions(harness_api first)
{
    if (!getenv("MESA_GLES_VERSION_OVERRIDE"))
        setenv("MESA_GLES_VERSION_OVERRIDE", "3.0", 0);
    const char *gl = getenv("MESA_GL_VERSION_OVERRIDE");
    if (gl) {
        display_desktop_pinned = true;
        snprintf(display_desktop_version, sizeof display_desktop_version, "%s", gl);
    } else if (api_is_desktop(first)) {
        const char *v = first == HARNESS_GL33 ? "3.3" : "4.5";
        setenv("MESA_GL_VERSION_OVERRIDE", v, 0);
        display_desktop_pinned = true;
        snprintf(display_desktop_version, sizeof display_desktop_version, "%s", v);
    }
}

static void display_init(void)
{
    pin_versions(display_first_api);

    if (!epoxy_has_egl_extension(EGL_NO_DISPLAY, "EGL_MESA_platform_surfaceless")) {
        fprintf(stderr, "harness: EGL client extension EGL_MESA_platform_surfaceless is "
                        "missing (is Mesa's libEGL_mesa installed?)\n");
        return;
    }
    if (epoxy_has_egl_extension(EGL_NO_DISPLAY, "EGL_EXT_platform_base")) {
        display = eglGetPlatformDisplayEXT(EGL_PLATFORM_SURFACELESS_MESA,
                                           EGL_DEFAULT_DISPLAY, NULL);
    } else if (epoxy_egl_version(EGL_NO_DISPLAY) >= 15) {
        display = eglGetPlatformDisplay(EGL_PLATFORM_SURFACELESS_MESA,
                                        EGL_DEFAULT_DISPLAY, NULL);
    } else {
        fprintf(stderr, "harness: neither EGL_EXT_platform_base nor EGL 1.5\n");
        return;
    }
    if (display == EGL_NO_DISPLAY) {
        egl_fail("eglGetPlatformDisplayEXT(EGL_PLATFORM_SURFACELESS_MESA)");
        return;
    }
    EGLint major = 0, minor = 0;
    if (!eglInitialize(display, &major, &minor)) {
        egl_fail("eglInitialize(surfaceless display)");
        display = EGL_NO_DISPLAY;
        return;
    }
    if (!epoxy_has_egl_extension(display, "EGL_KHR_surfaceless_context")) {
        fprintf(stderr, "harness: EGL_KHR_surfaceless_context is missing\n");
        return;
    }
    if (major == 1 && minor < 5 && !epoxy_has_egl_extension(display, "EGL_KHR_create_context")) {
        fprintf(stderr, "harness: EGL %d.%d without EGL_KHR_create_context\n", major, minor);
        return;
    }
    display_no_config = epoxy_has_egl_extension(display, "EGL_KHR_no_config_context") ||
                        epoxy_has_egl_extension(display, "EGL_MESA_configless_context");
    display_ok = true;
}

static pthread_mutex_t first_api_lock = PTHREAD_MUTEX_INITIALIZER;
static bool first_api_set;

static bool display_get(harness_api api)
{
    pthread_mutex_lock(&first_api_lock);
    if (!first_api_set) {
        first_api_set = true;
        display_first_api = api;
    }
    pthread_mutex_unlock(&first_api_lock);
    pthread_once(&display_once, display_init);
    return display_ok;
}

/* ---- API names --------------------------------------------------------- */

bool harness_api_parse(const char *s, harness_api *out)
{
    static const struct { const char *name; harness_api api; } names[] = {
        { "gl33", HARNESS_GL33 }, { "gl45", HARNESS_GL45 }, { "gles30", HARNESS_GLES30 },
    };
    if (!s || !out)
        return false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].api;
            return true;
        }
    }
    return false;
}

const char *harness_api_name(harness_api api)
{
    switch (api) {
    case HARNESS_GL33: return "gl33";
    case HARNESS_GL45: return "gl45";
    case HARNESS_GLES30: return "gles30";
    }
    return "?";
}

/* ---- contexts ------------------------------------------------------------ */

static bool bind_api(harness_api api)
{
    if (!eglBindAPI(api_is_desktop(api) ? EGL_OPENGL_API : EGL_OPENGL_ES_API)) {
        egl_fail(api_is_desktop(api) ? "eglBindAPI(EGL_OPENGL_API)"
                                     : "eglBindAPI(EGL_OPENGL_ES_API)");
        return false;
    }
    return true;
}

static bool choose_config(harness_api api, EGLConfig *out)
{
    if (display_no_config) {
        *out = EGL_NO_CONFIG_KHR;
        return true;
    }
    const EGLint renderable = api_is_desktop(api) ? EGL_OPENGL_BIT : EGL_OPENGL_ES3_BIT_KHR;
    /* Any surface type first (we never make a surface), then pbuffer. */
    const EGLint surface_types[] = { 0, EGL_PBUFFER_BIT };
    for (size_t i = 0; i < sizeof surface_types / sizeof surface_types[0]; i++) {
        const EGLint attribs[] = {
            EGL_SURFACE_TYPE, surface_types[i],
            EGL_RENDERABLE_TYPE, renderable,
            EGL_RED_SIZE, 8, EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8,
            EGL_NONE,
        };
        EGLint n = 0;
        if (eglChooseConfig(display, attribs, out, 1, &n) && n > 0)
            return true;
    }
    egl_fail("eglChooseConfig (no config for the requested client API)");
    return false;
}

harness_ctx *harness_ctx_create(harness_api api, harness_ctx *share)
{
    if (api != HARNESS_GL33 && api != HARNESS_GL45 && api != HARNESS_GLES30) {
        fprintf(stderr, "harness: invalid api %d\n", (int)api);
        return NULL;
    }
    if (!display_get(api)) {
        fprintf(stderr, "harness: no surfaceless EGL display; cannot create a %s context\n",
                harness_api_name(api));
        return NULL;
    }
    if (share && api_is_desktop(share->api) != api_is_desktop(api)) {
        fprintf(stderr, "harness: cannot share between %s and %s contexts\n",
                harness_api_name(share->api), harness_api_name(api));
        return NULL;
    }
    int major, minor;
    api_version(api, &major, &minor);
    if (api_is_desktop(api) && display_desktop_pinned) {
        char want[16];
        snprintf(want, sizeof want, "%d.%d", major, minor);
        if (strncmp(display_desktop_version, want, strlen(want)) != 0)
            fprintf(stderr, "harness: note: desktop GL is pinned to %s in this process "
                            "(MESA_GL_VERSION_OVERRIDE); the %s context may fail or differ\n",
                    display_desktop_version, harness_api_name(api));
    }

    harness_ctx *h = calloc(1, sizeof *h);
    if (!h) {
        fprintf(stderr, "harness: out of memory\n");
        return NULL;
    }
    h->api = api;
    if (!bind_api(api) || !choose_config(api, &h->config)) {
        free(h);
        return NULL;
    }
    if (share && share->config != h->config) {
        /* Only reachable without no_config_context: share requires the same
         * config class; reuse the share's. */
        h->config = share->config;
    }

    EGLint attribs[16];
    int n = 0;
    attribs[n++] = EGL_CONTEXT_MAJOR_VERSION;
    attribs[n++] = major;
    attribs[n++] = EGL_CONTEXT_MINOR_VERSION;
    attribs[n++] = minor;
    if (api_is_desktop(api)) {
        attribs[n++] = EGL_CONTEXT_OPENGL_PROFILE_MASK;
        attribs[n++] = EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT;
    }
    attribs[n++] = EGL_NONE;

    h->ctx = eglCreateContext(display, h->config, share ? share->ctx : EGL_NO_CONTEXT, attribs);
    if (h->ctx == EGL_NO_CONTEXT) {
        char what[128];
        snprintf(what, sizeof what, "eglCreateContext(%s: %s %d.%d%s%s)", harness_api_name(api),
                 api_is_desktop(api) ? "OpenGL core" : "OpenGL ES", major, minor,
                 share ? ", shared" : "", display_no_config ? ", no config" : "");
        egl_fail(what);
        free(h);
        return NULL;
    }
    return h;
}

bool harness_make_current(harness_ctx *h)
{
    if (!h) {
        fprintf(stderr, "harness: harness_make_current(NULL)\n");
        return false;
    }
    if (!bind_api(h->api))
        return false;
    if (!eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, h->ctx)) {
        egl_fail("eglMakeCurrent");
        return false;
    }
    return true;
}

void harness_release_current(void)
{
    if (!display_ok)
        return;
    /* EGL tracks the current context per bound client API on some
     * implementations: release both. */
    EGLenum saved = eglQueryAPI();
    static const EGLenum apis[] = { EGL_OPENGL_API, EGL_OPENGL_ES_API };
    for (size_t i = 0; i < sizeof apis / sizeof apis[0]; i++) {
        if (!eglBindAPI(apis[i]))
            continue;
        if (eglGetCurrentContext() != EGL_NO_CONTEXT &&
            !eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT))
            egl_fail("eglMakeCurrent(EGL_NO_CONTEXT)");
    }
    if (saved == EGL_OPENGL_API || saved == EGL_OPENGL_ES_API)
        eglBindAPI(saved);
}

void harness_ctx_destroy(harness_ctx *h)
{
    if (!h)
        return;
    if (eglGetCurrentContext() == h->ctx) {
        if (!eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT))
            egl_fail("eglMakeCurrent(EGL_NO_CONTEXT)");
    } else {
        /* Current under the other client API binding? */
        EGLenum saved = eglQueryAPI();
        if (bind_api(h->api)) {
            if (eglGetCurrentContext() == h->ctx &&
                !eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT))
                egl_fail("eglMakeCurrent(EGL_NO_CONTEXT)");
            if (saved == EGL_OPENGL_API || saved == EGL_OPENGL_ES_API)
                eglBindAPI(saved);
        }
    }
    if (!eglDestroyContext(display, h->ctx))
        egl_fail("eglDestroyContext");
    free(h);
}

harness_api harness_ctx_api(const harness_ctx *h)
{
    return h->api;
}

void *harness_get_proc(void *user, const char *name)
{
    (void)user;
    return (void *)eglGetProcAddress(name);
}

bool harness_is_current(void *user)
{
    const harness_ctx *h = user;
    return h && h->ctx != EGL_NO_CONTEXT && eglGetCurrentContext() == h->ctx;
}

const char *harness_print_info(harness_ctx *h)
{
    const char *version = (const char *)glGetString(GL_VERSION);
    const char *renderer = (const char *)glGetString(GL_RENDERER);
    const char *vendor = (const char *)glGetString(GL_VENDOR);
    printf("# context %s: GL_VERSION=%s GL_RENDERER=%s GL_VENDOR=%s\n",
           h ? harness_api_name(h->api) : "?", version ? version : "(null)",
           renderer ? renderer : "(null)", vendor ? vendor : "(null)");
    fflush(stdout);
    return renderer ? renderer : "";
}

/* ---- errors ------------------------------------------------------------- */

static const char *gl_error_name(GLenum e)
{
    switch (e) {
    case GL_NO_ERROR: return "GL_NO_ERROR";
    case GL_INVALID_ENUM: return "GL_INVALID_ENUM";
    case GL_INVALID_VALUE: return "GL_INVALID_VALUE";
    case GL_INVALID_OPERATION: return "GL_INVALID_OPERATION";
    case GL_INVALID_FRAMEBUFFER_OPERATION: return "GL_INVALID_FRAMEBUFFER_OPERATION";
    case GL_OUT_OF_MEMORY: return "GL_OUT_OF_MEMORY";
    default: return "unknown GL error";
    }
}

unsigned harness_gl_error(const char *where)
{
    GLenum e = glGetError();
    if (e != GL_NO_ERROR)
        fprintf(stderr, "harness: GL error %s (0x%04x) at %s\n", gl_error_name(e), (unsigned)e,
                where ? where : "?");
    return e;
}

/* ---- texture readback ------------------------------------------------------ */

typedef struct pack_state {
    GLint alignment, row_length, skip_rows, skip_pixels, pack_buffer;
} pack_state;

static void pack_state_set_default(pack_state *saved)
{
    glGetIntegerv(GL_PACK_ALIGNMENT, &saved->alignment);
    glGetIntegerv(GL_PACK_ROW_LENGTH, &saved->row_length);
    glGetIntegerv(GL_PACK_SKIP_ROWS, &saved->skip_rows);
    glGetIntegerv(GL_PACK_SKIP_PIXELS, &saved->skip_pixels);
    glGetIntegerv(GL_PIXEL_PACK_BUFFER_BINDING, &saved->pack_buffer);
    glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glPixelStorei(GL_PACK_ROW_LENGTH, 0);
    glPixelStorei(GL_PACK_SKIP_ROWS, 0);
    glPixelStorei(GL_PACK_SKIP_PIXELS, 0);
}

static void pack_state_restore(const pack_state *saved)
{
    glBindBuffer(GL_PIXEL_PACK_BUFFER, (GLuint)saved->pack_buffer);
    glPixelStorei(GL_PACK_ALIGNMENT, saved->alignment);
    glPixelStorei(GL_PACK_ROW_LENGTH, saved->row_length);
    glPixelStorei(GL_PACK_SKIP_ROWS, saved->skip_rows);
    glPixelStorei(GL_PACK_SKIP_PIXELS, saved->skip_pixels);
}

/* Channels in an upload format. 0 when unknown. */
static int format_channels(GLenum format)
{
    switch (format) {
    case GL_RED: case GL_RED_INTEGER: return 1;
    case GL_RG: case GL_RG_INTEGER: return 2;
    case GL_RGB: case GL_RGB_INTEGER: return 3;
    case GL_RGBA: case GL_RGBA_INTEGER: case GL_BGRA_EXT: return 4;
    default: return 0;
    }
}

static bool desktop_read(const glvf_plane_layout *l, GLuint texture, uint8_t *dst)
{
    GLint w = 0, h = 0, ifmt = 0;
    glGetTexLevelParameteriv(GL_TEXTURE_2D, 0, GL_TEXTURE_WIDTH, &w);
    glGetTexLevelParameteriv(GL_TEXTURE_2D, 0, GL_TEXTURE_HEIGHT, &h);
    glGetTexLevelParameteriv(GL_TEXTURE_2D, 0, GL_TEXTURE_INTERNAL_FORMAT, &ifmt);
    if (w != l->width || h != l->height) {
        fprintf(stderr, "harness: texture %u level 0 is %dx%d, layout says %dx%d\n", texture, w,
                h, l->width, l->height);
        return false;
    }
    if ((GLenum)ifmt != l->internal_format) {
        fprintf(stderr, "harness: texture %u has internal format 0x%04x, layout says 0x%04x\n",
                texture, (unsigned)ifmt, l->internal_format);
        return false;
    }
    glGetTexImage(GL_TEXTURE_2D, 0, l->format, l->type, dst);
    return true;
}

static bool es_read(const glvf_plane_layout *l, GLuint texture, uint8_t *dst, size_t dst_row)
{
    int channels = format_channels(l->format);
    int bytes_per_channel;
    switch (l->internal_format) {
    case GL_R8: case GL_RG8: case GL_RGB8: case GL_RGBA8:
        bytes_per_channel = 1;
        break;
    case GL_R16_EXT: case GL_RG16_EXT: case GL_RGBA16_EXT:
        bytes_per_channel = 2;
        break;
    default:
        fprintf(stderr, "harness: cannot read back internal format 0x%04x on GLES "
                        "(only R8, RG8, RGB8, RGBA8, R16, RG16, RGBA16)\n",
                l->internal_format);
        return false;
    }
    if (channels == 0 || channels * bytes_per_channel != l->bytes_per_texel) {
        fprintf(stderr, "harness: layout format 0x%04x / %d bytes per texel does not match "
                        "internal format 0x%04x\n",
                l->format, l->bytes_per_texel, l->internal_format);
        return false;
    }
    const size_t w = (size_t)l->width, h = (size_t)l->height;
    const size_t rgba_texel = 4 * (size_t)bytes_per_channel;
    uint8_t *rgba = malloc(w * h * rgba_texel);
    if (!rgba) {
        fprintf(stderr, "harness: out of memory\n");
        return false;
    }

    GLint saved_read_fbo = 0;
    glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &saved_read_fbo);
    GLuint fbo = 0;
    glGenFramebuffers(1, &fbo);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, fbo);
    glFramebufferTexture2D(GL_READ_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, texture, 0);
    GLenum status = glCheckFramebufferStatus(GL_READ_FRAMEBUFFER);
    bool ok = status == GL_FRAMEBUFFER_COMPLETE;
    if (!ok) {
        fprintf(stderr, "harness: framebuffer with texture %u (internal format 0x%04x) is "
                        "incomplete: 0x%04x\n",
                texture, l->internal_format, (unsigned)status);
    } else {
        glReadPixels(0, 0, l->width, l->height, GL_RGBA,
                     bytes_per_channel == 1 ? GL_UNSIGNED_BYTE : GL_UNSIGNED_SHORT, rgba);
    }
    glBindFramebuffer(GL_READ_FRAMEBUFFER, (GLuint)saved_read_fbo);
    glDeleteFramebuffers(1, &fbo);

    if (ok) {
        const bool bgra = l->format == GL_BGRA_EXT;
        const size_t texel = (size_t)channels * (size_t)bytes_per_channel;
        for (size_t y = 0; y < h; y++) {
            const uint8_t *s = rgba + y * w * rgba_texel;
            uint8_t *d = dst + y * dst_row;
            for (size_t x = 0; x < w; x++, s += rgba_texel, d += texel) {
                if (bgra) {
                    const size_t b = (size_t)bytes_per_channel;
                    memcpy(d + 0 * b, s + 2 * b, b);
                    memcpy(d + 1 * b, s + 1 * b, b);
                    memcpy(d + 2 * b, s + 0 * b, b);
                    memcpy(d + 3 * b, s + 3 * b, b);
                } else {
                    memcpy(d, s, texel);
                }
            }
        }
    }
    free(rgba);
    return ok;
}

bool harness_read_plane(harness_ctx *h, unsigned texture, const glvf_plane_layout *layout,
                        void *out)
{
    if (!h || !layout || !out) {
        fprintf(stderr, "harness_read_plane: NULL argument\n");
        return false;
    }
    if (!harness_is_current(h)) {
        fprintf(stderr, "harness_read_plane: the %s context is not current\n",
                harness_api_name(h->api));
        return false;
    }
    if (layout->width <= 0 || layout->height <= 0 || layout->bytes_per_texel <= 0 ||
        layout->row_bytes < layout->width * layout->bytes_per_texel) {
        fprintf(stderr, "harness_read_plane: bad layout %dx%d, %d bytes per texel, %d row bytes\n",
                layout->width, layout->height, layout->bytes_per_texel, layout->row_bytes);
        return false;
    }
    if (harness_gl_error("harness_read_plane entry (error left by earlier calls)"))
        return false;
    if (texture == 0 || !glIsTexture(texture)) {
        fprintf(stderr, "harness_read_plane: %u is not a texture\n", texture);
        return false;
    }

    /* Read rows of exactly width * bytes_per_texel; copy into row_bytes rows
     * when the caller's rows are longer. */
    const size_t tight = (size_t)layout->width * (size_t)layout->bytes_per_texel;
    const size_t rows = (size_t)layout->height;
    uint8_t *dst = out;
    uint8_t *tmp = NULL;
    if ((size_t)layout->row_bytes != tight) {
        tmp = malloc(tight * rows);
        if (!tmp) {
            fprintf(stderr, "harness_read_plane: out of memory\n");
            return false;
        }
        dst = tmp;
    }

    GLint saved_tex = 0;
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &saved_tex);
    pack_state pack;
    pack_state_set_default(&pack);
    glBindTexture(GL_TEXTURE_2D, texture);

    bool ok = api_is_desktop(h->api) ? desktop_read(layout, texture, dst)
                                     : es_read(layout, texture, dst, tight);

    glBindTexture(GL_TEXTURE_2D, (GLuint)saved_tex);
    pack_state_restore(&pack);

    if (harness_gl_error("harness_read_plane"))
        ok = false;
    if (ok && tmp) {
        for (size_t y = 0; y < rows; y++)
            memcpy((uint8_t *)out + y * (size_t)layout->row_bytes, tmp + y * tight, tight);
    }
    free(tmp);
    return ok;
}

/* ---- render targets ---------------------------------------------------- */

bool harness_fbo_create(harness_fbo *f, int width, int height)
{
    memset(f, 0, sizeof *f);
    f->width = width;
    f->height = height;
    glGenTextures(1, &f->tex);
    glBindTexture(GL_TEXTURE_2D, f->tex);
    glTexStorage2D(GL_TEXTURE_2D, 1, GL_RGBA8, width, height);
    glBindTexture(GL_TEXTURE_2D, 0);
    glGenFramebuffers(1, &f->fb);
    glBindFramebuffer(GL_FRAMEBUFFER, f->fb);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, f->tex, 0);
    glViewport(0, 0, width, height);
    return glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;
}

void harness_fbo_read_rgba(const harness_fbo *f, uint8_t *out)
{
    size_t row = (size_t)f->width * 4;
    uint8_t *tmp = malloc(row * (size_t)f->height);
    GLint prev = 0, pack = 4;
    glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &prev);
    glGetIntegerv(GL_PACK_ALIGNMENT, &pack);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, f->fb);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, f->width, f->height, GL_RGBA, GL_UNSIGNED_BYTE, tmp);
    glPixelStorei(GL_PACK_ALIGNMENT, pack);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, (GLuint)prev);
    for (int y = 0; y < f->height; y++) /* GL rows are bottom-up */
        memcpy(out + (size_t)y * row, tmp + (size_t)(f->height - 1 - y) * row, row);
    free(tmp);
}

void harness_fbo_destroy(harness_fbo *f)
{
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    if (f->fb)
        glDeleteFramebuffers(1, &f->fb);
    if (f->tex)
        glDeleteTextures(1, &f->tex);
    memset(f, 0, sizeof *f);
}

harness_ctx *harness_test_start(int argc, char **argv, harness_api *api, int *status)
{
    if (argc < 2 || !harness_api_parse(argv[1], api)) {
        fprintf(stderr, "usage: %s gl33|gl45|gles30\n", argv[0]);
        *status = 2;
        return NULL;
    }
    harness_ctx *h = harness_ctx_create(*api, NULL);
    if (!h || !harness_make_current(h)) {
        printf("not ok 1 - create %s context\n", argv[1]);
        harness_ctx_destroy(h);
        *status = 1;
        return NULL;
    }
    harness_print_info(h);
    *status = 0;
    return h;
}
