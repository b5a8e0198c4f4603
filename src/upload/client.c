/* client: glTexSubImage2D straight from the caller's memory, with
 * GL_UNPACK_ROW_LENGTH (or GL_UNPACK_ALIGNMENT) expressing the stride;
 * negative or inexpressible strides go row by row. Every context can. */
#include "upload.h"

int glvf_upload_client_planes(glvf_context *ctx, const glvf_image *img, glvf_pool_tex *const *tex,
                         const glvf_plane_layout *layouts, int planes)
{
    ctx->gl.BindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
    for (int i = 0; i < planes; i++)
        glvf_tex_sub_image(ctx, tex[i]->name, &layouts[i], img->planes[i].data,
                      img->planes[i].stride);
    return 0;
}

static int upload(glvf_context *ctx, const glvf_image *img, glvf_pool_tex *const *tex,
                  const glvf_image_plan *plan)
{
    return glvf_upload_client_planes(ctx, img, tex, plan->layout, plan->planes);
}

const glvf_upload_ops glvf_upload_ops_client = {
    .id = GLVF_UPLOAD_CLIENT,
    .upload = upload,
};
