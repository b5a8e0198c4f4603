/*
 * glvf_priv.h — what the core lends its modules (libglvf-ffmpeg,
 * libglvf-gtk4): its counted heap and logging through a glvf_context.
 *
 * Semi-private: not installed, not part of the public API and with no ABI
 * promise. The symbols are exported from libglvf (a module built as a
 * shared library links the shared core) under the glvf_priv_ prefix, which
 * no public header declares; a module must be built from the same release
 * as the core it links. Applications must not use them.
 */
#ifndef GLVF_PRIV_H
#define GLVF_PRIV_H

#include <glvf/glvf.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* exported like the public API (GLVF_API), declared only here */
#define GLVF_PRIV_API GLVF_API

/* The core's heap (src/alloc.c): counted by glvf_alloc_count() and failed
 * by glvf_alloc_fail_nth(), so that the steady-state allocation checks and
 * the fault injection cover the modules' allocations too. Any thread. */
GLVF_PRIV_API void *glvf_priv_malloc(size_t size);
GLVF_PRIV_API void *glvf_priv_calloc(size_t n, size_t size);
GLVF_PRIV_API void *glvf_priv_realloc(void *p, size_t size);
GLVF_PRIV_API void glvf_priv_free(void *p);
/* Test hooks (the same counters as glvf_alloc_count/glvf_alloc_fail_nth). */
GLVF_PRIV_API uint64_t glvf_priv_alloc_count(void);
GLVF_PRIV_API void glvf_priv_alloc_fail_nth(uint64_t n);

/* Logs through `ctx`'s callback, filtered by its level, exactly as the core
 * logs (one line formatted into a stack buffer; no heap). NULL ctx: silent.
 * `ctx` must be alive. Any thread. */
GLVF_PRIV_API void glvf_priv_logf(const glvf_context *ctx, glvf_log_level level,
                                  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
GLVF_PRIV_API void glvf_priv_vlogf(const glvf_context *ctx, glvf_log_level level,
                                   const char *fmt, va_list ap);
/* True when a message at `level` would reach ctx's callback. */
GLVF_PRIV_API bool glvf_priv_log_enabled(const glvf_context *ctx, glvf_log_level level);

#endif
