/* The time series of a phase: a thread that, every interval, records the operations the
 * workers completed, the process's page faults, the block device's traffic, TLB
 * shootdowns and the file's resident and dirty share (cachestat(2), or mincore), so that a
 * change within a phase (the cache filling, writeback starting) can be seen and detected
 * (results/levels.h). It reads counters the workers already keep and a few small /proc
 * and /sys files; it never touches a worker's cache line for writing. */
#ifndef MMBENCH_TIMELINE_H
#define MMBENCH_TIMELINE_H

#include "kcounters.h"
#include "results.h"

#include <stddef.h>
#include <stdint.h>

struct timeline_source {
    uint64_t (*ops)(void *arg); /* operations completed so far, read while workers run */
    void (*faults)(void *arg, uint64_t *minflt, uint64_t *majflt); /* the workers' faults */
    void *arg;
    int fd; /* the data file, for its page-cache state */
    uint64_t file_size_bytes;
    const struct kcounters_source *kc; /* its block device */
};

struct timeline_sampler;

/* Starts sampling every interval_ns from now (time 0), appending points to wr (which the
 * caller does not touch until timeline_stop). Returns 0 or -errno. */
int timeline_start(struct timeline_sampler **out, const struct timeline_source *src,
                   uint64_t interval_ns, struct workload_result *wr);

/* Takes a last point, stops the thread, frees the sampler; returns the index of the run's
 * first point in wr->points and sets *count (0 when sampling never started). */
size_t timeline_stop(struct timeline_sampler *s, size_t *count);

#endif
