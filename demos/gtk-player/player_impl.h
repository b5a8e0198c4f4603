/*
 * glvf-player: the presentation controller's two backends behind player.h.
 *
 *   player.c         what both share: options, the listener, the path, the
 *                    first error, finishing, the presented rate, the
 *                    statistics text, and the player.h functions, which
 *                    dispatch to the backend
 *   player_area.c    --output area: GlvfVideoArea, pacing in a tick
 *                    callback on the main thread
 *   player_stream.c  --output paintable: a GlvfMediaStream per file, shown
 *                    by a GtkPicture; GtkMediaStream's API
 *
 * Main thread only.
 */
#ifndef GLVF_PLAYER_IMPL_H
#define GLVF_PLAYER_IMPL_H

#include "player.h"

typedef struct player_backend {
    const char *name; /* the --output value */
    /* p->path is set and the common state reset; the file plays at once
     * (or as soon as it can) */
    void (*open)(player *p);
    void (*set_playing)(player *p, bool playing);
    bool (*is_playing)(const player *p);
    void (*step)(player *p);
    void (*seek)(player *p, int64_t pos_us);
    int64_t (*position)(const player *p);
    int64_t (*duration)(const player *p);
    /* the picture's display size (sample aspect ratio and rotation
     * applied), once the file is open; false when unknown */
    bool (*video_size)(const player *p, int *w, int *h);
    /* nominal frame duration, µs (0: unknown) */
    int64_t (*frame_duration)(const player *p);
    bool (*is_open)(const player *p);
    bool (*at_end)(const player *p);
    /* fills what the backend knows (out is zeroed, output named) */
    void (*get_stats)(player *p, player_stats *out);
    /* the first line of the statistics overlay ("video ...") or NULL */
    char *(*video_text)(player *p);
    GdkTexture *(*screenshot)(player *p);
    /* an error was recorded (p->error set): stop; the event follows */
    void (*failed)(player *p);
    /* p->volume / p->muted changed (NULL: no sound) */
    void (*update_audio)(player *p);
    bool (*has_audio)(const player *p);
    void (*free)(player *p);
} player_backend;

/* The part both backends share; each backend's state embeds it first. */
struct player {
    const player_backend *be;
    player_options opt;
    player_listener listener;
    void *user;
    char *path;
    char *error;     /* the first error since the file was opened */
    bool finished;   /* automation: FINISHED was emitted */
    bool (*on_ended)(void *user); /* end of a file: true when the next one was opened */
    void *on_ended_user;
    uint64_t presented;
    /* presented rate over the last second */
    gint64 fps_t0;
    uint64_t fps_n0;
    double fps;
    double volume;   /* 0..1 */
    bool muted;
};

void player_init_common(player *p, const player_backend *be, const player_options *opt,
                        player_listener listener, void *user);
void player_clear_common(player *p);
void player_emit(player *p, player_event ev);
/* Records the first error (later ones are ignored), stops and emits
 * PLAYER_EVENT_ERROR. */
void player_set_error(player *p, const char *msg);
/* Emits PLAYER_EVENT_FINISHED once. */
void player_finish(player *p);
/* The end of the file was reached: the next file of a playlist is opened
 * (the on_ended hook), else it returns false and the backend stops there
 * (automation: finishes). */
bool player_ended(player *p);
/* The display size of a coded picture: the sample aspect ratio (0/x:
 * none) scales the width, a rotation of 90 or 270 degrees swaps the sides.
 * False for an empty size. */
bool player_display_size(int width, int height, glvf_rational sar, int rotation, int *dw,
                         int *dh);
/* The count of presented frames moved to `presented`. */
void player_count_presented(player *p, uint64_t presented);

#endif
