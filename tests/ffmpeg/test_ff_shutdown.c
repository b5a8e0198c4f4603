/*
 * Shutdown from every state (no GL; suite 'threading', also run under TSan):
 *  - from another thread while the decoder thread is blocked on a full queue
 *  - right after open (probing/decoding), right after a seek (mid-seek), at
 *    random moments of a consumer's loop
 *  - while a consumer thread is blocked in next(): it returns -ECANCELED and
 *    destroy waits for it; the decoder thread is then blocked reading a FIFO
 *    (the read ends when the writer closes it)
 *  - with frames still held by the application (they stay valid)
 * A watchdog turns a deadlock into a failure; LSan checks for leaks.
 */
#include "check.h"
#include "ff_media.h"

#include <glvf/glvf-ffmpeg.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static const media_clip clip = { "long.mkv", "libx264", "64x48", 200,
                                 "-c:v libx264 -preset ultrafast -bf 2 -g 25" };

static glvf_ffmpeg_decoder *open_dec(int queue)
{
    int err = 0;
    glvf_ffmpeg_decoder *d = glvf_ffmpeg_decoder_open(
            glvf_ffmpeg_decoder_params(.path = media_path(clip.name), .queue_frames = queue,
                                       .threads = 2, .log = check_log),
            &err);
    CHECK(d, "open: %d", err);
    return d;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *destroy_thread(void *arg)
{
    glvf_ffmpeg_decoder **pd = arg;
    glvf_ffmpeg_decoder_destroy(pd);
    return NULL;
}

static void test_blocked_full_queue(void *arg)
{
    (void)arg;
    for (int q = 1; q <= 3; q++) {
        glvf_ffmpeg_decoder *d = open_dec(q);
        REQUIRE(d, "open");
        glvf_ffmpeg_stats st;
        uint64_t before = 0;
        for (int i = 0; i < 5000; i++) {
            glvf_ffmpeg_decoder_get_stats(d, &st);
            if (st.queue_depth == q) {
                /* full, and no longer decoding: blocked */
                usleep(10000);
                glvf_ffmpeg_decoder_get_stats(d, &st);
                if (st.frames_decoded == before)
                    break;
                before = st.frames_decoded;
            }
            usleep(1000);
        }
        CHECK(st.queue_depth == q, "queue %d/%d", st.queue_depth, q);
        CHECK(st.frames_decoded < 50, "back-pressure: %llu frames decoded with a %d-frame queue",
              (unsigned long long)st.frames_decoded, q);
        double t0 = now_s();
        pthread_t t;
        pthread_create(&t, NULL, destroy_thread, &d);
        pthread_join(t, NULL);
        double dt = now_s() - t0;
        printf("# queue %d: blocked after %llu frames; destroy from another thread took %.1f "
               "ms\n",
               q, (unsigned long long)st.frames_decoded, dt * 1000);
        CHECK(!d, "destroy cleared the pointer");
        CHECK(dt < 5.0, "destroy took %.2f s", dt);
    }
}

static void test_destroy_anytime(void *arg)
{
    (void)arg;
    srand(42);
    int held_total = 0;
    for (int i = 0; i < 40; i++) {
        glvf_ffmpeg_decoder *d = open_dec(1 + i % 4);
        REQUIRE(d, "open");
        AVFrame *held[3] = { 0 };
        int kind = i % 5;
        if (kind == 1) {
            glvf_ffmpeg_decoder_seek(d, 1000000 + (rand() % 4) * 1000000); /* mid-seek */
        } else if (kind == 2) {
            usleep((useconds_t)(rand() % 20000)); /* mid-decode */
        } else if (kind == 3) {
            /* consume some, keep a few */
            int n = rand() % 30;
            for (int k = 0; k < n; k++) {
                AVFrame *f = NULL;
                if (glvf_ffmpeg_decoder_next(d, &f, 20000) != 0)
                    break;
                if (k < 3)
                    held[k] = f;
                else
                    glvf_ffmpeg_decoder_release(d, &f);
            }
        } else if (kind == 4) {
            for (int k = 0; k < 3; k++)
                glvf_ffmpeg_decoder_seek(d, rand() % 8000000);
            usleep((useconds_t)(rand() % 5000));
        }
        glvf_ffmpeg_decoder_destroy(&d);
        CHECK(!d, "cleared");
        for (int k = 0; k < 3; k++) {
            if (held[k]) {
                /* still valid after destroy */
                CHECK(held[k]->width == 64 && held[k]->data[0], "held frame valid");
                volatile uint8_t sink = held[k]->data[0][0];
                (void)sink;
                held_total++;
                if (k % 2)
                    av_frame_free(&held[k]);
                else
                    glvf_ffmpeg_decoder_release(NULL, &held[k]);
            }
        }
    }
    printf("# 40 decoders destroyed at random moments; %d frames outlived theirs\n", held_total);
}

typedef struct consumer {
    glvf_ffmpeg_decoder *d;
    atomic_int frames;
    atomic_int in_next;
    int result;
} consumer;

static void *consumer_thread(void *arg)
{
    consumer *c = arg;
    for (;;) {
        AVFrame *f = NULL;
        atomic_store(&c->in_next, 1);
        int r = glvf_ffmpeg_decoder_next(c->d, &f, -1);
        atomic_store(&c->in_next, 0);
        if (r != 0) {
            c->result = r;
            return NULL;
        }
        glvf_ffmpeg_decoder_release(c->d, &f);
        atomic_fetch_add(&c->frames, 1);
    }
}

typedef struct writer {
    const char *fifo;
    unsigned char *data;
    size_t n, first;
    int fd;
    atomic_int closed;
    atomic_int wrote_first;
} writer;

static void *writer_thread(void *arg)
{
    writer *w = arg;
    w->fd = open(w->fifo, O_WRONLY);
    if (w->fd < 0)
        return NULL;
    size_t off = 0;
    while (off < w->first) {
        ssize_t k = write(w->fd, w->data + off, w->first - off);
        if (k <= 0)
            break;
        off += (size_t)k;
    }
    atomic_store(&w->wrote_first, 1);
    return NULL;
}

static void test_consumer_blocked(void *arg)
{
    (void)arg;
    size_t n = 0;
    unsigned char *data = media_read(clip.name, &n);
    REQUIRE(data && n > 4096, "read clip");
    char fifo[512];
    snprintf(fifo, sizeof fifo, "%s", media_path("stream.fifo"));
    REQUIRE(mkfifo(fifo, 0600) == 0, "mkfifo");
    writer w = { .fifo = fifo, .data = data, .n = n, .first = n / 2, .fd = -1 };
    pthread_t wt;
    pthread_create(&wt, NULL, writer_thread, &w);
    int err = 0;
    /* the first half of the file arrives; then the writer goes quiet */
    consumer c = { 0 };
    c.d = glvf_ffmpeg_decoder_open(glvf_ffmpeg_decoder_params(.path = fifo, .threads = 2,
                                                              .log = check_log),
                                   &err);
    pthread_join(wt, NULL);
    REQUIRE(c.d, "open fifo: %d", err);
    pthread_t ct;
    pthread_create(&ct, NULL, consumer_thread, &c);
    /* wait until the consumer has drained what exists and blocks */
    int last = -1;
    for (int i = 0; i < 400; i++) {
        usleep(10000);
        int fr = atomic_load(&c.frames);
        if (fr > 0 && fr == last && atomic_load(&c.in_next))
            break;
        last = fr;
    }
    CHECK(atomic_load(&c.in_next) == 1, "consumer blocked in next()");
    printf("# consumer blocked in next() after %d frames; decoder blocked reading the FIFO\n",
           atomic_load(&c.frames));
    glvf_ffmpeg_decoder *d = c.d;
    pthread_t dt;
    pthread_create(&dt, NULL, destroy_thread, &d);
    /* the consumer is woken at once */
    pthread_join(ct, NULL);
    CHECK(c.result == -ECANCELED, "consumer got %d", c.result);
    /* the decoder thread leaves its read() when the writer closes */
    usleep(50000);
    close(w.fd);
    pthread_join(dt, NULL);
    CHECK(!d, "destroyed");
    free(data);
}

int main(void)
{
    media_init("shutdown");
    media_watchdog(240);
    check_log_echo = true;
    glvf_ffmpeg_route_av_log(true);
    if (!media_make(&clip)) {
        printf("1..0 # SKIP libx264 needed\n");
        media_cleanup();
        return 77;
    }
    RUN(test_blocked_full_queue, NULL);
    RUN(test_destroy_anytime, NULL);
    RUN(test_consumer_blocked, NULL);
    glvf_ffmpeg_route_av_log(false);
    check_log_clear();
    media_cleanup();
    return check_finish();
}
