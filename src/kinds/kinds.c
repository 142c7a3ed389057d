#include "kinds.h"

#include "errmsg.h"
#include "signals.h"

#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

void kinds_request_stop(void)
{
    stop_requested = 1;
}

bool kinds_stop_requested(void)
{
    return stop_requested != 0 || signals_stop_requested(); /* mmbench's stop signals too */
}

void kinds_clear_stop(void)
{
    stop_requested = 0;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void kinds_stat_of(uint64_t *values, size_t n, struct kinds_stat *s)
{
    qsort(values, n, sizeof(values[0]), compare_u64);
    s->min = values[0];
    s->max = values[n - 1];
    s->median = n % 2 ? values[n / 2]
                      : values[n / 2 - 1] / 2 + values[n / 2] / 2 +
                            (values[n / 2 - 1] % 2 + values[n / 2] % 2) / 2;
}

double kinds_median(double *values, size_t n)
{
    qsort(values, n, sizeof(values[0]), compare_double);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

uint64_t kinds_page_bytes(void)
{
    return (uint64_t)sysconf(_SC_PAGESIZE);
}

int kinds_futex_wait(uint32_t *addr, uint32_t expected, uint64_t timeout_ns)
{
    struct timespec ts = {.tv_sec = (time_t)(timeout_ns / 1000000000ULL),
                          .tv_nsec = (long)(timeout_ns % 1000000000ULL)};
    long r = syscall(SYS_futex, addr, FUTEX_WAIT, expected, timeout_ns ? &ts : NULL, NULL, 0);
    if (r == 0 || errno == EAGAIN)
        return 0;
    return -errno;
}

void kinds_futex_wake(uint32_t *addr)
{
    syscall(SYS_futex, addr, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

int kinds_pread_full(int fd, void *buf, size_t len, uint64_t offset, const char *what, char *err,
                     size_t err_len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errmsg_errno(err, err_len, -errno, "pread(%s, offset %llu, %zu bytes)", what,
                                (unsigned long long)(offset + done), len - done);
        if (n == 0)
            return errmsg_set(err, err_len, -ENODATA,
                              "pread(%s, offset %llu, %zu bytes): unexpected end of file", what,
                              (unsigned long long)(offset + done), len - done);
        done += (size_t)n;
    }
    return 0;
}

int kinds_pwrite_full(int fd, const void *buf, size_t len, uint64_t offset, const char *what,
                      char *err, size_t err_len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return errmsg_errno(err, err_len, n < 0 ? -errno : -EIO,
                                "pwrite(%s, offset %llu, %zu bytes)", what,
                                (unsigned long long)(offset + done), len - done);
        done += (size_t)n;
    }
    return 0;
}
