/* What the measurement kinds (footprint, cow, ipc, claims) share: error messages in the
 * caller's buffer, the stop request, order statistics over processes, futex waits on
 * shared words, and whole preads and pwrites.
 *
 * Every engine reports failure as a negative errno with a message in an err buffer of
 * err_len bytes that says what was being done, to what, and why. */
#ifndef MMBENCH_KINDS_H
#define MMBENCH_KINDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KINDS_ERR_BYTES 256 /* a message buffer that is always large enough */

/* Asks every engine to stop: async-signal-safe, for a SIGINT/SIGTERM handler. Engines
 * notice within about 10 ms, kill and reap their child processes, and return -EINTR.
 * The request stays until kinds_clear_stop. */
void kinds_request_stop(void);
bool kinds_stop_requested(void);
void kinds_clear_stop(void);

/* Median, minimum and maximum of a set of values (one per process). */
struct kinds_stat {
    uint64_t median; /* the middle value; mean of the two middle ones for an even count */
    uint64_t min;    /* the smallest */
    uint64_t max;    /* the largest */
};

/* The statistics of n values (n > 0); sorts values in place. */
void kinds_stat_of(uint64_t *values, size_t n, struct kinds_stat *s);

/* Median of n doubles (n > 0); sorts values in place. */
double kinds_median(double *values, size_t n);

uint64_t kinds_page_bytes(void);

/* Waits while the shared word at addr holds expected, at most timeout_ns (0: no limit).
 * A shared futex (no FUTEX_PRIVATE_FLAG): the word may be in a MAP_SHARED region of
 * another process. Returns 0 when woken or the value differed, -ETIMEDOUT, -EINTR. */
int kinds_futex_wait(uint32_t *addr, uint32_t expected, uint64_t timeout_ns);

/* Wakes every waiter on addr. */
void kinds_futex_wake(uint32_t *addr);

/* Reads exactly len bytes at offset, retrying short reads and EINTR. Returns 0, or a
 * negative errno (-ENODATA at end of file) with "pread(what, offset, len)" in err. */
int kinds_pread_full(int fd, void *buf, size_t len, uint64_t offset, const char *what, char *err,
                     size_t err_len);

/* The same for pwrite. */
int kinds_pwrite_full(int fd, const void *buf, size_t len, uint64_t offset, const char *what,
                      char *err, size_t err_len);

#endif
