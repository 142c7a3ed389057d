#include "timer.h"

#include "int128.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

struct timer_clock timer_clock = {.use_tsc = false, .mult = 1ULL << 32};

#define CALIBRATION_NS     20000000ULL /* 20 ms per round */
#define CALIBRATION_ROUNDS 3
#define COST_READINGS      200000

static uint64_t raw_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t timer_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t timer_from_ns(uint64_t ns)
{
    return (uint64_t)(((uint128_t)ns << 32) / timer_clock.mult);
}

#if TIMER_HAVE_TSC
static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* TSC ticks per second, median of a few rounds; 0 when the rounds disagree by more
 * than 0.1% (a TSC that is not steady after all). */
static double calibrate_tsc(void)
{
    double hz[CALIBRATION_ROUNDS];
    for (int r = 0; r < CALIBRATION_ROUNDS; r++) {
        unsigned aux;
        uint64_t ns0 = raw_ns(), t0 = __rdtscp(&aux), ns1, t1;
        do {
            ns1 = raw_ns();
            t1 = __rdtscp(&aux);
        } while (ns1 - ns0 < CALIBRATION_NS);
        hz[r] = (double)(t1 - t0) * 1e9 / (double)(ns1 - ns0);
    }
    qsort(hz, CALIBRATION_ROUNDS, sizeof(hz[0]), compare_double);
    double spread = (hz[CALIBRATION_ROUNDS - 1] - hz[0]) / hz[CALIBRATION_ROUNDS / 2];
    return spread < 0.001 ? hz[CALIBRATION_ROUNDS / 2] : 0;
}
#endif

static double measure_cost_ns(void)
{
    uint64_t sink = 0;
    uint64_t start = timer_monotonic_ns();
    for (int i = 0; i < COST_READINGS; i++)
        sink += timer_now();
    uint64_t elapsed = timer_monotonic_ns() - start;
    __asm__ volatile("" : : "r"(sink)); /* keep the readings */
    return (double)elapsed / COST_READINGS;
}

void timer_init(enum timer_choice choice, bool tsc_invariant, const char *why_not,
                struct timer_info *info)
{
    timer_clock.use_tsc = false;
    timer_clock.mult = 1ULL << 32;
    info->use_tsc = false;
    info->tsc_hz = 0;
    info->source = "clock_gettime(CLOCK_MONOTONIC)";
    if (choice == TIMER_CLOCK) {
        snprintf(info->reason, sizeof(info->reason), "clock_gettime requested (--timer clock)");
    } else if (!TIMER_HAVE_TSC) {
        snprintf(info->reason, sizeof(info->reason), "no time-stamp counter on this CPU");
    } else if (!tsc_invariant) {
        snprintf(info->reason, sizeof(info->reason), "TSC not usable: %s",
                 why_not ? why_not : "not invariant");
    } else {
#if TIMER_HAVE_TSC
        double hz = calibrate_tsc();
        if (hz > 0) {
            timer_clock.use_tsc = true;
            timer_clock.mult = (uint64_t)llround(1e9 / hz * 4294967296.0);
            info->use_tsc = true;
            info->tsc_hz = hz;
            info->source = "tsc (rdtscp)";
            snprintf(info->reason, sizeof(info->reason),
                     "invariant TSC, calibrated against CLOCK_MONOTONIC_RAW at %.0f Hz", hz);
        } else {
            snprintf(info->reason, sizeof(info->reason),
                     "TSC calibration rounds disagreed by more than 0.1%%");
        }
#endif
    }
    info->cost_ns = measure_cost_ns();
}
