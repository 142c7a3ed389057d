/* The preadv2 backend: preadv2()/pwritev2() of one iovec, with an RWF_* flag on every
 * call (key rwf), short transfers completed, optionally O_DIRECT. Flushes as pread's.
 *
 *   none       as pread, through preadv2 (the baseline for the flags)
 *   nowait     RWF_NOWAIT: a transfer that would block (not in the page cache, a lock
 *              taken) fails with EAGAIN instead, and is done again without the flag; both
 *              outcomes are counted. Writes too, where the filesystem takes RWF_NOWAIT
 *              for them (ext4 and tmpfs refuse it for buffered writes: refused at check)
 *   hipri      RWF_HIPRI: completion by polling, for O_DIRECT on polled queues; buffered
 *              I/O ignores it (said in the run's note)
 *   dontcache  RWF_DONTCACHE (Linux 6.14+): buffered I/O whose pages are dropped once the
 *              transfer (and, for writes, their writeback) is done; refused where the
 *              kernel or the filesystem lacks it
 *
 * rwf is one value, not a set: a list of values is a sweep, as for every key. */
#include "backend.h"
#include "log.h"
#include "loop.h"
#include "mountinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008 /* Linux 4.14 */
#endif
#ifndef RWF_DONTCACHE
#define RWF_DONTCACHE 0x00000080 /* Linux 6.14, include/uapi/linux/fs.h */
#endif

#define RWF_KIND_LIST(X)                                                                           \
    X(RWF_KIND_NONE, "none")                                                                       \
    X(RWF_KIND_NOWAIT, "nowait")                                                                   \
    X(RWF_KIND_HIPRI, "hipri")                                                                     \
    X(RWF_KIND_DONTCACHE, "dontcache")

enum rwf_kind { RWF_KIND_LIST(WORKLOAD_ENUM_VALUE) };
static const char *const rwf_names[] = {RWF_KIND_LIST(WORKLOAD_ENUM_NAME) NULL};

/* What each value of rwf passes, and how messages name it. */
static const struct {
    int flag;               /* RWF_* */
    const char *read_call;  /* failed_call of a read */
    const char *write_call; /* ... of a write */
    const char *flag_name;  /* "RWF_NOWAIT" */
} rwf_calls[] = {
    [RWF_KIND_NONE] = {0, "preadv2", "pwritev2", "0"},
    [RWF_KIND_NOWAIT] = {RWF_NOWAIT, "preadv2(RWF_NOWAIT)", "pwritev2(RWF_NOWAIT)", "RWF_NOWAIT"},
    [RWF_KIND_HIPRI] = {RWF_HIPRI, "preadv2(RWF_HIPRI)", "pwritev2(RWF_HIPRI)", "RWF_HIPRI"},
    [RWF_KIND_DONTCACHE] = {RWF_DONTCACHE, "preadv2(RWF_DONTCACHE)", "pwritev2(RWF_DONTCACHE)",
                            "RWF_DONTCACHE"},
};

/* The keys only this backend has (its slot of workload.options). */
struct preadv2_options {
    enum rwf_kind rwf;
};
BACKEND_OPTIONS_FIT(struct preadv2_options);

static const struct param_def preadv2_params[] = {
    {.name = "rwf",
     .column = "rwf",
     .type = PARAM_ENUM,
     .offset = offsetof(struct preadv2_options, rwf),
     .enum_names = rwf_names,
     .default_text = "none",
     .group = "Backends",
     .doc = "the flag of every preadv2(2) and pwritev2(2), one value (a list is a sweep): "
            "`nowait` (RWF_NOWAIT) tries without blocking and, on EAGAIN, again without the "
            "flag, counting both; `hipri` (RWF_HIPRI) polls for completion (O_DIRECT on "
            "polled queues; buffered I/O ignores it); `dontcache` (RWF_DONTCACHE, Linux "
            "6.14+) drops the pages once done; refused where the kernel or the filesystem "
            "lacks the flag"},
};

enum { COUNTER_NOWAIT_HITS, COUNTER_NOWAIT_FALLBACKS };

static const struct backend_counter preadv2_counters[] = {
    [COUNTER_NOWAIT_HITS] = {"nowait_hits", "transfers that rwf nowait completed without "
                                            "blocking (from the page cache)"},
    [COUNTER_NOWAIT_FALLBACKS] = {"nowait_fallbacks",
                                  "transfers that got EAGAIN with rwf nowait and were done "
                                  "again without the flag (blocking)"},
};

struct preadv2_state {
    int fd;            /* backend_open_fd's */
    int flags;         /* RWF_* of every call */
    bool nowait;       /* flags has RWF_NOWAIT: fall back on EAGAIN, and count */
    enum rwf_kind rwf; /* the key's value, for messages */
};

static const struct preadv2_options *options_of(const struct workload *w)
{
    return workload_options(w, (unsigned)backend_index(&backend_preadv2));
}

/* Whether fd takes flags on a preadv2 of one byte (4 KiB with O_DIRECT) at offset, and
 * on a pwritev2 of the same when write. Flags are checked before anything is
 * transferred, and a read at or past the end transfers nothing. Returns 0 (EAGAIN also
 * means the flag was taken), or -errno of the call that refused, with *call naming it. */
static int try_flags(int fd, int flags, bool direct, uint64_t offset, bool write, const char **call)
{
    static unsigned char block[4096] __attribute__((aligned(4096)));
    struct iovec iov = {block, direct ? sizeof(block) : 1};
    *call = "preadv2";
    if (preadv2(fd, &iov, 1, (off_t)offset, flags) < 0 && errno != EAGAIN)
        return -errno;
    *call = "pwritev2";
    if (write && pwritev2(fd, &iov, 1, (off_t)offset, flags) < 0 && errno != EAGAIN)
        return -errno;
    return 0;
}

/* The filesystem type of path ("ext4", "tmpfs"), or "?". */
static const char *fs_type_of(const char *path, struct mountinfo_entry *m)
{
    char real[PATH_MAX];
    struct stat st;
    if (!realpath(path, real) || stat(real, &st) < 0 || mountinfo_find(real, st.st_dev, m) < 0)
        return "?";
    return m->fs_type;
}

static void explain_refusal(const struct workload *w, enum rwf_kind rwf, const char *call, int e,
                            const char *where, char *err, size_t len)
{
    struct mountinfo_entry m;
    const char *fs = fs_type_of(where, &m);
    const char *hint = rwf == RWF_KIND_DONTCACHE
                           ? "RWF_DONTCACHE needs Linux 6.14+ and a filesystem that supports it"
                       : strcmp(call, "pwritev2") == 0
                           ? "this filesystem does not take RWF_NOWAIT for buffered writes: "
                             "use op read, or direct: true"
                           : "this filesystem does not take the flag";
    snprintf(err, len, "rwf %s: %s(%s%s) on a file in %s (%s): %s; %s", rwf_names[rwf], call,
             rwf_calls[rwf].flag_name, w->direct ? ", O_DIRECT" : "", where, fs, strerror(-e),
             hint);
}

/* The last directory probed, so that a sweep probes each once. */
static struct {
    char dir[PATH_MAX]; /* w->dir */
    int flags;          /* RWF_* tried */
    bool direct;        /* with O_DIRECT */
    bool write;         /* pwritev2 tried too */
    int result;         /* 0 or -ENOTSUP */
    char why[512];      /* the refusal */
} probed;

/* Refuses a flag that the data file's filesystem (or the kernel) does not take, before
 * anything is created: tried on an unnamed file in dir (O_TMPFILE: nothing appears, and
 * it is gone on close). A workload on an existing file is tried at open, on the file;
 * where O_TMPFILE is unsupported, the first transfer says. */
static int preadv2_check(const struct workload *w, const void *opts, char *err, size_t len)
{
    const struct preadv2_options *o = opts;
    if (o->rwf == RWF_KIND_NONE || w->file)
        return 0;
    int flags = rwf_calls[o->rwf].flag;
    bool write = workload_writes(w);
    if (strcmp(probed.dir, w->dir) == 0 && probed.flags == flags && probed.direct == w->direct &&
        probed.write == write) {
        snprintf(err, len, "%s", probed.why);
        return probed.result;
    }
    int fd = open(w->dir, O_TMPFILE | O_RDWR | O_CLOEXEC | (w->direct ? O_DIRECT : 0), 0600);
    int ret = 0;
    char why[sizeof(probed.why)] = "";
    if (fd >= 0) {
        const char *call;
        int e = try_flags(fd, flags, w->direct, 0, write, &call);
        close(fd);
        if (e == -EOPNOTSUPP || e == -EINVAL) {
            explain_refusal(w, o->rwf, call, e, w->dir, why, sizeof(why));
            ret = -ENOTSUP;
        }
    }
    snprintf(probed.dir, sizeof(probed.dir), "%s", w->dir);
    probed.flags = flags;
    probed.direct = w->direct;
    probed.write = write;
    probed.result = ret;
    snprintf(probed.why, sizeof(probed.why), "%s", why);
    snprintf(err, len, "%s", why);
    return ret;
}

static int preadv2_open(const struct workload *w, int fd, const char *label, void **state,
                        char *note)
{
    const struct preadv2_options *o = options_of(w);
    struct preadv2_state *st = calloc(1, sizeof(*st));
    if (!st)
        return -ENOMEM;
    st->rwf = o->rwf;
    st->flags = rwf_calls[o->rwf].flag;
    st->nowait = o->rwf == RWF_KIND_NOWAIT;
    st->fd = backend_open_fd(w, fd, label);
    if (st->fd < 0) {
        int ret = st->fd;
        free(st);
        return ret;
    }
    if (w->file && st->flags) {
        /* Read-only, and past the end (rounded up for O_DIRECT): nothing is read. */
        struct stat sb;
        uint64_t end = fstat(st->fd, &sb) == 0 && S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
        const char *call;
        int e = try_flags(st->fd, st->flags, w->direct, (end + 4095) / 4096 * 4096, false, &call);
        if (e == -EOPNOTSUPP || e == -EINVAL) {
            log_error("rwf %s: %s(%s) on %s: %s; %s", rwf_names[o->rwf], call,
                      rwf_calls[o->rwf].flag_name, label, strerror(-e),
                      o->rwf == RWF_KIND_DONTCACHE
                          ? "RWF_DONTCACHE needs Linux 6.14+ and a filesystem that supports it"
                          : "this file does not take the flag");
            close(st->fd);
            free(st);
            return -ENOTSUP;
        }
    }
    if (o->rwf == RWF_KIND_HIPRI && !w->direct)
        snprintf(note, BACKEND_NOTE_MAX, "RWF_HIPRI without direct: buffered I/O ignores it");
    if (o->rwf == RWF_KIND_DONTCACHE && w->direct)
        snprintf(note, BACKEND_NOTE_MAX,
                 "RWF_DONTCACHE with direct: O_DIRECT does not use the page cache anyway");
    *state = st;
    return 0;
}

/* One transfer of len bytes, completed across short ones. With RWF_NOWAIT, EAGAIN means
 * "would block": the rest is done without the flag, and the transfer counts as a
 * fallback; otherwise as a hit. End of file is an error (the file shrank). */
LOOP_INLINE int transfer(struct preadv2_state *st, struct worker_io *io, unsigned char *buf,
                         uint64_t len, uint64_t offset, bool write)
{
    int flags = st->flags;
    bool fell_back = false;
    uint64_t done = 0;
    while (done < len) {
        struct iovec iov = {buf + done, len - done};
        ssize_t n = write ? pwritev2(st->fd, &iov, 1, (off_t)(offset + done), flags)
                          : preadv2(st->fd, &iov, 1, (off_t)(offset + done), flags);
        io->syscalls++;
        if (__builtin_expect(n <= 0, 0)) {
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN && (flags & RWF_NOWAIT)) {
                flags &= ~RWF_NOWAIT;
                fell_back = true;
                continue;
            }
            io->failed_call = write ? rwf_calls[st->rwf].write_call : rwf_calls[st->rwf].read_call;
            return n == 0 ? (write ? -EIO : -ENODATA) : -errno;
        }
        done += (uint64_t)n;
    }
    if (st->nowait)
        io->counters[fell_back ? COUNTER_NOWAIT_FALLBACKS : COUNTER_NOWAIT_HITS]++;
    return 0;
}

LOOP_INLINE int preadv2_read(void *state, struct worker_io *io, const struct loop_ctx *ctx,
                             uint64_t offset, uint64_t *fold)
{
    int ret = transfer(state, io, ctx->read_buf, ctx->block_size_bytes, offset, false);
    if (ret)
        return ret;
    *fold = loop_fold(ctx->read_buf, ctx->block_size_bytes, ctx->access);
    return 0;
}

LOOP_INLINE int preadv2_write(void *state, struct worker_io *io, const struct loop_ctx *ctx,
                              uint64_t offset)
{
    /* pwritev2 only reads the buffer; iovec has no const. */
    return transfer(state, io, (unsigned char *)ctx->write_buf, ctx->block_size_bytes, offset,
                    true);
}

LOOP_DEFINE_RUN_BATCH(preadv2_run_batch, preadv2_read, preadv2_write)

static int preadv2_flush(void *state, struct worker_io *io, enum sync_mode mode, uint64_t offset,
                         uint64_t length)
{
    struct preadv2_state *st = state;
    return backend_flush_fd(st->fd, io, mode, offset, length);
}

static void preadv2_close(void *state)
{
    struct preadv2_state *st = state;
    close(st->fd);
    free(st);
}

const struct backend_ops backend_preadv2 = {
    .name = "preadv2",
    .caps = BACKEND_CAP_DESCRIPTOR,
    .description = "preadv2()/pwritev2() with an RWF_* flag (rwf: nowait, hipri, dontcache), "
                   "fdatasync or sync_file_range to flush",
    .params = preadv2_params,
    .n_params = sizeof(preadv2_params) / sizeof(preadv2_params[0]),
    .counters = preadv2_counters,
    .n_counters = sizeof(preadv2_counters) / sizeof(preadv2_counters[0]),
    .check = preadv2_check,
    .open = preadv2_open,
    .run_batch = preadv2_run_batch,
    .flush = preadv2_flush,
    .close = preadv2_close,
    .flush_call = backend_flush_fd_call,
};
