/* Logging: formatted into a stack buffer (no heap), filtered by level. */
#include "internal.h"

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

void glvf_logf(const glvf_context *ctx, glvf_log_level level, const char *fmt, ...)
{
    if (!ctx || !ctx->log || level > ctx->log_level)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ctx->log(ctx->log_user, level, buf);
}
