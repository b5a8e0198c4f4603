/*
 * glvf-bench: results. The table is printed as scenarios finish (stdout, or
 * stderr when --json or --csv writes to stdout); JSON and CSV are written
 * at the end, one record per scenario (format x size x strategy x mode).
 */
#include "bench.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct bench_report {
    const bench_env *env;
    const char *mode;
    bool draws;                 /* render columns */
    bool decode;                /* decode columns */
    FILE *table;
    bench_result *res;
    size_t n, cap;
    struct memcpy_row {
        glvf_format format;
        int w, h;
        double fps, gbps;
        size_t bytes;
        int sources;
    } *mem;
    size_t nmem, capmem;
};

/* ---- progress ----------------------------------------------------------- */

static bool progress_shown;

static bool progress_on(const bench_options *o)
{
    return o->progress > 0 || (o->progress < 0 && isatty(STDERR_FILENO));
}

void bench_progress(const bench_options *o, const char *fmt, ...)
{
    if (!progress_on(o))
        return;
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "\r\033[K" BENCH_NAME ": %s", line);
    else
        fprintf(stderr, BENCH_NAME ": %s\n", line);
    fflush(stderr);
    progress_shown = true;
}

void bench_progress_done(const bench_options *o)
{
    if (progress_shown && isatty(STDERR_FILENO))
        fprintf(stderr, "\r\033[K");
    progress_shown = false;
    (void)o;
}

/* ---- table -------------------------------------------------------------- */

static void fmt_bytes(char *buf, size_t len, long long b)
{
    double a = (double)llabs(b);
    const char *sign = b < 0 ? "-" : b > 0 ? "+" : "";
    if (a < 1024)
        snprintf(buf, len, "%s%lld B", sign, llabs(b));
    else if (a < 1024 * 1024)
        snprintf(buf, len, "%s%.0f KiB", sign, a / 1024);
    else
        snprintf(buf, len, "%s%.1f MiB", sign, a / (1024 * 1024));
}

/* a size, without fmt_bytes' sign */
static void fmt_size(char *buf, size_t len, uint64_t b)
{
    char tmp[32];
    fmt_bytes(tmp, sizeof tmp, (long long)b);
    snprintf(buf, len, "%s", tmp[0] == '+' ? tmp + 1 : tmp);
}

static void fmt_ms(char *buf, size_t len, double ms)
{
    if (ms < 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.3f", ms);
}

static const char *api_name(const bench_env *env)
{
    return env->opt->gles ? "gles" : "gl";
}

bench_report *bench_report_open(const bench_env *env, const char *mode_name)
{
    bench_report *r = calloc(1, sizeof *r);
    if (!r) {
        fprintf(stderr, BENCH_NAME ": out of memory\n");
        return NULL;
    }
    const bench_options *o = env->opt;
    r->env = env;
    r->mode = mode_name;
    r->decode = !strcmp(mode_name, "decode");
    r->draws = !strcmp(mode_name, "render") || (r->decode && o->decode_render);
    bool stdout_taken = (o->json_path && !strcmp(o->json_path, "-")) ||
                        (o->csv_path && !strcmp(o->csv_path, "-"));
    r->table = stdout_taken ? stderr : stdout;
    const glvf_caps *c = env->caps;
    FILE *t = r->table;
    fprintf(t, "glvf-bench %s, mode %s\n", glvf_version(), mode_name);
    fprintf(t, "renderer: %s (%s)%s\n", c->renderer, c->vendor,
            c->software ? ", a software renderer" : "");
    fprintf(t, "GL version: %s (%s; %s %d.%d)\n", c->version, env->context_desc,
            c->is_gles ? "ES" : "desktop", c->gl_major, c->gl_minor);
    if (o->frames > 0)
        fprintf(t, "run: best of %d interleaved repetitions of %d frames, %d warm-up frames",
                o->repeats, o->frames, o->warmup);
    else
        fprintf(t, "run: best of %d interleaved repetitions of %.2f s, %d warm-up frames",
                o->repeats, o->seconds, o->warmup);
    if (!r->decode)
        fprintf(t, ", sources >= %zu MiB", o->source_bytes >> 20);
    fputc('\n', t);
    if (env->gpu_timer)
        fprintf(t, "passes: every figure from the timing pass (no timer queries) but "
                   "gpupass p50/p99: GPU ms from a separate GPU pass after the repetitions, "
                   "%d frames per scenario, a GL_TIME_ELAPSED query around each\n",
                o->gpu_frames);
    else
        fprintf(t, "passes: every figure from the timing pass (no timer queries); no GPU "
                   "pass (%s)\n",
                !o->gpu_timer ? (o->gpu_frames ? "--no-gpu-timer" : "--gpu-frames 0")
                              : "this context has no timer queries");
    if (r->decode)
        fprintf(t, "input: %s\n", env->input_desc ? env->input_desc : o->input);
    if (r->draws)
        fprintf(t, "render: glvf_render (%s%s%s%s%s) into %s%s; rnd: CPU ms in glvf_render + %s\n",
                o->scaler == GLVF_SCALER_BICUBIC ? "bicubic" : "bilinear",
                o->colour ? ", colour " : "", o->colour ? o->colour : "",
                o->tone_map ? ", tone map " : "",
                o->tone_map ? (const char *[]){ "", "bt2390", "clip", "hable", "mobius" }[o->tone_map] : "",
                env->render_target,
                env->render_fbo ? "" : ", swap interval 0",
                env->render_fbo ? "FBO unbind (no swap)" : "swap");
    if (r->decode)
        fprintf(t, "fps: decode + upload%s; ms: per frame, p50/p99, waiting for the decoder "
                   "included; allocs: glvf's own (core + FFmpeg module); DR: pictures in "
                   "staging / fallbacks / decoded\n\n",
                r->draws ? " + draw" : "");
    else
        fprintf(t, "x memcpy: throughput over a memcpy of the same bytes in this run; "
                   "ms: per frame, p50/p99; allocs: glvf's own\n\n");
    fprintf(t, "%-10s %-10s %-22s %8s %7s %8s %8s %8s %11s %11s", "format", "size",
            r->decode ? "strategy, DR" : "strategy", "fps", "GB/s", "xmemcpy", "p50 ms",
            "p99 ms", "gpupass p50", "gpupass p99");
    if (r->draws)
        fprintf(t, " %8s %8s", "rnd p50", "rnd p99");
    fprintf(t, " %8s %8s %10s", "GLobj/f", "allocs/f", "RSS grow");
    if (r->decode)
        fprintf(t, "  %s", "DR");
    fputc('\n', t);
    fflush(t);
    return r;
}

void bench_report_memcpy(bench_report *r, glvf_format f, int w, int h, double fps, double gbps,
                         size_t bytes_per_frame, int sources)
{
    if (r->nmem == r->capmem) {
        size_t cap = r->capmem ? r->capmem * 2 : 16;
        struct memcpy_row *m = realloc(r->mem, cap * sizeof *m);
        if (!m)
            return;
        r->mem = m;
        r->capmem = cap;
    }
    r->mem[r->nmem++] = (struct memcpy_row){ f, w, h, fps, gbps, bytes_per_frame, sources };
    char size[32];
    snprintf(size, sizeof size, "%dx%d", w, h);
    fprintf(r->table, "%-10s %-10s %-22s %8.1f %7.2f %8.2f %8s %8s %11s %11s %8s %8s %10s\n",
            glvf_format_name(f), size, "memcpy (floor)", fps, gbps, 1.0, "", "", "", "", "",
            "", "");
    fflush(r->table);
}

void bench_report_add(bench_report *r, const bench_result *res)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        bench_result *p = realloc(r->res, cap * sizeof *p);
        if (!p) {
            fprintf(stderr, BENCH_NAME ": out of memory\n");
            return;
        }
        r->res = p;
        r->cap = cap;
    }
    r->res[r->n++] = *res;

    char size[32], strat[64];
    snprintf(size, sizeof size, "%dx%d", res->width, res->height);
    const char *name = bench_strategy_name(res->strategy);
    if (strcmp(name, res->strategy_used))
        snprintf(strat, sizeof strat, "%s (%s)", name, res->strategy_used);
    else
        snprintf(strat, sizeof strat, "%s", name);
    if (res->dr) {
        size_t l = strlen(strat);
        snprintf(strat + l, sizeof strat - l, ", dr %s", res->dr);
    }
    if (!res->ok) {
        fprintf(r->table, "%-10s %-10s %-22s FAILED: %s\n", glvf_format_name(res->format), size,
                strat, res->error);
    } else {
        char p50[16], p99[16], g50[16], g99[16], rss[24], ratio[16];
        fmt_ms(p50, sizeof p50, res->p50_ms);
        fmt_ms(p99, sizeof p99, res->p99_ms);
        fmt_ms(g50, sizeof g50, res->gpu_pass_p50_ms);
        fmt_ms(g99, sizeof g99, res->gpu_pass_p99_ms);
        fmt_bytes(rss, sizeof rss, res->rss_growth_bytes);
        if (res->has_memcpy)
            snprintf(ratio, sizeof ratio, "%.2f", res->memcpy_ratio);
        else
            snprintf(ratio, sizeof ratio, "-");
        fprintf(r->table, "%-10s %-10s %-22s %8.1f %7.2f %8s %8s %8s %11s %11s",
                glvf_format_name(res->format), size, strat, res->fps, res->gbps, ratio, p50,
                p99, g50, g99);
        if (r->draws) {
            char r50[16], r99[16];
            fmt_ms(r50, sizeof r50, res->render_p50_ms);
            fmt_ms(r99, sizeof r99, res->render_p99_ms);
            fprintf(r->table, " %8s %8s", r50, r99);
        }
        fprintf(r->table, " %8.2f %8.2f %10s", res->gl_objects_per_frame,
                res->heap_allocs_per_frame, rss);
        if (res->dr)
            fprintf(r->table, "  %llu/%llu/%llu%s", (unsigned long long)res->dr_frames,
                    (unsigned long long)res->dr_fallbacks,
                    (unsigned long long)res->frames_decoded, res->dr_active ? "" : " (off)");
        fputc('\n', r->table);
    }
    fflush(r->table);
}

/* ---- JSON --------------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void json_num(FILE *f, double v, bool present)
{
    if (!present || !isfinite(v))
        fputs("null", f);
    else
        fprintf(f, "%.9g", v);
}

static void json_command(FILE *f, const bench_options *o)
{
    fputs("[", f);
    for (int i = 0; i < o->argc; i++) {
        if (i)
            fputs(", ", f);
        json_str(f, o->argv[i]);
    }
    fputs("]", f);
}

/* The head every JSON document of the tool starts with: the tool, the
 * command, the mode and the context (renderer, versions, API). Ends after
 * "software_renderer" with a comma and a newline. */
static void json_head(const bench_env *env, const char *mode, FILE *f)
{
    const bench_options *o = env->opt;
    const glvf_caps *c = env->caps;
    fputs("{\n  \"tool\": \"glvf-bench\",\n  \"glvf_version\": ", f);
    json_str(f, glvf_version());
    fputs(",\n  \"command\": ", f);
    json_command(f, o);
    fputs(",\n  \"mode\": ", f);
    json_str(f, mode);
    fputs(",\n  \"renderer\": ", f);
    json_str(f, c->renderer);
    fputs(",\n  \"vendor\": ", f);
    json_str(f, c->vendor);
    fputs(",\n  \"gl_version\": ", f);
    json_str(f, c->version);
    fprintf(f, ",\n  \"api\": \"%s\",\n  \"context_api\": \"%s\",\n  \"gles\": %s,\n"
               "  \"software_renderer\": %s,\n",
            api_name(env), o->egl ? "egl" : "native", c->is_gles ? "true" : "false",
            c->software ? "true" : "false");
}

static void write_json(const bench_report *r, FILE *f)
{
    const bench_env *env = r->env;
    const bench_options *o = env->opt;
    json_head(env, r->mode, f);
    fprintf(f, "  \"gpu_timer\": %s,\n", env->gpu_timer ? "true" : "false");
    /* which figures come from which pass */
    fputs("  \"passes\": {\"timing\": {\"timer_queries\": false, \"keys\": \"every key but "
          "gpu_pass_*\"}, \"gpu\": ", f);
    if (env->gpu_timer)
        fprintf(f, "{\"timer_queries\": true, \"frames\": %d, \"keys\": \"gpu_pass_*\"}",
                o->gpu_frames);
    else
        fputs("null", f);
    fputs("},\n", f);
    if (r->decode) {
        fputs("  \"input\": ", f);
        json_str(f, o->input);
        fputs(",\n  \"input_desc\": ", f);
        json_str(f, env->input_desc ? env->input_desc : "");
        fprintf(f, ",\n  \"decode_render\": %s,\n", o->decode_render ? "true" : "false");
    }
    if (r->draws) {
        fprintf(f, "  \"scaler\": \"%s\",\n  \"colour\": \"%s\",\n  \"render_target\": ",
                o->scaler == GLVF_SCALER_BICUBIC ? "bicubic" : "bilinear",
                o->colour ? o->colour : "");
        json_str(f, env->render_target);
        fputs(",\n", f);
    }
    fprintf(f, "  \"settings\": {\"frames\": ");
    json_num(f, o->frames, o->frames > 0);
    fprintf(f, ", \"seconds\": ");
    json_num(f, o->seconds, o->seconds > 0);
    fprintf(f, ", \"repeats\": %d, \"warmup\": %d, \"source_bytes_min\": %zu},\n", o->repeats,
            o->warmup, o->source_bytes);
    fputs("  \"memcpy\": [", f);
    for (size_t i = 0; i < r->nmem; i++) {
        const struct memcpy_row *m = &r->mem[i];
        fprintf(f, "%s\n    {\"format\": \"%s\", \"width\": %d, \"height\": %d, \"fps\": ",
                i ? "," : "", glvf_format_name(m->format), m->w, m->h);
        json_num(f, m->fps, true);
        fputs(", \"gbps\": ", f);
        json_num(f, m->gbps, true);
        fprintf(f, ", \"bytes_per_frame\": %zu, \"sources\": %d}", m->bytes, m->sources);
    }
    fputs(r->nmem ? "\n  ],\n" : "],\n", f);
    fputs("  \"results\": [", f);
    for (size_t i = 0; i < r->n; i++) {
        const bench_result *x = &r->res[i];
        bool ok = x->ok;
        fprintf(f, "%s\n    {\"format\": \"%s\", \"width\": %d, \"height\": %d, "
                   "\"strategy\": \"%s\", \"mode\": \"%s\", \"frames\": %d, \"fps\": ",
                i ? "," : "", glvf_format_name(x->format), x->width, x->height,
                bench_strategy_name(x->strategy), x->mode, ok ? x->frames : 0);
        json_num(f, x->fps, ok);
        fputs(", \"gbps\": ", f);
        json_num(f, x->gbps, ok);
        fputs(", \"memcpy_ratio\": ", f);
        json_num(f, x->memcpy_ratio, ok && x->has_memcpy);
        fputs(", \"p50_ms\": ", f);
        json_num(f, x->p50_ms, ok);
        fputs(", \"p99_ms\": ", f);
        json_num(f, x->p99_ms, ok);
        fputs(", \"gl_objects_per_frame\": ", f);
        json_num(f, x->gl_objects_per_frame, ok);
        fputs(", \"heap_allocs_per_frame\": ", f);
        json_num(f, x->heap_allocs_per_frame, ok);
        fputs(", \"rss_growth_bytes\": ", f);
        json_num(f, (double)x->rss_growth_bytes, ok);
        fputs(", \"rss_growth_min_bytes\": ", f);
        json_num(f, (double)x->rss_growth_min_bytes, ok);
        fputs(",\n     \"gpu_pass_p50_ms\": ", f);
        json_num(f, x->gpu_pass_p50_ms, ok && x->gpu_pass_p50_ms >= 0);
        fputs(", \"gpu_pass_p99_ms\": ", f);
        json_num(f, x->gpu_pass_p99_ms, ok && x->gpu_pass_p99_ms >= 0);
        fputs(", \"gpu_pass_samples\": ", f);
        json_num(f, x->gpu_pass_samples, ok && x->gpu_pass_fps >= 0);
        fputs(", \"gpu_pass_fps\": ", f);
        json_num(f, x->gpu_pass_fps, ok && x->gpu_pass_fps >= 0);
        fputs(",\n     \"render_p50_ms\": ", f);
        json_num(f, x->render_p50_ms, ok && x->render_p50_ms >= 0);
        fputs(", \"render_p99_ms\": ", f);
        json_num(f, x->render_p99_ms, ok && x->render_p99_ms >= 0);
        if (x->dr) {
            fprintf(f, ",\n     \"dr\": \"%s\", \"dr_active\": %s, \"dr_frames\": %llu, "
                       "\"dr_fallbacks\": %llu, \"frames_decoded\": %llu, \"loops\": %llu",
                    x->dr, x->dr_active ? "true" : "false", (unsigned long long)x->dr_frames,
                    (unsigned long long)x->dr_fallbacks,
                    (unsigned long long)x->frames_decoded, (unsigned long long)x->loops);
        }
        fputs(",\n     \"strategy_used\": ", f);
        json_str(f, x->strategy_used);
        fprintf(f, ", \"repeats\": %d, \"bytes_per_frame\": %zu, \"sources\": %d, "
                   "\"memcpy_fps\": ",
                x->repeats, x->bytes_per_frame, x->sources);
        json_num(f, x->memcpy_fps, ok && x->has_memcpy);
        fputs(", \"memcpy_gbps\": ", f);
        json_num(f, x->memcpy_gbps, ok && x->has_memcpy);
        fputs(",\n     \"gl_objects_per_frame_by_kind\": {", f);
        for (int k = 0; k < GLVF_OBJECT_KIND_COUNT; k++) {
            fprintf(f, "%s\"%s\": ", k ? ", " : "", glvf_object_kind_name((glvf_object_kind)k));
            json_num(f, x->gl_objects_by_kind[k], ok);
        }
        /* counts, not rates: what the steady state must keep at 0 */
        fputs("},\n     \"created_after_warmup\": {", f);
        for (int k = 0; k < GLVF_OBJECT_KIND_COUNT; k++) {
            fprintf(f, "%s\"%s\": ", k ? ", " : "", glvf_object_kind_name((glvf_object_kind)k));
            json_num(f, (double)x->created_after_warmup[k], ok);
        }
        fputs("}, \"heap_allocs_after_warmup\": ", f);
        json_num(f, (double)x->heap_allocs_after_warmup, ok);
        fprintf(f, ", \"ok\": %s, \"error\": ", ok ? "true" : "false");
        if (ok)
            fputs("null", f);
        else
            json_str(f, x->error);
        fputs("}", f);
    }
    fputs(r->n ? "\n  ]\n}\n" : "]\n}\n", f);
}

/* ---- CSV ---------------------------------------------------------------- */

static void csv_str(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v, bool present)
{
    fputc(',', f);
    if (present && isfinite(v))
        fprintf(f, "%.9g", v);
}

static void write_csv(const bench_report *r, FILE *f)
{
    fputs("format,width,height,strategy,mode,frames,fps,gbps,memcpy_ratio,p50_ms,p99_ms,"
          "gl_objects_per_frame,heap_allocs_per_frame,rss_growth_bytes,gpu_pass_p50_ms,"
          "gpu_pass_p99_ms,strategy_used,memcpy_fps,bytes_per_frame,renderer,ok,error,"
          "render_p50_ms,render_p99_ms,dr,dr_frames,dr_fallbacks,frames_decoded,"
          "gpu_pass_samples,gpu_pass_fps\n",
          f);
    for (size_t i = 0; i < r->n; i++) {
        const bench_result *x = &r->res[i];
        bool ok = x->ok;
        fprintf(f, "%s,%d,%d,%s,%s,%d", glvf_format_name(x->format), x->width, x->height,
                bench_strategy_name(x->strategy), x->mode, ok ? x->frames : 0);
        csv_num(f, x->fps, ok);
        csv_num(f, x->gbps, ok);
        csv_num(f, x->memcpy_ratio, ok && x->has_memcpy);
        csv_num(f, x->p50_ms, ok);
        csv_num(f, x->p99_ms, ok);
        csv_num(f, x->gl_objects_per_frame, ok);
        csv_num(f, x->heap_allocs_per_frame, ok);
        csv_num(f, (double)x->rss_growth_bytes, ok);
        csv_num(f, x->gpu_pass_p50_ms, ok && x->gpu_pass_p50_ms >= 0);
        csv_num(f, x->gpu_pass_p99_ms, ok && x->gpu_pass_p99_ms >= 0);
        fputc(',', f);
        csv_str(f, x->strategy_used);
        csv_num(f, x->memcpy_fps, ok && x->has_memcpy);
        fprintf(f, ",%zu,", x->bytes_per_frame);
        csv_str(f, r->env->caps->renderer);
        fprintf(f, ",%s,", ok ? "true" : "false");
        csv_str(f, ok ? "" : x->error);
        csv_num(f, x->render_p50_ms, ok && x->render_p50_ms >= 0);
        csv_num(f, x->render_p99_ms, ok && x->render_p99_ms >= 0);
        fprintf(f, ",%s", x->dr ? x->dr : "");
        csv_num(f, (double)x->dr_frames, ok && x->dr);
        csv_num(f, (double)x->dr_fallbacks, ok && x->dr);
        csv_num(f, (double)x->frames_decoded, ok && x->dr);
        csv_num(f, x->gpu_pass_samples, ok && x->gpu_pass_fps >= 0);
        csv_num(f, x->gpu_pass_fps, ok && x->gpu_pass_fps >= 0);
        fputc('\n', f);
    }
}

/* Writes `path` ("-": stdout) with fn(arg, f); false (said on stderr) when
 * it could not be written. */
static bool write_out(const char *path, void (*fn)(const void *arg, FILE *f), const void *arg)
{
    bool to_stdout = !strcmp(path, "-");
    FILE *f = to_stdout ? stdout : fopen(path, "w");
    if (!f) {
        fprintf(stderr, BENCH_NAME ": cannot write %s: %m\n", path);
        return false;
    }
    fn(arg, f);
    bool ok = !ferror(f);
    if (to_stdout)
        ok = fflush(f) == 0 && ok;
    else
        ok = fclose(f) == 0 && ok;
    if (!ok)
        fprintf(stderr, BENCH_NAME ": error writing %s\n", path);
    return ok;
}

static void write_json_cb(const void *r, FILE *f)
{
    write_json(r, f);
}

static void write_csv_cb(const void *r, FILE *f)
{
    write_csv(r, f);
}

bool bench_report_close(bench_report *r)
{
    if (!r)
        return false;
    const bench_options *o = r->env->opt;
    bool ok = true;
    if (o->json_path)
        ok = write_out(o->json_path, write_json_cb, r) && ok;
    if (o->csv_path)
        ok = write_out(o->csv_path, write_csv_cb, r) && ok;
    free(r->res);
    free(r->mem);
    free(r);
    return ok;
}

/* ---- wall --------------------------------------------------------------- */

static void wall_table(const bench_env *env, const bench_wall_result *w, FILE *t)
{
    const glvf_caps *c = env->caps;
    const bench_options *o = env->opt;
    char b1[32], b2[32], b3[32], b4[32], b5[32];
    fprintf(t, "glvf-bench %s, mode wall\n", glvf_version());
    fprintf(t, "renderer: %s (%s)%s\n", c->renderer, c->vendor,
            c->software ? ", a software renderer" : "");
    fprintf(t, "GL version: %s (%s; %s %d.%d)\n", c->version, env->context_desc,
            c->is_gles ? "ES" : "desktop", c->gl_major, c->gl_minor);
    fprintf(t, "wall: %d streams, grid %dx%d in %s, %s, upload %s, %.2f s measured after "
               "%d warm-up frames per stream\n",
            w->streams, w->cols, w->rows, w->target,
            w->untimed ? "untimed" : "real time", w->strategy_used, w->seconds, o->warmup);
    fprintf(t, "%3s %-28s %-34s %8s %7s %7s %6s %5s %6s %s\n", "#", "file", "stream",
            "shown", "fps", "dropped", "late", "DR", "DRfb", "status");
    for (int i = 0; i < w->streams; i++) {
        const bench_wall_stream_result *s = &w->stream[i];
        const char *base = strrchr(s->path, '/');
        base = base ? base + 1 : s->path;
        fprintf(t, "%3d %-28.28s %-34.34s %8llu %7.2f %7llu %6llu %5llu %6llu %s%s\n", i, base,
                s->desc[0] ? s->desc : "-", (unsigned long long)s->presented, s->fps,
                (unsigned long long)s->dropped, (unsigned long long)s->late,
                (unsigned long long)s->dr_frames, (unsigned long long)s->dr_fallbacks,
                s->failed ? "FAILED: " : s->verified ? (s->verify_ok ? "verified" : "MISMATCH")
                                                      : "ok",
                s->failed ? s->error : "");
    }
    uint64_t shown = w->stream_frames;
    fmt_size(b1, sizeof b1, w->pool_peak);
    fmt_size(b2, sizeof b2, w->pool_steady);
    fmt_size(b3, sizeof b3, w->pool_budget);
    fmt_size(b4, sizeof b4, w->pool_needed);
    fmt_size(b5, sizeof b5, w->inuse_peak);
    fprintf(t, "aggregate: %.1f stream-frames/s (%llu shown), %.3f CPU ms per stream-frame, "
               "%llu dropped (%.2f%%), %llu late, %d failed; %llu ticks, %llu redraws, longest gap %.1f ms\n",
            w->fps, (unsigned long long)shown, w->cpu_ms_per_stream_frame,
            (unsigned long long)w->dropped,
            shown + w->dropped ? 100.0 * (double)w->dropped / (double)(shown + w->dropped) : 0.0,
            (unsigned long long)w->late, w->failed, (unsigned long long)w->ticks,
            (unsigned long long)w->redraws, w->tick_gap_max_ms);
    fprintf(t, "pool: peak %s, steady %s, budget %s (warm-up needed %s), in use at most %s, "
               "%llu evictions, %llu samples over budget + in use\n",
            b1, b2, b3, b4, b5, (unsigned long long)w->evictions,
            (unsigned long long)w->over_budget_ticks);
    double f = shown ? (double)shown : 1.0;
    fprintf(t, "per stream-frame: %.4f textures, %.4f buffers, %.4f fences created; %.4f glvf "
               "allocations; RSS %+.1f MiB over the run\n",
            (double)w->created[GLVF_OBJECT_TEXTURE] / f,
            (double)w->created[GLVF_OBJECT_BUFFER] / f, (double)w->created[GLVF_OBJECT_SYNC] / f,
            (double)w->allocs / f, (double)w->rss_growth / (1024.0 * 1024.0));
    fprintf(t, "DR: %llu frames, %llu fallbacks", (unsigned long long)w->dr_frames,
            (unsigned long long)w->dr_fallbacks);
    if (o->wall_churn_s > 0)
        fprintf(t, "; churn every %.3g s: %llu removed, %llu added, %llu failed re-adds",
                o->wall_churn_s, (unsigned long long)w->churn_removals,
                (unsigned long long)w->churn_adds, (unsigned long long)w->churn_failures);
    fputc('\n', t);
    if (w->verify)
        fprintf(t, "verify: %d of %d tiles differ from their stream's frame\n", w->verify_bad,
                w->streams);
}

static void wall_json_rgb(FILE *f, const uint8_t rgb[3], bool present)
{
    if (!present)
        fputs("null", f);
    else
        fprintf(f, "[%u, %u, %u]", rgb[0], rgb[1], rgb[2]);
}

static void wall_json(const bench_env *env, const bench_wall_result *w, FILE *f)
{
    const bench_options *o = env->opt;
    json_head(env, "wall", f);
    fputs("  \"target\": ", f);
    json_str(f, w->target);
    fprintf(f, ",\n  \"streams\": %d,\n  \"grid\": [%d, %d],\n  \"window\": [%d, %d],\n"
               "  \"untimed\": %s,\n  \"strategy_used\": ",
            w->streams, w->cols, w->rows, w->win_w, w->win_h, w->untimed ? "true" : "false");
    json_str(f, w->strategy_used);
    fprintf(f, ",\n  \"seconds\": ");
    json_num(f, w->seconds, true);
    fprintf(f, ",\n  \"warmup_frames\": %d,\n  \"stream_frames\": %llu,\n  \"fps\": ", o->warmup,
            (unsigned long long)w->stream_frames);
    json_num(f, w->fps, true);
    fputs(",\n  \"cpu_ms_per_stream_frame\": ", f);
    json_num(f, w->cpu_ms_per_stream_frame, w->cpu_ms_per_stream_frame >= 0);
    fprintf(f, ",\n  \"ticks\": %llu,\n  \"redraws\": %llu,\n  \"tick_gap_max_ms\": ",
            (unsigned long long)w->ticks, (unsigned long long)w->redraws);
    json_num(f, w->tick_gap_max_ms, true);
    uint64_t shown = w->stream_frames;
    double per = shown ? (double)shown : 1.0;
    fprintf(f, ",\n  \"dropped\": %llu,\n  \"late\": %llu,\n  \"dropped_percent\": ",
            (unsigned long long)w->dropped, (unsigned long long)w->late);
    json_num(f, shown + w->dropped ? 100.0 * (double)w->dropped / (double)(shown + w->dropped)
                                   : 0.0, true);
    fprintf(f, ",\n  \"failed_streams\": %d,\n"
               "  \"pool_budget_bytes\": %llu,\n  \"pool_needed_bytes\": %llu,\n"
               "  \"pool_peak_bytes\": %llu,\n  \"pool_peak_warmup_bytes\": %llu,\n"
               "  \"pool_steady_bytes\": %llu,\n  \"pool_cached_peak_bytes\": %llu,\n"
               "  \"pool_in_use_peak_bytes\": %llu,\n  \"pool_over_budget_ticks\": %llu,\n"
               "  \"evictions\": %llu,\n  \"staging_bytes\": %llu,\n",
            w->failed, (unsigned long long)w->pool_budget, (unsigned long long)w->pool_needed,
            (unsigned long long)w->pool_peak, (unsigned long long)w->pool_peak_warmup,
            (unsigned long long)w->pool_steady, (unsigned long long)w->pool_cached_peak,
            (unsigned long long)w->inuse_peak, (unsigned long long)w->over_budget_ticks,
            (unsigned long long)w->evictions, (unsigned long long)w->staging_bytes);
    fputs("  \"created\": {", f);
    for (int k = 0; k < GLVF_OBJECT_KIND_COUNT; k++)
        fprintf(f, "%s\"%s\": %llu", k ? ", " : "", glvf_object_kind_name((glvf_object_kind)k),
                (unsigned long long)w->created[k]);
    fputs("},\n  \"textures_per_stream_frame\": ", f);
    json_num(f, (double)w->created[GLVF_OBJECT_TEXTURE] / per, true);
    fputs(",\n  \"buffers_per_stream_frame\": ", f);
    json_num(f, (double)w->created[GLVF_OBJECT_BUFFER] / per, true);
    fprintf(f, ",\n  \"heap_allocs\": %llu,\n  \"heap_allocs_per_stream_frame\": ",
            (unsigned long long)w->allocs);
    json_num(f, (double)w->allocs / per, true);
    fprintf(f, ",\n  \"rss_growth_bytes\": %lld,\n  \"dr_frames\": %llu,\n"
               "  \"dr_fallbacks\": %llu,\n  \"churn_seconds\": ",
            w->rss_growth, (unsigned long long)w->dr_frames,
            (unsigned long long)w->dr_fallbacks);
    json_num(f, o->wall_churn_s, o->wall_churn_s > 0);
    fprintf(f, ",\n  \"churn_removals\": %llu,\n  \"churn_adds\": %llu,\n"
               "  \"churn_failures\": %llu,\n  \"frames_live_at_end\": %llu,\n"
               "  \"verify\": %s,\n  \"verify_mismatches\": %d,\n  \"stream\": [\n",
            (unsigned long long)w->churn_removals, (unsigned long long)w->churn_adds,
            (unsigned long long)w->churn_failures, (unsigned long long)w->frames_live_at_end,
            w->verify ? "true" : "false", w->verify_bad);
    for (int i = 0; i < w->streams; i++) {
        const bench_wall_stream_result *s = &w->stream[i];
        fprintf(f, "    {\"index\": %d, \"file\": ", i);
        json_str(f, s->path);
        fputs(", \"desc\": ", f);
        json_str(f, s->desc);
        fprintf(f, ", \"ok\": %s, \"error\": ", s->failed ? "false" : "true");
        if (s->failed)
            json_str(f, s->error);
        else
            fputs("null", f);
        fprintf(f, ", \"presented\": %llu, \"dropped\": %llu, \"late\": %llu, \"fps\": ",
                (unsigned long long)s->presented, (unsigned long long)s->dropped,
                (unsigned long long)s->late);
        json_num(f, s->fps, true);
        fputs(", \"nominal_fps\": ", f);
        json_num(f, s->nominal_fps, s->nominal_fps > 0);
        fprintf(f, ", \"dr_frames\": %llu, \"dr_fallbacks\": %llu, \"loops\": %llu, "
                   "\"adds\": %llu, \"removals\": %llu, \"tile_rgb\": ",
                (unsigned long long)s->dr_frames, (unsigned long long)s->dr_fallbacks,
                (unsigned long long)s->loops, (unsigned long long)s->adds,
                (unsigned long long)s->removals);
        wall_json_rgb(f, s->tile_rgb, w->verify);
        fputs(", \"solo_rgb\": ", f);
        wall_json_rgb(f, s->solo_rgb, s->verified);
        fprintf(f, ", \"verify_ok\": %s}%s\n",
                !s->verified ? "null" : s->verify_ok ? "true" : "false",
                i + 1 < w->streams ? "," : "");
    }
    fputs("  ]\n}\n", f);
}

typedef struct wall_doc {
    const bench_env *env;
    const bench_wall_result *w;
} wall_doc;

static void wall_json_cb(const void *arg, FILE *f)
{
    const wall_doc *d = arg;
    wall_json(d->env, d->w, f);
}

bool bench_report_wall(const bench_env *env, const bench_wall_result *w)
{
    const bench_options *o = env->opt;
    bool json_stdout = o->json_path && !strcmp(o->json_path, "-");
    wall_table(env, w, json_stdout ? stderr : stdout);
    if (!o->json_path)
        return true;
    wall_doc doc = { env, w };
    bool ok = write_out(o->json_path, wall_json_cb, &doc);
    return ok;
}
