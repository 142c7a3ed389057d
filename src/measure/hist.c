#include "hist.h"

#include <math.h>
#include <string.h>

void hist_init(struct hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min_ns = UINT64_MAX;
}

void hist_merge(struct hist *into, const struct hist *from)
{
    if (from->count == 0)
        return;
    into->count += from->count;
    into->sum_ns += from->sum_ns;
    into->min_ns = from->min_ns < into->min_ns ? from->min_ns : into->min_ns;
    into->max_ns = from->max_ns > into->max_ns ? from->max_ns : into->max_ns;
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        into->buckets[i] += from->buckets[i];
}

uint64_t hist_bucket_lower_ns(unsigned i)
{
    unsigned group = i >> HIST_BITS, sub = i & (HIST_SUB - 1);
    if (group == 0)
        return sub;
    return (uint64_t)(HIST_SUB + sub) << (group - 1);
}

uint64_t hist_bucket_upper_ns(unsigned i)
{
    unsigned group = i >> HIST_BITS;
    return hist_bucket_lower_ns(i) + (group == 0 ? 1 : 1ULL << (group - 1));
}

double hist_percentile(const struct hist *h, double pct)
{
    if (h->count == 0)
        return NAN;
    if (pct <= 0)
        return (double)h->min_ns;
    if (pct >= 100)
        return (double)h->max_ns;
    uint64_t rank = (uint64_t)ceil(pct / 100.0 * (double)h->count);
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            double lower = (double)hist_bucket_lower_ns(i);
            double upper = (double)hist_bucket_upper_ns(i) - 1; /* highest value it holds */
            double mid = (lower + upper) / 2;
            /* The exact extremes are known: never report outside them. */
            if (mid < (double)h->min_ns)
                mid = (double)h->min_ns;
            if (mid > (double)h->max_ns)
                mid = (double)h->max_ns;
            return mid;
        }
    }
    return (double)h->max_ns;
}

double hist_mean(const struct hist *h)
{
    return h->count ? (double)h->sum_ns / (double)h->count : NAN;
}

/* Percentile pct, when enough values lie above it to place it (HIST_TAIL_MIN). */
static double supported_percentile(const struct hist *h, double pct)
{
    return (double)h->count * (100 - pct) / 100 >= HIST_TAIL_MIN - 1e-9 ? hist_percentile(h, pct)
                                                                        : NAN;
}

void hist_summarize(const struct hist *h, struct hist_summary *s)
{
    s->count = h->count;
    s->mean_ns = hist_mean(h);
    s->p50_ns = supported_percentile(h, 50);
    s->p90_ns = supported_percentile(h, 90);
    s->p99_ns = supported_percentile(h, 99);
    s->p999_ns = supported_percentile(h, 99.9);
    s->max_ns = h->count ? (double)h->max_ns : NAN;
}
