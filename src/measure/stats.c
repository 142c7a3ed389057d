#include "stats.h"

#include "prng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of a sorted array. */
static double sorted_median(const double *s, size_t n)
{
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

double stats_median(const double *x, size_t n)
{
    if (n == 0 || n > STATS_MAX_SAMPLES)
        return NAN;
    double s[STATS_MAX_SAMPLES];
    memcpy(s, x, n * sizeof(*x));
    qsort(s, n, sizeof(*s), compare_double);
    return sorted_median(s, n);
}

size_t stats_outliers(const double *x, size_t n, bool *flags)
{
    if (n == 0 || n > STATS_MAX_SAMPLES)
        return 0;
    double med = stats_median(x, n);
    double dev[STATS_MAX_SAMPLES];
    for (size_t i = 0; i < n; i++)
        dev[i] = fabs(x[i] - med);
    double mad = stats_median(dev, n);
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        /* With MAD 0 (most values equal), any value off the median is an outlier. */
        bool out = mad > 0 ? 0.6745 * dev[i] / mad > 3.5 : dev[i] > 0;
        if (flags)
            flags[i] = out;
        count += out;
    }
    return count;
}

/* Median of a resample of x drawn with p. */
static double resample_median(const double *x, size_t n, struct prng *p, double *scratch)
{
    for (size_t i = 0; i < n; i++)
        scratch[i] = x[prng_below(p, n)];
    qsort(scratch, n, sizeof(*scratch), compare_double);
    return sorted_median(scratch, n);
}

static void percentile_interval(double *values, size_t n, double *low, double *high)
{
    qsort(values, n, sizeof(*values), compare_double);
    size_t lo = (size_t)floor(0.025 * (double)(n - 1));
    size_t hi = (size_t)ceil(0.975 * (double)(n - 1));
    *low = values[lo];
    *high = values[hi];
}

void stats_summarize(const double *x, size_t n, uint64_t seed, struct stats_summary *out)
{
    memset(out, 0, sizeof(*out));
    out->n = n;
    out->mean = out->median = out->stddev = out->cv = NAN;
    out->min = out->max = out->ci_low = out->ci_high = NAN;
    if (n == 0 || n > STATS_MAX_SAMPLES)
        return;
    double sum = 0;
    out->min = out->max = x[0];
    for (size_t i = 0; i < n; i++) {
        sum += x[i];
        out->min = x[i] < out->min ? x[i] : out->min;
        out->max = x[i] > out->max ? x[i] : out->max;
    }
    out->mean = sum / (double)n;
    out->median = stats_median(x, n);
    if (n >= 2) {
        double ss = 0;
        for (size_t i = 0; i < n; i++)
            ss += (x[i] - out->mean) * (x[i] - out->mean);
        out->stddev = sqrt(ss / (double)(n - 1));
        out->cv = out->mean != 0 ? out->stddev / out->mean : NAN;
    } else {
        out->stddev = 0;
    }
    out->outliers = stats_outliers(x, n, NULL);
    if (n < STATS_MIN_CI_SAMPLES)
        return;
    double *medians = malloc(STATS_BOOTSTRAP_RESAMPLES * sizeof(*medians));
    double scratch[STATS_MAX_SAMPLES];
    if (!medians)
        return;
    struct prng p;
    prng_seed(&p, seed);
    for (size_t b = 0; b < STATS_BOOTSTRAP_RESAMPLES; b++)
        medians[b] = resample_median(x, n, &p, scratch);
    percentile_interval(medians, STATS_BOOTSTRAP_RESAMPLES, &out->ci_low, &out->ci_high);
    free(medians);
}

double stats_ratio_ci(const double *a, size_t na, const double *b, size_t nb, uint64_t seed,
                      double *ci_low, double *ci_high)
{
    *ci_low = *ci_high = NAN;
    if (na == 0 || nb == 0 || na > STATS_MAX_SAMPLES || nb > STATS_MAX_SAMPLES)
        return NAN;
    double mb = stats_median(b, nb);
    if (mb == 0)
        return NAN;
    double ratio = stats_median(a, na) / mb;
    if (na < STATS_MIN_CI_SAMPLES || nb < STATS_MIN_CI_SAMPLES)
        return ratio;
    double *ratios = malloc(STATS_BOOTSTRAP_RESAMPLES * sizeof(*ratios));
    double scratch[STATS_MAX_SAMPLES];
    if (!ratios)
        return ratio;
    struct prng p;
    prng_seed(&p, seed);
    size_t n = 0;
    for (size_t i = 0; i < STATS_BOOTSTRAP_RESAMPLES; i++) {
        double ma = resample_median(a, na, &p, scratch);
        double mbr = resample_median(b, nb, &p, scratch);
        if (mbr != 0)
            ratios[n++] = ma / mbr;
    }
    if (n > 0)
        percentile_interval(ratios, n, ci_low, ci_high);
    free(ratios);
    return ratio;
}
