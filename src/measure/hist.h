/* Fixed-size log-linear latency histograms (the design of fio's stat.h).
 *
 * Values below 2^HIST_BITS ns are counted exactly; above, each power-of-two range is
 * split into 2^HIST_BITS equal buckets, so a bucket is at most 1/64 of its lower bound
 * wide. Percentiles report the bucket's midpoint: relative error at most 1/128 (0.8%).
 * Values of 2^48 ns (78 hours) or more land in the last bucket. Min, max, count and sum
 * are exact. Adding a value costs a count-leading-zeros, a shift and five stores. */
#ifndef MMBENCH_HIST_H
#define MMBENCH_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_BITS    6
#define HIST_SUB     (1u << HIST_BITS)
#define HIST_MAX_MSB 47
#define HIST_GROUPS  (HIST_MAX_MSB - HIST_BITS + 2)
#define HIST_BUCKETS (HIST_GROUPS * HIST_SUB)

struct hist {
    uint64_t count;
    uint64_t sum_ns;
    uint64_t min_ns;
    uint64_t max_ns;
    uint64_t buckets[HIST_BUCKETS];
};

static inline unsigned hist_index(uint64_t ns)
{
    if (ns < HIST_SUB)
        return (unsigned)ns;
    unsigned msb = 63u - (unsigned)__builtin_clzll(ns);
    if (msb > HIST_MAX_MSB)
        return HIST_BUCKETS - 1;
    unsigned shift = msb - HIST_BITS;
    return ((shift + 1) << HIST_BITS) + (unsigned)((ns >> shift) - HIST_SUB);
}

static inline void hist_add(struct hist *h, uint64_t ns)
{
    h->count++;
    h->sum_ns += ns;
    h->min_ns = ns < h->min_ns ? ns : h->min_ns;
    h->max_ns = ns > h->max_ns ? ns : h->max_ns;
    h->buckets[hist_index(ns)]++;
}

/* A summary's percentile p is given only when at least HIST_TAIL_MIN values lie above it
 * (count x (1 - p) >= 10: p50 from 20 values, p99 from 1000, p99.9 from 10000); below
 * that it would be one of the few largest values, not a percentile, and is NAN. */
#define HIST_TAIL_MIN 10

/* What reports need of a histogram. */
struct hist_summary {
    uint64_t count;
    double mean_ns;
    double p50_ns, p90_ns, p99_ns, p999_ns; /* NAN when empty */
    double max_ns;                          /* exact; NAN when empty */
};

void hist_init(struct hist *h);
void hist_merge(struct hist *into, const struct hist *from);

/* Lowest value of bucket i, and one past its highest. */
uint64_t hist_bucket_lower_ns(unsigned i);
uint64_t hist_bucket_upper_ns(unsigned i);

/* Value below which pct percent of the values lie (bucket midpoint; exact min/max at 0
 * and 100). NAN when the histogram is empty. */
double hist_percentile(const struct hist *h, double pct);
double hist_mean(const struct hist *h);

void hist_summarize(const struct hist *h, struct hist_summary *s);

#endif
