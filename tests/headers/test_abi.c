/*
 * The ABI of the public structs the caller allocates: their sizes on LP64
 * Linux are fixed (a field added later takes reserved space), and the
 * reserved space is where the header says. A failure here means a change
 * would break binaries built against the previous header: take the new
 * field out of `reserved` instead (and shrink it), or, for a deliberate
 * break, bump the soname and these numbers together.
 */
#include <glvf/glvf.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <stdio.h>

#include "abi_size.h"

int main(void)
{
    int fail = 0;
#if defined(__x86_64__) || defined(__aarch64__)
    SIZE(glvf_context_params, 152);
    SIZE(glvf_caps, 88);
    SIZE(glvf_stats, 600);
    SIZE(glvf_plane_layout, 48);
    SIZE(glvf_colorimetry, 52);
    SIZE(glvf_image, 192);
    SIZE(glvf_upload_params, 40);
    SIZE(glvf_frame_plane, 32);
    SIZE(glvf_render_params, 160);
#else
    printf("# not an LP64 target this test knows: sizes not checked\n");
#endif
    /* the compound-literal macros zero what they do not name */
    const glvf_render_params *p = glvf_render_params(.scaler = GLVF_SCALER_BICUBIC);
    for (size_t i = 0; i < sizeof p->reserved / sizeof p->reserved[0]; i++)
        fail |= p->reserved[i] != 0;
    /* parse functions: the value, or -EINVAL; names round-trip */
    for (int f = 1; f < GLVF_FORMAT_COUNT; f++)
        if (glvf_format_parse(glvf_format_name((glvf_format)f)) != f) {
            printf("FAIL: format %d does not round-trip through its name\n", f);
            fail = 1;
        }
    for (int s = 0; s < GLVF_UPLOAD_STRATEGY_COUNT; s++)
        if (glvf_upload_strategy_parse(glvf_upload_strategy_name((glvf_upload_strategy)s)) != s) {
            printf("FAIL: strategy %d does not round-trip through its name\n", s);
            fail = 1;
        }
    if (glvf_format_parse("yuv420p10le") != GLVF_FORMAT_YUV420P10 ||
        glvf_format_parse("p010le") != GLVF_FORMAT_P010 ||
        glvf_format_parse("i420") != GLVF_FORMAT_YUV420P ||
        glvf_format_parse("yuv420ple") != -EINVAL || glvf_format_parse("nope") != -EINVAL ||
        glvf_format_parse(NULL) != -EINVAL || glvf_upload_strategy_parse("nope") != -EINVAL ||
        glvf_upload_strategy_parse(NULL) != -EINVAL) {
        printf("FAIL: aliases, or unknown names not -EINVAL\n");
        fail = 1;
    }
    printf("%s\n", fail ? "FAIL" : "ok: parse functions");
    return fail;
}
