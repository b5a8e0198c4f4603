/*
 * The ABI of the modules' caller-allocated structs (FFmpeg module, GTK4
 * module, sound output): sizes on LP64 Linux fixed, as test_abi.c does for
 * the core. A failure means a change would break binaries built against
 * the previous headers: take the new field out of `reserved` instead.
 */
#include <glvf/glvf-audio.h>
#include <glvf/glvf-ffmpeg.h>
#include <glvf/glvf-gtk4.h>
#include <stdio.h>

#include "abi_size.h"

int main(void)
{
    int fail = 0;
#if defined(__x86_64__) || defined(__aarch64__)
    SIZE(glvf_ffmpeg_decoder_params, 160);
    SIZE(glvf_ffmpeg_stats, 344);
    SIZE(glvf_audio_out_stats, 96);
    SIZE(GlvfVideoAreaStats, 128);
    SIZE(GlvfVideoPaintableStats, 344);
    SIZE(GlvfGtk4Totals, 112);
    SIZE(GlvfVideoWorkerStats, 224);
    SIZE(GlvfMediaStreamStats, 912);
#else
    printf("# not an LP64 target this test knows: sizes not checked\n");
#endif
    return fail;
}
