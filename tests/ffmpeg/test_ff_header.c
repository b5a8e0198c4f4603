/* <glvf/glvf-ffmpeg.h> compiles on its own, without any FFmpeg header, as C
 * (this file) and as C++ (test_ff_header.cpp includes it). */
#include <glvf/glvf-ffmpeg.h>

#ifdef __cplusplus
#include <cstdio>
#include <cstring>
#else
#include <stdio.h>
#include <string.h>
#endif

int main(void)
{
    glvf_ffmpeg_decoder_params p;
    memset(&p, 0, sizeof p);
    p.path = "/nonexistent/glvf-header-test.mkv";
    p.direct_rendering = GLVF_FFMPEG_DR_FORCE;
    int err = 0;
    glvf_ffmpeg_decoder *d = glvf_ffmpeg_decoder_open(&p, &err);
    char buf[128];
    struct AVFrame *f = NULL;
    glvf_ffmpeg_decoder_release(NULL, &f);
    int ok = d == NULL && err < 0 && glvf_ffmpeg_format_to_av(GLVF_FORMAT_NONE) == -1 &&
             glvf_ffmpeg_strerror(GLVF_FFMPEG_EOF, buf, sizeof buf) == buf;
    printf("%s - header compiles and links (%s): open error '%s'\n", ok ? "ok 1" : "not ok 1",
#ifdef __cplusplus
           "C++",
#else
           "C",
#endif
           glvf_ffmpeg_strerror(err, buf, sizeof buf));
    printf("1..1\n");
    return ok ? 0 : 1;
}
