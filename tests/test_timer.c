/* The timer: the clock_gettime fallback, and the TSC calibration where there is one. */
#include "timer.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

static uint64_t measure_sleep_ns(uint64_t sleep_ns)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)sleep_ns};
    uint64_t t0 = timer_now();
    nanosleep(&ts, NULL);
    return timer_to_ns(timer_now() - t0);
}

static void test_clock_fallback(void **state)
{
    (void)state;
    static const struct {
        enum timer_choice choice;
        bool invariant;
        const char *why;
        const char *reason; /* expected substring */
    } cases[] = {
        {TIMER_CLOCK, true, NULL, "requested"},
        {TIMER_AUTO, false, "no invariant TSC here", "no invariant TSC here"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct timer_info info;
        timer_init(cases[i].choice, cases[i].invariant, cases[i].why, &info);
        assert_false(info.use_tsc);
        assert_false(timer_clock.use_tsc);
        assert_string_equal(info.source, "clock_gettime(CLOCK_MONOTONIC)");
        assert_non_null(strstr(info.reason, cases[i].reason));
        assert_int_equal(timer_to_ns(12345), 12345); /* ticks are ns */
        assert_int_equal(timer_from_ns(12345), 12345);
        assert_true(info.cost_ns > 0 && info.cost_ns < 10000);
        uint64_t ns = measure_sleep_ns(20000000);
        assert_in_range(ns, 20000000, 200000000);
    }
}

static void test_tsc_calibration(void **state)
{
    (void)state;
    struct timer_info info;
    timer_init(TIMER_AUTO, true, NULL, &info);
    if (!info.use_tsc) {
        /* No TSC, or calibration refused it: the reason must say so. */
        assert_true(strlen(info.reason) > 0);
        skip();
    }
    assert_true(info.tsc_hz > 1e8 && info.tsc_hz < 1e11);
    uint64_t ns = measure_sleep_ns(20000000);
    assert_in_range(ns, 20000000, 200000000);
    assert_in_range(timer_to_ns(timer_from_ns(1000000000ULL)), 999999000ULL, 1000001000ULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_fallback),
        cmocka_unit_test(test_tsc_calibration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
