/* The progress line on stderr: workload i of n, backend, repetition, elapsed time and an
 * estimate of the time left. Only when stderr is a terminal and not --quiet. */
#ifndef MMBENCH_PROGRESS_H
#define MMBENCH_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct progress {
    bool enabled;
    uint64_t start_ns;
    size_t phases_total; /* phases of the whole run */
    size_t phases_done;
    bool line_open; /* a line without its newline is on the terminal */
};

void progress_init(struct progress *p, bool enabled, size_t phases_total);

/* Shows that phase (workload i of n, backend, round r of rounds) is starting. */
void progress_show(struct progress *p, size_t i, size_t n, const char *workload,
                   const char *backend, unsigned round, unsigned rounds, const char *role);

void progress_phase_done(struct progress *p);

/* Ends the line, so that other output starts on a fresh one. */
void progress_clear(struct progress *p);

#endif
