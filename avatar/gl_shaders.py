"""GLSL 3.30 sources of the avatar renderer's mesh program and the constants its shading reads
(compiled per feature set by :mod:`avatar.gl_programs`, which passes the constants as
``#define`` lines).

Shading (linear light, glTF 2.0 metallic-roughness, spec Appendix B): Lambert diffuse with a
slightly wrapped terminator (soft, skin-like) from a warm key and a cool fill light, a
hemisphere ambient scaled by the occlusion texture, GGX specular for the key light (Trowbridge-
Reitz distribution, Schlick Fresnel, the height-correlated Smith visibility approximation of
Hammon 2017, as in the glTF Sample Viewer), a rim light, emissive. The viewer is taken as
distant (one view direction per frame, toward the camera): a head ~2 m away sees its view
direction vary by ±5°, and a per-pixel view vector cost llvmpipe ~15 % of the frame. KHR_materials_unlit draws
the base colour alone; VRM MToon a two-tone shade. Normal maps use a per-pixel cotangent frame
from screen-space derivatives (Schüler 2013, "Normal Mapping Without Precomputed Tangents").
Colour textures are sRGB textures (decoded by GL) and the framebuffer is sRGB (encoded by GL),
so every blend happens in linear light.
"""

from __future__ import annotations

#: The light rig, linear RGB × intensity (a soft studio key from the upper left, a cool fill).
KEY_DIR, KEY_RGB = (-0.45, 0.55, 0.75), (1.05, 1.0, 0.94)
FILL_DIR, FILL_RGB = (0.7, 0.1, 0.7), (0.26, 0.29, 0.36)
#: Strand shading of hair materials (``Material.strands``; GLSL ``STRAND_*``): clump noise per
#: radian of azimuth (the coarse octave ~3 px wide on a 512² head, the fine one faded out where it
#: would alias), how much it varies the albedo (±), and the two highlight lobes of Scheuermann
#: 2004 ("Hair Rendering and Shading", GDC: tangent shifts along the normal, exponents of
#: sin(T, H), strengths; the second lobe is tinted by the hair), on Kajiya & Kay 1989. The
#: untinted first lobe is faint (0.025): at 0.08 it drew grey-blue loops over the crown.
STRANDS = {
    "STRAND_CLUMPS": 18.0,
    "STRAND_FINE": 45.0,
    "STRAND_ALBEDO": 0.9,
    "STRAND_SHIFT1": 0.08,
    "STRAND_SHIFT2": -0.12,
    "STRAND_EXP1": 80.0,
    "STRAND_EXP2": 16.0,
    "STRAND_SPEC1": 0.025,
    "STRAND_SPEC2": 0.35,
}

#: Skin shading (``Material.skin``; GLSL ``SKIN_*``). Mottle: value noise in the ICT face's UV
#: space (one UV unit spans ~0.25 m of face), octaves of ~8 mm and ~3 mm cells, each faded out
#: before its cell shrinks under ~2 px (at 512² only the coarse one shows, the fine one from
#: ~1080p on, at half the coarse one's depth: as deep, a 1080p forehead looked blotchy); how
#: much it varies the albedo (±, per channel: blotches are redder, as blood under the skin
#: absorbs green and blue). Diffuse: wrapped per channel, red furthest (light scatters
#: millimetres in skin, red the furthest: Jensen et al. 2001; the wrap as in Green 2004, GPU
#: Gems ch. 16). Specular: F0 0.028 (skin's index of refraction ~1.4, Donner & Jensen 2005),
#: roughness from the vertex alpha (the skin's gloss: matte cheeks, an oilier nose and
#: forehead, moist lips) and a Schlick-Fresnel sheen of the sky at grazing angles.
SKIN = {
    "SKIN_UV_FREQ": (30.0, 80.0),
    "SKIN_FINE": 0.5,
    "SKIN_MOTTLE": (0.08, 0.13, 0.15),
    "SKIN_WRAP": (0.42, 0.25, 0.2),
    "SKIN_F0": 0.028,
    "SKIN_ROUGH": (0.62, 0.32),
    "SKIN_SHEEN": 0.25,
}

VERTEX = """
layout(location = 0) in vec3 a_pos;
layout(location = 1) in vec3 a_nrm;
layout(location = 2) in vec4 a_col;
layout(location = 3) in vec2 a_uv0;
layout(location = 4) in vec2 a_uv1;
layout(location = 5) in vec2 a_rig;      // (head band weight, eyeball 0 / 1 / 2)
layout(location = 6) in uvec4 a_joints;
layout(location = 7) in vec4 a_weights;
layout(std140) uniform Frame {
    mat4 u_view_proj;
    mat4 u_head;        // rotation in the upper 3×3, pivot in column 3
    mat4 u_gaze;        // eye rotation in the upper 3×3
    vec4 u_view;        // unit vector toward the camera
    vec4 u_eyeball[2];  // eyeball centres
};
#ifdef SKINNED
uniform samplerBuffer u_palette;
#endif
out vec3 v_pos;
out vec3 v_nrm;
out vec4 v_col;
out vec4 v_uv;
void main() {
    vec3 p = a_pos;
    vec3 n = a_nrm;
#ifdef SKINNED
    vec4 r0 = vec4(0.0), r1 = vec4(0.0), r2 = vec4(0.0);
    for (int k = 0; k < 4; ++k) {
        float w = a_weights[k];
        if (w > 0.0) {
            int j = int(a_joints[k]) * 3;
            r0 += w * texelFetch(u_palette, j);
            r1 += w * texelFetch(u_palette, j + 1);
            r2 += w * texelFetch(u_palette, j + 2);
        }
    }
    vec4 hp = vec4(p, 1.0);
    p = vec3(dot(r0, hp), dot(r1, hp), dot(r2, hp));
    n = vec3(dot(r0.xyz, n), dot(r1.xyz, n), dot(r2.xyz, n));
#else
    if (a_rig.y > 0.5) {
        vec3 c = u_eyeball[int(a_rig.y) - 1].xyz;
        p = c + mat3(u_gaze) * (p - c);
        n = mat3(u_gaze) * n;
    }
    vec3 pivot = u_head[3].xyz;
    p = mix(p, pivot + mat3(u_head) * (p - pivot), a_rig.x);
    n = mix(n, mat3(u_head) * n, a_rig.x);
#endif
    v_pos = p;
    v_nrm = n;
    v_col = a_col;
    v_uv = vec4(a_uv0, a_uv1);
    gl_Position = u_view_proj * vec4(p, 1.0);
}
"""

FRAGMENT = """
in vec3 v_pos;
in vec3 v_nrm;
in vec4 v_col;
in vec4 v_uv;
layout(std140) uniform Frame {
    mat4 u_view_proj;
    mat4 u_head;
    mat4 u_gaze;
    vec4 u_view;
    vec4 u_eyeball[2];
};
layout(std140) uniform Material {
    vec4 m_base;        // linear RGBA factor
    vec4 m_emissive;    // rgb, w = alpha cutoff
    vec4 m_params;      // metallic, roughness, normal scale, occlusion strength
    vec4 m_shade;       // MToon shade colour (rgb)
    vec4 m_xf[10];      // UV transforms: 2 rows per slot (base, mr, normal, occlusion, emissive)
};
uniform sampler2D u_base;
uniform sampler2D u_mr;
uniform sampler2D u_normal;
uniform sampler2D u_occlusion;
uniform sampler2D u_emissive;
out vec4 o_color;
const vec3 KEY = normalize(vec3(KEY_DIR));
const vec3 FILL = normalize(vec3(FILL_DIR));
const vec3 RIM = normalize(vec3(0.3, 0.6, -0.8));
vec2 xf(int slot, vec2 uv) {
    return vec2(dot(m_xf[2 * slot].xyz, vec3(uv, 1.0)), dot(m_xf[2 * slot + 1].xyz, vec3(uv, 1.0)));
}
float wrapped(vec3 n, vec3 l, float w) { return max((dot(n, l) + w) / (1.0 + w), 0.0); }
#if defined(SKIN)
float hash21(vec2 p) {  // Hoskins' "hash without sine" (2014): arithmetic only
    vec3 p3 = fract(vec3(p.xyx) * 0.1031);
    p3 += dot(p3, p3.yzx + 33.33);
    return fract((p3.x + p3.y) * p3.z);
}
float vnoise2(vec2 x) {  // 2-D value noise in [0, 1], smooth between lattice points
    vec2 i = floor(x), f = fract(x);
    vec2 u = f * f * (3.0 - 2.0 * f);
    return mix(mix(hash21(i), hash21(i + vec2(1.0, 0.0)), u.x),
               mix(hash21(i + vec2(0.0, 1.0)), hash21(i + vec2(1.0, 1.0)), u.x), u.y);
}
#endif
#ifdef STRANDS
float hash11(float x) { return fract(sin(x * 127.1) * 43758.5453); }
float vnoise(float x) {  // 1-D value noise, smooth between integer lattice points
    float i = floor(x), f = fract(x);
    return mix(hash11(i), hash11(i + 1.0), f * f * (3.0 - 2.0 * f));
}
#endif
void main() {
    vec4 base = m_base * v_col;
#ifdef BASE_UV
    base *= texture(u_base, xf(0, BASE_UV));
#endif
#ifdef ALPHA_MASK
    if (base.a < m_emissive.w) discard;
    base.a = 1.0;
#endif
#ifdef UNLIT
    o_color = base;
#else
    vec3 n = normalize(v_nrm);
    if (!gl_FrontFacing) n = -n;
    vec3 v = u_view.xyz;  // a distant viewer: one view direction for the frame
#ifdef SKIN
    // the vertex alpha is the skin's gloss (an opaque material's alpha is not used otherwise)
    float gloss = base.a;
    base.a = 1.0;
    vec2 kuv = v_uv.xy;
    float kw = max(fwidth(kuv.x), fwidth(kuv.y));
    vec2 kf = vec2(SKIN_UV_FREQ);
    vec2 km = (vec2(vnoise2(kuv * kf.x), vnoise2(kuv * kf.y + 7.3)) - 0.5)
        * (1.0 - smoothstep(0.2, 0.45, kw * kf));
    base.rgb *= 1.0 + (km.x + SKIN_FINE * km.y) * vec3(SKIN_MOTTLE);
#endif
#ifdef NORMAL_UV
    vec2 nuv = xf(2, NORMAL_UV);
    vec3 dp1 = dFdx(v_pos), dp2 = dFdy(v_pos);
    vec2 duv1 = dFdx(nuv), duv2 = dFdy(nuv);
    vec3 dp2perp = cross(dp2, n), dp1perp = cross(n, dp1);
    vec3 t = dp2perp * duv1.x + dp1perp * duv2.x;
    vec3 b = dp2perp * duv1.y + dp1perp * duv2.y;
    float inv = inversesqrt(max(max(dot(t, t), dot(b, b)), 1e-20));
    vec3 tn = texture(u_normal, nuv).xyz * 2.0 - 1.0;
    tn.xy *= m_params.z;
    n = normalize(mat3(t * inv, b * inv, n) * tn);
#endif
#ifdef STRANDS
    // the strand runs along dP/d(height) of the hair's (azimuth, height) coordinates, from a
    // per-pixel cotangent frame (as for normal maps above); clumps vary across it (azimuth)
    vec2 suv = v_uv.xy;
    vec3 sp1 = dFdx(v_pos), sp2 = dFdy(v_pos);
    vec2 sd1 = dFdx(suv), sd2 = dFdy(suv);
    vec3 strand = cross(sp2, n) * sd1.y + cross(n, sp1) * sd2.y;
    strand = normalize(strand - n * dot(n, strand) + vec3(1e-7));
    // strands wave a little along their length; offset so that no lattice point (hash 0 at 0)
    // draws a dark line down the middle of the forehead
    float across = suv.x + 0.37 + 0.015 * sin(suv.y * 90.0);
    float wa = fwidth(across);
    // two octaves of clumps, each faded out before its cell shrinks under ~2 px (no aliasing)
    float grain = (vnoise(across * STRAND_CLUMPS) - 0.5) * (1.0 - smoothstep(0.2, 0.45, wa * STRAND_CLUMPS));
    grain += 0.7 * (vnoise(across * STRAND_FINE + 17.0) - 0.5) * (1.0 - smoothstep(0.2, 0.45, wa * STRAND_FINE));
    // where the shell blends into the skin at the hairline (its vertex colour turns skin-light)
    // there are no strands
    float hairy = 1.0 - smoothstep(0.1, 0.25, dot(v_col.rgb, vec3(0.2126, 0.7152, 0.0722)));
    grain *= hairy;
    base.rgb *= 1.0 + STRAND_ALBEDO * grain;
#endif
    float metal = m_params.x, rough = m_params.y;
#ifdef MR_UV
    vec4 mr = texture(u_mr, xf(1, MR_UV));
    rough *= mr.g;
    metal *= mr.b;
#endif
    float ao = 1.0;
#ifdef OCCLUSION_UV
    ao = 1.0 + m_params.w * (texture(u_occlusion, xf(3, OCCLUSION_UV)).r - 1.0);
#endif
    vec3 ambient = mix(vec3(0.16, 0.14, 0.13), vec3(0.30, 0.32, 0.36), 0.5 + 0.5 * n.y) * ao;
    float nv = max(dot(n, v), 1e-4);
    float fv = 1.0 - nv;
    vec3 rim = vec3(0.35 * fv * fv * fv * max(dot(n, RIM) + 0.3, 0.0));
#ifdef TOON
    float lit = smoothstep(0.0, 0.15, dot(n, KEY) * 0.5 + 0.5 - 0.35);
    vec3 c = mix(m_shade.rgb, base.rgb, lit) * (0.8 + 0.4 * ambient) + rim * base.rgb;
#else
    vec3 diffuse = base.rgb * (1.0 - metal);
    vec3 f0 = mix(vec3(0.04), base.rgb, metal);
#ifdef SKIN
    vec3 wk = vec3(SKIN_WRAP), kl = vec3(dot(n, KEY)), fl = vec3(dot(n, FILL));
    vec3 light = vec3(KEY_RGB) * max((kl + wk) / (1.0 + wk), 0.0)
        + vec3(FILL_RGB) * max((fl + wk + 0.3) / (1.3 + wk), 0.0);
#else
    vec3 light = vec3(KEY_RGB) * wrapped(n, KEY, 0.3) + vec3(FILL_RGB) * wrapped(n, FILL, 0.5);
#endif
    vec3 c = diffuse * (ambient + light + rim);
#ifdef SKIN
    f0 = vec3(SKIN_F0);
    rough = mix(vec2(SKIN_ROUGH).x, vec2(SKIN_ROUGH).y, gloss);
    // Fresnel sheen: the sky mirrored at grazing angles (Schlick), more on glossier skin
    float fs = fv * fv;
    c += (SKIN_F0 + (1.0 - SKIN_F0) * fs * fs * fv) * SKIN_SHEEN * (0.4 + 0.6 * gloss) * ambient;
#endif
#ifdef STRANDS
    // Kajiya & Kay 1989: a strand's highlight is sin(T, H)^p; Scheuermann 2004: two lobes, the
    // tangent shifted along the normal (the cuticle's tilt), the second tinted by the hair and
    // broken up by the same clump noise
    vec3 hk = normalize(KEY + v);
    vec3 t1 = normalize(strand + n * (STRAND_SHIFT1 + 0.3 * grain));
    vec3 t2 = normalize(strand + n * (STRAND_SHIFT2 + 0.3 * grain));
    float th1 = dot(t1, hk), th2 = dot(t2, hk);
    float s1 = pow(max(1.0 - th1 * th1, 0.0), 0.5 * STRAND_EXP1);
    float s2 = pow(max(1.0 - th2 * th2, 0.0), 0.5 * STRAND_EXP2);
    float lit = hairy * smoothstep(-0.1, 0.3, dot(n, KEY));
    c += vec3(KEY_RGB) * lit * (STRAND_SPEC1 * s1 + STRAND_SPEC2 * s2 * base.rgb * (1.0 + 2.0 * grain));
#else
    float nl = max(dot(n, KEY), 0.0);
    vec3 h = normalize(KEY + v);
    float nh = max(dot(n, h), 0.0), a = max(rough * rough, 0.002);
    float a2 = a * a, d = nh * nh * (a2 - 1.0) + 1.0;
    float ggx = a2 / (3.14159265 * d * d);
    float vis = 0.5 / max(mix(2.0 * nl * nv, nl + nv, a), 1e-4);
    float vh = 1.0 - max(dot(v, h), 0.0), vh2 = vh * vh;
    float fw = vh2 * vh2 * vh;
    vec3 fresnel = f0 + (1.0 - f0) * fw;
    c += fresnel * (ggx * vis * nl) * vec3(KEY_RGB);
    c += f0 * ambient * (1.0 - 0.7 * rough);
#endif
#endif
    vec3 emissive = m_emissive.rgb;
#ifdef EMISSIVE_UV
    emissive *= texture(u_emissive, xf(4, EMISSIVE_UV)).rgb;
#endif
    c = c / (1.0 + 0.12 * c) + emissive;  // gentle highlight roll-off
    o_color = vec4(c, base.a);
#endif
}
"""
