/*
 * glvf — GL video frames.
 *
 * glvf owns the life of the OpenGL objects a video renderer needs: decoded
 * frames are uploaded into a pool of GL textures (directly or through
 * pixel-buffer objects), every GL object glvf creates is tracked, and a
 * release asked for from any thread, or while the owning context is not
 * current, goes into a deferred-release queue that is drained only while the
 * owning context is current.
 *
 * Threading vocabulary used in every function comment below:
 *   GL thread   the owning GL context must be current on the calling thread.
 *               glvf checks it (through the is_current callback) and fails
 *               with a logged error, making no GL call, when it is not.
 *   any thread  callable from any thread at any time; never calls GL.
 *
 * Ownership vocabulary: "takes" means the callee owns the object afterwards
 * (also on failure, unless stated); "borrows" means the caller keeps
 * ownership and the object must stay valid for the duration of the call.
 *
 * Return conventions: bool (true = success), NULL, or a negative errno.
 * Details of every failure go to the log callback; glvf never writes to
 * stdout or stderr by itself.
 *
 * ABI: every struct the caller allocates ends with reserved space; a field
 * added later takes some of it, so the size never changes and binaries
 * built against an older header keep working. Input structs must have it
 * zeroed (the glvf_*_params() macros and `= { 0 }` do); output structs
 * get it written as zero. Enum values are fixed and only appended
 * (tests/headers checks the sizes and the exported symbols).
 *
 * Context loss: once the owning GL context reports a graphics reset (see
 * glvf_context_is_lost()), every GL-thread call fails with -ENODEV and makes
 * no GL call; the application destroys the glvf context (CPU state only)
 * and creates a new one on a new GL context.
 */
#ifndef GLVF_GLVF_H
#define GLVF_GLVF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(GLVF_STATIC_BUILD) || !defined(__GNUC__)
#define GLVF_API
#else
#define GLVF_API __attribute__((visibility("default")))
#endif

/* ------------------------------------------------------------------------ */
/* Version                                                                  */

#define GLVF_VERSION_MAJOR 0
#define GLVF_VERSION_MINOR 1
#define GLVF_VERSION_PATCH 0
#define GLVF_VERSION_NUMBER \
    ((GLVF_VERSION_MAJOR << 16) | (GLVF_VERSION_MINOR << 8) | GLVF_VERSION_PATCH)

/* "MAJOR.MINOR.PATCH" of the library actually linked. Any thread. */
GLVF_API const char *glvf_version(void);
/* GLVF_VERSION_NUMBER of the library actually linked. Any thread. */
GLVF_API unsigned glvf_version_number(void);

/* Heap allocations glvf (the core and the FFmpeg module, which shares its
 * heap) has made in this process so far, from every thread. For benchmarks
 * and tests: in steady state this stops moving. Any thread. */
GLVF_API uint64_t glvf_heap_allocations(void);

/* ------------------------------------------------------------------------ */
/* Logging                                                                  */

typedef enum glvf_log_level {
    GLVF_LOG_DEFAULT = 0, /* in params: means GLVF_LOG_WARN */
    GLVF_LOG_ERROR = 1,
    GLVF_LOG_WARN = 2,
    GLVF_LOG_INFO = 3,
    GLVF_LOG_DEBUG = 4,
} glvf_log_level;

/*
 * Log callback. Called from whichever thread hit the condition (any-thread
 * functions log too), possibly concurrently; it must be thread-safe. `msg` is
 * borrowed for the duration of the call and has no trailing newline.
 */
typedef void (*glvf_log_fn)(void *user, glvf_log_level level, const char *msg);

/* A ready-made log callback writing "glvf: <level>: <msg>\n" to stderr. The
 * library never uses it unless the host passes it. Any thread. */
GLVF_API void glvf_log_stderr(void *user, glvf_log_level level, const char *msg);

/* Human name of a level ("error", "warn", ...). Any thread. */
GLVF_API const char *glvf_log_level_name(glvf_log_level level);

/* ------------------------------------------------------------------------ */
/* Context                                                                  */

typedef struct glvf_context glvf_context;

/* Resolves a GL entry point by name; returns NULL when unknown. Called only
 * inside glvf_context_create(), on its thread. */
typedef void *(*glvf_get_proc_fn)(void *user, const char *name);
/* True when the owning GL context is current on the calling thread. Called
 * on GL-thread entry points and must be cheap. Called on any thread. */
typedef bool (*glvf_is_current_fn)(void *user);

/* Upload strategies. See docs/uploads.md. */
typedef enum glvf_upload_strategy {
    GLVF_UPLOAD_AUTO = 0,       /* per driver: client on software renderers,
                                   pbo-persistent where buffer storage
                                   exists, else pbo-orphan */
    GLVF_UPLOAD_CLIENT = 1,         /* glTexSubImage2D from CPU memory */
    GLVF_UPLOAD_PBO_ORPHAN = 2,     /* orphaned pixel-buffer object + map */
    GLVF_UPLOAD_PBO_PERSISTENT = 3, /* ring of persistently mapped buffer storage
                                   guarded by fences */
    GLVF_UPLOAD_STRATEGY_COUNT
} glvf_upload_strategy;

/* "auto", "client", "pbo-orphan", "pbo-persistent". Any thread. */
GLVF_API const char *glvf_upload_strategy_name(glvf_upload_strategy s);
/* Parses the names above; returns -EINVAL for anything else. Any thread. */
GLVF_API int glvf_upload_strategy_parse(const char *name);

enum glvf_context_flags {
    /* Record where frames and staging regions were created (a backtrace), so
     * the leak report at destroy names the site: function, file and line of
     * each frame when glvf was built with elfutils' libdw, else module and
     * offset. Also enabled by the environment variable GLVF_DEBUG
     * containing "leaks". */
    GLVF_CONTEXT_TRACK_SITES = 1u << 0,
    /* Do not attach KHR_debug labels to GL objects. */
    GLVF_CONTEXT_NO_LABELS = 1u << 1,
    /* Ignore the GLVF_UPLOAD and GLVF_DEBUG environment variables. */
    GLVF_CONTEXT_IGNORE_ENV = 1u << 2,
};

typedef struct glvf_context_params {
    /* GL loader. NULL: a platform default that resolves through whichever of
     * EGL or GLX has a context current at creation. */
    glvf_get_proc_fn get_proc_address;
    void *get_proc_user;
    /* Owning-context check. NULL: the default compares the current EGL or
     * GLX context with the one current at creation. */
    glvf_is_current_fn is_current;
    void *is_current_user;
    /* Log sink; NULL: silent. Called on any thread that calls into glvf,
     * so it must be thread-safe. Must stay valid until glvf_context_destroy()
     * or _abandon() has returned and every call that drops an orphan
     * (glvf_frame_unref, glvf_staging_release) has returned: glvf copies
     * it, so the last orphan's drop on one thread may free the context
     * while another thread's drop still logs through the copy. */
    glvf_log_fn log;
    void *log_user;
    glvf_log_level log_level;      /* 0: GLVF_LOG_WARN */
    /* Texture pool byte budget (in-use + cached). 0: 512 MiB. Cached
     * textures are evicted least-recently-used first to stay under it; at
     * the budget, or when 3 cached textures of the size it needs (1 on
     * software renderers) are still read by the GPU, an upload waits for the
     * GPU to finish with one rather than create another (see
     * fence_timeout_ms). Changeable at run time: glvf_context_set_budget(). */
    size_t pool_budget_bytes;
    /* Staging (PBO) byte budget. 0: 128 MiB. Changeable at run time. */
    size_t staging_budget_bytes;
    /* Upper bound of GL objects deleted by one drain of the deferred queue.
     * 0: unbounded. */
    unsigned max_deletes_per_collect;
    /* Upload strategy; 0 (auto) unless forced. GLVF_UPLOAD=<name> in the
     * environment overrides it (unless GLVF_CONTEXT_IGNORE_ENV). */
    glvf_upload_strategy upload;
    /* Milliseconds an upload waits for a fence before it fails with
     * -ETIMEDOUT (logged): a staging slot's (pbo-persistent ring full), or
     * a released texture's (every matching texture still read by the GPU,
     * and the pool at its budget or 3 of them waiting). 0: 2000, long enough for a GPU a few frames
     * behind, short enough to report a hung one. */
    unsigned fence_timeout_ms;
    unsigned flags;                /* glvf_context_flags */
    /* zero: room for parameters added later without breaking binaries
     * (the glvf_context_params() macro zeroes it) */
    uint64_t reserved[8];
} glvf_context_params;

/* Designated-initialiser helper:
 *   glvf_context_create(glvf_context_params(.log = glvf_log_stderr)); */
#define glvf_context_params(...) (&(const glvf_context_params){__VA_ARGS__})

/*
 * Creates a glvf context bound to the GL context current on this thread (the
 * owning context). GL thread (the owning context must be current).
 * Borrows `params`. Requires desktop GL >= 3.3 (core or compatibility) or
 * GLES >= 3.0. Returns NULL with a logged reason on failure (no current
 * context, a loader that misses a required function, a too-old context);
 * nothing is leaked then.
 */
GLVF_API glvf_context *glvf_context_create(const glvf_context_params *params);

/*
 * Drains the deferred-release queue (bounded by max_deletes_per_collect),
 * retires signalled staging and pool fences, applies budget changes and
 * purges asked for since the previous collect (glvf_context_set_budget(),
 * glvf_context_purge(): what they free is deleted by this drain), and
 * records one fence covering every texture released since the previous
 * one (the pool reuses a texture only once its fence has signalled). Call
 * once per frame. GL thread; on any
 * other thread it makes no GL call, logs an error and returns -EPERM.
 * When the context can report graphics resets (caps.robustness and a
 * context created with GL_LOSE_CONTEXT_ON_RESET) it first asks
 * glGetGraphicsResetStatus (one GL call); on a reset it logs an error, marks
 * the context lost and returns -ENODEV, as it does on every later call.
 * Returns the number of GL objects deleted, or a negative errno.
 */
GLVF_API int glvf_context_collect(glvf_context *ctx);

/*
 * True once glvf has seen the owning GL context report a graphics reset
 * (glGetGraphicsResetStatus != GL_NO_ERROR): in glvf_context_collect(),
 * glvf_context_destroy(), or after a failure of another GL-thread call.
 * It stays true. From then on every GL-thread call returns -ENODEV (upload
 * and submit: NULL with -ENODEV in *err) without a GL call; any-thread
 * calls keep working (frames may still be unreferenced, stats read).
 * What to do: destroy the glvf context (on a lost context destroy frees CPU
 * state only, like glvf_context_abandon(); frames still referenced become
 * orphans), make a new GL context and a new glvf context, upload again.
 * Contexts created without reset notification never report a reset (the
 * GL status is always GL_NO_ERROR there). False for NULL. Any thread;
 * never calls GL.
 */
GLVF_API bool glvf_context_is_lost(const glvf_context *ctx);

/*
 * Destroys the context: drains the queue, deletes every GL object glvf
 * created (pooled textures, staging buffers, fences), logs a leak report of
 * what the application never released (frames still referenced, staging
 * regions never submitted) and clears *pctx. Frames still referenced become
 * orphans: dropping them later frees CPU memory only, with a warning.
 * Orphans may be dropped on any threads, also while destroy runs; the
 * context's own memory is freed by whichever comes last, destroy or the
 * last orphan's drop, and nothing touches it afterwards.
 * GL thread. When the owning context is not current it logs an error,
 * makes no GL call, leaves *pctx untouched and returns false. When the
 * context is lost (a graphics reset, checked here too) it deletes nothing
 * (the objects went with the reset), makes no further GL call, frees CPU
 * state like glvf_context_abandon() and returns true. Accepts NULL
 * and a pointer to NULL (returns true): destroying twice through the same
 * pointer is harmless. Destroying through a stale COPY of the pointer is a
 * use after free, as with free(); it is only detected (logged, false)
 * while orphaned frames keep the context's memory alive.
 */
GLVF_API bool glvf_context_destroy(glvf_context **pctx);

/*
 * For when the owning GL context is already gone (the window closed first):
 * frees all CPU state without a single GL call, reports leaks like destroy,
 * and clears *pctx. Frames and regions still held become orphans, as with
 * destroy, and may be dropped on any threads meanwhile. Any thread.
 * Accepts NULL and a pointer to NULL.
 */
GLVF_API void glvf_context_abandon(glvf_context **pctx);

/* Kinds of GL objects glvf tracks and can release. */
typedef enum glvf_object_kind {
    GLVF_OBJECT_TEXTURE = 0,
    GLVF_OBJECT_BUFFER = 1,
    GLVF_OBJECT_SYNC = 2,
    GLVF_OBJECT_FRAMEBUFFER = 3,
    GLVF_OBJECT_PROGRAM = 4,
    GLVF_OBJECT_SHADER = 5,
    GLVF_OBJECT_VERTEX_ARRAY = 6,
    GLVF_OBJECT_SAMPLER = 7,
    GLVF_OBJECT_KIND_COUNT
} glvf_object_kind;

/* "texture", "buffer", ... Any thread. */
GLVF_API const char *glvf_object_kind_name(glvf_object_kind kind);

/*
 * Queues a GL object of the host's for deletion on the owning context's next
 * drain. `handle` is the GL name, or for GLVF_OBJECT_SYNC the GLsync pointer
 * value cast to uint64_t. The context takes ownership of the object on
 * success; on failure (-ENOMEM, -EINVAL) the caller keeps it. Any thread;
 * never calls GL.
 */
GLVF_API int glvf_context_defer_delete(glvf_context *ctx, glvf_object_kind kind,
                                       uint64_t handle);

typedef struct glvf_caps {
    bool is_gles;
    int gl_major, gl_minor;       /* context version */
    int glsl_version;             /* GL_SHADING_LANGUAGE_VERSION: e.g. 330, 450,
                                     320 (ES); glvf's shaders are GLSL 330 core
                                     or 300 es, compiled on every context */
    int max_texture_size;
    bool buffer_storage;          /* GL 4.4 / ARB_ / EXT_buffer_storage */
    bool texture_storage;         /* immutable storage (GL 4.2, ES 3.0, ARB) */
    bool sync;                    /* fence sync objects: always true (core in
                                     GL 3.2 and ES 3.0, which glvf requires) */
    bool khr_debug;               /* object labels */
    bool texture_norm16;          /* R16/RG16 textures (desktop, or
                                     EXT_texture_norm16 on ES) */
    bool robustness;              /* glGetGraphicsResetStatus available */
    bool timer_query;             /* GPU timer queries */
    bool software;                /* llvmpipe, softpipe, swrast, ... */
    const char *vendor;           /* GL_VENDOR, owned by the context */
    const char *renderer;         /* GL_RENDERER, owned by the context */
    const char *version;          /* GL_VERSION, owned by the context */
    uint64_t reserved[4];      /* room for fields added later; written as zero */
} glvf_caps;

/* Capabilities detected at creation. The pointer stays valid until the
 * context is destroyed. Any thread. */
GLVF_API const glvf_caps *glvf_context_get_caps(const glvf_context *ctx);

/* The strategy actually used (auto resolved). Any thread. */
GLVF_API glvf_upload_strategy glvf_context_get_upload_strategy(const glvf_context *ctx);

typedef struct glvf_object_stats {
    uint64_t live;          /* currently existing GL objects of this kind */
    uint64_t live_bytes;    /* their estimated memory */
    uint64_t created;       /* since context creation */
    uint64_t deleted;
} glvf_object_stats;

typedef struct glvf_stats {
    glvf_object_stats objects[GLVF_OBJECT_KIND_COUNT];
    uint64_t deferred_pending;    /* queued, not yet deleted */
    uint64_t deferred_total;      /* ever queued */
    uint64_t collects;            /* drains that ran */
    uint64_t rejected_calls;      /* GL-thread calls refused (not current) */
    /* texture pool */
    uint64_t pool_bytes;          /* all pool textures (in use + cached) */
    uint64_t pool_cached_bytes;   /* cached, ready for reuse */
    uint64_t pool_cached_textures;
    uint64_t pool_hits, pool_misses, pool_evictions;
    /* frames */
    uint64_t frames_live;         /* referenced by the application */
    uint64_t frames_uploaded;
    uint64_t bytes_uploaded;
    /* staging */
    glvf_upload_strategy upload_strategy;
    uint64_t staging_slots;       /* buffers in the staging ring */
    uint64_t staging_bytes;
    uint64_t staging_waits;       /* uploads that had to wait on a fence */
    uint64_t staging_live;        /* regions acquired, not yet submitted */
    uint64_t zero_copy_submits;   /* frames submitted from staging regions */
    /* The mapped-read probe, run by glvf_context_create for pbo-persistent
     * contexts: the CPU's read speed, in MB/s, from a persistently mapped
     * staging buffer (mapped as staging regions are) and from heap memory,
     * best of a few 64 KiB reads each (under 2 ms in all); 0 when not
     * probed (other strategies, or the probe's buffer could not be made).
     * staging_reads_fast: mapped reads are at least half as fast as heap
     * reads. Where they are not (uncached or write-combined mappings),
     * decoding into staging memory is slow: the FFmpeg module's automatic
     * direct rendering stays off. */
    uint64_t staging_read_mapped_mbps;
    uint64_t staging_read_heap_mbps;
    bool staging_reads_fast;
    /* Appended in 0.1 (issue 13); later fields take `reserved`. */
    uint64_t pool_busy_skips;     /* texture requests that passed over cached
                                     textures the GPU might still be reading */
    uint64_t pool_fence_waits;    /* texture requests that had to wait for a
                                     fence (the pool at its budget, or 3 of
                                     the kind busy; 1 on software renderers) */
    uint64_t purgeable_bytes;     /* cached textures + free staging slots:
                                     what glvf_context_purge() can free */
    uint64_t pool_budget_bytes;   /* budgets in force */
    uint64_t staging_budget_bytes;
    /* 1 when staging regions are GPU-visible mapped memory (the strategy
     * maps them: pbo-persistent), so a submit copies nothing; 0 when they
     * are CPU memory uploaded from. (Taken from `reserved`: the size of
     * glvf_stats is unchanged.) */
    uint64_t staging_mapped;
    uint64_t reserved[15];      /* room for fields added later; written as zero */
} glvf_stats;

/* Copies a consistent snapshot of the statistics. Any thread. */
GLVF_API void glvf_context_get_stats(const glvf_context *ctx, glvf_stats *out);

/*
 * Changes the pool and staging byte budgets (0 leaves that budget as it
 * is). Any thread; never calls GL: the request is stored and the owning
 * context's next glvf_context_collect() applies it (a later request before
 * that collect overrides an earlier one). Lowering a budget evicts cached
 * textures and deletes free staging slots, least recently used first, in
 * that collect; textures and staging regions in use are never touched:
 * they count against the budget and go once released and over it.
 * glvf_stats.pool_budget_bytes / staging_budget_bytes show the budgets in
 * force. Returns 0, or -EINVAL for an invalid or destroyed context.
 */
GLVF_API int glvf_context_set_budget(glvf_context *ctx, size_t pool_budget_bytes,
                                     size_t staging_budget_bytes);

/*
 * Frees cached memory: pool textures no frame uses and staging slots no
 * region or upload uses (glvf_stats.purgeable_bytes), least recently used
 * first, each only when unused for at least `unused_for_ms` (0: whatever
 * its age), until the memory glvf holds (pool_bytes + staging_bytes) is at
 * most `down_to_bytes` (0: free everything that qualifies). Textures and
 * staging regions in use are never touched; a cached texture the GPU may
 * still read can go (GL defers the delete). Any thread; never calls GL: the
 * request is stored and the owning context's next glvf_context_collect()
 * carries it out (the deletes in that collect's drain). Requests made
 * before that collect are carried out in order; 8 are kept, and further
 * ones are merged into the eighth (the smaller age and byte target of the
 * two). Returns 0, or -EINVAL for an invalid or destroyed context.
 */
GLVF_API int glvf_context_purge(glvf_context *ctx, unsigned unused_for_ms,
                                size_t down_to_bytes);

/* ------------------------------------------------------------------------ */
/* Formats and images                                                       */

typedef enum glvf_format {
    /* Values are fixed (the ABI): a new format takes the next number,
     * before GLVF_FORMAT_COUNT, whatever its family. */
    GLVF_FORMAT_NONE = 0,
    /* packed RGB */
    GLVF_FORMAT_RGBA8 = 1,        /* bytes R,G,B,A */
    GLVF_FORMAT_BGRA8 = 2,        /* bytes B,G,R,A */
    GLVF_FORMAT_RGBX8 = 3,        /* bytes R,G,B,x (x ignored) */
    GLVF_FORMAT_BGRX8 = 4,        /* bytes B,G,R,x */
    GLVF_FORMAT_RGB24 = 5,        /* bytes R,G,B */
    /* gray */
    GLVF_FORMAT_GRAY8 = 6,
    GLVF_FORMAT_GRAY16 = 7,       /* native-endian uint16 */
    /* planar YUV: Y, U, V planes; >8 bit: native-endian uint16, value in
     * the low bits (like FFmpeg's yuv420p10le) */
    GLVF_FORMAT_YUV420P = 8,
    GLVF_FORMAT_YUV422P = 9,
    GLVF_FORMAT_YUV444P = 10,
    GLVF_FORMAT_YUV420P10 = 11,
    GLVF_FORMAT_YUV422P10 = 12,
    GLVF_FORMAT_YUV444P10 = 13,
    GLVF_FORMAT_YUV420P12 = 14,
    GLVF_FORMAT_YUV422P12 = 15,
    GLVF_FORMAT_YUV444P12 = 16,
    GLVF_FORMAT_YUV420P16 = 17,
    GLVF_FORMAT_YUV422P16 = 18,
    GLVF_FORMAT_YUV444P16 = 19,
    /* semi-planar: Y plane, interleaved chroma plane */
    GLVF_FORMAT_NV12 = 20,         /* U,V */
    GLVF_FORMAT_NV21 = 21,         /* V,U */
    GLVF_FORMAT_P010 = 22,         /* uint16, value in the HIGH 10 bits */
    GLVF_FORMAT_P016 = 23,
    /* packed 4:2:2 */
    GLVF_FORMAT_YUYV422 = 24,      /* Y0 U Y1 V */
    GLVF_FORMAT_UYVY422 = 25,      /* U Y0 V Y1 */
    /* with alpha */
    GLVF_FORMAT_YUVA420P = 26,     /* Y, U, V, A planes */
    GLVF_FORMAT_COUNT
} glvf_format;

#define GLVF_MAX_PLANES 4

/* Texture layout of one plane of a format on a given context. */
typedef struct glvf_plane_layout {
    unsigned internal_format;   /* GL sized internal format, e.g. GL_R8 */
    unsigned format, type;      /* GL upload format/type, e.g. GL_RED, GL_UNSIGNED_BYTE */
    int width, height;          /* texture size in texels */
    int bytes_per_texel;        /* as uploaded */
    int row_bytes;              /* width * bytes_per_texel: the minimum |stride| */
    uint64_t reserved[2];      /* room for fields added later; written as zero */
} glvf_plane_layout;

/* "yuv420p", "nv12", ... (FFmpeg's names where one exists). Any thread. */
GLVF_API const char *glvf_format_name(glvf_format f);
/* Parses the names above (and a few aliases: "i420", "rgba8", FFmpeg's
 * "...le" names); returns the format, or -EINVAL for anything else (as
 * glvf_upload_strategy_parse). Any thread. */
GLVF_API int glvf_format_parse(const char *name);
/* Number of planes, 0 for an invalid format. Any thread. */
GLVF_API int glvf_format_planes(glvf_format f);
/* Significant bits per component (8, 10, 12, 16). Any thread. */
GLVF_API int glvf_format_depth(glvf_format f);
/* True when the format carries YUV (vs RGB/gray). Any thread. */
GLVF_API bool glvf_format_is_yuv(glvf_format f);
/* True when the format carries alpha. Any thread. */
GLVF_API bool glvf_format_has_alpha(glvf_format f);

typedef enum glvf_matrix {
    GLVF_MATRIX_UNSPECIFIED = 0, /* BT.709 at HD sizes, BT.601 below */
    GLVF_MATRIX_BT601 = 1,
    GLVF_MATRIX_BT709 = 2,
    GLVF_MATRIX_BT2020_NCL = 3,
    GLVF_MATRIX_SMPTE240M = 4,
    GLVF_MATRIX_YCGCO = 5,
    GLVF_MATRIX_RGB = 6,             /* identity (GBR planar) */
} glvf_matrix;

typedef enum glvf_range {
    GLVF_RANGE_UNSPECIFIED = 0,  /* limited for YUV, full for RGB */
    GLVF_RANGE_LIMITED = 1,
    GLVF_RANGE_FULL = 2,
} glvf_range;

typedef enum glvf_chroma_location {
    GLVF_CHROMA_UNSPECIFIED = 0, /* left */
    GLVF_CHROMA_LEFT = 1,
    GLVF_CHROMA_CENTER = 2,
    GLVF_CHROMA_TOPLEFT = 3,
} glvf_chroma_location;

/*
 * Colour primaries and transfer characteristics: ISO/IEC 23091-4 (H.273)
 * code points, the values of FFmpeg's AVColorPrimaries and
 * AVColorTransferCharacteristic. The renderer converts the primaries named
 * here to BT.709 in linear light; any other value (and 0/2, unspecified) is
 * shown as BT.709. See docs/rendering.md.
 */
enum {
    GLVF_PRIMARIES_UNSPECIFIED = 2, /* 0 too: shown as BT.709 */
    GLVF_PRIMARIES_BT709 = 1,
    GLVF_PRIMARIES_BT470M = 4,      /* BT.470 System M (NTSC 1953) */
    GLVF_PRIMARIES_BT601_625 = 5,   /* BT.470 B/G, BT.601 625-line (PAL) */
    GLVF_PRIMARIES_BT601_525 = 6,   /* SMPTE 170M, BT.601 525-line (NTSC) */
    GLVF_PRIMARIES_SMPTE240M = 7,
    GLVF_PRIMARIES_FILM = 8,        /* generic film (illuminant C) */
    GLVF_PRIMARIES_BT2020 = 9,
    GLVF_PRIMARIES_DCI_P3 = 11,     /* SMPTE RP 431-2 (DCI white point) */
    GLVF_PRIMARIES_DISPLAY_P3 = 12, /* SMPTE EG 432-1 (P3, D65 white) */
};
enum {
    GLVF_TRANSFER_UNSPECIFIED = 2,  /* 0 too: SDR */
    GLVF_TRANSFER_BT709 = 1,        /* SDR: shown with the BT.1886 display
                                       gamma; so are 4-7, 13, 14, 15 */
    GLVF_TRANSFER_LINEAR = 8,
    GLVF_TRANSFER_SRGB = 13,
    GLVF_TRANSFER_PQ = 16,          /* SMPTE ST 2084 (HDR10) */
    GLVF_TRANSFER_HLG = 18,         /* ARIB STD-B67, BT.2100 HLG */
};

/* Short names for the overlay and logs ("bt709", "bt2020", "pq", "hlg",
 * "unknown(22)"); a static string. Any thread. */
GLVF_API const char *glvf_primaries_name(int primaries);
GLVF_API const char *glvf_transfer_name(int transfer);

/*
 * HDR metadata of the stream (SMPTE ST 2086 mastering display, CTA-861.3
 * content light level), in cd/m² (nits). 0: not known. Values out of range
 * (a peak under 10 or over 10000 nits, NaN) are ignored by the renderer with
 * one log line.
 */
typedef struct glvf_hdr_metadata {
    float max_luminance;         /* mastering display peak */
    float min_luminance;         /* mastering display black */
    float max_cll;               /* brightest pixel of the content */
    float max_fall;              /* brightest frame average */
} glvf_hdr_metadata;

typedef struct glvf_colorimetry {
    glvf_matrix matrix;
    glvf_range range;
    int primaries;               /* GLVF_PRIMARIES_* (H.273 code point);
                                    0/2 = unspecified */
    int transfer;                /* GLVF_TRANSFER_* (H.273 code point) */
    glvf_chroma_location chroma_location;
    glvf_hdr_metadata hdr;
    uint32_t reserved[4];        /* zero: room for later colour fields */
} glvf_colorimetry;

typedef struct glvf_rational {
    int num, den;                /* 0/0 or 0/x: unspecified (square) */
} glvf_rational;

typedef struct glvf_image_plane {
    const void *data;            /* first byte of the TOP row */
    ptrdiff_t stride;            /* bytes from one row to the next; negative
                                    for bottom-up memory */
} glvf_image_plane;

/* CPU description of a frame. Borrowed by every function taking it. */
typedef struct glvf_image {
    glvf_format format;
    int width, height;           /* in pixels */
    glvf_image_plane planes[GLVF_MAX_PLANES];
    glvf_colorimetry color;
    glvf_rational sar;           /* sample (pixel) aspect ratio */
    int rotation;                /* clockwise display rotation: 0, 90, 180, 270 */
    bool flip_h, flip_v;
    int64_t pts;                 /* carried to the frame, unchanged */
    uint64_t reserved[4];        /* zero: room for later fields */
} glvf_image;

/*
 * Validates an image for upload on `ctx` (ctx may be NULL: then the format
 * table's general limits apply and no texture-size/sampling limits). Returns
 * 0 or a negative errno: -EINVAL (bad format, zero/negative size, NULL plane,
 * short stride, bad rotation), -EOVERFLOW (byte sizes overflow), -E2BIG
 * (over GL_MAX_TEXTURE_SIZE), -ENOTSUP (format not sampleable on ctx). When
 * `ctx` is given the reason is logged. Any thread; never calls GL.
 */
GLVF_API int glvf_image_validate(glvf_context *ctx, const glvf_image *img);

/*
 * Texture layout of plane `plane` of `format` at width x height on `ctx`
 * (ctx may be NULL for the desktop-GL layout). Returns false for an invalid
 * format/plane. Any thread.
 */
GLVF_API bool glvf_plane_layout_get(const glvf_context *ctx, glvf_format format,
                                    int width, int height, int plane,
                                    glvf_plane_layout *out);

/* ------------------------------------------------------------------------ */
/* Frames                                                                   */

typedef struct glvf_frame glvf_frame;

typedef struct glvf_upload_params {
    void *user_data;             /* carried to the frame, never touched */
    /* zero: room for parameters added later without breaking binaries
     * (the glvf_upload_params() macro zeroes it) */
    uint64_t reserved[4];
} glvf_upload_params;

#define glvf_upload_params(...) (&(const glvf_upload_params){__VA_ARGS__})

/*
 * Uploads `img` into textures from the pool and returns a new frame with one
 * reference, owned by the caller (drop it with glvf_frame_unref()). Borrows
 * `img` (its memory may be reused as soon as this returns) and `params`
 * (may be NULL). GL thread. On failure returns NULL with a logged reason and
 * -errno in *err when err is non-NULL: -EINVAL / -EOVERFLOW / -E2BIG /
 * -ENOTSUP (see glvf_image_validate), -EPERM (not current), -ENOMEM (GL or
 * heap out of memory), -EIO (another GL error), -ETIMEDOUT (a staging
 * fence, or the pool at its budget with no texture the GPU has finished
 * with: see fence_timeout_ms),
 * -ENODEV (context lost); nothing is leaked and textures taken from the
 * pool go back to it. The context stays usable after every failure but
 * -ENODEV.
 */
GLVF_API glvf_frame *glvf_upload(glvf_context *ctx, const glvf_image *img,
                                 const glvf_upload_params *params, int *err);

/*
 * A frame of `format`, width x height, whose textures come from the pool
 * with undefined contents: for rendering into (attach a plane's texture to
 * a framebuffer), e.g. to convert video into RGBA textures handed to a
 * toolkit. It is released like any frame (glvf_frame_unref, any thread:
 * the textures return to the pool, or are only forgotten when the context
 * is gone). Not counted as an upload in the statistics. Borrows `params`
 * (may be NULL). GL thread. Returns a frame with one reference, or NULL
 * with a logged reason and -errno in *err: -EINVAL / -EOVERFLOW / -E2BIG /
 * -ENOTSUP (format or size, as glvf_image_validate), -EPERM (not current),
 * -ENOMEM, -ETIMEDOUT (the pool at its budget and the GPU not done with
 * any matching texture within fence_timeout_ms), -ENODEV (context lost).
 */
GLVF_API glvf_frame *glvf_frame_new(glvf_context *ctx, glvf_format format, int width,
                                    int height, const glvf_upload_params *params, int *err);

/* Adds a reference; returns `frame`. Any thread. */
GLVF_API glvf_frame *glvf_frame_ref(glvf_frame *frame);

/*
 * Drops a reference and clears *pframe. The last reference returns the
 * textures to the pool (no GL call); the pool hands them out again only
 * once a fence recorded after the release has signalled (a draw still
 * queued may read them), and deletes the frame's glvf_frame_fence(). A frame of a destroyed context (an
 * orphan) frees only CPU memory and logs a warning. Frame handles are
 * generation-counted: a stale copy of a handle (kept after the last unref)
 * is refused by every function and logged as an error, also after a later
 * upload reused the frame's pooled memory: it never acts on the new frame.
 * Any thread. Accepts NULL and a pointer to NULL. Limit (as with free()):
 * a stale handle to an orphan, or to any frame after its context was
 * destroyed, is a use after free (the memory is gone).
 */
GLVF_API void glvf_frame_unref(glvf_frame **pframe);

typedef struct glvf_frame_plane {
    unsigned texture;            /* GL_TEXTURE_2D name, owned by the frame */
    int width, height;           /* texture size in texels */
    unsigned internal_format;
    uint64_t reserved[2];      /* room for fields added later; written as zero */
} glvf_frame_plane;

/* Frame properties. Valid while the caller holds a reference. Any thread
 * (texture names are only meaningful on the owning context). */
GLVF_API glvf_format glvf_frame_format(const glvf_frame *frame);
GLVF_API int glvf_frame_width(const glvf_frame *frame);
GLVF_API int glvf_frame_height(const glvf_frame *frame);
GLVF_API int glvf_frame_planes(const glvf_frame *frame);
GLVF_API bool glvf_frame_get_plane(const glvf_frame *frame, int plane,
                                   glvf_frame_plane *out);
/* The image description the frame was uploaded from (plane pointers are
 * cleared). */
GLVF_API const glvf_image *glvf_frame_image(const glvf_frame *frame);
GLVF_API int64_t glvf_frame_pts(const glvf_frame *frame);
GLVF_API void *glvf_frame_user_data(const glvf_frame *frame);
/* The context that uploaded it; NULL for an orphan. */
GLVF_API glvf_context *glvf_frame_context(const glvf_frame *frame);
/* True when the frame was submitted from a staging region (no CPU copy). */
GLVF_API bool glvf_frame_zero_copy(const glvf_frame *frame);

/*
 * A fence (a GLsync, returned as void *: cast it) that signals once the GPU
 * has carried out every command the owning context issued before the first
 * call for this frame: its upload, and whatever was drawn into it by then
 * (e.g. a conversion into a glvf_frame_new() frame). Another GL context
 * sharing objects with the owning one waits on it (glWaitSync, or
 * glClientWaitSync) before sampling the frame's textures; glvf flushes
 * after creating it, so such a wait cannot stall on an unsubmitted fence.
 * The first call creates it; later calls return the same fence (it does
 * not cover commands issued after the first call).
 * Ownership: the frame owns the fence. glvf deletes it when the frame's
 * last reference is dropped (through the deferred queue: the owning
 * context's next GL-thread call deletes it), or at glvf_context_destroy()
 * for a frame that outlives its context; after glvf_context_abandon() it
 * is never deleted by glvf (it went with the GL context). The caller never
 * deletes it and uses it only while it holds a reference to the frame (a
 * glWaitSync issued meanwhile may still be pending afterwards: GL keeps the
 * fence alive until the wait is over).
 * GL thread (the owning context current). Borrows `frame`. Returns NULL
 * with -errno in *err (may be NULL) and a logged reason: -EINVAL (not a
 * live frame of `ctx`), -EPERM (not current), -ENODEV (context lost),
 * -ENOMEM / -EIO (glFenceSync failed).
 */
GLVF_API void *glvf_frame_fence(glvf_context *ctx, glvf_frame *frame, int *err);

/* ------------------------------------------------------------------------ */
/* Rendering                                                                */

typedef enum glvf_scaler {
    GLVF_SCALER_BILINEAR = 0,
    GLVF_SCALER_BICUBIC = 1,         /* Catmull-Rom */
} glvf_scaler;

/* How HDR (PQ, HLG) light above the output's white is brought into range.
 * Each is applied to the largest of R, G, B and the colour scaled by the
 * same factor (hue kept). */
typedef enum glvf_tone_map {
    GLVF_TONE_MAP_AUTO = 0,      /* BT.2390 */
    GLVF_TONE_MAP_BT2390 = 1,    /* ITU-R BT.2390 EETF (a Hermite knee in PQ
                                    space); tone_map_param: knee offset,
                                    default 0.5 (the Report's) */
    GLVF_TONE_MAP_CLIP = 2,      /* hard clip at the output's white */
    GLVF_TONE_MAP_HABLE = 3,     /* Hable's filmic curve (Uncharted 2),
                                    normalised to the source peak */
    GLVF_TONE_MAP_MOBIUS = 4,    /* Möbius: linear up to tone_map_param
                                    (default 0.3), then a rational roll-off */
} glvf_tone_map;

/* How colours outside BT.709 after the primaries conversion are brought
 * in. */
typedef enum glvf_gamut_map {
    GLVF_GAMUT_MAP_AUTO = 0,     /* clip */
    GLVF_GAMUT_MAP_CLIP = 1,     /* each channel clamped to [0, 1] in linear
                                    light (what zimg and libplacebo do) */
    GLVF_GAMUT_MAP_DESATURATE = 2, /* moved towards the grey of the same
                                    luminance just far enough to fit: hue
                                    and luminance kept, saturation lost */
} glvf_gamut_map;

typedef struct glvf_rect {
    int x, y, width, height;     /* in framebuffer pixels, GL convention
                                    (origin bottom-left) */
} glvf_rect;

typedef struct glvf_render_params {
    /* Where to draw. width or height 0: the viewport current at the call.
     * Negative sizes, and x + width or y + height past INT_MAX, are
     * refused (-EINVAL). */
    glvf_rect target;
    glvf_scaler scaler;
    /* Fill the whole target, ignoring the display aspect ratio. Default:
     * fit the picture, centred, honouring the sample aspect ratio. */
    bool stretch;
    /* When set, the parts of the target the picture does not cover (the
     * bars) are cleared to this RGBA colour; otherwise left untouched. */
    bool clear_background;
    float background[4];
    /* Applied after the frame's own rotation and flips: clockwise rotation
     * (0, 90, 180, 270), then mirroring. */
    int rotation;
    bool flip_h, flip_v;
    /* Override the frame's colorimetry (0: use the frame's). */
    glvf_matrix matrix;
    glvf_range range;
    glvf_chroma_location chroma_location;
    int primaries;               /* GLVF_PRIMARIES_* */
    int transfer;                /* GLVF_TRANSFER_* */
    /* Colour beyond BT.709 SDR (docs/rendering.md). The output is BT.709
     * primaries with the BT.1886 display gamma (2.4). */
    glvf_gamut_map gamut_map;
    glvf_tone_map tone_map;
    float tone_map_param;        /* the curve's parameter; 0: its default */
    /* nits the output's white stands for (SDR reference white); 0: 203
     * (BT.2408). PQ and HLG light is scaled so this level is 1.0. */
    float target_peak;
    /* nits of the brightest source pixel; 0: the frame's MaxCLL, else its
     * mastering display peak, else 1000 (PQ) / hlg_peak (HLG). */
    float source_peak;
    /* HLG: nominal peak of the display the BT.2100 OOTF is computed for
     * (system gamma 1.2 at 1000 nits); 0: 1000. */
    float hlg_peak;
    /* zero: room for parameters added later without breaking binaries
     * (the glvf_render_params() macro zeroes it) */
    uint64_t reserved[8];
} glvf_render_params;

#define glvf_render_params(...) (&(const glvf_render_params){__VA_ARGS__})

/*
 * Draws `frame` into the framebuffer bound for drawing when called
 * (GL_DRAW_FRAMEBUFFER_BINDING: a window's, GtkGLArea's, or a host FBO),
 * within params->target or the current viewport. It never binds a
 * framebuffer (in particular never framebuffer 0) and restores every piece
 * of state it changes:
 *   current program, vertex array binding, active texture unit, the
 *   GL_TEXTURE_2D bindings of units 0-3, GL_BLEND, GL_DEPTH_TEST,
 *   GL_STENCIL_TEST, GL_CULL_FACE, GL_SCISSOR_TEST and the scissor box,
 *   the viewport, the colour write mask, the clear colour, and on desktop
 *   GL GL_FRAMEBUFFER_SRGB and GL_RASTERIZER_DISCARD (GLES: the latter).
 * Output is straight (not premultiplied) alpha written as is: blending is
 * disabled during the draw; to blend, draw into your own FBO and composite.
 * The frame must belong to `ctx` (a frame of another context, or an
 * orphan, is refused with -EINVAL and logged).
 * Borrows `frame` and `params` (NULL: defaults). GL thread. Returns 0 or a
 * negative errno (-EPERM not current, -EINVAL bad frame/params, -EIO shader
 * or framebuffer failure or a GL error while drawing, reported with the
 * driver's log, -ENODEV context lost). A program that failed to compile or
 * link is not built again (the driver would refuse the same source): later
 * draws needing it fail with -EIO, logged; a program that could not be
 * created for lack of resources is tried again on the next draw.
 */
GLVF_API int glvf_render(glvf_context *ctx, const glvf_frame *frame,
                         const glvf_render_params *params);

/*
 * Compiles the shader programs for `frame`'s format (both scalers) ahead of
 * the first glvf_render, so the first frame does not pay for it. GL thread.
 * Returns 0 or a negative errno.
 */
GLVF_API int glvf_render_prepare(glvf_context *ctx, glvf_format format);

/*
 * Describes in one line what glvf_render does with colour `c` under
 * `params` (NULL: defaults), e.g. "bt709/bt709 SDR" or "bt2020/pq HDR,
 * peak 1000 nits (MaxCLL) -> SDR white 203 nits, bt2390, clip". Writes at
 * most n bytes, NUL-terminated. Any thread; never calls GL, logs nothing
 * (glvf_render logs bad metadata once when it meets it).
 */
GLVF_API void glvf_colour_describe(const glvf_colorimetry *c, const glvf_render_params *params,
                                   char *buf, size_t n);

/*
 * True when glvf_render does more with colour `c` than the YUV matrix and
 * range (primaries other than BT.709, PQ, HLG): a CPU conversion that only
 * applies the matrix (libswscale) would show such frames wrong. Any thread.
 */
GLVF_API bool glvf_colour_needs_conversion(const glvf_colorimetry *c,
                                           const glvf_render_params *params);

/* ------------------------------------------------------------------------ */
/* Zero-copy staging                                                        */

typedef struct glvf_staging glvf_staging;

/*
 * Acquires a writable staging region laid out for an image of `format`,
 * `width` x `height`: the returned descriptor's planes point into the
 * region, with strides aligned to `align` bytes (0: 64). The caller owns the
 * region until it submits or cancels it; it may write the planes from any
 * thread, and fill in the descriptor's colour fields, sar, rotation and pts.
 * With the pbo-persistent strategy the region is GPU-visible mapped memory
 * (zero copy); otherwise it is pooled CPU memory. Any thread; never calls
 * GL: it returns NULL with -EAGAIN in *err when no free region of that size
 * exists, after asking the GL thread to create one on its next call (call
 * glvf_staging_reserve() on the GL thread to have regions ready; a failure
 * to create it there is logged, and the next acquire asks again).
 * -ENODEV once the context is lost.
 */
GLVF_API glvf_staging *glvf_staging_acquire(glvf_context *ctx, glvf_format format,
                                            int width, int height, int align,
                                            int *err);

/* The image laid out in the region: writable planes. Owned by the region.
 * Any thread (the region's owner). */
GLVF_API glvf_image *glvf_staging_image(glvf_staging *st);

/*
 * Ensures `count` free regions for images of this format and size exist.
 * GL thread. Returns 0 or a negative errno.
 */
GLVF_API int glvf_staging_reserve(glvf_context *ctx, glvf_format format,
                                  int width, int height, int align, int count);

/*
 * Submits a region as a frame: the textures are filled straight from it.
 * Takes `*pst` and clears it, on success and on failure alike (the region
 * returns to the ring; with pbo-persistent, only once the GPU has read it).
 * The producer may have lowered the descriptor's width and height (e.g. a
 * codec that allocated aligned sizes) and moved plane pointers, as long as
 * every row stays inside the region; the format cannot change. GL thread:
 * when the owning context is not current (-EPERM) or lost (-ENODEV) it
 * fails without a GL call and leaves `*pst` with the caller (release it).
 * Returns a frame with one reference, or NULL.
 */
GLVF_API glvf_frame *glvf_staging_submit(glvf_context *ctx, glvf_staging **pst,
                                         const glvf_upload_params *params, int *err);

/*
 * Like glvf_staging_submit(), but the region stays with the caller,
 * unchanged: for producers that keep reading the memory afterwards (a
 * codec's reference pictures). The region may be uploaded again and is given
 * back with glvf_staging_release(). Borrows `st`. GL thread.
 */
GLVF_API glvf_frame *glvf_staging_upload(glvf_context *ctx, glvf_staging *st,
                                         const glvf_upload_params *params, int *err);

/*
 * Gives a region back without submitting it (or after glvf_staging_upload).
 * With pbo-persistent, memory the GPU may still be reading returns to the
 * ring only once its fence has signalled. Clears *pst. Any thread; never
 * calls GL. Accepts NULL and a pointer to NULL. Region handles are
 * generation-counted: releasing or submitting through a stale copy of a
 * handle is refused and logged, also once the memory holds a newer region
 * (never acting on it); after the context's destroy it is a use after
 * free. A region of a destroyed
 * context is an orphan: this frees its CPU memory (GPU-visible memory of an
 * orphaned region is gone with the context and must not be touched).
 */
GLVF_API void glvf_staging_release(glvf_staging **pst);

#ifdef __cplusplus
}
#endif

#endif /* GLVF_GLVF_H */
