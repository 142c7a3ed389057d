#include "taskstat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Reads a small /proc file into buf (NUL-terminated). Returns its length or -1. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return n;
}

/* The value of "key: N" in text, and whether it was there. */
static bool field(const char *text, const char *key, uint64_t *value)
{
    size_t klen = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
            *value = strtoull(p + klen + 1, NULL, 10);
            return true;
        }
    }
    return false;
}

void taskstat_read(pid_t pid, pid_t tid, struct taskstat *t)
{
    memset(t, 0, sizeof(*t));
    char path[64], buf[512];
    if (pid == 0)
        snprintf(path, sizeof(path), "/proc/thread-self/io");
    else
        snprintf(path, sizeof(path), "/proc/%d/task/%d/io", (int)pid, (int)tid);
    if (read_small(path, buf, sizeof(buf)) > 0)
        t->have_io = field(buf, "read_bytes", &t->read_bytes) &&
                     field(buf, "write_bytes", &t->write_bytes) &&
                     field(buf, "cancelled_write_bytes", &t->cancelled_write_bytes);
    if (pid == 0)
        snprintf(path, sizeof(path), "/proc/thread-self/schedstat");
    else
        snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
    unsigned long long on, wait;
    if (read_small(path, buf, sizeof(buf)) > 0 && sscanf(buf, "%llu %llu", &on, &wait) == 2) {
        t->oncpu_ns = on;
        t->runqueue_ns = wait;
        t->have_sched = true;
    }
    /* schedstat's run time of a running task is only brought up to date at a tick or a
     * switch; the thread's own CPU clock is exact. */
    struct timespec ts;
    if (pid == 0 && clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
        t->oncpu_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t minus(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

void taskstat_delta(const struct taskstat *before, const struct taskstat *after,
                    struct taskstat *delta)
{
    delta->read_bytes = minus(after->read_bytes, before->read_bytes);
    delta->write_bytes = minus(after->write_bytes, before->write_bytes);
    delta->cancelled_write_bytes =
        minus(after->cancelled_write_bytes, before->cancelled_write_bytes);
    delta->have_io = before->have_io && after->have_io;
    delta->oncpu_ns = minus(after->oncpu_ns, before->oncpu_ns);
    delta->runqueue_ns = minus(after->runqueue_ns, before->runqueue_ns);
    delta->have_sched = before->have_sched && after->have_sched;
}

int taskstat_faults(pid_t pid, uint64_t *minflt, uint64_t *majflt)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (read_small(path, buf, sizeof(buf)) <= 0)
        return -ENOENT;
    /* Fields after the command, which may hold spaces and parentheses: from the last ')'. */
    const char *p = strrchr(buf, ')');
    unsigned long long mn, cmn, mj;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %llu %llu %llu", &mn, &cmn, &mj) != 3)
        return -EINVAL;
    *minflt = mn;
    *majflt = mj;
    return 0;
}
