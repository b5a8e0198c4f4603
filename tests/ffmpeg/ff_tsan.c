/*
 * ThreadSanitizer suppressions for the FFmpeg module's tests, compiled into
 * each of them (added to those of TSAN_OPTIONS=suppressions=...).
 *
 * FFmpeg's libraries are not instrumented: their synchronisation (the atomic
 * reference counts of AVBuffer, frame threading's atomic progress and state)
 * is invisible to TSan, which then reports the memory those libraries hand
 * from one of their threads to another (allocated by a frame thread, freed
 * by av_buffer_unref on the decoder thread; memset/memcpy of picture
 * buffers) as races. Every report seen has FFmpeg frames on BOTH accesses.
 * glvf's own code is never matched by these patterns.
 */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
    return "race:libavcodec.so\n"
           "race:libavutil.so\n"
           "race:libavformat.so\n"
           "race:libswscale.so\n";
}
