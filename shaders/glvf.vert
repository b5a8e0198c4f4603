// glvf vertex shader: a quad covering the viewport (the fitted destination
// rectangle), as a 4-vertex triangle strip generated from gl_VertexID, no
// vertex buffers. u_transform maps destination coordinates (top-left origin,
// [0,1]^2) to source texture coordinates, carrying rotation and flips.
// The #version line (330 core / 300 es) and variant #defines are prepended.

uniform mat3 u_transform;
out vec2 v_uv;

void main()
{
    vec2 pos = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
    gl_Position = vec4(pos * 2.0 - 1.0, 0.0, 1.0);
    v_uv = (u_transform * vec3(pos.x, 1.0 - pos.y, 1.0)).xy;
}
