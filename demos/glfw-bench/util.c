/*
 * glvf-bench: the measuring helpers every mode shares (bench.h): the
 * clock, resident memory, percentiles and GL_TIME_ELAPSED queries in a
 * ring. They depend on nothing else of the tool.
 */
#include "bench.h"

#include <epoxy/gl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- measurements ------------------------------------------------------- */

long long bench_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    long long size = 0, resident = 0;
    if (fscanf(f, "%lld %lld", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * (long long)sysconf(_SC_PAGESIZE);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile (sorts v). */
double bench_percentile(double *v, size_t n, double p)
{
    if (!n)
        return -1;
    qsort(v, n, sizeof(double), cmp_double);
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

/* GL_TIME_ELAPSED queries in a ring, each read back RING frames after it
 * was issued, when it is normally long done. */
static void gpu_timer_read_one(bench_gpu_timer *t)
{
    GLuint q = t->q[t->read % BENCH_GPU_RING];
    GLuint64 ns = 0;
    if (t->es)
        glGetQueryObjectui64vEXT(q, GL_QUERY_RESULT, &ns);
    else
        glGetQueryObjectui64v(q, GL_QUERY_RESULT, &ns);
    t->read++;
    if (t->es) {
        GLint disjoint = 0;
        glGetIntegerv(GL_GPU_DISJOINT_EXT, &disjoint);
        if (disjoint)
            return; /* the GPU clock jumped: the sample means nothing */
    }
    if (*t->nout < t->cap)
        t->out[(*t->nout)++] = (double)ns * 1e-6;
}

void bench_gpu_timer_init(bench_gpu_timer *t)
{
    if (t->on)
        glGenQueries(BENCH_GPU_RING, t->q);
}

void bench_gpu_timer_fini(bench_gpu_timer *t)
{
    if (t->on)
        glDeleteQueries(BENCH_GPU_RING, t->q);
}

void bench_gpu_timer_begin(bench_gpu_timer *t)
{
    if (!t->on)
        return;
    if (t->issued - t->read >= BENCH_GPU_RING)
        gpu_timer_read_one(t);
    glBeginQuery(GL_TIME_ELAPSED, t->q[t->issued % BENCH_GPU_RING]);
}

void bench_gpu_timer_end(bench_gpu_timer *t)
{
    if (!t->on)
        return;
    glEndQuery(GL_TIME_ELAPSED);
    t->issued++;
}

void bench_gpu_timer_drain(bench_gpu_timer *t)
{
    while (t->on && t->read < t->issued)
        gpu_timer_read_one(t);
}

