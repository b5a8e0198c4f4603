/*
 * gtk_init() for the GTK test programs. GTK loads the GIO modules of its
 * extension points at init (media backends such as
 * libgtk-4-media-gstreamer, when installed) and keeps them loaded on
 * purpose without a pointer LeakSanitizer can see; with GLib built without
 * frame pointers the report's stack stops at g_malloc, so no suppression
 * can name it. Allocations made during gtk_init() itself are therefore not
 * leak-checked in ASan builds (every later one is).
 */
#ifndef GLVF_TEST_GTK_INIT_H
#define GLVF_TEST_GTK_INIT_H

#include <gtk/gtk.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

static inline void glvf_test_gtk_init(void)
{
#if defined(__SANITIZE_ADDRESS__)
    __lsan_disable();
#endif
    gtk_init();
#if defined(__SANITIZE_ADDRESS__)
    __lsan_enable();
#endif
}

#endif
