/* SIZE(type, n): prints and records (in `fail`) whether sizeof(type) is
 * still n on LP64 Linux. Shared by test_abi.c and test_abi_modules.c. */
#ifndef GLVF_TEST_ABI_SIZE_H
#define GLVF_TEST_ABI_SIZE_H

#include <stdio.h>

#define SIZE(type, n)                                                                      \
    do {                                                                                   \
        if (sizeof(type) != (n)) {                                                         \
            printf("FAIL: sizeof(" #type ") is %zu, was %d\n", sizeof(type), (n));         \
            fail = 1;                                                                      \
        } else {                                                                           \
            printf("ok: sizeof(" #type ") %d\n", (n));                                     \
        }                                                                                  \
    } while (0)

#endif
