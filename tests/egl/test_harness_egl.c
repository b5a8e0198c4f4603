/*
 * The real-GL test harness itself: EGL surfaceless contexts on Mesa's
 * llvmpipe of the kind asked for (argv[1]: gl33, gl45 or gles30), bit-exact
 * texture readback, and two contexts current on two threads at once.
 */
#include "check.h"
#include "egl_harness.h"

#include <epoxy/egl.h>
#include <epoxy/gl.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef GL_R16_EXT
#define GL_R16_EXT 0x822A
#endif

static harness_api api;

static bool is_desktop(void)
{
    return api != HARNESS_GLES30;
}

static void expected_version(int *major, int *minor)
{
    switch (api) {
    case HARNESS_GL33: *major = 3; *minor = 3; break;
    case HARNESS_GL45: *major = 4; *minor = 5; break;
    default: *major = 3; *minor = 0; break;
    }
}

static bool has_norm16(void)
{
    return is_desktop() || epoxy_has_gl_extension("GL_EXT_texture_norm16");
}

/* ---- context kind and callbacks ---------------------------------------- */

static void test_context(void *arg)
{
    (void)arg;
    harness_api parsed;
    CHECK(harness_api_parse("gl33", &parsed) && parsed == HARNESS_GL33, "parse gl33");
    CHECK(harness_api_parse("gl45", &parsed) && parsed == HARNESS_GL45, "parse gl45");
    CHECK(harness_api_parse("gles30", &parsed) && parsed == HARNESS_GLES30, "parse gles30");
    CHECK(!harness_api_parse("gles31", &parsed), "gles31 is not an api");
    CHECK(!harness_api_parse(NULL, &parsed), "NULL is not an api");
    CHECK(strcmp(harness_api_name(api), harness_api_name(api)) == 0, "name");

    harness_ctx *h = harness_ctx_create(api, NULL);
    REQUIRE(h, "harness_ctx_create(%s)", harness_api_name(api));
    CHECK(harness_ctx_api(h) == api, "harness_ctx_api");
    CHECK(!harness_is_current(h), "a new context is not current");
    if (!harness_make_current(h)) {
        CHECK(false, "harness_make_current");
        harness_ctx_destroy(h);
        return;
    }
    CHECK(harness_is_current(h), "current after harness_make_current");

    const char *renderer = harness_print_info(h);
    CHECK(renderer && strstr(renderer, "llvmpipe"), "renderer is llvmpipe: %s",
          renderer ? renderer : "(null)");

    int want_major, want_minor;
    expected_version(&want_major, &want_minor);
    GLint major = -1, minor = -1;
    glGetIntegerv(GL_MAJOR_VERSION, &major);
    glGetIntegerv(GL_MINOR_VERSION, &minor);
    CHECK(major == want_major && minor == want_minor, "version %d.%d, asked for %d.%d", major,
          minor, want_major, want_minor);
    const char *version = (const char *)glGetString(GL_VERSION);
    CHECK(version != NULL, "GL_VERSION");
    if (is_desktop()) {
        GLint profile = 0;
        glGetIntegerv(GL_CONTEXT_PROFILE_MASK, &profile);
        CHECK(profile & GL_CONTEXT_CORE_PROFILE_BIT, "core profile (mask 0x%x)", profile);
        CHECK(version && strncmp(version, "OpenGL ES", 9) != 0, "desktop GL_VERSION: %s",
              version);
    } else {
        CHECK(version && strncmp(version, "OpenGL ES", 9) == 0, "ES GL_VERSION: %s",
              version ? version : "(null)");
    }
    CHECK(epoxy_is_desktop_gl() == is_desktop(), "epoxy agrees on desktop/ES");

    /* glvf's loader and is_current callbacks */
    CHECK(harness_get_proc(h, "glGetString") != NULL, "get_proc glGetString");
    CHECK(harness_get_proc(h, "glTexSubImage2D") != NULL, "get_proc glTexSubImage2D");
    CHECK(harness_get_proc(h, "glFenceSync") != NULL, "get_proc glFenceSync");
    CHECK(harness_is_current(h), "is_current callback");
    CHECK(!harness_is_current(NULL), "is_current(NULL)");
    CHECK(harness_gl_error("test_context") == 0, "no GL error");

    harness_release_current();
    CHECK(!harness_is_current(h), "not current after harness_release_current");
    CHECK(eglGetCurrentContext() == EGL_NO_CONTEXT, "nothing current");
    harness_release_current(); /* twice is fine */

    /* destroy releases when current */
    CHECK(harness_make_current(h), "make current again");
    harness_ctx_destroy(h);
    CHECK(eglGetCurrentContext() == EGL_NO_CONTEXT, "destroy released the context");
    harness_ctx_destroy(NULL);
}

/* ---- bit-exact readback ------------------------------------------------- */

typedef struct tex_kind {
    const char *name;
    GLenum internal_format, format, type;
    int bytes_per_texel;
} tex_kind;

static const tex_kind kinds[] = {
    { "R8", GL_R8, GL_RED, GL_UNSIGNED_BYTE, 1 },
    { "RG8", GL_RG8, GL_RG, GL_UNSIGNED_BYTE, 2 },
    { "RGBA8", GL_RGBA8, GL_RGBA, GL_UNSIGNED_BYTE, 4 },
    { "RGB8", GL_RGB8, GL_RGB, GL_UNSIGNED_BYTE, 3 },
    { "R16", GL_R16_EXT, GL_RED, GL_UNSIGNED_SHORT, 2 },
};

static glvf_plane_layout make_layout(const tex_kind *k, int w, int h)
{
    glvf_plane_layout l = {
        .internal_format = k->internal_format,
        .format = k->format,
        .type = k->type,
        .width = w,
        .height = h,
        .bytes_per_texel = k->bytes_per_texel,
        .row_bytes = w * k->bytes_per_texel,
    };
    return l;
}

/* Known content: every byte differs from its neighbours and rows differ. */
static uint8_t *make_pattern(const tex_kind *k, int w, int h, unsigned seed)
{
    size_t n = (size_t)w * (size_t)h * (size_t)k->bytes_per_texel;
    uint8_t *p = malloc(n);
    if (!p)
        return NULL;
    if (k->type == GL_UNSIGNED_SHORT) {
        uint16_t *q = (uint16_t *)p;
        for (size_t i = 0; i < n / 2; i++)
            q[i] = (uint16_t)(i * 4099u + seed * 257u + 0x1234u);
    } else {
        for (size_t i = 0; i < n; i++)
            p[i] = (uint8_t)(i * 37u + (i / 251u) * 11u + seed * 13u + 5u);
    }
    return p;
}

static GLuint upload(const tex_kind *k, int w, int h, const void *data)
{
    GLuint tex = 0;
    GLint saved_align = 4, saved_tex = 0;
    glGetIntegerv(GL_UNPACK_ALIGNMENT, &saved_align);
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &saved_tex);
    glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, (GLint)k->internal_format, w, h, 0, k->format, k->type, data);
    glPixelStorei(GL_UNPACK_ALIGNMENT, saved_align);
    glBindTexture(GL_TEXTURE_2D, (GLuint)saved_tex);
    if (harness_gl_error(k->name)) {
        glDeleteTextures(1, &tex);
        return 0;
    }
    return tex;
}

static int first_difference(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return (int)i;
    return -1;
}

static void test_readback(void *arg)
{
    (void)arg;
    harness_ctx *h = harness_ctx_create(api, NULL);
    REQUIRE(h, "harness_ctx_create");
    if (!harness_make_current(h)) {
        CHECK(false, "harness_make_current");
        harness_ctx_destroy(h);
        return;
    }
    const bool norm16 = has_norm16();
    printf("# 16-bit normalized textures: %s\n",
           norm16 ? "yes" : "no (GL_EXT_texture_norm16 missing)");

    /* State the readback must leave alone. */
    GLuint sentinel_tex = 0, user_fbo = 0;
    glGenTextures(1, &sentinel_tex);
    glBindTexture(GL_TEXTURE_2D, sentinel_tex);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, 4, 4, 0, GL_RGBA, GL_UNSIGNED_BYTE, NULL);
    glGenFramebuffers(1, &user_fbo);
    glBindFramebuffer(GL_FRAMEBUFFER, user_fbo);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, sentinel_tex, 0);
    glPixelStorei(GL_PACK_ALIGNMENT, 8);
    CHECK(harness_gl_error("state setup") == 0, "state setup");

    static const int sizes[][2] = { { 5, 3 }, { 67, 31 }, { 1, 1 }, { 256, 2 } };
    for (size_t ki = 0; ki < sizeof kinds / sizeof kinds[0]; ki++) {
        const tex_kind *k = &kinds[ki];
        if (k->internal_format == GL_R16_EXT && !norm16)
            continue;
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            const int w = sizes[si][0], ht = sizes[si][1];
            glvf_plane_layout l = make_layout(k, w, ht);
            size_t n = (size_t)l.row_bytes * (size_t)ht;
            uint8_t *want = make_pattern(k, w, ht, (unsigned)(ki * 7 + si));
            uint8_t *got = malloc(n);
            REQUIRE(want && got, "malloc");
            memset(got, 0xAA, n);
            GLuint tex = upload(k, w, ht, want);
            CHECK(tex != 0, "upload %s %dx%d", k->name, w, ht);
            if (tex) {
                bool ok = harness_read_plane(h, tex, &l, got);
                CHECK(ok, "harness_read_plane %s %dx%d", k->name, w, ht);
                int d = ok ? first_difference(want, got, n) : -1;
                CHECK(d < 0, "%s %dx%d: byte %d (row %d) is 0x%02x, uploaded 0x%02x", k->name,
                      w, ht, d, d < 0 ? 0 : d / l.row_bytes, d < 0 ? 0 : got[d],
                      d < 0 ? 0 : want[d]);
                if (ok && d < 0)
                    printf("# %s %dx%d: %zu bytes read back bit-exact\n", k->name, w, ht, n);

                /* rows longer than the texels: padding is left alone */
                if (si == 1) {
                    glvf_plane_layout lp = l;
                    lp.row_bytes = l.row_bytes + 3;
                    size_t np = (size_t)lp.row_bytes * (size_t)ht;
                    uint8_t *padded = malloc(np);
                    REQUIRE(padded, "malloc");
                    memset(padded, 0x5C, np);
                    CHECK(harness_read_plane(h, tex, &lp, padded), "padded read %s", k->name);
                    bool same = true;
                    for (int y = 0; y < ht; y++) {
                        const uint8_t *row = padded + (size_t)y * (size_t)lp.row_bytes;
                        if (memcmp(row, want + (size_t)y * (size_t)l.row_bytes,
                                   (size_t)l.row_bytes) != 0)
                            same = false;
                        for (int p = l.row_bytes; p < lp.row_bytes; p++)
                            if (row[p] != 0x5C)
                                same = false;
                    }
                    CHECK(same, "padded rows %s", k->name);
                    free(padded);
                }
                glDeleteTextures(1, &tex);
            }
            free(want);
            free(got);
        }
    }

    /* The readback restored what it changed. */
    GLint v = 0;
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &v);
    CHECK((GLuint)v == sentinel_tex, "texture binding restored (%d)", v);
    glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &v);
    CHECK((GLuint)v == user_fbo, "read framebuffer restored (%d)", v);
    glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &v);
    CHECK((GLuint)v == user_fbo, "draw framebuffer restored (%d)", v);
    glGetIntegerv(GL_PACK_ALIGNMENT, &v);
    CHECK(v == 8, "pack alignment restored (%d)", v);

    /* Failures are reported, not crashed on. */
    printf("# expecting two harness_read_plane errors on stderr:\n");
    fflush(stdout);
    {
        glvf_plane_layout l = make_layout(&kinds[0], 4, 4);
        uint8_t buf[16];
        CHECK(!harness_read_plane(h, 0, &l, buf), "texture 0 is refused");
        harness_release_current();
        CHECK(!harness_read_plane(h, sentinel_tex, &l, buf), "refused when not current");
        CHECK(harness_make_current(h), "make current");
    }
    CHECK(harness_gl_error("test_readback") == 0, "no GL error");

    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glDeleteFramebuffers(1, &user_fbo);
    glDeleteTextures(1, &sentinel_tex);
    harness_ctx_destroy(h);
}

/* ---- two contexts, two threads, at once ------------------------------------ */

typedef struct shared_state {
    harness_ctx *a, *b;           /* b shares with a */
    pthread_barrier_t both_current;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    GLuint shared_tex;            /* uploaded on a, read on b */
    bool uploaded;
    bool done_reading;
    const tex_kind *kind;
    int w, h;
    uint8_t *want;
} shared_state;

typedef struct thread_result {
    bool made_current, own_current, other_not_current, renderer_ok;
    bool upload_ok, read_ok, exact, own_exact;
    char renderer[128];
} thread_result;

typedef struct thread_arg {
    shared_state *s;
    bool is_a;
    thread_result r;
} thread_arg;

static void *ctx_thread(void *p)
{
    thread_arg *t = p;
    shared_state *s = t->s;
    harness_ctx *mine = t->is_a ? s->a : s->b, *other = t->is_a ? s->b : s->a;
    t->r.made_current = harness_make_current(mine);
    /* Both contexts are current (each on its own thread) from here ... */
    pthread_barrier_wait(&s->both_current);
    if (!t->r.made_current)
        return NULL;
    t->r.own_current = harness_is_current(mine);
    t->r.other_not_current = !harness_is_current(other);
    const char *r = (const char *)glGetString(GL_RENDERER);
    snprintf(t->r.renderer, sizeof t->r.renderer, "%s", r ? r : "(null)");
    t->r.renderer_ok = r && strstr(r, "llvmpipe");

    glvf_plane_layout l = make_layout(s->kind, s->w, s->h);
    size_t n = (size_t)l.row_bytes * (size_t)l.height;
    if (t->is_a) {
        GLuint tex = upload(s->kind, s->w, s->h, s->want);
        glFinish();
        t->r.upload_ok = tex != 0;
        pthread_mutex_lock(&s->lock);
        s->shared_tex = tex;
        s->uploaded = true;
        pthread_cond_broadcast(&s->cond);
        while (!s->done_reading)
            pthread_cond_wait(&s->cond, &s->lock);
        pthread_mutex_unlock(&s->lock);
    } else {
        pthread_mutex_lock(&s->lock);
        while (!s->uploaded)
            pthread_cond_wait(&s->cond, &s->lock);
        GLuint tex = s->shared_tex;
        pthread_mutex_unlock(&s->lock);
        uint8_t *got = calloc(1, n);
        if (got && tex) {
            t->r.read_ok = harness_read_plane(mine, tex, &l, got);
            t->r.exact = t->r.read_ok && memcmp(got, s->want, n) == 0;
        }
        pthread_mutex_lock(&s->lock);
        s->done_reading = true;
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        free(got);
    }
    /* ... while each also works on a texture of its own. */
    uint8_t *own = make_pattern(s->kind, s->w, s->h, t->is_a ? 101 : 202);
    uint8_t *got = calloc(1, n);
    if (own && got) {
        for (int i = 0; i < 20; i++) {
            GLuint tex = upload(s->kind, s->w, s->h, own);
            bool ok = tex && harness_read_plane(mine, tex, &l, got) && memcmp(got, own, n) == 0;
            glDeleteTextures(1, &tex);
            t->r.own_exact = ok;
            if (!ok)
                break;
        }
    }
    free(own);
    free(got);
    glFinish();
    harness_release_current();
    return NULL;
}

static void test_two_threads(void *arg)
{
    (void)arg;
    shared_state s = { .kind = &kinds[2], .w = 33, .h = 17 };
    s.a = harness_ctx_create(api, NULL);
    REQUIRE(s.a, "create context a");
    s.b = harness_ctx_create(api, s.a);
    if (!s.b) {
        CHECK(false, "create context b (shared with a)");
        harness_ctx_destroy(s.a);
        return;
    }
    s.want = make_pattern(s.kind, s.w, s.h, 42);
    pthread_barrier_init(&s.both_current, NULL, 2);
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.cond, NULL);

    thread_arg ta = { .s = &s, .is_a = true }, tb = { .s = &s, .is_a = false };
    pthread_t th_a, th_b;
    bool started_a = pthread_create(&th_a, NULL, ctx_thread, &ta) == 0;
    bool started_b = started_a && pthread_create(&th_b, NULL, ctx_thread, &tb) == 0;
    CHECK(started_a && started_b, "pthread_create");
    if (started_a && !started_b) {
        /* release thread a from the barrier and the wait */
        pthread_barrier_wait(&s.both_current);
        pthread_mutex_lock(&s.lock);
        s.done_reading = true;
        pthread_cond_broadcast(&s.cond);
        pthread_mutex_unlock(&s.lock);
    }
    if (started_a)
        pthread_join(th_a, NULL);
    if (started_b)
        pthread_join(th_b, NULL);

    if (started_a && started_b) {
        thread_arg *ts[2] = { &ta, &tb };
        for (int i = 0; i < 2; i++) {
            const thread_result *r = &ts[i]->r;
            const char *who = i == 0 ? "thread a" : "thread b";
            printf("# %s: context %s current, GL_RENDERER=%s\n", who, harness_api_name(api),
                   r->renderer);
            CHECK(r->made_current, "%s: make current", who);
            CHECK(r->own_current, "%s: its context is current", who);
            CHECK(r->other_not_current, "%s: the other context is not current here", who);
            CHECK(r->renderer_ok, "%s: llvmpipe (%s)", who, r->renderer);
            CHECK(r->own_exact, "%s: own uploads read back bit-exact", who);
        }
        CHECK(ta.r.upload_ok, "thread a uploaded the shared texture");
        CHECK(tb.r.read_ok, "thread b read the shared texture");
        CHECK(tb.r.exact, "thread b read a's texture bit-exact through the share group");
    }
    CHECK(!harness_is_current(s.a) && !harness_is_current(s.b), "neither current on main");

    if (s.shared_tex && harness_make_current(s.a)) {
        glDeleteTextures(1, &s.shared_tex);
        CHECK(harness_gl_error("delete shared texture") == 0, "no GL error");
    }
    harness_ctx_destroy(s.b);
    harness_ctx_destroy(s.a);
    pthread_cond_destroy(&s.cond);
    pthread_mutex_destroy(&s.lock);
    pthread_barrier_destroy(&s.both_current);
    free(s.want);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2 || !harness_api_parse(argv[1], &api)) {
        fprintf(stderr, "usage: %s gl33|gl45|gles30\n", argv[0]);
        return 2;
    }
    printf("# api %s\n", harness_api_name(api));
    RUN(test_context, NULL);
    RUN(test_readback, NULL);
    RUN(test_two_threads, NULL);
    return check_finish();
}
