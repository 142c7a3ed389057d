#include "levels.h"

#include "stats.h"
#include "units.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RATES 100000 /* longer series are judged on their first points */

/* Per-interval throughput (MiB/s) and the interval ends (s), without a short last one. */
static size_t rates(const struct timeline_point *p, size_t n, uint64_t block_bytes, double *r,
                    double *end_s)
{
    size_t m = 0;
    if (n < 2)
        return 0;
    double typical = (double)(p[1].t_ns - p[0].t_ns);
    for (size_t i = 1; i < n && m < MAX_RATES; i++) {
        double dt = (double)(p[i].t_ns - p[i - 1].t_ns);
        if (dt <= 0 || (i == n - 1 && n > 2 && dt < typical / 2))
            continue;
        r[m] = (double)((p[i].ops - p[i - 1].ops) * block_bytes) / 1048576.0 / (dt / 1e9);
        end_s[m++] = (double)p[i].t_ns / 1e9;
    }
    return m;
}

static double mean(const double *x, size_t a, size_t b)
{
    double s = 0;
    for (size_t i = a; i < b; i++)
        s += x[i];
    return s / (double)(b - a);
}

static double sse(const double *x, size_t a, size_t b)
{
    double m = mean(x, a, b), s = 0;
    for (size_t i = a; i < b; i++)
        s += (x[i] - m) * (x[i] - m);
    return s;
}

/* Noise: 1.4826 MAD of the first differences / sqrt(2), robust to a few steps. */
static double noise(const double *x, size_t n)
{
    if (n < 3)
        return 0;
    double *d = malloc((n - 1) * sizeof(*d));
    if (!d)
        return 0;
    for (size_t i = 1; i < n; i++)
        d[i - 1] = fabs(x[i] - x[i - 1]);
    double mad = stats_median(d, n - 1);
    free(d);
    return 1.4826 * mad / sqrt(2.0);
}

struct segment {
    size_t a, b; /* [a, b) of the rates */
};

static int by_start(const void *x, const void *y)
{
    const struct segment *s = x, *t = y;
    return s->a < t->a ? -1 : s->a > t->a;
}

unsigned levels_detect(const struct timeline_point *p, size_t n, uint64_t block_bytes,
                       struct timeline_level *out, unsigned max)
{
    double *r = malloc(2 * (n ? n : 1) * sizeof(*r));
    if (!r)
        return 0;
    double *end_s = r + n;
    size_t m = rates(p, n, block_bytes, r, end_s);
    if (m == 0 || max == 0) {
        free(r);
        return 0;
    }
    double sigma = noise(r, m);
    double penalty = 3 * sigma * sigma * log((double)m);
    struct segment seg[RESULTS_MAX_LEVELS] = {{0, m}};
    unsigned n_seg = 1;
    bool split = true;
    while (split && n_seg < max && n_seg < RESULTS_MAX_LEVELS) {
        split = false;
        double best_gain = 0;
        unsigned best_seg = 0;
        size_t best_k = 0;
        for (unsigned s = 0; s < n_seg; s++) {
            size_t a = seg[s].a, b = seg[s].b;
            if (b - a < 2 * LEVELS_MIN_POINTS)
                continue;
            double whole = sse(r, a, b);
            for (size_t k = a + LEVELS_MIN_POINTS; k + LEVELS_MIN_POINTS <= b; k++) {
                double left = mean(r, a, k), right = mean(r, k, b);
                double bigger = left > right ? left : right;
                if (bigger <= 0 || fabs(left - right) < LEVELS_MIN_CHANGE * bigger)
                    continue;
                double gain = whole - sse(r, a, k) - sse(r, k, b);
                if (gain > penalty && gain > best_gain) {
                    best_gain = gain;
                    best_seg = s;
                    best_k = k;
                }
            }
        }
        if (best_k) {
            seg[n_seg] = (struct segment){best_k, seg[best_seg].b};
            seg[best_seg].b = best_k;
            n_seg++;
            split = true;
        }
    }
    qsort(seg, n_seg, sizeof(seg[0]), by_start);
    for (unsigned s = 0; s < n_seg; s++) {
        out[s].start_s = seg[s].a == 0 ? 0 : end_s[seg[s].a - 1];
        out[s].end_s = end_s[seg[s].b - 1];
        out[s].tput_mib_s = mean(r, seg[s].a, seg[s].b);
    }
    free(r);
    return n_seg;
}

void levels_describe(const struct timeline_level *levels, unsigned n, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < n && used < len; i++) {
        int k;
        if (i + 1 < n)
            k = snprintf(buf + used, len - used, "%s%.0f MiB/s until %.1f s", i ? ", then " : "",
                         levels[i].tput_mib_s, levels[i].end_s);
        else
            k = snprintf(buf + used, len - used, "%s%.0f MiB/s", i ? ", then " : "",
                         levels[i].tput_mib_s);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

/* The point whose time is the closest to t_s at or after it. */
static size_t point_at(const struct timeline_point *p, size_t n, double t_s)
{
    for (size_t i = 0; i < n; i++)
        if ((double)p[i].t_ns / 1e9 >= t_s - 1e-9)
            return i;
    return n - 1;
}

/* Appends "name a -> b unit" when a counter per operation changed by 2x or more (and by
 * something that is not nothing). */
static size_t append_change(char *buf, size_t used, size_t len, const char *name, double a,
                            double b, bool bytes, double floor_value)
{
    double hi = a > b ? a : b, lo = a > b ? b : a;
    if (used >= len || hi < floor_value || (lo > 0 && hi / lo < 2))
        return used;
    char x[32], y[32];
    if (bytes) {
        units_format_bytes_short(a, x, sizeof(x));
        units_format_bytes_short(b, y, sizeof(y));
    } else {
        snprintf(x, sizeof(x), "%.3g", a);
        snprintf(y, sizeof(y), "%.3g", b);
    }
    int k = snprintf(buf + used, len - used, "%s%s %s -> %s per operation", used ? ", " : "", name,
                     x, y);
    return k > 0 ? used + (size_t)k : used;
}

void levels_explain(const struct timeline_point *p, size_t n, const struct timeline_level *levels,
                    unsigned n_levels, char *buf, size_t len)
{
    buf[0] = '\0';
    if (n_levels < 2 || n < 2)
        return;
    size_t a0 = point_at(p, n, levels[0].start_s), a1 = point_at(p, n, levels[0].end_s);
    size_t b1 = point_at(p, n, levels[1].end_s);
    double ops_a = (double)(p[a1].ops - p[a0].ops), ops_b = (double)(p[b1].ops - p[a1].ops);
    if (ops_a <= 0 || ops_b <= 0)
        return;
#define PER_OP(field, from, to, ops) ((double)(p[to].field - p[from].field) / (ops))
    size_t used = 0;
    used = append_change(buf, used, len, "major faults", PER_OP(majflt, a0, a1, ops_a),
                         PER_OP(majflt, a1, b1, ops_b), false, 1e-3);
    used = append_change(buf, used, len, "minor faults", PER_OP(minflt, a0, a1, ops_a),
                         PER_OP(minflt, a1, b1, ops_b), false, 1e-3);
    used = append_change(buf, used, len, "device reads", PER_OP(dev_read_bytes, a0, a1, ops_a),
                         PER_OP(dev_read_bytes, a1, b1, ops_b), true, 64);
    used = append_change(buf, used, len, "device writes", PER_OP(dev_write_bytes, a0, a1, ops_a),
                         PER_OP(dev_write_bytes, a1, b1, ops_b), true, 64);
    used = append_change(buf, used, len, "TLB shootdowns", PER_OP(tlb_shootdowns, a0, a1, ops_a),
                         PER_OP(tlb_shootdowns, a1, b1, ops_b), false, 1e-3);
#undef PER_OP
    /* The resident share as context when something changed with it, or when it moved. */
    if (!isnan(p[a1].resident_pct) && !isnan(p[b1].resident_pct) && used < len &&
        (used > 0 || fabs(p[b1].resident_pct - p[a1].resident_pct) >= 1)) {
        int k = snprintf(buf + used, len - used, "%sresident %.0f%% -> %.0f%% of the file",
                         used ? ", " : "", p[a1].resident_pct, p[b1].resident_pct);
        used = k > 0 ? used + (size_t)k : used;
    }
    if (!isnan(p[a1].dirty_pct) && !isnan(p[b1].dirty_pct) && used < len &&
        fabs(p[b1].dirty_pct - p[a1].dirty_pct) >= 1) {
        int k = snprintf(buf + used, len - used, "%sdirty %.0f%% -> %.0f%%", used ? ", " : "",
                         p[a1].dirty_pct, p[b1].dirty_pct);
        used = k > 0 ? used + (size_t)k : used;
    }
    if (used == 0)
        snprintf(buf, len,
                 "no counter of the workload changed with it (other activity on the "
                 "machine?)");
}
