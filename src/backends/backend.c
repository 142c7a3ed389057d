#include "backend.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

/* One line per backend (adding one is adding a line); the order is that of the results. */
/* clang-format off */
static const struct backend_ops *const registry[] = {
    &backend_mmap,
    &backend_pread,
    &backend_read,
    &backend_preadv2,
    &backend_io_uring,
};
/* clang-format on */

size_t backend_count(void)
{
    return sizeof(registry) / sizeof(registry[0]);
}

const struct backend_ops *backend_get(size_t index)
{
    return index < backend_count() ? registry[index] : NULL;
}

int backend_find(const char *name)
{
    for (size_t i = 0; i < backend_count(); i++) {
        if (strcmp(registry[i]->name, name) == 0)
            return (int)i;
    }
    return -1;
}

int backend_index(const struct backend_ops *b)
{
    for (size_t i = 0; i < backend_count(); i++)
        if (registry[i] == b)
            return (int)i;
    return -1;
}

/* Each backend's answer to its available hook, asked once. */
static struct {
    bool unavailable;
    char why[256];
} availability[WORKLOAD_OPTION_SLOTS];
static pthread_once_t availability_once = PTHREAD_ONCE_INIT;

static void ask_availability(void)
{
    for (size_t i = 0; i < backend_count() && i < WORKLOAD_OPTION_SLOTS; i++) {
        if (registry[i]->available &&
            registry[i]->available(availability[i].why, sizeof(availability[i].why)) < 0) {
            availability[i].unavailable = true;
            if (!availability[i].why[0])
                snprintf(availability[i].why, sizeof(availability[i].why), "not available");
        }
    }
}

const char *backend_unavailable(size_t index)
{
    pthread_once(&availability_once, ask_availability);
    return index < WORKLOAD_OPTION_SLOTS && availability[index].unavailable
               ? availability[index].why
               : NULL;
}

uint32_t backend_default_mask(void)
{
    uint32_t mask = 0;
    for (size_t i = 0; i < backend_count(); i++)
        if (!backend_unavailable(i))
            mask |= 1u << i;
    return mask;
}

int backend_check_registry(void)
{
    for (size_t i = 0; i < backend_count(); i++) {
        const struct backend_ops *b = registry[i];
        const char *missing = !b->name         ? "name"
                              : !b->open       ? "open"
                              : !b->run_batch  ? "run_batch"
                              : !b->flush      ? "flush"
                              : !b->close      ? "close"
                              : !b->flush_call ? "flush_call"
                                               : NULL;
        if (missing) {
            log_error("backend %zu (%s) lacks its required hook '%s'", i, b->name ? b->name : "?",
                      missing);
            return -EINVAL;
        }
        if (b->n_counters > BACKEND_COUNTERS_MAX) {
            log_error("backend %s has %zu counters, more than %d", b->name, b->n_counters,
                      BACKEND_COUNTERS_MAX);
            return -EINVAL;
        }
        if (i >= WORKLOAD_BACKEND_SLOTS) { /* also below 32, the bits of backend_mask */
            log_error("backend %zu (%s): more backends than option slots (%d)", i, b->name,
                      WORKLOAD_BACKEND_SLOTS);
            return -EINVAL;
        }
    }
    return 0;
}

int backend_flush_fd(int fd, struct worker_io *io, enum sync_mode mode, uint64_t offset_bytes,
                     uint64_t length_bytes)
{
    int ret = 0;
    switch (mode) {
    case SYNC_MS_SYNC:
    case SYNC_FDATASYNC:
        ret = fdatasync(fd);
        break;
    case SYNC_FSYNC:
        ret = fsync(fd);
        break;
    case SYNC_MS_ASYNC:
        ret = sync_file_range(fd, (off_t)offset_bytes, (off_t)length_bytes, SYNC_FILE_RANGE_WRITE);
        break;
    case SYNC_FILE_RANGE:
        ret = sync_file_range(fd, (off_t)offset_bytes, (off_t)length_bytes,
                              SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                  SYNC_FILE_RANGE_WAIT_AFTER);
        break;
    case SYNC_NONE:
        break;
    }
    if (ret < 0) {
        ret = -errno;
        io->failed_call = backend_flush_fd_call(mode);
        io->failed_offset_bytes = offset_bytes;
        io->failed_length_bytes = length_bytes;
    }
    return ret;
}

static int fadvise_value(enum fadvise_hint hint)
{
    switch (hint) {
    case FADVISE_RANDOM:
        return POSIX_FADV_RANDOM;
    case FADVISE_SEQUENTIAL:
        return POSIX_FADV_SEQUENTIAL;
    case FADVISE_NOREUSE:
        return POSIX_FADV_NOREUSE;
    case FADVISE_NORMAL:
    default:
        return POSIX_FADV_NORMAL;
    }
}

int backend_open_fd(const struct workload *w, int fd, const char *label)
{
    int flags = (workload_writes(w) ? O_RDWR : O_RDONLY) | (w->direct ? O_DIRECT : 0);
    int own = backend_reopen(fd, label, flags);
    if (own < 0 || w->fadvise == FADVISE_NORMAL)
        return own;
    int e = posix_fadvise(own, 0, 0, fadvise_value(w->fadvise));
    if (e != 0) {
        log_error("posix_fadvise(%s, fadvise %s): %s", label, fadvise_names[w->fadvise],
                  strerror(e));
        close(own);
        return -e;
    }
    return own;
}

const char *backend_flush_fd_call(enum sync_mode mode)
{
    static const char *const calls[] = {
        [SYNC_NONE] = "none",
        [SYNC_MS_ASYNC] = "sync_file_range(WRITE)",
        [SYNC_MS_SYNC] = "fdatasync",
        [SYNC_FSYNC] = "fsync",
        [SYNC_FDATASYNC] = "fdatasync",
        [SYNC_FILE_RANGE] = "sync_file_range(WAIT_BEFORE|WRITE|WAIT_AFTER)",
    };
    return calls[mode];
}

int backend_reopen(int fd, const char *label, int flags)
{
    char proc[32];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    int reopened = open(proc, flags | O_CLOEXEC);
    if (reopened < 0) {
        int e = errno;
        struct statfs fs;
        if (e == EINVAL && (flags & O_DIRECT))
            log_error("open(%s, O_DIRECT): %s: this filesystem%s does not support direct I/O "
                      "(set direct: false, or use a directory on a disk)",
                      label, strerror(e),
                      fstatfs(fd, &fs) == 0 && fs.f_type == TMPFS_MAGIC ? " (tmpfs)" : "");
        else
            log_error("open(%s) through %s: %s%s", label, proc, strerror(e),
                      e == ENOENT ? " (is /proc mounted?)" : "");
        return -e;
    }
    struct stat held, got;
    if (fstat(fd, &held) < 0 || fstat(reopened, &got) < 0 || held.st_dev != got.st_dev ||
        held.st_ino != got.st_ino) {
        close(reopened);
        log_error("open(%s) through %s: a different file was opened", label, proc);
        return -ESTALE;
    }
    return reopened;
}
