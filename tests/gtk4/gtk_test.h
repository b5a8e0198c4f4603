/*
 * Shared by the GTK test programs: gtk_init(), waiting on the main loop,
 * a window.
 *
 * gtk_init(): GTK loads the GIO modules of its extension points at init
 * (media backends such as libgtk-4-media-gstreamer, when installed) and
 * keeps them loaded on purpose without a pointer LeakSanitizer can see;
 * with GLib built without frame pointers the report's stack stops at
 * g_malloc, so no suppression can name it. Allocations made during
 * gtk_init() itself are therefore not leak-checked in ASan builds (every
 * later one is).
 */
#ifndef GLVF_TEST_GTK_H
#define GLVF_TEST_GTK_H

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

/* Runs the main loop until cond(data) holds (TRUE) or timeout_ms pass. */
static inline gboolean wait_until(gboolean (*cond)(gpointer), gpointer data, int timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    while (!cond(data)) {
        if (g_get_monotonic_time() > end)
            return FALSE;
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
    return TRUE;
}

/* A presented window of w x h holding `child` (may be NULL). */
static inline GtkWidget *new_window(GtkWidget *child, int w, int h)
{
    GtkWidget *win = gtk_window_new();
    gtk_window_set_default_size(GTK_WINDOW(win), w, h);
    gtk_window_set_child(GTK_WINDOW(win), child);
    gtk_window_present(GTK_WINDOW(win));
    return win;
}

#endif
