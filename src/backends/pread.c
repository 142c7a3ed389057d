/* The pread backend: pread()/pwrite() between the file and an aligned user buffer,
 * with short transfers completed, optionally O_DIRECT. Flushes use the file calls; the
 * msync modes map to their closest equivalents (see flush_call and the README):
 *   ms_sync  -> fdatasync(): msync(MS_SYNC) is vfs_fsync_range(datasync=1) over the
 *               range, and everything dirty lies in that range (it is flushed every time)
 *   ms_async -> sync_file_range(SYNC_FILE_RANGE_WRITE): start writeback, do not wait */
#include "backend.h"
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

struct pread_state {
    int fd;
};

static int pread_open(const struct workload *w, int fd, const char *label, void **state, char *note)
{
    (void)note;
    struct pread_state *st = calloc(1, sizeof(*st));
    if (!st)
        return -ENOMEM;
    st->fd = backend_open_fd(w, fd, label);
    if (st->fd < 0) {
        int ret = st->fd;
        free(st);
        return ret;
    }
    *state = st;
    return 0;
}

/* pread until len bytes arrived; end of file is an error (the file shrank). */
LOOP_INLINE int read_full(int fd, unsigned char *buf, uint64_t len, uint64_t offset,
                          struct worker_io *io)
{
    uint64_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, buf + done, len - done, (off_t)(offset + done));
        io->syscalls++;
        if (__builtin_expect(n <= 0, 0)) {
            if (n < 0 && errno == EINTR)
                continue;
            io->failed_call = "pread";
            return n == 0 ? -ENODATA : -errno;
        }
        done += (uint64_t)n;
    }
    return 0;
}

LOOP_INLINE int pread_read(void *state, struct worker_io *io, const struct loop_ctx *ctx,
                           uint64_t offset, uint64_t *fold)
{
    struct pread_state *st = state;
    int ret = read_full(st->fd, ctx->read_buf, ctx->block_size_bytes, offset, io);
    if (ret)
        return ret;
    *fold = loop_fold(ctx->read_buf, ctx->block_size_bytes, ctx->access);
    return 0;
}

LOOP_INLINE int pread_write(void *state, struct worker_io *io, const struct loop_ctx *ctx,
                            uint64_t offset)
{
    struct pread_state *st = state;
    uint64_t done = 0, len = ctx->block_size_bytes;
    while (done < len) {
        ssize_t n = pwrite(st->fd, ctx->write_buf + done, len - done, (off_t)(offset + done));
        io->syscalls++;
        if (__builtin_expect(n <= 0, 0)) {
            if (n < 0 && errno == EINTR)
                continue;
            io->failed_call = "pwrite";
            return n == 0 ? -EIO : -errno;
        }
        done += (uint64_t)n;
    }
    return 0;
}

LOOP_DEFINE_RUN_BATCH(pread_run_batch, pread_read, pread_write)

static int pread_flush(void *state, struct worker_io *io, enum sync_mode mode, uint64_t offset,
                       uint64_t length)
{
    struct pread_state *st = state;
    return backend_flush_fd(st->fd, io, mode, offset, length);
}

static void pread_close(void *state)
{
    struct pread_state *st = state;
    close(st->fd);
    free(st);
}

const struct backend_ops backend_pread = {
    .name = "pread",
    .caps = BACKEND_CAP_DESCRIPTOR,
    .description = "pread()/pwrite() to and from an aligned buffer (optionally O_DIRECT), "
                   "fdatasync or sync_file_range to flush",
    .open = pread_open,
    .run_batch = pread_run_batch,
    .flush = pread_flush,
    .close = pread_close,
    .flush_call = backend_flush_fd_call,
};
