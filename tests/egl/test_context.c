/*
 * The context and the ownership contract on real GL (llvmpipe, EGL
 * surfaceless), once per context kind: creation through the host's loader
 * and through the platform default, capabilities, refusals off the GL
 * thread, the deferred queue for host objects, labels, the leak report and
 * orphans, abandon.
 */
#include "check.h"
#include "egl_harness.h"

#include <epoxy/gl.h>
#include <errno.h>

static harness_ctx *H;
static harness_api API;

static glvf_context *make_ctx(unsigned flags)
{
    return glvf_context_create(glvf_context_params(
            .get_proc_address = harness_get_proc, .get_proc_user = H,
            .is_current = harness_is_current, .is_current_user = H, .log = check_log,
            .log_level = GLVF_LOG_DEBUG, .flags = flags | GLVF_CONTEXT_IGNORE_ENV));
}

/* Not static: the leak report's creation site names it (linked with
 * -rdynamic so backtrace_symbols() can). */
__attribute__((noinline)) glvf_frame *upload_gray(glvf_context *ctx, int w, int h);
glvf_frame *upload_gray(glvf_context *ctx, int w, int h)
{
    static uint8_t pixels[256 * 256];
    glvf_image img = { .format = GLVF_FORMAT_GRAY8, .width = w, .height = h,
                       .planes = { { pixels, w } } };
    return glvf_upload(ctx, &img, NULL, NULL);
}

static void test_caps(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx(0);
    REQUIRE(ctx, "create");
    const glvf_caps *c = glvf_context_get_caps(ctx);
    printf("# caps: %s %d.%d GLSL %d max_tex %d buffer_storage %d texture_storage %d sync %d "
           "khr_debug %d norm16 %d robustness %d timer %d software %d renderer \"%s\"\n",
           c->is_gles ? "ES" : "GL", c->gl_major, c->gl_minor, c->glsl_version,
           c->max_texture_size, c->buffer_storage, c->texture_storage, c->sync, c->khr_debug,
           c->texture_norm16, c->robustness, c->timer_query, c->software, c->renderer);
    CHECK(c->is_gles == (API == HARNESS_GLES30), "GL vs GLES");
    /* glsl_version is what the context says it compiles (Mesa: the
     * highest it has, whatever the context version) */
    const char *sl = (const char *)glGetString(GL_SHADING_LANGUAGE_VERSION);
    int a = 0, b = 0;
    REQUIRE(sl && sscanf(strpbrk(sl, "0123456789"), "%d.%d", &a, &b) == 2, "GLSL version %s", sl);
    CHECK(c->glsl_version == a * 100 + b, "glsl_version %d is GL_SHADING_LANGUAGE_VERSION %s",
          c->glsl_version, sl);
    if (API == HARNESS_GL33)
        CHECK(c->gl_major == 3 && c->gl_minor == 3 && c->glsl_version >= 330, "3.3");
    if (API == HARNESS_GL45)
        CHECK(c->gl_major == 4 && c->gl_minor == 5 && c->glsl_version >= 450, "4.5");
    if (API == HARNESS_GLES30)
        CHECK(c->gl_major == 3 && c->glsl_version >= 300, "ES 3.0");
    CHECK(c->max_texture_size >= 2048, "max texture size");
    CHECK(c->software && strstr(c->renderer, "llvmpipe"), "llvmpipe is a software renderer");
    CHECK(c->texture_storage && c->sync, "ES 3.0 / GL 3.3 features");
    CHECK(glvf_context_get_upload_strategy(ctx) == GLVF_UPLOAD_CLIENT,
          "auto picks client on llvmpipe");
    CHECK(glvf_context_destroy(&ctx) && !ctx, "destroy clears the pointer");
    CHECK(glvf_context_destroy(&ctx), "destroy of NULL is fine");
    CHECK(glvf_context_destroy(NULL), "destroy(NULL) is fine");
    glvf_context_abandon(NULL);
    glvf_context_abandon(&ctx);
}

static void test_platform_default(void *arg)
{
    (void)arg;
    /* NULL loader and NULL is_current: resolved through EGL */
    glvf_context *ctx = glvf_context_create(glvf_context_params(.log = check_log));
    REQUIRE(ctx, "create with the platform default loader");
    glvf_frame *f = upload_gray(ctx, 16, 16);
    CHECK(f, "upload through the default loader");
    glvf_frame_unref(&f);
    /* the default is_current follows the EGL context */
    harness_release_current();
    check_log_clear();
    CHECK(glvf_context_collect(ctx) == -EPERM, "collect with nothing current");
    CHECK(check_log_count(GLVF_LOG_ERROR, "not current") == 1, "logged");
    harness_make_current(H);
    CHECK(glvf_context_collect(ctx) >= 0, "collect when current");
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

static void test_bad_create(void *arg)
{
    (void)arg;
    CHECK(glvf_context_create(NULL) == NULL, "NULL params");
    /* nothing current */
    harness_release_current();
    check_log_clear();
    CHECK(glvf_context_create(glvf_context_params(.log = check_log)) == NULL,
          "no current context with the default loader");
    CHECK(check_log_count(GLVF_LOG_ERROR, "no EGL or GLX context") == 1, "logged");
    check_log_clear();
    CHECK(make_ctx(0) == NULL, "is_current false at create");
    CHECK(check_log_count(GLVF_LOG_ERROR, "not current") == 1, "logged");
    harness_make_current(H);
    check_log_clear();
    CHECK(glvf_context_create(glvf_context_params(.log = check_log, .upload = 99)) == NULL,
          "bad strategy");
    CHECK(check_log_count(GLVF_LOG_ERROR, "invalid upload strategy") == 1, "logged");
}

static void *other_thread_calls(void *p)
{
    glvf_context *ctx = p;
    static uint8_t px[64];
    glvf_image img = { .format = GLVF_FORMAT_GRAY8, .width = 8, .height = 8,
                       .planes = { { px, 8 } } };
    int err = 0;
    glvf_frame *f = glvf_upload(ctx, &img, NULL, &err);
    bool ok = !f && err == -EPERM;
    ok = ok && glvf_context_collect(ctx) == -EPERM;
    glvf_context *c = ctx;
    ok = ok && !glvf_context_destroy(&c) && c == ctx;
    ok = ok && glvf_staging_reserve(ctx, GLVF_FORMAT_GRAY8, 8, 8, 0, 1) == -EPERM;
    return ok ? p : NULL;
}

static void test_wrong_thread(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx(0);
    REQUIRE(ctx, "create");
    check_log_clear();
    pthread_t th;
    void *res = NULL;
    pthread_create(&th, NULL, other_thread_calls, ctx);
    pthread_join(th, &res);
    CHECK(res == ctx, "GL-thread calls from another thread are refused");
    CHECK(check_log_count(GLVF_LOG_ERROR, "not current on this thread") == 4,
          "each refusal logged (%d)", check_log_count(GLVF_LOG_ERROR, "not current"));
    glvf_stats st;
    glvf_context_get_stats(ctx, &st);
    CHECK(st.rejected_calls == 4, "rejected_calls %llu", (unsigned long long)st.rejected_calls);
    CHECK(st.frames_live == 0 && st.objects[GLVF_OBJECT_TEXTURE].created == 0,
          "nothing was created");
    CHECK(glvf_context_destroy(&ctx), "destroy on the right thread");
}

static void *defer_from_thread(void *p)
{
    void **a = p;
    glvf_context *ctx = a[0];
    GLuint *names = a[1];
    for (int i = 0; i < 4; i++)
        if (glvf_context_defer_delete(ctx, GLVF_OBJECT_TEXTURE, names[i]) != 0)
            return NULL;
    return p;
}

static void test_defer_host_objects(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx(0);
    REQUIRE(ctx, "create");
    GLuint names[4];
    glGenTextures(4, names);
    for (int i = 0; i < 4; i++) {
        glBindTexture(GL_TEXTURE_2D, names[i]);
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, 4, 4, 0, GL_RGBA, GL_UNSIGNED_BYTE, NULL);
    }
    glBindTexture(GL_TEXTURE_2D, 0);
    void *a[2] = { ctx, names };
    pthread_t th;
    void *res;
    pthread_create(&th, NULL, defer_from_thread, a);
    pthread_join(th, &res);
    CHECK(res, "defer_delete from another thread");
    for (int i = 0; i < 4; i++)
        CHECK(glIsTexture(names[i]), "not deleted before collect");
    glvf_stats st;
    glvf_context_get_stats(ctx, &st);
    CHECK(st.deferred_pending == 4, "4 pending");
    CHECK(glvf_context_collect(ctx) == 4, "collect deletes 4");
    for (int i = 0; i < 4; i++)
        CHECK(!glIsTexture(names[i]), "deleted by collect");
    CHECK(glvf_context_defer_delete(ctx, GLVF_OBJECT_KIND_COUNT, 5) == -EINVAL, "bad kind");
    CHECK(glvf_context_defer_delete(ctx, GLVF_OBJECT_TEXTURE, 0) == -EINVAL, "name 0");
    CHECK(glvf_context_defer_delete(NULL, GLVF_OBJECT_TEXTURE, 1) == -EINVAL, "NULL ctx");
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

static void test_bounded_collect(void *arg)
{
    (void)arg;
    glvf_context *ctx = glvf_context_create(glvf_context_params(
            .get_proc_address = harness_get_proc, .get_proc_user = H,
            .is_current = harness_is_current, .is_current_user = H, .log = check_log,
            .max_deletes_per_collect = 10, .flags = GLVF_CONTEXT_IGNORE_ENV));
    REQUIRE(ctx, "create");
    GLuint names[25];
    glGenTextures(25, names);
    for (int i = 0; i < 25; i++) {
        glBindTexture(GL_TEXTURE_2D, names[i]);
        glvf_context_defer_delete(ctx, GLVF_OBJECT_TEXTURE, names[i]);
    }
    glBindTexture(GL_TEXTURE_2D, 0);
    CHECK(glvf_context_collect(ctx) == 10, "first drain bounded to 10");
    CHECK(glvf_context_collect(ctx) == 10, "second drain bounded to 10");
    CHECK(glvf_context_collect(ctx) == 5, "the rest");
    CHECK(glvf_context_collect(ctx) == 0, "empty");
    int alive = 0;
    for (int i = 0; i < 25; i++)
        alive += glIsTexture(names[i]);
    CHECK(alive == 0, "%d still alive", alive);
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

static void test_labels(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx(0);
    REQUIRE(ctx, "create");
    const glvf_caps *c = glvf_context_get_caps(ctx);
    glvf_frame *f = upload_gray(ctx, 32, 16);
    REQUIRE(f, "upload");
    glvf_frame_plane p;
    glvf_frame_get_plane(f, 0, &p);
    if (c->khr_debug) {
        char label[256] = "";
        GLsizei len = 0;
        if (epoxy_is_desktop_gl() || epoxy_gl_version() >= 32)
            glGetObjectLabel(GL_TEXTURE, p.texture, sizeof label, &len, label);
        else
            glGetObjectLabelKHR(GL_TEXTURE, p.texture, sizeof label, &len, label);
        printf("# label: \"%s\"\n", label);
        CHECK(strstr(label, "glvf texture 32x16") && strstr(label, "gray plane 0"),
              "label \"%s\"", label);
    } else {
        printf("# no KHR_debug on this context: labels skipped by design\n");
    }
    glvf_frame_unref(&f);
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

static void test_leak_report_and_orphans(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx(GLVF_CONTEXT_TRACK_SITES);
    REQUIRE(ctx, "create");
    glvf_frame *a = upload_gray(ctx, 64, 64);
    glvf_frame *b = upload_gray(ctx, 32, 32);
    glvf_frame *keep = glvf_frame_ref(b);
    glvf_frame *released = upload_gray(ctx, 16, 16);
    glvf_frame_unref(&released);
    glvf_staging *st = glvf_staging_acquire(ctx, GLVF_FORMAT_GRAY8, 8, 8, 0, NULL);
    CHECK(a && b && st, "setup");
    glvf_frame_plane pa;
    glvf_frame_get_plane(a, 0, &pa);
    check_log_clear();
    CHECK(glvf_context_destroy(&ctx), "destroy with frames still referenced");
    CHECK(check_log_count(GLVF_LOG_WARN, "leak report: 2 frame(s) (5120 bytes of textures) "
                                         "and 1 staging region(s)") == 1,
          "leak report names count and bytes");
    CHECK(check_log_count(GLVF_LOG_WARN, "leaked frame") == 2, "each frame listed");
    CHECK(check_log_count(GLVF_LOG_WARN, "created at:") == 2, "with its creation site");
    CHECK(check_log_count(GLVF_LOG_WARN, "upload_gray") >= 2,
          "the site names the function that uploaded");
    CHECK(check_log_count(GLVF_LOG_WARN, "acquired at:") == 1, "region site");
    CHECK(!glIsTexture(pa.texture), "the leaked frame's textures were deleted at destroy");
    CHECK(glvf_frame_context(a) == NULL, "an orphan has no context");
    CHECK(glvf_frame_width(a) == 64, "orphan still readable");
    check_log_clear();
    glvf_frame_unref(&a);
    glvf_frame_unref(&b);
    glvf_staging_release(&st);
    CHECK(check_log_count(GLVF_LOG_WARN, "orphan") == 2, "orphan drops warn");
    glvf_frame_unref(&keep); /* the last reference frees the context's memory */
    CHECK(check_log_count(GLVF_LOG_WARN, "orphan") == 3, "orphan drops warn");
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "no error");
}

/* Static, so not exported: only the ELF symbol table and DWARF (this file
 * is built with -g) can name it. */
static int leak_line;
__attribute__((noinline)) static glvf_frame *leak_named_site(glvf_context *ctx)
{
    static uint8_t pixels[16 * 16];
    glvf_image img = { .format = GLVF_FORMAT_GRAY8, .width = 16, .height = 16,
                       .planes = { { pixels, 16 } } };
    leak_line = __LINE__ + 1;
    glvf_frame *f = glvf_upload(ctx, &img, NULL, NULL);
    __asm__ volatile("" ::: "memory"); /* not a tail call: this frame stays on the stack */
    return f;
}

/* The same, through a function the compiler inlines: the report names the
 * inlined function, its line, and the function and line it was inlined in. */
static int inlined_line, inlined_call_line;
static inline __attribute__((always_inline)) glvf_frame *leak_inlined(glvf_context *ctx,
                                                                      const glvf_image *img)
{
    inlined_line = __LINE__ + 1;
    return glvf_upload(ctx, img, NULL, NULL);
}

__attribute__((noinline)) static glvf_frame *leak_through_inline(glvf_context *ctx)
{
    static uint8_t pixels[8 * 8];
    glvf_image img = { .format = GLVF_FORMAT_GRAY8, .width = 8, .height = 8,
                       .planes = { { pixels, 8 } } };
    inlined_call_line = __LINE__ + 1;
    glvf_frame *f = leak_inlined(ctx, &img);
    __asm__ volatile("" ::: "memory");
    return f;
}

static void test_leak_site_names(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx(GLVF_CONTEXT_TRACK_SITES);
    REQUIRE(ctx, "create");
    glvf_frame *f = leak_named_site(ctx);
    glvf_frame *g = leak_through_inline(ctx);
    REQUIRE(f && g, "upload");
    check_log_clear();
    CHECK(glvf_context_destroy(&ctx), "destroy with frames still referenced");
    CHECK(check_log_count(GLVF_LOG_WARN, "leak report: 2 frame(s)") == 1, "report");
    CHECK(check_log_count(GLVF_LOG_WARN, "created at:") == 2, "with their creation sites");
    char want[256];
#ifdef GLVF_TEST_LIBDW
    /* "#0 leak_named_site() at ../tests/egl/test_context.c:NN (test-context+0x..)" */
    CHECK(check_log_count(GLVF_LOG_WARN, "#0 leak_named_site() at ") == 1,
          "the site's first frame names the (static) function that uploaded");
    snprintf(want, sizeof want, "test_context.c:%d (test-context+0x", leak_line);
    CHECK(check_log_count(GLVF_LOG_WARN, want) == 1, "with file:line and module+offset (%s)",
          want);
    CHECK(check_log_count(GLVF_LOG_WARN, "test_leak_site_names() at ") == 2,
          "and its caller, named");
    /* "#0 leak_inlined() at ...:NN, inlined in leak_through_inline() at ...:MM (...)" */
    CHECK(check_log_count(GLVF_LOG_WARN, "#0 leak_inlined() at ") == 1,
          "an inlined function is named");
    snprintf(want, sizeof want, "test_context.c:%d, inlined in leak_through_inline() at ",
             inlined_line);
    CHECK(check_log_count(GLVF_LOG_WARN, want) == 1, "with the function it was inlined in (%s)",
          want);
    snprintf(want, sizeof want, "test_context.c:%d (test-context+0x", inlined_call_line);
    CHECK(check_log_count(GLVF_LOG_WARN, want) == 1, "and the line that inlined it (%s)", want);
#else
    /* built without libdw: backtrace_symbols(), which names exported
     * functions only: the module and offset */
    CHECK(check_log_count(GLVF_LOG_WARN, "#0 ") == 2, "the sites listed");
    CHECK(check_log_count(GLVF_LOG_WARN, "test-context(+0x") >= 2,
          "the static functions' frames as module(+offset)");
    CHECK(check_log_count(GLVF_LOG_WARN, "leak_named_site") == 0, "no name without libdw");
    (void)want;
#endif
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "no error");
    glvf_frame_unref(&f); /* orphans: the last drop frees the context's memory */
    glvf_frame_unref(&g);
}

static void test_abandon(void *arg)
{
    (void)arg;
    /* The owning context goes away first (the window closed). */
    harness_ctx *h2 = harness_ctx_create(API, NULL);
    REQUIRE(h2 && harness_make_current(h2), "second context");
    glvf_context *ctx = glvf_context_create(glvf_context_params(
            .get_proc_address = harness_get_proc, .get_proc_user = h2,
            .is_current = harness_is_current, .is_current_user = h2, .log = check_log));
    REQUIRE(ctx, "create");
    glvf_frame *f = upload_gray(ctx, 8, 8);
    glvf_frame *g = upload_gray(ctx, 8, 8);
    glvf_frame_unref(&g);
    harness_ctx_destroy(h2);
    harness_make_current(H);
    check_log_clear();
    glvf_context_abandon(&ctx);
    CHECK(!ctx, "abandon clears the pointer");
    CHECK(check_log_count(GLVF_LOG_WARN, "leak report: 1 frame") == 1, "abandon reports");
    glvf_frame_unref(&f);
    CHECK(check_log_count(GLVF_LOG_WARN, "orphan") >= 1, "orphan drop");
}

/* ---- two contexts, two threads, queues kept apart ----------------------- */

typedef struct worker {
    harness_ctx *h;
    glvf_context *ctx;
    glvf_frame *frames[16];
    GLuint names[16];
    pthread_barrier_t *barrier;
    int ok;
    int deleted;
} worker;

static void *worker_main(void *p)
{
    worker *w = p;
    harness_make_current(w->h);
    /* tiny budget: every released frame's texture is evicted, so releases
     * go through the deferred queue */
    w->ctx = glvf_context_create(glvf_context_params(
            .get_proc_address = harness_get_proc, .get_proc_user = w->h,
            .is_current = harness_is_current, .is_current_user = w->h, .log = check_log,
            .pool_budget_bytes = 1, .flags = GLVF_CONTEXT_IGNORE_ENV));
    if (!w->ctx)
        return NULL;
    for (int i = 0; i < 16; i++) {
        w->frames[i] = upload_gray(w->ctx, 16 + i, 16);
        glvf_frame_plane pl;
        glvf_frame_get_plane(w->frames[i], 0, &pl);
        w->names[i] = pl.texture;
    }
    pthread_barrier_wait(w->barrier); /* frames ready */
    pthread_barrier_wait(w->barrier); /* released by the main thread */
    w->deleted = glvf_context_collect(w->ctx);
    /* odd frames were released; even frames must be intact */
    w->ok = 1;
    for (int i = 0; i < 16; i++) {
        bool alive = glIsTexture(w->names[i]);
        if (alive != (i % 2 == 0))
            w->ok = 0;
    }
    for (int i = 0; i < 16; i += 2)
        glvf_frame_unref(&w->frames[i]);
    glvf_context_collect(w->ctx);
    glvf_context_destroy(&w->ctx);
    harness_release_current();
    return w;
}

static void test_two_contexts(void *arg)
{
    (void)arg;
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, 3);
    worker w[2] = { { .barrier = &barrier }, { .barrier = &barrier } };
    harness_release_current();
    for (int i = 0; i < 2; i++)
        w[i].h = harness_ctx_create(API, NULL);
    REQUIRE(w[0].h && w[1].h, "contexts");
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    pthread_barrier_wait(&barrier);
    /* the main thread (no GL context current) drops the odd frames of both */
    for (int i = 1; i < 16; i += 2) {
        glvf_frame_unref(&w[0].frames[i]);
        glvf_frame_unref(&w[1].frames[i]);
    }
    pthread_barrier_wait(&barrier);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 2; i++) {
        printf("# context %d: collect deleted %d, own frames intact: %d\n", i, w[i].deleted,
               w[i].ok);
        CHECK(w[i].ok, "context %d: only its own released textures were deleted", i);
        CHECK(w[i].deleted == 8, "context %d deleted %d", i, w[i].deleted);
        harness_ctx_destroy(w[i].h);
    }
    pthread_barrier_destroy(&barrier);
    harness_make_current(H);
}

int main(int argc, char **argv)
{
    int status;
    H = harness_test_start(argc, argv, &API, &status);
    if (!H)
        return status;
    RUN(test_caps, NULL);
    RUN(test_platform_default, NULL);
    RUN(test_bad_create, NULL);
    RUN(test_wrong_thread, NULL);
    RUN(test_defer_host_objects, NULL);
    RUN(test_bounded_collect, NULL);
    RUN(test_labels, NULL);
    RUN(test_leak_report_and_orphans, NULL);
    RUN(test_leak_site_names, NULL);
    RUN(test_abandon, NULL);
    RUN(test_two_contexts, NULL);
    harness_ctx_destroy(H);
    check_log_clear();
    return check_finish();
}
