/* glvf-bench: the command line. Every error is one line on stderr starting
 * "glvf-bench:" and exit status 2; nothing touches the display before the
 * options are known to be good. */
#include "bench.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const strategy_names[BENCH_STRATEGY_COUNT] = {
    [BENCH_NAIVE] = "naive",
    [BENCH_CLIENT] = "client",
    [BENCH_PBO_ORPHAN] = "pbo-orphan",
    [BENCH_PBO_PERSISTENT] = "pbo-persistent",
    [BENCH_AUTO] = "auto",
};

const char *bench_strategy_name(bench_strategy s)
{
    return (unsigned)s < BENCH_STRATEGY_COUNT ? strategy_names[s] : "?";
}

glvf_upload_strategy bench_strategy_glvf(bench_strategy s)
{
    switch (s) {
    case BENCH_CLIENT: return GLVF_UPLOAD_CLIENT;
    case BENCH_PBO_ORPHAN: return GLVF_UPLOAD_PBO_ORPHAN;
    case BENCH_PBO_PERSISTENT: return GLVF_UPLOAD_PBO_PERSISTENT;
    default: return GLVF_UPLOAD_AUTO;
    }
}

static void usage_mode(FILE *f, const char *name, const char *what)
{
    const char *why = bench_mode_unavailable(name);
    fprintf(f, "%s\n", what);
    if (why)
        fprintf(f, "                        (not available in this build:\n"
                   "                        %s)\n", why);
}

void bench_usage(FILE *f)
{
    fprintf(f,
"usage: glvf-bench [upload|render|decode FILE] [OPTIONS]\n"
"\n"
"Measures how fast video frames reach OpenGL textures through glvf, in a\n"
"hidden GLFW window with vsync off, against a naive new-texture-per-frame\n"
"baseline and a memcpy of the same bytes timed in the same run.\n"
"\n"
"Modes (or --mode MODE):\n");
    usage_mode(f, "upload", "  upload                upload synthetic frames (default)");
    usage_mode(f, "render", "  render                upload each frame, then draw it to the window\n"
                            "                        with glvf_render and swap (naive skipped)");
    usage_mode(f, "decode", "  decode FILE           decode FILE with the FFmpeg module, direct\n"
                            "                        rendering on and off, upload, optionally draw");
    fprintf(f,
"\n"
"Render (render mode, decode --render):\n"
"  Each frame is drawn with glvf_render into the window's back buffer, fitted\n"
"  to it, bars cleared, then glfwSwapBuffers (swap interval 0). The window is\n"
"  hidden unless --visible; a test draw at start checks that its back buffer\n"
"  takes the drawing, and where it does not, frames go to an FBO the frame's\n"
"  size instead (said on stderr; no swap then, so render times leave out the\n"
"  completion of the draw). The naive strategy has no glvf frame to draw: it\n"
"  is skipped in render and decode modes (a note on stderr).\n"
"  --scaler bilinear|bicubic\n"
"                        glvf's scaler (default bilinear)\n"
"  --colour bt2020|pq|hlg\n"
"                        draw as BT.2020 SDR, BT.2020 PQ (HDR10, peak 1000\n"
"                        nits) or BT.2020 HLG (render parameters override the\n"
"                        frame's colour): the cost of the conversion and tone\n"
"                        mapping (default: the frame's own, BT.709 SDR for\n"
"                        synthetic frames)\n"
"  --tone-map bt2390|clip|hable|mobius\n"
"                        HDR to SDR curve with --colour pq|hlg (default bt2390)\n"
"  --window WxH          the window's size (default 1280x720; --quick 640x360)\n"
"  --offscreen           draw into an FBO the frame's size, not the window\n"
"\n"
"Decode (decode mode):\n"
"  The file is opened with glvf_ffmpeg_decoder_open, once per strategy x DR\n"
"  and repetition, with a glvf context of that upload strategy; frames go\n"
"  glvf_ffmpeg_decoder_next -> glvf_ffmpeg_upload (-> glvf_render) ->\n"
"  release, the file looping (seek to the start) until --frames/--seconds.\n"
"  --format and --size do not apply (the file decides).\n"
"  --input FILE          the file to decode (same as the positional FILE)\n"
"  --dr on|off|both      direct rendering into glvf staging memory: on =\n"
"                        GLVF_FFMPEG_DR_FORCE (any strategy), off = none\n"
"                        (default both: two scenarios per strategy)\n"
"  --render              also draw each decoded frame (as in render mode)\n"
"\n"
"Context:\n"
"  --api gl|gles         desktop OpenGL core profile or OpenGL ES (default gl)\n"
"  --context-api native|egl\n"
"                        GLX (native) or EGL context creation (default native)\n"
"  --gl-version X.Y      requested version (default 3.3 for gl, 3.0 for gles;\n"
"                        drivers may give a higher compatible one)\n"
"  --visible             show the window (hidden by default)\n"
"\n"
"Scenarios (LIST = comma-separated):\n"
"  --format LIST         formats (default yuv420p,nv12,yuv420p10,rgba); 'all'\n"
"                        for every format of glvf's table\n"
"  --size LIST           WxH, 720p, 1080p, 1440p, 4k (default 1080p,4k)\n"
"  --strategy LIST       naive, client, pbo-orphan, pbo-persistent, auto, or\n"
"                        all (default all). naive = glGenTextures + glTexImage2D\n"
"                        per plane for every frame, deleted once the next frame\n"
"                        is up: the common way, and the point of comparison\n"
"  --frames N            measured frames per repetition (default 120)\n"
"  --seconds S           measure S seconds per repetition instead of N frames\n"
"  --repeat N            best of N interleaved repetitions (default 3)\n"
"  --warmup N            untimed frames before each measurement (default 8,\n"
"                        --quick 4; decode mode 30, --quick 12)\n"
"  --source-mb N         the distinct source frames rotated through total at\n"
"                        least N MiB, more than the CPU caches (default 64)\n"
"  --gpu-frames N        frames of the separate GPU pass (default 60, --quick\n"
"                        10; 0 = no GPU pass)\n"
"  --no-gpu-timer        no GPU pass: no GL_TIME_ELAPSED query at all\n"
"  --quick               short smoke run: yuv420p,nv12 at 640x360, 20 frames,\n"
"                        1 repetition (explicit options win)\n"
"\n"
"Output:\n"
"  a table on stdout (on stderr when --json or --csv is '-'), headed by the\n"
"  renderer and GL version\n"
"  --json FILE|-         one record per scenario\n"
"  --csv FILE|-          the same records as CSV\n"
"  --progress, --no-progress\n"
"                        progress line on stderr (default: when it is a tty)\n"
"  -v, --verbose         glvf's log at info level\n"
"  -h, --help, --version\n"
"\n"
"Two passes per scenario:\n"
"  timing pass  the --repeat interleaved repetitions. Each timed loop holds\n"
"               the frames' work and clock reads (per frame, and around the\n"
"               draw in render mode), nothing else: no timer query, no stats\n"
"               or /proc read (taken before and after), one glFinish at the\n"
"               end, inside the clock (throughput counts completed GL work).\n"
"               Every figure but the GPU times comes from it.\n"
"  GPU pass     after the repetitions, per scenario: a fresh context, the\n"
"               warm-up, then --gpu-frames frames with a GL_TIME_ELAPSED\n"
"               query around each. Only the gpupass columns (gpu_pass_* in\n"
"               JSON/CSV) come from it; gpu_pass_fps, the throughput of this\n"
"               short pass with its queries, is no benchmark figure: it only\n"
"               hints at what the queries cost.\n"
"\n"
"Per scenario (timing pass): fps, GB/s, ratio to memcpy (the strategy's\n"
"throughput over memcpy's; 1 = as fast as copying the bytes once), p50/p99\n"
"CPU ms per frame (upload + collect + release), GL objects created per\n"
"steady-state frame (glvf's statistics; for naive the textures it\n"
"generates), heap allocations per steady-state frame (glvf's own\n"
"allocations, glvf_alloc_count(): not the driver's nor libc's in general),\n"
"resident memory growth from the end of the warm-up to the end of the run\n"
"(largest over the repetitions). GPU pass: p50/p99 GPU ms per frame\n"
"(null with --no-gpu-timer or where the context has no timer queries).\n"
"Render mode: the frame's CPU time and the GPU pass's query cover upload,\n"
"draw and swap; render_p50_ms/render_p99_ms time glvf_render + swap alone.\n"
"Decode mode: fps is decode + upload (+ draw) throughput, the frame's CPU\n"
"time includes waiting for the decoder (and the seek where the file loops),\n"
"the GPU pass's query covers upload (+ draw); no memcpy ratio (null); heap\n"
"allocations count the core's and the FFmpeg module's; dr_frames and\n"
"dr_fallbacks are the decoder's counters over the best repetition, warm-up\n"
"included (pictures decoded into glvf staging memory, and those FFmpeg\n"
"allocated itself while DR was on).\n"
"Figures are ratios measured in one run; compare rows of the same run.\n"
"\n"
"Exit status: 0 ok, 1 a scenario or the GL setup failed, 2 bad options,\n"
"3 mode not available in this build.\n");
}

#define ERR(...)                                                                           \
    do {                                                                                   \
        fprintf(stderr, BENCH_NAME ": " __VA_ARGS__);                                      \
        fputc('\n', stderr);                                                               \
        return BENCH_EXIT_USAGE;                                                           \
    } while (0)

static bool parse_int(const char *s, long min, long max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *out = (int)v;
    return true;
}

static bool parse_size(const char *s, bench_size *out)
{
    static const struct { const char *name; int w, h; } named[] = {
        { "360p", 640, 360 }, { "480p", 854, 480 }, { "720p", 1280, 720 },
        { "1080p", 1920, 1080 }, { "1440p", 2560, 1440 }, { "4k", 3840, 2160 },
        { "2160p", 3840, 2160 }, { "4K", 3840, 2160 },
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (!strcmp(s, named[i].name)) {
            out->w = named[i].w;
            out->h = named[i].h;
            return true;
        }
    const char *x = strchr(s, 'x');
    if (!x || x == s)
        return false;
    char wbuf[16];
    size_t n = (size_t)(x - s);
    if (n >= sizeof wbuf)
        return false;
    memcpy(wbuf, s, n);
    wbuf[n] = 0;
    return parse_int(wbuf, 1, 16384, &out->w) && parse_int(x + 1, 1, 16384, &out->h);
}

static void list_formats(FILE *f)
{
    for (int i = 1; i < GLVF_FORMAT_COUNT; i++)
        fprintf(f, "%s%s", i > 1 ? ", " : "", glvf_format_name((glvf_format)i));
}

/* Splits a comma-separated list; calls fn for each item. */
static int parse_list(const char *list, const char *what, int (*fn)(bench_options *, const char *),
                      bench_options *o)
{
    if (!*list)
        ERR("empty %s list", what);
    char buf[1024];
    if (strlen(list) >= sizeof buf)
        ERR("%s list too long", what);
    strcpy(buf, list);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int r = fn(o, t);
        if (r)
            return r;
    }
    return 0;
}

static int add_format(bench_options *o, const char *name)
{
    if (!strcmp(name, "all")) {
        for (int i = 1; i < GLVF_FORMAT_COUNT && o->nformats < BENCH_MAX_LIST; i++)
            o->formats[o->nformats++] = (glvf_format)i;
        return 0;
    }
    int f = glvf_format_parse(name);
    if (f < 0) {
        fprintf(stderr, BENCH_NAME ": unknown format '%s' (known: ", name);
        list_formats(stderr);
        fprintf(stderr, ", all)\n");
        return BENCH_EXIT_USAGE;
    }
    if (o->nformats >= BENCH_MAX_LIST)
        ERR("too many formats (at most %d)", BENCH_MAX_LIST);
    o->formats[o->nformats++] = f;
    return 0;
}

static int add_size(bench_options *o, const char *s)
{
    bench_size sz;
    if (!parse_size(s, &sz))
        ERR("bad size '%s' (expected WxH with W and H in 1..16384, or 360p, 480p, 720p, "
            "1080p, 1440p, 4k)", s);
    if (o->nsizes >= BENCH_MAX_LIST)
        ERR("too many sizes (at most %d)", BENCH_MAX_LIST);
    o->sizes[o->nsizes++] = sz;
    return 0;
}

static int add_strategy(bench_options *o, const char *s)
{
    if (!strcmp(s, "all")) {
        for (int i = 0; i < BENCH_STRATEGY_COUNT; i++)
            add_strategy(o, strategy_names[i]);
        return 0;
    }
    for (int i = 0; i < BENCH_STRATEGY_COUNT; i++) {
        if (strcmp(s, strategy_names[i]))
            continue;
        for (int k = 0; k < o->nstrategies; k++)
            if (o->strategies[k] == (bench_strategy)i)
                return 0; /* listed twice: once is enough */
        o->strategies[o->nstrategies++] = (bench_strategy)i;
        return 0;
    }
    ERR("unknown strategy '%s' (known: naive, client, pbo-orphan, pbo-persistent, auto, all)",
        s);
}

int bench_options_parse(bench_options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->argc = argc;
    o->argv = argv;
    o->frames = -1;
    o->seconds = -1;
    o->repeats = -1;
    o->warmup = -1;
    o->progress = -1;
    o->gpu_timer = true;
    o->gpu_frames = -1;
    o->dr = 2;
    long source_mb = -1;
    bool have_formats = false, have_sizes = false, have_strategies = false;
    bool have_scaler = false, have_dr = false;
    const char *positional_mode = NULL;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = NULL;
        char name[64];
        /* --opt=value as well as --opt value */
        const char *eq = !strncmp(arg, "--", 2) ? strchr(arg, '=') : NULL;
        if (eq) {
            size_t n = (size_t)(eq - arg);
            if (n >= sizeof name)
                ERR("unknown option '%s' (see --help)", arg);
            memcpy(name, arg, n);
            name[n] = 0;
            val = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", arg);
        }
#define IS(opt) (!strcmp(name, (opt)))
#define VALUE()                                                                            \
    do {                                                                                   \
        if (!val) {                                                                        \
            if (i + 1 >= argc)                                                             \
                ERR("option %s needs a value (see --help)", name);                         \
            val = argv[++i];                                                               \
        }                                                                                  \
    } while (0)
#define NOVALUE()                                                                          \
    do {                                                                                   \
        if (val)                                                                           \
            ERR("option %s takes no value", name);                                         \
    } while (0)
        int r = 0;
        if (IS("-h") || IS("--help")) {
            bench_usage(stdout);
            return -1;
        } else if (IS("--version")) {
            printf("glvf-bench %s\n", glvf_version());
            return -1;
        } else if (IS("--api")) {
            VALUE();
            if (!strcmp(val, "gl"))
                o->gles = false;
            else if (!strcmp(val, "gles"))
                o->gles = true;
            else
                ERR("unknown --api '%s' (gl or gles)", val);
        } else if (IS("--context-api")) {
            VALUE();
            if (!strcmp(val, "native") || !strcmp(val, "glx"))
                o->egl = false;
            else if (!strcmp(val, "egl"))
                o->egl = true;
            else
                ERR("unknown --context-api '%s' (native or egl)", val);
        } else if (IS("--gl-version")) {
            VALUE();
            int ma = 0, mi = 0, n = 0;
            if (sscanf(val, "%d.%d%n", &ma, &mi, &n) != 2 || val[n] || ma < 1 || ma > 9 ||
                mi < 0 || mi > 9)
                ERR("bad --gl-version '%s' (expected X.Y, e.g. 3.3, 4.5, 3.0)", val);
            o->gl_major = ma;
            o->gl_minor = mi;
        } else if (IS("--visible")) {
            NOVALUE();
            o->visible = true;
        } else if (IS("--mode")) {
            VALUE();
            o->mode = val;
        } else if (IS("--input")) {
            VALUE();
            o->input = val;
        } else if (IS("--dr")) {
            VALUE();
            if (!strcmp(val, "off"))
                o->dr = 0;
            else if (!strcmp(val, "on"))
                o->dr = 1;
            else if (!strcmp(val, "both"))
                o->dr = 2;
            else
                ERR("bad --dr '%s' (on, off or both)", val);
            have_dr = true;
        } else if (IS("--render")) {
            NOVALUE();
            o->decode_render = true;
        } else if (IS("--scaler")) {
            VALUE();
            if (!strcmp(val, "bilinear"))
                o->scaler = GLVF_SCALER_BILINEAR;
            else if (!strcmp(val, "bicubic"))
                o->scaler = GLVF_SCALER_BICUBIC;
            else
                ERR("unknown --scaler '%s' (bilinear or bicubic)", val);
            have_scaler = true;
        } else if (IS("--colour") || IS("--color")) {
            VALUE();
            o->primaries = GLVF_PRIMARIES_BT2020;
            o->colour = val;
            if (!strcmp(val, "bt2020"))
                o->transfer = GLVF_TRANSFER_BT709;
            else if (!strcmp(val, "pq"))
                o->transfer = GLVF_TRANSFER_PQ;
            else if (!strcmp(val, "hlg"))
                o->transfer = GLVF_TRANSFER_HLG;
            else
                ERR("unknown --colour '%s' (bt2020, pq or hlg)", val);
        } else if (IS("--tone-map")) {
            VALUE();
            static const char *curves[] = { "", "bt2390", "clip", "hable", "mobius" };
            o->tone_map = GLVF_TONE_MAP_AUTO;
            for (int c = 1; c < 5; c++)
                if (!strcmp(val, curves[c]))
                    o->tone_map = (glvf_tone_map)c;
            if (!o->tone_map)
                ERR("unknown --tone-map '%s' (bt2390, clip, hable or mobius)", val);
        } else if (IS("--window")) {
            VALUE();
            bench_size ws;
            if (!parse_size(val, &ws))
                ERR("bad --window '%s' (expected WxH with W and H in 1..16384, or 720p, ...)",
                    val);
            o->window_w = ws.w;
            o->window_h = ws.h;
        } else if (IS("--offscreen")) {
            NOVALUE();
            o->offscreen = true;
        } else if (IS("--format") || IS("--formats")) {
            VALUE();
            if (!have_formats)
                o->nformats = 0;
            have_formats = true;
            r = parse_list(val, "format", add_format, o);
        } else if (IS("--size") || IS("--sizes")) {
            VALUE();
            if (!have_sizes)
                o->nsizes = 0;
            have_sizes = true;
            r = parse_list(val, "size", add_size, o);
        } else if (IS("--strategy") || IS("--strategies")) {
            VALUE();
            if (!have_strategies)
                o->nstrategies = 0;
            have_strategies = true;
            r = parse_list(val, "strategy", add_strategy, o);
        } else if (IS("--frames")) {
            VALUE();
            if (!parse_int(val, 1, 1000000, &o->frames))
                ERR("bad --frames '%s' (1..1000000)", val);
            o->seconds = -1;
        } else if (IS("--seconds")) {
            VALUE();
            char *end;
            errno = 0;
            double s = strtod(val, &end);
            if (errno || end == val || *end || !(s > 0 && s <= 3600))
                ERR("bad --seconds '%s' (a number in (0, 3600])", val);
            o->seconds = s;
            o->frames = -1;
        } else if (IS("--repeat") || IS("--repeats")) {
            VALUE();
            if (!parse_int(val, 1, 100, &o->repeats))
                ERR("bad --repeat '%s' (1..100)", val);
        } else if (IS("--warmup")) {
            VALUE();
            if (!parse_int(val, 1, 10000, &o->warmup))
                ERR("bad --warmup '%s' (1..10000)", val);
        } else if (IS("--source-mb")) {
            VALUE();
            int mb;
            if (!parse_int(val, 1, 65536, &mb))
                ERR("bad --source-mb '%s' (1..65536)", val);
            source_mb = mb;
        } else if (IS("--no-gpu-timer")) {
            NOVALUE();
            o->gpu_timer = false;
        } else if (IS("--gpu-frames")) {
            VALUE();
            if (!parse_int(val, 0, BENCH_MAX_TIMED_FRAMES, &o->gpu_frames))
                ERR("bad --gpu-frames '%s' (0..%d)", val, BENCH_MAX_TIMED_FRAMES);
        } else if (IS("--quick")) {
            NOVALUE();
            o->quick = true;
        } else if (IS("--progress")) {
            NOVALUE();
            o->progress = 1;
        } else if (IS("--no-progress")) {
            NOVALUE();
            o->progress = 0;
        } else if (IS("--json")) {
            VALUE();
            if (!*val)
                ERR("--json needs a file name or '-'");
            o->json_path = val;
        } else if (IS("--csv")) {
            VALUE();
            if (!*val)
                ERR("--csv needs a file name or '-'");
            o->csv_path = val;
        } else if (IS("-v") || IS("--verbose")) {
            NOVALUE();
            o->verbose = true;
        } else if (arg[0] == '-' && arg[1]) {
            ERR("unknown option '%s' (see --help)", arg);
        } else if (!positional_mode) {
            positional_mode = arg;
            if (!strcmp(arg, "decode") && i + 1 < argc && argv[i + 1][0] != '-')
                o->input = argv[++i];
        } else {
            ERR("unexpected argument '%s' (see --help)", arg);
        }
        if (r)
            return r;
#undef IS
#undef VALUE
#undef NOVALUE
    }

    if (positional_mode && o->mode && strcmp(positional_mode, o->mode))
        ERR("mode given twice ('%s' and --mode %s)", positional_mode, o->mode);
    if (!o->mode)
        o->mode = positional_mode ? positional_mode : "upload";
    if (strcmp(o->mode, "upload") && strcmp(o->mode, "render") && strcmp(o->mode, "decode"))
        ERR("unknown mode '%s' (upload, render or decode FILE)", o->mode);
    if (!strcmp(o->mode, "decode") && !o->input)
        ERR("decode needs a FILE: glvf-bench decode FILE (or --input FILE)");
    bool decode = !strcmp(o->mode, "decode"), render = !strcmp(o->mode, "render");
    if (!decode && o->input)
        ERR("--input is for decode mode only");
    if (!decode && have_dr)
        ERR("--dr is for decode mode only");
    if (!decode && o->decode_render)
        ERR("--render is for decode mode (to draw uploads: --mode render)");
    if (decode && (have_formats || have_sizes))
        ERR("--format and --size do not apply to decode mode (the file decides)");
    bool draws = render || (decode && o->decode_render);
    if (!o->gpu_timer && o->gpu_frames > 0)
        ERR("--gpu-frames with --no-gpu-timer: there is no GPU pass");
    if (!draws && (have_scaler || o->offscreen || o->colour || o->tone_map))
        ERR("--%s is for render mode and decode --render",
            have_scaler ? "scaler" : o->offscreen ? "offscreen" : o->colour ? "colour" : "tone-map");
    if (o->tone_map && o->transfer != GLVF_TRANSFER_PQ && o->transfer != GLVF_TRANSFER_HLG)
        ERR("--tone-map needs --colour pq or hlg");
    if (o->json_path && o->csv_path && !strcmp(o->json_path, "-") && !strcmp(o->csv_path, "-"))
        ERR("--json - and --csv - cannot both write to stdout");

    /* defaults; --quick only fills in what was not given */
    if (!have_formats) {
        static const glvf_format def[] = { GLVF_FORMAT_YUV420P, GLVF_FORMAT_NV12,
                                           GLVF_FORMAT_YUV420P10, GLVF_FORMAT_RGBA8 };
        int n = o->quick ? 2 : 4;
        for (int k = 0; k < n; k++)
            o->formats[o->nformats++] = def[k];
    }
    if (!have_sizes) {
        if (o->quick) {
            o->sizes[o->nsizes++] = (bench_size){ 640, 360 };
        } else {
            o->sizes[o->nsizes++] = (bench_size){ 1920, 1080 };
            o->sizes[o->nsizes++] = (bench_size){ 3840, 2160 };
        }
    }
    if (!have_strategies)
        add_strategy(o, "all");
    if (render || decode) {
        /* no glvf frame to draw, no glvf upload of a decoded frame */
        int n = 0;
        for (int k = 0; k < o->nstrategies; k++) {
            if (o->strategies[k] == BENCH_NAIVE)
                o->naive_skipped = render || have_strategies; /* noted on stderr */
            else
                o->strategies[n++] = o->strategies[k];
        }
        o->nstrategies = n;
        if (!n)
            ERR("the naive strategy has no glvf frame to draw or decode into: %s mode "
                "needs a glvf strategy (client, pbo-orphan, pbo-persistent, auto)", o->mode);
    }
    if (!o->window_w) {
        o->window_w = o->quick ? 640 : 1280;
        o->window_h = o->quick ? 360 : 720;
    }
    if (o->frames < 0 && o->seconds < 0)
        o->frames = o->quick ? 20 : 120;
    if (o->repeats < 0)
        o->repeats = o->quick ? 1 : 3;
    if (o->gpu_frames < 0)
        o->gpu_frames = o->quick ? 10 : 60;
    if (!o->gpu_frames)
        o->gpu_timer = false;
    if (o->warmup < 0) {
        /* decode: past the decoder's start (queue, threads, the staging
         * regions DR asks for) and through one loop of a short file */
        if (decode)
            o->warmup = o->quick ? 12 : 30;
        else
            o->warmup = o->quick ? 4 : 8;
    }
    if (source_mb < 0)
        source_mb = 64;
    o->source_bytes = (size_t)source_mb << 20;
    if (!o->gl_major) {
        o->gl_major = 3;
        o->gl_minor = o->gles ? 0 : 3;
    }
    if (o->gles ? o->gl_major < 3 : (o->gl_major < 3 || (o->gl_major == 3 && o->gl_minor < 3)))
        ERR("--gl-version %d.%d: glvf needs desktop GL 3.3 or GLES 3.0 at least", o->gl_major,
            o->gl_minor);
    return BENCH_EXIT_OK;
}
