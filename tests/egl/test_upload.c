/*
 * Upload correctness on real GL (llvmpipe through EGL surfaceless), run once
 * per context kind (argv[1]: gl33, gl45, gles30):
 *  - every format x sizes x strides (tight, padded, negative) x strategies:
 *    upload, read back, bit-exact
 *  - ring under pressure: many more frames than staging slots, all held,
 *    all read back correct
 *  - budget: a small pool budget forces eviction; the stats agree with GL
 *  - steady state: 1000 upload+release cycles create no GL texture or buffer
 *    and make no heap allocation in glvf
 *  - zero-copy staging regions, from another thread
 *  - pbo-persistent with every ring slot held as a producer's region (many
 *    decoders doing direct rendering into one context: a video wall): an
 *    upload still succeeds, from client memory, with one warning
 */
#include "check.h"
#include "egl_harness.h"
#include "glvf_alloc.h"

#include <epoxy/gl.h>
#include <errno.h>
#include <stdint.h>

#define GLVF_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static harness_ctx *H;
static harness_api API;

/* Deterministic bytes: a hash of (seed, plane, y, x). */
static uint8_t pattern_byte(uint32_t seed, int plane, int y, int x)
{
    uint32_t h = seed * 0x9E3779B1u ^ (uint32_t)plane * 0x85EBCA77u ^ (uint32_t)y * 0xC2B2AE3Du ^
                 (uint32_t)x * 0x27D4EB2Fu;
    h ^= h >> 15;
    h *= 0x2C1B3C6Du;
    h ^= h >> 12;
    return (uint8_t)h;
}

typedef enum { STRIDE_TIGHT, STRIDE_PADDED, STRIDE_NEGATIVE, STRIDE_ODD } stride_kind;
static const char *stride_names[] = { "tight", "padded", "negative", "odd" };

/* A CPU image with its own memory. */
typedef struct test_image {
    glvf_image img;
    uint8_t *mem[GLVF_MAX_PLANES];
    glvf_plane_layout layout[GLVF_MAX_PLANES];
} test_image;

static bool image_make(test_image *t, glvf_context *ctx, glvf_format f, int w, int h,
                       stride_kind sk, uint32_t seed)
{
    memset(t, 0, sizeof *t);
    t->img.format = f;
    t->img.width = w;
    t->img.height = h;
    t->img.pts = seed;
    for (int p = 0; p < glvf_format_planes(f); p++) {
        glvf_plane_layout *l = &t->layout[p];
        if (!glvf_plane_layout_get(ctx, f, w, h, p, l))
            return false;
        size_t stride = (size_t)l->row_bytes;
        if (sk == STRIDE_PADDED || sk == STRIDE_NEGATIVE)
            stride = (stride + 64 + 63) / 64 * 64;
        else if (sk == STRIDE_ODD)
            stride += 1 + (l->bytes_per_texel > 1); /* not a multiple of the texel */
        t->mem[p] = malloc(stride * (size_t)l->height);
        memset(t->mem[p], 0xEE, stride * (size_t)l->height);
        for (int y = 0; y < l->height; y++) {
            uint8_t *row = t->mem[p] + (size_t)y * stride;
            if (sk == STRIDE_NEGATIVE)
                row = t->mem[p] + (size_t)(l->height - 1 - y) * stride;
            for (int x = 0; x < l->row_bytes; x++)
                row[x] = pattern_byte(seed, p, y, x);
        }
        if (sk == STRIDE_NEGATIVE) {
            t->img.planes[p].data = t->mem[p] + (size_t)(l->height - 1) * stride;
            t->img.planes[p].stride = -(ptrdiff_t)stride;
        } else {
            t->img.planes[p].data = t->mem[p];
            t->img.planes[p].stride = (ptrdiff_t)stride;
        }
    }
    return true;
}

static void image_free(test_image *t)
{
    for (int p = 0; p < GLVF_MAX_PLANES; p++)
        free(t->mem[p]);
}

/* Reads every plane of `frame` back and compares with the pattern. Returns
 * the number of mismatching planes. */
static int frame_verify(glvf_frame *frame, uint32_t seed, const char *what)
{
    int bad = 0;
    for (int p = 0; p < glvf_frame_planes(frame); p++) {
        glvf_frame_plane fp;
        glvf_frame_get_plane(frame, p, &fp);
        glvf_plane_layout l;
        glvf_plane_layout_get(glvf_frame_context(frame), glvf_frame_format(frame),
                              glvf_frame_width(frame), glvf_frame_height(frame), p, &l);
        size_t n = (size_t)l.row_bytes * (size_t)l.height;
        uint8_t *out = malloc(n);
        memset(out, 0x5A, n);
        if (!harness_read_plane(H, fp.texture, &l, out)) {
            printf("#   %s plane %d: readback failed\n", what, p);
            bad++;
            free(out);
            continue;
        }
        for (int y = 0; y < l.height; y++) {
            for (int x = 0; x < l.row_bytes; x++) {
                uint8_t want = pattern_byte(seed, p, y, x);
                uint8_t got = out[(size_t)y * (size_t)l.row_bytes + (size_t)x];
                if (got != want) {
                    printf("#   %s plane %d: byte (%d,%d) = %u, expected %u\n", what, p, x, y,
                           got, want);
                    bad++;
                    goto next;
                }
            }
        }
    next:
        free(out);
    }
    return bad;
}

static glvf_context *make_ctx(glvf_upload_strategy s, size_t pool_budget, size_t staging_budget)
{
    return glvf_context_create(glvf_context_params(
            .get_proc_address = harness_get_proc, .get_proc_user = H,
            .is_current = harness_is_current, .is_current_user = H, .log = check_log,
            .upload = s, .pool_budget_bytes = pool_budget,
            .staging_budget_bytes = staging_budget, .flags = GLVF_CONTEXT_IGNORE_ENV));
}

/* every strategy of the enum (a new one is tested without editing this
 * file), auto last; filled by main() */
static glvf_upload_strategy strategies[GLVF_UPLOAD_STRATEGY_COUNT];

static void test_all_formats(void *arg)
{
    (void)arg;
    static const int sizes[][2] = { { 1, 1 }, { 2, 2 }, { 3, 5 }, { 641, 479 }, { 1920, 1080 },
                                    { 1921, 1081 } };
    int uploads = 0;
    for (size_t si = 0; si < GLVF_ARRAY_LEN(strategies); si++) {
        glvf_context *ctx = make_ctx(strategies[si], 0, 0);
        REQUIRE(ctx, "context for %s", glvf_upload_strategy_name(strategies[si]));
        printf("# strategy %s -> %s\n", glvf_upload_strategy_name(strategies[si]),
               glvf_upload_strategy_name(glvf_context_get_upload_strategy(ctx)));
        glvf_stats ms;
        glvf_context_get_stats(ctx, &ms);
        CHECK(ms.staging_mapped ==
                      (glvf_context_get_upload_strategy(ctx) == GLVF_UPLOAD_PBO_PERSISTENT),
              "staging_mapped says whether regions are mapped (%llu)",
              (unsigned long long)ms.staging_mapped);
        for (int f = 1; f < GLVF_FORMAT_COUNT; f++) {
            for (size_t z = 0; z < GLVF_ARRAY_LEN(sizes); z++) {
                for (int sk = 0; sk < 4; sk++) {
                    /* the large sizes with tight and negative strides only,
                     * to keep the run short; every stride kind is covered
                     * at the other sizes */
                    if (sizes[z][0] >= 1920 && (sk == STRIDE_PADDED || sk == STRIDE_ODD))
                        continue;
                    uint32_t seed = (uint32_t)(f * 1000 + (int)z * 10 + sk + (int)si * 77);
                    test_image t;
                    char what[128];
                    snprintf(what, sizeof what, "%s %s %dx%d %s stride",
                             glvf_upload_strategy_name(strategies[si]),
                             glvf_format_name((glvf_format)f), sizes[z][0], sizes[z][1],
                             stride_names[sk]);
                    CHECK(image_make(&t, ctx, (glvf_format)f, sizes[z][0], sizes[z][1],
                                     (stride_kind)sk, seed),
                          "%s: layout", what);
                    int err = 0;
                    glvf_frame *fr = glvf_upload(ctx, &t.img, NULL, &err);
                    CHECK(fr, "%s: upload failed (%d)", what, err);
                    if (fr) {
                        CHECK(frame_verify(fr, seed, what) == 0, "%s: readback differs", what);
                        CHECK(glvf_frame_pts(fr) == seed, "%s: pts", what);
                        uploads++;
                    }
                    glvf_frame_unref(&fr);
                    image_free(&t);
                }
            }
            glvf_context_collect(ctx);
        }
        glvf_stats st;
        glvf_context_get_stats(ctx, &st);
        CHECK(st.frames_live == 0, "frames_live %llu", (unsigned long long)st.frames_live);
        CHECK(glvf_context_destroy(&ctx), "destroy");
    }
    printf("# %d uploads verified bit-exact\n", uploads);
    CHECK(check_log_count(GLVF_LOG_ERROR, NULL) == 0, "errors were logged");
}

/* Many more frames than staging slots, all held at once: a slot reused
 * before its fence signalled would corrupt an earlier frame. */
static void test_ring_pressure(void *arg)
{
    (void)arg;
    enum { N = 48 };
    for (size_t si = 0; si < 3; si++) {
        /* staging budget: room for ~3 slots of a 640x360 yuv420p frame */
        glvf_context *ctx = make_ctx(strategies[si], 0, 3 * 400 * 1024);
        REQUIRE(ctx, "context");
        glvf_frame *frames[N] = { 0 };
        for (int i = 0; i < N; i++) {
            test_image t;
            glvf_format f = i % 2 ? GLVF_FORMAT_NV12 : GLVF_FORMAT_YUV420P;
            image_make(&t, ctx, f, 640, 360, STRIDE_PADDED, 5000u + (unsigned)i);
            frames[i] = glvf_upload(ctx, &t.img, NULL, NULL);
            CHECK(frames[i], "upload %d", i);
            image_free(&t); /* the source memory is gone: only GL has the data */
        }
        int bad = 0;
        for (int i = 0; i < N; i++) {
            char what[64];
            snprintf(what, sizeof what, "%s frame %d", glvf_upload_strategy_name(strategies[si]),
                     i);
            if (frames[i])
                bad += frame_verify(frames[i], 5000u + (unsigned)i, what);
            glvf_frame_unref(&frames[i]);
        }
        CHECK(bad == 0, "%d planes corrupted", bad);
        glvf_stats st;
        glvf_context_get_stats(ctx, &st);
        printf("# %s: %d frames through %llu staging slot(s) (%llu bytes), %llu fence waits\n",
               glvf_upload_strategy_name(strategies[si]), N,
               (unsigned long long)st.staging_slots, (unsigned long long)st.staging_bytes,
               (unsigned long long)st.staging_waits);
        if (strategies[si] == GLVF_UPLOAD_PBO_PERSISTENT &&
            glvf_context_get_upload_strategy(ctx) == GLVF_UPLOAD_PBO_PERSISTENT)
            CHECK(st.staging_slots <= 3 && st.staging_slots >= 1, "slots %llu",
                  (unsigned long long)st.staging_slots);
        CHECK(glvf_context_destroy(&ctx), "destroy");
    }
}

static void test_budget(void *arg)
{
    (void)arg;
    /* 512 KiB: one 640x360 yuv420p frame (~345 KB of textures) fits, the
     * four sizes together (~840 KB) do not */
    size_t budget = 512 << 10;
    glvf_context *ctx = make_ctx(GLVF_UPLOAD_CLIENT, budget, 0);
    REQUIRE(ctx, "context");
    static const int sizes[][2] = { { 640, 360 }, { 320, 240 }, { 600, 400 }, { 160, 90 } };
    for (int round = 0; round < 3; round++) {
        for (size_t z = 0; z < GLVF_ARRAY_LEN(sizes); z++) {
            test_image t;
            image_make(&t, ctx, GLVF_FORMAT_YUV420P, sizes[z][0], sizes[z][1], STRIDE_TIGHT, 1);
            glvf_frame *f = glvf_upload(ctx, &t.img, NULL, NULL);
            CHECK(f, "upload");
            glvf_frame_unref(&f);
            image_free(&t);
        }
    }
    glvf_context_collect(ctx);
    glvf_stats st;
    glvf_context_get_stats(ctx, &st);
    const glvf_object_stats *tex = &st.objects[GLVF_OBJECT_TEXTURE];
    printf("# budget %zu: pool %llu bytes (%llu cached textures), hits %llu misses %llu "
           "evictions %llu; textures live %llu created %llu deleted %llu\n",
           budget, (unsigned long long)st.pool_bytes, (unsigned long long)st.pool_cached_textures,
           (unsigned long long)st.pool_hits, (unsigned long long)st.pool_misses,
           (unsigned long long)st.pool_evictions, (unsigned long long)tex->live,
           (unsigned long long)tex->created, (unsigned long long)tex->deleted);
    CHECK(st.pool_evictions > 0, "a small budget must evict");
    CHECK(st.pool_bytes <= budget, "pool over budget");
    CHECK(tex->live == st.pool_cached_textures, "live textures = cached textures (none in use)");
    CHECK(tex->live_bytes == st.pool_bytes, "tracker bytes %llu vs pool bytes %llu",
          (unsigned long long)tex->live_bytes, (unsigned long long)st.pool_bytes);
    CHECK(tex->created - tex->deleted == tex->live, "created - deleted = live");
    CHECK(tex->deleted == st.pool_evictions, "every eviction deleted (after collect)");
    CHECK(st.deferred_pending == 0, "queue drained");
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

static void test_steady_state(void *arg)
{
    (void)arg;
    for (size_t si = 0; si < GLVF_ARRAY_LEN(strategies); si++) {
        glvf_context *ctx = make_ctx(strategies[si], 0, 0);
        REQUIRE(ctx, "context");
        test_image t;
        image_make(&t, ctx, GLVF_FORMAT_YUV420P, 1280, 720, STRIDE_PADDED, 9);
        /* warm-up: two frames in flight, like a renderer keeping the
         * previous frame while uploading the next */
        glvf_frame *prev = NULL;
        for (int i = 0; i < 8; i++) {
            glvf_frame *f = glvf_upload(ctx, &t.img, NULL, NULL);
            glvf_frame_unref(&prev);
            prev = f;
            glvf_context_collect(ctx);
        }
        glvf_stats before, after;
        glvf_context_get_stats(ctx, &before);
        uint64_t allocs = glvf_alloc_count();
        int failures = 0;
        for (int i = 0; i < 1000; i++) {
            glvf_frame *f = glvf_upload(ctx, &t.img, NULL, NULL);
            failures += !f;
            glvf_frame_unref(&prev);
            prev = f;
            glvf_context_collect(ctx);
        }
        allocs = glvf_alloc_count() - allocs;
        glvf_context_get_stats(ctx, &after);
        glvf_frame_unref(&prev);
        const char *name = glvf_upload_strategy_name(glvf_context_get_upload_strategy(ctx));
        uint64_t tex = after.objects[GLVF_OBJECT_TEXTURE].created -
                       before.objects[GLVF_OBJECT_TEXTURE].created;
        uint64_t buf = after.objects[GLVF_OBJECT_BUFFER].created -
                       before.objects[GLVF_OBJECT_BUFFER].created;
        uint64_t sync_live = after.objects[GLVF_OBJECT_SYNC].live;
        printf("# steady state %s: 1000 cycles: %llu textures, %llu buffers created, %llu "
               "glvf heap allocations, %llu fences live at the end\n",
               name, (unsigned long long)tex, (unsigned long long)buf,
               (unsigned long long)allocs, (unsigned long long)sync_live);
        CHECK(failures == 0, "%d uploads failed", failures);
        CHECK(tex == 0 && buf == 0, "%s: GL objects created in steady state", name);
        CHECK(allocs == 0, "%s: %llu heap allocations in steady state", name,
              (unsigned long long)allocs);
        CHECK(sync_live <= 64, "fences are retired");
        image_free(&t);
        CHECK(glvf_context_destroy(&ctx), "destroy");
    }
}

static uint8_t pixels_outside[4096];

typedef struct producer_arg {
    glvf_context *ctx;
    glvf_staging *st;
    int err;
    uint32_t seed;
} producer_arg;

static void *producer(void *p)
{
    producer_arg *a = p;
    a->st = glvf_staging_acquire(a->ctx, GLVF_FORMAT_NV12, 321, 241, 0, &a->err);
    if (!a->st)
        return NULL;
    glvf_image *img = glvf_staging_image(a->st);
    for (int pl = 0; pl < 2; pl++) {
        glvf_plane_layout l;
        glvf_plane_layout_get(a->ctx, img->format, img->width, img->height, pl, &l);
        for (int y = 0; y < l.height; y++) {
            uint8_t *row = (uint8_t *)img->planes[pl].data + (ptrdiff_t)y * img->planes[pl].stride;
            for (int x = 0; x < l.row_bytes; x++)
                row[x] = pattern_byte(a->seed, pl, y, x);
        }
    }
    img->pts = a->seed;
    return NULL;
}

static void test_zero_copy(void *arg)
{
    (void)arg;
    for (size_t si = 0; si < 3; si++) {
        glvf_context *ctx = make_ctx(strategies[si], 0, 0);
        REQUIRE(ctx, "context");
        bool gpu = glvf_context_get_upload_strategy(ctx) == GLVF_UPLOAD_PBO_PERSISTENT;
        CHECK(glvf_staging_reserve(ctx, GLVF_FORMAT_NV12, 321, 241, 0, 2) == 0, "reserve");
        for (int i = 0; i < 6; i++) {
            producer_arg a = { .ctx = ctx, .seed = 777u + (unsigned)i };
            pthread_t th;
            pthread_create(&th, NULL, producer, &a);
            pthread_join(th, NULL);
            CHECK(a.st, "acquire on a producer thread (%d)", a.err);
            if (!a.st)
                continue;
            int err = 0;
            glvf_frame *f = glvf_staging_submit(ctx, &a.st, NULL, &err);
            CHECK(f && !a.st, "submit (%d)", err);
            if (f) {
                CHECK(glvf_frame_zero_copy(f) == gpu, "zero copy flag");
                CHECK(glvf_frame_pts(f) == 777 + i, "pts");
                CHECK(frame_verify(f, 777u + (unsigned)i, "staging") == 0, "readback");
            }
            glvf_frame_unref(&f);
        }
        glvf_stats st;
        glvf_context_get_stats(ctx, &st);
        printf("# staging %s: zero-copy submits %llu, slots %llu, live %llu\n",
               glvf_upload_strategy_name(glvf_context_get_upload_strategy(ctx)),
               (unsigned long long)st.zero_copy_submits, (unsigned long long)st.staging_slots,
               (unsigned long long)st.staging_live);
        CHECK(st.staging_live == 0, "no region left");
        CHECK(gpu ? st.zero_copy_submits == 6 : st.zero_copy_submits == 0, "zero-copy count");
        /* a cancelled region goes back to the ring */
        glvf_staging *s = glvf_staging_acquire(ctx, GLVF_FORMAT_NV12, 321, 241, 0, NULL);
        CHECK(s, "acquire again");
        glvf_staging_release(&s);
        CHECK(!s, "cancel clears the pointer");
        CHECK(glvf_context_destroy(&ctx), "destroy");
    }
}

/* glvf_staging_upload keeps the region (a codec's reference picture);
 * producers may shrink the image; growing it or pointing outside the region
 * is refused. */
static void test_staging_edits(void *arg)
{
    (void)arg;
    for (size_t si = 0; si < 3; si++) {
        glvf_context *ctx = make_ctx(strategies[si], 0, 0);
        REQUIRE(ctx, "context");
        const char *name = glvf_upload_strategy_name(glvf_context_get_upload_strategy(ctx));
        CHECK(glvf_staging_reserve(ctx, GLVF_FORMAT_NV12, 321, 241, 0, 1) == 0, "reserve");
        producer_arg a = { .ctx = ctx, .seed = 4242 };
        producer(&a);
        REQUIRE(a.st, "%s: acquire", name);
        int err = 0;
        glvf_frame *f1 = glvf_staging_upload(ctx, a.st, NULL, &err);
        glvf_frame *f2 = glvf_staging_upload(ctx, a.st, NULL, &err);
        CHECK(f1 && f2, "%s: a kept region uploads twice (%d)", name, err);
        if (f1 && f2) {
            CHECK(frame_verify(f1, 4242, "kept 1") == 0 && frame_verify(f2, 4242, "kept 2") == 0,
                  "%s: both frames correct", name);
        }
        glvf_stats st;
        glvf_context_get_stats(ctx, &st);
        CHECK(st.staging_live == 1, "%s: the region is still held", name);
        glvf_staging_release(&a.st);
        CHECK(!a.st, "release clears the pointer");
        glvf_frame_unref(&f1);
        glvf_frame_unref(&f2);
        glvf_context_collect(ctx); /* retires the slot's fence */

        /* shrink: a codec allocated 321x241, the picture is 300x200 */
        producer(&a);
        REQUIRE(a.st, "%s: acquire after release", name);
        glvf_image *img = glvf_staging_image(a.st);
        img->width = 300;
        img->height = 200;
        glvf_frame *f = glvf_staging_submit(ctx, &a.st, NULL, &err);
        CHECK(f && !a.st, "%s: shrunk submit (%d)", name, err);
        if (f) {
            CHECK(glvf_frame_width(f) == 300 && glvf_frame_height(f) == 200, "size");
            CHECK(frame_verify(f, 4242, "shrunk") == 0, "%s: shrunk content", name);
        }
        glvf_frame_unref(&f);

        /* grow: refused, the region is taken back */
        glvf_context_collect(ctx);
        producer(&a);
        REQUIRE(a.st, "acquire");
        glvf_staging_image(a.st)->width = 400;
        check_log_clear();
        f = glvf_staging_submit(ctx, &a.st, NULL, &err);
        CHECK(!f && err == -EINVAL && !a.st, "%s: grown image refused (%d)", name, err);
        CHECK(check_log_count(GLVF_LOG_ERROR, "can only shrink") == 1, "logged");

        /* a plane pointer outside the region */
        glvf_context_collect(ctx);
        producer(&a);
        REQUIRE(a.st, "acquire");
        glvf_staging_image(a.st)->planes[1].data = pixels_outside;
        check_log_clear();
        f = glvf_staging_submit(ctx, &a.st, NULL, &err);
        CHECK(!f && err == -EINVAL && !a.st, "%s: pointer outside refused (%d)", name, err);
        CHECK(check_log_count(GLVF_LOG_ERROR, "not inside the region") == 1, "logged");
        glvf_context_get_stats(ctx, &st);
        CHECK(st.staging_live == 0 && st.frames_live == 0, "nothing held");
        check_log_clear();
        CHECK(glvf_context_destroy(&ctx), "destroy");
    }
}

/* 64 regions held (the ring's every slot), then uploads of another size:
 * they cannot have a staging slot, and go through client memory instead of
 * failing with -ENOSPC. */
static void test_ring_held(void *arg)
{
    (void)arg;
    glvf_context *ctx = make_ctx(GLVF_UPLOAD_PBO_PERSISTENT, 0, 0);
    REQUIRE(ctx, "context");
    if (glvf_context_get_upload_strategy(ctx) != GLVF_UPLOAD_PBO_PERSISTENT) {
        printf("# skipped: no pbo-persistent on this context\n");
        glvf_context_destroy(&ctx);
        return;
    }
    enum { HELD = 64 };
    glvf_staging *held[HELD] = { 0 };
    int n = 0;
    for (int round = 0; round < 4 && n < HELD; round++) {
        glvf_staging_reserve(ctx, GLVF_FORMAT_NV12, 64, 32, 0, HELD - n);
        while (n < HELD && (held[n] = glvf_staging_acquire(ctx, GLVF_FORMAT_NV12, 64, 32, 0,
                                                           NULL)))
            n++;
    }
    glvf_stats st;
    glvf_context_get_stats(ctx, &st);
    CHECK(n >= 60 && st.staging_live == (uint64_t)n, "%d regions held (%llu live)", n,
          (unsigned long long)st.staging_live);
    check_log_clear();
    for (int i = 0; i < 3; i++) {
        test_image t;
        REQUIRE(image_make(&t, ctx, GLVF_FORMAT_YUV420P, 160, 90, STRIDE_PADDED, 77 + i),
                "image");
        int err = 0;
        glvf_frame *f = glvf_upload(ctx, &t.img, NULL, &err);
        CHECK(f, "upload %d with the ring's slots all held succeeds (%d)", i, err);
        if (f)
            CHECK(frame_verify(f, 77 + i, "ring held") == 0, "upload %d correct", i);
        glvf_frame_unref(&f);
        image_free(&t);
        glvf_context_collect(ctx);
    }
    CHECK(check_log_count(GLVF_LOG_ERROR, "") == 0, "no error logged");
    CHECK(check_log_count(GLVF_LOG_WARN, "from client memory") == 1,
          "one warning says uploads go through client memory");
    for (int i = 0; i < n; i++)
        glvf_staging_release(&held[i]);
    /* with the regions back, the ring serves uploads again */
    test_image t;
    REQUIRE(image_make(&t, ctx, GLVF_FORMAT_YUV420P, 160, 90, STRIDE_TIGHT, 99), "image");
    glvf_context_collect(ctx);
    int err = 0;
    glvf_frame *f = glvf_upload(ctx, &t.img, NULL, &err);
    CHECK(f && frame_verify(f, 99, "ring free") == 0, "upload after release (%d)", err);
    glvf_frame_unref(&f);
    image_free(&t);
    check_log_clear();
    CHECK(glvf_context_destroy(&ctx), "destroy");
}

int main(int argc, char **argv)
{
    for (int k = 1; k < GLVF_UPLOAD_STRATEGY_COUNT; k++)
        strategies[k - 1] = (glvf_upload_strategy)k;
    strategies[GLVF_UPLOAD_STRATEGY_COUNT - 1] = GLVF_UPLOAD_AUTO;
    check_log_echo = true;
    int status;
    H = harness_test_start(argc, argv, &API, &status);
    if (!H)
        return status;
    RUN(test_all_formats, NULL);
    RUN(test_ring_pressure, NULL);
    RUN(test_budget, NULL);
    RUN(test_steady_state, NULL);
    RUN(test_zero_copy, NULL);
    RUN(test_staging_edits, NULL);
    RUN(test_ring_held, NULL);
    harness_ctx_destroy(H);
    check_log_clear();
    return check_finish();
}
