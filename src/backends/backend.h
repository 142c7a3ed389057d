/* The backend interface: how one I/O method (mmap, pread/pwrite) plugs in.
 *
 * fio's ioengine_ops idea with a handful of hooks. A backend owns its state behind a
 * void pointer; the runner owns timing, offsets, threads and flushing policy. The timed
 * loop is in the backend's run_batch (built from loop.h), so the runner makes one
 * indirect call per batch of operations, never one per operation. */
#ifndef MMBENCH_BACKEND_H
#define MMBENCH_BACKEND_H

#include "params.h"
#include "workload.h"

#include <stddef.h>
#include <stdint.h>

struct hist;

#define BACKEND_COUNTERS_MAX 4

/* Per-worker state shared by the runner and a backend's batch loop. Each worker has its
 * own, so nothing in here is written by two threads. */
struct worker_io {
    /* Set by the runner before the phase. */
    uint64_t block_size_bytes;
    enum access_mode access;
    enum latency_mode latency;
    uint32_t latency_sample_every;  /* latency "sample": time one operation in N */
    unsigned char *read_buf;        /* block_size_bytes, page-aligned */
    const unsigned char *write_buf; /* block_size_bytes of pattern_write_word() */
    struct hist *latency_hist;      /* ns per operation */
    void *backend_worker;           /* a backend's own per-worker state */

    /* Updated by run_batch. */
    uint64_t checksum;         /* fold of the data read; see loop.h */
    uint64_t sample_countdown; /* operations until the next timed one */
    uint64_t sample_rng;       /* xorshift64 state of the sample gaps (never 0) */
    uint64_t dirty_lo_bytes;   /* written range since the last flush... */
    uint64_t dirty_hi_bytes;   /* ...[lo, hi); lo >= hi when nothing is dirty */
    uint64_t remaps;           /* window remaps (mmap with window) */
    uint64_t remap_ns;         /* time spent in them */
    uint64_t syscalls;         /* system calls the data path made (flushes are counted apart) */
    uint64_t counters[BACKEND_COUNTERS_MAX]; /* the backend's own counts (backend_ops.counters) */

    /* Set by run_batch, flush or worker_open when they fail. */
    const char *failed_call; /* "pread", "msync", ... */
    uint64_t failed_offset_bytes;
    uint64_t failed_length_bytes;
};

#define BACKEND_NOTE_MAX 256

/* What a backend can do, for the keys that apply to several backends (param_def.needs_caps). */
#define BACKEND_CAP_DESCRIPTOR                                                                     \
    0x1u /* reads and writes through a file descriptor (fadvise, direct) */

/* A backend's options live in its slot of workload.options; this checks they fit. */
_Static_assert(WORKLOAD_OPTION_SLOTS <= 32, "a backend_mask bit per option slot");
#define BACKEND_OPTIONS_FIT(type)                                                                  \
    _Static_assert(sizeof(type) <= sizeof(((struct workload *)0)->options[0]),                     \
                   #type " does not fit in a workload option slot")

struct backend_counter {
    const char *name; /* unit-suffixed: "nowait_fallbacks", "submit_calls" */
    const char *doc;
};

struct backend_ops {
    const char *name;
    const char *description;
    unsigned caps; /* BACKEND_CAP_* */

    /* Optional. Whether the backend can run in this process at all: built with what it
     * needs, and allowed by this kernel (io_uring may be compiled out, or disabled by a
     * sysctl or a seccomp filter). Returns 0, or -ENOTSUP with the reason in err. Asked
     * once per process (backend_unavailable): the default backends are the available ones,
     * and a workload that names another is refused with the reason. */
    int (*available)(char *err, size_t err_len);

    /* Optional. What the backend counts besides the common figures (preadv2's RWF_NOWAIT
     * hits and fallbacks, ...), in io->counters[i]: a column each in runs.csv
     * ("<backend>_<name>") and in the run's "counters" object in results.json. */
    const struct backend_counter *counters;
    size_t n_counters;

    /* Optional. The keys only this backend understands: rows whose offsets are into its own
     * options struct (workload_options(w, slot)); they are documented, parsed, defaulted and
     * reported like every key. */
    const struct param_def *params;
    size_t n_params;

    /* Optional. Checks of w that concern this backend (its options against the workload,
     * and whether this kernel supports what they ask); called for every expanded workload
     * that runs the backend, before anything is created. opts is its options. Returns 0 or
     * -EINVAL (-ENOTSUP) with the reason in err, without the workload's name. */
    int (*check)(const struct workload *w, const void *opts, char *err, size_t err_len);

    /* Required. Sets up one timed phase of w on the data file open at fd (the caller's:
     * valid for the whole phase, never closed by the backend); label names the file in
     * messages and is never opened. A backend that needs other open flags (O_DIRECT,
     * read-only) gets its own descriptor with backend_reopen. On failure returns -errno
     * after logging what failed. note (BACKEND_NOTE_MAX bytes, starts empty) may receive
     * a remark for the results, e.g. a fallback that was used. */
    int (*open)(const struct workload *w, int fd, const char *label, void **state, char *note);

    /* Optional. Per-worker set-up and tear-down (buffers are the runner's). */
    int (*worker_open)(void *state, struct worker_io *io);
    void (*worker_close)(void *state, struct worker_io *io);

    /* Required. Performs the n operations in ops[] (see offsets.h for their encoding).
     * Returns 0, or -errno with io->failed_* set; never logs (it runs in the timed loop). */
    int (*run_batch)(void *state, struct worker_io *io, const uint64_t *ops, size_t n);

    /* Required. Flushes [offset, offset + length) of the file with mode (!= SYNC_NONE).
     * Returns 0 or -errno with io->failed_* set. */
    int (*flush)(void *state, struct worker_io *io, enum sync_mode mode, uint64_t offset_bytes,
                 uint64_t length_bytes);

    /* Required. Releases everything open() set up (unmaps, closes). */
    void (*close)(void *state);

    /* Required. The system call a sync mode becomes in this backend, for the results:
     * "msync(MS_SYNC)", "fdatasync", ... */
    const char *(*flush_call)(enum sync_mode mode);
};

/* The registry, in a fixed order (bit i of workload.backend_mask is entry i). */
size_t backend_count(void);
const struct backend_ops *backend_get(size_t index);

/* Index of the backend called name, or -1. */
int backend_find(const char *name);

/* Index of b in the registry (its options slot), or -1. */
int backend_index(const struct backend_ops *b);

/* True when w runs the backend at index. */
static inline bool backend_runs(const struct workload *w, size_t index)
{
    return (w->backend_mask >> index) & 1u;
}

/* NULL when the backend at index can run here, else why not (its available hook). */
const char *backend_unavailable(size_t index);

/* The backends a workload runs when it does not name them: every available one. */
uint32_t backend_default_mask(void);

/* Checks that every registered backend has its required hooks. Returns 0 or -EINVAL
 * after logging which hook is missing. Called once at start-up. */
int backend_check_registry(void);

/* Every sync mode done with file calls on fd: fsync, fdatasync, sync_file_range(WAIT_BEFORE|
 * WRITE|WAIT_AFTER) of the range, and for the msync modes their closest equivalents
 * (ms_sync: fdatasync; ms_async: sync_file_range(WRITE), starting write-back without
 * waiting). Shared by the backends. Returns 0 or -errno with io->failed_* set. */
int backend_flush_fd(int fd, struct worker_io *io, enum sync_mode mode, uint64_t offset_bytes,
                     uint64_t length_bytes);

/* Opens the file held at fd again with flags (O_RDONLY or O_RDWR, optionally O_DIRECT;
 * O_CLOEXEC is added): a new open file description of the same inode, through
 * /proc/self/fd/N, never by a path someone could rename or symlink, and checked to be
 * the same file (st_dev, st_ino). Returns the new descriptor, or -errno after logging
 * what failed with label. */
int backend_reopen(int fd, const char *label, int flags);

/* The descriptor of a backend that reads through one (BACKEND_CAP_DESCRIPTOR): the file
 * held at fd opened again with backend_reopen, read-write when w writes, O_DIRECT with
 * direct, and with w's fadvise hint applied (a hint belongs to the open file description,
 * so each descriptor needs its own). Returns it, or -errno after logging what failed. */
int backend_open_fd(const struct workload *w, int fd, const char *label);

/* The system call backend_flush_fd makes for mode. */
const char *backend_flush_fd_call(enum sync_mode mode);

extern const struct backend_ops backend_mmap;
extern const struct backend_ops backend_pread;
extern const struct backend_ops backend_read;
extern const struct backend_ops backend_preadv2;
extern const struct backend_ops backend_io_uring;

#endif
