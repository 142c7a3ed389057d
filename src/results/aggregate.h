/* Aggregates of a workload's measured repetitions, per backend: throughput statistics
 * with a bootstrap interval, the merged latency and flush histograms, the medians of
 * every derived metric (metrics.h), and the warnings the series calls for. */
#ifndef MMBENCH_AGGREGATE_H
#define MMBENCH_AGGREGATE_H

#include "results.h"

/* Adds a summary per backend the workload ran to wr (after checks_verify), and records
 * its warnings (noise, outliers, cache state missed, a slow first repetition). */
void aggregate_workload(struct workload_result *wr, struct results *res);

#endif
