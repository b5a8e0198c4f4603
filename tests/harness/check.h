/*
 * Minimal test framework shared by every glvf test program.
 *
 *   CHECK(cond, "fmt", ...)    records a failure (with file:line) and goes on
 *   REQUIRE(cond, "fmt", ...)  records a failure and returns from the case
 *   RUN(case_fn, arg)          runs one case, prints a TAP line
 *                              ("ok N - name" / "not ok N - name")
 *   check_finish()             prints "# N passed, N failed" and returns the
 *                              process exit status (0 only if all passed)
 *
 * Plus a thread-safe capturing log callback (check_log) so tests can assert
 * what glvf logged: check_log_count_matching("substring").
 */
#ifndef GLVF_TEST_CHECK_H
#define GLVF_TEST_CHECK_H

#include <glvf/glvf.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_case_failures;
static int check_cases_passed, check_cases_failed, check_case_index;

#define CHECK(cond, ...)                                                         \
    do {                                                                         \
        if (!(cond)) {                                                           \
            check_case_failures++;                                               \
            printf("#   FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);           \
            printf(__VA_ARGS__);                                                 \
            printf("\n");                                                        \
            fflush(stdout);                                                      \
        }                                                                        \
    } while (0)

#define REQUIRE(cond, ...)                                                       \
    do {                                                                         \
        if (!(cond)) {                                                           \
            CHECK(cond, __VA_ARGS__);                                            \
            return;                                                              \
        }                                                                        \
    } while (0)

#define RUN(fn, arg) check_run(#fn, (void (*)(void *))(fn), (void *)(arg))
#define RUN_NAMED(name, fn, arg) check_run((name), (void (*)(void *))(fn), (void *)(arg))

static inline void check_run(const char *name, void (*fn)(void *), void *arg)
{
    check_case_failures = 0;
    check_case_index++;
    printf("# --- %s\n", name);
    fflush(stdout);
    fn(arg);
    if (check_case_failures == 0) {
        check_cases_passed++;
        printf("ok %d - %s\n", check_case_index, name);
    } else {
        check_cases_failed++;
        printf("not ok %d - %s\n", check_case_index, name);
    }
    fflush(stdout);
}

static inline int check_finish(void)
{
    printf("1..%d\n# %d passed, %d failed\n", check_case_index, check_cases_passed,
           check_cases_failed);
    fflush(stdout);
    return check_cases_failed == 0 && check_cases_passed > 0 ? 0 : 1;
}

/* ---- capturing log callback ------------------------------------------- */

#define CHECK_LOG_MAX 512
static pthread_mutex_t check_log_lock = PTHREAD_MUTEX_INITIALIZER;
static char *check_log_msgs[CHECK_LOG_MAX];
static glvf_log_level check_log_levels[CHECK_LOG_MAX];
static int check_log_n;
static bool check_log_echo = true;

/* Pass as params.log; also echoes to stdout as "# log <level>: msg". */
static inline void check_log(void *user, glvf_log_level level, const char *msg)
{
    (void)user;
    pthread_mutex_lock(&check_log_lock);
    if (check_log_n < CHECK_LOG_MAX) {
        check_log_levels[check_log_n] = level;
        check_log_msgs[check_log_n++] = strdup(msg);
    }
    if (check_log_echo)
        printf("# log %s: %s\n", glvf_log_level_name(level), msg);
    pthread_mutex_unlock(&check_log_lock);
}

static inline void check_log_clear(void)
{
    pthread_mutex_lock(&check_log_lock);
    for (int i = 0; i < check_log_n; i++)
        free(check_log_msgs[i]);
    check_log_n = 0;
    pthread_mutex_unlock(&check_log_lock);
}

/* Messages containing `needle` at level <= max_level (ERROR=1 < WARN=2 ...). */
static inline int check_log_count(glvf_log_level max_level, const char *needle)
{
    int n = 0;
    pthread_mutex_lock(&check_log_lock);
    for (int i = 0; i < check_log_n; i++)
        if (check_log_levels[i] <= max_level && (!needle || strstr(check_log_msgs[i], needle)))
            n++;
    pthread_mutex_unlock(&check_log_lock);
    return n;
}

#endif
