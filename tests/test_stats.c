/* Statistics: known samples, interval coverage on synthetic data, ratio intervals and
 * outlier detection. */
#include "prng.h"
#include "stats.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void test_known_samples(void **state)
{
    (void)state;
    static const struct {
        double x[6];
        size_t n;
        double median, mean, stddev;
    } cases[] = {
        {{3, 1, 2}, 3, 2, 2, 1},
        {{4, 1, 3, 2}, 4, 2.5, 2.5, 1.2909944487358056},
        {{5}, 1, 5, 5, 0},
        {{2, 2, 2, 2, 2}, 5, 2, 2, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct stats_summary s;
        stats_summarize(cases[i].x, cases[i].n, 1, &s);
        assert_true(fabs(s.median - cases[i].median) < 1e-12);
        assert_true(fabs(s.mean - cases[i].mean) < 1e-12);
        assert_true(fabs(s.stddev - cases[i].stddev) < 1e-9);
        if (cases[i].n < STATS_MIN_CI_SAMPLES)
            assert_true(isnan(s.ci_low) && isnan(s.cv));
        else
            assert_true(s.ci_low <= s.median && s.median <= s.ci_high);
    }
}

/* Box-Muller: a standard normal draw. */
static double normal(struct prng *p)
{
    double u = prng_unit(p), v = prng_unit(p);
    return sqrt(-2 * log(u > 0 ? u : 1e-300)) * cos(2 * M_PI * v);
}

static void test_ci_coverage(void **state)
{
    (void)state;
    /* 400 data sets of 15 log-normal values with median 100: the 95% interval of the
     * median should contain 100 about 95% of the time. */
    struct prng p;
    prng_seed(&p, 2024);
    size_t covered = 0, trials = 400;
    for (size_t t = 0; t < trials; t++) {
        double x[15];
        for (size_t i = 0; i < 15; i++)
            x[i] = 100 * exp(0.3 * normal(&p));
        struct stats_summary s;
        stats_summarize(x, 15, t, &s);
        covered += s.ci_low <= 100 && 100 <= s.ci_high;
    }
    double coverage = (double)covered / (double)trials;
    if (coverage < 0.88 || coverage > 0.995)
        fail_msg("coverage %.3f outside [0.88, 0.995]", coverage);
}

static void test_ratio(void **state)
{
    (void)state;
    struct prng p;
    prng_seed(&p, 7);
    double a[10], b[10];
    for (size_t i = 0; i < 10; i++) {
        b[i] = 1000 * (1 + 0.02 * normal(&p));
        a[i] = 2000 * (1 + 0.02 * normal(&p));
    }
    double lo, hi;
    double r = stats_ratio_ci(a, 10, b, 10, 1, &lo, &hi);
    assert_true(fabs(r - 2) < 0.05);
    assert_true(lo < r && r < hi);
    assert_true(lo > 1.9 && hi < 2.1);
    /* Same distribution: the interval holds 1. */
    r = stats_ratio_ci(b, 10, b, 10, 1, &lo, &hi);
    assert_true(lo <= 1 && 1 <= hi);
    /* Too few repetitions: a ratio but no interval. */
    r = stats_ratio_ci(a, 2, b, 10, 1, &lo, &hi);
    assert_false(isnan(r));
    assert_true(isnan(lo) && isnan(hi));
    /* Reproducible: same seed, same interval. */
    double lo2, hi2;
    stats_ratio_ci(a, 10, b, 10, 1, &lo, &hi);
    stats_ratio_ci(a, 10, b, 10, 1, &lo2, &hi2);
    assert_true(lo == lo2 && hi == hi2);
}

static void test_outliers(void **state)
{
    (void)state;
    static const struct {
        double x[8];
        size_t n;
        size_t outliers;
        int which; /* index of the outlier, or -1 */
    } cases[] = {
        {{10, 10.1, 9.9, 10.05, 9.95, 30}, 6, 1, 5},
        {{10, 10.1, 9.9, 10.05, 9.95, 10.2}, 6, 0, -1},
        {{1, 100, 101, 99, 100.5, 99.5}, 6, 1, 0},
        {{5, 5, 5, 5, 6}, 5, 1, 4}, /* MAD 0: anything off the median */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool flags[8] = {0};
        assert_int_equal(stats_outliers(cases[i].x, cases[i].n, flags), cases[i].outliers);
        if (cases[i].which >= 0)
            assert_true(flags[cases[i].which]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_samples),
        cmocka_unit_test(test_ci_coverage),
        cmocka_unit_test(test_ratio),
        cmocka_unit_test(test_outliers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
