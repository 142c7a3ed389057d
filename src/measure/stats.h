/* Statistics over repetitions.
 *
 * Confidence intervals are percentile bootstraps: STATS_BOOTSTRAP_RESAMPLES resamples
 * with replacement, drawn from xoshiro256** seeded with the given seed (results are
 * reproducible), and the 2.5th and 97.5th percentiles of the resampled statistic.
 * Outliers are values whose modified z-score 0.6745 * (x - median) / MAD exceeds 3.5
 * (Iglewicz and Hoaglin); they are counted, never dropped. */
#ifndef MMBENCH_STATS_H
#define MMBENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATS_BOOTSTRAP_RESAMPLES 2000
#define STATS_MAX_SAMPLES         1000 /* repetitions are capped at this */
#define STATS_MIN_CI_SAMPLES      3    /* fewer: no interval (NAN) */

struct stats_summary {
    size_t n;
    double mean;
    double median;
    double stddev; /* sample standard deviation (n - 1) */
    double cv;     /* stddev / mean; NAN when n < 2 */
    double min;
    double max;
    double ci_low; /* 95% bootstrap interval of the median; NAN when n < 3 */
    double ci_high;
    size_t outliers; /* modified z-score > 3.5 */
};

/* Median of x (n >= 1); x is not modified. NAN when n == 0. */
double stats_median(const double *x, size_t n);

/* Summary of x[0..n). */
void stats_summarize(const double *x, size_t n, uint64_t seed, struct stats_summary *out);

/* Marks outliers in flags (may be NULL) and returns their count. */
size_t stats_outliers(const double *x, size_t n, bool *flags);

/* Ratio of medians a / b with its 95% bootstrap interval (a and b resampled
 * independently). The interval is NAN when either side has fewer than 3 values.
 * Returns the ratio (NAN if b's median is 0 or a side is empty). */
double stats_ratio_ci(const double *a, size_t na, const double *b, size_t nb, uint64_t seed,
                      double *ci_low, double *ci_high);

#endif
