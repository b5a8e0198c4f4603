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
    o_color = vec4(clamp(u_m * c + u_off, 0.0, 1.0), clamp(a, 0.0, 1.0));
}
