/* The explanation of a verdict: which measured differences between the two backends of the
 * headline comparison go with it (where their time went, system calls and faults per
 * operation, read and write amplification, waits, flushes). Every figure in it is a median
 * the workload measured; a factor is named only when the backends differ in it, and the
 * text says so when none does. */
#ifndef MMBENCH_EXPLAIN_H
#define MMBENCH_EXPLAIN_H

#include "results.h"

#include <stddef.h>

/* One or two lines (separated by '\n', without a final one) about wr's headline comparison;
 * empty when it has none or it failed. */
void explain_workload(const struct workload_result *wr, char *buf, size_t len);

/* "71% user, 1% system, 28% off CPU (22% waiting for a CPU); 0 syscalls/op, 0.00014
 * faults/op" for summary s. */
void explain_time_split(const struct results_summary *s, char *buf, size_t len);

#endif
