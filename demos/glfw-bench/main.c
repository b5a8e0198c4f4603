/*
 * glvf-bench: the GLFW benchmark tool. See --help, and bench.h for the
 * layout of the sources.
 *
 * One hidden GLFW window (vsync off) owns the GL context; render mode and
 * decode --render draw into it (render.c). glvf reaches GL
 * through glfwGetProcAddress and knows its context is current when GLFW's
 * current context is this window's; the tool's own GL calls (the naive
 * baseline, timer queries, glFinish) go through libepoxy.
 */
#define _GNU_SOURCE /* dl_iterate_phdr, sanitizer builds */
#include "bench.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <epoxy/gl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__SANITIZE_ADDRESS__)
#include <dlfcn.h>
#include <link.h>
#endif

/* ---- glvf callbacks ----------------------------------------------------- */

static char last_glvf_error[256];

const char *bench_last_glvf_error(void)
{
    return last_glvf_error;
}

void bench_clear_glvf_error(void)
{
    last_glvf_error[0] = 0;
}

static pthread_t gl_thread;

/* Called on any thread that calls into glvf (wall mode's churn thread
 * drops frames and opens decoders): every message is printed, and only
 * the GL thread's are kept as the last error (the GL thread alone reads
 * it, after its own calls), so the buffer needs no lock. */
static void bench_log(void *user, glvf_log_level level, const char *msg)
{
    (void)user;
    fprintf(stderr, BENCH_NAME ": glvf %s: %s\n", glvf_log_level_name(level), msg);
    if (!pthread_equal(pthread_self(), gl_thread))
        return;
    if (level <= GLVF_LOG_WARN && (level == GLVF_LOG_ERROR || !last_glvf_error[0]))
        snprintf(last_glvf_error, sizeof last_glvf_error, "%s", msg);
}

static void *bench_get_proc(void *user, const char *name)
{
    (void)user;
    return (void *)glfwGetProcAddress(name);
}

static bool bench_is_current(void *user)
{
    return glfwGetCurrentContext() == (GLFWwindow *)user;
}

static void glfw_error(int code, const char *desc)
{
    fprintf(stderr, BENCH_NAME ": GLFW error 0x%x: %s\n", code, desc);
}

/* ---- modes -------------------------------------------------------------- */

static int run_upload(const bench_env *env)
{
    return bench_run_upload_scenarios(env, "upload", NULL, NULL);
}

static int run_render(const bench_env *env0)
{
    bench_env env = *env0;
    if (!bench_render_init(&env))
        return -1;
    bench_render_state st = { 0 };
    int r = bench_run_upload_scenarios(&env, "render", bench_render_hook, &st);
    bench_render_finish(&st);
    return r;
}

#ifdef HAVE_GLVF_FFMPEG
#define DECODE_UNAVAILABLE NULL
#define DECODE_RUN bench_run_decode_scenarios
#define WALL_RUN bench_run_wall
#else
#define WALL_RUN NULL
#define DECODE_UNAVAILABLE "built without the FFmpeg module, libglvf-ffmpeg"
#define DECODE_RUN NULL
#endif

/*
 * A mode: `run` returns the number of failed scenarios (negative: could not
 * start). `unavailable` says why this build lacks it (NULL: available).
 * render: the upload loop with a hook that draws each frame (render.c);
 * the naive strategy has no glvf frame to draw and is left out (options.c).
 * decode (built with the FFmpeg module, meson: HAVE_GLVF_FFMPEG): its own
 * loop over the decoder's frames (decode.c), reporting like upload.
 * wall (FFmpeg module too): N streams through one glvf context into the
 * tiles of the window (wall.c); -BENCH_EXIT_STREAMS: some streams failed.
 */
typedef struct bench_mode {
    const char *name;
    const char *unavailable;
    int (*run)(const bench_env *env);
} bench_mode;

static const bench_mode modes[] = {
    { "upload", NULL, run_upload },
    { "render", NULL, run_render },
    { "decode", DECODE_UNAVAILABLE, DECODE_RUN },
    { "wall", DECODE_UNAVAILABLE, WALL_RUN },
};

static const bench_mode *mode_find(const char *name)
{
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (!strcmp(modes[i].name, name))
            return &modes[i];
    return NULL;
}

const char *bench_mode_unavailable(const char *name)
{
    const bench_mode *m = mode_find(name);
    return !m ? "unknown mode" : m->run ? NULL : m->unavailable;
}

/* ---- main --------------------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
/* glfwTerminate() unloads the GL libraries and the driver they loaded, and
 * LeakSanitizer then reports what the driver leaked from an "<unknown
 * module>" that no suppression (tests/lsan.supp names the GL stack) can
 * match. In sanitizer builds only, every loaded object is kept loaded. */
static int pin_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    if (info->dlpi_name && info->dlpi_name[0])
        dlopen(info->dlpi_name, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    return 0;
}

static void pin_loaded_libraries(void)
{
    dl_iterate_phdr(pin_object, NULL);
}
#else
static void pin_loaded_libraries(void)
{
}
#endif

int main(int argc, char **argv)
{
    gl_thread = pthread_self();
    bench_options opt;
    int r = bench_options_parse(&opt, argc, argv);
    if (r < 0)
        return BENCH_EXIT_OK; /* --help, --version */
    if (r)
        return r;
    const bench_mode *mode = mode_find(opt.mode);
    if (!mode || !mode->run) {
        fprintf(stderr, BENCH_NAME ": mode '%s' is not available in this build (%s)\n",
                opt.mode, mode && mode->unavailable ? mode->unavailable : "unknown mode");
        return BENCH_EXIT_UNAVAILABLE;
    }
    if (opt.naive_skipped)
        fprintf(stderr, BENCH_NAME ": note: %s mode skips the naive strategy (%s)\n", opt.mode,
                strcmp(opt.mode, "render") ? "decoded frames go through glvf_ffmpeg_upload"
                                           : "no glvf frame to draw");

    /* decode: the file is opened once before any window, so that a missing
     * or unreadable one is reported at once */
    char input_desc[256] = "";
#ifdef HAVE_GLVF_FFMPEG
    if (!strcmp(opt.mode, "decode")) {
        int rc = bench_decode_check(&opt, input_desc, sizeof input_desc);
        if (rc)
            return rc;
    }
#endif

    /* The window is an X11 one: an EGL platform forced elsewhere (the test
     * environment's surfaceless) would make GLFW's eglGetDisplay fail. */
    const char *plat = getenv("EGL_PLATFORM");
    if (opt.egl && plat && strcmp(plat, "x11")) {
        fprintf(stderr, BENCH_NAME ": note: EGL_PLATFORM=%s ignored, the window needs x11\n",
                plat);
        setenv("EGL_PLATFORM", "x11", 1);
    }

    glfwSetErrorCallback(glfw_error);
    if (!glfwInit()) {
        fprintf(stderr, BENCH_NAME ": cannot initialise GLFW (no display? try "
                        "tests/harness/xvfb-run.sh glvf-bench ...)\n");
        return BENCH_EXIT_FAILED;
    }
    glfwWindowHint(GLFW_VISIBLE, opt.visible ? GLFW_TRUE : GLFW_FALSE);
    glfwWindowHint(GLFW_DOUBLEBUFFER, GLFW_TRUE);
    glfwWindowHint(GLFW_RESIZABLE, GLFW_FALSE);
    glfwWindowHint(GLFW_CONTEXT_CREATION_API,
                   opt.egl ? GLFW_EGL_CONTEXT_API : GLFW_NATIVE_CONTEXT_API);
    glfwWindowHint(GLFW_CLIENT_API, opt.gles ? GLFW_OPENGL_ES_API : GLFW_OPENGL_API);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, opt.gl_major);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, opt.gl_minor);
    if (!opt.gles) {
        glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
        glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    }
    char context_desc[96];
    snprintf(context_desc, sizeof context_desc, "%s %d.%d requested, %s",
             opt.gles ? "OpenGL ES" : "OpenGL core", opt.gl_major, opt.gl_minor,
             opt.egl ? "EGL" : "GLX");
    GLFWwindow *win = glfwCreateWindow(opt.window_w, opt.window_h, "glvf-bench", NULL, NULL);
    if (!win) {
        fprintf(stderr, BENCH_NAME ": cannot create a window with an %s context\n",
                context_desc);
        glfwTerminate();
        return BENCH_EXIT_FAILED;
    }
    glfwMakeContextCurrent(win);
    glfwSwapInterval(0);

    int status = BENCH_EXIT_OK;
    glvf_context *probe = glvf_context_create(glvf_context_params(
            .get_proc_address = bench_get_proc, .is_current = bench_is_current,
            .is_current_user = win, .log = bench_log,
            .log_level = opt.verbose ? GLVF_LOG_INFO : GLVF_LOG_WARN,
            .flags = GLVF_CONTEXT_IGNORE_ENV));
    if (!probe) {
        fprintf(stderr, BENCH_NAME ": glvf cannot use this context (%s)\n", context_desc);
        status = BENCH_EXIT_FAILED;
    } else {
        const glvf_caps *caps = glvf_context_get_caps(probe);
        bench_env env = {
            .opt = &opt,
            .probe = probe,
            .caps = caps,
            .gpu_timer = opt.gpu_timer && caps->timer_query,
            .context_desc = context_desc,
            .window = win,
            .get_proc = bench_get_proc,
            .is_current = bench_is_current,
            .cb_user = win,
            .log = bench_log,
            .input_desc = input_desc[0] ? input_desc : NULL,
        };
        int failures = mode->run(&env);
        if (failures == -BENCH_EXIT_STREAMS) {
            fprintf(stderr, BENCH_NAME ": some streams failed (see the report); the others "
                            "played\n");
            status = BENCH_EXIT_STREAMS;
        } else if (failures < 0) {
            status = BENCH_EXIT_FAILED;
        } else if (failures > 0) {
            fprintf(stderr, BENCH_NAME ": %d scenario%s failed\n", failures,
                    failures == 1 ? "" : "s");
            status = BENCH_EXIT_FAILED;
        }
        if (!glvf_context_destroy(&probe))
            status = BENCH_EXIT_FAILED;
    }
    glfwDestroyWindow(win);
    pin_loaded_libraries();
    glfwTerminate();
    return status;
}
