/*
 * Fault injection at every site, enumerated.
 *
 * A scenario (below: create a context; upload every layout family -- rgb,
 * gray, planar, semi-planar, packed 4:2:2, alpha plane -- with positive,
 * negative and aligned strides; prepare and reserve; a staging region
 * submitted and one uploaded and kept; render every frame with both
 * scalers; a frame's fence (glvf_frame_fence); uploads while the GPU lags
 * so the staging ring has to wait for a fence and the pool finds its
 * textures busy; unref; collect; destroy) runs on the fake GL in several
 * "portions": desktop GL 4.5 with every extension and each upload strategy,
 * a bare GL 3.3 (no immutable textures, no buffer storage, no labels) and
 * GLES 3.0 without norm16 (16-bit planes as byte pairs).
 *
 * For each portion the scenario first runs once with counting on: the calls
 * of every GL entry point that can fail (object creation and storage
 * allocation: GL_OUT_OF_MEMORY; maps: NULL; unmap: contents lost; fences:
 * NULL; fence waits: never signalled within the timeout; compile/link
 * status: refused; draws and pixel transfers: GL_OUT_OF_MEMORY; the reset
 * status: a graphics reset) and glvf's heap allocations
 * (glvf_alloc_count()). Then it runs again once per site: the k-th call of
 * entry point N fails, for every N and k, and the k-th heap allocation
 * fails, for every k. New call sites are therefore covered without editing
 * this file, and an entry point glvf starts calling that is in neither list
 * below fails the test until it is classified.
 *
 * Per run it asserts:
 *  - the injected fault fired, inside one step of the scenario;
 *  - that step's public call returned an error and logged one; or it
 *    recovered (a fallback absorbed the fault) and logged it; only a fence
 *    POLL may time out silently (it means "not signalled yet");
 *  - transient faults: the identical call made again succeeds, and so does
 *    the rest of the scenario (the context stays usable);
 *  - a refused compile/link: that program is not built again; draws that
 *    need it fail with -EIO (logged), everything else goes on;
 *  - a reported reset: the context is lost (glvf_context_is_lost), every
 *    later GL-thread call returns -ENODEV, and from the detection on glvf
 *    makes no GL call at all, destroy included;
 *  - at the end: no frame live, every GL object glvf created deleted (fake
 *    GL live counts 0), no unknown or double delete, no GL call while not
 *    current; under ASan also no leaked heap block (LeakSanitizer asked
 *    after each group of runs -- one entry point, or the heap sites, of one
 *    portion -- so a leak is tied to its group).
 */
#include "check.h"
#include "fakegl.h"
#include "glvf_alloc.h"
#include "glvf_glad.h"

#include <errno.h>
#include <glvf/glvf.h>
#include <stdint.h>

#if defined(__SANITIZE_ADDRESS__)
#define FAULT_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FAULT_LSAN 1
#endif
#endif
#ifdef FAULT_LSAN
#include <sanitizer/lsan_interface.h>
#endif

/* ---- what can fail, and how --------------------------------------------- */

typedef enum fault_class {
    FC_TRANSIENT, /* the call fails; doing it again works */
    FC_POLL,      /* fence waits: a poll that times out is not an error */
    FC_REFUSED,   /* compile/link refused: that program stays unbuilt */
    FC_LOST,      /* a graphics reset: the context is gone */
} fault_class;

static const struct failable {
    const char *name;
    unsigned gl_error; /* 0: the fake's default for the entry point */
    fault_class cls;
} failable[] = {
    { "GenTextures", 0, FC_TRANSIENT },
    { "GenBuffers", 0, FC_TRANSIENT },
    { "GenVertexArrays", 0, FC_TRANSIENT },
    { "GenFramebuffers", 0, FC_TRANSIENT },
    { "GenSamplers", 0, FC_TRANSIENT },
    { "GenQueries", 0, FC_TRANSIENT },
    { "CreateShader", 0, FC_TRANSIENT },
    { "CreateProgram", 0, FC_TRANSIENT },
    { "TexStorage2D", 0, FC_TRANSIENT },
    { "TexImage2D", 0, FC_TRANSIENT },
    { "TexSubImage2D", GL_OUT_OF_MEMORY, FC_TRANSIENT },
    { "BufferData", 0, FC_TRANSIENT },
    { "BufferStorage", 0, FC_TRANSIENT },
    { "BufferStorageEXT", 0, FC_TRANSIENT },
    { "MapBufferRange", 0, FC_TRANSIENT },
    { "UnmapBuffer", 0, FC_TRANSIENT },
    { "FenceSync", 0, FC_TRANSIENT },
    { "ClientWaitSync", 0, FC_POLL },
    { "DrawArrays", GL_OUT_OF_MEMORY, FC_TRANSIENT },
    { "CheckFramebufferStatus", 0, FC_TRANSIENT },
    { "GetShaderiv", 0, FC_REFUSED },
    { "GetProgramiv", 0, FC_REFUSED },
    { "GetGraphicsResetStatus", 0, FC_LOST },
    { "GetGraphicsResetStatusARB", GL_GUILTY_CONTEXT_RESET, FC_LOST },
    { "GetGraphicsResetStatusEXT", GL_INNOCENT_CONTEXT_RESET, FC_LOST },
    { "GetGraphicsResetStatusKHR", 0, FC_LOST },
};

/* Entry points whose failure is not a site: queries and state setting that
 * cannot fail on valid input (any GL error they raised would be caught by
 * the glGetError check that follows the operation), deletes (GL ignores
 * what it cannot delete), labels (cosmetic), shader source and compile
 * (failure shows in the status, which is a site). */
static const char *const not_failable[] = {
    "GetError", "GetString", "GetStringi", "GetIntegerv", "GetInteger64v", "GetFloatv",
    "GetBooleanv", "IsEnabled", "Enable", "Disable", "Viewport", "Scissor", "ClearColor",
    "Clear", "ColorMask", "PixelStorei", "BindTexture", "ActiveTexture", "TexParameteri",
    "BindBuffer", "BindVertexArray", "BindFramebuffer", "UseProgram", "DeleteTextures",
    "DeleteBuffers", "DeleteSync", "DeleteFramebuffers", "DeleteProgram", "DeleteShader",
    "DeleteVertexArrays", "DeleteSamplers", "DeleteQueries", "ObjectLabel", "ObjectLabelKHR",
    "ObjectPtrLabel", "ObjectPtrLabelKHR", "ShaderSource", "CompileShader",
    "GetShaderInfoLog", "AttachShader", "DetachShader", "LinkProgram", "GetProgramInfoLog",
    "GetUniformLocation", "Uniform1i", "Uniform1f", "Uniform2f", "Uniform2i", "Uniform3f",
    "Uniform4f", "Uniform4fv", "UniformMatrix3fv", "Flush", "Finish",
};

static const struct failable *failable_get(const char *name)
{
    for (size_t i = 0; i < sizeof failable / sizeof failable[0]; i++)
        if (!strcmp(failable[i].name, name))
            return &failable[i];
    return NULL;
}

static bool is_not_failable(const char *name)
{
    for (size_t i = 0; i < sizeof not_failable / sizeof not_failable[0]; i++)
        if (!strcmp(not_failable[i], name))
            return true;
    return false;
}

/* ---- portions ----------------------------------------------------------- */

typedef struct portion {
    const char *name;
    fakegl_config cfg;
    glvf_upload_strategy strategy;
} portion;

#define ROBUST .reset_strategy = GL_LOSE_CONTEXT_ON_RESET
static const portion portions[] = {
    { "gl45 client", { ROBUST }, GLVF_UPLOAD_CLIENT },
    { "gl45 pbo-orphan", { ROBUST }, GLVF_UPLOAD_PBO_ORPHAN },
    { "gl45 pbo-persistent", { ROBUST }, GLVF_UPLOAD_PBO_PERSISTENT },
    { "gl33-bare client",
      { .major = 3, .minor = 3, .extensions = (const char *const[]){ "GL_ARB_robustness", NULL },
        ROBUST },
      GLVF_UPLOAD_CLIENT },
    { "gl33-bare pbo-orphan",
      { .major = 3, .minor = 3, .extensions = (const char *const[]){ "GL_ARB_robustness", NULL },
        ROBUST },
      GLVF_UPLOAD_PBO_ORPHAN },
    { "gles30-bare client",
      { .gles = true, .extensions = (const char *const[]){ "GL_EXT_robustness", NULL }, ROBUST },
      GLVF_UPLOAD_CLIENT },
    { "gles30 pbo-persistent", { .gles = true, ROBUST }, GLVF_UPLOAD_PBO_PERSISTENT },
};

/* ---- the scenario ------------------------------------------------------- */

enum { NFAM = 6, FR_SUBMIT = NFAM, FR_KEEP, NFRAMES };

typedef struct run {
    const portion *po;
    glvf_context *ctx;
    glvf_frame *frames[NFRAMES];
    bool destroyed;
} run;

static uint8_t pixels[1 << 16];

/* layout families, each with its own stride style */
static const struct family {
    glvf_format format;
    int w, h;
    int stride_style; /* 0 tight, 1 padded (ROW_LENGTH), 2 negative (row by row),
                         3 8-aligned rows (UNPACK_ALIGNMENT) */
} families[NFAM] = {
    { GLVF_FORMAT_RGB24, 13, 7, 3 },      { GLVF_FORMAT_GRAY16, 17, 9, 1 },
    { GLVF_FORMAT_YUV420P10, 32, 16, 0 }, { GLVF_FORMAT_NV12, 30, 14, 2 },
    { GLVF_FORMAT_YUYV422, 32, 8, 1 },    { GLVF_FORMAT_YUVA420P, 16, 10, 0 },
};

static glvf_image family_image(glvf_context *ctx, const struct family *f)
{
    glvf_image img = { .format = f->format, .width = f->w, .height = f->h };
    for (int p = 0; p < glvf_format_planes(f->format); p++) {
        glvf_plane_layout l;
        glvf_plane_layout_get(ctx, f->format, f->w, f->h, p, &l);
        ptrdiff_t stride = l.row_bytes;
        const uint8_t *data = pixels;
        if (f->stride_style == 1)
            stride = l.row_bytes + 2 * l.bytes_per_texel;
        else if (f->stride_style == 3)
            stride = (l.row_bytes + 7) / 8 * 8;
        else if (f->stride_style == 2) {
            stride = -(ptrdiff_t)l.row_bytes;
            data = pixels + (size_t)l.row_bytes * (size_t)(l.height - 1);
        }
        img.planes[p].data = data;
        img.planes[p].stride = stride;
    }
    return img;
}

static int step_create(run *r)
{
    r->ctx = glvf_context_create(glvf_context_params(
            .get_proc_address = fakegl_get_proc, .is_current = fakegl_is_current,
            .log = check_log, .flags = GLVF_CONTEXT_IGNORE_ENV, .upload = r->po->strategy,
            .fence_timeout_ms = 5));
    return r->ctx ? 0 : -ENOMEM;
}

static int step_upload(run *r, int i)
{
    glvf_image img = family_image(r->ctx, &families[i]);
    int err = 0;
    r->frames[i] = glvf_upload(r->ctx, &img, NULL, &err);
    return r->frames[i] ? 0 : (err ? err : -1);
}

static int step_prepare(run *r)
{
    return glvf_render_prepare(r->ctx, GLVF_FORMAT_NV12);
}

static int step_reserve(run *r)
{
    return glvf_staging_reserve(r->ctx, GLVF_FORMAT_NV12, 32, 32, 0, 2);
}

static int fill_region(glvf_staging *st)
{
    glvf_image *img = glvf_staging_image(st);
    for (int p = 0; p < glvf_format_planes(img->format); p++) {
        glvf_plane_layout l;
        glvf_plane_layout_get(NULL, img->format, img->width, img->height, p, &l);
        for (int y = 0; y < l.height; y++)
            memset((uint8_t *)img->planes[p].data + y * img->planes[p].stride, 0x40 + p,
                   (size_t)l.row_bytes);
    }
    img->pts = 42;
    return 0;
}

static int step_submit(run *r)
{
    int err = 0;
    glvf_staging *st = glvf_staging_acquire(r->ctx, GLVF_FORMAT_NV12, 32, 32, 0, &err);
    if (!st)
        return err;
    fill_region(st);
    /* the producer lowers the size (a codec's aligned allocation) */
    glvf_staging_image(st)->width = 30;
    r->frames[FR_SUBMIT] = glvf_staging_submit(r->ctx, &st, NULL, &err);
    glvf_staging_release(&st); /* kept by the caller when refused (-EPERM/-ENODEV) */
    return r->frames[FR_SUBMIT] ? 0 : err;
}

static int step_keep(run *r)
{
    int err = 0;
    glvf_staging *st = glvf_staging_acquire(r->ctx, GLVF_FORMAT_NV12, 32, 32, 0, &err);
    if (!st)
        return err;
    fill_region(st);
    r->frames[FR_KEEP] = glvf_staging_upload(r->ctx, st, NULL, &err);
    glvf_staging_release(&st);
    return r->frames[FR_KEEP] ? 0 : err;
}

/* an any-thread acquire of a size no region has: with pbo-persistent it
 * asks the GL thread for one (-EAGAIN), which the next collect creates */
static int step_acquire_late(run *r)
{
    int err = 0;
    glvf_staging *st = glvf_staging_acquire(r->ctx, GLVF_FORMAT_YUV420P, 96, 64, 0, &err);
    if (!st && err == -EAGAIN) {
        int n = glvf_context_collect(r->ctx);
        if (n < 0)
            return n;
        st = glvf_staging_acquire(r->ctx, GLVF_FORMAT_YUV420P, 96, 64, 0, &err);
    }
    if (!st)
        return err;
    fill_region(st);
    glvf_staging_release(&st);
    return 0;
}

/* scaler 2: bilinear, drawn as BT.2020 PQ (a colour variant, its own
 * program table) */
static int step_render(run *r, int i, int scaler)
{
    if (!r->frames[i])
        return -EINVAL;
    bool hdr = scaler == 2;
    return glvf_render(r->ctx, r->frames[i],
                       glvf_render_params(.target = { 0, 0, 64, 48 },
                                          .scaler = hdr ? GLVF_SCALER_BILINEAR
                                                        : (glvf_scaler)scaler,
                                          .clear_background = true, .rotation = 90 * i,
                                          .primaries = hdr ? GLVF_PRIMARIES_BT2020 : 0,
                                          .transfer = hdr ? GLVF_TRANSFER_PQ : 0));
}

/* uploads while the GPU lags: fence polls find the staging slots busy, so
 * the ring grows to three in flight and then waits for the oldest fence */
static int step_lagging_upload(run *r)
{
    glvf_image img = { .format = GLVF_FORMAT_GRAY8, .width = 48, .height = 48,
                       .planes = { { pixels, 48 } } };
    fakegl_set_fence_lag(true);
    int err = 0;
    glvf_frame *f = glvf_upload(r->ctx, &img, NULL, &err);
    fakegl_set_fence_lag(false);
    glvf_frame_unref(&f);
    return f || !err ? 0 : err;
}

static int step_fence(run *r)
{
    int err = 0;
    if (!r->frames[0])
        return -EINVAL;
    return glvf_frame_fence(r->ctx, r->frames[0], &err) ? 0 : err;
}

static int step_unref(run *r)
{
    for (int i = 0; i < NFRAMES; i++)
        glvf_frame_unref(&r->frames[i]);
    glvf_stats s;
    glvf_context_get_stats(r->ctx, &s);
    CHECK(s.frames_live == 0, "%llu frames live after unref", (unsigned long long)s.frames_live);
    return 0;
}

static int step_collect(run *r)
{
    int n = glvf_context_collect(r->ctx);
    return n < 0 ? n : 0;
}

static int step_destroy(run *r)
{
    bool ok = glvf_context_destroy(&r->ctx);
    r->destroyed = ok;
    return ok && !r->ctx ? 0 : -EPERM;
}

typedef enum step_kind {
    ST_CREATE, ST_UPLOAD, ST_PREPARE, ST_RESERVE, ST_SUBMIT, ST_KEEP, ST_ACQUIRE_LATE,
    ST_RENDER, ST_LAG, ST_UNREF, ST_COLLECT, ST_DESTROY, ST_FENCE
} step_kind;

typedef struct step {
    step_kind kind;
    int arg, arg2;
} step;

static const char *const step_names[] = {
    "create", "upload", "render_prepare", "staging_reserve", "staging_submit",
    "staging_upload", "staging_acquire (region made by collect)", "render",
    "upload (GPU lagging)", "unref", "collect", "destroy", "frame_fence",
};

/* GL-thread steps: refused with -ENODEV once the context is lost */
static bool step_is_gl(step_kind k)
{
    return k != ST_UNREF && k != ST_CREATE;
}

static step steps[128];
static int nsteps;

static void build_steps(void)
{
    nsteps = 0;
    steps[nsteps++] = (step){ ST_CREATE, 0, 0 };
    for (int i = 0; i < NFAM; i++)
        steps[nsteps++] = (step){ ST_UPLOAD, i, 0 };
    steps[nsteps++] = (step){ ST_PREPARE, 0, 0 };
    steps[nsteps++] = (step){ ST_RESERVE, 0, 0 };
    steps[nsteps++] = (step){ ST_SUBMIT, 0, 0 };
    steps[nsteps++] = (step){ ST_KEEP, 0, 0 };
    steps[nsteps++] = (step){ ST_ACQUIRE_LATE, 0, 0 };
    steps[nsteps++] = (step){ ST_COLLECT, 0, 0 };
    for (int i = 0; i < NFRAMES; i++)
        for (int s = 0; s < 2; s++)
            steps[nsteps++] = (step){ ST_RENDER, i, s };
    steps[nsteps++] = (step){ ST_RENDER, 0, 2 };
    steps[nsteps++] = (step){ ST_FENCE, 0, 0 };
    for (int i = 0; i < 8; i++)
        steps[nsteps++] = (step){ ST_LAG, i, 0 };
    steps[nsteps++] = (step){ ST_COLLECT, 0, 0 };
    steps[nsteps++] = (step){ ST_UNREF, 0, 0 };
    steps[nsteps++] = (step){ ST_COLLECT, 0, 0 };
    steps[nsteps++] = (step){ ST_DESTROY, 0, 0 };
}

static int do_step(run *r, const step *s)
{
    switch (s->kind) {
    case ST_CREATE: return step_create(r);
    case ST_UPLOAD: return step_upload(r, s->arg);
    case ST_PREPARE: return step_prepare(r);
    case ST_RESERVE: return step_reserve(r);
    case ST_SUBMIT: return step_submit(r);
    case ST_KEEP: return step_keep(r);
    case ST_ACQUIRE_LATE: return step_acquire_late(r);
    case ST_RENDER: return step_render(r, s->arg, s->arg2);
    case ST_LAG: return step_lagging_upload(r);
    case ST_UNREF: return step_unref(r);
    case ST_COLLECT: return step_collect(r);
    case ST_DESTROY: return step_destroy(r);
    case ST_FENCE: return step_fence(r);
    }
    return -1;
}

static void step_label(const step *s, char *buf, size_t n)
{
    if (s->kind == ST_UPLOAD)
        snprintf(buf, n, "upload %s", glvf_format_name(families[s->arg].format));
    else if (s->kind == ST_RENDER)
        snprintf(buf, n, "render frame %d %s", s->arg, s->arg2 ? "bicubic" : "bilinear");
    else
        snprintf(buf, n, "%s", step_names[s->kind]);
}

/* ---- one run ------------------------------------------------------------ */

typedef enum fault_kind { FK_NONE, FK_GL, FK_HEAP } fault_kind;

typedef struct fault {
    fault_kind kind;
    const struct failable *gl; /* FK_GL */
    int nth;
    uint64_t heap_target;      /* FK_HEAP: absolute glvf_alloc_count() that fails */
} fault;

typedef enum outcome { OUT_NOT_FIRED, OUT_FAILED, OUT_RECOVERED, OUT_SILENT, OUT_LOST } outcome;

typedef struct run_result {
    outcome out;
    int fired_step;
    int err;
    char msg[200];   /* first error logged in the failing step */
    bool ok;         /* every assertion held */
} run_result;

static const char *first_error_since(int from)
{
    /* check.h keeps the messages; find the first error after index `from` */
    static char buf[200];
    buf[0] = 0;
    pthread_mutex_lock(&check_log_lock);
    for (int i = from; i < check_log_n; i++)
        if (check_log_levels[i] == GLVF_LOG_ERROR) {
            snprintf(buf, sizeof buf, "%s", check_log_msgs[i]);
            break;
        }
    pthread_mutex_unlock(&check_log_lock);
    return buf;
}

static int log_errors(void)
{
    return check_log_count(GLVF_LOG_ERROR, NULL);
}

static int log_total(void)
{
    pthread_mutex_lock(&check_log_lock);
    int n = check_log_n;
    pthread_mutex_unlock(&check_log_lock);
    return n;
}

static bool fired(const fault *f, unsigned long gl_fired_before, uint64_t alloc_before)
{
    if (f->kind == FK_GL)
        return fakegl_faults_fired() > gl_fired_before;
    if (f->kind == FK_HEAP)
        return alloc_before < f->heap_target && glvf_alloc_count() >= f->heap_target;
    return false;
}

#define RUN_CHECK(cond, ...)                                                               \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            res->ok = false;                                                               \
            CHECK(cond, __VA_ARGS__);                                                      \
        }                                                                                  \
    } while (0)

static void run_scenario(const portion *po, const fault *f, run_result *res)
{
    *res = (run_result){ .out = OUT_NOT_FIRED, .fired_step = -1, .ok = true };
    fakegl_reset(&po->cfg);
    fakegl_set_current(true);
    check_log_clear();
    run r = { .po = po };
    if (f->kind == FK_GL)
        fakegl_fail(f->gl->name, f->nth, f->gl->gl_error);
    char where[96];
    bool lost = false, refused = false;
    unsigned long calls_at_loss = 0;
    for (int i = 0; i < nsteps; i++) {
        const step *s = &steps[i];
        step_label(s, where, sizeof where);
        if (!r.ctx && s->kind != ST_CREATE)
            break; /* creation failed twice: reported below */
        unsigned long gl_before = fakegl_faults_fired();
        uint64_t alloc_before = glvf_alloc_count();
        int errors_before = log_errors(), log_before = log_total();
        int rc = do_step(&r, s);
        bool here = fired(f, gl_before, alloc_before);
        bool logged = log_errors() > errors_before;
        if (here) {
            res->fired_step = i;
            res->err = rc;
            snprintf(res->msg, sizeof res->msg, "%s", first_error_since(log_before));
        }
        if (lost) {
            /* after the loss: no GL call, GL-thread calls refused */
            RUN_CHECK(fakegl_get_stats().calls == calls_at_loss,
                      "[%s] %s: %lu GL calls after the context was lost", po->name, where,
                      fakegl_get_stats().calls - calls_at_loss);
            if (step_is_gl(s->kind) && s->kind != ST_DESTROY)
                RUN_CHECK(rc == -ENODEV, "[%s] %s on a lost context returned %d", po->name,
                          where, rc);
            if (s->kind == ST_DESTROY)
                RUN_CHECK(rc == 0, "[%s] destroy of a lost context failed", po->name);
            continue;
        }
        if (here && f->kind == FK_GL && f->gl->cls == FC_LOST) {
            lost = true;
            res->out = OUT_LOST;
            calls_at_loss = fakegl_get_stats().calls;
            RUN_CHECK(logged, "[%s] %s: the reset was not logged", po->name, where);
            if (s->kind == ST_DESTROY) {
                RUN_CHECK(rc == 0 && check_log_count(GLVF_LOG_WARN, "freeing CPU state only"),
                          "[%s] destroy did not take the lost path", po->name);
            } else {
                RUN_CHECK(rc == -ENODEV && glvf_context_is_lost(r.ctx),
                          "[%s] %s: reset reported, returned %d, lost %d", po->name, where, rc,
                          glvf_context_is_lost(r.ctx));
                /* the identical call again: still lost, and no GL call */
                int again = do_step(&r, s);
                RUN_CHECK(again == -ENODEV, "[%s] %s again on a lost context: %d", po->name,
                          where, again);
            }
            continue;
        }
        if (here) {
            if (rc != 0) {
                res->out = OUT_FAILED;
                RUN_CHECK(logged, "[%s] %s failed (%d) without logging an error", po->name,
                          where, rc);
                if (f->kind == FK_GL && f->gl->cls == FC_REFUSED) {
                    refused = true;
                    int again = do_step(&r, s);
                    RUN_CHECK(again == -EIO, "[%s] %s after a refused compile/link: %d "
                                             "(expected -EIO: not rebuilt)",
                              po->name, where, again);
                } else {
                    /* transient: the identical call succeeds now */
                    int again = do_step(&r, s);
                    RUN_CHECK(again == 0, "[%s] %s: the same call after the fault failed "
                                          "(%d): the context did not stay usable",
                              po->name, where, again);
                }
            } else if (logged) {
                res->out = OUT_RECOVERED; /* a fallback absorbed it, and said so */
            } else {
                res->out = OUT_SILENT;
                RUN_CHECK(f->kind == FK_GL && f->gl->cls == FC_POLL,
                          "[%s] %s: the fault was swallowed: no error returned, none logged",
                          po->name, where);
            }
            continue;
        }
        if (rc != 0) {
            /* only a refused program may keep failing its draws */
            bool excused = refused && (s->kind == ST_RENDER || s->kind == ST_PREPARE) &&
                           rc == -EIO && logged;
            RUN_CHECK(excused, "[%s] %s failed (%d) with no fault injected there: %s",
                      po->name, where, rc, first_error_since(log_before));
        }
    }
    RUN_CHECK(f->kind == FK_NONE || res->fired_step >= 0, "[%s] the fault never fired",
              po->name);
    if (r.ctx && !r.destroyed) {
        /* a failed create left nothing; anything else must be gone by now */
        RUN_CHECK(false, "[%s] the scenario did not reach destroy", po->name);
        glvf_context_abandon(&r.ctx);
    }
    for (int i = 0; i < NFRAMES; i++)
        glvf_frame_unref(&r.frames[i]); /* orphans after a loss: CPU only */
    fakegl_stats fs = fakegl_get_stats();
    if (!lost) {
        unsigned long live = 0;
        for (int k = 0; k < FAKEGL_KIND_COUNT; k++)
            live += fs.live[k];
        RUN_CHECK(live == 0, "[%s] %lu GL objects left after destroy (tex %lu buf %lu sync %lu "
                             "prog %lu shader %lu vao %lu)",
                  po->name, live, fs.live[FAKEGL_TEXTURE], fs.live[FAKEGL_BUFFER],
                  fs.live[FAKEGL_SYNC], fs.live[FAKEGL_PROGRAM], fs.live[FAKEGL_SHADER],
                  fs.live[FAKEGL_VERTEX_ARRAY]);
    } else {
        RUN_CHECK(fs.calls == calls_at_loss, "[%s] GL calls after the loss", po->name);
    }
    RUN_CHECK(fs.bad_deletes == 0, "[%s] %lu deletes of unknown names", po->name,
              fs.bad_deletes);
    RUN_CHECK(fs.violations == 0, "[%s] GL call while not current: %s", po->name,
              fakegl_first_violation());
    fakegl_fail_clear();
    glvf_alloc_fail_nth(0);
}

/* LeakSanitizer, once per group of runs (one entry point, or the heap
 * sites, of one portion): a leak is tied to its group. A leak found stays
 * reported by every later check, so checking stops at the first. */
#ifdef FAULT_LSAN
static bool lsan_leaked;
#endif

static void leak_check(const portion *po, const char *group)
{
#ifdef FAULT_LSAN
    if (lsan_leaked)
        return;
    if (__lsan_do_recoverable_leak_check() != 0) {
        lsan_leaked = true;
        CHECK(false, "[%s] heap leaked while failing the %s sites (LeakSanitizer report on "
                     "stderr)",
              po->name, group);
    }
#else
    (void)po;
    (void)group;
#endif
}

/* ---- enumeration -------------------------------------------------------- */

static const char *outcome_name(outcome o)
{
    switch (o) {
    case OUT_FAILED: return "failed cleanly";
    case OUT_RECOVERED: return "recovered (logged)";
    case OUT_SILENT: return "poll, not an error";
    case OUT_LOST: return "context lost";
    default: return "not fired";
    }
}

static int total_gl_sites, total_heap_sites, total_runs_failed;

static void report(const portion *po, const char *site, const run_result *res)
{
    char where[96] = "?";
    if (res->fired_step >= 0)
        step_label(&steps[res->fired_step], where, sizeof where);
    if (!res->ok) {
        total_runs_failed++;
        printf("#   FAILED RUN [%s] %s in %s: %s (%d) \"%s\"\n", po->name, site, where,
               outcome_name(res->out), res->err, res->msg);
    }
}

static void test_portion(void *arg)
{
    const portion *po = arg;
    build_steps();
    /* counting run */
    fault none = { FK_NONE };
    run_result res;
    uint64_t a0 = glvf_alloc_count();
    run_scenario(po, &none, &res);
    uint64_t heap_sites = glvf_alloc_count() - a0;
    REQUIRE(res.ok, "[%s] the scenario fails without any fault", po->name);
    leak_check(po, "no");
    unsigned long counts[256] = { 0 };
    const char *names[256];
    int n_names = 0;
    for (int i = 0; fakegl_entry_name(i) && i < 256; i++) {
        const char *name = fakegl_entry_name(i);
        unsigned long c = fakegl_call_count(name);
        if (!c)
            continue;
        if (!failable_get(name))
            CHECK(is_not_failable(name),
                  "[%s] glvf calls gl%s, which is in neither list: classify it (can it fail? "
                  "then it is a site)",
                  po->name, name);
        else {
            names[n_names] = name;
            counts[n_names++] = c;
        }
    }
    int gl_sites = 0;
    printf("# [%s] %llu heap allocation sites; GL sites:", po->name,
           (unsigned long long)heap_sites);
    for (int i = 0; i < n_names; i++) {
        printf(" %s x%lu", names[i], counts[i]);
        gl_sites += (int)counts[i];
    }
    printf("\n");
    fflush(stdout);

    for (int i = 0; i < n_names; i++) {
        const struct failable *fl = failable_get(names[i]);
        int outcomes[5] = { 0 };
        char example[200] = "";
        for (unsigned long k = 1; k <= counts[i]; k++) {
            fault f = { .kind = FK_GL, .gl = fl, .nth = (int)k };
            run_scenario(po, &f, &res);
            outcomes[res.out]++;
            if (!example[0] && res.msg[0])
                snprintf(example, sizeof example, "%s", res.msg);
            char site[64];
            snprintf(site, sizeof site, "gl%s #%lu", names[i], k);
            report(po, site, &res);
        }
        leak_check(po, names[i]);
        printf("# [%s] gl%s: %lu sites: %d failed cleanly, %d recovered, %d polls, %d lost; "
               "e.g. \"%s\"\n",
               po->name, names[i], counts[i], outcomes[OUT_FAILED], outcomes[OUT_RECOVERED],
               outcomes[OUT_SILENT], outcomes[OUT_LOST], example);
    }
    int outcomes[5] = { 0 };
    for (uint64_t k = 1; k <= heap_sites; k++) {
        fault f = { .kind = FK_HEAP, .nth = (int)k };
        /* run_scenario allocates nothing through glvf before its first step */
        f.heap_target = glvf_alloc_count() + k;
        glvf_alloc_fail_nth(k);
        run_scenario(po, &f, &res);
        outcomes[res.out]++;
        char site[64];
        snprintf(site, sizeof site, "heap allocation #%llu", (unsigned long long)k);
        if (res.fired_step >= 0 && res.msg[0]) {
            char where[96];
            step_label(&steps[res.fired_step], where, sizeof where);
            printf("#   heap #%llu in %s: %s: \"%s\"\n", (unsigned long long)k, where,
                   outcome_name(res.out), res.msg);
        }
        report(po, site, &res);
    }
    leak_check(po, "heap allocation");
    printf("# [%s] heap: %llu sites: %d failed cleanly, %d recovered\n", po->name,
           (unsigned long long)heap_sites, outcomes[OUT_FAILED], outcomes[OUT_RECOVERED]);
    total_gl_sites += gl_sites;
    total_heap_sites += (int)heap_sites;
    fflush(stdout);
}

int main(void)
{
    check_log_echo = false;
    for (size_t i = 0; i < sizeof portions / sizeof portions[0]; i++)
        RUN_NAMED(portions[i].name, test_portion, (void *)&portions[i]);
    printf("# total: %d GL sites and %d heap allocation sites injected, %d runs failed\n",
           total_gl_sites, total_heap_sites, total_runs_failed);
    fakegl_reset(NULL);
    check_log_clear();
    return check_finish();
}
