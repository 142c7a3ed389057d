/* Histograms: bucket geometry and the documented percentile error bound (1/128). */
#include "hist.h"
#include "prng.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

static void test_buckets(void **state)
{
    (void)state;
    /* Every value lands in the bucket whose bounds contain it. */
    static const uint64_t values[] = {0,
                                      1,
                                      63,
                                      64,
                                      65,
                                      127,
                                      128,
                                      129,
                                      1000,
                                      4095,
                                      4096,
                                      123456789,
                                      (1ULL << 47) + 12345,
                                      (1ULL << 48) - 1};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        unsigned b = hist_index(values[i]);
        assert_true(b < HIST_BUCKETS);
        if (values[i] < hist_bucket_lower_ns(b) || values[i] >= hist_bucket_upper_ns(b))
            fail_msg("%llu in bucket %u [%llu, %llu)", (unsigned long long)values[i], b,
                     (unsigned long long)hist_bucket_lower_ns(b),
                     (unsigned long long)hist_bucket_upper_ns(b));
    }
    /* Buckets tile the range without gaps. */
    for (unsigned b = 1; b < HIST_BUCKETS; b++)
        assert_int_equal(hist_bucket_lower_ns(b), hist_bucket_upper_ns(b - 1));
    assert_int_equal(hist_index(UINT64_MAX), HIST_BUCKETS - 1);
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Exact percentile of sorted values, with the same rank rule as hist_percentile. */
static uint64_t exact_percentile(const uint64_t *sorted, size_t n, double pct)
{
    size_t rank = (size_t)ceil(pct / 100.0 * (double)n);
    return sorted[rank ? rank - 1 : 0];
}

static void test_percentile_error(void **state)
{
    (void)state;
    enum { N = 100000 };
    static const struct {
        double log_min, log_max; /* values uniform in log space between e^min and e^max */
    } ranges[] = {{0, 4}, {4, 9}, {6, 20}, {15, 30}};
    static const double pcts[] = {1, 10, 50, 90, 99, 99.9, 99.99};
    uint64_t *values = malloc(N * sizeof(*values));
    struct hist *h = malloc(sizeof(*h));
    struct prng p;
    prng_seed(&p, 99);
    for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
        hist_init(h);
        for (size_t i = 0; i < N; i++) {
            double x =
                exp(ranges[r].log_min + prng_unit(&p) * (ranges[r].log_max - ranges[r].log_min));
            values[i] = (uint64_t)x;
            hist_add(h, values[i]);
        }
        qsort(values, N, sizeof(*values), compare_u64);
        assert_int_equal(h->count, N);
        assert_int_equal(h->min_ns, values[0]);
        assert_int_equal(h->max_ns, values[N - 1]);
        for (size_t k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++) {
            double exact = (double)exact_percentile(values, N, pcts[k]);
            double got = hist_percentile(h, pcts[k]);
            double err = exact > 0 ? fabs(got - exact) / exact : fabs(got - exact);
            if (err > 1.0 / 128 + 1e-12 && fabs(got - exact) > 0.5)
                fail_msg("range %zu p%g: %.1f vs exact %.1f (error %.4f > 1/128)", r, pcts[k], got,
                         exact, err);
        }
    }
    free(values);
    free(h);
}

static void test_merge_and_empty(void **state)
{
    (void)state;
    struct hist *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    hist_init(a);
    hist_init(b);
    assert_true(isnan(hist_percentile(a, 50)));
    assert_true(isnan(hist_mean(a)));
    for (uint64_t v = 1; v <= 100; v++)
        hist_add(v <= 50 ? a : b, v * 1000);
    hist_merge(a, b);
    assert_int_equal(a->count, 100);
    assert_int_equal(a->min_ns, 1000);
    assert_int_equal(a->max_ns, 100000);
    assert_true(fabs(hist_mean(a) - 50500) < 1e-9);
    assert_true(fabs(hist_percentile(a, 50) - 50000) / 50000 <= 1.0 / 128);
    assert_true(hist_percentile(a, 100) == 100000);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_percentile_error),
        cmocka_unit_test(test_merge_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
