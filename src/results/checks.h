/* Checksum verification: the same offset stream must read the same data, whatever the
 * backend and the repetition. */
#ifndef MMBENCH_CHECKS_H
#define MMBENCH_CHECKS_H

#include "results.h"

/* Compares the checksums of every successful run of wr (a read-only workload) and sets
 * wr->checksum. Runs are compared over all their operations when all did exactly the
 * same ones (ops mode), else over the largest power-of-two prefix every thread of every
 * run reached. A run that disagrees with the first successful one is marked failed, with
 * the two checksums in its error: the backends did not read the same data. Call before
 * the aggregates, so that a failed run is not counted. Returns the number of runs marked
 * failed. */
size_t checks_verify(struct workload_result *wr);

#endif
