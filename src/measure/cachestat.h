/* cachestat(2) (Linux 6.5): the page-cache state of a file range, counted by the kernel
 * itself: pages cached, dirty, under writeback, evicted. The one wrapper of the system
 * call: the cache preparation, the time series and the claims all ask through it. */
#ifndef MMBENCH_CACHESTAT_H
#define MMBENCH_CACHESTAT_H

#include <stdint.h>

struct cachestat_pages {
    uint64_t cached_pages;           /* in the page cache */
    uint64_t dirty_pages;            /* dirty, not yet written back */
    uint64_t writeback_pages;        /* being written back */
    uint64_t evicted_pages;          /* evicted (shadow entries) */
    uint64_t recently_evicted_pages; /* evicted recently (would refault as active) */
};

/* cachestat(2) of [offset, offset + length) of the file at fd (length 0: to its end).
 * Returns 0, -ENOSYS on kernels without it (before Linux 6.5), or -errno. */
int cachestat_range(int fd, uint64_t offset, uint64_t length, struct cachestat_pages *out);

#endif
