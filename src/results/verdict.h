/* Verdicts: each backend's throughput compared with the workload's baseline backend, as a
 * ratio of medians with a 95% bootstrap interval, and the familiar mmap/pread verdict as
 * the headline whenever both ran. */
#ifndef MMBENCH_VERDICT_H
#define MMBENCH_VERDICT_H

#include "results.h"

#include <stddef.h>

/* Adds to wr (after aggregate_workload) one comparison per backend but the baseline
 * against the baseline, and mmap against pread when both ran and pread is not the
 * baseline. */
void verdict_workload(struct workload_result *wr);

/* Writes "mmap 2.31x faster than pread [2.20, 2.45]", "no significant difference
 * between io_uring and pread (0.98 [0.95, 1.02])", ... for c. */
void verdict_text(const struct results_comparison *c, char *buf, size_t len);

#endif
