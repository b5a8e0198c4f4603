#include "glvf_alloc.h"
#include "glvf_priv.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

static atomic_uint_fast64_t alloc_count;
static atomic_uint_fast64_t fail_at; /* absolute count that fails; 0: none */

static int should_fail(void)
{
    uint64_t n = atomic_fetch_add(&alloc_count, 1) + 1;
    uint64_t f = atomic_load(&fail_at);
    return f && n == f;
}

void *glvf_malloc(size_t size)
{
    return should_fail() ? NULL : malloc(size);
}

void *glvf_calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : calloc(n, size);
}

void *glvf_realloc(void *p, size_t size)
{
    return should_fail() ? NULL : realloc(p, size);
}

int glvf_memalign(void **out, size_t align, size_t size)
{
    if (should_fail())
        return ENOMEM;
    return posix_memalign(out, align, size);
}

void glvf_free(void *p)
{
    free(p);
}

uint64_t glvf_alloc_count(void)
{
    return atomic_load(&alloc_count);
}

void glvf_alloc_fail_nth(uint64_t n)
{
    atomic_store(&fail_at, n ? atomic_load(&alloc_count) + n : 0);
}

/* ---- lent to the modules (glvf_priv.h) ---------------------------------- */

void *glvf_priv_malloc(size_t size)
{
    return glvf_malloc(size);
}

void *glvf_priv_calloc(size_t n, size_t size)
{
    return glvf_calloc(n, size);
}

void *glvf_priv_realloc(void *p, size_t size)
{
    return glvf_realloc(p, size);
}

void glvf_priv_free(void *p)
{
    glvf_free(p);
}

uint64_t glvf_priv_alloc_count(void)
{
    return glvf_alloc_count();
}

void glvf_priv_alloc_fail_nth(uint64_t n)
{
    glvf_alloc_fail_nth(n);
}
