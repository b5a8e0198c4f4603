/*
 * glvf-player [OPTIONS] [FILE]: a GTK4 video player built on glvf.
 *
 * The command line is parsed here with GOptionContext, before the
 * GtkApplication runs, so that every failure is one line starting
 * "glvf-player:" and exit status 2 (GApplication's own parser prints bare
 * messages). The application has no ID: each run is its own instance and
 * needs no D-Bus session (runs under Xvfb, in CI, side by side).
 *
 * Exit status: 0 success, 1 the file could not be played (or GL, the
 * screenshot, ... failed), 2 bad command line. With --stats the final
 * statistics go to stdout as key=value lines, ending with leaked_objects=N.
 *
 * --output paintable (the default): once the window is gone, the main
 * context is iterated until every GlvfVideoPaintable worker has ended
 * (glvf_gtk4_get_totals; at most WORKERS_TIMEOUT_MS): their glvf contexts
 * are destroyed then, and what they still held is the leak count.
 * --output area: the window's teardown released everything; an open still
 * in flight was cancelled (its thread, which nobody joins, gets at most
 * OPENERS_GRACE_MS to end).
 */
#include "player.h"

#include <libavutil/log.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORKERS_TIMEOUT_MS 5000
#define OPENERS_GRACE_MS 300

static player_options opts;
static char **file_args;
static player_window *the_window;
static player_wall *the_wall;

static void on_activate(GApplication *app, gpointer data)
{
    (void)data;
    if (the_window || the_wall) {
        gtk_window_present(gtk_application_get_active_window(GTK_APPLICATION(app)));
        return;
    }
    if (opts.wall) {
        the_wall = player_wall_new(GTK_APPLICATION(app), &opts, (const char *const *)file_args);
        return;
    }
    the_window = player_window_new(GTK_APPLICATION(app), &opts, (const char *const *)file_args);
}

static int usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_printerr(PLAYER_NAME ": %s (see --help)\n", msg);
    g_free(msg);
    return PLAYER_EXIT_USAGE;
}

static bool parse_size(const char *s, int *w, int *h)
{
    char *end = NULL;
    long a = strtol(s, &end, 10);
    if (end == s || (*end != 'x' && *end != 'X'))
        return false;
    const char *q = end + 1;
    long b = strtol(q, &end, 10);
    if (end == q || *end || a < 64 || b < 64 || a > 16384 || b > 16384)
        return false;
    *w = (int)a;
    *h = (int)b;
    return true;
}

static void print_stats(const player_stats *s)
{
    bool area = !strcmp(s->output, "area");
    printf("output=%s\n", s->output);
    printf("colour=%s\n", s->colour);
    printf("presented=%llu\n", (unsigned long long)s->presented);
    printf("dropped=%llu\n", (unsigned long long)s->dropped);
    printf("upload_failures=%llu\n", (unsigned long long)s->upload_failures);
    printf("upload_strategy=%s\n", s->upload_strategy);
    printf("direct_rendering=%s\n", s->dr ? "on" : "off");
    printf("dr_frames=%llu\n", (unsigned long long)s->dr_frames);
    printf("dr_fallbacks=%llu\n", (unsigned long long)s->dr_fallbacks);
    printf("pool_bytes=%llu\n", (unsigned long long)s->pool_bytes);
    printf("queue_capacity=%d\n", s->queue_capacity);
    printf("decode_errors=%llu\n", (unsigned long long)s->decode_errors);
    printf("frame_clock_hz=%.1f\n", s->tick_hz);
    if (area) {
        printf("widget_render_ms=%.2f\n", s->widget_render_ms);
        printf("widget_upload_ms=%.2f\n", s->upload_ms);
    } else {
        printf("frames_painted=%llu\n", (unsigned long long)s->frames_painted);
        printf("frames_decoded=%llu\n", (unsigned long long)s->frames_decoded);
        printf("frames_converted=%llu\n", (unsigned long long)s->frames_converted);
        printf("frames_late=%llu\n", (unsigned long long)s->frames_late);
        printf("frames_replaced=%llu\n", (unsigned long long)s->frames_replaced);
        printf("upload_ms=%.2f\n", s->upload_ms);
        printf("convert_ms=%.2f\n", s->convert_ms);
        printf("texture_size=%dx%d\n", s->texture_w, s->texture_h);
    }
    printf("renderer=%s\n", s->renderer[0] ? s->renderer : "none");
    printf("gl_api=%s\n", !s->gl_major ? "none" : s->gl_es ? "gles" : "gl");
    printf("gl_version=%d.%d\n", s->gl_major, s->gl_minor);
    printf("position_ms=%lld\n", (long long)(s->position_us / 1000));
    printf("window=%dx%d\n", s->window_w, s->window_h);
    printf("video_widget=%dx%d\n", s->video_w, s->video_h);
    printf("display_size=%dx%d\n", s->display_w, s->display_h);
    printf("audio=%s\n", s->audio);
    printf("audio_codec=%s\n", s->audio_codec[0] ? s->audio_codec : "none");
    printf("clock=%s\n", s->audio_clock ? "audio" : "video");
    printf("audio_latency_ms=%.1f\n", s->audio_latency_ms);
    printf("audio_underruns=%llu\n", (unsigned long long)s->audio_underruns);
    printf("volume=%d\n", (int)(s->volume * 100 + 0.5));
    printf("muted=%s\n", s->muted ? "yes" : "no");
    printf("context_destroyed=%s\n", s->context_destroyed ? "yes" : "no");
    if (area) {
        printf("live_before_teardown=%llu\n", (unsigned long long)s->live_before_teardown);
        printf("leaked_held=%llu\n", (unsigned long long)s->leaked_held);
        printf("leaked_gl_objects=%llu\n", (unsigned long long)s->leaked_gl_objects);
    }
    printf("leaked_objects=%llu\n",
           (unsigned long long)(s->leaked_held + s->leaked_gl_objects));
}

static void print_benchmark(const player_stats *s)
{
    double fps = s->bench_seconds > 0 ? (double)s->bench_frames / s->bench_seconds : 0;
    printf("frames=%llu seconds=%.3f fps=%.1f\n", (unsigned long long)s->bench_frames,
           s->bench_seconds, fps);
    if (strcmp(s->output, "area")) {
        /* paintable: the worker's mean times per frame; frames are those
         * GTK painted, from the first shown */
        printf("upload_ms=%.3f convert_ms=%.3f\n", s->bench_upload_ms, s->bench_render_ms);
        printf("output=%s texture=%dx%d renderer=%s\n", s->output, s->bench_w, s->bench_h,
               s->renderer);
        return;
    }
    /* decode: CPU time of the decoder's threads; upload, render (with
     * glFinish), wait (for the decoder) and other (GTK's painting and
     * events): main-thread wall time */
    if (s->bench_cpu_valid)
        printf("decode_ms=%.3f ", s->bench_cpu_decode_ms);
    printf("upload_ms=%.3f render_ms=%.3f wait_ms=%.3f other_ms=%.3f\n", s->bench_upload_ms,
           s->bench_render_ms, s->bench_wait_ms, s->bench_other_ms);
    if (s->bench_cpu_valid)
        printf("cpu_main_ms=%.3f cpu_raster_ms=%.3f ", s->bench_cpu_main_ms,
               s->bench_cpu_raster_ms);
    printf("target=%dx%d renderer=%s output=%s\n", s->bench_w, s->bench_h, s->renderer,
           s->output);
}

static void print_wall_stats(const player_wall_stats *s, const GlvfGtk4Totals *t, bool ended)
{
    /* one line per tile (keys repeat across lines: read them per line) */
    uint64_t min_presented = UINT64_MAX;
    guint failed = 0;
    for (guint i = 0; i < s->tiles; i++) {
        const player_wall_tile_stats *ts = &s->tile[i];
        printf("tile=%u presented=%llu dropped=%llu late=%llu replaced=%llu painted=%llu "
               "decoded=%llu "
               "upload_failures=%llu texture=%dx%d failed=%s file=%s%s%s\n",
               i, (unsigned long long)ts->presented, (unsigned long long)ts->dropped,
               (unsigned long long)ts->late, (unsigned long long)ts->replaced,
               (unsigned long long)ts->painted, (unsigned long long)ts->decoded,
               (unsigned long long)ts->upload_failures, ts->texture_w, ts->texture_h,
               ts->failed ? "yes" : "no", ts->file, ts->failed ? " error=" : "",
               ts->failed ? ts->error : "");
        if (ts->failed)
            failed++;
        else if (ts->presented < min_presented)
            min_presented = ts->presented;
    }
    printf("output=wall\n");
    printf("tiles=%u\n", s->tiles);
    printf("tiles_failed=%u\n", failed);
    printf("presented_min=%llu\n",
           (unsigned long long)(min_presented == UINT64_MAX ? 0 : min_presented));
    printf("shared_workers=%u\n", s->workers);
    printf("worker_threads_started=%llu\n", (unsigned long long)s->worker_threads_started);
    printf("worker_paintables_max=%u\n", s->max_paintables);
    printf("worker_jobs=%llu\n", (unsigned long long)s->worker_jobs);
    printf("glvf_contexts=%llu\n", (unsigned long long)t->contexts_made);
    printf("pool_bytes=%llu\n", (unsigned long long)s->pool_bytes);
    printf("renderer=%s\n", s->renderer[0] ? s->renderer : "none");
    printf("context_destroyed=%s\n", ended ? "yes" : "no");
    printf("leaked_objects=%llu\n", (unsigned long long)t->leaked_objects);
}

/* Runs the main context until every paintable worker has ended. */
static bool wait_workers(void)
{
    gint64 end = g_get_monotonic_time() + WORKERS_TIMEOUT_MS * 1000;
    for (;;) {
        GlvfGtk4Totals t;
        glvf_gtk4_get_totals(&t);
        if (!t.workers_running) {
            glvf_gtk4_join_workers(); /* none still exiting at our exit */
            /* an open still running (cancelled: it ends at its next I/O
             * poll) must not be inside FFmpeg while the process exits; one
             * blocked in the kernel (a FIFO) is left behind after a moment */
            gint64 openers_end = g_get_monotonic_time() + OPENERS_GRACE_MS * 1000;
            while (t.openers_running && g_get_monotonic_time() < openers_end) {
                g_usleep(2000);
                glvf_gtk4_get_totals(&t);
            }
            return true;
        }
        if (g_get_monotonic_time() > end)
            return false;
        if (!g_main_context_iteration(NULL, FALSE))
            g_usleep(2000);
    }
}

int main(int argc, char **argv)
{
    int frames = 0;
    gboolean benchmark = FALSE, stats = FALSE, verbose = FALSE, version = FALSE;
    gboolean fullscreen = FALSE;
    int network_timeout = 15;
    gboolean no_audio = FALSE, trace_frames = FALSE, wall = FALSE;
    int volume = 100;
    char *screenshot = NULL, *size = NULL, *dr = NULL, *output = NULL;
    char **rest = NULL;
    const GOptionEntry entries[] = {
        { "frames", 0, 0, G_OPTION_ARG_INT, &frames, "Quit after N presented frames", "N" },
        { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, &screenshot,
          "At quit, write the picture shown as PNG (paintable: the texture GTK shows; area: "
          "what the video area last rendered, read back from its framebuffer)",
          "FILE.png" },
        { "benchmark", 0, 0, G_OPTION_ARG_NONE, &benchmark,
          "Untimed: every frame as fast as possible; print frames=N seconds=S fps=F and where "
          "the time went",
          NULL },
        { "stats", 0, 0, G_OPTION_ARG_NONE, &stats,
          "Print final statistics at exit (ends with leaked_objects=N)", NULL },
        { "size", 0, 0, G_OPTION_ARG_STRING, &size, "Window size (default: the first video's size, at most 90% of the screen)", "WxH" },
        { "fullscreen", 0, 0, G_OPTION_ARG_NONE, &fullscreen, "Start in fullscreen", NULL },
        { "network-timeout", 0, 0, G_OPTION_ARG_INT, &network_timeout,
          "URLs: give up when the server sends nothing for this long (default 15; 0: wait)",
          "SECONDS" },
        { "output", 0, 0, G_OPTION_ARG_STRING, &output,
          "Video output: paintable (default: GtkPicture + GlvfMediaStream, decoding, "
          "conversion and pacing off the main thread) or area (GlvfVideoArea, paced on the "
          "main thread)",
          "paintable|area" },
        { "dr", 0, 0, G_OPTION_ARG_STRING, &dr,
          "Direct rendering: auto (default), on (forced), off", "MODE" },
        { "no-audio", 0, 0, G_OPTION_ARG_NONE, &no_audio,
          "No sound (by default the audio stream plays through PulseAudio or pipewire-pulse "
          "and its clock paces the video)",
          NULL },
        { "volume", 0, 0, G_OPTION_ARG_INT, &volume, "Sound volume, 0 to 100 (default 100)",
          "N" },
        { "trace-frames", 0, 0, G_OPTION_ARG_NONE, &trace_frames,
          "Print 'frame t_us=T luma=L' on stdout for each frame shown (T: the "
          "monotonic clock, L: the mean luma of the picture's centre; for A/V sync tests)",
          NULL },
        { "wall", 0, 0, G_OPTION_ARG_NONE, &wall,
          "Show the FILEs as a grid, each tile playing muted and looping, all converted on "
          "one shared GL context and texture pool; a click plays one alone with sound, a "
          "click or Escape goes back (--output paintable only)",
          NULL },
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log glvf and FFmpeg details", NULL },
        { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
        { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, "[FILE...]" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    /* GOption adds the FILE argument itself */
    GOptionContext *oc = g_option_context_new("- play a video with glvf");
    g_option_context_set_summary(
            oc, "Plays FILE (a local file, or a URL: http, https, rtsp, ...) in a GTK4 window\n"
                "through glvf.\n"
                "Without FILE, plays a sample clip made on first use in the user's cache\n"
                "directory.\n\n"
                "Several FILEs make a playlist: each starts when the one before ends.\n"
                "With --wall they play side by side as a grid instead (muted, looping):\n"
                "click a tile to play it alone with sound, click or Escape to go back;\n"
                "space pauses or plays every tile.\n\n"
                "Keys: space play/pause, Left/Right seek 5 s (Shift: 1 s), . next frame,\n"
                "n/p next/previous file, 9/0 volume down/up, m mute, f/F11/double click\n"
                "fullscreen, i statistics, o open, ? all keys, q quit.\n"
                "In fullscreen the controls and the pointer hide after 2 s without motion\n"
                "while playing; moving the pointer shows them.\n\n"
                "Sound (--output paintable): through PulseAudio's client library (PipeWire:\n"
                "pipewire-pulse); the audio clock paces the video. With no sound server the\n"
                "video plays alone (said once on stderr).");
    g_option_context_set_description(
            oc, "Exit status: 0 success, 1 the video could not be played, 2 bad usage.\n"
                "Automation (--frames, --screenshot, --benchmark): the window closes by itself\n"
                "at the frame limit or the end of the file, and at once on an error.\n"
                "--wall: once every tile that plays has shown --frames N frames (30 with\n"
                "--screenshot alone); the screenshot is the grid, --stats a line per tile.");
    g_option_context_add_main_entries(oc, entries, NULL);
    /* GTK's own options (--display, ...) are not needed: GDK reads the
     * environment */
    GError *err = NULL;
    if (!g_option_context_parse(oc, &argc, &argv, &err)) {
        int r = usage_error("%s", err->message);
        g_error_free(err);
        g_option_context_free(oc);
        return r;
    }
    g_option_context_free(oc);
    int status = PLAYER_EXIT_OK;
    if (version) {
        printf(PLAYER_NAME " %s (glvf-ffmpeg %s, GTK %u.%u.%u)\n", glvf_version(),
               glvf_ffmpeg_version(), gtk_get_major_version(), gtk_get_minor_version(),
               gtk_get_micro_version());
        goto out;
    }
    for (int i = 0; rest && rest[i]; i++) {
        if (!rest[i][0]) {
            status = usage_error("empty FILE name");
            goto out;
        }
    }
    if (frames < 0) {
        status = usage_error("--frames must be positive (got %d)", frames);
        goto out;
    }
    opts.frames = frames;
    opts.screenshot = screenshot;
    opts.benchmark = benchmark;
    opts.stats = stats;
    opts.verbose = verbose;
    opts.fullscreen = fullscreen;
    if (network_timeout < 0 || network_timeout > 3600) {
        status = usage_error("--network-timeout must be 0 to 3600 seconds (got %d)",
                             network_timeout);
        goto out;
    }
    opts.network_timeout_ms = network_timeout * 1000;
    opts.no_audio = no_audio;
    opts.trace_frames = trace_frames;
    if (volume < 0 || volume > 100) {
        status = usage_error("--volume must be 0 to 100 (got %d)", volume);
        goto out;
    }
    opts.volume = volume;
    if (size && !parse_size(size, &opts.width, &opts.height)) {
        status = usage_error("bad --size '%s' (expected WxH, each 64 to 16384)", size);
        goto out;
    }
    if (!dr || !strcmp(dr, "auto"))
        opts.dr = GLVF_FFMPEG_DR_AUTO;
    else if (!strcmp(dr, "on") || !strcmp(dr, "force"))
        opts.dr = GLVF_FFMPEG_DR_FORCE;
    else if (!strcmp(dr, "off"))
        opts.dr = GLVF_FFMPEG_DR_OFF;
    else {
        status = usage_error("bad --dr '%s' (auto, on or off)", dr);
        goto out;
    }
    if (!output || !strcmp(output, "paintable"))
        opts.output = PLAYER_OUTPUT_PAINTABLE;
    else if (!strcmp(output, "area"))
        opts.output = PLAYER_OUTPUT_AREA;
    else {
        status = usage_error("bad --output '%s' (paintable or area)", output);
        goto out;
    }
    if (wall) {
        /* each GlvfVideoArea is a GtkGLArea with its own GdkGLContext: the
         * tiles could not share one glvf context and pool */
        if (opts.output == PLAYER_OUTPUT_AREA) {
            status = usage_error("--wall needs --output paintable: each GlvfVideoArea has its own "
                                 "GL context, so its tiles could not share one glvf context");
            goto out;
        }
        if (!rest || !rest[0]) {
            status = usage_error("--wall needs at least one FILE");
            goto out;
        }
        if (benchmark || trace_frames) {
            status = usage_error("--wall does not take --%s",
                                 benchmark ? "benchmark" : "trace-frames");
            goto out;
        }
        opts.wall = true;
    }
    if (opts.output == PLAYER_OUTPUT_PAINTABLE && opts.dr != GLVF_FFMPEG_DR_AUTO)
        g_printerr(PLAYER_NAME ": --dr applies to --output area only (ignored)\n");
    if (rest && rest[0])
        file_args = rest;

    /* Headless (Xvfb, CI): with no D-Bus session bus to reach, GTK's
     * accessibility bridge cannot work and only warns (it would try
     * dbus-launch). Leave it alone wherever a bus exists or GTK_A11Y is set. */
    if (!g_getenv("GTK_A11Y") && !g_getenv("DBUS_SESSION_BUS_ADDRESS")) {
        char *bus = g_build_filename(g_get_user_runtime_dir(), "bus", NULL);
        if (!g_file_test(bus, G_FILE_TEST_EXISTS))
            g_setenv("GTK_A11Y", "none", TRUE);
        g_free(bus);
    }
    if (!gtk_init_check()) {
        g_printerr(PLAYER_NAME ": cannot open a display (DISPLAY='%s'); without one, run it "
                               "under Xvfb (e.g. xvfb-run)\n",
                   g_getenv("DISPLAY") ? g_getenv("DISPLAY") : "");
        status = PLAYER_EXIT_FAILURE;
        goto out;
    }
    /* FFmpeg's messages about the decoder's contexts go to its log (our
     * stderr lines); others to FFmpeg's default */
    glvf_ffmpeg_route_av_log(true);
    /* FFmpeg's chatter (the sample encoder's summary, ...) only when asked */
    av_log_set_level(verbose ? AV_LOG_INFO : AV_LOG_WARNING);

    GtkApplication *app = gtk_application_new(NULL, G_APPLICATION_NON_UNIQUE);
    g_signal_connect(app, "activate", G_CALLBACK(on_activate), NULL);
    char *app_argv[] = { argv[0], NULL };
    int rc = g_application_run(G_APPLICATION(app), 1, app_argv);
    if (the_wall) {
        player_wall_stats s;
        player_wall_get_stats(the_wall, &s);
        status = player_wall_exit_status(the_wall);
        player_wall_free(the_wall); /* drops the streams and the shared worker */
        the_wall = NULL;
        bool ended = wait_workers();
        GlvfGtk4Totals t;
        glvf_gtk4_get_totals(&t);
        if (!ended) {
            g_printerr(PLAYER_NAME ": %u worker(s) still running %d ms after the window "
                                   "closed\n",
                       t.workers_running, WORKERS_TIMEOUT_MS);
            status = PLAYER_EXIT_FAILURE;
        }
        if (opts.stats)
            print_wall_stats(&s, &t, ended);
        g_free(s.tile);
    } else if (the_window) {
        player_stats s;
        player_window_get_stats(the_window, &s);
        status = player_window_exit_status(the_window);
        player_window_free(the_window); /* paintable: drops the stream */
        the_window = NULL;
        if (opts.output == PLAYER_OUTPUT_PAINTABLE) {
            bool ended = wait_workers();
            GlvfGtk4Totals t;
            glvf_gtk4_get_totals(&t);
            s.context_destroyed = ended;
            s.leaked_held = t.leaked_objects;
            if (!ended) {
                g_printerr(PLAYER_NAME ": %u paintable worker(s) still running %d ms after the "
                                       "window closed\n",
                           t.workers_running, WORKERS_TIMEOUT_MS);
                status = PLAYER_EXIT_FAILURE;
            }
        } else {
            /* area: a cancelled open still running must not be inside
             * FFmpeg while the process exits; one blocked in the kernel (a
             * FIFO) is left behind after a moment, as with the paintable */
            gint64 openers_end = g_get_monotonic_time() + OPENERS_GRACE_MS * 1000;
            while (player_area_openers_running() && g_get_monotonic_time() < openers_end)
                g_usleep(2000);
        }
        if (opts.benchmark && s.bench_done)
            print_benchmark(&s);
        if (opts.stats)
            print_stats(&s);
    } else if (rc != 0) {
        g_printerr(PLAYER_NAME ": the application failed to start\n");
        status = PLAYER_EXIT_FAILURE;
    }
    g_object_unref(app);
    glvf_ffmpeg_route_av_log(false);
    fflush(stdout);

out:
    g_free(screenshot);
    g_free(size);
    g_free(dr);
    g_free(output);
    g_strfreev(rest);
    return status;
}
