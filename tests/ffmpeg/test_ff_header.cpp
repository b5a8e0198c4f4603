#include "test_ff_header.c"
