/* Hardware and software counters of the worker threads, through perf_event_open.
 *
 * Each worker counts its own thread, enabled just around its timed loop. Counters the
 * machine refuses (perf_event_paranoid, a VM without a PMU) are probed once at start-up
 * and recorded as unavailable with the reason, never as zero. Multiplexed counts are
 * scaled by time enabled / time running. */
#ifndef MMBENCH_PERF_H
#define MMBENCH_PERF_H

#include <stdbool.h>
#include <stdint.h>

enum perf_counter {
    PERF_CYCLES,
    PERF_INSTRUCTIONS,
    PERF_DTLB_LOAD_MISSES,
    PERF_PAGE_FAULTS,
    PERF_COUNT,
};

struct perf_probe {
    bool available[PERF_COUNT];
    char reason[PERF_COUNT][128]; /* why a counter is unavailable */
    bool user_only;               /* kernel time excluded (perf_event_paranoid >= 2) */
    int paranoid;                 /* /proc/sys/kernel/perf_event_paranoid, or -99 */
};

/* Tries each counter once. disable: record all as unavailable ("--no-perf"). */
void perf_probe(struct perf_probe *probe, bool disable);

struct perf_counters {
    int fd[PERF_COUNT];
};

/* Opens the available counters for the calling thread, disabled. */
void perf_open(struct perf_counters *c, const struct perf_probe *probe);
void perf_enable(struct perf_counters *c);
void perf_disable(struct perf_counters *c);

/* Reads the counts; have[i] is false where the counter could not be read. */
void perf_read(struct perf_counters *c, uint64_t values[PERF_COUNT], bool have[PERF_COUNT]);
void perf_close(struct perf_counters *c);

const char *perf_name(enum perf_counter c);

#endif
