/* Private to libglvf: the context, frame, pool and staging structures. */
#ifndef GLVF_INTERNAL_H
#define GLVF_INTERNAL_H

#include "glvf_glad.h"
#include "glvf_alloc.h"

#include <glvf/glvf.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GLVF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define GLVF_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define CTX_MAGIC 0x676c7663u      /* "glvc" */
#define CTX_MAGIC_DEAD 0x64656164u /* "dead" */
/*
 * Generation-counted handles (frames, staging regions). The pointer an
 * application holds is the object's address with the object's generation
 * in its top 16 bits (user-space addresses on x86-64 and AArch64 fit in 48
 * bits; an allocation above that is refused). An object's generation moves
 * on every reuse of its memory, so a stale handle, kept after the last
 * unref or release, is told from the object's next life and refused with a
 * log line instead of acting on the newer object. 16 bits: a handle kept
 * across exactly a multiple of 65,536 reuses of the same memory would pass.
 * Memory freed at context destroy cannot be checked (glvf.h says so).
 */
#if UINTPTR_MAX > 0xffffffffu
#define GLVF_HANDLE_SHIFT 48
static inline void *glvf_handle(const void *obj, uint16_t gen)
{
    return (void *)((uintptr_t)obj | (uintptr_t)gen << GLVF_HANDLE_SHIFT);
}
static inline void *glvf_handle_obj(const void *h)
{
    return (void *)((uintptr_t)h & (((uintptr_t)1 << GLVF_HANDLE_SHIFT) - 1));
}
static inline uint16_t glvf_handle_gen(const void *h)
{
    return (uint16_t)((uintptr_t)h >> GLVF_HANDLE_SHIFT);
}
static inline bool glvf_handle_fits(const void *obj)
{
    return ((uintptr_t)obj >> GLVF_HANDLE_SHIFT) == 0;
}
#else /* 32-bit: no spare bits; the magic number alone */
static inline void *glvf_handle(const void *obj, uint16_t gen)
{
    (void)gen;
    return (void *)obj;
}
static inline void *glvf_handle_obj(const void *h)
{
    return (void *)h;
}
static inline uint16_t glvf_handle_gen(const void *h)
{
    (void)h;
    return 0;
}
static inline bool glvf_handle_fits(const void *obj)
{
    (void)obj;
    return true;
}
#endif

#define FRAME_MAGIC 0x676c7666u    /* "glvf" */
#define FRAME_MAGIC_FREE 0x66726565u
#define STAGING_MAGIC 0x676c7673u
#define STAGING_MAGIC_FREE 0x73667265u

#define GLVF_MAX_SITE 10

/* ---- log.c ------------------------------------------------------------- */
void glvf_logf(const glvf_context *ctx, glvf_log_level level, const char *fmt, ...)
    GLVF_PRINTF(3, 4);
/* A copy of a context's log settings (immutable after creation). A thread
 * that must log after giving up the reference that kept the context alive
 * (an orphan's drop, the teardown) copies them first, while the context is
 * certainly alive, and logs through the copy: another thread may free the
 * context as soon as that reference is gone. */
typedef struct glvf_log_sink {
    glvf_log_fn fn;
    void *user;
    glvf_log_level level;
} glvf_log_sink;
glvf_log_sink glvf_log_sink_get(const glvf_context *ctx); /* NULL ctx: silent */
void glvf_log_sink_printf(const glvf_log_sink *sink, glvf_log_level level, const char *fmt,
                          ...) GLVF_PRINTF(3, 4);
/* In a public function: the message starts with the function's name. */
void glvf_logf_fn(const glvf_context *ctx, glvf_log_level level, const char *fn, const char *fmt,
                  ...) GLVF_PRINTF(4, 5);
#define LOGF_E(ctx, ...) glvf_logf_fn((ctx), GLVF_LOG_ERROR, __func__, __VA_ARGS__)
#define LOGF_W(ctx, ...) glvf_logf_fn((ctx), GLVF_LOG_WARN, __func__, __VA_ARGS__)
#define LOG_E(ctx, ...) glvf_logf((ctx), GLVF_LOG_ERROR, __VA_ARGS__)
#define LOG_W(ctx, ...) glvf_logf((ctx), GLVF_LOG_WARN, __VA_ARGS__)
#define LOG_I(ctx, ...) glvf_logf((ctx), GLVF_LOG_INFO, __VA_ARGS__)
#define LOG_D(ctx, ...) glvf_logf((ctx), GLVF_LOG_DEBUG, __VA_ARGS__)

/* ---- platform.c: default loader / is_current through EGL or GLX --------- */
typedef struct glvf_platform {
    void *egl_lib, *glx_lib;
    void *(*egl_get_proc)(const char *);
    void *(*egl_get_current_context)(void);
    void *(*glx_get_proc)(const unsigned char *);
    void *(*glx_get_current_context)(void);
    int api;      /* 0 none, 1 EGL, 2 GLX */
    void *owner;  /* the EGLContext / GLXContext current at creation */
} glvf_platform;

bool glvf_platform_init(glvf_platform *p, const glvf_context *log_ctx);
void glvf_platform_fini(glvf_platform *p);
void *glvf_platform_get_proc(void *user, const char *name);
bool glvf_platform_is_current(void *user);

/* ---- format.c ---------------------------------------------------------- */
typedef struct glvf_plane_desc {
    uint8_t comps;          /* components per texel as uploaded */
    uint8_t bytes_per_comp; /* 1 or 2 */
    uint8_t sub_x, sub_y;   /* log2 subsampling relative to luma */
    uint8_t pixels_per_texel; /* 2 for packed 4:2:2, else 1 */
} glvf_plane_desc;

/* How the renderer reads the planes (one shader variant family each). */
typedef enum glvf_layout {
    GLVF_LAYOUT_RGB,       /* one RGB(A) texture */
    GLVF_LAYOUT_GRAY,      /* one single-channel texture */
    GLVF_LAYOUT_PLANAR,    /* Y, U, V (+ A) textures */
    GLVF_LAYOUT_NV,        /* Y + interleaved chroma */
    GLVF_LAYOUT_PACKED422, /* one texture, two pixels per texel */
    GLVF_LAYOUT_COUNT
} glvf_layout;

/*
 * One row of the format table: everything the uploader, the renderer and
 * the FFmpeg module need. The name is FFmpeg's pixel format name (the
 * native-endian variant for 16-bit formats: av_get_pix_fmt() resolves
 * "yuv420p10" to yuv420p10le on little-endian machines), which is how the
 * FFmpeg module maps formats: a new row is carried with no other change.
 */
typedef struct glvf_format_desc {
    const char *name;
    uint8_t planes;
    uint8_t depth;          /* significant bits */
    uint8_t shift;          /* value stored << shift (P010: 6) */
    bool yuv, alpha;
    uint8_t layout; /* glvf_layout */
    /* where each component sits in a texel: RGB: R, G, B, A; NV: U, V of
     * the chroma texel; packed 4:2:2: Y0, U, Y1, V; others: unused */
    uint8_t order[4];
    glvf_plane_desc plane[GLVF_MAX_PLANES];
} glvf_format_desc;

const glvf_format_desc *glvf_format_desc_get(glvf_format f);

/* An image's format row and plane layouts on a context: resolved once per
 * upload (by the validation) and passed down to the pool, the uploader and
 * the frame. */
typedef struct glvf_image_plan {
    const glvf_format_desc *desc;
    int planes;
    glvf_plane_layout layout[GLVF_MAX_PLANES];
} glvf_image_plan;

/* Validation without logging; `why` gets a description on failure. Fills
 * `plan` (may be NULL) when the image is valid. */
int glvf_image_check(const glvf_context *ctx, const glvf_image *img, glvf_image_plan *plan,
                     char *why, size_t why_len);
/* The same, logging the reason through ctx. */
int glvf_image_validate_plan(glvf_context *ctx, const glvf_image *img, glvf_image_plan *plan);

/* ---- tracker.c: counters, labels and the deferred-release queue --------- */
typedef struct glvf_deferred {
    uint64_t handle;
    uint64_t bytes;
    uint8_t kind;
} glvf_deferred;

typedef struct glvf_tracker {
    glvf_object_stats kinds[GLVF_OBJECT_KIND_COUNT];
    glvf_deferred *queue;   /* pending deletes */
    size_t queue_len, queue_cap;
    uint64_t deferred_total, collects;
} glvf_tracker;

/* All tracker functions expect ctx->lock held unless noted. */
void glvf_tracker_created(glvf_context *ctx, glvf_object_kind kind, uint64_t bytes);
/* Makes room so that `extra` more pushes cannot fail. GL thread. */
bool glvf_tracker_reserve(glvf_context *ctx, size_t extra);
/* Queues a delete; false (-ENOMEM) only for pushes beyond the reserve. */
bool glvf_tracker_defer(glvf_context *ctx, glvf_object_kind kind, uint64_t handle,
                        uint64_t bytes);
/* An object glvf will never delete because it died with its GL context
 * (abandon): no longer counted live. */
void glvf_tracker_forget(glvf_context *ctx, glvf_object_kind kind, uint64_t bytes);
/* Destroy's choice for each object a part still owns: queued for delete
 * when the GL context is alive (`gl`: the reserve was taken), else
 * forgotten. */
void glvf_tracker_release(glvf_context *ctx, glvf_object_kind kind, uint64_t handle, uint64_t bytes,
                          bool gl);
/* A live object's size changed (an orphaned buffer re-specified). */
void glvf_tracker_resized(glvf_context *ctx, glvf_object_kind kind, uint64_t old_bytes,
                          uint64_t new_bytes);
/* Abandon: forgets what the queue holds (the GL context took it). */
void glvf_tracker_forget_queue(glvf_context *ctx);
/* Objects of `kind` counted live. */
uint64_t glvf_tracker_live(const glvf_context *ctx, glvf_object_kind kind);
/* The tracker's part of glvf_stats. */
void glvf_tracker_get_stats(const glvf_context *ctx, glvf_stats *out);
/* Deletes up to `max` queued objects (0: all), batched per kind. GL thread,
 * called WITHOUT ctx->lock. Returns the number deleted. */
int glvf_tracker_drain(glvf_context *ctx, unsigned max);
/* Deletes one object right now. GL thread, without ctx->lock. */
void glvf_tracker_delete_now(glvf_context *ctx, glvf_object_kind kind, uint64_t handle,
                             uint64_t bytes);
void glvf_tracker_free(glvf_context *ctx); /* CPU only */
void glvf_label(glvf_context *ctx, GLenum identifier, GLuint name, const char *fmt, ...)
    GLVF_PRINTF(4, 5);

/* ---- pool.c ------------------------------------------------------------ */
typedef struct glvf_pool_tex {
    GLuint name;
    GLenum internal_format;
    int width, height;
    size_t bytes;
    /* cached textures: the fence epoch of the release (the GPU may read the
     * texture until every epoch up to it has signalled) and when it was
     * released (CLOCK_MONOTONIC ns, for purges) */
    uint64_t epoch, released_ns;
    struct glvf_pool_tex *all_prev, *all_next;   /* every pool texture */
    struct glvf_pool_tex *lru_prev, *lru_next;   /* cached, oldest release first */
} glvf_pool_tex;

#define GLVF_POOL_FENCES 64  /* outstanding pool fences at most */
#define GLVF_RING_FENCES 64  /* staging ring fences at most (one per slot) */
#define GLVF_MEM_REQUESTS 8  /* purge requests kept until the next collect */

typedef struct glvf_pool_fence {
    GLsync sync;
    uint64_t epoch;          /* covers every release tagged with it */
} glvf_pool_fence;

typedef struct glvf_purge_request {
    unsigned unused_for_ms;
    size_t down_to_bytes;
} glvf_purge_request;

typedef struct glvf_pool {
    glvf_pool_tex *all;
    glvf_pool_tex *lru_head, *lru_tail;
    size_t bytes, cached_bytes, cached;
    uint64_t hits, misses, evictions, busy_skips, fence_waits;
    /* Fences: a release is tagged with `epoch`; recording a fence closes the
     * epoch; every epoch below `done` is known to have signalled. The queue
     * (oldest first, GL thread) holds the fences not yet seen signalled. */
    uint64_t epoch, done;
    size_t unfenced;                     /* releases since the last fence */
    glvf_pool_fence fences[GLVF_POOL_FENCES];
    size_t fence_head, fence_count;
    /* memory control asked for from any thread, applied by the next collect */
    bool budget_asked;
    size_t ask_pool_budget, ask_staging_budget;
    glvf_purge_request purges[GLVF_MEM_REQUESTS];
    size_t npurges;
} glvf_pool;

/* GL thread (ctx current), without ctx->lock. Reuses the oldest cached
 * texture of that size and format the GPU has finished with; creates one
 * while the budget allows; at the budget waits (fence_timeout_ms) for the
 * oldest one the GPU may still read. NULL with *err (-ENOMEM, -EIO,
 * -ETIMEDOUT) on failure, logged. */
/* The pool's part of glvf_stats. Lock held. */
void glvf_pool_get_stats(const glvf_context *ctx, glvf_stats *out);
glvf_pool_tex *glvf_pool_acquire(glvf_context *ctx, const glvf_plane_layout *l,
                                 glvf_format format, int plane, int *err);
/* Any thread, with ctx->lock held. */
void glvf_pool_release_locked(glvf_context *ctx, glvf_pool_tex *t);
/* Collect's part (GL thread, without lock): applies budget and purge
 * requests (deletes go through the deferred queue), retires signalled pool
 * fences and records one for the releases since the previous fence. */
void glvf_pool_collect(glvf_context *ctx);
/* Bytes of cached textures and free staging slots. Lock held. */
size_t glvf_pool_purgeable_locked(const glvf_context *ctx);
/* Destroy: queues (gl) or forgets every pool texture and fence. Lock held. */
void glvf_pool_destroy(glvf_context *ctx, bool gl);

/* ---- upload/: the strategies behind one operations table ---------------- */
typedef struct glvf_upload_ops {
    glvf_upload_strategy id;
    /* NULL when `ctx` can use the strategy, else why not (then `fallback`
     * is used, with a warning); NULL pointer: every context can */
    const char *(*unavailable)(const glvf_context *ctx);
    glvf_upload_strategy fallback;
    /* uploads img's planes into tex; the caller cleared GL errors, saved
     * the unpack state and checks errors after. GL thread, no lock. */
    int (*upload)(glvf_context *ctx, const glvf_image *img, glvf_pool_tex *const *tex,
                  const glvf_image_plan *plan);
    /* destroy: what the strategy holds itself (gl: deletes queued; else
     * forgotten). Lock held. May be NULL. */
    void (*destroy)(glvf_context *ctx, bool gl);
    /* staging regions are GPU-visible mapped memory: a submit is zero-copy */
    bool mapped_staging;
} glvf_upload_ops;

/* The ops of a concrete strategy (not auto), or NULL. */
const glvf_upload_ops *glvf_upload_ops_get(glvf_upload_strategy s);
/* The strategy `ctx` uses when `want` is asked for (GLVF_UPLOAD=, each
 * strategy's fallback, auto's policy), logged where it differs. Creation. */
glvf_upload_strategy glvf_upload_resolve(glvf_context *ctx, glvf_upload_strategy want);

/* ---- staging.c --------------------------------------------------------- */
typedef enum slot_state { SLOT_FREE = 0, SLOT_ACQUIRED, SLOT_IN_FLIGHT } slot_state;

typedef struct glvf_slot {
    GLuint buffer;          /* 0 for CPU-memory slots */
    uint8_t *map;           /* persistent mapping or CPU memory */
    size_t size;
    GLsync fence;
    slot_state state;
    uint64_t last_used;
    uint64_t used_ns;       /* last seen in use (or created), for purges */
} glvf_slot;

typedef struct glvf_staging_ring {
    glvf_slot *slots;
    size_t count, cap;
    size_t bytes;
    uint64_t clock;
    uint64_t waits, zero_copy;
    size_t live;                    /* regions acquired, not submitted */
    size_t handles;                 /* region handles made (live + free list) */
    size_t want_bytes, want_count;  /* asked for by any-thread acquire */
    /* mapped-read probe: MB/s, 0 when not probed */
    uint64_t read_mapped_mbps, read_heap_mbps;
    bool reads_fast;                /* mapped >= half of heap */
    /* pbo-persistent uploads that found no slot to take (every slot held as
     * a producer's region, or the budget held) and went through client
     * memory instead; the first one is logged (GL thread only) */
    uint64_t client_fallbacks;
    /* pbo-orphan: one buffer, re-specified every upload */
    GLuint orphan_buffer;
    size_t orphan_size;
} glvf_staging_ring;

struct glvf_staging {
    uint32_t magic;
    uint16_t gen;           /* the handle's generation (moves on reuse) */
    glvf_context *ctx;
    size_t slot;            /* index into ring.slots */
    glvf_format format;         /* as allocated */
    int width, height;
    glvf_image image;
    glvf_staging *prev, *next;  /* ctx->staging_live list */
    void *site[GLVF_MAX_SITE];
    int nsite;
};

/* The live region behind a handle, or NULL (stale, released, not one). */
glvf_staging *glvf_staging_resolve(const glvf_staging *handle);
/* The staging ring's part of glvf_stats. Lock held. */
void glvf_staging_get_stats(const glvf_context *ctx, glvf_stats *out);
/* Uploads plane data into textures with the context's strategy. GL thread,
 * without lock. Returns 0 or -errno (logged). */
int glvf_upload_planes(glvf_context *ctx, const glvf_image *img, glvf_pool_tex *const *tex,
                       const glvf_image_plan *plan);
/* Checks that a region's (possibly producer-edited) image keeps its format
 * and does not grow; with `plan` (the image validated) also that every
 * plane stays inside the region. 0 or -EINVAL with the reason logged. */
int glvf_staging_check(glvf_context *ctx, const glvf_staging *st, const glvf_image_plan *plan);
/* Uploads from a filled staging region; `keep`: the region stays with its
 * owner, else it ends (returns to the ring). GL thread, without lock. */
int glvf_staging_upload_region(glvf_context *ctx, glvf_staging *st, glvf_pool_tex *const *tex,
                               const glvf_image_plan *plan, bool keep);
/* Retires signalled fences, creates regions asked for. GL thread, no lock. */
void glvf_staging_service(glvf_context *ctx);
/* Destroy: queues (gl) or forgets every buffer and fence. Lock held. */
void glvf_staging_destroy(glvf_context *ctx, bool gl);
/* The mapped-read probe (pbo-persistent): times CPU reads from a small
 * persistently mapped buffer against heap memory and records the result in
 * ctx->ring. GL thread, during create (before the context is shared). */
void glvf_staging_probe_reads(glvf_context *ctx);
/* Purges and budgets (lock held, no GL call): the free slot unused the
 * longest (false: none) and when it was last used; dropping one queues its
 * buffer (or frees its CPU memory). */
bool glvf_staging_oldest_free_locked(const glvf_context *ctx, size_t *idx, uint64_t *used_ns);
void glvf_staging_drop_free_locked(glvf_context *ctx, size_t idx);
size_t glvf_staging_free_bytes_locked(const glvf_context *ctx);

/* ---- frame.c ----------------------------------------------------------- */
/* Where a frame's textures come from, and so where they go back to when
 * the last reference drops. A texture the host made (an import) would be
 * one more origin: its textures go back to the host, not the pool. */
typedef enum glvf_frame_origin {
    GLVF_ORIGIN_POOL,    /* glvf_upload, glvf_frame_new: pool textures */
    GLVF_ORIGIN_STAGING, /* a staging region submitted: pool textures
                               filled from the region */
} glvf_frame_origin;

struct glvf_frame {
    uint32_t magic;
    uint16_t gen;           /* the handle's generation (moves on reuse) */
    atomic_int refs;
    glvf_context *ctx;      /* NULL once orphaned */
    glvf_image image;       /* plane pointers cleared */
    int planes;
    glvf_pool_tex *tex[GLVF_MAX_PLANES];
    glvf_frame_plane plane[GLVF_MAX_PLANES];
    void *user_data;
    glvf_frame_origin origin;
    bool zero_copy; /* filled from mapped staging memory, no copy */
    size_t bytes;
    GLsync fence;           /* glvf_frame_fence(), owned by the frame */
    glvf_frame *prev, *next;    /* ctx->frames_live or ctx->frames_free */
    void *site[GLVF_MAX_SITE];
    int nsite;
};

void glvf_frames_destroy(glvf_context *ctx); /* orphans live frames, frees free list */
/* The live frame behind a handle, or NULL (stale, freed, not a frame). */
glvf_frame *glvf_frame_resolve(const glvf_frame *handle);
/* Destroy: queues (gl) or forgets the fences of live frames. Lock held. */
void glvf_frames_end_fences(glvf_context *ctx, bool gl);

/* ---- colour.c ---------------------------------------------------------- */
/* The renderer's colour path for one draw: NONE is today's single matrix
 * (BT.709 SDR, bit for bit); the others linearise, convert the primaries to
 * BT.709, tone-map (PQ, HLG), gamut-map and encode with gamma 1/2.4. */
typedef enum glvf_colour_path {
    GLVF_COLOUR_NONE = 0,
    GLVF_COLOUR_SDR,
    GLVF_COLOUR_PQ,
    GLVF_COLOUR_HLG,
} glvf_colour_path;

typedef struct glvf_colour_plan {
    glvf_colour_path path;
    glvf_tone_map tone_map;         /* PQ, HLG: never AUTO */
    glvf_gamut_map gamut_map;       /* not NONE: never AUTO */
    int primaries, transfer;        /* what was asked for */
    float target_peak, source_peak; /* nits (PQ, HLG) */
    float gamut[9];                 /* source -> BT.709, linear, column-major */
    float lin[2];                   /* PQ: 10000/target; HLG: Lw/target, gamma-1 */
    float tm[4];                    /* the curve's constants (colour.c) */
} glvf_colour_plan;

/* What was logged already (one line per distinct bad value). */
typedef struct glvf_colour_memory {
    int bad_primaries;
    float bad_target, bad_hlg, bad_source, bad_cll, bad_master;
} glvf_colour_memory;

/* GL thread (logs through ctx). Never fails: bad values fall back to the
 * documented defaults, logged once. */
void glvf_colour_plan_make(glvf_context *ctx, glvf_colour_memory *mem, const glvf_image *img,
                           const glvf_render_params *p, glvf_colour_plan *out);
/* Linear-light conversion from `primaries` to BT.709 (row-major); false for
 * primaries glvf does not know. */
bool glvf_primaries_to_bt709(int primaries, double out[3][3]);
double glvf_pq_inverse(double nits);

/* ---- render.c ---------------------------------------------------------- */
typedef struct glvf_renderer glvf_renderer;
/* Destroy: queues (gl) or forgets programs and the VAO. Lock held. */
void glvf_render_destroy(glvf_context *ctx, bool gl);

/* ---- context.c --------------------------------------------------------- */
struct glvf_context {
    uint32_t magic;
    GladGLContext gl;
    glvf_caps caps;
    char vendor[128], renderer[256], version[256];

    glvf_get_proc_fn get_proc;
    void *get_proc_user;
    glvf_is_current_fn is_current;
    void *is_current_user;
    glvf_log_fn log;
    void *log_user;
    glvf_log_level log_level;
    size_t pool_budget, staging_budget;
    unsigned max_deletes;
    unsigned fence_timeout_ms;
    unsigned flags;
    bool labels, track_sites;
    glvf_upload_strategy strategy;
    const glvf_upload_ops *upload_ops; /* its operations (never auto) */
    glvf_platform platform;
    glvf_renderer *render;       /* GL thread only */

    /* extension entry points resolved once */
    PFNGLBUFFERSTORAGEPROC buffer_storage;
    PFNGLOBJECTLABELPROC object_label;
    /* glGetGraphicsResetStatus(ARB/EXT/KHR), set only when the context can
     * report resets (robustness and GL_LOSE_CONTEXT_ON_RESET); NULL: no
     * reset is ever reported, so glvf never asks. */
    PFNGLGETGRAPHICSRESETSTATUSPROC get_reset_status;
    /* Set once (GL thread) when a graphics reset was seen; read anywhere. */
    atomic_bool lost;

    /* Everything below is guarded by `lock`. */
    pthread_mutex_t lock;
    bool dead;               /* destroyed or abandoned; frames are orphans */
    size_t live_refs;        /* live frames + live staging regions */
    uint64_t rejected_calls;
    glvf_tracker tracker;
    glvf_pool pool;
    glvf_staging_ring ring;
    glvf_frame *frames_live, *frames_free;
    glvf_staging *staging_live, *staging_free;
    uint64_t frames_live_count, frames_uploaded, bytes_uploaded;
};

/* GL errors, bounded (a lost context may report one forever: at most
 * GLVF_GL_ERRORS are read). Before glvf's own GL work: clears what is
 * pending; with `where`, an error found is one the application left behind
 * and is logged (warning) as discarded; NULL: quietly (glvf's own probing,
 * or a step inside a call that cleared already). GL thread. */
#define GLVF_GL_ERRORS 16
void glvf_gl_clear(glvf_context *ctx, const char *where);
/* After glvf's own GL work: 0, or -ENOMEM (GL_OUT_OF_MEMORY) / -EIO for the
 * first error, logged with `what`; the rest are read off (bounded). */
int glvf_gl_check(glvf_context *ctx, const char *what);

/* Entry check for GL-thread functions: valid handle (-EINVAL), owning
 * context current (-EPERM), context not lost (-ENODEV). On success (0) also
 * drains the deferred queue (bounded) and services staging. Otherwise logs
 * (when there is a context to log through) and makes no GL call. */
int glvf_ctx_enter(glvf_context *ctx, const char *fn);
bool glvf_ctx_valid(const glvf_context *ctx, const char *fn);
/* GL thread, context current. True when the context is lost: already known,
 * or glGetGraphicsResetStatus reports a reset now (then it is marked lost
 * and logged once). One GL call at most; none when the context cannot
 * report resets or the loss is already known. Called by collect, destroy
 * and the failure paths of GL-thread calls (a reset shows up as GL errors,
 * NULL maps or fences that never signal). */
bool glvf_ctx_check_lost(glvf_context *ctx, const char *fn);
/* Frees a dead context. Ownership rule of the teardown: live_refs counts
 * the live frames and staging regions, plus one held by context_end while it
 * runs. Whoever drops the last of them (under ctx->lock) calls this after
 * unlocking. Every other thread gives up its reference as the last thing it
 * does with ctx under the lock: after that unlock it may not read ctx at all
 * (log through a glvf_log_sink copied before). */
void glvf_ctx_free(glvf_context *ctx);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t glvf_now_ns(void);

/* ---- site.c: creation sites for the leak report ------------------------ */
/* Backtrace of the caller of the public function that calls this. */
__attribute__((noinline)) int glvf_capture_site(void **site, int max);
/* Names sites (function, file:line) through libdw; NULL without libdw or
 * when the process's modules cannot be listed. CPU only, any thread. */
typedef struct glvf_symbolizer glvf_symbolizer;
glvf_symbolizer *glvf_symbolizer_new(void);
void glvf_symbolizer_free(glvf_symbolizer *sym); /* NULL: nothing */
/* Logs one line per site entry: named through `sym` where it can, else
 * backtrace_symbols()' module(+offset) form. */
void glvf_log_site(const glvf_context *ctx, glvf_symbolizer *sym, glvf_log_level level,
                   void *const *site, int n);

static inline size_t glvf_align_up(size_t v, size_t a)
{
    return (v + a - 1) / a * a;
}

#endif
