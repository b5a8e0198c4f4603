/*
 * Upload strategies, one file each behind one operations table
 * (glvf_upload_ops, internal.h):
 *
 *   client.c          glTexSubImage2D straight from the caller's memory
 *   pbo_orphan.c      one pixel-unpack buffer, re-specified every upload
 *   pbo_persistent.c  the staging ring's persistently mapped buffers
 *   upload.c          the table, the dispatcher, and what they share:
 *                     unpack state, sub-image uploads with any stride,
 *                     staging layouts
 *
 * No strategy is tested for outside these files: the rest of glvf asks its
 * context's ops (ctx->upload_ops). Adding a strategy: a value appended to
 * glvf_upload_strategy in glvf.h, its name in upload.c's table, one file
 * here with its ops, tests (docs/hacking.md).
 */
#ifndef GLVF_UPLOAD_H
#define GLVF_UPLOAD_H

#include "../internal.h"

#define GLVF_STAGING_ALIGN 64 /* default alignment of staging layouts */

extern const glvf_upload_ops glvf_upload_ops_client;
extern const glvf_upload_ops glvf_upload_ops_pbo_orphan;
extern const glvf_upload_ops glvf_upload_ops_pbo_persistent;

/* Pixel-unpack state glvf changes, saved and restored around an upload
 * (skip rows/pixels are zeroed while it runs). GL thread. */
typedef struct glvf_unpack_state {
    GLint tex, pbo, row_length, alignment, skip_rows, skip_pixels;
} glvf_unpack_state;
void glvf_unpack_save(glvf_context *ctx, glvf_unpack_state *s);
void glvf_unpack_restore(glvf_context *ctx, const glvf_unpack_state *s);

/* Updates texture `tex` from `src` (a client pointer, or an offset into the
 * bound pixel-unpack buffer) whose rows are `stride` bytes apart. */
void glvf_tex_sub_image(glvf_context *ctx, GLuint tex, const glvf_plane_layout *l,
                        const uint8_t *src, ptrdiff_t stride);
void glvf_copy_plane(uint8_t *dst, size_t dst_stride, const uint8_t *src, ptrdiff_t stride,
                     size_t row_bytes, int rows);
/* Copies the image into `dst` laid out at `offsets`/`strides`. */
void glvf_fill_region(uint8_t *dst, const glvf_image *img, const glvf_plane_layout *layouts,
                      int planes, const size_t *offsets, const ptrdiff_t *strides);
/* Updates the textures from `buffer` laid out at `offsets`/`strides`. */
void glvf_upload_from_buffer(glvf_context *ctx, GLuint buffer, glvf_pool_tex *const *tex,
                             const glvf_plane_layout *layouts, int planes,
                             const size_t *offsets, const ptrdiff_t *strides);
/* Staging layout of an image: plane offsets and strides in one region.
 * Strides are multiples of lcm(align, bytes per texel) so that GL can
 * express them with GL_UNPACK_ROW_LENGTH. Returns the total size. */
size_t glvf_staging_layout(const glvf_context *ctx, glvf_format format, int w, int h,
                           size_t align, size_t offsets[GLVF_MAX_PLANES],
                           ptrdiff_t strides[GLVF_MAX_PLANES]);
/* The client upload of every plane (the fallback of the buffer strategies). */
int glvf_upload_client_planes(glvf_context *ctx, const glvf_image *img,
                              glvf_pool_tex *const *tex, const glvf_plane_layout *layouts,
                              int planes);

/* The staging ring (staging.c), for pbo-persistent: takes a slot of at
 * least `need` bytes (ACQUIRED) or NULL with *err; marks a filled slot in
 * flight behind a new fence. GL thread. */
glvf_slot *glvf_ring_take_gl(glvf_context *ctx, size_t need, int *err);
int glvf_slot_fence(glvf_context *ctx, glvf_slot *s);

#endif
