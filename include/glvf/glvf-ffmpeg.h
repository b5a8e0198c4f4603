/*
 * glvf-ffmpeg — the FFmpeg module of glvf (libglvf-ffmpeg, glvf-ffmpeg.pc).
 *
 *  - AVFrame -> glvf_image / glvf_frame: pixel format, colour matrix, range,
 *    primaries, transfer, chroma location, sample aspect ratio and the
 *    display matrix (rotation, mirroring).
 *  - A decoder: opens a file, picks the best video stream, decodes on its own
 *    thread (libavcodec frame threading on) and hands frames out through a
 *    bounded queue (back-pressure), seeks accurately, reports end of stream
 *    and errors as codes with messages, and shuts down from any state.
 *  - Direct rendering (DR): libavcodec decodes straight into glvf staging
 *    memory (glvf_staging_acquire), so that with the pbo-persistent upload
 *    strategy the picture reaches the textures with no CPU copy by glvf.
 *
 * Threading and ownership vocabulary as in <glvf/glvf.h> ("GL thread",
 * "any thread", "takes", "borrows").
 *
 * Return conventions: bool, NULL, or a negative int error code. Codes are
 * FFmpeg's AVERROR values passed through unchanged: a negative errno for
 * system errors (AVERROR(ENOENT) == -ENOENT, -ENOMEM, ...) and FFmpeg's own
 * negative tags otherwise (AVERROR_INVALIDDATA, AVERROR_EOF ==
 * GLVF_FFMPEG_EOF, AVERROR_STREAM_NOT_FOUND, AVERROR_DECODER_NOT_FOUND, ...).
 * glvf's own conditions use negative errno values (-EINVAL, -ENOTSUP,
 * -EAGAIN, -ECANCELED, -EPERM). glvf_ffmpeg_strerror() describes any of them.
 * Details go to the log callback; the module never writes to stdout or
 * stderr by itself (FFmpeg's own av_log output: see glvf_ffmpeg_route_av_log).
 *
 * The header needs no FFmpeg header: AVFrame is used as `struct AVFrame`.
 */
#ifndef GLVF_GLVF_FFMPEG_H
#define GLVF_GLVF_FFMPEG_H

#include <glvf/glvf.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct AVFrame;

/* AVERROR_EOF's value (FFERRTAG('E','O','F',' ')), for code that does not
 * include libavutil: end of stream. */
#define GLVF_FFMPEG_EOF (-0x20464f45)

/* "no timestamp", as AV_NOPTS_VALUE */
#define GLVF_FFMPEG_NOPTS INT64_MIN

/* Writes a description of `code` (a negative errno or AVERROR) into `buf`
 * (always NUL-terminated when n > 0) and returns buf. Any thread. */
GLVF_API const char *glvf_ffmpeg_strerror(int code, char *buf, size_t n);

/* "MAJOR.MINOR.PATCH": the version of the module actually linked (its own,
 * set when the module is built: GLVF_FFMPEG_VERSION in
 * src/ffmpeg/meson.build, today the project's version), not the core's
 * (glvf_version()). Any thread. */
GLVF_API const char *glvf_ffmpeg_version(void);

/* ------------------------------------------------------------------------ */
/* Pixel formats and images                                                 */

/*
 * The glvf format carrying the AVPixelFormat `av_pix_fmt` (an int so that
 * this header needs no FFmpeg header), or GLVF_FORMAT_NONE when the table
 * cannot carry it. Carried: yuv420p/422p/444p at 8, 10, 12 and 16 bits
 * (native-endian), yuvj420p/422p/444p (full range: *full_range is set to
 * true for them when non-NULL, else false), nv12, nv21, p010, p016, gray,
 * gray16, rgba, bgra, rgb0, bgr0, rgb24, yuyv422, uyvy422, yuva420p.
 * Any thread.
 */
GLVF_API glvf_format glvf_ffmpeg_format_from_av(int av_pix_fmt, bool *full_range);

/* The AVPixelFormat of a glvf format (the native-endian one; yuv420p and
 * not yuvj420p), or -1 (AV_PIX_FMT_NONE) for GLVF_FORMAT_NONE/invalid.
 * Any thread. */
GLVF_API int glvf_ffmpeg_format_to_av(glvf_format f);

/*
 * Describes a decoded AVFrame as a glvf_image: format, size, planes
 * (pointers and strides BORROWED from the AVFrame: valid while the frame is
 * referenced and unchanged), colour matrix, range (yuvj* formats are full
 * range), primaries, transfer, chroma location, sample aspect ratio,
 * rotation and flips from AV_FRAME_DATA_DISPLAYMATRIX side data (clockwise
 * rotation rounded to a multiple of 90 degrees; a mirrored matrix sets
 * flip_h, the mirroring following the rotation), and pts (frame->pts, else
 * best_effort_timestamp). Borrows `frame`. Returns 0, or a negative errno
 * with a message naming the cause in `why` (when why_len > 0): -ENOTSUP for
 * a pixel format glvf does not carry (hardware frames included), -EINVAL
 * for a frame without picture, -EOVERFLOW/-E2BIG as glvf_image_validate().
 * `out` is zeroed first. Any thread; never calls GL.
 */
GLVF_API int glvf_ffmpeg_image_from_frame(const struct AVFrame *frame, glvf_image *out,
                                          char *why, size_t why_len);

/*
 * Uploads a decoded AVFrame and returns a new glvf frame with one reference
 * owned by the caller (glvf_frame_unref()). When the frame's picture is a
 * staging region of `ctx` placed there by direct rendering, it is uploaded
 * from that region with glvf_staging_upload() (no CPU copy; the region stays
 * with the AVFrame, which the codec may keep as a reference picture);
 * otherwise with glvf_upload() (the AVFrame may be unreferenced as soon as
 * this returns). Also creates, through glvf_staging_reserve(), the staging
 * regions decoders of this context found missing (see DR below). Borrows
 * `frame` and `params` (may be NULL). GL thread. On failure returns NULL
 * with a negative errno in *err (when non-NULL): -ENOTSUP (format not
 * carried; the reason is logged through ctx and
 * glvf_ffmpeg_image_from_frame() tells it too), -EPERM (the owning
 * context is not current), or what glvf_upload() returns; glvf logs the GL
 * side. Nothing is leaked.
 */
GLVF_API glvf_frame *glvf_ffmpeg_upload(glvf_context *ctx, const struct AVFrame *frame,
                                        const glvf_upload_params *params, int *err);

/* True when the frame's picture lives in a glvf staging region (direct
 * rendering). Borrows `frame`. Any thread. */
GLVF_API bool glvf_ffmpeg_frame_is_direct(const struct AVFrame *frame);

/*
 * FFmpeg prints its own messages (av_log) to stderr unless the process sets
 * an av_log callback. With `enable`, this installs a process-wide av_log
 * callback that sends the messages of FFmpeg contexts owned by glvf decoders
 * to that decoder's log (its callback, or its context's: see
 * glvf_ffmpeg_decoder_params.log; FFmpeg levels mapped to glvf's) and passes
 * every other message on to av_log_default_callback, as before; !enable
 * restores av_log_default_callback. It replaces any callback the host set
 * (av_log_set_callback is global): a host with its own callback should not
 * use this. Any thread.
 */
GLVF_API void glvf_ffmpeg_route_av_log(bool enable);

/* ------------------------------------------------------------------------ */
/* Decoder                                                                  */

typedef struct glvf_ffmpeg_decoder glvf_ffmpeg_decoder;

/* Direct rendering modes. */
typedef enum glvf_ffmpeg_dr {
    /* On when `ctx` is given, its upload strategy is pbo-persistent (where
     * regions are GPU-visible memory; with the other strategies they are
     * plain CPU memory and DR saves nothing), its mapped-read probe found
     * reads from mapped staging memory at least half as fast as from heap
     * memory (glvf_stats.staging_reads_fast: codecs read their reference
     * pictures back, and an uncached mapping makes that many times
     * slower), the codec supports it (AV_CODEC_CAP_DR1) and the format is
     * carried. Why it stays off is logged at info level at open. */
    GLVF_FFMPEG_DR_AUTO = 0,
    GLVF_FFMPEG_DR_OFF = 1,
    /* On with any upload strategy and whatever the probe found (codec and
     * format permitting): for tests, and to measure. */
    GLVF_FFMPEG_DR_FORCE = 2,
} glvf_ffmpeg_dr;

typedef struct glvf_ffmpeg_decoder_params {
    /* File path or URL. Borrowed during open. */
    const char *path;
    /* Protocols the input may use, as libavformat's protocol_whitelist (it
     * also binds whatever a playlist or concat file opens). NULL: local
     * input only, "file,pipe,fd"; pass e.g. "file,http,https,tcp,tls" to
     * play from the network. Borrowed during open. */
    const char *protocols;
    /* For direct rendering only (may be NULL). Borrowed: it must outlive the
     * decoder AND every AVFrame the decoder handed out (DR pictures live in
     * its staging memory). To open on a thread that may outlive the
     * context (an open blocked on a FIFO), leave it NULL, set
     * defer_context and give it with glvf_ffmpeg_decoder_attach_context()
     * once the open has returned. */
    glvf_context *ctx;
    glvf_ffmpeg_dr direct_rendering;
    /* Decoded frames queued ahead of the consumer. 0: 4; at most 64. */
    int queue_frames;
    /* libavcodec threads (frame and slice threading). 0: automatic (one per
     * CPU), 1: none. */
    int threads;
    /* Convert pixel formats glvf does not carry with libswscale (to the
     * closest carried format) instead of failing with -ENOTSUP. Needs the
     * module built with libswscale (else -ENOTSUP at open). Off by default:
     * a conversion costs a CPU pass per frame. */
    bool convert;
    /* Damaged data: by default a packet the decoder rejects is counted
     * (stats.decode_errors), logged as a warning and skipped, and decoding
     * goes on. With stop_on_error the first one ends the stream: next()
     * returns its code after the frames already queued. */
    bool stop_on_error;
    /* Log sink (any thread, thread-safe). Must stay valid until the
     * decoder is destroyed. NULL: the decoder logs through its glvf context
     * (`ctx`, or the one given to glvf_ffmpeg_decoder_attach_context() from
     * then on) with that context's callback and level; without either it
     * is silent. */
    glvf_log_fn log;
    void *log_user;
    glvf_log_level log_level;   /* 0: GLVF_LOG_WARN */
    /* Cancels a slow open: called often while libavformat opens and probes
     * the input (on the opening thread); returning true makes the open
     * fail at the next I/O poll with AVERROR_EXIT ("cancelled"). NULL:
     * never. (An open blocked in the kernel, e.g. on a FIFO no one writes
     * to, returns only when that call does: open on a thread you need not
     * join.) Must be thread-safe and valid until the open returns. */
    bool (*interrupt)(void *user);
    void *interrupt_user;
    /* Network input: a read, write or connect that makes no progress for
     * this long fails with a timeout (libavformat's rw_timeout). 0: no
     * limit (libavformat's default). */
    int io_timeout_ms;
    /* Also decode the default audio stream (av_find_best_stream near the
     * video stream), on a second thread: see glvf_ffmpeg_decoder_next_audio.
     * Off by default. A file without audio, or an audio stream that cannot
     * be decoded (one warning logged), opens as without it:
     * info.has_audio tells. With audio on, the consumer MUST take the audio
     * chunks too: the demux thread routes packets to both queues and waits
     * when either is full (back-pressure), so an audio queue nobody empties
     * stops the video after a few seconds of packets. */
    bool audio;
    /* Resampled chunks queued ahead of the audio consumer. 0: 32; at most
     * 256. (A chunk is one decoded audio frame: ~21 ms of AAC at 48 kHz.) */
    int audio_queue_chunks;
    /* Direct rendering with a context given after the open
     * (glvf_ffmpeg_decoder_attach_context; `ctx` NULL): the open never
     * touches a glvf context, and the pictures decoded before the attach
     * are FFmpeg's own. Ignored with `ctx` or direct_rendering OFF. */
    bool defer_context;
} glvf_ffmpeg_decoder_params;

/* glvf_ffmpeg_decoder_open(glvf_ffmpeg_decoder_params(.path = p), &err) */
#define glvf_ffmpeg_decoder_params(...) (&(const glvf_ffmpeg_decoder_params){__VA_ARGS__})

/*
 * Opens `params->path`, selects the best video stream (cover art is not
 * video), opens its decoder and starts the decoding thread, which begins
 * filling the queue at once. Blocking (file I/O, stream probing). Borrows
 * `params`. Any thread. Returns a decoder owned by the caller
 * (glvf_ffmpeg_decoder_destroy()), or NULL with the code in *err (when
 * non-NULL) and the reason logged: e.g. AVERROR(ENOENT) missing path,
 * AVERROR_INVALIDDATA empty/unrecognised file, AVERROR_STREAM_NOT_FOUND no
 * video stream, AVERROR_DECODER_NOT_FOUND, -ENOTSUP pixel format not carried
 * (without .convert), -EINVAL bad params. Nothing is leaked on failure.
 */
GLVF_API glvf_ffmpeg_decoder *glvf_ffmpeg_decoder_open(const glvf_ffmpeg_decoder_params *params,
                                                      int *err);

/*
 * Takes the next decoded frame, waiting up to `timeout_ms` (0: do not
 * wait; negative: wait indefinitely). On 0 the caller owns *out: a
 * refcounted AVFrame (pts in info.time_base: FFmpeg's best_effort_timestamp
 * when it has one, else the codec's pts; sample aspect ratio filled from the
 * container when the codec has none; a display matrix attached when the
 * frame has none: the last one an earlier frame carried (orientation SEI),
 * else the container's).
 * Give it back with glvf_ffmpeg_decoder_release() so that it is recycled.
 * Returns 0; -EAGAIN on timeout; GLVF_FFMPEG_EOF at end of stream (again on
 * every call, until a seek); a negative code when decoding ended on an
 * error (the message is logged and in glvf_ffmpeg_decoder_last_error);
 * -ECANCELED when the decoder is being destroyed. Frames queued before an
 * error or end are delivered first. *out is set to NULL unless 0 is
 * returned. Any thread (the consumer); concurrent calls are serialised.
 */
GLVF_API int glvf_ffmpeg_decoder_next(glvf_ffmpeg_decoder *dec, struct AVFrame **out,
                                      int timeout_ms);

/*
 * Gives a frame from next() back for reuse (its data references are
 * released; the AVFrame shell is recycled) and clears *frame. `dec` may be
 * NULL, e.g. for a frame still held after the decoder was destroyed: the
 * frame is then simply freed (av_frame_free(), which is also always
 * allowed). Any thread. Accepts NULL and a pointer to NULL.
 */
GLVF_API void glvf_ffmpeg_decoder_release(glvf_ffmpeg_decoder *dec, struct AVFrame **frame);

/*
 * Asks for a seek to `pts_us` (microseconds, on the stream's own timeline:
 * a frame's time is av_rescale_q(pts, time_base, 1/1000000)). Returns at
 * once: frames queued before are discarded, and the first frame next()
 * delivers afterwards is the one nearest pts_us (of two equally near, the
 * later): the first whose time is after pts_us minus half a frame (of the
 * stream's frame rate; with none known, at or after pts_us), so that a target computed from a rounded time lands on the
 * frame meant (the decoder seeks to the preceding key frame and drops the
 * frames before); GLVF_FFMPEG_EOF when there is none. A later seek
 * replaces a pending one. Seeking after end of stream is allowed. Returns
 * 0, or -ECANCELED while the decoder is being destroyed. Seek failures
 * are reported through next(). With audio, the audio queue is emptied too
 * and the first chunk after the seek starts at pts_us. Any thread.
 */
GLVF_API int glvf_ffmpeg_decoder_seek(glvf_ffmpeg_decoder *dec, int64_t pts_us);

typedef struct glvf_ffmpeg_info {
    int width, height;            /* coded picture size as opened */
    glvf_format format;           /* delivered format (after conversion) */
    int av_pix_fmt;               /* the codec's AVPixelFormat */
    const char *pix_fmt_name;     /* its name, e.g. "yuv420p10le" */
    const char *codec_name;       /* e.g. "h264" */
    const char *container_name;   /* e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
    int stream_index;
    glvf_rational time_base;      /* of the AVFrames' pts */
    glvf_rational frame_rate;     /* 0/0 when unknown */
    glvf_rational sar;            /* container/codec sample aspect ratio */
    int rotation;                 /* the stream's display matrix (clockwise) */
    bool flip_h, flip_v;
    int64_t start_time_us;        /* GLVF_FFMPEG_NOPTS when unknown */
    int64_t duration_us;          /* 0 when unknown */
    int64_t frames;               /* from the container; 0 when unknown */
    bool direct_rendering;        /* DR is on for this decoder */
    bool converting;              /* libswscale converts to `format` */
    int threads;                  /* libavcodec threads in use */
    /* audio (params.audio): */
    bool has_audio;               /* the audio stream is decoded */
    /* the file's default audio stream, decoded or not: */
    int audio_stream_index;       /* -1: none */
    const char *audio_codec_name; /* e.g. "aac"; "" when none */
    int audio_channels;           /* of the stream (chunks are stereo) */
    int audio_rate;               /* of the chunks (has_audio; the stream's rate) */
} glvf_ffmpeg_info;

/*
 * Gives a decoder opened with .defer_context (and no .ctx) its glvf context
 * for direct rendering. The checks of params.direct_rendering are made now
 * (the reason DR stays off is logged at info level, as at open); from the
 * next picture libavcodec allocates, pictures go to ctx's staging memory.
 * Returns true when DR is on (info.direct_rendering becomes true), false
 * when it stays off, the decoder was not opened that way or already had
 * its attach. A decoder opened without a log callback logs through `ctx`
 * from the attach on (whether DR went on or not). `ctx` is borrowed as params.ctx is: it must outlive the
 * decoder AND every AVFrame it hands out. Once per decoder; any thread,
 * but info.direct_rendering changes: call it on the thread that reads the
 * info (the consumer), before reading it.
 */
GLVF_API bool glvf_ffmpeg_decoder_attach_context(glvf_ffmpeg_decoder *dec, glvf_context *ctx);

/* Stream information, fixed at open (direct_rendering: or at the attach). Owned by the decoder; valid until it
 * is destroyed. Any thread. */
GLVF_API const glvf_ffmpeg_info *glvf_ffmpeg_decoder_info(const glvf_ffmpeg_decoder *dec);

typedef struct glvf_ffmpeg_stats {
    uint64_t packets_read;        /* packets of the video stream */
    uint64_t frames_decoded;      /* frames out of libavcodec */
    uint64_t frames_delivered;    /* frames handed out by next() */
    uint64_t frames_dropped;      /* decoded, never delivered: before a
                                     seek target or discarded by a seek */
    uint64_t frames_converted;    /* through libswscale */
    uint64_t frames_corrupt;      /* flagged corrupt (concealed) by FFmpeg */
    uint64_t decode_errors;       /* damaged packets / read errors */
    uint64_t dr_frames;           /* decoded frames in staging memory */
    uint64_t dr_fallbacks;        /* pictures FFmpeg allocated itself while
                                     DR was on (no free region, or a
                                     picture DR cannot place) */
    uint64_t seeks;               /* seek requests */
    uint64_t avframes_allocated;  /* AVFrame shells ever allocated: flat in
                                     steady state when frames are released */
    int queue_depth, queue_capacity;
    /* audio (zero without it) */
    uint64_t audio_packets;       /* packets decoded */
    uint64_t audio_chunks_decoded;
    uint64_t audio_chunks_delivered;
    uint64_t audio_chunks_dropped; /* before a seek target or flushed by a seek */
    uint64_t audio_errors;        /* damaged packets skipped (one warning logged) */
    int audio_queue_depth, audio_queue_capacity;
    /* the colour of the last frame delivered: matrix, range, primaries,
     * transfer, HDR metadata (glvf_colour_describe() says what the renderer
     * does with it) */
    glvf_colorimetry color;
    /* Direct rendering's reserve requests (a picture that found no free
     * staging region asks the next glvf_ffmpeg_upload() on the GL thread
     * for one more): requests that could not be recorded (out of memory
     * for the request table; one warning logged), and requests not added
     * because 16 regions of that layout were already asked for and not yet
     * made (one debug line logged). */
    uint64_t dr_requests_lost;
    uint64_t dr_requests_capped;
} glvf_ffmpeg_stats;

/* Copies a consistent snapshot of the counters. Any thread. */
GLVF_API void glvf_ffmpeg_decoder_get_stats(const glvf_ffmpeg_decoder *dec,
                                            glvf_ffmpeg_stats *out);

/* The code and message of the last error the decoder met (0 and "" when
 * none); the message is copied into buf (NUL-terminated when n > 0).
 * Any thread. */
GLVF_API int glvf_ffmpeg_decoder_last_error(const glvf_ffmpeg_decoder *dec, char *buf,
                                            size_t n);

/* ------------------------------------------------------------------------ */
/* Audio (params.audio)                                                     */

/* A chunk of decoded audio: interleaved float32 stereo (L R L R ...) at
 * info.audio_rate. Owned by the decoder; read-only for the consumer between
 * next_audio() and release_audio(). */
typedef struct glvf_ffmpeg_audio_chunk {
    const float *samples;         /* frames * channels floats */
    int frames;                   /* sample frames */
    int channels;                 /* 2 */
    int rate;                     /* samples per second */
    /* the first sample's time, microseconds on the stream's timeline (the
     * same scale as a video frame's av_rescale_q(pts, time_base, 1/1000000)) */
    int64_t pts_us;
    /* the number of seeks requested before this chunk was decoded: a
     * consumer that seeks from another thread drops chunks whose serial is
     * older than its own count (seek() already discards every chunk queued
     * before it; only one taken concurrently with it can be stale) */
    uint64_t serial;
} glvf_ffmpeg_audio_chunk;

/*
 * Takes the next audio chunk, waiting up to `timeout_ms` (0: do not wait;
 * negative: indefinitely). Returns 0 (*out set; give it back with
 * glvf_ffmpeg_decoder_release_audio()), -EAGAIN on timeout,
 * GLVF_FFMPEG_EOF at the end of the audio stream (again on every call, until
 * a seek), -ENOENT when the decoder has no audio (info.has_audio false),
 * -ECANCELED while the decoder is being destroyed. After a seek to T the
 * first chunk starts at T (the samples before it are cut off). Decoding
 * errors in the audio stream skip the damaged packet (stats.audio_errors,
 * one warning); they never end the video. Any thread (the audio consumer,
 * e.g. the sound server's callback thread); concurrent calls are
 * serialised.
 */
GLVF_API int glvf_ffmpeg_decoder_next_audio(glvf_ffmpeg_decoder *dec,
                                            glvf_ffmpeg_audio_chunk **out, int timeout_ms);

/* Gives a chunk back for reuse and clears *chunk. `dec` may be NULL (a chunk
 * held after destroy): the chunk is freed. Any thread. Accepts NULL and a
 * pointer to NULL. */
GLVF_API void glvf_ffmpeg_decoder_release_audio(glvf_ffmpeg_decoder *dec,
                                                glvf_ffmpeg_audio_chunk **chunk);

/*
 * Stops the decoding thread (interrupting a blocking read, waking it when
 * blocked on a full queue, mid-seek or idle at the end), wakes callers
 * blocked in next() (they return -ECANCELED) and waits for them to leave,
 * frees everything the decoder owns and clears *pdec. AVFrames the
 * application still holds stay valid and are its own: free them with
 * av_frame_free() or glvf_ffmpeg_decoder_release(NULL, &f) (with DR, before
 * the glvf context is destroyed). Any thread except the decoder's own
 * (i.e. not from inside its log callback). No call on the decoder may start
 * after this began. Accepts NULL and a pointer to NULL.
 */
GLVF_API void glvf_ffmpeg_decoder_destroy(glvf_ffmpeg_decoder **pdec);

#ifdef __cplusplus
}
#endif

#endif /* GLVF_GLVF_FFMPEG_H */
