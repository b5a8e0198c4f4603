/*
 * glvf audio: sound output for the audio an FFmpeg-module decoder delivers
 * (glvf_ffmpeg_decoder_params.audio), the one GlvfMediaStream plays
 * through; part of libglvf-gtk4 (built with the FFmpeg module), for
 * players that present video themselves (GlvfVideoArea, glvf-player's
 * --output area) and want the same sound and audio clock. PulseAudio's
 * client library (pa_threaded_mainloop + one playback pa_stream; PipeWire
 * serves it through pipewire-pulse). Optional at build time: without
 * libpulse every connect fails as "no sound server".
 *
 * Ownership: glvf_audio_out_connect() returns an output the caller owns and
 * frees with glvf_audio_out_free(); the decoder given to start() is
 * borrowed and must outlive the output.
 *
 * Threads: the functions below may be called from any thread except
 * libpulse's own (callbacks); the audio chunks are pulled from the decoder
 * on libpulse's thread (glvf_ffmpeg_decoder_next_audio with no wait). Lock
 * order: a caller may hold its own lock around these calls; libpulse's
 * thread takes no lock of the caller's.
 */
#ifndef GLVF_GLVF_AUDIO_H
#define GLVF_GLVF_AUDIO_H

#include <glvf/glvf-ffmpeg.h>

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct glvf_audio_out glvf_audio_out;

typedef struct glvf_audio_out_stats {
    int64_t latency_us;     /* the stream's latency (buffered + sink) now */
    uint64_t underruns;     /* the server ran out of samples while playing */
    uint64_t frames_written;
    bool clock_valid;       /* the audio clock drives the video now */
    uint64_t reserved[8];   /* room for fields added later; written as zero */
} glvf_audio_out_stats;

/* Connects to the sound server (at most ~2 s). NULL with a reason in `why`
 * when there is none (or no libpulse in this build). */
GLVF_API glvf_audio_out *glvf_audio_out_connect(const char *app_name, char *why, size_t why_len);
/* Creates the playback stream (float32 stereo at `rate`, corked) pulling
 * chunks from `dec`, which must outlive the output. False with `why`. */
GLVF_API bool glvf_audio_out_start(glvf_audio_out *a, glvf_ffmpeg_decoder *dec, int rate, char *why,
                          size_t why_len);
/* Stops libpulse's thread, frees everything, clears *pa. Accepts NULL. */
GLVF_API void glvf_audio_out_free(glvf_audio_out **pa);
/* Cork (false) / uncork (true). */
GLVF_API void glvf_audio_out_set_playing(glvf_audio_out *a, bool playing);
/* A decoder seek was asked (the decoder's serial is now `serial`): drops the
 * buffered samples and waits for chunks of that serial. */
GLVF_API void glvf_audio_out_flush(glvf_audio_out *a, uint64_t serial);
/* volume 0..1 (linear; applied as the sink input's volume), mute. */
GLVF_API void glvf_audio_out_set_volume(glvf_audio_out *a, double volume, bool muted);
/* The media time (µs on the decoder's timeline) of the sample heard now:
 * the end of the samples written minus the stream's latency. False when
 * there is no clock: nothing of the current serial written yet, no timing
 * information yet, or the audio ended and has been played out. */
GLVF_API bool glvf_audio_out_clock(glvf_audio_out *a, int64_t *media_us);
/* Copies the counters. Any thread. */
GLVF_API void glvf_audio_out_get_stats(glvf_audio_out *a, glvf_audio_out_stats *out);

#ifdef __cplusplus
}
#endif

#endif
