/*
 * Platform default loader and is_current check, used when the host passes
 * NULL for them: whichever of EGL or GLX has a context current on the
 * creating thread. The libraries are looked up among those already loaded
 * (RTLD_NOLOAD): a process that has a context current has them loaded.
 */
#include "internal.h"

#include <dlfcn.h>
#include <string.h>

static void *sym(void *lib, const char *name)
{
    return lib ? dlsym(lib, name) : NULL;
}

bool glvf_platform_init(glvf_platform *p, const glvf_context *log_ctx)
{
    memset(p, 0, sizeof *p);
    p->egl_lib = dlopen("libEGL.so.1", RTLD_LAZY | RTLD_NOLOAD);
    if (p->egl_lib) {
        *(void **)&p->egl_get_proc = sym(p->egl_lib, "eglGetProcAddress");
        *(void **)&p->egl_get_current_context = sym(p->egl_lib, "eglGetCurrentContext");
        if (p->egl_get_proc && p->egl_get_current_context &&
            (p->owner = p->egl_get_current_context()) != NULL) {
            p->api = 1;
            LOG_D(log_ctx, "default loader: EGL (context %p)", p->owner);
            return true;
        }
    }
    p->glx_lib = dlopen("libGLX.so.0", RTLD_LAZY | RTLD_NOLOAD);
    if (!p->glx_lib)
        p->glx_lib = dlopen("libGL.so.1", RTLD_LAZY | RTLD_NOLOAD);
    if (p->glx_lib) {
        *(void **)&p->glx_get_proc = sym(p->glx_lib, "glXGetProcAddressARB");
        *(void **)&p->glx_get_current_context = sym(p->glx_lib, "glXGetCurrentContext");
        if (p->glx_get_proc && p->glx_get_current_context &&
            (p->owner = p->glx_get_current_context()) != NULL) {
            p->api = 2;
            LOG_D(log_ctx, "default loader: GLX (context %p)", p->owner);
            return true;
        }
    }
    LOG_E(log_ctx, "glvf_context_create: no loader given and no EGL or GLX context is "
                   "current on this thread");
    glvf_platform_fini(p);
    return false;
}

void glvf_platform_fini(glvf_platform *p)
{
    if (p->egl_lib)
        dlclose(p->egl_lib);
    if (p->glx_lib)
        dlclose(p->glx_lib);
    memset(p, 0, sizeof *p);
}

void *glvf_platform_get_proc(void *user, const char *name)
{
    glvf_platform *p = user;
    void *f = NULL;
    if (p->api == 1)
        f = p->egl_get_proc(name);
    else if (p->api == 2)
        f = p->glx_get_proc((const unsigned char *)name);
    if (!f)
        f = dlsym(RTLD_DEFAULT, name);
    return f;
}

bool glvf_platform_is_current(void *user)
{
    glvf_platform *p = user;
    if (p->api == 1)
        return p->egl_get_current_context() == p->owner;
    if (p->api == 2)
        return p->glx_get_current_context() == p->owner;
    return false;
}
