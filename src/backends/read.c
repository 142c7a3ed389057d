/* The read backend: lseek() and read()/write() on one descriptor, the traditional idiom
 * that mmap is usually contrasted with. Each worker opens the file again (an open file
 * description of its own: its own file offset, and no f_pos lock shared with the others).
 * A transfer seeks first unless the file offset is already where it starts, so a
 * sequential scan is read() after read() (as cat, cp and fio's sync engine do) and a
 * random read is lseek() + read(). Short transfers are completed; end of file is an error.
 * Flushes use the file calls, as pread's do. */
#include "backend.h"
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define POSITION_UNKNOWN UINT64_MAX

struct read_state {
    int fd;                   /* for set-up and flushes; the workers read through their own */
    const struct workload *w; /* the phase's, for the workers' descriptors */
    const char *label;        /* the data file's name in messages */
};

struct read_worker {
    int fd;                  /* this worker's own open file description */
    uint64_t position_bytes; /* its file offset; POSITION_UNKNOWN after a failure */
};

enum { COUNTER_LSEEKS };

static const struct backend_counter read_counters[] = {
    [COUNTER_LSEEKS] = {"lseeks", "lseek() calls: one per transfer that does not start where "
                                  "the previous one left the file offset"},
};

static int read_open(const struct workload *w, int fd, const char *label, void **state, char *note)
{
    (void)note;
    struct read_state *st = calloc(1, sizeof(*st));
    if (!st)
        return -ENOMEM;
    st->fd = backend_open_fd(w, fd, label);
    if (st->fd < 0) {
        int ret = st->fd;
        free(st);
        return ret;
    }
    st->w = w;
    st->label = label;
    *state = st;
    return 0;
}

static int read_worker_open(void *state, struct worker_io *io)
{
    struct read_state *st = state;
    struct read_worker *rw = calloc(1, sizeof(*rw));
    if (!rw)
        return -ENOMEM;
    rw->fd = backend_open_fd(st->w, st->fd, st->label);
    if (rw->fd < 0) {
        int ret = rw->fd;
        free(rw);
        return ret;
    }
    rw->position_bytes = 0; /* a new open file description starts at 0 */
    io->backend_worker = rw;
    return 0;
}

static void read_worker_close(void *state, struct worker_io *io)
{
    (void)state;
    struct read_worker *rw = io->backend_worker;
    if (!rw)
        return;
    close(rw->fd);
    free(rw);
    io->backend_worker = NULL;
}

LOOP_INLINE int seek_to(struct read_worker *rw, struct worker_io *io, uint64_t offset)
{
    if (rw->position_bytes == offset)
        return 0;
    io->syscalls++;
    io->counters[COUNTER_LSEEKS]++;
    if (__builtin_expect(lseek(rw->fd, (off_t)offset, SEEK_SET) < 0, 0)) {
        rw->position_bytes = POSITION_UNKNOWN;
        io->failed_call = "lseek";
        return -errno;
    }
    rw->position_bytes = offset;
    return 0;
}

LOOP_INLINE int read_read(void *state, struct worker_io *io, const struct loop_ctx *ctx,
                          uint64_t offset, uint64_t *fold)
{
    (void)state;
    struct read_worker *rw = io->backend_worker;
    int ret = seek_to(rw, io, offset);
    if (ret)
        return ret;
    uint64_t done = 0, len = ctx->block_size_bytes;
    while (done < len) {
        ssize_t n = read(rw->fd, ctx->read_buf + done, len - done);
        io->syscalls++;
        if (__builtin_expect(n <= 0, 0)) {
            if (n < 0 && errno == EINTR)
                continue;
            rw->position_bytes = POSITION_UNKNOWN;
            io->failed_call = "read";
            return n == 0 ? -ENODATA : -errno;
        }
        done += (uint64_t)n;
    }
    rw->position_bytes = offset + len;
    *fold = loop_fold(ctx->read_buf, len, ctx->access);
    return 0;
}

LOOP_INLINE int read_write(void *state, struct worker_io *io, const struct loop_ctx *ctx,
                           uint64_t offset)
{
    (void)state;
    struct read_worker *rw = io->backend_worker;
    int ret = seek_to(rw, io, offset);
    if (ret)
        return ret;
    uint64_t done = 0, len = ctx->block_size_bytes;
    while (done < len) {
        ssize_t n = write(rw->fd, ctx->write_buf + done, len - done);
        io->syscalls++;
        if (__builtin_expect(n <= 0, 0)) {
            if (n < 0 && errno == EINTR)
                continue;
            rw->position_bytes = POSITION_UNKNOWN;
            io->failed_call = "write";
            return n == 0 ? -EIO : -errno;
        }
        done += (uint64_t)n;
    }
    rw->position_bytes = offset + len;
    return 0;
}

LOOP_DEFINE_RUN_BATCH(read_run_batch, read_read, read_write)

static int read_flush(void *state, struct worker_io *io, enum sync_mode mode, uint64_t offset,
                      uint64_t length)
{
    struct read_state *st = state;
    return backend_flush_fd(st->fd, io, mode, offset, length);
}

static void read_close(void *state)
{
    struct read_state *st = state;
    close(st->fd);
    free(st);
}

const struct backend_ops backend_read = {
    .name = "read",
    .caps = BACKEND_CAP_DESCRIPTOR,
    .description = "lseek() + read()/write() on a descriptor of each worker's own (no lseek "
                   "when the file offset is already there), fdatasync or sync_file_range to "
                   "flush",
    .counters = read_counters,
    .n_counters = sizeof(read_counters) / sizeof(read_counters[0]),
    .open = read_open,
    .worker_open = read_worker_open,
    .worker_close = read_worker_close,
    .run_batch = read_run_batch,
    .flush = read_flush,
    .close = read_close,
    .flush_call = backend_flush_fd_call,
};
