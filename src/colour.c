/*
 * Colour beyond BT.709 SDR, the CPU side: names of the H.273 code points,
 * the primaries' chromaticities and the linear-light conversion between
 * them, and the choice of the renderer's colour path from a frame's
 * colorimetry and the render parameters. The GPU side is in
 * shaders/glvf.frag (TRANSFER_*, TONE_*, GAMUT_*).
 */
#include "internal.h"

#include <stdio.h>

const char *glvf_primaries_name(int p)
{
    switch (p) {
    case 0:
    case GLVF_PRIMARIES_UNSPECIFIED: return "unspecified";
    case GLVF_PRIMARIES_BT709: return "bt709";
    case GLVF_PRIMARIES_BT470M: return "bt470m";
    case GLVF_PRIMARIES_BT601_625: return "bt601-625";
    case GLVF_PRIMARIES_BT601_525: return "bt601-525";
    case GLVF_PRIMARIES_SMPTE240M: return "smpte240m";
    case GLVF_PRIMARIES_FILM: return "film";
    case GLVF_PRIMARIES_BT2020: return "bt2020";
    case GLVF_PRIMARIES_DCI_P3: return "dci-p3";
    case GLVF_PRIMARIES_DISPLAY_P3: return "display-p3";
    default: return "unknown";
    }
}

const char *glvf_transfer_name(int t)
{
    switch (t) {
    case 0:
    case GLVF_TRANSFER_UNSPECIFIED: return "unspecified";
    case GLVF_TRANSFER_BT709: return "bt709";
    case 4: return "gamma22";
    case 5: return "gamma28";
    case 6: return "bt601";
    case 7: return "smpte240m";
    case GLVF_TRANSFER_LINEAR: return "linear";
    case GLVF_TRANSFER_SRGB: return "srgb";
    case 14: return "bt2020-10";
    case 15: return "bt2020-12";
    case GLVF_TRANSFER_PQ: return "pq";
    case GLVF_TRANSFER_HLG: return "hlg";
    default: return "unknown";
    }
}
