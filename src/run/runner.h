/* The runner: for each workload, the data file, the schedule of repetitions (backends
 * interleaved in a randomised, recorded order, warm-up rounds first), the page-cache
 * state before each phase (verified), the phase itself, and the aggregates, checksum
 * verification and warnings once the workload is done. */
#ifndef MMBENCH_RUNNER_H
#define MMBENCH_RUNNER_H

#include "datafile.h"
#include "perf.h"
#include "results.h"
#include "workload.h"

#include <stdbool.h>
#include <stddef.h>

struct runner_env {
    struct datafile_set *files;
    const struct perf_probe *perf;
    bool keep_files;
    bool progress; /* progress line on stderr */
    /* Called after each workload (also an interrupted one), with its verified runs,
     * aggregates and verdicts: report and save them; wr is reused afterwards. */
    void (*workload_done)(void *arg, const struct workload_result *wr);
    void *workload_done_arg;
};

/* Checks what can be checked before anything is created: root-only features and cgroup
 * support. Returns 0 or -EPERM/-ENOTSUP with the reason in err. */
int runner_preflight(const struct workload *workloads, size_t n, char *err, size_t err_len);

/* Runs every workload. Failures are recorded in the results, not returned; returns
 * -EINTR when interrupted by a signal, -ENOMEM, else 0. res keeps the run-wide totals. */
int runner_run(const struct workload *workloads, size_t n, struct results *res,
               const struct runner_env *env);

/* Number of timed phases the workloads need (for the progress estimate and --dry-run). */
size_t runner_phase_count(const struct workload *workloads, size_t n);

/* Estimated run time in ns (phases x max(duration, min_time); ops workloads count as
 * their min_time or 1 s). */
uint64_t runner_estimate_ns(const struct workload *workloads, size_t n);

#endif
