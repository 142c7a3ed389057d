#include "cachestat.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_cachestat
#define __NR_cachestat 451 /* Linux 6.5, the same number on every architecture */
#endif

/* The kernel's structs (uapi linux/mman.h), spelled here for older headers. */
struct kernel_cachestat_range {
    uint64_t off;
    uint64_t len; /* 0: to the end of the file */
};

struct kernel_cachestat {
    uint64_t nr_cache;
    uint64_t nr_dirty;
    uint64_t nr_writeback;
    uint64_t nr_evicted;
    uint64_t nr_recently_evicted;
};

int cachestat_range(int fd, uint64_t offset, uint64_t length, struct cachestat_pages *out)
{
    struct kernel_cachestat_range range = {offset, length};
    struct kernel_cachestat cs;
    memset(&cs, 0, sizeof(cs));
    if (syscall(__NR_cachestat, fd, &range, &cs, 0) < 0)
        return -errno;
    out->cached_pages = cs.nr_cache;
    out->dirty_pages = cs.nr_dirty;
    out->writeback_pages = cs.nr_writeback;
    out->evicted_pages = cs.nr_evicted;
    out->recently_evicted_pages = cs.nr_recently_evicted;
    return 0;
}
