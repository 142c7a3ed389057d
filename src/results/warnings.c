#include "warnings.h"

#include "kind.h"
#include "stats.h"
#include "units.h"

#include <math.h>
#include <stdio.h>

#include <string.h>

void warnings_check_context(struct results *res, const struct sysinfo_context *si)
{
    if (si->debug_build)
        results_warn(res,
                     "this is a %s build of mmbench: rebuild with meson --buildtype=release "
                     "(./mmbench does) before trusting its numbers",
                     si->build_type);
    if (strncmp(si->governor, "n/a", 3) != 0 && strcmp(si->governor, "performance") != 0)
        results_warn(res,
                     "CPU frequency governor is %s, not performance: clock changes add noise "
                     "(cpupower frequency-set -g performance)",
                     si->governor);
    if (si->loadavg_1m > WARN_LOAD_PER_CPU * si->online_cpus)
        results_warn(res,
                     "load average %.2f on %d CPUs at the start: other work competes with the "
                     "benchmark; close other programs or wait",
                     si->loadavg_1m, si->online_cpus);
    if (strcmp(si->hypervisor, "none") != 0)
        results_warn(res,
                     "running under a hypervisor (%s): absolute numbers depend on the host; "
                     "compare ratios within one run",
                     si->hypervisor);
}

void warnings_check_series(struct workload_result *wr, struct results *res, const char *backend,
                           const double *tput, size_t n, const struct results_summary *s)
{
    const struct workload *w = wr->w;
    /* A kind without a throughput of interest (footprint, cow, claim) counts bytes only to
     * fill the common columns: their spread says nothing about its figures. */
    bool throughput_matters = kind_of(w)->io_table;
    if (throughput_matters && n >= 2 && s->tput.cv > WARN_CV)
        workload_result_warn(
            wr, res,
            "%s/%s: throughput varies by %.1f%% (coefficient of variation) over %zu "
            "repetitions: the machine is noisy or the runs too short; close other "
            "programs, or raise duration or repetitions",
            w->name, backend, 100 * s->tput.cv, n);
    if (throughput_matters && s->tput.outliers && n >= WARN_OUTLIER_MIN_SAMPLES)
        workload_result_warn(
            wr, res,
            "%s/%s: %zu outlier repetition(s) (modified z-score > 3.5), kept in the "
            "aggregates; see runs.csv",
            w->name, backend, s->tput.outliers);
    if (s->cache_state_missed)
        workload_result_warn(
            wr, res,
            "%s/%s: cache %s was asked, but %zu of %zu repetitions did not start that "
            "way (%.1f%% of the file resident, median); flagged in runs.csv "
            "(cache_state_reached)%s",
            w->name, backend, cache_names[w->cache], s->cache_state_missed, n,
            s->metric[METRIC_RESIDENT_BEFORE_PCT],
            w->cache == CACHE_COLD ? ": DONTNEED keeps mapped and dirty pages; try "
                                     "cold_method drop_caches as root"
                                   : ": the file may not fit in memory or cache_limit");
    double dev_w = s->metric[METRIC_WRITE_AMPLIFICATION];
    double task_w = s->metric[METRIC_TASK_WRITE_AMPLIFICATION];
    if (dev_w > WARN_WRITE_AMPLIFICATION) {
        char block[32], dirtied[32], cause[160] = "";
        units_format_size(w->block_size_bytes, block, sizeof(block));
        units_format_bytes_short(task_w * (double)w->block_size_bytes, dirtied, sizeof(dirtied));
        if (!isnan(task_w))
            snprintf(cause, sizeof(cause),
                     ": each %s store dirtied %s on average (the workers' write_bytes), and "
                     "whole dirty pages or folios are written back",
                     block, dirtied);
        workload_result_warn(wr, res,
                             "%s/%s: the device wrote %.0fx the bytes the workload wrote (write "
                             "amplification %.3g)%s",
                             w->name, backend, dev_w, dev_w, cause);
    }
    /* Device counters see every process: say so when they saw much more than the workload
     * caused. */
    double dev_r = s->metric[METRIC_READ_AMPLIFICATION];
    double task_r = s->metric[METRIC_TASK_READ_AMPLIFICATION];
    if (!isnan(dev_r) && !isnan(task_r) && dev_r > 0.1 && dev_r > WARN_FOREIGN_TRAFFIC * task_r)
        workload_result_warn(wr, res,
                             "%s/%s: the device read %.3gx the bytes the workload read, but the "
                             "workers caused %.3gx: other processes' I/O is in the device "
                             "counters (run on a quiet machine; task_read_amplification is the "
                             "workload's own)",
                             w->name, backend, dev_r, task_r);
    if (!isnan(dev_w) && !isnan(task_w) && dev_w > 0.1 && dev_w > WARN_FOREIGN_TRAFFIC * task_w)
        workload_result_warn(wr, res,
                             "%s/%s: the device wrote %.3gx the bytes the workload wrote, but the "
                             "workers dirtied %.3gx: other processes' (or the journal's) writes "
                             "are in the device counters",
                             w->name, backend, dev_w, task_w);
    /* The first measured repetition much slower than the rest: it paid for warming up. */
    if (n >= 3) {
        double rest = stats_median(tput + 1, n - 1);
        if (tput[0] > 0 && rest / tput[0] > WARN_FIRST_SLOW)
            workload_result_warn(
                wr, res,
                "%s/%s: the first repetition was %.1fx slower than the rest: raise "
                "warmup (now %u)",
                w->name, backend, rest / tput[0], w->warmup);
    }
}
