#include "offsets.h"

#include "int128.h"
#include <errno.h>
#include <math.h>
#include <string.h>

#define SCATTER_PRIME 2305843009213693951ULL /* 2^61 - 1 */

/* log1p(x) / x, accurate near 0. */
static double helper1(double x)
{
    return fabs(x) > 1e-8 ? log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
}

/* expm1(x) / x, accurate near 0. */
static double helper2(double x)
{
    return fabs(x) > 1e-8 ? expm1(x) / x : 1 + x * 0.5 * (1 + x * (1.0 / 3) * (1 + 0.25 * x));
}

/* h(x) = x^-s, and H its integral with H(1) = 0 (log x when s = 1). */
static double zipf_h(double s, double x)
{
    return exp(-s * log(x));
}

static double zipf_big_h(double s, double x)
{
    double log_x = log(x);
    return helper2((1 - s) * log_x) * log_x;
}

static double zipf_big_h_inverse(double s, double x)
{
    double t = x * (1 - s);
    if (t < -1)
        t = -1; /* guard against rounding just below the domain */
    return exp(helper1(t) * x);
}

/* Rank in [1, n] with P(k) proportional to k^-s. */
static uint64_t zipf_rank(struct offsets *o)
{
    double s = o->zipf_s, n = (double)o->n_slots;
    for (;;) {
        double u = o->zipf_h_n + prng_unit(&o->prng) * (o->zipf_h_x1 - o->zipf_h_n);
        double x = zipf_big_h_inverse(s, u);
        double k = floor(x + 0.5);
        if (k < 1)
            k = 1;
        else if (k > n)
            k = n;
        if (k - x <= o->zipf_sd || u >= zipf_big_h(s, k + 0.5) - zipf_h(s, k))
            return (uint64_t)k;
    }
}

int offsets_init(struct offsets *o, const struct offsets_params *p)
{
    memset(o, 0, sizeof(*o));
    if (p->stride_bytes == 0 || p->block_size_bytes > p->region_size_bytes)
        return -EINVAL;
    o->pattern = p->pattern;
    o->distribution = p->distribution;
    o->op = p->op;
    o->base_bytes = p->region_offset_bytes;
    o->stride_bytes = p->stride_bytes;
    o->n_slots = (p->region_size_bytes - p->block_size_bytes) / p->stride_bytes + 1;
    o->next_slot = p->start_slot % o->n_slots;
    prng_seed(&o->prng, p->seed);

    if (p->op == OP_READWRITE) {
        double t = p->write_fraction * 18446744073709551616.0;
        o->write_threshold = t >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)t;
    }
    if (p->distribution == DIST_HOTSET) {
        double hot = ceil((double)o->n_slots * p->hotset_fraction);
        o->hot_slots = hot < 1 ? 1 : hot > (double)o->n_slots ? o->n_slots : (uint64_t)hot;
        double t = p->hotset_access_fraction * 18446744073709551616.0;
        o->hot_threshold = t >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)t;
    }
    if (p->distribution == DIST_ZIPF) {
        double s = p->zipf_theta;
        o->zipf_s = s;
        o->zipf_h_x1 = zipf_big_h(s, 1.5) - 1;
        o->zipf_h_n = zipf_big_h(s, (double)o->n_slots + 0.5);
        o->zipf_sd = 2 - zipf_big_h_inverse(s, zipf_big_h(s, 2.5) - zipf_h(s, 2));
    }
    return 0;
}

uint64_t offsets_slot_count(const struct offsets *o)
{
    return o->n_slots;
}

static uint64_t next_random_slot(struct offsets *o)
{
    switch (o->distribution) {
    case DIST_ZIPF: {
        uint64_t rank = zipf_rank(o) - 1;
        return (uint64_t)(((uint128_t)rank * SCATTER_PRIME) % o->n_slots);
    }
    case DIST_HOTSET: {
        bool hot = prng_next(&o->prng) < o->hot_threshold || o->hot_slots == o->n_slots;
        if (hot)
            return prng_below(&o->prng, o->hot_slots);
        return o->hot_slots + prng_below(&o->prng, o->n_slots - o->hot_slots);
    }
    case DIST_UNIFORM:
    default:
        return prng_below(&o->prng, o->n_slots);
    }
}

void offsets_fill(struct offsets *o, uint64_t *ops, size_t n)
{
    uint64_t base = o->base_bytes, stride = o->stride_bytes;
    uint64_t write_flag = o->op == OP_WRITE ? OFFSETS_WRITE_FLAG : 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t slot;
        if (o->pattern == PATTERN_SEQUENTIAL) {
            slot = o->next_slot;
            if (++o->next_slot == o->n_slots)
                o->next_slot = 0;
        } else {
            slot = next_random_slot(o);
        }
        uint64_t op = base + slot * stride;
        if (o->op == OP_READWRITE)
            op |= prng_next(&o->prng) < o->write_threshold ? OFFSETS_WRITE_FLAG : 0;
        else
            op |= write_flag;
        ops[i] = op;
    }
}
