/* Warnings that say what to do about numbers that may not be trustworthy: checks of the
 * run's context (debug build, CPU governor, load, hypervisor) and of each workload x
 * backend's repetitions (noise, outliers, cache state not reached, a slow first
 * repetition). Pure functions of their inputs: the tests feed them synthetic ones. */
#ifndef MMBENCH_WARNINGS_H
#define MMBENCH_WARNINGS_H

#include "results.h"
#include "sysinfo.h"
#include "workload.h"

#include <stddef.h>

#define WARN_CV                  0.05 /* coefficient of variation worth a warning */
#define WARN_FIRST_SLOW          1.5  /* first repetition this much slower: needs warm-up */
#define WARN_OUTLIER_MIN_SAMPLES 5    /* with fewer, every spread looks like an outlier */
#define WARN_LOAD_PER_CPU        0.5  /* load average per CPU at the start */
#define WARN_WRITE_AMPLIFICATION 4.0  /* device bytes per byte written worth a warning */
#define WARN_FOREIGN_TRAFFIC     2.0  /* device traffic this many times the workload's own */

/* Checks the context of the run; adds run-wide warnings to res. */
void warnings_check_context(struct results *res, const struct sysinfo_context *si);

/* Checks one workload x backend of wr: tput holds its measured, successful repetitions in
 * the order they ran; s is their summary. Warnings go to wr. */
void warnings_check_series(struct workload_result *wr, struct results *res, const char *backend,
                           const double *tput, size_t n, const struct results_summary *s);

#endif
