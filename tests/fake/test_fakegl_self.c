/*
 * Self-test of the fake GL (tests/harness/fakegl.h): glad loads it as
 * desktop 4.5 and ES 3.0, objects are tracked, calls made while not current
 * are counted, faults fire once where asked, fences can be made to never
 * signal, labels are kept, uploads are checked against texture and PBO.
 */
#include "check.h"
#include "fakegl.h"
#include "glvf_glad.h"

static GladGLContext gl;

static int load(const fakegl_config *cfg)
{
    fakegl_reset(cfg);
    fakegl_set_current(true);
    memset(&gl, 0, sizeof gl);
    if (cfg && cfg->gles)
        return gladLoadGLES2ContextUserPtr(&gl, (GLADuserptrloadfunc)fakegl_get_proc, NULL);
    return gladLoadGLContextUserPtr(&gl, (GLADuserptrloadfunc)fakegl_get_proc, NULL);
}

static void test_load_desktop(void *arg)
{
    (void)arg;
    int v = load(NULL);
    REQUIRE(v == GLAD_MAKE_VERSION(4, 5), "version %d", v);
    CHECK(gl.VERSION_4_5 && !gl.VERSION_4_6, "4.5 flags");
    CHECK(gl.ARB_buffer_storage && gl.KHR_debug && gl.ARB_robustness && gl.ARB_timer_query,
          "default desktop extensions");
    CHECK(!gl.EXT_buffer_storage, "no ES extension");
    CHECK(gl.GenTextures && gl.BufferStorage && gl.FenceSync && gl.ObjectLabel &&
              gl.GetGraphicsResetStatusARB && gl.CreateShader && gl.GenVertexArrays &&
              gl.GenSamplers && gl.QueryCounter && gl.DrawElements,
          "entry points loaded");
    CHECK(fakegl_get_proc(NULL, "glNoSuchFunction") == NULL, "unknown name");
    CHECK(strcmp((const char *)gl.GetString(GL_VERSION), "4.5.0 glvf-fake") == 0, "version");
    CHECK(strcmp((const char *)gl.GetString(GL_VENDOR), "glvf-fake") == 0, "vendor");
    CHECK(strcmp((const char *)gl.GetString(GL_RENDERER), "glvf fake GL") == 0, "renderer");
    CHECK(strncmp((const char *)gl.GetString(GL_SHADING_LANGUAGE_VERSION), "4.50", 4) == 0,
          "glsl");
    GLint i = 0;
    gl.GetIntegerv(GL_MAX_TEXTURE_SIZE, &i);
    CHECK(i == 16384, "max texture size %d", i);
    gl.GetIntegerv(GL_UNPACK_ALIGNMENT, &i);
    CHECK(i == 4, "unpack alignment %d", i);
    CHECK(gl.GetError() == GL_NO_ERROR, "no error after load");
    fakegl_stats s = fakegl_get_stats();
    CHECK(s.violations == 0 && s.calls > 0, "calls %lu violations %lu", s.calls, s.violations);
    CHECK(fakegl_call_count("GetStringi") == 5, "GetStringi %lu",
          fakegl_call_count("GetStringi"));
}

static void test_load_es(void *arg)
{
    (void)arg;
    int v = load(&(fakegl_config){.gles = true});
    REQUIRE(v == GLAD_MAKE_VERSION(3, 0), "version %d", v);
    CHECK(gl.ES_VERSION_3_0 && !gl.ES_VERSION_3_1, "ES 3.0 flags");
    CHECK(gl.EXT_buffer_storage && gl.EXT_texture_norm16 && gl.KHR_debug && gl.EXT_robustness,
          "default ES extensions");
    CHECK(gl.BufferStorageEXT && gl.ObjectLabelKHR && gl.GetGraphicsResetStatusEXT, "ES entries");
    CHECK(strcmp((const char *)gl.GetString(GL_VERSION), "OpenGL ES 3.0 glvf-fake") == 0,
          "version");

    static const char *const exts[] = {"GL_KHR_debug", NULL};
    v = load(&(fakegl_config){.major = 3, .minor = 3, .vendor = "V", .renderer = "R",
                              .extensions = exts, .max_texture_size = 4096});
    REQUIRE(v == GLAD_MAKE_VERSION(3, 3), "version %d", v);
    CHECK(gl.KHR_debug && !gl.ARB_buffer_storage, "custom extensions");
    CHECK(strcmp((const char *)gl.GetString(GL_VENDOR), "V") == 0, "vendor");
    GLint i = 0;
    gl.GetIntegerv(GL_MAX_TEXTURE_SIZE, &i);
    CHECK(i == 4096, "max texture size %d", i);
}

static void test_objects(void *arg)
{
    (void)arg;
    REQUIRE(load(NULL), "load");
    fakegl_clear_calls();
    GLuint t[3];
    gl.GenTextures(3, t);
    CHECK(t[0] == 1 && t[1] == 2 && t[2] == 3, "names %u %u %u", t[0], t[1], t[2]);
    gl.BindTexture(GL_TEXTURE_2D, t[1]);
    gl.TexStorage2D(GL_TEXTURE_2D, 1, GL_RGBA8, 64, 32);
    int w = 0, h = 0;
    unsigned f = 0;
    CHECK(fakegl_texture_size(t[1], &w, &h, &f) && w == 64 && h == 32 && f == GL_RGBA8,
          "size %dx%d %#x", w, h, f);
    GLint b = 0;
    gl.GetIntegerv(GL_TEXTURE_BINDING_2D, &b);
    CHECK(b == (GLint)t[1], "binding %d", b);
    uint8_t px[16 * 16 * 4] = {0};
    gl.TexSubImage2D(GL_TEXTURE_2D, 0, 48, 16, 16, 16, GL_RGBA, GL_UNSIGNED_BYTE, px);
    CHECK(gl.GetError() == GL_NO_ERROR, "sub image inside");
    gl.TexSubImage2D(GL_TEXTURE_2D, 0, 49, 16, 16, 16, GL_RGBA, GL_UNSIGNED_BYTE, px);
    CHECK(gl.GetError() == GL_INVALID_VALUE, "sub image outside");
    gl.TexStorage2D(GL_TEXTURE_2D, 1, GL_RGBA8, 8, 8);
    CHECK(gl.GetError() == GL_INVALID_OPERATION, "storage twice");

    GLuint zero = 0, bogus = 99;
    gl.DeleteTextures(3, t);
    gl.DeleteTextures(1, &zero);
    gl.DeleteTextures(1, &bogus);
    gl.DeleteTextures(1, &t[0]); /* double delete */
    fakegl_stats s = fakegl_get_stats();
    CHECK(s.created[FAKEGL_TEXTURE] == 3 && s.deleted[FAKEGL_TEXTURE] == 3 &&
              s.live[FAKEGL_TEXTURE] == 0 && s.delete_calls[FAKEGL_TEXTURE] == 4,
          "created %lu deleted %lu live %lu calls %lu", s.created[FAKEGL_TEXTURE],
          s.deleted[FAKEGL_TEXTURE], s.live[FAKEGL_TEXTURE], s.delete_calls[FAKEGL_TEXTURE]);
    CHECK(s.bad_deletes == 2, "bad deletes %lu", s.bad_deletes);
    CHECK(!fakegl_texture_alive(t[1]), "deleted");
    gl.GetIntegerv(GL_TEXTURE_BINDING_2D, &b);
    CHECK(b == 0, "deleting unbinds");
    gl.GenTextures(1, t);
    CHECK(t[0] == 4 && fakegl_texture_alive(4), "names never reused: %u", t[0]);
    CHECK(fakegl_call_count("DeleteTextures") == 4 && fakegl_call_count("glGenTextures") == 2,
          "per-name counts");

    /* buffers: real memory, persistent maps, PBO range check */
    GLuint buf;
    gl.GenBuffers(1, &buf);
    gl.BindBuffer(GL_PIXEL_UNPACK_BUFFER, buf);
    gl.BufferStorage(GL_PIXEL_UNPACK_BUFFER, 16 * 16 * 4, NULL,
                     GL_MAP_WRITE_BIT | GL_MAP_PERSISTENT_BIT | GL_MAP_COHERENT_BIT);
    uint8_t *p = gl.MapBufferRange(GL_PIXEL_UNPACK_BUFFER, 0, 16 * 16 * 4,
                                   GL_MAP_WRITE_BIT | GL_MAP_PERSISTENT_BIT | GL_MAP_COHERENT_BIT);
    REQUIRE(p, "map");
    CHECK(p[0] == 0 && p[1023] == 0, "zeroed");
    memset(p, 0xab, 1024);
    gl.BindTexture(GL_TEXTURE_2D, t[0]);
    gl.TexStorage2D(GL_TEXTURE_2D, 1, GL_R8, 64, 64);
    gl.PixelStorei(GL_UNPACK_ALIGNMENT, 1);
    gl.TexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, 32, 32, GL_RED, GL_UNSIGNED_BYTE, 0);
    CHECK(gl.GetError() == GL_NO_ERROR, "PBO read of exactly 1024 bytes");
    gl.TexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, 32, 32, GL_RED, GL_UNSIGNED_BYTE, (void *)1);
    CHECK(gl.GetError() == GL_INVALID_OPERATION, "PBO overrun by one");
    gl.PixelStorei(GL_UNPACK_ROW_LENGTH, 33);
    gl.TexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, 32, 32, GL_RED, GL_UNSIGNED_BYTE, 0);
    CHECK(gl.GetError() == GL_INVALID_OPERATION, "row length counted");
    gl.PixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    gl.PixelStorei(GL_UNPACK_ALIGNMENT, 4);
    gl.TexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, 31, 33, GL_RED, GL_UNSIGNED_BYTE, 0);
    CHECK(gl.GetError() == GL_INVALID_OPERATION, "alignment counted (32*32+31 > 1024)");
    gl.TexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, 31, 32, GL_RED, GL_UNSIGNED_BYTE, 0);
    CHECK(gl.GetError() == GL_NO_ERROR, "aligned rows fit");
    CHECK(gl.UnmapBuffer(GL_PIXEL_UNPACK_BUFFER) == GL_TRUE, "unmap");
    CHECK(gl.UnmapBuffer(GL_PIXEL_UNPACK_BUFFER) == GL_FALSE &&
              gl.GetError() == GL_INVALID_OPERATION, "unmap twice");
    gl.BufferData(GL_PIXEL_UNPACK_BUFFER, 16, NULL, GL_STREAM_DRAW);
    CHECK(gl.GetError() == GL_INVALID_OPERATION, "BufferData on immutable storage");
    gl.DeleteBuffers(1, &buf);
    GLint pb = -1;
    gl.GetIntegerv(GL_PIXEL_UNPACK_BUFFER_BINDING, &pb);
    CHECK(pb == 0 && fakegl_get_stats().live[FAKEGL_BUFFER] == 0, "buffer gone, unbound");

    /* the rest of a renderer's objects */
    GLuint vs = gl.CreateShader(GL_VERTEX_SHADER), prog = gl.CreateProgram();
    const char *src = "void main() {}";
    gl.ShaderSource(vs, 1, &src, NULL);
    gl.CompileShader(vs);
    GLint ok = 0;
    gl.GetShaderiv(vs, GL_COMPILE_STATUS, &ok);
    CHECK(ok == GL_TRUE, "compiled");
    gl.AttachShader(prog, vs);
    gl.LinkProgram(prog);
    gl.GetProgramiv(prog, GL_LINK_STATUS, &ok);
    CHECK(ok == GL_TRUE, "linked");
    gl.UseProgram(prog);
    GLint loc = gl.GetUniformLocation(prog, "tex");
    CHECK(loc >= 0, "uniform location");
    gl.Uniform1i(loc, 0);
    GLuint vao, fb, smp, q;
    gl.GenVertexArrays(1, &vao);
    gl.BindVertexArray(vao);
    gl.GenFramebuffers(1, &fb);
    gl.BindFramebuffer(GL_FRAMEBUFFER, fb);
    gl.FramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, t[0], 0);
    CHECK(gl.CheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE, "complete");
    gl.GenSamplers(1, &smp);
    gl.BindSampler(0, smp);
    gl.GenQueries(1, &q);
    gl.QueryCounter(q, GL_TIMESTAMP);
    gl.Viewport(1, 2, 30, 40);
    gl.Scissor(5, 6, 7, 8);
    gl.Enable(GL_BLEND);
    gl.DrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    GLint vp[4] = {0}, sb[4] = {0}, st[4] = {0};
    gl.GetIntegerv(GL_VIEWPORT, vp);
    gl.GetIntegerv(GL_SCISSOR_BOX, sb);
    gl.GetIntegerv(GL_CURRENT_PROGRAM, &st[0]);
    gl.GetIntegerv(GL_VERTEX_ARRAY_BINDING, &st[1]);
    gl.GetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &st[2]);
    gl.GetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &st[3]);
    CHECK(vp[0] == 1 && vp[3] == 40 && sb[1] == 6 && sb[2] == 7, "viewport/scissor");
    CHECK(st[0] == (GLint)prog && st[1] == (GLint)vao && st[2] == (GLint)fb && st[3] == (GLint)fb,
          "bindings %d %d %d %d", st[0], st[1], st[2], st[3]);
    CHECK(gl.IsEnabled(GL_BLEND) && !gl.IsEnabled(GL_SCISSOR_TEST), "caps");
    CHECK(gl.GetError() == GL_NO_ERROR, "no errors");
    gl.DeleteProgram(prog);
    gl.DeleteShader(vs);
    gl.DeleteVertexArrays(1, &vao);
    gl.DeleteFramebuffers(1, &fb);
    gl.DeleteSamplers(1, &smp);
    gl.DeleteQueries(1, &q);
    s = fakegl_get_stats();
    for (int k = 0; k < FAKEGL_KIND_COUNT; k++)
        CHECK(s.live[k] == (k == FAKEGL_TEXTURE ? 1u : 0u), "kind %d live %lu", k, s.live[k]);
    fakegl_reset(NULL);
    CHECK(fakegl_get_stats().live[FAKEGL_TEXTURE] == 0 && !fakegl_texture_alive(t[0]),
          "reset frees");
}

static void *other_thread(void *arg)
{
    (void)arg; /* this thread's flag starts unset */
    GLuint t;
    gl.GenTextures(1, &t);
    gl.DeleteTextures(1, &t);
    return NULL;
}

static void test_violations(void *arg)
{
    (void)arg;
    REQUIRE(load(NULL), "load");
    fakegl_clear_calls();
    GLuint t;
    gl.GenTextures(1, &t);
    CHECK(fakegl_get_stats().violations == 0 && !fakegl_first_violation(), "current: none");
    pthread_t th;
    pthread_create(&th, NULL, other_thread, NULL);
    pthread_join(th, NULL);
    fakegl_stats s = fakegl_get_stats();
    CHECK(s.violations == 2, "violations %lu", s.violations);
    CHECK(fakegl_first_violation() && strcmp(fakegl_first_violation(), "GenTextures") == 0,
          "first %s", fakegl_first_violation() ? fakegl_first_violation() : "NULL");
    CHECK(fakegl_calls_on_thread(th) == 2 && fakegl_calls_on_thread(pthread_self()) == 1,
          "per thread %lu %lu", fakegl_calls_on_thread(th), fakegl_calls_on_thread(pthread_self()));
    CHECK(fakegl_is_current(NULL), "still current here");
    fakegl_set_current(false);
    gl.BindTexture(GL_TEXTURE_2D, t);
    CHECK(fakegl_get_stats().violations == 3 && !fakegl_is_current(NULL), "unset here too");
    fakegl_set_current(true);
    fakegl_clear_calls();
    s = fakegl_get_stats();
    CHECK(s.calls == 0 && s.violations == 0 && !fakegl_first_violation() &&
              s.live[FAKEGL_TEXTURE] == 1, "clear keeps objects");
}

static void test_faults(void *arg)
{
    (void)arg;
    REQUIRE(load(NULL), "load");
    GLuint t[2];
    fakegl_fail("GenTextures", 2, 0);
    gl.GenTextures(1, &t[0]);
    gl.GenTextures(1, &t[1]);
    CHECK(t[0] != 0 && t[1] == 0, "second Gen fails: %u %u", t[0], t[1]);
    CHECK(gl.GetError() == GL_OUT_OF_MEMORY && gl.GetError() == GL_NO_ERROR, "OOM once");
    gl.GenTextures(1, &t[1]);
    CHECK(t[1] != 0, "fires once");

    gl.BindTexture(GL_TEXTURE_2D, t[0]);
    fakegl_fail("glTexStorage2D", 1, 0);
    gl.TexStorage2D(GL_TEXTURE_2D, 1, GL_RGBA8, 16, 16);
    int w = -1, h = -1;
    CHECK(gl.GetError() == GL_OUT_OF_MEMORY && fakegl_texture_size(t[0], &w, &h, NULL) &&
              w == 0 && h == 0, "no storage");
    gl.TexStorage2D(GL_TEXTURE_2D, 1, GL_RGBA8, 16, 16);
    CHECK(gl.GetError() == GL_NO_ERROR, "then storage");

    GLuint b;
    gl.GenBuffers(1, &b);
    gl.BindBuffer(GL_PIXEL_UNPACK_BUFFER, b);
    fakegl_fail("BufferData", 1, 0);
    gl.BufferData(GL_PIXEL_UNPACK_BUFFER, 64, NULL, GL_STREAM_DRAW);
    CHECK(gl.GetError() == GL_OUT_OF_MEMORY, "BufferData OOM");
    CHECK(!gl.MapBufferRange(GL_PIXEL_UNPACK_BUFFER, 0, 64, GL_MAP_WRITE_BIT) &&
              gl.GetError() == GL_INVALID_VALUE, "no storage to map");
    gl.BufferData(GL_PIXEL_UNPACK_BUFFER, 64, NULL, GL_STREAM_DRAW);
    fakegl_fail("MapBufferRange", 1, 0);
    CHECK(!gl.MapBufferRange(GL_PIXEL_UNPACK_BUFFER, 0, 64, GL_MAP_WRITE_BIT) &&
              gl.GetError() == GL_NO_ERROR, "map fails quietly");
    void *p = gl.MapBufferRange(GL_PIXEL_UNPACK_BUFFER, 0, 64, GL_MAP_WRITE_BIT);
    CHECK(p != NULL, "then maps");
    memset(p, 1, 64);
    gl.UnmapBuffer(GL_PIXEL_UNPACK_BUFFER);
    fakegl_fail("FenceSync", 1, 0);
    CHECK(gl.FenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0) == NULL, "fence fails");
    fakegl_fail("TexSubImage2D", 1, GL_INVALID_ENUM);
    gl.BindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
    uint8_t px[4] = {0};
    gl.TexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, px);
    CHECK(gl.GetError() == GL_INVALID_ENUM, "generic fault");
    fakegl_fail("Finish", 1, 0);
    fakegl_fail_clear();
    gl.Finish();
    CHECK(gl.GetError() == GL_NO_ERROR, "cleared");
    fakegl_set_reset_status(GL_GUILTY_CONTEXT_RESET);
    CHECK(gl.GetGraphicsResetStatusARB() == GL_GUILTY_CONTEXT_RESET &&
              gl.GetGraphicsResetStatus() == GL_GUILTY_CONTEXT_RESET, "reset status");
    CHECK(fakegl_get_stats().gl_errors >= 5, "errors counted");
}

static void test_fences(void *arg)
{
    (void)arg;
    REQUIRE(load(NULL), "load");
    GLsync a = gl.FenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
    GLsync b = gl.FenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
    CHECK(a && b && a != b, "unique fences");
    CHECK(fakegl_get_stats().live[FAKEGL_SYNC] == 2, "tracked");
    CHECK(gl.ClientWaitSync(a, GL_SYNC_FLUSH_COMMANDS_BIT, 0) == GL_ALREADY_SIGNALED, "signalled");
    fakegl_set_fence_never_signals(true);
    CHECK(gl.ClientWaitSync(b, 0, 1000000000) == GL_TIMEOUT_EXPIRED, "never signals");
    GLint st = 0;
    gl.GetSynciv(b, GL_SYNC_STATUS, 1, NULL, &st);
    CHECK(st == GL_UNSIGNALED, "status");
    fakegl_set_fence_never_signals(false);
    gl.DeleteSync(a);
    gl.DeleteSync(b);
    gl.DeleteSync(NULL);
    fakegl_stats s = fakegl_get_stats();
    CHECK(s.live[FAKEGL_SYNC] == 0 && s.deleted[FAKEGL_SYNC] == 2 && s.bad_deletes == 0,
          "deleted");
    CHECK(gl.GetError() == GL_NO_ERROR, "no errors");
    GLsync c = gl.FenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
    gl.DeleteSync(a); /* double delete: caught even after a new fence */
    s = fakegl_get_stats();
    CHECK(c != a && c != b && s.bad_deletes == 1 && s.live[FAKEGL_SYNC] == 1, "double delete");
    CHECK(gl.GetError() == GL_INVALID_VALUE && gl.IsSync(c), "c untouched");
}

static void test_labels(void *arg)
{
    (void)arg;
    REQUIRE(load(&(fakegl_config){.gles = true}), "load");
    GLuint t, b;
    gl.GenTextures(1, &t);
    gl.GenBuffers(1, &b);
    gl.ObjectLabelKHR(GL_TEXTURE, t, -1, "frame texture");
    gl.ObjectLabelKHR(GL_BUFFER, b, 5, "stagingXXX");
    CHECK(fakegl_label(GL_TEXTURE, t) && strcmp(fakegl_label(GL_TEXTURE, t), "frame texture") == 0,
          "texture label");
    CHECK(fakegl_label(GL_BUFFER, b) && strcmp(fakegl_label(GL_BUFFER, b), "stagi") == 0,
          "length honoured");
    CHECK(fakegl_label(GL_BUFFER, t + 7) == NULL && fakegl_label(GL_SAMPLER, 1) == NULL, "none");
    char out[8];
    GLsizei len = 0;
    gl.GetObjectLabelKHR(GL_TEXTURE, t, sizeof out, &len, out);
    CHECK(len == 7 && strcmp(out, "frame t") == 0, "get label truncated: %d '%s'", len, out);
    gl.ObjectLabelKHR(GL_TEXTURE, 1234, -1, "x");
    CHECK(gl.GetError() == GL_INVALID_VALUE, "unknown name");
    CHECK(fakegl_get_stats().labels == 2, "labels %lu", fakegl_get_stats().labels);
}

int main(void)
{
    check_log_echo = false;
    RUN(test_load_desktop, NULL);
    RUN(test_load_es, NULL);
    RUN(test_objects, NULL);
    RUN(test_violations, NULL);
    RUN(test_faults, NULL);
    RUN(test_fences, NULL);
    RUN(test_labels, NULL);
    return check_finish();
}
