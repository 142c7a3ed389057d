/* The clock of the timed loop.
 *
 * The time-stamp counter (rdtscp) when the CPU says it is invariant (constant and
 * non-stop) and the kernel agrees (its clocksource list has tsc, and it kept the tsc
 * flags); otherwise clock_gettime(CLOCK_MONOTONIC). TSC ticks are converted to ns with
 * a factor calibrated against CLOCK_MONOTONIC_RAW at start-up. The cost of one reading
 * is measured at start-up and recorded in every result's context. */
#ifndef MMBENCH_TIMER_H
#define MMBENCH_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "int128.h"
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define TIMER_HAVE_TSC 1
#else
#define TIMER_HAVE_TSC 0
#endif

struct timer_clock {
    bool use_tsc;
    uint64_t mult; /* ns = ticks * mult >> 32 */
};

/* Set once by timer_init, read by every worker. */
extern struct timer_clock timer_clock;

struct timer_info {
    bool use_tsc;
    double tsc_hz;      /* calibrated TSC frequency; 0 when not used */
    double cost_ns;     /* measured cost of one timer_now() */
    const char *source; /* "tsc (rdtscp)" or "clock_gettime(CLOCK_MONOTONIC)" */
    char reason[160];   /* why this source was chosen */
};

enum timer_choice {
    TIMER_AUTO,  /* TSC when invariant, else clock_gettime */
    TIMER_CLOCK, /* always clock_gettime */
};

/* Chooses and calibrates the clock. tsc_invariant is the CPU's and the kernel's verdict
 * (sysinfo_tsc_invariant) and why_not its reason when false. Always succeeds: any
 * doubt (calibration unstable) falls back to clock_gettime. */
void timer_init(enum timer_choice choice, bool tsc_invariant, const char *why_not,
                struct timer_info *info);

static inline uint64_t timer_now(void)
{
#if TIMER_HAVE_TSC
    if (timer_clock.use_tsc) {
        unsigned aux;
        return __rdtscp(&aux); /* waits for earlier instructions (the operation) to finish */
    }
#endif
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint64_t timer_to_ns(uint64_t ticks)
{
    return (uint64_t)(((uint128_t)ticks * timer_clock.mult) >> 32);
}

/* Ticks in ns (for deadlines): the inverse of timer_to_ns. */
uint64_t timer_from_ns(uint64_t ns);

/* CLOCK_MONOTONIC in ns, for everything outside the timed loop. */
uint64_t timer_monotonic_ns(void);

#endif
