/*
 * GlvfMediaStream's sound output (src/gtk4/glvf-audio-out.c, compiled into
 * this test) with the FFmpeg module's audio, against a real PulseAudio
 * daemon the test starts itself (private runtime directory, a null sink,
 * killed at the end; skipped when `pulseaudio` is not installed):
 *
 *   - samples flow: playing 0.3 s writes samples and the audio clock
 *     advances with the time (within 60 ms over the 0.3 s);
 *   - corked, the clock stands; a flush (seek) restarts it at the target;
 *   - no server: connect fails with a reason, promptly;
 *   - 200 open/close cycles of a clip with audio, closed in every state
 *     (just connected, playing, corked, mid-seek, at the end): in the ASan
 *     build LeakSanitizer checks that nothing of libpulse's, libswresample's
 *     or glvf's stays behind.
 */
#include "check.h"
#include "../ffmpeg/ff_media.h"

#include <glvf/glvf-audio.h>

#include <glvf/glvf-ffmpeg.h>

#include <signal.h>
#include <spawn.h>
#include <sys/time.h>
#include <time.h>

extern char **environ;

static pid_t pulse_pid;
static char pulse_dir[300];

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool pulse_start(void)
{
    snprintf(pulse_dir, sizeof pulse_dir, "%s", media_path("pulse"));
    mkdir(pulse_dir, 0700);
    char sock[400], server[420], module_sock[460];
    snprintf(sock, sizeof sock, "%s/native", pulse_dir);
    snprintf(server, sizeof server, "unix:%s", sock);
    snprintf(module_sock, sizeof module_sock,
             "module-native-protocol-unix auth-anonymous=1 socket=%s", sock);
    setenv("XDG_RUNTIME_DIR", pulse_dir, 1);
    setenv("PULSE_RUNTIME_PATH", pulse_dir, 1);
    setenv("HOME", pulse_dir, 1);
    unsetenv("DBUS_SESSION_BUS_ADDRESS");
    char *argv[] = { "pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=60",
                     "--use-pid-file=no", "--log-target=stderr", "--log-level=error",
                     "-L", "module-null-sink sink_name=null", "-L", module_sock, NULL };
    if (posix_spawnp(&pulse_pid, "pulseaudio", NULL, NULL, argv, environ) != 0) {
        pulse_pid = 0;
        return false;
    }
    setenv("PULSE_SERVER", server, 1);
    for (int i = 0; i < 150; i++) {
        struct stat st;
        if (stat(sock, &st) == 0) {
            usleep(200000); /* listening after the socket appears */
            return true;
        }
        usleep(100000);
    }
    return false;
}

static void pulse_stop(void)
{
    if (pulse_pid > 0) {
        kill(pulse_pid, SIGTERM);
        waitpid(pulse_pid, NULL, 0);
        pulse_pid = 0;
    }
}

static glvf_ffmpeg_decoder *open_clip(void)
{
    int err = 0;
    glvf_ffmpeg_decoder *d = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = media_path("av.mp4"), .log = check_log,
                                       .audio = true, .threads = 1),
            &err);
    CHECK(d && glvf_ffmpeg_decoder_info(d)->has_audio, "open %d", err);
    return d;
}

/* Takes the video frames so that the demuxer goes on. */
static void drain_video(glvf_ffmpeg_decoder *d)
{
    AVFrame *f = NULL;
    while (glvf_ffmpeg_decoder_next(d, &f, 0) == 0)
        glvf_ffmpeg_decoder_release(d, &f);
}

static void test_flow(void *arg)
{
    (void)arg;
    glvf_ffmpeg_decoder *d = open_clip();
    REQUIRE(d, "open");
    char why[160] = "";
    glvf_audio_out *a = glvf_audio_out_connect("glvf-test", why, sizeof why);
    REQUIRE(a, "connect: %s", why);
    REQUIRE(glvf_audio_out_start(a, d, glvf_ffmpeg_decoder_info(d)->audio_rate, why, sizeof why),
            "start: %s", why);
    glvf_audio_out_set_playing(a, true);
    int64_t c0 = 0, c1 = 0, t0 = 0;
    for (int i = 0; i < 300; i++) { /* until the clock runs */
        drain_video(d);
        if (glvf_audio_out_clock(a, &c0) && c0 > 50000) {
            t0 = now_us();
            break;
        }
        usleep(10000);
    }
    CHECK(t0, "the audio clock starts");
    for (int i = 0; i < 30; i++) {
        drain_video(d);
        usleep(10000);
    }
    bool ok = glvf_audio_out_clock(a, &c1);
    int64_t dt = now_us() - t0;
    printf("# clock %lld -> %lld us over %lld us of wall time\n", (long long)c0, (long long)c1,
           (long long)dt);
    CHECK(ok && llabs((c1 - c0) - dt) < 60000, "the clock follows the time");
    glvf_audio_out_stats st;
    glvf_audio_out_get_stats(a, &st);
    CHECK(st.frames_written > 10000, "samples written %llu", (unsigned long long)st.frames_written);
    /* corked: the clock stands */
    glvf_audio_out_set_playing(a, false);
    usleep(150000);
    int64_t p0 = 0, p1 = 0;
    glvf_audio_out_clock(a, &p0);
    usleep(200000);
    glvf_audio_out_clock(a, &p1);
    CHECK(llabs(p1 - p0) < 5000, "corked: the clock stands (%lld -> %lld)", (long long)p0,
          (long long)p1);
    /* seek to 2 s: the clock restarts there */
    glvf_ffmpeg_decoder_seek(d, 2000000);
    glvf_audio_out_flush(a, 1);
    glvf_audio_out_set_playing(a, true);
    int64_t s = 0;
    bool got = false;
    for (int i = 0; i < 300 && !got; i++) {
        drain_video(d);
        got = glvf_audio_out_clock(a, &s) && s >= 2000000;
        usleep(10000);
    }
    CHECK(got && s < 2300000, "after the seek the clock starts at 2 s (%lld)", (long long)s);
    glvf_audio_out_free(&a);
    glvf_ffmpeg_decoder_destroy(&d);
}

static void test_no_server(void *arg)
{
    (void)arg;
    char old[512];
    snprintf(old, sizeof old, "%s", getenv("PULSE_SERVER"));
    char bad[400];
    snprintf(bad, sizeof bad, "unix:%s/none/native", pulse_dir);
    setenv("PULSE_SERVER", bad, 1);
    char why[160] = "";
    int64_t t0 = now_us();
    glvf_audio_out *a = glvf_audio_out_connect("glvf-test", why, sizeof why);
    printf("# no server: %s (%lld ms)\n", why, (long long)(now_us() - t0) / 1000);
    CHECK(!a && why[0], "no server: NULL with a reason");
    CHECK(now_us() - t0 < 2500000, "promptly");
    glvf_audio_out_free(&a);
    setenv("PULSE_SERVER", old, 1);
}

static void test_cycles(void *arg)
{
    (void)arg;
    int cycles = getenv("GLVF_AUDIO_CYCLES") ? atoi(getenv("GLVF_AUDIO_CYCLES")) : 200;
    check_log_echo = false;
    int done = 0;
    for (int i = 0; i < cycles; i++) {
        glvf_ffmpeg_decoder *d = open_clip();
        if (!d)
            break;
        char why[160];
        glvf_audio_out *a = glvf_audio_out_connect("glvf-test", why, sizeof why);
        if (!a) {
            CHECK(a, "cycle %d: connect: %s", i, why);
            glvf_ffmpeg_decoder_destroy(&d);
            break;
        }
        if (i % 5 != 0 &&
            glvf_audio_out_start(a, d, glvf_ffmpeg_decoder_info(d)->audio_rate, why, sizeof why)) {
            glvf_audio_out_set_volume(a, 0.5, i % 2);
            if (i % 5 >= 2)
                glvf_audio_out_set_playing(a, true);
            for (int k = 0; k < (i % 5) * 3; k++) {
                drain_video(d);
                usleep(5000);
            }
            if (i % 5 == 3) {
                glvf_ffmpeg_decoder_seek(d, 1000000);
                glvf_audio_out_flush(a, 1);
            }
            if (i % 5 == 4)
                glvf_audio_out_set_playing(a, false);
        }
        /* the order GlvfMediaStream uses: the output, then the decoder */
        glvf_audio_out_free(&a);
        glvf_ffmpeg_decoder_destroy(&d);
        done++;
    }
    check_log_echo = true;
    printf("# %d cycles\n", done);
    CHECK(done == cycles, "%d of %d cycles", done, cycles);
}

int main(void)
{
    media_init("audio-out");
    media_watchdog(280);
    if (system("command -v pulseaudio >/dev/null 2>&1") != 0) {
        printf("1..0 # SKIP pulseaudio is not installed (scripts/deps.sh installs it)\n");
        media_cleanup();
        return 77;
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -hide_banner -v error -y -f lavfi -i testsrc2=size=64x48:rate=25 "
             "-f lavfi -i sine=frequency=440:sample_rate=48000 -t 4 -c:v libx264 -preset "
             "ultrafast -pix_fmt yuv420p -c:a aac '%s'",
             media_path("av.mp4"));
    if (!media_sh(cmd)) {
        printf("Bail out! cannot make the clip\n");
        return 1;
    }
    if (!pulse_start()) {
        printf("Bail out! the private PulseAudio daemon did not start\n");
        pulse_stop();
        media_cleanup();
        return 1;
    }
    RUN(test_flow, NULL);
    RUN(test_no_server, NULL);
    RUN(test_cycles, NULL);
    pulse_stop();
    check_log_clear();
    media_cleanup();
    return check_finish();
}
