#include "verdict.h"

#include "backend.h"
#include "kind.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A kind's lower-is-better metric: "mmap 100x less pss_per_process_bytes than pread". */
static void lower_text(const struct results_comparison *c, const char *a, const char *b, char *buf,
                       size_t len)
{
    double r = c->ratio >= 1 ? c->ratio : 1 / c->ratio;
    const char *less = c->ratio <= 1 ? a : b, *more = c->ratio <= 1 ? b : a;
    bool significant = !isnan(c->ci_low) && (c->ci_low > 1 || c->ci_high < 1);
    if (isnan(c->ci_low) && r < 1.05)
        snprintf(buf, len, "%s/%s %s %.3g (no interval: fewer than 3 repetitions)", a, b, c->metric,
                 c->ratio);
    else if (!significant && !isnan(c->ci_low))
        snprintf(buf, len, "no significant difference in %s between %s and %s (%.2f [%.2f, %.2f])",
                 c->metric, a, b, c->ratio, c->ci_low, c->ci_high);
    else
        snprintf(buf, len, "%s %.3gx less %s than %s%s", less, r, c->metric, more,
                 isnan(c->ci_low) ? " (no interval: fewer than 3 repetitions)" : "");
}

void verdict_text(const struct results_comparison *c, char *buf, size_t len)
{
    const char *a = backend_get(c->numerator)->name, *b = backend_get(c->denominator)->name;
    if (c->have_ratio && c->metric) {
        lower_text(c, a, b, buf, len);
        return;
    }
    if (!c->have_ratio)
        snprintf(buf, len, "n/a (needs successful %s and %s runs)", a, b);
    else if (isnan(c->ci_low))
        snprintf(buf, len, "%s %.2fx faster than %s (no interval: fewer than %d repetitions)",
                 c->ratio >= 1 ? a : b, c->ratio >= 1 ? c->ratio : 1 / c->ratio,
                 c->ratio >= 1 ? b : a, STATS_MIN_CI_SAMPLES);
    else if (c->ci_low > 1)
        snprintf(buf, len, "%s %.2fx faster than %s [%.2f, %.2f]", a, c->ratio, b, c->ci_low,
                 c->ci_high);
    else if (c->ci_high < 1)
        snprintf(buf, len, "%s %.2fx faster than %s [%.2f, %.2f]", b, 1 / c->ratio, a,
                 1 / c->ci_high, 1 / c->ci_low);
    else
        snprintf(buf, len, "no significant difference between %s and %s (%s/%s %.2f [%.2f, %.2f])",
                 a, b, a, b, c->ratio, c->ci_low, c->ci_high);
}

/* The measured, successful values of backend b: throughputs, or the kind's metric. */
static size_t samples(const struct workload_result *wr, unsigned b, int metric, double *x)
{
    size_t n = 0;
    for (size_t i = 0; i < wr->n_runs && n < STATS_MAX_SAMPLES; i++) {
        const struct run_record *rec = &wr->runs[i];
        double v = metric < 0 ? rec->tput_mib_s : rec->kind_metric[metric];
        if (rec->backend == b && rec->role == RUN_MEASURED && rec->status == RUN_OK && !isnan(v))
            x[n++] = v;
    }
    return n;
}

static void compare(struct workload_result *wr, unsigned a, unsigned b, bool headline)
{
    struct results_comparison *c = &wr->comparisons[wr->n_comparisons++];
    memset(c, 0, sizeof(*c));
    c->numerator = a;
    c->denominator = b;
    c->headline = headline;
    c->ratio = c->ci_low = c->ci_high = NAN;
    const struct kind_ops *kind = kind_of(wr->w);
    int metric = kind->compare_metric;
    c->metric = metric >= 0 ? kind->metrics[metric].name : NULL;
    double x[STATS_MAX_SAMPLES], y[STATS_MAX_SAMPLES];
    size_t nx = samples(wr, a, metric, x), ny = samples(wr, b, metric, y);
    if (nx && ny) {
        /* One seed per pair: the same pair gets the same interval in every run. */
        uint64_t seed = wr->w->seed ^ 0xc0ffeeULL ^ ((uint64_t)a << 8) ^ b;
        c->ratio = stats_ratio_ci(x, nx, y, ny, seed, &c->ci_low, &c->ci_high);
        c->have_ratio = !isnan(c->ratio);
    }
    verdict_text(c, c->verdict, sizeof(c->verdict));
}

void verdict_workload(struct workload_result *wr)
{
    const struct workload *w = wr->w;
    wr->n_comparisons = 0;
    int mmap = backend_find("mmap"), pread = backend_find("pread");
    bool both =
        mmap >= 0 && pread >= 0 && backend_runs(w, (size_t)mmap) && backend_runs(w, (size_t)pread);
    unsigned base = (unsigned)w->baseline;
    for (size_t b = 0; b < backend_count() && b < RESULTS_MAX_BACKENDS; b++) {
        if (!backend_runs(w, b) || b == base)
            continue;
        compare(wr, (unsigned)b, base, both && (int)b == mmap && (int)base == pread);
    }
    if (both && (int)base != pread && (int)base != mmap)
        compare(wr, (unsigned)mmap, (unsigned)pread, true);
    else if (both && (int)base == mmap) /* the headline reads mmap/pread, whatever the baseline */
        compare(wr, (unsigned)mmap, (unsigned)pread, true);
}
