/* glvf's heap: every allocation of the library goes through these, so tests
 * can count them (steady state must allocate nothing) and make the n-th one
 * fail (fault injection). Private to the library and its tests; no GL. */
#ifndef GLVF_ALLOC_H
#define GLVF_ALLOC_H

#include <stddef.h>
#include <stdint.h>

void *glvf_malloc(size_t size);
void *glvf_calloc(size_t n, size_t size);
void *glvf_realloc(void *p, size_t size);
int glvf_memalign(void **out, size_t align, size_t size);
void glvf_free(void *p);

/* Test hooks. Counts are process-wide and atomic. */
uint64_t glvf_alloc_count(void);
/* Makes the n-th allocation from now fail (1 = the next); 0 disables. */
void glvf_alloc_fail_nth(uint64_t n);

#endif
