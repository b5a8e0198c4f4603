/*
 * glvf_context: the per-owning-GL-context state. Loads its own glad
 * dispatch table through the host's loader, detects capabilities, and
 * enforces the ownership contract: GL-thread entry points check that the
 * owning context is current (glvf_ctx_enter) and refuse, without a GL call,
 * when it is not.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_POOL_BUDGET ((size_t)512 << 20)
#define DEFAULT_STAGING_BUDGET ((size_t)128 << 20)
#define DEFAULT_FENCE_TIMEOUT_MS 2000u

const char *glvf_version(void)
{
#define GLVF_STR2(x) #x
#define GLVF_STR(x) GLVF_STR2(x)
    return GLVF_STR(GLVF_VERSION_MAJOR) "." GLVF_STR(GLVF_VERSION_MINOR) "." GLVF_STR(
        GLVF_VERSION_PATCH);
}

unsigned glvf_version_number(void)
{
    return GLVF_VERSION_NUMBER;
}

/* ---- entry checks ------------------------------------------------------- */

bool glvf_ctx_valid(const glvf_context *ctx, const char *fn)
{
    if (!ctx)
        return false;
    if (ctx->magic != CTX_MAGIC) {
        /* A destroyed context whose memory orphans still keep alive (the
         * log callback must stay valid until the last orphan is dropped):
         * say so. Anything else may be freed memory: nothing is safe to log
         * through. */
        if (ctx->magic == CTX_MAGIC_DEAD)
            glvf_logf(ctx, GLVF_LOG_ERROR,
                      "%s: context %p was already destroyed (a stale pointer); ignored",
                      fn, (const void *)ctx);
        return false;
    }
    return true;
}

static const char *reset_name(GLenum s)
{
    switch (s) {
    case GL_GUILTY_CONTEXT_RESET: return "GL_GUILTY_CONTEXT_RESET";
    case GL_INNOCENT_CONTEXT_RESET: return "GL_INNOCENT_CONTEXT_RESET";
    case GL_UNKNOWN_CONTEXT_RESET: return "GL_UNKNOWN_CONTEXT_RESET";
    default: return "an unknown status";
    }
}

bool glvf_ctx_check_lost(glvf_context *ctx, const char *fn)
{
    if (atomic_load_explicit(&ctx->lost, memory_order_acquire))
        return true;
    if (!ctx->get_reset_status)
        return false;
    GLenum s = ctx->get_reset_status();
    if (s == GL_NO_ERROR)
        return false;
    atomic_store_explicit(&ctx->lost, true, memory_order_release);
    LOG_E(ctx, "%s: the GL context was lost: glGetGraphicsResetStatus reports %s (0x%x). "
               "From now on every GL-thread call fails with -ENODEV and makes no GL call; "
               "destroy this glvf context (it then frees CPU state only) and create a new "
               "one on a new GL context",
          fn, reset_name(s), s);
    return true;
}

void glvf_gl_clear(glvf_context *ctx, const char *where)
{
    GLenum first = ctx->gl.GetError();
    if (first == GL_NO_ERROR)
        return;
    int n = 1;
    while (n < GLVF_GL_ERRORS && ctx->gl.GetError() != GL_NO_ERROR)
        n++;
    if (where)
        LOG_W(ctx,
              "%s: discarded GL error 0x%x%s left pending before the call (the "
              "application's: glvf reads its own errors)",
              where, first, n > 1 ? " and more" : "");
}

int glvf_gl_check(glvf_context *ctx, const char *what)
{
    GLenum e = ctx->gl.GetError();
    if (e == GL_NO_ERROR)
        return 0;
    for (int n = 1; n < GLVF_GL_ERRORS && ctx->gl.GetError() != GL_NO_ERROR; n++) {
    }
    LOG_E(ctx, "%s: GL error 0x%x", what, e);
    return e == GL_OUT_OF_MEMORY ? -ENOMEM : -EIO;
}

/* The one "not current" path: counts the rejected call and says what was
 * not done. */
static bool require_current(glvf_context *ctx, const char *fn, const char *not_done)
{
    if (ctx->is_current(ctx->is_current_user))
        return true;
    pthread_mutex_lock(&ctx->lock);
    ctx->rejected_calls++;
    pthread_mutex_unlock(&ctx->lock);
    LOG_E(ctx, "%s: the owning GL context is not current on this thread; %s", fn, not_done);
    return false;
}

/* A valid context, current, not lost: 0 or -EINVAL / -EPERM / -ENODEV
 * (logged). */
static int enter_checks(glvf_context *ctx, const char *fn)
{
    if (!glvf_ctx_valid(ctx, fn))
        return -EINVAL;
    if (!require_current(ctx, fn, "no GL call made"))
        return -EPERM;
    if (atomic_load_explicit(&ctx->lost, memory_order_acquire)) {
        LOG_E(ctx, "%s: the GL context was lost (graphics reset); no GL call made", fn);
        return -ENODEV;
    }
    return 0;
}

int glvf_ctx_enter(glvf_context *ctx, const char *fn)
{
    int r = enter_checks(ctx, fn);
    if (r < 0)
        return r;
    glvf_tracker_drain(ctx, ctx->max_deletes);
    glvf_staging_service(ctx);
    return 0;
}

/* ---- creation ----------------------------------------------------------- */

static GLADapiproc load_trampoline(void *user, const char *name)
{
    glvf_context *ctx = user;
    void *p = ctx->get_proc(ctx->get_proc_user, name);
    GLADapiproc f;
    memcpy(&f, &p, sizeof f);
    return f;
}

static bool renderer_is_software(const char *r)
{
    static const char *soft[] = { "llvmpipe", "softpipe", "SwiftShader", "Software Rasterizer",
                                  "swrast", "lavapipe", "Microsoft Basic Render" };
    for (size_t i = 0; i < GLVF_ARRAY_LEN(soft); i++)
        if (strstr(r, soft[i]))
            return true;
    return false;
}

static bool check_required(glvf_context *ctx)
{
    GladGLContext *gl = &ctx->gl;
#define REQ(f) { "gl" #f, gl->f == NULL }
    const struct { const char *name; bool missing; } req[] = {
        REQ(GetString), REQ(GetStringi), REQ(GetIntegerv), REQ(GetError),
        REQ(GenTextures), REQ(DeleteTextures), REQ(BindTexture), REQ(TexParameteri),
        REQ(TexImage2D), REQ(TexSubImage2D), REQ(PixelStorei), REQ(GenBuffers),
        REQ(DeleteBuffers), REQ(BindBuffer), REQ(BufferData), REQ(MapBufferRange),
        REQ(UnmapBuffer), REQ(FenceSync), REQ(ClientWaitSync), REQ(DeleteSync),
        REQ(DeleteFramebuffers), REQ(DeleteProgram), REQ(DeleteShader),
        REQ(DeleteVertexArrays), REQ(DeleteSamplers), REQ(Flush), REQ(Finish),
        /* rendering */
        REQ(CreateShader), REQ(ShaderSource), REQ(CompileShader), REQ(GetShaderiv),
        REQ(GetShaderInfoLog), REQ(CreateProgram), REQ(AttachShader), REQ(DetachShader),
        REQ(LinkProgram), REQ(GetProgramiv), REQ(GetProgramInfoLog), REQ(UseProgram),
        REQ(GetUniformLocation), REQ(Uniform1i), REQ(Uniform1f), REQ(Uniform2f),
        REQ(Uniform2i), REQ(Uniform3f), REQ(Uniform4fv), REQ(UniformMatrix3fv),
        REQ(GenVertexArrays), REQ(BindVertexArray), REQ(ActiveTexture), REQ(Viewport),
        REQ(Scissor), REQ(Enable), REQ(Disable), REQ(IsEnabled), REQ(GetBooleanv),
        REQ(GetFloatv), REQ(ColorMask), REQ(ClearColor), REQ(Clear), REQ(DrawArrays),
        REQ(CheckFramebufferStatus),
    };
#undef REQ
    bool ok = true;
    for (size_t i = 0; i < GLVF_ARRAY_LEN(req); i++) {
        if (req[i].missing) {
            LOG_E(ctx, "glvf_context_create: the loader returned NULL for required "
                       "function %s",
                  req[i].name);
            ok = false;
        }
    }
    return ok;
}

static void copy_str(char *dst, size_t n, const GLubyte *s)
{
    snprintf(dst, n, "%s", s ? (const char *)s : "");
}

static bool detect_caps(glvf_context *ctx)
{
    GladGLContext *gl = &ctx->gl;
    glvf_caps *c = &ctx->caps;

    /* glGetString first, through the raw loader, to pick GL or GLES */
    void *p = ctx->get_proc(ctx->get_proc_user, "glGetString");
    PFNGLGETSTRINGPROC get_string;
    memcpy(&get_string, &p, sizeof get_string);
    if (!get_string) {
        LOG_E(ctx, "glvf_context_create: the loader returned NULL for glGetString");
        return false;
    }
    const char *version = (const char *)get_string(GL_VERSION);
    if (!version) {
        LOG_E(ctx, "glvf_context_create: glGetString(GL_VERSION) returned NULL: no GL "
                   "context is current on this thread");
        return false;
    }
    c->is_gles = strncmp(version, "OpenGL ES", 9) == 0;
    int v = c->is_gles ? gladLoadGLES2ContextUserPtr(gl, load_trampoline, ctx)
                       : gladLoadGLContextUserPtr(gl, load_trampoline, ctx);
    if (!v) {
        LOG_E(ctx, "glvf_context_create: could not load GL entry points for \"%s\"", version);
        return false;
    }
    c->gl_major = GLAD_VERSION_MAJOR(v);
    c->gl_minor = GLAD_VERSION_MINOR(v);
    copy_str(ctx->version, sizeof ctx->version, gl->GetString(GL_VERSION));
    copy_str(ctx->vendor, sizeof ctx->vendor, gl->GetString(GL_VENDOR));
    copy_str(ctx->renderer, sizeof ctx->renderer, gl->GetString(GL_RENDERER));
    c->version = ctx->version;
    c->vendor = ctx->vendor;
    c->renderer = ctx->renderer;

    int need_major = 3, need_minor = c->is_gles ? 0 : 3;
    if (c->gl_major < need_major || (c->gl_major == need_major && c->gl_minor < need_minor)) {
        LOG_E(ctx, "glvf_context_create: %s %d.%d is too old: glvf needs %s (\"%s\")",
              c->is_gles ? "OpenGL ES" : "OpenGL", c->gl_major, c->gl_minor,
              c->is_gles ? "OpenGL ES 3.0" : "OpenGL 3.3", ctx->version);
        return false;
    }
    if (!check_required(ctx))
        return false;

    /* what the context says it compiles (the shaders are written for GLSL
     * 330 core / 300 es, which every context glvf accepts compiles) */
    const char *sl = (const char *)gl->GetString(GL_SHADING_LANGUAGE_VERSION);
    int sl_major = 0, sl_minor = 0;
    if (sl) {
        while (*sl && (*sl < '0' || *sl > '9'))
            sl++; /* "OpenGL ES GLSL ES 3.20" */
        if (sscanf(sl, "%d.%d", &sl_major, &sl_minor) != 2)
            sl_major = sl_minor = 0;
    }
    c->glsl_version = sl_major * 100 + (sl_minor < 10 ? sl_minor * 10 : sl_minor);
    if (c->glsl_version < 300)
        c->glsl_version = c->is_gles ? 300 : 330;

    GLint max_tex = 0;
    gl->GetIntegerv(GL_MAX_TEXTURE_SIZE, &max_tex);
    c->max_texture_size = max_tex;
    c->sync = true; /* core in GL 3.2 and ES 3.0 */
    if (c->is_gles) {
        c->texture_storage = gl->TexStorage2D != NULL;
        if (gl->EXT_buffer_storage && gl->BufferStorageEXT)
            ctx->buffer_storage = (PFNGLBUFFERSTORAGEPROC)gl->BufferStorageEXT;
        c->texture_norm16 = gl->EXT_texture_norm16;
        if (gl->ES_VERSION_3_2 && gl->ObjectLabel)
            ctx->object_label = gl->ObjectLabel;
        else if (gl->KHR_debug && gl->ObjectLabelKHR)
            ctx->object_label = (PFNGLOBJECTLABELPROC)gl->ObjectLabelKHR;
        c->robustness = (gl->GetGraphicsResetStatus && gl->ES_VERSION_3_2) ||
                        (gl->EXT_robustness && gl->GetGraphicsResetStatusEXT) ||
                        (gl->KHR_robustness && gl->GetGraphicsResetStatusKHR);
        c->timer_query = gl->EXT_disjoint_timer_query;
    } else {
        c->texture_storage = (gl->VERSION_4_2 || gl->ARB_texture_storage) && gl->TexStorage2D;
        if ((gl->VERSION_4_4 || gl->ARB_buffer_storage) && gl->BufferStorage)
            ctx->buffer_storage = gl->BufferStorage;
        c->texture_norm16 = true;
        if ((gl->VERSION_4_3 || gl->KHR_debug) && gl->ObjectLabel)
            ctx->object_label = gl->ObjectLabel;
        c->robustness = (gl->VERSION_4_5 && gl->GetGraphicsResetStatus) ||
                        (gl->ARB_robustness && gl->GetGraphicsResetStatusARB) ||
                        (gl->KHR_robustness && gl->GetGraphicsResetStatus);
        c->timer_query = gl->VERSION_3_3 || gl->ARB_timer_query;
    }
    if (c->robustness) {
        PFNGLGETGRAPHICSRESETSTATUSPROC f = gl->GetGraphicsResetStatus;
        if (c->is_gles && !(gl->ES_VERSION_3_2 && f))
            f = gl->EXT_robustness && gl->GetGraphicsResetStatusEXT
                    ? gl->GetGraphicsResetStatusEXT
                    : gl->GetGraphicsResetStatusKHR;
        else if (!c->is_gles && !(gl->VERSION_4_5 && f) && gl->ARB_robustness &&
                 gl->GetGraphicsResetStatusARB)
            f = gl->GetGraphicsResetStatusARB;
        /* Only a context created with reset notification ever reports a
         * reset; on the others the status is always GL_NO_ERROR, and glvf
         * does not ask. */
        GLint strategy = 0;
        gl->GetIntegerv(GL_RESET_NOTIFICATION_STRATEGY, &strategy);
        if (strategy == GL_LOSE_CONTEXT_ON_RESET)
            ctx->get_reset_status = f;
    }
    c->buffer_storage = ctx->buffer_storage != NULL;
    c->khr_debug = ctx->object_label != NULL;
    c->software = renderer_is_software(ctx->renderer);
    glvf_gl_clear(ctx, NULL); /* errors the probing left */
    return true;
}


glvf_context *glvf_context_create(const glvf_context_params *params)
{
    if (!params)
        return NULL; /* no log callback to report through */
    glvf_context *ctx = glvf_calloc(1, sizeof *ctx);
    if (!ctx) {
        if (params->log)
            params->log(params->log_user, GLVF_LOG_ERROR,
                        "glvf_context_create: out of memory");
        return NULL;
    }
    atomic_init(&ctx->lost, false);
    ctx->log = params->log;
    ctx->log_user = params->log_user;
    ctx->log_level = params->log_level ? params->log_level : GLVF_LOG_WARN;
    ctx->flags = params->flags;
    ctx->pool_budget = params->pool_budget_bytes ? params->pool_budget_bytes
                                                 : DEFAULT_POOL_BUDGET;
    ctx->staging_budget = params->staging_budget_bytes ? params->staging_budget_bytes
                                                       : DEFAULT_STAGING_BUDGET;
    ctx->max_deletes = params->max_deletes_per_collect;
    ctx->fence_timeout_ms = params->fence_timeout_ms ? params->fence_timeout_ms
                                                     : DEFAULT_FENCE_TIMEOUT_MS;
    ctx->track_sites = (ctx->flags & GLVF_CONTEXT_TRACK_SITES) != 0;
    if (!(ctx->flags & GLVF_CONTEXT_IGNORE_ENV)) {
        const char *dbg = getenv("GLVF_DEBUG");
        if (dbg && strstr(dbg, "leaks"))
            ctx->track_sites = true;
    }
    if ((unsigned)params->upload >= GLVF_UPLOAD_STRATEGY_COUNT) {
        LOGF_E(ctx, "invalid upload strategy %d", (int)params->upload);
        glvf_free(ctx);
        return NULL;
    }

    bool platform = false;
    if (params->get_proc_address) {
        ctx->get_proc = params->get_proc_address;
        ctx->get_proc_user = params->get_proc_user;
    }
    if (!params->get_proc_address || !params->is_current) {
        if (!glvf_platform_init(&ctx->platform, ctx)) {
            glvf_free(ctx);
            return NULL;
        }
        platform = true;
        if (!params->get_proc_address) {
            ctx->get_proc = glvf_platform_get_proc;
            ctx->get_proc_user = &ctx->platform;
        }
    }
    if (params->is_current) {
        ctx->is_current = params->is_current;
        ctx->is_current_user = params->is_current_user;
    } else {
        ctx->is_current = glvf_platform_is_current;
        ctx->is_current_user = &ctx->platform;
    }

    if (!ctx->is_current(ctx->is_current_user)) {
        LOGF_E(ctx, "is_current() says the owning GL context is not "
                    "current on this thread");
        goto fail;
    }
    if (!detect_caps(ctx))
        goto fail;
    ctx->labels = ctx->caps.khr_debug && !(ctx->flags & GLVF_CONTEXT_NO_LABELS);
    ctx->strategy = glvf_upload_resolve(ctx, params->upload);
    ctx->upload_ops = glvf_upload_ops_get(ctx->strategy);
    if (pthread_mutex_init(&ctx->lock, NULL) != 0) {
        LOGF_E(ctx, "pthread_mutex_init failed");
        goto fail;
    }
    ctx->magic = CTX_MAGIC;
    LOG_I(ctx, "context: %s %d.%d (GLSL %d), %s / %s, max texture %d, buffer storage %s, "
               "texture storage %s, norm16 %s, KHR_debug %s, robustness %s, upload %s",
          ctx->caps.is_gles ? "OpenGL ES" : "OpenGL", ctx->caps.gl_major, ctx->caps.gl_minor,
          ctx->caps.glsl_version, ctx->vendor, ctx->renderer, ctx->caps.max_texture_size,
          ctx->caps.buffer_storage ? "yes" : "no", ctx->caps.texture_storage ? "yes" : "no",
          ctx->caps.texture_norm16 ? "yes" : "no", ctx->caps.khr_debug ? "yes" : "no",
          ctx->caps.robustness ? (ctx->get_reset_status ? "yes (resets reported)"
                                                        : "yes (no reset notification)")
                               : "no",
          glvf_upload_strategy_name(ctx->strategy));
    if (ctx->upload_ops->mapped_staging)
        glvf_staging_probe_reads(ctx);
    return ctx;

fail:
    if (platform)
        glvf_platform_fini(&ctx->platform);
    glvf_free(ctx);
    return NULL;
}

/* ---- collect / destroy / abandon ---------------------------------------- */

int glvf_context_collect(glvf_context *ctx)
{
    int r = enter_checks(ctx, __func__);
    if (r < 0)
        return r;
    /* once a frame: the cheap place to notice a graphics reset */
    if (glvf_ctx_check_lost(ctx, __func__))
        return -ENODEV;
    /* staging first (it notes which slots are in use, for purges); then the
     * pool's part: budget and purge requests (their deletes are queued),
     * pool fences; then the drain, which deletes what they queued */
    glvf_staging_service(ctx);
    glvf_pool_collect(ctx);
    return glvf_tracker_drain(ctx, ctx->max_deletes);
}

/* Leak report: frames and staging regions the application still holds. */
static void report_leaks(glvf_context *ctx)
{
    size_t frames = 0, bytes = 0;
    for (glvf_frame *f = ctx->frames_live; f; f = f->next) {
        frames++;
        bytes += f->bytes;
    }
    size_t regions = 0;
    for (glvf_staging *s = ctx->staging_live; s; s = s->next)
        regions++;
    if (!frames && !regions)
        return;
    LOG_W(ctx, "leak report: %zu frame(s) (%zu bytes of textures) and %zu staging "
               "region(s) still held by the application at context destroy",
          frames, bytes, regions);
    /* names for the creation sites, when any were recorded (and libdw is
     * there): one symbolizer for the whole report */
    glvf_symbolizer *sym = NULL;
    if (ctx->track_sites && ctx->log && ctx->log_level >= GLVF_LOG_WARN)
        sym = glvf_symbolizer_new();
    for (glvf_frame *f = ctx->frames_live; f; f = f->next) {
        LOG_W(ctx, "  leaked frame %p: %dx%d %s, %d texture(s), %zu bytes, %d reference(s)%s",
              (void *)f, f->image.width, f->image.height, glvf_format_name(f->image.format),
              f->planes, f->bytes, atomic_load(&f->refs),
              f->nsite ? ", created at:" : " (GLVF_DEBUG=leaks shows where)");
        glvf_log_site(ctx, sym, GLVF_LOG_WARN, f->site, f->nsite);
    }
    for (glvf_staging *s = ctx->staging_live; s; s = s->next) {
        LOG_W(ctx, "  leaked staging region %p: %dx%d %s%s", (void *)s, s->image.width,
              s->image.height, glvf_format_name(s->image.format),
              s->nsite ? ", acquired at:" : " (GLVF_DEBUG=leaks shows where)");
        glvf_log_site(ctx, sym, GLVF_LOG_WARN, s->site, s->nsite);
    }
    glvf_symbolizer_free(sym);
}

void glvf_ctx_free(glvf_context *ctx)
{
    glvf_tracker_free(ctx);
    glvf_free(ctx->ring.slots);
    pthread_mutex_destroy(&ctx->lock);
    ctx->magic = CTX_MAGIC_DEAD;
    glvf_free(ctx);
}

/* Shared by destroy (gl = true) and abandon (gl = false). */
static void context_end(glvf_context *ctx, bool gl)
{
    pthread_mutex_lock(&ctx->lock);
    /* From here on, frames dropped on other threads take the orphan path and
     * never touch the pool; the teardown holds a reference of its own so an
     * orphan dropped meanwhile cannot free the context under us. */
    ctx->dead = true;
    ctx->live_refs++;
    report_leaks(ctx);
    glvf_staging_destroy(ctx, gl);
    glvf_pool_destroy(ctx, gl);
    glvf_frames_end_fences(ctx, gl);
    glvf_render_destroy(ctx, gl);
    if (!gl) {
        /* the GL objects died with the GL context: forget them */
        glvf_tracker_forget_queue(ctx);
    }
    pthread_mutex_unlock(&ctx->lock);

    if (gl)
        glvf_tracker_drain(ctx, 0);

    pthread_mutex_lock(&ctx->lock);
    if (gl) {
        for (int k = 0; k < GLVF_OBJECT_KIND_COUNT; k++)
            if (glvf_tracker_live(ctx, (glvf_object_kind)k))
                LOG_E(ctx, "internal: %llu %s object(s) still counted live at destroy",
                      (unsigned long long)glvf_tracker_live(ctx, (glvf_object_kind)k),
                      glvf_object_kind_name((glvf_object_kind)k));
    }
    glvf_frames_destroy(ctx); /* frees pooled frame structs; live ones are orphans */
    ctx->magic = CTX_MAGIC_DEAD;
    if (ctx->live_refs > 1)
        LOG_W(ctx, "%zu frame(s)/staging region(s) outlive the context as orphans; "
                   "dropping them frees CPU memory only",
              ctx->live_refs - 1);
    /* Orphans never need the default loader: take it out of the context
     * before the teardown's reference goes. After the unlock, ctx belongs
     * to whoever drops the last reference (this thread when free_now, else
     * the last orphan's drop on any thread): nothing here reads it again. */
    glvf_platform platform = ctx->platform;
    memset(&ctx->platform, 0, sizeof ctx->platform);
    ctx->live_refs--;
    bool free_now = ctx->live_refs == 0;
    pthread_mutex_unlock(&ctx->lock);
    glvf_platform_fini(&platform); /* no-op when the host gave both callbacks */
    if (free_now)
        glvf_ctx_free(ctx);
}

bool glvf_context_destroy(glvf_context **pctx)
{
    if (!pctx || !*pctx)
        return true;
    glvf_context *ctx = *pctx;
    if (!glvf_ctx_valid(ctx, __func__))
        return false;
    if (!require_current(ctx, __func__,
                         "nothing destroyed (use glvf_context_abandon() if it is gone)"))
        return false;
    /* After a graphics reset the GL objects are gone with the context's
     * state: free CPU state only, as abandon does. */
    bool lost = glvf_ctx_check_lost(ctx, __func__);
    if (lost)
        LOGF_W(ctx, "the GL context was lost; its GL objects went with "
                    "it: freeing CPU state only, no GL call");
    context_end(ctx, !lost);
    *pctx = NULL;
    return true;
}

bool glvf_context_is_lost(const glvf_context *ctx)
{
    if (!glvf_ctx_valid(ctx, __func__))
        return false;
    return atomic_load_explicit(&ctx->lost, memory_order_acquire);
}

void glvf_context_abandon(glvf_context **pctx)
{
    if (!pctx || !*pctx)
        return;
    glvf_context *ctx = *pctx;
    *pctx = NULL;
    if (!glvf_ctx_valid(ctx, __func__))
        return;
    context_end(ctx, false);
}

/* ---- queries ------------------------------------------------------------ */

const glvf_caps *glvf_context_get_caps(const glvf_context *ctx)
{
    return glvf_ctx_valid(ctx, __func__) ? &ctx->caps : NULL;
}

glvf_upload_strategy glvf_context_get_upload_strategy(const glvf_context *ctx)
{
    return glvf_ctx_valid(ctx, __func__) ? ctx->strategy : GLVF_UPLOAD_AUTO;
}

void glvf_context_get_stats(const glvf_context *cctx, glvf_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!glvf_ctx_valid(cctx, __func__))
        return;
    glvf_context *ctx = (glvf_context *)cctx; /* the lock is not part of the value */
    pthread_mutex_lock(&ctx->lock);
    glvf_tracker_get_stats(ctx, out);
    out->rejected_calls = ctx->rejected_calls;
    glvf_pool_get_stats(ctx, out);
    glvf_staging_get_stats(ctx, out);
    out->frames_live = ctx->frames_live_count;
    out->frames_uploaded = ctx->frames_uploaded;
    out->bytes_uploaded = ctx->bytes_uploaded;
    out->upload_strategy = ctx->strategy;
    out->purgeable_bytes = glvf_pool_purgeable_locked(ctx);
    out->pool_budget_bytes = ctx->pool_budget;
    out->staging_budget_bytes = ctx->staging_budget;
    pthread_mutex_unlock(&ctx->lock);
}
