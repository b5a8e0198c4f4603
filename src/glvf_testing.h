/* Test hooks of libglvf, for its own tests only (no GL types). */
#ifndef GLVF_TESTING_H
#define GLVF_TESTING_H

/* Appends `glsl` to every fragment shader compiled from now on (NULL: stop),
 * e.g. a syntax error, to exercise the shader failure path. Process-wide. */
void glvf_testing_break_shaders(const char *glsl);

#endif
