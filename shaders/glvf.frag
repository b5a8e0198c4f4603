// glvf fragment shader: samples the planes of a video frame and converts to
// RGB. Texels are read with texelFetch and filtered here (bilinear, or
// Catmull-Rom bicubic with BICUBIC), so packed 4:2:2, swapped chroma and
// 16-bit values stored as byte pairs all filter correctly.
//
// Variant defines (one LAYOUT_*):
//   LAYOUT_RGB        one RGB(A) texture; channel order is in u_m
//   LAYOUT_GRAY       one single-channel texture
//   LAYOUT_PLANAR     Y, U, V textures (+ A with ALPHA_PLANE)
//   LAYOUT_NV         Y texture + interleaved chroma texture (u_swap: V,U)
//   LAYOUT_PACKED422  one RGBA texture holding two pixels per texel
//   BICUBIC           Catmull-Rom instead of bilinear
//   PAIR16            16-bit values stored as (low, high) 8-bit channels
//                     (GLES without EXT_texture_norm16)
//   ALPHA_PLANE       alpha from the fourth texture
//   TRANSFER_SDR      colour beyond BT.709 SDR (one of the three; none: the
//   TRANSFER_PQ       RGB is shown as it comes, today's path): linearise
//   TRANSFER_HLG      (gamma 2.4, SMPTE ST 2084, BT.2100 HLG + OOTF),
//                     convert the primaries (u_gamut), tone-map (PQ, HLG:
//                     one TONE_*), gamut-map (clip, or GAMUT_DESATURATE),
//                     encode with the BT.1886 gamma (1/2.4). The transfer
//                     and the curve are compiled in: no branch on a uniform.
//
// Variants whose texels are plain values (not PAIR16, not packed 4:2:2) use
// the sampler's own linear filter (HW_FILTER): bilinear is one texture() per
// plane instead of four texelFetch, and Catmull-Rom is nine bilinear taps
// (the middle two weights of each axis folded into one tap) instead of
// sixteen fetches. Textures are CLAMP_TO_EDGE, the same edge rule as the
// manual path.
//
// Colour: every fetched value is the container's normalised value f (stored
// integer / 255 or / 65535). The CPU folds bit depth, range and the YUV
// matrix into rgb = u_m * vec3(y, cb, cr) + u_off, and alpha = f * u_ascale
// (u_ascale == 0: opaque).

in vec2 v_uv;
out vec4 o_color;

uniform sampler2D u_tex0;
uniform sampler2D u_tex1;
uniform sampler2D u_tex2;
uniform sampler2D u_tex3;
uniform vec2 u_size;      // source size in pixels
uniform vec2 u_csub;      // chroma subsampling factors (1 or 2)
uniform vec2 u_coff;      // chroma sample position, in luma pixels
uniform ivec2 u_tsize0;   // texture sizes (texels), for edge clamping
uniform ivec2 u_tsize1;
uniform mat3 u_m;
uniform vec3 u_off;
uniform float u_ascale;
uniform int u_swap;
uniform vec4 u_sel_y0;    // LAYOUT_PACKED422: which channel holds Y0, U, Y1, V
uniform vec4 u_sel_u;
uniform vec4 u_sel_y1;
uniform vec4 u_sel_v;

#if !defined(PAIR16) && !defined(LAYOUT_PACKED422)
#define HW_FILTER 1 /* texels are plain values: the sampler may filter them */
#ifndef BICUBIC
#define HW_BILINEAR 1
#endif
#endif

vec4 tex(sampler2D s, ivec2 p, ivec2 size)
{
    return texelFetch(s, clamp(p, ivec2(0), size - ivec2(1)), 0);
}

#ifdef PAIR16
float dec16(float lo, float hi)
{
    return (lo * 255.0 + hi * 65280.0) / 65535.0;
}
#endif

// ---- fetches ---------------------------------------------------------------

vec4 fetch_main(ivec2 p)
{
#if defined(LAYOUT_RGB)
    return tex(u_tex0, p, u_tsize0);
#elif defined(LAYOUT_PACKED422)
    vec4 t = tex(u_tex0, ivec2(p.x >> 1, p.y), u_tsize0);
    return vec4((p.x & 1) == 0 ? dot(t, u_sel_y0) : dot(t, u_sel_y1), 0.0, 0.0, 1.0);
#else
    vec4 t = tex(u_tex0, p, u_tsize0);
#ifdef PAIR16
    return vec4(dec16(t.r, t.g), 0.0, 0.0, 1.0);
#else
    return vec4(t.r, 0.0, 0.0, 1.0);
#endif
#endif
}

#if defined(LAYOUT_PLANAR) || defined(LAYOUT_NV) || defined(LAYOUT_PACKED422)
#define HAS_CHROMA 1
vec2 fetch_chroma(ivec2 p)
{
#if defined(LAYOUT_PLANAR)
    vec4 a = tex(u_tex1, p, u_tsize1);
    vec4 b = tex(u_tex2, p, u_tsize1);
#ifdef PAIR16
    return vec2(dec16(a.r, a.g), dec16(b.r, b.g));
#else
    return vec2(a.r, b.r);
#endif
#elif defined(LAYOUT_NV)
    vec4 t = tex(u_tex1, p, u_tsize1);
#ifdef PAIR16
    vec2 c = vec2(dec16(t.r, t.g), dec16(t.b, t.a));
#else
    vec2 c = t.rg;
#endif
    return u_swap != 0 ? c.yx : c;
#else
    vec4 t = tex(u_tex0, p, u_tsize0);
    return vec2(dot(t, u_sel_u), dot(t, u_sel_v));
#endif
}
#endif

#ifdef ALPHA_PLANE
float fetch_alpha(ivec2 p)
{
    return tex(u_tex3, p, u_tsize0).r;
}
#endif

// ---- filters: pos in texel units, texel centres at integers ---------------

#ifdef BICUBIC
vec4 cr_weights(float t)
{
    float t2 = t * t;
    float t3 = t2 * t;
    return vec4(-0.5 * t3 + t2 - 0.5 * t, 1.5 * t3 - 2.5 * t2 + 1.0,
                -1.5 * t3 + 2.0 * t2 + 0.5 * t, 0.5 * t3 - 0.5 * t2);
}
#endif

#if defined(BICUBIC) && defined(HW_FILTER)
// Catmull-Rom from 9 bilinear taps; pos in texel units, centres at integers.
vec4 cr9(sampler2D s, vec2 pos, vec2 size)
{
    vec2 p1 = floor(pos);
    vec2 f = pos - p1;
    vec2 w0 = f * (-0.5 + f * (1.0 - 0.5 * f));
    vec2 w1 = 1.0 + f * f * (-2.5 + 1.5 * f);
    vec2 w2 = f * (0.5 + f * (2.0 - 1.5 * f));
    vec2 w3 = f * f * (-0.5 + 0.5 * f);
    vec2 w12 = w1 + w2;
    vec2 t0 = (p1 - 1.0 + 0.5) / size;
    vec2 t12 = (p1 + w2 / w12 + 0.5) / size;
    vec2 t3 = (p1 + 2.0 + 0.5) / size;
    return (texture(s, vec2(t0.x, t0.y)) * w0.x + texture(s, vec2(t12.x, t0.y)) * w12.x +
            texture(s, vec2(t3.x, t0.y)) * w3.x) * w0.y +
           (texture(s, vec2(t0.x, t12.y)) * w0.x + texture(s, vec2(t12.x, t12.y)) * w12.x +
            texture(s, vec2(t3.x, t12.y)) * w3.x) * w12.y +
           (texture(s, vec2(t0.x, t3.y)) * w0.x + texture(s, vec2(t12.x, t3.y)) * w12.x +
            texture(s, vec2(t3.x, t3.y)) * w3.x) * w3.y;
}
#endif

vec4 filter_main(vec2 pos)
{
#if defined(BICUBIC) && defined(HW_FILTER)
    vec4 t = cr9(u_tex0, pos, vec2(u_tsize0));
#ifdef LAYOUT_RGB
    return t;
#else
    return vec4(t.r, 0.0, 0.0, 1.0);
#endif
#endif
#ifdef HW_BILINEAR
    vec4 t = texture(u_tex0, (pos + 0.5) / vec2(u_tsize0));
#ifdef LAYOUT_RGB
    return t;
#else
    return vec4(t.r, 0.0, 0.0, 1.0);
#endif
#endif
    vec2 i = floor(pos);
    vec2 f = pos - i;
    ivec2 b = ivec2(i);
#ifdef BICUBIC
    vec4 wx = cr_weights(f.x);
    vec4 wy = cr_weights(f.y);
    vec4 acc = vec4(0.0);
    for (int y = 0; y < 4; y++) {
        vec4 row = vec4(0.0);
        for (int x = 0; x < 4; x++)
            row += wx[x] * fetch_main(b + ivec2(x - 1, y - 1));
        acc += wy[y] * row;
    }
    return acc;
#else
    return mix(mix(fetch_main(b), fetch_main(b + ivec2(1, 0)), f.x),
               mix(fetch_main(b + ivec2(0, 1)), fetch_main(b + ivec2(1, 1)), f.x), f.y);
#endif
}

#ifdef HAS_CHROMA
vec2 filter_chroma(vec2 pos)
{
#if defined(BICUBIC) && defined(HW_FILTER)
#if defined(LAYOUT_PLANAR)
    return vec2(cr9(u_tex1, pos, vec2(u_tsize1)).r, cr9(u_tex2, pos, vec2(u_tsize1)).r);
#else
    vec2 c = cr9(u_tex1, pos, vec2(u_tsize1)).rg;
    return u_swap != 0 ? c.yx : c;
#endif
#endif
#ifdef HW_BILINEAR
    vec2 uv = (pos + 0.5) / vec2(u_tsize1);
#if defined(LAYOUT_PLANAR)
    return vec2(texture(u_tex1, uv).r, texture(u_tex2, uv).r);
#else
    vec2 c = texture(u_tex1, uv).rg;
    return u_swap != 0 ? c.yx : c;
#endif
#endif
    vec2 i = floor(pos);
    vec2 f = pos - i;
    ivec2 b = ivec2(i);
#ifdef BICUBIC
    vec4 wx = cr_weights(f.x);
    vec4 wy = cr_weights(f.y);
    vec2 acc = vec2(0.0);
    for (int y = 0; y < 4; y++) {
        vec2 row = vec2(0.0);
        for (int x = 0; x < 4; x++)
            row += wx[x] * fetch_chroma(b + ivec2(x - 1, y - 1));
        acc += wy[y] * row;
    }
    return acc;
#else
    return mix(mix(fetch_chroma(b), fetch_chroma(b + ivec2(1, 0)), f.x),
               mix(fetch_chroma(b + ivec2(0, 1)), fetch_chroma(b + ivec2(1, 1)), f.x), f.y);
#endif
}
#endif

#ifdef ALPHA_PLANE
float filter_alpha(vec2 pos)
{
#if defined(BICUBIC) && defined(HW_FILTER)
    return cr9(u_tex3, pos, vec2(u_tsize0)).r;
#endif
#ifdef HW_BILINEAR
    return texture(u_tex3, (pos + 0.5) / vec2(u_tsize0)).r;
#endif
    vec2 i = floor(pos);
    vec2 f = pos - i;
    ivec2 b = ivec2(i);
#ifdef BICUBIC
    vec4 wx = cr_weights(f.x);
    vec4 wy = cr_weights(f.y);
    float acc = 0.0;
    for (int y = 0; y < 4; y++) {
        float row = 0.0;
        for (int x = 0; x < 4; x++)
            row += wx[x] * fetch_alpha(b + ivec2(x - 1, y - 1));
        acc += wy[y] * row;
    }
    return acc;
#else
    return mix(mix(fetch_alpha(b), fetch_alpha(b + ivec2(1, 0)), f.x),
               mix(fetch_alpha(b + ivec2(0, 1)), fetch_alpha(b + ivec2(1, 1)), f.x), f.y);
#endif
}
#endif

// ---- colour beyond BT.709 SDR (src/colour.c computes the constants) --------

#if defined(TRANSFER_SDR) || defined(TRANSFER_PQ) || defined(TRANSFER_HLG)
#define COLOUR_LINEAR 1
uniform mat3 u_gamut;     // source primaries -> BT.709, linear light
uniform vec2 u_lin;       // PQ: 10000 / target nits; HLG: Lw / target, gamma - 1
uniform vec4 u_tm;        // the tone curve's constants

const float PQ_M1 = 2610.0 / 16384.0;
const float PQ_M2 = 2523.0 / 4096.0 * 128.0;
const float PQ_C1 = 3424.0 / 4096.0;
const float PQ_C2 = 2413.0 / 4096.0 * 32.0;
const float PQ_C3 = 2392.0 / 4096.0 * 32.0;

// PQ signal -> linear (1.0 = 10000 nits)
float pq_eotf(float e)
{
    float p = pow(max(e, 0.0), 1.0 / PQ_M2);
    return pow(max(p - PQ_C1, 0.0) / (PQ_C2 - PQ_C3 * p), 1.0 / PQ_M1);
}

// linear (1.0 = 10000 nits) -> PQ signal
float pq_inv(float y)
{
    float p = pow(max(y, 0.0), PQ_M1);
    return pow((PQ_C1 + PQ_C2 * p) / (1.0 + PQ_C3 * p), PQ_M2);
}

// encoded RGB -> linear light, 1.0 = the output's white
vec3 linearise(vec3 e)
{
#if defined(TRANSFER_PQ)
    return vec3(pq_eotf(e.r), pq_eotf(e.g), pq_eotf(e.b)) * u_lin.x;
#elif defined(TRANSFER_HLG)
    // BT.2100 inverse OETF (scene light), then the OOTF for a display of
    // peak Lw: Fd = Lw * Ys^(gamma - 1) * E
    const float A = 0.17883277, B = 0.28466892, C = 0.55991073;
    vec3 s = mix(e * e / 3.0, (exp((e - C) / A) + B) / 12.0, step(vec3(0.5), e));
    float ys = dot(s, vec3(0.2627, 0.6780, 0.0593));
    return s * (u_lin.x * pow(max(ys, 1e-6), u_lin.y));
#else
    return pow(e, vec3(2.4));
#endif
}

#if defined(TRANSFER_PQ) || defined(TRANSFER_HLG)
#if defined(TONE_HABLE)
float hable(float x)
{
    const float A = 0.15, B = 0.50, C = 0.10, D = 0.20, E = 0.02, F = 0.30;
    return (x * (x * A + B * C) + D * E) / (x * (x * A + B) + D * F) - E / F;
}
#endif

// light above the output's white -> into [0, 1]; x = max(R, G, B) > 0
float tone(float x)
{
#if defined(TONE_BT2390)
    // ITU-R BT.2390 EETF in PQ space, normalised to the source peak:
    // u_tm = (target / 10000, PQ(source peak), knee start, PQ(target) / PQ(peak))
    float e = min(pq_inv(x * u_tm.x) / u_tm.y, 1.0);
    if (e > u_tm.z) {
        float t = (e - u_tm.z) / (1.0 - u_tm.z);
        float t2 = t * t, t3 = t2 * t;
        e = (2.0 * t3 - 3.0 * t2 + 1.0) * u_tm.z + (t3 - 2.0 * t2 + t) * (1.0 - u_tm.z) +
            (-2.0 * t3 + 3.0 * t2) * u_tm.w;
    }
    return pq_eotf(e * u_tm.y) / u_tm.x;
#elif defined(TONE_HABLE)
    return hable(x) * u_tm.y; // u_tm = (peak, 1 / hable(peak))
#elif defined(TONE_MOBIUS)
    // u_tm = (j, a, b, (b^2 + 2bj + j^2) / (b - a))
    return x <= u_tm.x ? x : u_tm.w * (x + u_tm.y) / (x + u_tm.z);
#else
    return min(x, 1.0);
#endif
}
#endif

vec3 colour_convert(vec3 e)
{
    vec3 l = u_gamut * linearise(e);
#if defined(TRANSFER_PQ) || defined(TRANSFER_HLG)
    float sig = max(max(l.r, l.g), l.b);
    if (sig > 1e-6)
        l *= tone(sig) / sig;
#endif
#ifdef GAMUT_DESATURATE
    // towards the grey of the same luminance, just far enough to fit
    float y = clamp(dot(l, vec3(0.2126, 0.7152, 0.0722)), 0.0, 1.0);
    float t = 1.0;
    for (int i = 0; i < 3; i++) {
        if (l[i] > 1.0)
            t = min(t, (1.0 - y) / (l[i] - y));
        else if (l[i] < 0.0)
            t = min(t, y / (y - l[i]));
    }
    l = vec3(y) + t * (l - vec3(y));
#endif
    return pow(clamp(l, 0.0, 1.0), vec3(1.0 / 2.4));
}
#endif

void main()
{
    vec2 px = v_uv * u_size - 0.5;
    vec4 m = filter_main(px);
#ifdef HAS_CHROMA
    vec3 c = vec3(m.r, filter_chroma((px - u_coff) / u_csub));
#else
    vec3 c = m.rgb;
#endif
    float a = u_ascale > 0.0 ? m.a * u_ascale : 1.0;
#ifdef ALPHA_PLANE
    a = filter_alpha(px) * u_ascale;
#endif
#ifdef COLOUR_LINEAR
    o_color = vec4(colour_convert(clamp(u_m * c + u_off, 0.0, 1.0)), clamp(a, 0.0, 1.0));
#else
    o_color = vec4(clamp(u_m * c + u_off, 0.0, 1.0), clamp(a, 0.0, 1.0));
#endif
}
