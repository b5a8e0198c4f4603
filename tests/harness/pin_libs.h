/*
 * In sanitizer builds, no shared object is ever unloaded.
 *
 * GTK (probing EGL, closing its display), glfwTerminate() or eglTerminate()
 * unload the GL driver before the process exits; LeakSanitizer then reports
 * the driver's leaks from an "<unknown module>" that no suppression
 * (tests/lsan.supp names the GL stack) can match. This header defines
 * dlclose() in the test program, which takes precedence over libc's for
 * every library in the process, as a no-op. Include it in exactly one
 * file of a test program. No-op outside sanitizer builds.
 */
#ifndef GLVF_TEST_PIN_LIBS_H
#define GLVF_TEST_PIN_LIBS_H

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
int dlclose(void *handle);
int dlclose(void *handle)
{
    (void)handle;
    return 0;
}
#endif

#endif
