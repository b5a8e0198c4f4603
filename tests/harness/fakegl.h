/*
 * Fake GL for contract tests: a software stand-in for a GL driver, handed to
 * glvf through the loader callback (fakegl_get_proc). No GPU, no display.
 *
 * It records every call (entry point, thread, whether the owning context was
 * "current" on that thread), tracks objects per kind, raises the GL errors a
 * driver would for the things glvf gets wrong in practice (bad rectangles,
 * PBO overruns, unknown names, bad maps), and injects failures on request.
 *
 * One global fake context; all state behind one mutex, so every function may
 * be called from any thread. Names per kind start at 1 and are never reused.
 * Entry point names in this API are given without the "gl" prefix
 * ("DeleteTextures"); fakegl_fail also accepts the prefixed form.
 */
#ifndef GLVF_TEST_FAKEGL_H
#define GLVF_TEST_FAKEGL_H

#include <pthread.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fakegl_config {
    bool gles;                       /* false: desktop core; true: OpenGL ES */
    int major, minor;                /* 0,0: 4.5 desktop / 3.0 ES */
    const char *vendor, *renderer;   /* NULL: "glvf-fake", "glvf fake GL" */
    /* NULL-terminated, copied. NULL: default set:
     *   desktop: GL_ARB_buffer_storage GL_ARB_texture_storage GL_KHR_debug
     *            GL_ARB_robustness GL_ARB_timer_query
     *   ES:      GL_EXT_buffer_storage GL_EXT_texture_norm16 GL_KHR_debug
     *            GL_EXT_robustness
     * (const char *const[]){NULL}: none. */
    const char *const *extensions;
    int max_texture_size;            /* 0: 16384 */
    /* GL_RESET_NOTIFICATION_STRATEGY. 0: GL_NO_RESET_NOTIFICATION (a context
     * created without reset notification: glvf never asks for the reset
     * status); GL_LOSE_CONTEXT_ON_RESET (0x8252): a robust context. */
    unsigned reset_strategy;
} fakegl_config;

/* Reconfigures the fake (NULL: desktop 4.5) and frees all state and objects:
 * counters, faults, errors, bindings, labels, fence mode, reset status. Does
 * not touch any thread's current flag. */
void fakegl_reset(const fakegl_config *cfg);

/* The loader callback (glvf_params.get_proc_address): "glXxx" -> function,
 * NULL for names the fake does not implement. */
void *fakegl_get_proc(void *user, const char *name);

/* Thread-local "owning context is current on this thread" flag (default
 * false). fakegl_is_current returns it: pass as glvf's is_current callback. */
void fakegl_set_current(bool current);
bool fakegl_is_current(void *user);

enum fakegl_kind {
    FAKEGL_TEXTURE, FAKEGL_BUFFER, FAKEGL_SYNC, FAKEGL_FRAMEBUFFER,
    FAKEGL_PROGRAM, FAKEGL_SHADER, FAKEGL_VERTEX_ARRAY, FAKEGL_SAMPLER,
    FAKEGL_QUERY, FAKEGL_KIND_COUNT
};

typedef struct fakegl_stats {
    unsigned long calls;          /* GL entry point calls */
    unsigned long violations;     /* calls made while the calling thread's
                                     current flag was unset */
    unsigned long bad_deletes;    /* deletes of unknown (or already deleted)
                                     non-zero names */
    unsigned long gl_errors;      /* errors raised (GetError reports the first) */
    unsigned long live[FAKEGL_KIND_COUNT];
    unsigned long created[FAKEGL_KIND_COUNT];
    unsigned long deleted[FAKEGL_KIND_COUNT];
    unsigned long delete_calls[FAKEGL_KIND_COUNT]; /* glDelete* calls (batching) */
    unsigned long labels;         /* successful ObjectLabel* calls */
} fakegl_stats;

fakegl_stats fakegl_get_stats(void);
/* Calls of one entry point ("DeleteTextures"); NULL: all calls. */
unsigned long fakegl_call_count(const char *name);
/* Entry point ("TexSubImage2D") of the first call made while not current,
 * or NULL. */
const char *fakegl_first_violation(void);
unsigned long fakegl_calls_on_thread(pthread_t t);
/* Zeroes the counters: calls (total, per name, per thread), violations and
 * the first one, bad_deletes, gl_errors, created, deleted, delete_calls,
 * labels. Objects, live counts and the pending GL error stay. */
void fakegl_clear_calls(void);

bool fakegl_texture_alive(unsigned name);
/* false if the texture is not alive; sizes are 0 before storage exists. */
bool fakegl_texture_size(unsigned name, int *w, int *h, unsigned *internal_format);
/* Label set with ObjectLabel(KHR) (kept after the object is deleted), or NULL. */
const char *fakegl_label(unsigned identifier /* GL_TEXTURE, GL_BUFFER, ... */,
                         unsigned name);

/* Fault injection: the nth call (1 = next) of entry point `name` fails:
 *   Gen* / Create*: no object (all names 0), gl_error (0: GL_OUT_OF_MEMORY);
 *   TexStorage2D / TexImage2D / BufferData / BufferStorage(EXT): no storage,
 *     gl_error (0: GL_OUT_OF_MEMORY);
 *   MapBufferRange: returns NULL (+ gl_error if non-zero);
 *   FenceSync: returns NULL (+ gl_error if non-zero);
 *   UnmapBuffer: unmaps, returns GL_FALSE (contents lost), no GL error;
 *   ClientWaitSync: GL_TIMEOUT_EXPIRED (the fence did not signal in time);
 *     with a non-zero gl_error: GL_WAIT_FAILED and that error;
 *   GetShaderiv / GetProgramiv: the compile / link status is GL_FALSE;
 *   GetGraphicsResetStatus(ARB/EXT/KHR): returns a reset, gl_error as the
 *     status (0: GL_UNKNOWN_CONTEXT_RESET), for that one call;
 *   any other: has no effect, returns 0, gl_error (0: GL_INVALID_OPERATION).
 * Up to 32 pending faults; each fires once. FenceSync returns a fresh
 * malloc'd pointer; DeleteSync retires it (freed at fakegl_reset, so the
 * address is never reused and a double delete always counts). */
void fakegl_fail(const char *name, int nth, unsigned gl_error);
void fakegl_fail_clear(void);
/* ClientWaitSync -> GL_TIMEOUT_EXPIRED at once (never sleeps);
 * GetSynciv(GL_SYNC_STATUS) -> GL_UNSIGNALED. */
void fakegl_set_fence_never_signals(bool never);
/* GetError returns `error` on every call (a lost context's GL_CONTEXT_LOST
 * does), 0 to stop. Cleared by fakegl_reset. */
void fakegl_set_error_forever(unsigned error);
/* GetGraphicsResetStatus(ARB/EXT/KHR) return it (default GL_NO_ERROR). */
void fakegl_set_reset_status(unsigned status);

/* A GPU that lags: ClientWaitSync with timeout 0 (a poll) returns
 * GL_TIMEOUT_EXPIRED and GetSynciv GL_UNSIGNALED until the fence has been
 * waited for with a non-zero timeout, which returns GL_CONDITION_SATISFIED
 * (and from then on GL_ALREADY_SIGNALED). Cleared by fakegl_reset. */
void fakegl_set_fence_lag(bool lag);
/* A GPU the test drives: fences signal only when told. ClientWaitSync (a
 * poll or a wait of any timeout; it never sleeps) returns
 * GL_TIMEOUT_EXPIRED and GetSynciv GL_UNSIGNALED for a fence not yet
 * signalled, GL_ALREADY_SIGNALED / GL_SIGNALED once fakegl_signal_fences()
 * signalled it. fakegl_signal_fences() signals every fence that exists
 * when it is called (the GPU caught up with everything submitted so far);
 * fences made afterwards stay pending. Cleared by fakegl_reset. */
void fakegl_set_fence_manual(bool manual);
void fakegl_signal_fences(void);
/* Injected faults that fired since fakegl_reset. */
unsigned long fakegl_faults_fired(void);
/* Name of entry point i ("TexStorage2D"), i from 0; NULL past the last one.
 * With fakegl_call_count(), enumerates every entry point called. */
const char *fakegl_entry_name(int i);

#ifdef __cplusplus
}
#endif

#endif
