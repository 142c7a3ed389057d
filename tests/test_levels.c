/* Level detection on synthetic throughput series with known changes. */
#include "levels.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define BLOCK    4096
#define INTERVAL 100000000ULL /* 100 ms */
#define MAX_PTS  2000

/* A series of n intervals whose throughput is level[i] MiB/s (plus seeded noise of noise_pct
 * percent), as cumulative points. */
static size_t make_series(struct timeline_point *p, const double *mib_s, size_t n, double noise_pct,
                          unsigned seed)
{
    srand(seed);
    memset(p, 0, sizeof(*p) * (n + 1));
    for (size_t i = 1; i <= n; i++) {
        double jitter = 1 + noise_pct / 100 * ((double)rand() / RAND_MAX * 2 - 1);
        double ops = mib_s[i - 1] * jitter * 1048576.0 * 0.1 / BLOCK;
        p[i] = p[i - 1];
        p[i].t_ns = i * INTERVAL;
        p[i].ops += (uint64_t)ops;
    }
    return n + 1;
}

struct level_case {
    const char *label;
    double levels[4];  /* MiB/s of each part */
    size_t lengths[4]; /* intervals of each part (0 ends) */
    double noise_pct;
    unsigned want;      /* levels expected */
    double change_s[3]; /* expected change times (within one interval) */
};

static const struct level_case cases[] = {
    {"steady", {5400}, {100}, 5, 1, {0}},
    {"steady, noisy", {5400}, {100}, 15, 1, {0}},
    {"cache stops fitting", {5400, 900}, {271, 100}, 5, 2, {27.1}},
    {"small change within noise", {5400, 5000}, {50, 50}, 5, 1, {0}},
    {"writeback starts, recovers", {3000, 800, 3000}, {40, 30, 40}, 5, 3, {4.0, 7.0}},
    {"too short a dip", {3000, 300, 3000}, {40, 2, 40}, 3, 1, {0}},
    {"too short to judge", {3000}, {2}, 0, 1, {0}},
};

static void test_levels(void **state)
{
    (void)state;
    static struct timeline_point p[MAX_PTS];
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        const struct level_case *lc = &cases[c];
        double series[MAX_PTS];
        size_t n = 0;
        for (int part = 0; part < 4 && lc->lengths[part]; part++)
            for (size_t i = 0; i < lc->lengths[part]; i++)
                series[n++] = lc->levels[part];
        size_t points = make_series(p, series, n, lc->noise_pct, (unsigned)c + 1);
        struct timeline_level got[RESULTS_MAX_LEVELS];
        unsigned k = levels_detect(p, points, BLOCK, got, RESULTS_MAX_LEVELS);
        if (k != lc->want)
            fail_msg("%s: %u levels, expected %u", lc->label, k, lc->want);
        for (unsigned i = 0; i + 1 < k; i++)
            if (fabs(got[i].end_s - lc->change_s[i]) > 0.1 + 1e-9)
                fail_msg("%s: change %u at %.2f s, expected %.2f s", lc->label, i, got[i].end_s,
                         lc->change_s[i]);
        for (unsigned i = 0; i < k && k == lc->want && lc->noise_pct < 10; i++)
            if (fabs(got[i].tput_mib_s - lc->levels[i]) > 0.05 * lc->levels[i])
                fail_msg("%s: level %u at %.0f MiB/s, expected %.0f", lc->label, i,
                         got[i].tput_mib_s, lc->levels[i]);
    }
}

/* The description says when; the explanation names the counters that changed, measured. */
static void test_explain(void **state)
{
    (void)state;
    static struct timeline_point p[MAX_PTS];
    double series[200];
    for (size_t i = 0; i < 200; i++)
        series[i] = i < 100 ? 5400 : 900;
    size_t n = make_series(p, series, 200, 2, 9);
    /* From the change on, every operation faults and reads a page from the device. */
    for (size_t i = 101; i < n; i++) {
        uint64_t ops = p[i].ops - p[i - 1].ops;
        p[i].majflt = p[i - 1].majflt + ops;
        p[i].dev_read_bytes = p[i - 1].dev_read_bytes + ops * 4096;
    }
    for (size_t i = 0; i < n; i++)
        p[i].resident_pct = i < 100 ? (double)i / 2 : 50, p[i].dirty_pct = NAN;
    struct timeline_level levels[RESULTS_MAX_LEVELS];
    unsigned k = levels_detect(p, n, BLOCK, levels, RESULTS_MAX_LEVELS);
    assert_int_equal(k, 2);
    char text[512];
    levels_describe(levels, k, text, sizeof(text));
    assert_non_null(strstr(text, "MiB/s until 10.0 s, then "));
    levels_explain(p, n, levels, k, text, sizeof(text));
    assert_non_null(strstr(text, "major faults 0 -> 1 per operation"));
    assert_non_null(strstr(text, "device reads 0 B -> 4 KiB per operation"));
    assert_non_null(strstr(text, "resident 50% -> 50% of the file"));
    /* Nothing of the workload changed: said so, not guessed. */
    make_series(p, series, 200, 2, 9);
    levels_explain(p, n, levels, k, text, sizeof(text));
    assert_non_null(strstr(text, "no counter of the workload changed"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_explain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
