/* One timed phase: a workload on one backend, once. Opens the backend (timed as set-up),
 * starts the workers behind a barrier, runs their loops, flushes, and closes the
 * backend (timed as tear-down), with kernel counters around the timed part and perf
 * counters and getrusage around each worker's loop.
 *
 * Each worker has its own offset stream (seed + thread index), buffers, histograms and
 * counters, in memory of its own: nothing is written to a shared cache line in the loop.
 * Workers stop at the deadline (duration), after their share of ops (and min_time),
 * on Ctrl-C at the next batch, or at the first error; a SIGBUS (the mapped file shrank)
 * ends the worker's phase with an error instead of the process. */
#ifndef MMBENCH_PHASE_H
#define MMBENCH_PHASE_H

#include "backend.h"
#include "hist.h"
#include "kcounters.h"
#include "perf.h"
#include "profile.h"
#include "results.h"
#include "workload.h"

#include <stdbool.h>
#include <stdint.h>

#define PHASE_BATCH_OPS 256 /* also the first checksum checkpoint (results.h) */

struct phase_input {
    const struct workload *w;
    const struct backend_ops *backend;
    int fd;            /* the data file, open (the caller's; the phase never closes it) */
    const char *label; /* its name in messages (never opened) */
    const struct perf_probe *perf;
    const struct kcounters_source *kc_source;
    enum latency_mode latency;             /* the phase's (an extra run may turn it off) */
    const struct profile_options *profile; /* profile the workers' stacks; NULL = no */
    uint64_t timeline_interval_ns;         /* sample the phase this often; 0 = no time series */
    struct workload_result *timeline;      /* where the points go */
};

struct phase_output {
    struct run_record *rec; /* filled in: work, timing, counters, status */
    struct hist *latency;   /* merged over workers (caller allocates) */
    struct hist *flush;
    struct run_check check;  /* the checksums the verification compares */
    struct profile *profile; /* with in->profile: the finished profile (caller frees), or
                                NULL when it could not be taken (rec->note says why) */
};

/* Runs the phase. Returns 0 when it ran (rec->status tells how it ended), or -errno
 * when it could not start (rec->error says why). */
int phase_run(const struct phase_input *in, struct phase_output *out);

/* Operations of thread t when ops are shared among threads. */
uint64_t phase_thread_ops(const struct workload *w, unsigned t);

#endif
