/* The mmap backend: the file is mapped (MAP_SHARED by default) and operations copy
 * between the mapping and a user buffer, or fold the mapping in place (access
 * "checksum"). Flushes are msync() over the given page-aligned range, or the file calls
 * for fsync, fdatasync and sync_file_range.
 *
 * With "window", each worker maps a sliding window of the file instead of the whole of
 * it and remaps when an operation leaves it; the remaps are counted and timed. */
#include "backend.h"
#include "log.h"
#include "loop.h"
#include "units.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 */
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define MAP_KIND_LIST(X) X(MAP_KIND_SHARED, "shared") X(MAP_KIND_PRIVATE, "private")
#define POPULATE_LIST(X)                                                                           \
    X(POPULATE_NONE, "none")                                                                       \
    X(POPULATE_MAP_POPULATE, "map_populate")                                                       \
    X(POPULATE_MADV_READ, "madv_populate_read")                                                    \
    X(POPULATE_MADV_WRITE, "madv_populate_write")
#define MADVISE_LIST(X)                                                                            \
    X(MADVISE_NORMAL, "normal")                                                                    \
    X(MADVISE_RANDOM, "random")                                                                    \
    X(MADVISE_SEQUENTIAL, "sequential")                                                            \
    X(MADVISE_WILLNEED, "willneed")                                                                \
    X(MADVISE_HUGEPAGE, "hugepage")                                                                \
    X(MADVISE_NOHUGEPAGE, "nohugepage")

enum map_kind { MAP_KIND_LIST(WORKLOAD_ENUM_VALUE) };
enum populate { POPULATE_LIST(WORKLOAD_ENUM_VALUE) };
enum madvise_hint { MADVISE_LIST(WORKLOAD_ENUM_VALUE) };

static const char *const map_names[] = {MAP_KIND_LIST(WORKLOAD_ENUM_NAME) NULL};
static const char *const populate_names[] = {POPULATE_LIST(WORKLOAD_ENUM_NAME) NULL};
static const char *const madvise_names[] = {MADVISE_LIST(WORKLOAD_ENUM_NAME) NULL};

/* The keys only this backend has (its slot of workload.options). */
struct mmap_options {
    enum map_kind map;
    enum populate populate;
    enum madvise_hint madvise;
    uint64_t window_bytes; /* sliding mapping window; 0 = map the whole file */
};
BACKEND_OPTIONS_FIT(struct mmap_options);

#define O(field) offsetof(struct mmap_options, field)
static const struct param_def mmap_params[] = {
    {.name = "map",
     .column = "map",
     .type = PARAM_ENUM,
     .offset = O(map),
     .enum_names = map_names,
     .default_text = "shared",
     .group = "Backends",
     .doc = "`MAP_SHARED`, or `MAP_PRIVATE`, whose writes are copy-on-write and never reach the "
            "file"},
    {.name = "populate",
     .column = "populate",
     .type = PARAM_ENUM,
     .offset = O(populate),
     .enum_names = populate_names,
     .default_text = "none",
     .group = "Backends",
     .doc = "prefault the mapping during set-up (`MAP_POPULATE`, or `MADV_POPULATE_READ` and "
            "`_WRITE` of Linux 5.14, touching every page on older kernels)"},
    {.name = "madvise",
     .column = "madvise",
     .type = PARAM_ENUM,
     .offset = O(madvise),
     .enum_names = madvise_names,
     .default_text = "normal",
     .group = "Backends",
     .doc = "the madvise(2) hint for the mapping"},
    {.name = "window",
     .column = "window_bytes",
     .type = PARAM_SIZE,
     .offset = O(window_bytes),
     .min = 0,
     .max = 9.2e18,
     .multiple_of = 4096,
     .default_text = "0",
     .group = "Backends",
     .doc = "map a sliding window of this size instead of the whole file (0); the remaps are "
            "counted and timed; a multiple of the page size, at least `block_size` plus one "
            "page, and not with `sync: ms_sync` or `ms_async`"},
};
#undef O

struct mmap_state {
    int fd;
    unsigned char *map;     /* whole-file mapping; NULL with a window */
    uint64_t map_len_bytes; /* file size (the mapping covers it rounded up to pages) */
    uint64_t window_bytes;  /* 0 = whole file */
    uint64_t page_bytes;
    int prot;
    int flags;
    const struct workload *w;
    const struct mmap_options *opt;
    char *note; /* the phase's note buffer, for window populate fallbacks */
};

struct mmap_window {
    unsigned char *base;
    uint64_t start_bytes;
    uint64_t len_bytes;
};

static int madvise_value(enum madvise_hint hint)
{
    switch (hint) {
    case MADVISE_RANDOM:
        return MADV_RANDOM;
    case MADVISE_SEQUENTIAL:
        return MADV_SEQUENTIAL;
    case MADVISE_WILLNEED:
        return MADV_WILLNEED;
    case MADVISE_HUGEPAGE:
        return MADV_HUGEPAGE;
    case MADVISE_NOHUGEPAGE:
        return MADV_NOHUGEPAGE;
    case MADVISE_NORMAL:
    default:
        return MADV_NORMAL;
    }
}

static void append_note(char *note, const char *text)
{
    if (!note || strstr(note, text))
        return;
    size_t used = strlen(note);
    snprintf(note + used, BACKEND_NOTE_MAX - used, "%s%s", used ? "; " : "", text);
}

/* Touches every page of [p, p + len): the populate fallback for kernels before 5.14. */
static void touch_pages(unsigned char *p, uint64_t len, uint64_t page, bool write)
{
    for (uint64_t off = 0; off < len; off += page) {
        volatile unsigned char *v = p + off;
        unsigned char c = *v;
        if (write)
            *v = c;
    }
}

/* Applies the madvise hint and MADV_POPULATE_* to a fresh mapping. */
static int advise_mapping(struct mmap_state *st, unsigned char *p, uint64_t len, char *note)
{
    const struct mmap_options *o = st->opt;
    if (o->madvise != MADVISE_NORMAL && madvise(p, len, madvise_value(o->madvise)) < 0) {
        int e = errno;
        log_error("madvise(data file, %llu bytes, MADV_%s): %s", (unsigned long long)len,
                  madvise_names[o->madvise], strerror(e));
        return -e;
    }
    if (o->populate == POPULATE_MADV_READ || o->populate == POPULATE_MADV_WRITE) {
        bool write = o->populate == POPULATE_MADV_WRITE;
        if (write && !(st->prot & PROT_WRITE)) {
            /* A read-only workload: prefaulting for write would need a writable mapping
             * and dirty every page; read faults are what this workload takes. */
            write = false;
            append_note(note, "madv_populate_write on a read-only workload populated for read");
        }
        if (madvise(p, len, write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ) < 0) {
            int e = errno;
            if (e != EINVAL) {
                log_error("madvise(data file, %llu bytes, MADV_POPULATE_%s): %s",
                          (unsigned long long)len, write ? "WRITE" : "READ", strerror(e));
                return -e;
            }
            append_note(note, "MADV_POPULATE_* not supported by this kernel (5.14+): "
                              "touched every page instead");
            touch_pages(p, len, st->page_bytes, write);
        }
    }
    return 0;
}

static int mmap_open(const struct workload *w, int fd, const char *label, void **state, char *note)
{
    struct mmap_state *st = calloc(1, sizeof(*st));
    if (!st)
        return -ENOMEM;
    int ret = 0;
    const struct mmap_options *o = workload_options(w, (unsigned)backend_index(&backend_mmap));
    st->w = w;
    st->opt = o;
    /* Window mappings are made by the workers; only one of them may write the note. */
    st->note = w->threads == 1 ? note : NULL;
    st->page_bytes = (uint64_t)sysconf(_SC_PAGESIZE);
    st->map_len_bytes = w->file_size_bytes;
    st->window_bytes = o->window_bytes >= w->file_size_bytes ? 0 : o->window_bytes;
    bool writes = workload_writes(w);
    bool shared = o->map == MAP_KIND_SHARED;
    st->prot = PROT_READ | (writes ? PROT_WRITE : 0);
    st->flags = (shared ? MAP_SHARED : MAP_PRIVATE) |
                (o->populate == POPULATE_MAP_POPULATE ? MAP_POPULATE : 0);
    /* A private mapping never writes to the file, so the file need not be writable. */
    st->fd = backend_reopen(fd, label, writes && shared ? O_RDWR : O_RDONLY);
    if (st->fd < 0) {
        ret = st->fd;
        goto out;
    }
    if (o->map == MAP_KIND_PRIVATE && writes)
        append_note(note, "MAP_PRIVATE: writes are copy-on-write and never reach the file");
    if (o->window_bytes && !st->window_bytes)
        append_note(note, "window not smaller than the file: whole file mapped");
    if (st->window_bytes == 0) {
        void *p = mmap(NULL, st->map_len_bytes, st->prot, st->flags, st->fd, 0);
        if (p == MAP_FAILED) {
            ret = -errno;
            log_error("mmap(%s, %llu bytes): %s", label, (unsigned long long)st->map_len_bytes,
                      strerror(-ret));
            goto out;
        }
        st->map = p;
        ret = advise_mapping(st, st->map, st->map_len_bytes, note);
    }
out:
    if (ret < 0) {
        if (st->map)
            munmap(st->map, st->map_len_bytes);
        if (st->fd >= 0)
            close(st->fd);
        free(st);
        return ret;
    }
    *state = st;
    return 0;
}

static int mmap_worker_open(void *state, struct worker_io *io)
{
    struct mmap_state *st = state;
    if (st->window_bytes == 0)
        return 0;
    struct mmap_window *win = calloc(1, sizeof(*win));
    if (!win)
        return -ENOMEM;
    io->backend_worker = win;
    return 0;
}

static void mmap_worker_close(void *state, struct worker_io *io)
{
    (void)state;
    struct mmap_window *win = io->backend_worker;
    if (!win)
        return;
    if (win->base)
        munmap(win->base, win->len_bytes);
    free(win);
    io->backend_worker = NULL;
}

/* Maps the window that holds [offset, offset + len); cold path of window mode. */
static __attribute__((noinline)) int remap_window(struct mmap_state *st, struct worker_io *io,
                                                  uint64_t offset, uint64_t len)
{
    struct mmap_window *win = io->backend_worker;
    uint64_t t0 = timer_now();
    if (win->base) {
        munmap(win->base, win->len_bytes);
        io->syscalls++;
        win->base = NULL;
    }
    uint64_t start = offset / st->page_bytes * st->page_bytes;
    if (start + st->window_bytes > st->map_len_bytes) {
        uint64_t last =
            st->map_len_bytes > st->window_bytes ? st->map_len_bytes - st->window_bytes : 0;
        start = last / st->page_bytes * st->page_bytes;
    }
    uint64_t wlen = st->window_bytes;
    if (start + wlen > st->map_len_bytes)
        wlen = st->map_len_bytes - start;
    (void)len;
    void *p = mmap(NULL, wlen, st->prot, st->flags, st->fd, (off_t)start);
    io->syscalls +=
        1 + (st->opt->madvise != MADVISE_NORMAL) +
        (st->opt->populate == POPULATE_MADV_READ || st->opt->populate == POPULATE_MADV_WRITE);
    if (p == MAP_FAILED) {
        int e = errno;
        io->failed_call = "mmap(window)";
        return -e;
    }
    win->base = p;
    win->start_bytes = start;
    win->len_bytes = wlen;
    int ret = advise_mapping(st, p, wlen, st->note);
    if (ret < 0) {
        io->failed_call = "madvise(window)";
        return ret;
    }
    io->remaps++;
    io->remap_ns += timer_to_ns(timer_now() - t0);
    return 0;
}

/* Address of offset, remapping the window if needed. */
LOOP_INLINE unsigned char *mmap_address(struct mmap_state *st, struct worker_io *io,
                                        uint64_t offset, uint64_t len, int *ret)
{
    if (st->map)
        return st->map + offset;
    struct mmap_window *win = io->backend_worker;
    if (!win->base || offset < win->start_bytes ||
        offset + len > win->start_bytes + win->len_bytes) {
        *ret = remap_window(st, io, offset, len);
        if (*ret)
            return NULL;
    }
    return win->base + (offset - win->start_bytes);
}

LOOP_INLINE int mmap_read(void *state, struct worker_io *io, const struct loop_ctx *ctx,
                          uint64_t offset, uint64_t *fold)
{
    int ret = 0;
    const unsigned char *src = mmap_address(state, io, offset, ctx->block_size_bytes, &ret);
    if (!src)
        return ret;
    if (ctx->access == ACCESS_COPY) {
        memcpy(ctx->read_buf, src, ctx->block_size_bytes);
        *fold = loop_fold(ctx->read_buf, ctx->block_size_bytes, ACCESS_COPY);
    } else {
        *fold = loop_fold(src, ctx->block_size_bytes, ACCESS_CHECKSUM);
    }
    return 0;
}

LOOP_INLINE int mmap_write(void *state, struct worker_io *io, const struct loop_ctx *ctx,
                           uint64_t offset)
{
    int ret = 0;
    unsigned char *dst = mmap_address(state, io, offset, ctx->block_size_bytes, &ret);
    if (!dst)
        return ret;
    memcpy(dst, ctx->write_buf, ctx->block_size_bytes);
    return 0;
}

LOOP_DEFINE_RUN_BATCH(mmap_run_batch, mmap_read, mmap_write)

static int mmap_flush(void *state, struct worker_io *io, enum sync_mode mode, uint64_t offset,
                      uint64_t length)
{
    struct mmap_state *st = state;
    if (mode != SYNC_MS_SYNC && mode != SYNC_MS_ASYNC)
        return backend_flush_fd(st->fd, io, mode, offset, length);
    /* msync needs a page-aligned address; the mapping covers whole pages. */
    uint64_t page = st->page_bytes;
    uint64_t mapped = (st->map_len_bytes + page - 1) / page * page;
    uint64_t start = offset / page * page;
    uint64_t end = (offset + length + page - 1) / page * page;
    if (end > mapped)
        end = mapped;
    if (end <= start)
        return 0;
    if (msync(st->map + start, end - start, mode == SYNC_MS_SYNC ? MS_SYNC : MS_ASYNC) < 0) {
        int ret = -errno;
        io->failed_call = mode == SYNC_MS_SYNC ? "msync(MS_SYNC)" : "msync(MS_ASYNC)";
        io->failed_offset_bytes = offset;
        io->failed_length_bytes = length;
        return ret;
    }
    return 0;
}

static void mmap_close(void *state)
{
    struct mmap_state *st = state;
    if (st->map)
        munmap(st->map, st->map_len_bytes);
    close(st->fd);
    free(st);
}

static const char *mmap_flush_call(enum sync_mode mode)
{
    if (mode == SYNC_MS_SYNC)
        return "msync(MS_SYNC)";
    if (mode == SYNC_MS_ASYNC)
        return "msync(MS_ASYNC)";
    return backend_flush_fd_call(mode);
}

static int mmap_check(const struct workload *w, const void *opts, char *err, size_t len)
{
    const struct mmap_options *o = opts;
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    char a[32];
    if (w->file && o->populate == POPULATE_MADV_WRITE) {
        snprintf(err, len, "file %s: populate madv_populate_write would dirty it", w->file);
        return -EINVAL;
    }
    if (o->window_bytes == 0)
        return 0;
    if (o->window_bytes % page) {
        snprintf(err, len, "window %s: must be a multiple of the page size (%llu)",
                 units_format_size(o->window_bytes, a, sizeof(a)), (unsigned long long)page);
        return -EINVAL;
    }
    if (o->window_bytes < w->block_size_bytes + page) {
        char b[32];
        snprintf(err, len, "window %s: must be at least block_size + one page (%s + %llu)",
                 units_format_size(o->window_bytes, a, sizeof(a)),
                 units_format_size(w->block_size_bytes, b, sizeof(b)), (unsigned long long)page);
        return -EINVAL;
    }
    if (w->sync == SYNC_MS_SYNC || w->sync == SYNC_MS_ASYNC) {
        snprintf(err, len,
                 "window with sync %s: msync needs the dirty range mapped, and a sliding window "
                 "may have unmapped it (use fdatasync or sync_file_range)",
                 sync_names[w->sync]);
        return -EINVAL;
    }
    return 0;
}

const struct backend_ops backend_mmap = {
    .name = "mmap",
    .description = "mmap() the file (MAP_SHARED by default), memcpy to and from the mapping, "
                   "msync to flush",
    .params = mmap_params,
    .n_params = sizeof(mmap_params) / sizeof(mmap_params[0]),
    .check = mmap_check,
    .open = mmap_open,
    .worker_open = mmap_worker_open,
    .worker_close = mmap_worker_close,
    .run_batch = mmap_run_batch,
    .flush = mmap_flush,
    .close = mmap_close,
    .flush_call = mmap_flush_call,
};
