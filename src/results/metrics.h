/* Derived metrics: values computed from a run's raw counters (faults per operation, read
 * and write amplification, the time split, ...), declared once in one table that both the
 * aggregation (medians over repetitions) and the reporters (a column each in runs.csv,
 * summary.csv and results.json, the console and the explanation) read. A metric that
 * cannot be computed for a run (a counter the machine lacks, no writes to amplify) is NAN,
 * reported as an empty cell or null, never 0. */
#ifndef MMBENCH_METRICS_H
#define MMBENCH_METRICS_H

#include "workload.h"

#include <stddef.h>

struct run_record;

/* (id, column, unit, function in metrics.c, description) */
#define METRIC_LIST(X)                                                                             \
    X(METRIC_FAULTS_PER_OP, "faults_per_op", "faults/op", faults,                                  \
      "page faults (minor + major) of the workers per operation")                                  \
    X(METRIC_MAJOR_FAULTS_PER_OP, "major_faults_per_op", "faults/op", major_faults,                \
      "faults that waited for I/O, per operation")                                                 \
    X(METRIC_SYSCALLS_PER_OP, "syscalls_per_op", "calls/op", syscalls,                             \
      "system calls the workers made (data path and flushes) per operation")                       \
    X(METRIC_USER_SHARE, "user_share", "fraction", user_share,                                     \
      "user CPU time of the workers over their wall time")                                         \
    X(METRIC_SYSTEM_SHARE, "system_share", "fraction", system_share,                               \
      "system CPU time of the workers over their wall time")                                       \
    X(METRIC_OFFCPU_SHARE, "offcpu_share", "fraction", offcpu_share,                               \
      "time the workers were not on a CPU (waiting for I/O, locks, or a CPU) over their wall "     \
      "time")                                                                                      \
    X(METRIC_RUNQUEUE_SHARE, "runqueue_share", "fraction", runqueue_share,                         \
      "of which runnable but waiting for a CPU (preempted), from schedstat")                       \
    X(METRIC_DEV_READ_BYTES_PER_OP, "dev_read_bytes_per_op", "bytes/op", dev_read,                 \
      "bytes the block device read during the phase (system-wide) per operation")                  \
    X(METRIC_DEV_WRITE_BYTES_PER_OP, "dev_write_bytes_per_op", "bytes/op", dev_write,              \
      "bytes the block device wrote during the phase and its final flush (system-wide) per "       \
      "operation")                                                                                 \
    X(METRIC_READ_AMPLIFICATION, "readahead_amplification", "ratio", read_amplification,           \
      "device bytes read per byte the workload read (system-wide device counters)")                \
    X(METRIC_WRITE_AMPLIFICATION, "write_amplification", "ratio", write_amplification,             \
      "device bytes written during the phase and its final flush per byte the workload wrote "     \
      "(system-wide device counters)")                                                             \
    X(METRIC_TASK_READ_AMPLIFICATION, "task_read_amplification", "ratio", task_read_amplification, \
      "storage bytes the workers' own reads caused (/proc/PID/task/TID/io) per byte read")         \
    X(METRIC_TASK_WRITE_AMPLIFICATION, "task_write_amplification", "ratio",                        \
      task_write_amplification,                                                                    \
      "bytes the workers dirtied for writeback (whole pages or folios) per byte written")          \
    X(METRIC_FLUSH_SHARE_PCT, "flush_share_pct", "percent", flush_share,                           \
      "time in flush calls over the phase time of all threads")                                    \
    X(METRIC_TLB_SHOOTDOWNS_PER_OP, "tlb_shootdowns_per_op", "interrupts/op", tlb_shootdowns,      \
      "TLB shootdown interrupts (system-wide) per operation")                                      \
    X(METRIC_CYCLES_PER_OP, "cycles_per_op", "cycles/op", cycles,                                  \
      "CPU cycles of the workers (perf)")                                                          \
    X(METRIC_INSTRUCTIONS_PER_OP, "instructions_per_op", "instructions/op", instructions,          \
      "instructions of the workers (perf)")                                                        \
    X(METRIC_DTLB_MISSES_PER_OP, "dtlb_load_misses_per_op", "misses/op", dtlb_misses,              \
      "data TLB load misses of the workers (perf)")                                                \
    X(METRIC_SETUP_NS, "setup_ns", "ns", setup, "backend open: open, mmap, madvise, populate")     \
    X(METRIC_TEARDOWN_NS, "teardown_ns", "ns", teardown, "backend close: munmap, close")           \
    X(METRIC_RESIDENT_BEFORE_PCT, "resident_before_pct", "percent", resident_before,               \
      "share of the file in the page cache before the phase (mincore)")                            \
    X(METRIC_RESIDENT_AFTER_PCT, "resident_after_pct", "percent", resident_after,                  \
      "share of the file in the page cache after the phase")                                       \
    X(METRIC_LARGE_FOLIO_SHARE, "large_folio_share", "fraction", large_folio_share,                \
      "share of the file's cached bytes held in folios of more than one page before the phase "    \
      "(folio census; root only)")

#define METRIC_ID(id, column, unit, fn, doc) id,
enum metric_id { METRIC_LIST(METRIC_ID) METRIC_COUNT };
#undef METRIC_ID

struct metric_def {
    const char *column; /* results column (and JSON field), unique among columns */
    const char *unit;   /* for the documentation */
    const char *doc;
    double (*value)(const struct run_record *r, const struct workload *w); /* NAN: n/a */
};

extern const struct metric_def metric_table[METRIC_COUNT];

/* The value of metric id for run r of workload w. */
static inline double metric_value(enum metric_id id, const struct run_record *r,
                                  const struct workload *w)
{
    return metric_table[id].value(r, w);
}

#endif
