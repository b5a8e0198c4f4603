/*
 * Sound output through libpulse. See include/glvf/glvf-audio.h.
 *
 * libpulse's thread writes: its write callback and a 20 ms timer top the
 * stream's buffer up to what the server asks for, with chunks pulled from
 * the decoder without waiting (an empty queue is a late decoder: the
 * server plays what it has, an underrun is counted if it runs dry). The
 * clock is the media time just past the last sample written minus the
 * latency libpulse interpolates (pa_stream_get_latency: the samples
 * buffered plus the sink's own latency), so it follows the sample being
 * heard.
 */
#include <glvf/glvf-audio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef GLVF_GTK4_HAVE_PULSE
#include <pulse/pulseaudio.h>

#define TIMER_US 20000
#define TARGET_US 200000 /* buffered ahead of the sink (tlength) */

struct glvf_audio_out {
    pa_threaded_mainloop *ml;
    pa_context *ctx;
    pa_stream *s;
    pa_time_event *timer;
    glvf_ffmpeg_decoder *dec;
    int rate;
    size_t frame_bytes;
    /* ---- the mainloop's lock ---- */
    bool ctx_done, stream_done, timed_out;
    uint64_t serial;                  /* chunks older than this are dropped */
    glvf_ffmpeg_audio_chunk *cur;     /* being written */
    int cur_off;                      /* frames of cur written */
    bool have_pos;                    /* something of `serial` written */
    int64_t next_pts;                 /* media time just past the last sample written */
    bool eof;                         /* the decoder's audio ended (this serial) */
    bool playing;
    uint64_t underruns, frames_written, frames_since_flush;
    double volume;
    bool muted;
    bool clock_valid;
    bool started;                     /* played since the last flush */
    bool paused_valid;                /* paused: the clock stands at paused_us */
    int64_t paused_us;
};

static void ctx_state_cb(pa_context *c, void *user)
{
    glvf_audio_out *a = user;
    pa_context_state_t st = pa_context_get_state(c);
    if (st == PA_CONTEXT_READY || !PA_CONTEXT_IS_GOOD(st)) {
        a->ctx_done = true;
        pa_threaded_mainloop_signal(a->ml, 0);
    }
}

static void stream_state_cb(pa_stream *s, void *user)
{
    glvf_audio_out *a = user;
    pa_stream_state_t st = pa_stream_get_state(s);
    if (st == PA_STREAM_READY || !PA_STREAM_IS_GOOD(st)) {
        a->stream_done = true;
        pa_threaded_mainloop_signal(a->ml, 0);
    }
}

static void connect_timeout_cb(pa_mainloop_api *api, pa_time_event *e, const struct timeval *tv,
                               void *user)
{
    (void)tv;
    glvf_audio_out *a = user;
    a->timed_out = true;
    api->time_free(e);
    pa_threaded_mainloop_signal(a->ml, 0);
}

/* libpulse's thread: fills what the server wants. */
static void fill(glvf_audio_out *a)
{
    if (!a->s || pa_stream_get_state(a->s) != PA_STREAM_READY)
        return;
    size_t n = pa_stream_writable_size(a->s);
    if (n == (size_t)-1)
        return;
    while (n >= a->frame_bytes) {
        if (!a->cur) {
            int r = glvf_ffmpeg_decoder_next_audio(a->dec, &a->cur, 0);
            if (r == GLVF_FFMPEG_EOF) {
                if (!a->eof && a->have_pos) {
                    /* the tail may be shorter than the prebuffer: start it */
                    pa_operation *o = pa_stream_trigger(a->s, NULL, NULL);
                    if (o)
                        pa_operation_unref(o);
                }
                a->eof = true;
                return;
            }
            if (r != 0)
                return;
            if (a->cur->serial < a->serial) { /* taken while a seek was asked */
                glvf_ffmpeg_decoder_release_audio(a->dec, &a->cur);
                continue;
            }
            a->cur_off = 0;
            a->next_pts = a->cur->pts_us;
            a->have_pos = true;
        }
        size_t frames = (size_t)(a->cur->frames - a->cur_off);
        if (frames * a->frame_bytes > n)
            frames = n / a->frame_bytes;
        if (pa_stream_write(a->s, a->cur->samples + (size_t)a->cur_off * 2,
                            frames * a->frame_bytes, NULL, 0, PA_SEEK_RELATIVE) < 0)
            return;
        a->cur_off += (int)frames;
        a->frames_written += frames;
        a->frames_since_flush += frames;
        a->next_pts = a->cur->pts_us + (int64_t)a->cur_off * 1000000 / a->rate;
        n -= frames * a->frame_bytes;
        if (a->cur_off >= a->cur->frames)
            glvf_ffmpeg_decoder_release_audio(a->dec, &a->cur);
    }
}

static void write_cb(pa_stream *s, size_t nbytes, void *user)
{
    (void)s;
    (void)nbytes;
    fill(user);
}

static void underflow_cb(pa_stream *s, void *user)
{
    (void)s;
    glvf_audio_out *a = user;
    /* a flush (seek) empties the buffer on purpose: the first underflow
     * after it, before half a second is written again, is not a dropout */
    if (!a->eof && a->playing && a->frames_since_flush > (uint64_t)a->rate / 2)
        a->underruns++;
}

static void timer_cb(pa_mainloop_api *api, pa_time_event *e, const struct timeval *tv,
                     void *user)
{
    (void)tv;
    glvf_audio_out *a = user;
    (void)api;
    fill(a);
    pa_context_rttime_restart(a->ctx, e, pa_rtclock_now() + TIMER_US);
}

static void apply_volume_locked(glvf_audio_out *a)
{
    if (!a->s || pa_stream_get_state(a->s) != PA_STREAM_READY)
        return;
    pa_cvolume cv;
    pa_cvolume_set(&cv, 2, pa_sw_volume_from_linear(a->volume));
    uint32_t idx = pa_stream_get_index(a->s);
    pa_operation *o = pa_context_set_sink_input_volume(a->ctx, idx, &cv, NULL, NULL);
    if (o)
        pa_operation_unref(o);
    o = pa_context_set_sink_input_mute(a->ctx, idx, a->muted, NULL, NULL);
    if (o)
        pa_operation_unref(o);
}

glvf_audio_out *glvf_audio_out_connect(const char *app_name, char *why, size_t why_len)
{
    glvf_audio_out *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    a->volume = 1.0;
    a->ml = pa_threaded_mainloop_new();
    if (!a->ml) {
        snprintf(why, why_len, "cannot create libpulse's main loop");
        free(a);
        return NULL;
    }
    pa_threaded_mainloop_set_name(a->ml, "glvf-audio");
    a->ctx = pa_context_new(pa_threaded_mainloop_get_api(a->ml), app_name);
    if (!a->ctx) {
        snprintf(why, why_len, "cannot create a libpulse context");
        pa_threaded_mainloop_free(a->ml);
        free(a);
        return NULL;
    }
    pa_context_set_state_callback(a->ctx, ctx_state_cb, a);
    pa_threaded_mainloop_lock(a->ml);
    bool ok = pa_context_connect(a->ctx, NULL, PA_CONTEXT_NOAUTOSPAWN, NULL) >= 0 &&
              pa_threaded_mainloop_start(a->ml) >= 0;
    if (ok) {
        pa_time_event *t = pa_context_rttime_new(a->ctx, pa_rtclock_now() + 2000000,
                                                 connect_timeout_cb, a);
        while (!a->ctx_done && !a->timed_out)
            pa_threaded_mainloop_wait(a->ml);
        if (!a->timed_out && t)
            pa_threaded_mainloop_get_api(a->ml)->time_free(t);
        ok = pa_context_get_state(a->ctx) == PA_CONTEXT_READY;
        if (!ok)
            snprintf(why, why_len, "%s", a->timed_out ? "the sound server did not answer in 2 s"
                                                     : pa_strerror(pa_context_errno(a->ctx)));
    } else {
        snprintf(why, why_len, "%s", pa_strerror(pa_context_errno(a->ctx)));
    }
    pa_threaded_mainloop_unlock(a->ml);
    if (!ok)
        glvf_audio_out_free(&a);
    return a;
}

bool glvf_audio_out_start(glvf_audio_out *a, glvf_ffmpeg_decoder *dec, int rate, char *why,
                          size_t why_len)
{
    pa_sample_spec ss = { .format = PA_SAMPLE_FLOAT32NE, .rate = (uint32_t)rate, .channels = 2 };
    if (!pa_sample_spec_valid(&ss)) {
        snprintf(why, why_len, "invalid sample rate %d", rate);
        return false;
    }
    a->dec = dec;
    a->rate = rate;
    a->frame_bytes = pa_frame_size(&ss);
    pa_threaded_mainloop_lock(a->ml);
    a->s = pa_stream_new(a->ctx, "video", &ss, NULL);
    bool ok = a->s != NULL;
    if (ok) {
        pa_stream_set_state_callback(a->s, stream_state_cb, a);
        pa_stream_set_write_callback(a->s, write_cb, a);
        pa_stream_set_underflow_callback(a->s, underflow_cb, a);
        pa_buffer_attr attr = { .maxlength = (uint32_t)-1,
                                .tlength = (uint32_t)pa_usec_to_bytes(TARGET_US, &ss),
                                .prebuf = (uint32_t)-1, .minreq = (uint32_t)-1,
                                .fragsize = (uint32_t)-1 };
        ok = pa_stream_connect_playback(a->s, NULL, &attr,
                                        PA_STREAM_INTERPOLATE_TIMING |
                                                PA_STREAM_NOT_MONOTONIC |
                                                PA_STREAM_AUTO_TIMING_UPDATE |
                                                PA_STREAM_ADJUST_LATENCY |
                                                PA_STREAM_START_CORKED,
                                        NULL, NULL) >= 0;
        while (ok && !a->stream_done)
            pa_threaded_mainloop_wait(a->ml);
        ok = ok && pa_stream_get_state(a->s) == PA_STREAM_READY;
    }
    if (!ok) {
        snprintf(why, why_len, "%s", pa_strerror(pa_context_errno(a->ctx)));
        if (a->s) {
            pa_stream_disconnect(a->s);
            pa_stream_unref(a->s);
            a->s = NULL;
        }
    } else {
        apply_volume_locked(a);
        a->timer = pa_context_rttime_new(a->ctx, pa_rtclock_now() + TIMER_US, timer_cb, a);
    }
    pa_threaded_mainloop_unlock(a->ml);
    return ok;
}

void glvf_audio_out_free(glvf_audio_out **pa)
{
    if (!pa || !*pa)
        return;
    glvf_audio_out *a = *pa;
    *pa = NULL;
    if (a->ml)
        pa_threaded_mainloop_stop(a->ml); /* joins libpulse's thread */
    if (a->timer)
        pa_threaded_mainloop_get_api(a->ml)->time_free(a->timer);
    if (a->cur)
        glvf_ffmpeg_decoder_release_audio(a->dec, &a->cur);
    if (a->s) {
        pa_stream_disconnect(a->s);
        pa_stream_unref(a->s);
    }
    if (a->ctx) {
        pa_context_disconnect(a->ctx);
        pa_context_unref(a->ctx);
    }
    if (a->ml)
        pa_threaded_mainloop_free(a->ml);
    free(a);
}

static void run_op(pa_operation *o)
{
    if (o)
        pa_operation_unref(o);
}

static bool clock_locked(glvf_audio_out *a, int64_t *media_us, int64_t *lat_us);

void glvf_audio_out_set_playing(glvf_audio_out *a, bool playing)
{
    if (!a || !a->s)
        return;
    pa_threaded_mainloop_lock(a->ml);
    /* paused, the clock stands where it was: the cork reaches the server
     * (and its timing report us) only later, and until then the clock
     * would run on (by 76 ms in 200 ms under TSan) */
    a->paused_valid = false;
    if (!playing && a->playing)
        a->paused_valid = clock_locked(a, &a->paused_us, NULL);
    a->playing = playing;
    a->started = false; /* until the server says it plays again */
    run_op(pa_stream_cork(a->s, !playing, NULL, NULL));
    pa_threaded_mainloop_unlock(a->ml);
}

void glvf_audio_out_flush(glvf_audio_out *a, uint64_t serial)
{
    if (!a || !a->s)
        return;
    pa_threaded_mainloop_lock(a->ml);
    if (a->cur)
        glvf_ffmpeg_decoder_release_audio(a->dec, &a->cur);
    a->serial = serial;
    a->have_pos = false;
    a->eof = false;
    a->frames_since_flush = 0;
    a->started = false;
    a->paused_valid = false; /* a seek: the clock restarts from the new position */
    run_op(pa_stream_flush(a->s, NULL, NULL));
    run_op(pa_stream_update_timing_info(a->s, NULL, NULL)); /* the indexes, at once */
    pa_threaded_mainloop_unlock(a->ml);
}

void glvf_audio_out_set_volume(glvf_audio_out *a, double volume, bool muted)
{
    if (!a)
        return;
    pa_threaded_mainloop_lock(a->ml);
    a->volume = volume < 0 ? 0 : volume > 1 ? 1 : volume;
    a->muted = muted;
    apply_volume_locked(a);
    pa_threaded_mainloop_unlock(a->ml);
}

static bool clock_locked(glvf_audio_out *a, int64_t *media_us, int64_t *lat_us)
{
    if (!a->s || !a->have_pos)
        return false;
    if (!a->playing && a->paused_valid) {
        *media_us = a->paused_us;
        if (lat_us)
            *lat_us = 0;
        return true;
    }
    const pa_timing_info *ti = pa_stream_get_timing_info(a->s);
    if (!ti || ti->write_index_corrupt || ti->read_index_corrupt)
        return false; /* after a flush, until the next timing update */
    if (ti->playing)
        a->started = true;
    else if (a->started && a->playing)
        return false; /* ran dry while playing (an underrun, a gap in the
                         sound): the video clock goes on meanwhile */
    int64_t l;
    pa_usec_t lat = 0;
    int neg = 0;
    if (ti->playing && pa_stream_get_latency(a->s, &lat, &neg) >= 0 && !neg && lat > 0) {
        l = (int64_t)lat; /* interpolated since the last timing update */
    } else {
        /* not started (prebuffering, corked) or libpulse's interpolation
         * not settled yet (it runs on while corked and reads 0 at the
         * start): the samples buffered plus the sink's latency, as the
         * last timing update says; nothing is being played */
        int64_t buffered = ti->write_index - ti->read_index;
        l = (buffered >= 0 ? (int64_t)pa_bytes_to_usec((uint64_t)buffered, pa_stream_get_sample_spec(a->s))
                           : -(int64_t)pa_bytes_to_usec((uint64_t)-buffered, pa_stream_get_sample_spec(a->s))) +
            (int64_t)ti->sink_usec;
    }
    if (lat_us)
        *lat_us = l;
    if (a->eof && (!ti->playing || l <= (int64_t)ti->sink_usec))
        return false; /* played out: the video clock takes over */
    *media_us = a->next_pts - l;
    return true;
}

bool glvf_audio_out_clock(glvf_audio_out *a, int64_t *media_us)
{
    if (!a || !a->s)
        return false;
    pa_threaded_mainloop_lock(a->ml);
    bool ok = clock_locked(a, media_us, NULL);
    a->clock_valid = ok;
    pa_threaded_mainloop_unlock(a->ml);
    return ok;
}

void glvf_audio_out_get_stats(glvf_audio_out *a, glvf_audio_out_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!a || !a->s)
        return;
    pa_threaded_mainloop_lock(a->ml);
    int64_t m;
    clock_locked(a, &m, &out->latency_us);
    out->underruns = a->underruns;
    out->frames_written = a->frames_written;
    out->clock_valid = a->clock_valid;
    pa_threaded_mainloop_unlock(a->ml);
}

#else /* !GLVF_GTK4_HAVE_PULSE */

glvf_audio_out *glvf_audio_out_connect(const char *app_name, char *why, size_t why_len)
{
    (void)app_name;
    snprintf(why, why_len, "built without libpulse");
    return NULL;
}
bool glvf_audio_out_start(glvf_audio_out *a, glvf_ffmpeg_decoder *dec, int rate, char *why,
                          size_t why_len)
{
    (void)a, (void)dec, (void)rate;
    snprintf(why, why_len, "built without libpulse");
    return false;
}
void glvf_audio_out_free(glvf_audio_out **pa) { (void)pa; }
void glvf_audio_out_set_playing(glvf_audio_out *a, bool playing) { (void)a, (void)playing; }
void glvf_audio_out_flush(glvf_audio_out *a, uint64_t serial) { (void)a, (void)serial; }
void glvf_audio_out_set_volume(glvf_audio_out *a, double v, bool m) { (void)a, (void)v, (void)m; }
bool glvf_audio_out_clock(glvf_audio_out *a, int64_t *media_us)
{
    (void)a, (void)media_us;
    return false;
}
void glvf_audio_out_get_stats(glvf_audio_out *a, glvf_audio_out_stats *out)
{
    (void)a;
    memset(out, 0, sizeof *out);
}
#endif
