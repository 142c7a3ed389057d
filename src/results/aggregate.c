#include "aggregate.h"

#include "backend.h"
#include "kind.h"
#include "levels.h"
#include "warnings.h"

#include <math.h>
#include <string.h>

static bool measured_ok(const struct run_record *rec, unsigned backend)
{
    return rec->backend == backend && rec->role == RUN_MEASURED && rec->status == RUN_OK;
}

/* Median of metric id over the backend's measured ok runs; NAN when no run has it. */
static double metric_median(const struct workload_result *wr, unsigned backend, enum metric_id id)
{
    double x[STATS_MAX_SAMPLES];
    size_t n = 0;
    for (size_t i = 0; i < wr->n_runs && n < STATS_MAX_SAMPLES; i++) {
        if (!measured_ok(&wr->runs[i], backend))
            continue;
        double v = metric_value(id, &wr->runs[i], wr->w);
        if (!isnan(v))
            x[n++] = v;
    }
    return n ? stats_median(x, n) : NAN;
}

/* Levels of every run with a time series, and the summary's: those of the measured run
 * whose throughput is the median (the run the summary's figure describes best). */
static void summarize_levels(struct workload_result *wr, unsigned b, struct results_summary *s)
{
    const struct run_record *median = NULL;
    double target = s->tput.median;
    for (size_t i = 0; i < wr->n_runs; i++) {
        struct run_record *rec = &wr->runs[i];
        if (rec->backend != b || !rec->timeline_points)
            continue;
        rec->n_levels = levels_detect(&wr->points[rec->timeline_first], rec->timeline_points,
                                      wr->w->block_size_bytes, rec->levels, RESULTS_MAX_LEVELS);
        if (!measured_ok(rec, b))
            continue;
        s->runs_with_levels += rec->n_levels > 1;
        if (!median || fabs(rec->tput_mib_s - target) < fabs(median->tput_mib_s - target))
            median = rec;
    }
    if (!median)
        return;
    s->n_levels = median->n_levels;
    memcpy(s->levels, median->levels, sizeof(s->levels));
    levels_explain(&wr->points[median->timeline_first], median->timeline_points, median->levels,
                   median->n_levels, s->level_change, sizeof(s->level_change));
}

/* The throughputs of backend b's ok runs of role. */
static size_t tputs(const struct workload_result *wr, unsigned b, enum run_role role, double *x)
{
    size_t n = 0;
    for (size_t i = 0; i < wr->n_runs && n < STATS_MAX_SAMPLES; i++) {
        const struct run_record *rec = &wr->runs[i];
        if (rec->backend == b && rec->role == role && rec->status == RUN_OK)
            x[n++] = rec->tput_mib_s;
    }
    return n;
}

/* What the instrument cost: latency: all against the runs with latency off (a bootstrap
 * interval of the ratio of medians), the profiled round against the measured median. */
static void summarize_costs(const struct workload_result *wr, unsigned b, struct results_summary *s)
{
    double measured[STATS_MAX_SAMPLES], extra[STATS_MAX_SAMPLES];
    size_t nm = tputs(wr, b, RUN_MEASURED, measured);
    s->latency_cost_pct = s->latency_cost_ci_low_pct = s->latency_cost_ci_high_pct = NAN;
    s->profile_cost_pct = NAN;
    size_t ne = tputs(wr, b, RUN_LATENCY_OFF, extra);
    if (nm && ne) {
        double lo, hi;
        double ratio = stats_ratio_ci(measured, nm, extra, ne, wr->w->seed ^ 0x1a7e ^ b, &lo, &hi);
        s->latency_cost_pct = 100 * (1 - ratio);
        s->latency_cost_ci_low_pct = 100 * (1 - hi); /* a higher ratio is a lower cost */
        s->latency_cost_ci_high_pct = 100 * (1 - lo);
    }
    ne = tputs(wr, b, RUN_PROFILED, extra);
    if (nm && ne)
        s->profile_cost_pct = 100 * (1 - stats_median(extra, ne) / stats_median(measured, nm));
}

static void summarize_backend(struct workload_result *wr, struct results *res, unsigned b)
{
    const struct workload *w = wr->w;
    struct results_summary *s = &wr->summaries[wr->n_summaries++];
    memset(s, 0, sizeof(*s));
    s->backend = b;
    double tput[STATS_MAX_SAMPLES] = {0}, ops_s[STATS_MAX_SAMPLES];
    size_t n = 0;
    for (size_t i = 0; i < wr->n_runs; i++) {
        const struct run_record *rec = &wr->runs[i];
        if (rec->backend != b || rec->role != RUN_MEASURED)
            continue;
        if (rec->status == RUN_OK && n < STATS_MAX_SAMPLES) {
            ops_s[n] = rec->ops_s;
            tput[n++] = rec->tput_mib_s;
        } else if (rec->status == RUN_FAILED) {
            s->n_failed++;
        }
        if (rec->status == RUN_OK && !rec->cache_state_reached)
            s->cache_state_missed++;
    }
    s->n_ok = n;
    stats_summarize(tput, n, w->seed ^ (0x51a7ULL + b), &s->tput);
    s->ops_s_median = n ? stats_median(ops_s, n) : NAN;
    s->latency_hist = wr->latency[b];
    s->flush_hist = wr->flush[b];
    hist_summarize(wr->latency[b], &s->latency);
    hist_summarize(wr->flush[b], &s->flush);
    /* The derived metrics are the timed loop's (a kind of its own measures its figures,
     * kind_metric): only io's runs have them. */
    bool io = !kind_of(w)->run;
    for (int m = 0; m < METRIC_COUNT; m++)
        s->metric[m] = io || m == METRIC_RESIDENT_BEFORE_PCT || m == METRIC_RESIDENT_AFTER_PCT
                           ? metric_median(wr, b, (enum metric_id)m)
                           : NAN;
    for (int m = 0; m < RESULTS_KIND_METRICS; m++) {
        double x[STATS_MAX_SAMPLES];
        size_t k = 0;
        for (size_t i = 0; i < wr->n_runs && k < STATS_MAX_SAMPLES; i++)
            if (measured_ok(&wr->runs[i], b) && !isnan(wr->runs[i].kind_metric[m]))
                x[k++] = wr->runs[i].kind_metric[m];
        s->kind_metric[m] = k ? stats_median(x, k) : NAN;
    }
    summarize_levels(wr, b, s);
    summarize_costs(wr, b, s);
    warnings_check_series(wr, res, backend_get(b)->name, tput, n, s);
}

void aggregate_workload(struct workload_result *wr, struct results *res)
{
    wr->n_summaries = 0;
    for (size_t b = 0; b < backend_count() && b < RESULTS_MAX_BACKENDS; b++)
        if (backend_runs(wr->w, b))
            summarize_backend(wr, res, (unsigned)b);
}
