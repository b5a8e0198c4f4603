/*
 * glvf-player: the presentation controller, the part both outputs share
 * (player_impl.h): the player.h functions dispatch to the backend
 * (player_area.c for --output area, player_stream.c for --output
 * paintable); errors, finishing, the presented rate and the statistics
 * text are the same for both.
 */
#include "player_impl.h"

#include <stdarg.h>
#include <string.h>

bool player_options_automated(const player_options *o)
{
    return o->frames > 0 || o->screenshot || o->benchmark;
}

bool player_is_url(const char *path)
{
    const char *sep = path ? strstr(path, "://") : NULL;
    if (!sep || sep == path)
        return false;
    for (const char *c = path; c < sep; c++)
        if (!g_ascii_isalnum(*c) && *c != '+' && *c != '-' && *c != '.')
            return false;
    return g_ascii_strncasecmp(path, "file://", 7) != 0;
}

const char *player_output_name(player_output o)
{
    return o == PLAYER_OUTPUT_AREA ? "area" : "paintable";
}

/* ---- shared state ------------------------------------------------------------ */

void player_init_common(player *p, const player_backend *be, const player_options *opt,
                        player_listener listener, void *user)
{
    p->be = be;
    p->opt = *opt;
    p->listener = listener;
    p->user = user;
    p->volume = opt->volume >= 0 && opt->volume <= 100 ? opt->volume / 100.0 : 1.0;
}

void player_clear_common(player *p)
{
    g_clear_pointer(&p->path, g_free);
    g_clear_pointer(&p->error, g_free);
}

void player_emit(player *p, player_event ev)
{
    if (p->listener)
        p->listener(p, ev, p->user);
}

void player_set_error(player *p, const char *msg)
{
    if (p->error) /* the first error is the one that matters */
        return;
    p->error = g_strdup(msg);
    if (p->be->failed)
        p->be->failed(p);
    player_emit(p, PLAYER_EVENT_ERROR);
}

void player_fail(player *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    player_set_error(p, msg);
    g_free(msg);
}

void player_finish(player *p)
{
    if (p->finished)
        return;
    p->finished = true;
    player_emit(p, PLAYER_EVENT_FINISHED);
}

bool player_ended(player *p)
{
    return p->on_ended && p->on_ended(p->on_ended_user);
}

void player_set_on_ended(player *p, bool (*fn)(void *user), void *user)
{
    p->on_ended = fn;
    p->on_ended_user = user;
}

void player_count_presented(player *p, uint64_t presented)
{
    p->presented = presented;
    gint64 now = g_get_monotonic_time();
    if (!p->fps_t0) {
        p->fps_t0 = now;
        p->fps_n0 = presented;
    } else if (now - p->fps_t0 >= 1000000) {
        p->fps = (double)(presented - p->fps_n0) * 1e6 / (double)(now - p->fps_t0);
        p->fps_t0 = now;
        p->fps_n0 = presented;
    }
}

/* ---- player.h ---------------------------------------------------------------- */

void player_open(player *p, const char *path)
{
    g_free(p->path);
    p->path = g_strdup(path);
    g_clear_pointer(&p->error, g_free);
    p->finished = false;
    p->be->open(p);
}

const char *player_path(const player *p)
{
    return p->path;
}

const char *player_last_error(const player *p)
{
    return p->error;
}

void player_set_playing(player *p, bool playing)
{
    if (p->opt.benchmark || p->error)
        return;
    p->be->set_playing(p, playing);
}

bool player_is_playing(const player *p)
{
    return p->be->is_playing(p);
}

void player_toggle(player *p)
{
    player_set_playing(p, !player_is_playing(p));
}

void player_step(player *p)
{
    if (p->opt.benchmark || p->error || !player_is_open(p))
        return;
    p->be->step(p);
}

void player_seek(player *p, int64_t pos_us)
{
    if (p->opt.benchmark || p->error || !player_is_open(p))
        return;
    int64_t d = player_duration(p);
    int64_t fd = p->be->frame_duration ? p->be->frame_duration(p) : 0;
    if (pos_us < 0)
        pos_us = 0;
    /* past the end: the last frame (a frame before the duration; the
     * decoder lands on the frame nearest the target) */
    if (d > 0 && pos_us > d - fd)
        pos_us = MAX(d - fd, 0);
    p->be->seek(p, pos_us);
}

void player_step_back(player *p)
{
    if (p->opt.benchmark || p->error || !player_is_open(p))
        return;
    int64_t fd = p->be->frame_duration ? p->be->frame_duration(p) : 0;
    if (fd <= 0)
        fd = 40000;
    player_set_playing(p, false);
    /* the frame before the one shown: the decoder lands on the frame
     * nearest the target */
    player_seek(p, player_position(p) - fd);
}

void player_seek_relative(player *p, int64_t delta_us)
{
    player_seek(p, player_position(p) + delta_us);
}

int64_t player_position(const player *p)
{
    return p->be->position(p);
}

int64_t player_duration(const player *p)
{
    return p->be->duration(p);
}

bool player_is_open(const player *p)
{
    return p->be->is_open(p);
}

bool player_at_end(const player *p)
{
    return p->be->at_end(p);
}

bool player_video_size(const player *p, int *w, int *h)
{
    *w = *h = 0;
    return player_is_open(p) && p->be->video_size && p->be->video_size(p, w, h);
}

bool player_display_size(int width, int height, glvf_rational sar, int rotation, int *dw,
                         int *dh)
{
    *dw = *dh = 0;
    if (width <= 0 || height <= 0)
        return false;
    double x = width;
    if (sar.num > 0 && sar.den > 0)
        x = x * sar.num / sar.den;
    int w = MAX(1, (int)(x + 0.5));
    bool swap = rotation == 90 || rotation == 270;
    *dw = swap ? height : w;
    *dh = swap ? w : height;
    return true;
}

GdkTexture *player_screenshot(player *p)
{
    return p->be->screenshot(p);
}

bool player_write_screenshot(GdkTexture *t, const char *path, const char *what)
{
    if (!t) {
        g_printerr(PLAYER_NAME ": no frame was %s: no screenshot written to '%s'\n", what, path);
        return false;
    }
    bool ok = gdk_texture_save_to_png(t, path);
    if (!ok)
        g_printerr(PLAYER_NAME ": cannot write the screenshot '%s'\n", path);
    g_object_unref(t);
    return ok;
}

void player_get_stats(player *p, player_stats *out)
{
    memset(out, 0, sizeof *out);
    g_strlcpy(out->output, p->be->name, sizeof out->output);
    g_strlcpy(out->audio, "off", sizeof out->audio);
    p->be->get_stats(p, out);
    out->presented_fps = p->fps;
    out->volume = p->volume;
    out->muted = p->muted;
}

static void fmt_bytes(char *buf, size_t n, uint64_t b)
{
    if (b >= 1024 * 1024)
        g_snprintf(buf, n, "%.1f MiB", (double)b / (1024.0 * 1024.0));
    else
        g_snprintf(buf, n, "%.1f KiB", (double)b / 1024.0);
}

char *player_stats_text(player *p)
{
    player_stats s;
    player_get_stats(p, &s);
    GString *t = g_string_new(NULL);
    char *video = player_is_open(p) ? p->be->video_text(p) : NULL;
    if (video)
        g_string_append_printf(t, "video      %s\n", video);
    g_free(video);
    if (s.colour[0])
        g_string_append_printf(t, "colour     %s\n", s.colour);
    if (s.renderer[0])
        g_string_append_printf(t, "GL         %s %d.%d, %s\n", s.gl_es ? "OpenGL ES" : "OpenGL",
                               s.gl_major, s.gl_minor, s.renderer);
    char pool[32];
    fmt_bytes(pool, sizeof pool, s.pool_bytes);
    g_string_append_printf(t, "output     %s\n", s.output);
    g_string_append_printf(t, "upload     %s\n", s.upload_strategy);
    if (!strcmp(s.output, "area")) {
        g_string_append_printf(t, "direct     %s (%llu frames, %llu fallbacks)\n",
                               s.dr ? "on" : "off", (unsigned long long)s.dr_frames,
                               (unsigned long long)s.dr_fallbacks);
        g_string_append_printf(t, "live       %llu frame(s)\n",
                               (unsigned long long)s.frames_live);
    } else {
        g_string_append_printf(t, "convert    %.2f ms (upload %.2f ms) into %dx%d\n",
                               s.convert_ms, s.upload_ms, s.texture_w, s.texture_h);
    }
    if (strcmp(s.audio, "off")) {
        g_string_append_printf(t, "audio      %s%s%s", s.audio, s.audio_codec[0] ? ", " : "",
                               s.audio_codec);
        if (!strcmp(s.audio, "playing"))
            g_string_append_printf(t, " %d Hz, clock %s, latency %.0f ms, underruns %llu",
                                   s.audio_rate, s.audio_clock ? "audio" : "video",
                                   s.audio_latency_ms, (unsigned long long)s.audio_underruns);
        g_string_append_printf(t, ", volume %d%%%s\n", (int)(s.volume * 100 + 0.5),
                               s.muted ? " (muted)" : "");
    }
    g_string_append_printf(t, "pool       %s\n", pool);
    g_string_append_printf(t, "queue      %d/%d\n", s.queue_depth, s.queue_capacity);
    g_string_append_printf(t, "dropped    %llu\n", (unsigned long long)s.dropped);
    g_string_append_printf(t, "presented  %llu, %.1f fps", (unsigned long long)s.presented,
                           s.presented_fps);
    return g_string_free(t, FALSE);
}

void player_set_volume(player *p, double volume)
{
    p->volume = volume < 0 ? 0 : volume > 1 ? 1 : volume;
    if (p->be->update_audio)
        p->be->update_audio(p);
    player_emit(p, PLAYER_EVENT_STATE);
}

double player_get_volume(const player *p)
{
    return p->volume;
}

void player_set_muted(player *p, bool muted)
{
    p->muted = muted;
    if (p->be->update_audio)
        p->be->update_audio(p);
    player_emit(p, PLAYER_EVENT_STATE);
}

bool player_get_muted(const player *p)
{
    return p->muted;
}

bool player_has_audio(const player *p)
{
    return p->be->has_audio && p->be->has_audio(p);
}

void player_free(player *p)
{
    if (!p)
        return;
    p->be->free(p); /* clears the common part and frees */
}
