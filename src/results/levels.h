/* Levels within a phase: its throughput series split where the mean changes (the cache
 * filling up, writeback starting, a neighbour's I/O), and the measured counters that
 * changed with it.
 *
 * Binary segmentation on the per-interval throughput: a segment is split at the point that
 * most reduces the squared error, when that reduction exceeds 3 sigma^2 ln(n) (sigma: the
 * noise, estimated from the median absolute first difference, so that a step does not
 * inflate it), both parts span at least LEVELS_MIN_POINTS intervals, and their means
 * differ by at least LEVELS_MIN_CHANGE of the larger. At most RESULTS_MAX_LEVELS levels.
 * A last interval shorter than half the others is left out (too noisy to judge). */
#ifndef MMBENCH_LEVELS_H
#define MMBENCH_LEVELS_H

#include "results.h"

#include <stddef.h>
#include <stdint.h>

#define LEVELS_MIN_POINTS 3
#define LEVELS_MIN_CHANGE 0.2

/* The levels of the series p[0..n) (cumulative points) of a workload moving block_bytes
 * per operation. Returns their number (1: steady; 0: too short to say). */
unsigned levels_detect(const struct timeline_point *p, size_t n, uint64_t block_bytes,
                       struct timeline_level *out, unsigned max);

/* "5400 MiB/s until 27.1 s, then 900 MiB/s", and what changed between the first two
 * levels, from the points: "major faults 0 -> 0.92 per operation, device reads 0 B ->
 * 3.7 KiB per operation, resident 48% -> 50% of the file". */
void levels_describe(const struct timeline_level *levels, unsigned n, char *buf, size_t len);
void levels_explain(const struct timeline_point *p, size_t n, const struct timeline_level *levels,
                    unsigned n_levels, char *buf, size_t len);

#endif
