/*
 * Fake GL for contract tests (see fakegl.h).
 *
 * Every entry point is defined through V/R (void / returning) or VF/RF (the
 * body handles an injected fault itself) so it first takes the global lock
 * and records the call. ENTRIES lists them all: it builds the name table the
 * loader callback answers from, and a never-called function that assigns
 * each one to its GladGLContext member so the compiler checks every
 * signature against the generated loader.
 */
#include "fakegl.h"

#include "glvf_glad.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic error "-Wincompatible-pointer-types"

#define ENTRIES(X)                                                                      \
    X(GetError) X(GetString) X(GetStringi) X(GetIntegerv) X(GetInteger64v) X(GetFloatv) \
    X(GetBooleanv) X(Flush) X(Finish) X(Enable) X(Disable) X(IsEnabled) X(Viewport)     \
    X(Scissor) X(ClearColor) X(Clear) X(ColorMask) X(BlendFunc) X(BlendFuncSeparate)    \
    X(BlendEquation) X(DrawArrays) X(DrawElements) X(PixelStorei) X(ReadPixels)         \
    X(GenTextures) X(CreateTextures) X(DeleteTextures) X(IsTexture) X(BindTexture)      \
    X(ActiveTexture) X(TexParameteri) X(TexParameterf) X(TexParameteriv)                \
    X(TexStorage2D) X(TexImage2D) X(TexSubImage2D) X(GenerateMipmap)                    \
    X(GenBuffers) X(CreateBuffers) X(DeleteBuffers) X(IsBuffer) X(BindBuffer)           \
    X(BindBufferBase) X(BufferData) X(BufferSubData) X(BufferStorage)                   \
    X(BufferStorageEXT) X(MapBufferRange) X(FlushMappedBufferRange) X(UnmapBuffer)      \
    X(FenceSync) X(ClientWaitSync) X(WaitSync) X(DeleteSync) X(IsSync) X(GetSynciv)     \
    X(GenFramebuffers) X(DeleteFramebuffers) X(IsFramebuffer) X(BindFramebuffer)        \
    X(FramebufferTexture2D) X(CheckFramebufferStatus) X(InvalidateFramebuffer)          \
    X(BlitFramebuffer) X(CreateShader) X(ShaderSource) X(CompileShader)                 \
    X(GetShaderiv) X(GetShaderInfoLog) X(DeleteShader) X(IsShader) X(CreateProgram)     \
    X(AttachShader) X(DetachShader) X(LinkProgram) X(GetProgramiv)                      \
    X(GetProgramInfoLog) X(UseProgram) X(DeleteProgram) X(IsProgram)                    \
    X(GetUniformLocation) X(GetAttribLocation) X(BindAttribLocation)                    \
    X(GetUniformBlockIndex) X(UniformBlockBinding) X(Uniform1i) X(Uniform1f)            \
    X(Uniform2f) X(Uniform2i) X(Uniform3f) X(Uniform4f) X(Uniform1fv) X(Uniform2fv) X(Uniform3fv)    \
    X(Uniform4fv) X(UniformMatrix3fv) X(UniformMatrix4fv) X(GenVertexArrays)            \
    X(DeleteVertexArrays) X(BindVertexArray) X(IsVertexArray) X(VertexAttribPointer)    \
    X(EnableVertexAttribArray) X(DisableVertexAttribArray) X(GenSamplers)               \
    X(DeleteSamplers) X(BindSampler) X(SamplerParameteri) X(SamplerParameterf)          \
    X(GenQueries) X(DeleteQueries) X(BeginQuery) X(EndQuery) X(QueryCounter)            \
    X(GetQueryObjectiv) X(GetQueryObjectuiv) X(GetQueryObjecti64v)                      \
    X(GetQueryObjectui64v) X(GenQueriesEXT) X(DeleteQueriesEXT) X(BeginQueryEXT)        \
    X(EndQueryEXT) X(QueryCounterEXT) X(GetQueryObjectuivEXT)                           \
    X(GetQueryObjecti64vEXT) X(GetQueryObjectui64vEXT) X(ObjectLabel)                   \
    X(ObjectLabelKHR) X(GetObjectLabel) X(GetObjectLabelKHR) X(ObjectPtrLabel)          \
    X(ObjectPtrLabelKHR) X(DebugMessageCallback) X(DebugMessageCallbackKHR)             \
    X(DebugMessageControl) X(DebugMessageControlKHR) X(PushDebugGroup)                  \
    X(PushDebugGroupKHR) X(PopDebugGroup) X(PopDebugGroupKHR)                           \
    X(GetGraphicsResetStatus) X(GetGraphicsResetStatusARB)                              \
    X(GetGraphicsResetStatusEXT) X(GetGraphicsResetStatusKHR)

#define X_ENUM(N) I_##N,
enum { ENTRIES(X_ENUM) I_COUNT };
#define X_NAME(N) #N,
static const char *const entry_names[I_COUNT] = {ENTRIES(X_NAME)};

/* ---- state ---------------------------------------------------------------- */

#define UNITS 32
#define NBUF 8
#define MAX_THREADS 128
#define MAX_FAULTS 32
#define MAX_CAPS 32

typedef struct fsync { unsigned name; } fsync;

typedef struct obj {
    bool alive, immutable, mapped, persistent;
    bool signalled;          /* syncs, fence-lag mode: waited for once */
    char *label;
    int w, h, levels;
    GLenum ifmt;             /* textures: internal format; shaders: type */
    unsigned char *data;     /* buffers: storage */
    size_t size;
    GLbitfield flags;        /* buffers: storage flags */
    fsync *sync;
    uint64_t u64;            /* queries: result */
} obj;

typedef struct kind_tab { obj *v; unsigned n, cap, first_live; } kind_tab;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static __thread bool tl_current;

static struct {
    bool inited;
    /* configuration */
    bool gles;
    int major, minor, max_tex;
    char *vendor, *renderer, **exts, *ext_joined;
    int n_exts;
    char version[64], glsl[64];
    /* counters */
    unsigned long calls, violations, bad_deletes, gl_errors, labels;
    unsigned long per_name[I_COUNT], created[FAKEGL_KIND_COUNT], deleted[FAKEGL_KIND_COUNT],
        live[FAKEGL_KIND_COUNT], delete_calls[FAKEGL_KIND_COUNT];
    const char *first_violation;
    struct { pthread_t t; unsigned long n; } threads[MAX_THREADS];
    int n_threads;
    /* faults */
    struct { int idx, countdown; GLenum err; } faults[MAX_FAULTS];
    int n_faults;
    bool fail;          /* the current call is the injected failure */
    GLenum fail_err;
    unsigned long faults_fired;
    bool never_signals, fence_lag, fence_manual;
    GLenum reset_strategy;
    GLenum reset_status, error, error_forever;
    /* objects and bindings */
    kind_tab kinds[FAKEGL_KIND_COUNT];
    GLuint tex[UNITS], samplers[UNITS], buf[NBUF], draw_fb, read_fb, program, vao, query;
    unsigned active;
    GLint viewport[4], scissor[4];
    GLint unpack_row_length, unpack_alignment, unpack_skip_rows, unpack_skip_pixels;
    GLint pack_alignment;
    GLenum caps[MAX_CAPS];
} G;

static void set_error(GLenum e)
{
    G.gl_errors++;
    if (G.error == GL_NO_ERROR)
        G.error = e;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void free_all(void)
{
    for (int k = 0; k < FAKEGL_KIND_COUNT; k++) {
        kind_tab *t = &G.kinds[k];
        for (unsigned i = 0; i < t->n; i++) {
            free(t->v[i].label);
            free(t->v[i].data);
            free(t->v[i].sync);
        }
        free(t->v);
    }
    for (int i = 0; i < G.n_exts; i++)
        free(G.exts[i]);
    free(G.exts);
    free(G.ext_joined);
    free(G.vendor);
    free(G.renderer);
}

static void reset_locked(const fakegl_config *cfg)
{
    static const char *const def_desktop[] = {"GL_ARB_buffer_storage", "GL_ARB_texture_storage",
        "GL_KHR_debug", "GL_ARB_robustness", "GL_ARB_timer_query", NULL};
    static const char *const def_es[] = {"GL_EXT_buffer_storage", "GL_EXT_texture_norm16",
        "GL_KHR_debug", "GL_EXT_robustness", NULL};
    fakegl_config c = cfg ? *cfg : (fakegl_config){0};
    if (G.inited)
        free_all();
    memset(&G, 0, sizeof G);
    G.inited = true;
    G.gles = c.gles;
    G.major = c.major, G.minor = c.minor;
    if (G.major == 0 && G.minor == 0)
        G.major = c.gles ? 3 : 4, G.minor = c.gles ? 0 : 5;
    G.max_tex = c.max_texture_size > 0 ? c.max_texture_size : 16384;
    G.vendor = strdup(c.vendor ? c.vendor : "glvf-fake");
    G.renderer = strdup(c.renderer ? c.renderer : "glvf fake GL");
    const char *const *e = c.extensions ? c.extensions : c.gles ? def_es : def_desktop;
    size_t joined = 1;
    while (e[G.n_exts])
        joined += strlen(e[G.n_exts++]) + 1;
    G.exts = calloc((size_t)G.n_exts + 1, sizeof *G.exts);
    G.ext_joined = calloc(1, joined);
    for (int i = 0; i < G.n_exts; i++) {
        G.exts[i] = strdup(e[i]);
        if (i)
            strcat(G.ext_joined, " ");
        strcat(G.ext_joined, e[i]);
    }
    int v = G.major * 10 + G.minor;
    if (G.gles) {
        snprintf(G.version, sizeof G.version, "OpenGL ES %d.%d glvf-fake", G.major, G.minor);
        if (G.major >= 3)
            snprintf(G.glsl, sizeof G.glsl, "OpenGL ES GLSL ES %d.%d0 glvf-fake", G.major, G.minor);
        else
            snprintf(G.glsl, sizeof G.glsl, "OpenGL ES GLSL ES 1.00 glvf-fake");
    } else {
        snprintf(G.version, sizeof G.version, "%d.%d.0 glvf-fake", G.major, G.minor);
        if (v >= 33)
            snprintf(G.glsl, sizeof G.glsl, "%d.%d0 glvf-fake", G.major, G.minor);
        else
            snprintf(G.glsl, sizeof G.glsl, "1.%d glvf-fake",
                     v >= 32 ? 50 : v >= 31 ? 40 : v >= 30 ? 30 : v >= 21 ? 20 : 10);
    }
    G.unpack_alignment = G.pack_alignment = 4;
    G.reset_status = GL_NO_ERROR;
    G.error_forever = GL_NO_ERROR;
    G.reset_strategy = c.reset_strategy ? c.reset_strategy : GL_NO_RESET_NOTIFICATION;
}

/* Records the call. Returns false when an injected fault fired on a generic
 * entry point (error recorded, body skipped). Leaves the lock held. */
static bool enter(int idx, bool generic)
{
    pthread_mutex_lock(&lock);
    if (!G.inited)
        reset_locked(NULL);
    G.calls++;
    G.per_name[idx]++;
    pthread_t self = pthread_self();
    int t = 0;
    while (t < G.n_threads && !pthread_equal(G.threads[t].t, self))
        t++;
    if (t == G.n_threads && t < MAX_THREADS)
        G.threads[G.n_threads++].t = self;
    if (t < MAX_THREADS)
        G.threads[t].n++;
    if (!tl_current) {
        G.violations++;
        if (!G.first_violation)
            G.first_violation = entry_names[idx];
    }
    G.fail = false;
    for (int i = 0; i < G.n_faults; i++) {
        if (G.faults[i].idx == idx && --G.faults[i].countdown == 0 && !G.fail) {
            G.fail = true;
            G.fail_err = G.faults[i].err;
            G.faults_fired++;
            G.faults[i--] = G.faults[--G.n_faults];
        }
    }
    if (G.fail && generic) {
        set_error(G.fail_err ? G.fail_err : GL_INVALID_OPERATION);
        return false;
    }
    return true;
}

static void leave(void) { pthread_mutex_unlock(&lock); }

#define V(N, P, ...)                                                               \
    static void GLAD_API_PTR fake_##N P                                            \
    {                                                                              \
        if (enter(I_##N, true)) do { __VA_ARGS__; } while (0);                    \
        leave();                                                                   \
    }
#define R(T, N, P, ...)                                                            \
    static T GLAD_API_PTR fake_##N P                                               \
    {                                                                              \
        T r_ = 0;                                                                  \
        if (enter(I_##N, true)) do { __VA_ARGS__; } while (0);                    \
        leave();                                                                   \
        return r_;                                                                 \
    }
#define VF(N, P, ...)                                                              \
    static void GLAD_API_PTR fake_##N P                                            \
    {                                                                              \
        enter(I_##N, false);                                                       \
        do { __VA_ARGS__; } while (0);                                             \
        leave();                                                                   \
    }
#define RF(T, N, P, ...)                                                           \
    static T GLAD_API_PTR fake_##N P                                               \
    {                                                                              \
        T r_ = 0;                                                                  \
        enter(I_##N, false);                                                       \
        do { __VA_ARGS__; } while (0);                                             \
        leave();                                                                   \
        return r_;                                                                 \
    }

/* ---- objects --------------------------------------------------------------- */

static GLuint new_obj(int kind)
{
    kind_tab *t = &G.kinds[kind];
    if (t->n == t->cap) {
        unsigned cap = t->cap ? t->cap * 2 : 64;
        obj *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return 0;
        memset(v + t->cap, 0, (cap - t->cap) * sizeof *v);
        t->v = v, t->cap = cap;
    }
    t->v[t->n].alive = true;
    G.created[kind]++;
    G.live[kind]++;
    return ++t->n;
}

static obj *live_obj(int kind, GLuint name)
{
    kind_tab *t = &G.kinds[kind];
    return name >= 1 && name <= t->n && t->v[name - 1].alive ? &t->v[name - 1] : NULL;
}

static void gen_objs(int kind, GLsizei n, GLuint *out)
{
    if (n < 0) {
        set_error(GL_INVALID_VALUE);
        return;
    }
    if (G.fail)
        set_error(G.fail_err ? G.fail_err : GL_OUT_OF_MEMORY);
    for (GLsizei i = 0; i < n; i++)
        out[i] = G.fail ? 0 : new_obj(kind);
}

static GLuint gen_one(int kind)
{
    GLuint name = 0;
    gen_objs(kind, 1, &name);
    return name;
}

static void destroy(int kind, GLuint name, obj *o)
{
    o->alive = false;
    free(o->data);
    o->data = NULL;
    o->size = 0;
    o->mapped = false;
    /* a sync's memory stays reserved until reset, so its address is never
     * handed out again and a double DeleteSync is always caught */
    G.live[kind]--;
    G.deleted[kind]++;
    /* deleting a bound object unbinds it */
    for (int i = 0; i < UNITS; i++) {
        if (kind == FAKEGL_TEXTURE && G.tex[i] == name)
            G.tex[i] = 0;
        if (kind == FAKEGL_SAMPLER && G.samplers[i] == name)
            G.samplers[i] = 0;
    }
    for (int i = 0; kind == FAKEGL_BUFFER && i < NBUF; i++)
        if (G.buf[i] == name)
            G.buf[i] = 0;
    if (kind == FAKEGL_FRAMEBUFFER && G.draw_fb == name)
        G.draw_fb = 0;
    if (kind == FAKEGL_FRAMEBUFFER && G.read_fb == name)
        G.read_fb = 0;
    if (kind == FAKEGL_VERTEX_ARRAY && G.vao == name)
        G.vao = 0;
}

static void del_objs(int kind, GLsizei n, const GLuint *names)
{
    G.delete_calls[kind]++;
    if (n < 0) {
        set_error(GL_INVALID_VALUE);
        return;
    }
    for (GLsizei i = 0; i < n; i++) {
        if (names[i] == 0)
            continue;
        obj *o = live_obj(kind, names[i]);
        if (o)
            destroy(kind, names[i], o);
        else
            G.bad_deletes++;
    }
}

static bool is_obj(int kind, GLuint name) { return live_obj(kind, name) != NULL; }

/* bind helper: 0 or a live name, else GL_INVALID_OPERATION */
static bool bindable(int kind, GLuint name)
{
    if (name == 0 || live_obj(kind, name))
        return true;
    set_error(GL_INVALID_OPERATION);
    return false;
}

static obj *find_sync(GLsync s)
{
    kind_tab *t = &G.kinds[FAKEGL_SYNC];
    while (t->first_live < t->n && !t->v[t->first_live].alive)
        t->first_live++;
    for (unsigned i = t->first_live; s && i < t->n; i++)
        if (t->v[i].alive && (void *)t->v[i].sync == (void *)s)
            return &t->v[i];
    return NULL;
}

static int id_kind(GLenum identifier)
{
    switch (identifier) {
    case GL_TEXTURE: return FAKEGL_TEXTURE;
    case GL_BUFFER: return FAKEGL_BUFFER;
    case GL_FRAMEBUFFER: return FAKEGL_FRAMEBUFFER;
    case GL_PROGRAM: return FAKEGL_PROGRAM;
    case GL_SHADER: return FAKEGL_SHADER;
    case GL_VERTEX_ARRAY: return FAKEGL_VERTEX_ARRAY;
    case GL_SAMPLER: return FAKEGL_SAMPLER;
    case GL_QUERY: return FAKEGL_QUERY;
    default: return -1;
    }
}

static void set_label(obj *o, GLsizei len, const GLchar *label)
{
    free(o->label);
    o->label = NULL;
    if (label) {
        size_t n = len < 0 ? strlen(label) : (size_t)len;
        o->label = malloc(n + 1);
        memcpy(o->label, label, n);
        o->label[n] = 0;
    }
    G.labels++;
}

static void object_label(GLenum identifier, GLuint name, GLsizei len, const GLchar *label)
{
    int k = id_kind(identifier);
    obj *o = k < 0 ? NULL : live_obj(k, name);
    if (k < 0)
        set_error(GL_INVALID_ENUM);
    else if (!o)
        set_error(GL_INVALID_VALUE);
    else
        set_label(o, len, label);
}

static void object_ptr_label(const void *ptr, GLsizei len, const GLchar *label)
{
    obj *o = find_sync((GLsync)ptr);
    if (o)
        set_label(o, len, label);
    else
        set_error(GL_INVALID_VALUE);
}

static void get_object_label(GLenum identifier, GLuint name, GLsizei bufsize, GLsizei *length,
                             GLchar *label)
{
    int k = id_kind(identifier);
    obj *o = k < 0 ? NULL : live_obj(k, name);
    if (!o) {
        set_error(k < 0 ? GL_INVALID_ENUM : GL_INVALID_VALUE);
        return;
    }
    size_t n = o->label ? strlen(o->label) : 0;
    if (label && bufsize > 0) {
        if (n > (size_t)bufsize - 1)
            n = (size_t)bufsize - 1;
        memcpy(label, o->label ? o->label : "", n);
        label[n] = 0;
    }
    if (length)
        *length = (GLsizei)n;
}

/* ---- queries of state -------------------------------------------------------- */

static int buf_slot(GLenum target)
{
    switch (target) {
    case GL_ARRAY_BUFFER: return 0;
    case GL_ELEMENT_ARRAY_BUFFER: return 1;
    case GL_PIXEL_PACK_BUFFER: return 2;
    case GL_PIXEL_UNPACK_BUFFER: return 3;
    case GL_UNIFORM_BUFFER: return 4;
    case GL_COPY_READ_BUFFER: return 5;
    case GL_COPY_WRITE_BUFFER: return 6;
    case GL_SHADER_STORAGE_BUFFER: return 7;
    default: return -1;
    }
}

/* The buffer bound to target, or NULL with the error GL would raise. */
static obj *bound_buf(GLenum target)
{
    int s = buf_slot(target);
    if (s < 0) {
        set_error(GL_INVALID_ENUM);
        return NULL;
    }
    obj *o = live_obj(FAKEGL_BUFFER, G.buf[s]);
    if (!o)
        set_error(GL_INVALID_OPERATION);
    return o;
}

static bool cap_enabled(GLenum cap)
{
    for (int i = 0; i < MAX_CAPS; i++)
        if (G.caps[i] == cap)
            return true;
    return false;
}

static void set_cap(GLenum cap, bool on)
{
    for (int i = 0; i < MAX_CAPS; i++) {
        if (on ? G.caps[i] == 0 || G.caps[i] == cap : G.caps[i] == cap) {
            G.caps[i] = on ? cap : 0;
            return;
        }
    }
}

/* Values of pname into v; returns how many (0 for unknown: v[0] = 0). */
static int int_state(GLenum pname, GLint64 v[4])
{
    v[0] = 0;
    switch (pname) {
    case GL_MAX_TEXTURE_SIZE: v[0] = G.max_tex; return 1;
    case GL_MAJOR_VERSION: v[0] = G.major; return 1;
    case GL_MINOR_VERSION: v[0] = G.minor; return 1;
    case GL_NUM_EXTENSIONS: v[0] = G.n_exts; return 1;
    case GL_TEXTURE_BINDING_2D: v[0] = G.tex[G.active]; return 1;
    case GL_SAMPLER_BINDING: v[0] = G.samplers[G.active]; return 1;
    case GL_ACTIVE_TEXTURE: v[0] = GL_TEXTURE0 + G.active; return 1;
    case GL_ARRAY_BUFFER_BINDING: v[0] = G.buf[0]; return 1;
    case GL_ELEMENT_ARRAY_BUFFER_BINDING: v[0] = G.buf[1]; return 1;
    case GL_PIXEL_PACK_BUFFER_BINDING: v[0] = G.buf[2]; return 1;
    case GL_PIXEL_UNPACK_BUFFER_BINDING: v[0] = G.buf[3]; return 1;
    case GL_UNIFORM_BUFFER_BINDING: v[0] = G.buf[4]; return 1;
    case GL_UNPACK_ROW_LENGTH: v[0] = G.unpack_row_length; return 1;
    case GL_UNPACK_ALIGNMENT: v[0] = G.unpack_alignment; return 1;
    case GL_UNPACK_SKIP_ROWS: v[0] = G.unpack_skip_rows; return 1;
    case GL_UNPACK_SKIP_PIXELS: v[0] = G.unpack_skip_pixels; return 1;
    case GL_PACK_ALIGNMENT: v[0] = G.pack_alignment; return 1;
    case GL_DRAW_FRAMEBUFFER_BINDING: v[0] = G.draw_fb; return 1;
    case GL_READ_FRAMEBUFFER_BINDING: v[0] = G.read_fb; return 1;
    case GL_CURRENT_PROGRAM: v[0] = G.program; return 1;
    case GL_VERTEX_ARRAY_BINDING: v[0] = G.vao; return 1;
    case GL_MAX_TEXTURE_IMAGE_UNITS: v[0] = 16; return 1;
    case GL_MAX_COMBINED_TEXTURE_IMAGE_UNITS: v[0] = UNITS; return 1;
    case GL_RESET_NOTIFICATION_STRATEGY: v[0] = G.reset_strategy; return 1;
    case GL_TIMESTAMP: v[0] = (GLint64)now_ns(); return 1;
    case GL_VIEWPORT:
    case GL_SCISSOR_BOX:
        for (int i = 0; i < 4; i++)
            v[i] = pname == GL_VIEWPORT ? G.viewport[i] : G.scissor[i];
        return 4;
    default:
        if (cap_enabled(pname))
            v[0] = 1;
        return 1;
    }
}

static const GLubyte *get_string(GLenum name)
{
    switch (name) {
    case GL_VENDOR: return (const GLubyte *)G.vendor;
    case GL_RENDERER: return (const GLubyte *)G.renderer;
    case GL_VERSION: return (const GLubyte *)G.version;
    case GL_SHADING_LANGUAGE_VERSION: return (const GLubyte *)G.glsl;
    case GL_EXTENSIONS: return (const GLubyte *)G.ext_joined;
    default: set_error(GL_INVALID_ENUM); return NULL;
    }
}

/* ---- pixel transfer --------------------------------------------------------- */

/* Bytes per pixel (0: bad enum) and size of one element (alignment rule). */
static int pixel_size(GLenum format, GLenum type, int *elem)
{
    int c, s;
    switch (type) {
    case GL_UNSIGNED_SHORT_5_6_5: case GL_UNSIGNED_SHORT_4_4_4_4: case GL_UNSIGNED_SHORT_5_5_5_1:
        return *elem = 2;
    case GL_UNSIGNED_INT_2_10_10_10_REV: case GL_UNSIGNED_INT_10_10_10_2:
    case GL_UNSIGNED_INT_8_8_8_8: case GL_UNSIGNED_INT_8_8_8_8_REV: case GL_UNSIGNED_INT_24_8:
        return *elem = 4;
    case GL_UNSIGNED_BYTE: case GL_BYTE: s = 1; break;
    case GL_UNSIGNED_SHORT: case GL_SHORT: case GL_HALF_FLOAT: s = 2; break;
    case GL_UNSIGNED_INT: case GL_INT: case GL_FLOAT: s = 4; break;
    default: return 0;
    }
    switch (format) {
    case GL_RED: case GL_RED_INTEGER: case GL_ALPHA: case GL_LUMINANCE: case GL_DEPTH_COMPONENT:
        c = 1; break;
    case GL_RG: case GL_RG_INTEGER: case GL_LUMINANCE_ALPHA: c = 2; break;
    case GL_RGB: case GL_BGR: case GL_RGB_INTEGER: c = 3; break;
    case GL_RGBA: case GL_BGRA: case GL_RGBA_INTEGER: c = 4; break;
    default: return 0;
    }
    *elem = s;
    return c * s;
}

/* Checks the source of an upload of w x h pixels: the unpack buffer range
 * (when one is bound) or touches the first and last client byte (ASan). */
static bool check_unpack(int w, int h, GLenum format, GLenum type, const void *pixels)
{
    int elem, bpp = pixel_size(format, type, &elem);
    if (!bpp) {
        set_error(GL_INVALID_ENUM);
        return false;
    }
    obj *pbo = live_obj(FAKEGL_BUFFER, G.buf[3]);
    if ((!pbo && !pixels) || w <= 0 || h <= 0)
        return true;
    size_t rowlen = G.unpack_row_length > 0 ? (size_t)G.unpack_row_length : (size_t)w;
    size_t a = (size_t)G.unpack_alignment, stride = rowlen * (size_t)bpp;
    if ((size_t)elem < a)
        stride = (stride + a - 1) / a * a;
    size_t first = (size_t)G.unpack_skip_rows * stride + (size_t)G.unpack_skip_pixels * (size_t)bpp;
    size_t end = first + (size_t)(h - 1) * stride + (size_t)w * (size_t)bpp;
    if (pbo) {
        uintptr_t off = (uintptr_t)pixels;
        if ((pbo->mapped && !pbo->persistent) || off + end > pbo->size || off + end < off) {
            set_error(GL_INVALID_OPERATION);
            return false;
        }
        return true;
    }
    volatile unsigned char sink = ((const unsigned char *)pixels)[first];
    sink ^= ((const unsigned char *)pixels)[end - 1];
    (void)sink;
    return true;
}

static bool unsized(GLenum f)
{
    return f == GL_RED || f == GL_RG || f == GL_RGB || f == GL_RGBA || f == GL_BGRA ||
           f == GL_LUMINANCE || f == GL_ALPHA || f == GL_LUMINANCE_ALPHA || f == 0;
}

static obj *bound_tex(void)
{
    obj *o = live_obj(FAKEGL_TEXTURE, G.tex[G.active]);
    if (!o)
        set_error(GL_INVALID_OPERATION);
    return o;
}

static void tex_storage(GLsizei levels, GLenum ifmt, GLsizei w, GLsizei h)
{
    obj *o = bound_tex();
    int max_levels = 1;
    while (((w > h ? w : h) >> max_levels) > 0)
        max_levels++;
    if (!o)
        return;
    if (w < 1 || h < 1 || levels < 1 || w > G.max_tex || h > G.max_tex)
        set_error(GL_INVALID_VALUE);
    else if (unsized(ifmt))
        set_error(GL_INVALID_ENUM);
    else if (o->immutable || levels > max_levels)
        set_error(GL_INVALID_OPERATION);
    else if (G.fail)
        set_error(G.fail_err ? G.fail_err : GL_OUT_OF_MEMORY);
    else
        o->immutable = true, o->w = w, o->h = h, o->levels = levels, o->ifmt = ifmt;
}

static void tex_image(GLint level, GLint ifmt, GLsizei w, GLsizei h, GLint border, GLenum format,
                      GLenum type, const void *pixels)
{
    obj *o = bound_tex();
    if (!o)
        return;
    if (o->immutable)
        set_error(GL_INVALID_OPERATION);
    else if (w < 0 || h < 0 || w > G.max_tex || h > G.max_tex || level < 0 || border != 0)
        set_error(GL_INVALID_VALUE);
    else if (!check_unpack(w, h, format, type, pixels))
        return;
    else if (G.fail)
        set_error(G.fail_err ? G.fail_err : GL_OUT_OF_MEMORY);
    else if (level == 0)
        o->w = w, o->h = h, o->levels = 1, o->ifmt = (GLenum)ifmt;
}

static void tex_sub_image(GLint level, GLint x, GLint y, GLsizei w, GLsizei h, GLenum format,
                          GLenum type, const void *pixels)
{
    obj *o = bound_tex();
    if (!o)
        return;
    int lw = level < 0 || level > 30 ? 0 : o->w >> level;
    int lh = level < 0 || level > 30 ? 0 : o->h >> level;
    lw = o->w && lw < 1 ? 1 : lw, lh = o->h && lh < 1 ? 1 : lh;
    if (level < 0 || (o->immutable && level >= o->levels) || x < 0 || y < 0 || w < 0 ||
        h < 0 || (long)x + w > lw || (long)y + h > lh)
        set_error(GL_INVALID_VALUE);
    else
        check_unpack(w, h, format, type, pixels);
}

/* ---- buffers ------------------------------------------------------------------ */

static void buffer_data(GLenum target, GLsizeiptr size, const void *data, bool storage,
                        GLbitfield flags)
{
    obj *o = bound_buf(target);
    if (!o)
        return;
    if (size < 0 || (storage && size == 0)) {
        set_error(GL_INVALID_VALUE);
        return;
    }
    if (o->immutable) {
        set_error(GL_INVALID_OPERATION);
        return;
    }
    /* re-specification orphans the old storage (and ends any mapping) */
    free(o->data);
    o->data = NULL, o->size = 0, o->mapped = o->persistent = false;
    if (G.fail) {
        set_error(G.fail_err ? G.fail_err : GL_OUT_OF_MEMORY);
        return;
    }
    o->data = calloc(1, size ? (size_t)size : 1);
    if (!o->data) {
        set_error(GL_OUT_OF_MEMORY);
        return;
    }
    o->size = (size_t)size;
    if (data)
        memcpy(o->data, data, (size_t)size);
    o->immutable = storage;
    o->flags = flags;
}

static void *map_range(GLenum target, GLintptr off, GLsizeiptr len, GLbitfield access)
{
    obj *o = bound_buf(target);
    if (!o)
        return NULL;
    if (off < 0 || len <= 0 || (size_t)off + (size_t)len > o->size ||
        !(access & (GL_MAP_READ_BIT | GL_MAP_WRITE_BIT))) {
        set_error(GL_INVALID_VALUE);
        return NULL;
    }
    if (o->mapped || ((access & GL_MAP_PERSISTENT_BIT) &&
                      !(o->immutable && (o->flags & GL_MAP_PERSISTENT_BIT)))) {
        set_error(GL_INVALID_OPERATION);
        return NULL;
    }
    if (G.fail) {
        if (G.fail_err)
            set_error(G.fail_err);
        return NULL;
    }
    o->mapped = true;
    o->persistent = (access & GL_MAP_PERSISTENT_BIT) != 0;
    return o->data + off;
}

/* ---- entry points ------------------------------------------------------------- */

R(GLenum, GetError, (void), r_ = G.error_forever ? G.error_forever : G.error;
  G.error = GL_NO_ERROR)
R(const GLubyte *, GetString, (GLenum name), r_ = get_string(name))
R(const GLubyte *, GetStringi, (GLenum name, GLuint i), {
    if (name != GL_EXTENSIONS)
        set_error(GL_INVALID_ENUM);
    else if (i >= (GLuint)G.n_exts)
        set_error(GL_INVALID_VALUE);
    else
        r_ = (const GLubyte *)G.exts[i];
})
V(GetIntegerv, (GLenum p, GLint *d), {
    GLint64 v[4];
    for (int i = 0, n = int_state(p, v); i < n; i++) d[i] = (GLint)v[i];
})
V(GetInteger64v, (GLenum p, GLint64 *d), {
    GLint64 v[4];
    for (int i = 0, n = int_state(p, v); i < n; i++) d[i] = v[i];
})
V(GetFloatv, (GLenum p, GLfloat *d), {
    GLint64 v[4];
    for (int i = 0, n = int_state(p, v); i < n; i++) d[i] = (GLfloat)v[i];
})
V(GetBooleanv, (GLenum p, GLboolean *d), {
    GLint64 v[4];
    for (int i = 0, n = int_state(p, v); i < n; i++) d[i] = v[i] != 0;
})
V(Flush, (void), )
V(Finish, (void), )
V(Enable, (GLenum cap), set_cap(cap, true))
V(Disable, (GLenum cap), set_cap(cap, false))
R(GLboolean, IsEnabled, (GLenum cap), r_ = cap_enabled(cap))
V(Viewport, (GLint x, GLint y, GLsizei w, GLsizei h), {
    if (w < 0 || h < 0) set_error(GL_INVALID_VALUE);
    else G.viewport[0] = x, G.viewport[1] = y, G.viewport[2] = w, G.viewport[3] = h;
})
V(Scissor, (GLint x, GLint y, GLsizei w, GLsizei h), {
    if (w < 0 || h < 0) set_error(GL_INVALID_VALUE);
    else G.scissor[0] = x, G.scissor[1] = y, G.scissor[2] = w, G.scissor[3] = h;
})
V(ClearColor, (GLfloat r, GLfloat g, GLfloat b, GLfloat a), )
V(Clear, (GLbitfield mask), )
V(ColorMask, (GLboolean r, GLboolean g, GLboolean b, GLboolean a), )
V(BlendFunc, (GLenum s, GLenum d), )
V(BlendFuncSeparate, (GLenum sc, GLenum dc, GLenum sa, GLenum da), )
V(BlendEquation, (GLenum mode), )
V(DrawArrays, (GLenum mode, GLint first, GLsizei count), {
    if (count < 0) set_error(GL_INVALID_VALUE);
    else if (!G.gles && !G.vao) set_error(GL_INVALID_OPERATION);
})
V(DrawElements, (GLenum mode, GLsizei count, GLenum type, const void *indices), {
    if (count < 0) set_error(GL_INVALID_VALUE);
    else if (!G.gles && !G.vao) set_error(GL_INVALID_OPERATION);
})
V(PixelStorei, (GLenum p, GLint v), {
    bool align = p == GL_UNPACK_ALIGNMENT || p == GL_PACK_ALIGNMENT;
    if (v < 0 || (align && v != 1 && v != 2 && v != 4 && v != 8)) set_error(GL_INVALID_VALUE);
    else if (p == GL_UNPACK_ALIGNMENT) G.unpack_alignment = v;
    else if (p == GL_PACK_ALIGNMENT) G.pack_alignment = v;
    else if (p == GL_UNPACK_ROW_LENGTH) G.unpack_row_length = v;
    else if (p == GL_UNPACK_SKIP_ROWS) G.unpack_skip_rows = v;
    else if (p == GL_UNPACK_SKIP_PIXELS) G.unpack_skip_pixels = v;
})
V(ReadPixels, (GLint x, GLint y, GLsizei w, GLsizei h, GLenum f, GLenum t, void *pixels), {
    int elem, bpp = pixel_size(f, t, &elem);
    size_t a = (size_t)G.pack_alignment, stride = (size_t)w * (size_t)bpp;
    if (!bpp) set_error(GL_INVALID_ENUM);
    else if (w < 0 || h < 0) set_error(GL_INVALID_VALUE);
    else if (pixels && !G.buf[2] && w && h) {
        if ((size_t)elem < a) stride = (stride + a - 1) / a * a;
        memset(pixels, 0, (size_t)(h - 1) * stride + (size_t)w * (size_t)bpp);
    }
})

/* textures */
VF(GenTextures, (GLsizei n, GLuint *t), gen_objs(FAKEGL_TEXTURE, n, t))
VF(CreateTextures, (GLenum target, GLsizei n, GLuint *t), gen_objs(FAKEGL_TEXTURE, n, t))
V(DeleteTextures, (GLsizei n, const GLuint *t), del_objs(FAKEGL_TEXTURE, n, t))
R(GLboolean, IsTexture, (GLuint t), r_ = is_obj(FAKEGL_TEXTURE, t))
V(BindTexture, (GLenum target, GLuint t), if (bindable(FAKEGL_TEXTURE, t)) G.tex[G.active] = t)
V(ActiveTexture, (GLenum unit), {
    if (unit < GL_TEXTURE0 || unit >= GL_TEXTURE0 + UNITS) set_error(GL_INVALID_ENUM);
    else G.active = unit - GL_TEXTURE0;
})
V(TexParameteri, (GLenum target, GLenum p, GLint v), bound_tex())
V(TexParameterf, (GLenum target, GLenum p, GLfloat v), bound_tex())
V(TexParameteriv, (GLenum target, GLenum p, const GLint *v), bound_tex())
VF(TexStorage2D, (GLenum target, GLsizei levels, GLenum ifmt, GLsizei w, GLsizei h),
   tex_storage(levels, ifmt, w, h))
VF(TexImage2D, (GLenum target, GLint level, GLint ifmt, GLsizei w, GLsizei h, GLint border,
                GLenum format, GLenum type, const void *pixels),
   tex_image(level, ifmt, w, h, border, format, type, pixels))
V(TexSubImage2D, (GLenum target, GLint level, GLint x, GLint y, GLsizei w, GLsizei h,
                  GLenum format, GLenum type, const void *pixels),
  tex_sub_image(level, x, y, w, h, format, type, pixels))
V(GenerateMipmap, (GLenum target), bound_tex())

/* buffers */
VF(GenBuffers, (GLsizei n, GLuint *b), gen_objs(FAKEGL_BUFFER, n, b))
VF(CreateBuffers, (GLsizei n, GLuint *b), gen_objs(FAKEGL_BUFFER, n, b))
V(DeleteBuffers, (GLsizei n, const GLuint *b), del_objs(FAKEGL_BUFFER, n, b))
R(GLboolean, IsBuffer, (GLuint b), r_ = is_obj(FAKEGL_BUFFER, b))
V(BindBuffer, (GLenum target, GLuint b), {
    int s = buf_slot(target);
    if (s < 0) set_error(GL_INVALID_ENUM);
    else if (bindable(FAKEGL_BUFFER, b)) G.buf[s] = b;
})
V(BindBufferBase, (GLenum target, GLuint index, GLuint b), {
    int s = buf_slot(target);
    if (s < 0) set_error(GL_INVALID_ENUM);
    else if (bindable(FAKEGL_BUFFER, b)) G.buf[s] = b;
})
VF(BufferData, (GLenum target, GLsizeiptr size, const void *data, GLenum usage),
   buffer_data(target, size, data, false, 0))
V(BufferSubData, (GLenum target, GLintptr off, GLsizeiptr size, const void *data), {
    obj *o = bound_buf(target);
    if (!o) break;
    if (off < 0 || size < 0 || (size_t)off + (size_t)size > o->size) set_error(GL_INVALID_VALUE);
    else if (o->mapped && !o->persistent) set_error(GL_INVALID_OPERATION);
    else if (data) memcpy(o->data + off, data, (size_t)size);
})
VF(BufferStorage, (GLenum target, GLsizeiptr size, const void *data, GLbitfield flags),
   buffer_data(target, size, data, true, flags))
VF(BufferStorageEXT, (GLenum target, GLsizeiptr size, const void *data, GLbitfield flags),
   buffer_data(target, size, data, true, flags))
RF(void *, MapBufferRange, (GLenum target, GLintptr off, GLsizeiptr len, GLbitfield access),
   r_ = map_range(target, off, len, access))
V(FlushMappedBufferRange, (GLenum target, GLintptr off, GLsizeiptr len), {
    obj *o = bound_buf(target);
    if (o && !o->mapped) set_error(GL_INVALID_OPERATION);
})
RF(GLboolean, UnmapBuffer, (GLenum target), {
    obj *o = bound_buf(target);
    if (o && !o->mapped) set_error(GL_INVALID_OPERATION);
    /* injected: the data store became corrupt while mapped (unmapped all
     * the same, GL_FALSE, no GL error) */
    else if (o) o->mapped = o->persistent = false, r_ = G.fail ? GL_FALSE : GL_TRUE;
})

/* syncs */
RF(GLsync, FenceSync, (GLenum condition, GLbitfield flags), {
    if (condition != GL_SYNC_GPU_COMMANDS_COMPLETE) set_error(GL_INVALID_ENUM);
    else if (flags != 0) set_error(GL_INVALID_VALUE);
    else if (G.fail) { if (G.fail_err) set_error(G.fail_err); }
    else {
        fsync *s = malloc(sizeof *s);
        GLuint name = s ? new_obj(FAKEGL_SYNC) : 0;
        if (name) s->name = name, live_obj(FAKEGL_SYNC, name)->sync = s, r_ = (GLsync)s;
        else free(s);
    }
})
RF(GLenum, ClientWaitSync, (GLsync sync, GLbitfield flags, GLuint64 timeout), {
    obj *o = find_sync(sync);
    if (!o) set_error(GL_INVALID_VALUE), r_ = GL_WAIT_FAILED;
    else if (flags & ~(GLbitfield)GL_SYNC_FLUSH_COMMANDS_BIT)
        set_error(GL_INVALID_VALUE), r_ = GL_WAIT_FAILED;
    else if (G.fail && G.fail_err) set_error(G.fail_err), r_ = GL_WAIT_FAILED;
    else if (G.fail || G.never_signals) r_ = GL_TIMEOUT_EXPIRED;
    else if (G.fence_manual) r_ = o->signalled ? GL_ALREADY_SIGNALED : GL_TIMEOUT_EXPIRED;
    else if (o->signalled || !G.fence_lag) r_ = GL_ALREADY_SIGNALED;
    else if (timeout == 0) r_ = GL_TIMEOUT_EXPIRED; /* lagging: a poll finds it busy */
    else o->signalled = true, r_ = GL_CONDITION_SATISFIED; /* a wait gets it */
})
V(WaitSync, (GLsync sync, GLbitfield flags, GLuint64 timeout), {
    if (!find_sync(sync) || flags != 0) set_error(GL_INVALID_VALUE);
})
V(DeleteSync, (GLsync sync), {
    G.delete_calls[FAKEGL_SYNC]++;
    obj *o = find_sync(sync);
    if (o) destroy(FAKEGL_SYNC, o->sync->name, o);
    else if (sync) G.bad_deletes++, set_error(GL_INVALID_VALUE);
})
R(GLboolean, IsSync, (GLsync sync), r_ = find_sync(sync) != NULL)
V(GetSynciv, (GLsync sync, GLenum p, GLsizei count, GLsizei *length, GLint *values), {
    GLint v = 0;
    if (!find_sync(sync)) { set_error(GL_INVALID_VALUE); break; }
    switch (p) {
    case GL_OBJECT_TYPE: v = GL_SYNC_FENCE; break;
    case GL_SYNC_STATUS:
        v = G.never_signals ||
                    ((G.fence_lag || G.fence_manual) && !find_sync(sync)->signalled)
                ? GL_UNSIGNALED
                                                                           : GL_SIGNALED;
        break;
    case GL_SYNC_CONDITION: v = GL_SYNC_GPU_COMMANDS_COMPLETE; break;
    case GL_SYNC_FLAGS: v = 0; break;
    default: set_error(GL_INVALID_ENUM); continue; /* leaves the body */
    }
    if (count > 0) values[0] = v;
    if (length) *length = count > 0;
})

/* framebuffers */
VF(GenFramebuffers, (GLsizei n, GLuint *f), gen_objs(FAKEGL_FRAMEBUFFER, n, f))
V(DeleteFramebuffers, (GLsizei n, const GLuint *f), del_objs(FAKEGL_FRAMEBUFFER, n, f))
R(GLboolean, IsFramebuffer, (GLuint f), r_ = is_obj(FAKEGL_FRAMEBUFFER, f))
V(BindFramebuffer, (GLenum target, GLuint f), {
    if (target != GL_FRAMEBUFFER && target != GL_DRAW_FRAMEBUFFER && target != GL_READ_FRAMEBUFFER)
        set_error(GL_INVALID_ENUM);
    else if (bindable(FAKEGL_FRAMEBUFFER, f)) {
        if (target != GL_READ_FRAMEBUFFER) G.draw_fb = f;
        if (target != GL_DRAW_FRAMEBUFFER) G.read_fb = f;
    }
})
V(FramebufferTexture2D, (GLenum target, GLenum att, GLenum textarget, GLuint t, GLint level), {
    if ((target == GL_READ_FRAMEBUFFER ? G.read_fb : G.draw_fb) == 0)
        set_error(GL_INVALID_OPERATION);
    else if (t && !live_obj(FAKEGL_TEXTURE, t)) set_error(GL_INVALID_OPERATION);
})
R(GLenum, CheckFramebufferStatus, (GLenum target), r_ = GL_FRAMEBUFFER_COMPLETE)
V(InvalidateFramebuffer, (GLenum target, GLsizei n, const GLenum *atts), )
V(BlitFramebuffer, (GLint sx0, GLint sy0, GLint sx1, GLint sy1, GLint dx0, GLint dy0,
                    GLint dx1, GLint dy1, GLbitfield mask, GLenum filter), )

/* shaders and programs */
RF(GLuint, CreateShader, (GLenum type), {
    if (type != GL_VERTEX_SHADER && type != GL_FRAGMENT_SHADER && type != GL_COMPUTE_SHADER &&
        type != GL_GEOMETRY_SHADER) { set_error(GL_INVALID_ENUM); break; }
    r_ = gen_one(FAKEGL_SHADER);
    if (r_) live_obj(FAKEGL_SHADER, r_)->ifmt = type;
})
V(ShaderSource, (GLuint s, GLsizei count, const GLchar *const *str, const GLint *len), {
    if (!live_obj(FAKEGL_SHADER, s)) { set_error(GL_INVALID_VALUE); break; }
    for (GLsizei i = 0; i < count; i++) /* read it all: ASan sees a bad string */
        if (!len || len[i] < 0) (void)strlen(str[i]);
})
V(CompileShader, (GLuint s), if (!live_obj(FAKEGL_SHADER, s)) set_error(GL_INVALID_VALUE))
VF(GetShaderiv, (GLuint s, GLenum p, GLint *v), {
    obj *o = live_obj(FAKEGL_SHADER, s);
    if (!o) set_error(GL_INVALID_VALUE);
    /* injected: the compile status is GL_FALSE (the driver refused it) */
    else *v = p == GL_COMPILE_STATUS ? !G.fail : p == GL_SHADER_TYPE ? (GLint)o->ifmt : 0;
})
V(GetShaderInfoLog, (GLuint s, GLsizei size, GLsizei *len, GLchar *log), {
    if (!live_obj(FAKEGL_SHADER, s)) set_error(GL_INVALID_VALUE);
    if (len) *len = 0;
    if (log && size > 0) log[0] = 0;
})
V(DeleteShader, (GLuint s), del_objs(FAKEGL_SHADER, 1, &s))
R(GLboolean, IsShader, (GLuint s), r_ = is_obj(FAKEGL_SHADER, s))
RF(GLuint, CreateProgram, (void), r_ = gen_one(FAKEGL_PROGRAM))
V(AttachShader, (GLuint p, GLuint s), {
    if (!live_obj(FAKEGL_PROGRAM, p) || !live_obj(FAKEGL_SHADER, s)) set_error(GL_INVALID_VALUE);
})
V(DetachShader, (GLuint p, GLuint s), {
    if (!live_obj(FAKEGL_PROGRAM, p) || !live_obj(FAKEGL_SHADER, s)) set_error(GL_INVALID_VALUE);
})
V(LinkProgram, (GLuint p), if (!live_obj(FAKEGL_PROGRAM, p)) set_error(GL_INVALID_VALUE))
VF(GetProgramiv, (GLuint p, GLenum pname, GLint *v), {
    if (!live_obj(FAKEGL_PROGRAM, p)) set_error(GL_INVALID_VALUE);
    /* injected: the link (or validate) status is GL_FALSE */
    else *v = pname == GL_LINK_STATUS || pname == GL_VALIDATE_STATUS ? !G.fail : 0;
})
V(GetProgramInfoLog, (GLuint p, GLsizei size, GLsizei *len, GLchar *log), {
    if (!live_obj(FAKEGL_PROGRAM, p)) set_error(GL_INVALID_VALUE);
    if (len) *len = 0;
    if (log && size > 0) log[0] = 0;
})
V(UseProgram, (GLuint p), if (bindable(FAKEGL_PROGRAM, p)) G.program = p)
V(DeleteProgram, (GLuint p), {
    del_objs(FAKEGL_PROGRAM, 1, &p);
    if (p == G.program) G.program = 0;
})
R(GLboolean, IsProgram, (GLuint p), r_ = is_obj(FAKEGL_PROGRAM, p))
/* a stable, distinct-enough location per name */
static GLint name_loc(GLuint p, const GLchar *name)
{
    unsigned h = 5381;
    if (!live_obj(FAKEGL_PROGRAM, p)) {
        set_error(GL_INVALID_VALUE);
        return -1;
    }
    for (const char *c = name; *c; c++)
        h = h * 33 + (unsigned char)*c;
    return (GLint)(h % 1024);
}
R(GLint, GetUniformLocation, (GLuint p, const GLchar *name), r_ = name_loc(p, name))
R(GLint, GetAttribLocation, (GLuint p, const GLchar *name), r_ = name_loc(p, name) % 16)
V(BindAttribLocation, (GLuint p, GLuint index, const GLchar *name), (void)name_loc(p, name))
R(GLuint, GetUniformBlockIndex, (GLuint p, const GLchar *name),
  r_ = name_loc(p, name) < 0 ? GL_INVALID_INDEX : 0)
V(UniformBlockBinding, (GLuint p, GLuint index, GLuint binding),
  if (!live_obj(FAKEGL_PROGRAM, p)) set_error(GL_INVALID_VALUE))
#define UNIFORM_CHECK if (loc != -1 && !G.program) set_error(GL_INVALID_OPERATION)
V(Uniform1i, (GLint loc, GLint a), UNIFORM_CHECK)
V(Uniform1f, (GLint loc, GLfloat a), UNIFORM_CHECK)
V(Uniform2f, (GLint loc, GLfloat a, GLfloat b), UNIFORM_CHECK)
V(Uniform2i, (GLint loc, GLint a, GLint b), UNIFORM_CHECK)
V(Uniform3f, (GLint loc, GLfloat a, GLfloat b, GLfloat c), UNIFORM_CHECK)
V(Uniform4f, (GLint loc, GLfloat a, GLfloat b, GLfloat c, GLfloat d), UNIFORM_CHECK)
V(Uniform1fv, (GLint loc, GLsizei n, const GLfloat *v), UNIFORM_CHECK)
V(Uniform2fv, (GLint loc, GLsizei n, const GLfloat *v), UNIFORM_CHECK)
V(Uniform3fv, (GLint loc, GLsizei n, const GLfloat *v), UNIFORM_CHECK)
V(Uniform4fv, (GLint loc, GLsizei n, const GLfloat *v), UNIFORM_CHECK)
V(UniformMatrix3fv, (GLint loc, GLsizei n, GLboolean tr, const GLfloat *v), UNIFORM_CHECK)
V(UniformMatrix4fv, (GLint loc, GLsizei n, GLboolean tr, const GLfloat *v), UNIFORM_CHECK)

/* vertex arrays */
VF(GenVertexArrays, (GLsizei n, GLuint *a), gen_objs(FAKEGL_VERTEX_ARRAY, n, a))
V(DeleteVertexArrays, (GLsizei n, const GLuint *a), del_objs(FAKEGL_VERTEX_ARRAY, n, a))
V(BindVertexArray, (GLuint a), if (bindable(FAKEGL_VERTEX_ARRAY, a)) G.vao = a)
R(GLboolean, IsVertexArray, (GLuint a), r_ = is_obj(FAKEGL_VERTEX_ARRAY, a))
#define VAO_CHECK if (!G.gles && !G.vao) set_error(GL_INVALID_OPERATION)
V(VertexAttribPointer, (GLuint i, GLint size, GLenum type, GLboolean norm, GLsizei stride,
                        const void *ptr), VAO_CHECK)
V(EnableVertexAttribArray, (GLuint i), VAO_CHECK)
V(DisableVertexAttribArray, (GLuint i), VAO_CHECK)

/* samplers */
VF(GenSamplers, (GLsizei n, GLuint *s), gen_objs(FAKEGL_SAMPLER, n, s))
V(DeleteSamplers, (GLsizei n, const GLuint *s), del_objs(FAKEGL_SAMPLER, n, s))
V(BindSampler, (GLuint unit, GLuint s), {
    if (unit >= UNITS) set_error(GL_INVALID_VALUE);
    else if (bindable(FAKEGL_SAMPLER, s)) G.samplers[unit] = s;
})
V(SamplerParameteri, (GLuint s, GLenum p, GLint v),
  if (!live_obj(FAKEGL_SAMPLER, s)) set_error(GL_INVALID_OPERATION))
V(SamplerParameterf, (GLuint s, GLenum p, GLfloat v),
  if (!live_obj(FAKEGL_SAMPLER, s)) set_error(GL_INVALID_OPERATION))

/* queries (core and EXT_disjoint_timer_query share the helpers) */
static void begin_query(GLuint id)
{
    obj *o = live_obj(FAKEGL_QUERY, id);
    if (!o || G.query)
        set_error(GL_INVALID_OPERATION);
    else
        G.query = id, o->u64 = now_ns();
}
static void end_query(void)
{
    obj *o = live_obj(FAKEGL_QUERY, G.query);
    if (!o)
        set_error(GL_INVALID_OPERATION);
    else
        o->u64 = now_ns() - o->u64, G.query = 0;
}
static void query_counter(GLuint id)
{
    obj *o = live_obj(FAKEGL_QUERY, id);
    if (!o)
        set_error(GL_INVALID_OPERATION);
    else
        o->u64 = now_ns();
}
static uint64_t query_result(GLuint id, GLenum p)
{
    obj *o = live_obj(FAKEGL_QUERY, id);
    if (!o)
        set_error(GL_INVALID_OPERATION);
    return !o ? 0 : p == GL_QUERY_RESULT_AVAILABLE ? 1 : o->u64;
}
VF(GenQueries, (GLsizei n, GLuint *q), gen_objs(FAKEGL_QUERY, n, q))
VF(GenQueriesEXT, (GLsizei n, GLuint *q), gen_objs(FAKEGL_QUERY, n, q))
V(DeleteQueries, (GLsizei n, const GLuint *q), del_objs(FAKEGL_QUERY, n, q))
V(DeleteQueriesEXT, (GLsizei n, const GLuint *q), del_objs(FAKEGL_QUERY, n, q))
V(BeginQuery, (GLenum target, GLuint id), begin_query(id))
V(BeginQueryEXT, (GLenum target, GLuint id), begin_query(id))
V(EndQuery, (GLenum target), end_query())
V(EndQueryEXT, (GLenum target), end_query())
V(QueryCounter, (GLuint id, GLenum target), query_counter(id))
V(QueryCounterEXT, (GLuint id, GLenum target), query_counter(id))
V(GetQueryObjectiv, (GLuint id, GLenum p, GLint *v), *v = (GLint)query_result(id, p))
V(GetQueryObjectuiv, (GLuint id, GLenum p, GLuint *v), *v = (GLuint)query_result(id, p))
V(GetQueryObjectuivEXT, (GLuint id, GLenum p, GLuint *v), *v = (GLuint)query_result(id, p))
V(GetQueryObjecti64v, (GLuint id, GLenum p, GLint64 *v), *v = (GLint64)query_result(id, p))
V(GetQueryObjecti64vEXT, (GLuint id, GLenum p, GLint64 *v), *v = (GLint64)query_result(id, p))
V(GetQueryObjectui64v, (GLuint id, GLenum p, GLuint64 *v), *v = query_result(id, p))
V(GetQueryObjectui64vEXT, (GLuint id, GLenum p, GLuint64 *v), *v = query_result(id, p))

/* debug (KHR_debug: core and KHR-suffixed names) */
#define P_LABEL (GLenum id, GLuint name, GLsizei len, const GLchar *label)
#define P_GETLABEL (GLenum id, GLuint name, GLsizei size, GLsizei *len, GLchar *label)
#define P_PTRLABEL (const void *ptr, GLsizei len, const GLchar *label)
#define P_CONTROL (GLenum src, GLenum type, GLenum sev, GLsizei n, const GLuint *ids, GLboolean on)
#define P_PUSH (GLenum src, GLuint id, GLsizei len, const GLchar *msg)
V(ObjectLabel, P_LABEL, object_label(id, name, len, label))
V(ObjectLabelKHR, P_LABEL, object_label(id, name, len, label))
V(GetObjectLabel, P_GETLABEL, get_object_label(id, name, size, len, label))
V(GetObjectLabelKHR, P_GETLABEL, get_object_label(id, name, size, len, label))
V(ObjectPtrLabel, P_PTRLABEL, object_ptr_label(ptr, len, label))
V(ObjectPtrLabelKHR, P_PTRLABEL, object_ptr_label(ptr, len, label))
V(DebugMessageCallback, (GLDEBUGPROC cb, const void *user), )
V(DebugMessageCallbackKHR, (GLDEBUGPROCKHR cb, const void *user), )
V(DebugMessageControl, P_CONTROL, )
V(DebugMessageControlKHR, P_CONTROL, )
V(PushDebugGroup, P_PUSH, )
V(PushDebugGroupKHR, P_PUSH, )
V(PopDebugGroup, (void), )
V(PopDebugGroupKHR, (void), )

/* robustness; injected: this one call reports a reset (gl_error as the
 * status, 0: GL_UNKNOWN_CONTEXT_RESET) */
#define RESET_STATUS r_ = G.fail ? (G.fail_err ? G.fail_err : GL_UNKNOWN_CONTEXT_RESET) \
                             : G.reset_status
RF(GLenum, GetGraphicsResetStatus, (void), RESET_STATUS)
RF(GLenum, GetGraphicsResetStatusARB, (void), RESET_STATUS)
RF(GLenum, GetGraphicsResetStatusEXT, (void), RESET_STATUS)
RF(GLenum, GetGraphicsResetStatusKHR, (void), RESET_STATUS)

/* ---- loader table and signature check ------------------------------------------ */

#define X_PROC(N) (GLADapiproc)fake_##N,
static const GLADapiproc entry_procs[I_COUNT] = {ENTRIES(X_PROC)};
#define X_CHECK(N) g->N = fake_##N;
__attribute__((unused)) static void signature_check(GladGLContext *g) { ENTRIES(X_CHECK) }

static int entry_index(const char *name)
{
    if (!name)
        return -1;
    if (name[0] == 'g' && name[1] == 'l' && name[2] >= 'A' && name[2] <= 'Z')
        name += 2;
    for (int i = 0; i < I_COUNT; i++)
        if (strcmp(entry_names[i], name) == 0)
            return i;
    return -1;
}

void *fakegl_get_proc(void *user, const char *name)
{
    (void)user;
    if (!name || strncmp(name, "gl", 2) != 0)
        return NULL;
    int i = entry_index(name);
    return i < 0 ? NULL : (void *)entry_procs[i];
}

/* ---- control API ------------------------------------------------------------------ */

void fakegl_reset(const fakegl_config *cfg)
{
    pthread_mutex_lock(&lock);
    reset_locked(cfg);
    pthread_mutex_unlock(&lock);
}

void fakegl_set_current(bool current) { tl_current = current; }
bool fakegl_is_current(void *user) { (void)user; return tl_current; }

static void lock_inited(void)
{
    pthread_mutex_lock(&lock);
    if (!G.inited)
        reset_locked(NULL);
}

fakegl_stats fakegl_get_stats(void)
{
    fakegl_stats s;
    lock_inited();
    s.calls = G.calls, s.violations = G.violations, s.bad_deletes = G.bad_deletes;
    s.gl_errors = G.gl_errors, s.labels = G.labels;
    memcpy(s.live, G.live, sizeof s.live);
    memcpy(s.created, G.created, sizeof s.created);
    memcpy(s.deleted, G.deleted, sizeof s.deleted);
    memcpy(s.delete_calls, G.delete_calls, sizeof s.delete_calls);
    pthread_mutex_unlock(&lock);
    return s;
}

unsigned long fakegl_call_count(const char *name)
{
    unsigned long n = 0;
    lock_inited();
    int i = entry_index(name);
    n = !name ? G.calls : i < 0 ? 0 : G.per_name[i];
    pthread_mutex_unlock(&lock);
    return n;
}

const char *fakegl_first_violation(void)
{
    lock_inited();
    const char *s = G.first_violation;
    pthread_mutex_unlock(&lock);
    return s;
}

unsigned long fakegl_calls_on_thread(pthread_t t)
{
    unsigned long n = 0;
    lock_inited();
    for (int i = 0; i < G.n_threads; i++)
        if (pthread_equal(G.threads[i].t, t))
            n = G.threads[i].n;
    pthread_mutex_unlock(&lock);
    return n;
}

void fakegl_clear_calls(void)
{
    lock_inited();
    G.calls = G.violations = G.bad_deletes = G.gl_errors = G.labels = 0;
    memset(G.per_name, 0, sizeof G.per_name);
    memset(G.created, 0, sizeof G.created);
    memset(G.deleted, 0, sizeof G.deleted);
    memset(G.delete_calls, 0, sizeof G.delete_calls);
    memset(G.threads, 0, sizeof G.threads);
    G.n_threads = 0;
    G.first_violation = NULL;
    pthread_mutex_unlock(&lock);
}

bool fakegl_texture_alive(unsigned name)
{
    lock_inited();
    bool alive = live_obj(FAKEGL_TEXTURE, name) != NULL;
    pthread_mutex_unlock(&lock);
    return alive;
}

bool fakegl_texture_size(unsigned name, int *w, int *h, unsigned *internal_format)
{
    lock_inited();
    obj *o = live_obj(FAKEGL_TEXTURE, name);
    if (o && w)
        *w = o->w;
    if (o && h)
        *h = o->h;
    if (o && internal_format)
        *internal_format = o->ifmt;
    pthread_mutex_unlock(&lock);
    return o != NULL;
}

const char *fakegl_label(unsigned identifier, unsigned name)
{
    lock_inited();
    int k = id_kind(identifier);
    kind_tab *t = k < 0 ? NULL : &G.kinds[k];
    const char *s = t && name >= 1 && name <= t->n ? t->v[name - 1].label : NULL;
    pthread_mutex_unlock(&lock);
    return s;
}

void fakegl_fail(const char *name, int nth, unsigned gl_error)
{
    lock_inited();
    int i = entry_index(name);
    if (i < 0 || nth < 1 || G.n_faults == MAX_FAULTS) {
        fprintf(stderr, "fakegl_fail: bad request (%s, %d)\n", name ? name : "NULL", nth);
        abort();
    }
    G.faults[G.n_faults].idx = i;
    G.faults[G.n_faults].countdown = nth;
    G.faults[G.n_faults++].err = gl_error;
    pthread_mutex_unlock(&lock);
}

void fakegl_fail_clear(void)
{
    lock_inited();
    G.n_faults = 0;
    pthread_mutex_unlock(&lock);
}

void fakegl_set_fence_never_signals(bool never)
{
    lock_inited();
    G.never_signals = never;
    pthread_mutex_unlock(&lock);
}

void fakegl_set_error_forever(unsigned error)
{
    lock_inited();
    G.error_forever = error;
    pthread_mutex_unlock(&lock);
}

void fakegl_set_reset_status(unsigned status)
{
    lock_inited();
    G.reset_status = status;
    pthread_mutex_unlock(&lock);
}

void fakegl_set_fence_lag(bool lag)
{
    lock_inited();
    G.fence_lag = lag;
    pthread_mutex_unlock(&lock);
}

unsigned long fakegl_faults_fired(void)
{
    lock_inited();
    unsigned long n = G.faults_fired;
    pthread_mutex_unlock(&lock);
    return n;
}

const char *fakegl_entry_name(int i)
{
    return i >= 0 && i < I_COUNT ? entry_names[i] : NULL;
}

void fakegl_set_fence_manual(bool manual)
{
    lock_inited();
    G.fence_manual = manual;
    pthread_mutex_unlock(&lock);
}

void fakegl_signal_fences(void)
{
    lock_inited();
    kind_tab *t = &G.kinds[FAKEGL_SYNC];
    for (unsigned i = 0; i < t->n; i++)
        if (t->v[i].alive)
            t->v[i].signalled = true;
    pthread_mutex_unlock(&lock);
}
