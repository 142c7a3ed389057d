/* What the kernel accounts to one task: its storage I/O (/proc/PID/task/TID/io: bytes it
 * caused to be read from storage, bytes it dirtied for writeback) and its scheduling
 * (/proc/PID/task/TID/schedstat: time on a CPU, time runnable but waiting for one). Read
 * around a worker's timed loop, outside it, these attribute device traffic to the
 * workload's own tasks (the device counters see every process) and split its wall time
 * into running and waiting. */
#ifndef MMBENCH_TASKSTAT_H
#define MMBENCH_TASKSTAT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct taskstat {
    uint64_t read_bytes;            /* storage reads the task caused (readahead included) */
    uint64_t write_bytes;           /* bytes it dirtied (whole pages or folios) */
    uint64_t cancelled_write_bytes; /* dirtied, then truncated before writeback */
    bool have_io;                   /* the three above were read (CONFIG_TASK_IO_ACCOUNTING) */
    uint64_t oncpu_ns;              /* time on a CPU (the calling thread: exact, from
                                       CLOCK_THREAD_CPUTIME_ID; another's: schedstat, which
                                       lags up to a tick while the task runs) */
    uint64_t runqueue_ns;           /* time runnable, waiting for a CPU */
    bool have_sched;                /* runqueue_ns was read (CONFIG_SCHEDSTATS) */
};

/* The calling thread's counters (pid 0), or those of thread tid of process pid. Fields the
 * kernel does not provide are left 0 with have_* false. */
void taskstat_read(pid_t pid, pid_t tid, struct taskstat *t);

/* The page faults of process pid so far (/proc/PID/stat). Returns 0 or -errno. */
int taskstat_faults(pid_t pid, uint64_t *minflt, uint64_t *majflt);

/* after - before, field by field; have_* only when both had them. */
void taskstat_delta(const struct taskstat *before, const struct taskstat *after,
                    struct taskstat *delta);

#endif
