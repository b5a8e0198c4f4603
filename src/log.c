/* Logging: formatted into a stack buffer (no heap), filtered by level. */
#include "internal.h"
#include "glvf_priv.h"

#include <stdarg.h>
#include <stdio.h>

const char *glvf_log_level_name(glvf_log_level level)
{
    switch (level) {
    case GLVF_LOG_ERROR: return "error";
    case GLVF_LOG_WARN: return "warn";
    case GLVF_LOG_INFO: return "info";
    case GLVF_LOG_DEBUG: return "debug";
    default: return "log";
    }
}

void glvf_log_stderr(void *user, glvf_log_level level, const char *msg)
{
    (void)user;
    fprintf(stderr, "glvf: %s: %s\n", glvf_log_level_name(level), msg);
}

glvf_log_sink glvf_log_sink_get(const glvf_context *ctx)
{
    if (!ctx)
        return (glvf_log_sink){ 0 };
    return (glvf_log_sink){ .fn = ctx->log, .user = ctx->log_user, .level = ctx->log_level };
}

static void sink_vprintf(const glvf_log_sink *sink, glvf_log_level level, const char *fmt,
                         va_list ap)
{
    if (!sink->fn || level > sink->level)
        return;
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    sink->fn(sink->user, level, buf);
}

void glvf_log_sink_printf(const glvf_log_sink *sink, glvf_log_level level, const char *fmt,
                          ...)
{
    va_list ap;
    va_start(ap, fmt);
    sink_vprintf(sink, level, fmt, ap);
    va_end(ap);
}

void glvf_logf_fn(const glvf_context *ctx, glvf_log_level level, const char *fn,
                  const char *fmt, ...)
{
    glvf_log_sink sink = glvf_log_sink_get(ctx);
    if (!sink.fn || level > sink.level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    glvf_log_sink_printf(&sink, level, "%s: %s", fn, msg);
}

void glvf_logf(const glvf_context *ctx, glvf_log_level level, const char *fmt, ...)
{
    if (!ctx)
        return;
    /* the fields are read once, before formatting */
    glvf_log_sink sink = glvf_log_sink_get(ctx);
    va_list ap;
    va_start(ap, fmt);
    sink_vprintf(&sink, level, fmt, ap);
    va_end(ap);
}

/* ---- lent to the modules (glvf_priv.h) ---------------------------------- */

void glvf_priv_vlogf(const glvf_context *ctx, glvf_log_level level, const char *fmt, va_list ap)
{
    if (!ctx)
        return;
    glvf_log_sink sink = glvf_log_sink_get(ctx);
    sink_vprintf(&sink, level, fmt, ap);
}

void glvf_priv_logf(const glvf_context *ctx, glvf_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    glvf_priv_vlogf(ctx, level, fmt, ap);
    va_end(ap);
}

bool glvf_priv_log_enabled(const glvf_context *ctx, glvf_log_level level)
{
    if (!ctx)
        return false;
    glvf_log_sink sink = glvf_log_sink_get(ctx);
    return sink.fn && level <= sink.level;
}
