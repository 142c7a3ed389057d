/* The one error convention: a function that fails returns a negative errno and, where its
 * caller reports the failure, writes what failed, where and why into a buffer the caller
 * gives (err, err_len), e.g. "pwrite(data-1048576.bin, offset 4096, 4096 bytes): No space
 * left on device". These two helpers write that message and return the error, so a
 * failure is one statement: return errmsg_set(err, len, -EINVAL, "...", ...). */
#ifndef MMBENCH_ERRMSG_H
#define MMBENCH_ERRMSG_H

#include <stddef.h>

/* Writes the message into err (when err and err_len are non-zero) and returns ret. */
int errmsg_set(char *err, size_t err_len, int ret, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The same, followed by ": " and strerror(-ret): for a failed system call. */
int errmsg_errno(char *err, size_t err_len, int ret, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
