/* What a run measured: one record per workload x backend x repetition, and the
 * aggregates per workload x backend and per workload (the backend comparison).
 *
 * Memory stays bounded whatever the sweep: records are compact, and latency histograms
 * (22 KiB each) are kept on disk in a spill file, sparse, until a reporter loads them. */
#ifndef MMBENCH_RESULTS_H
#define MMBENCH_RESULTS_H

#include "backend.h"
#include "hist.h"
#include "kcounters.h"
#include "perf.h"
#include "stats.h"
#include "workload.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum run_status { RUN_OK, RUN_FAILED, RUN_INTERRUPTED };

#define RESULTS_TEXT_MAX 200

struct run_record {
    unsigned workload; /* index into the workloads */
    unsigned backend;  /* index into the backend registry */
    unsigned round;    /* 0-based; warm-up rounds come first */
    unsigned sequence; /* execution order within the workload */
    bool warmup;       /* discarded from the aggregates */
    enum run_status status;
    char error[RESULTS_TEXT_MAX];
    char note[RESULTS_TEXT_MAX];
    const char *flush_call; /* system call behind sync, static */

    uint64_t ops;
    uint64_t reads;
    uint64_t writes;
    uint64_t bytes;
    uint64_t elapsed_ns; /* first worker start to last worker end */
    double tput_mib_s;   /* bytes / elapsed, MiB = 2^20 bytes */
    double ops_s;

    struct hist_summary latency; /* data path, ns per operation (flushes excluded) */

    struct hist_summary flush; /* ns per flush call; count = flush calls */
    uint64_t flush_total_ns;   /* summed over threads */
    uint64_t end_flush_ns;     /* the final flush (longest over threads) */
    double flush_share_pct;    /* flush time / (elapsed x threads) */

    uint64_t setup_ns;    /* backend open: open + mmap + madvise + populate */
    uint64_t teardown_ns; /* backend close: munmap + close */
    uint64_t remaps;      /* window maps */
    uint64_t remap_ns;
    uint64_t prepare_ns; /* cache preparation before the phase */

    uint64_t minflt, majflt; /* getrusage of the workers */
    uint64_t nvcsw, nivcsw;
    uint64_t utime_ns, stime_ns;

    uint64_t checksum; /* sum over threads of their checksums */

    double resident_before_pct;
    double resident_after_pct;
    bool cache_state_reached; /* the asked cache state was verified */

    uint64_t kc[KC_COUNT]; /* kernel counter deltas over the phase */
    bool kc_have[KC_COUNT];
    double readahead_amplification; /* device bytes read / bytes the workload read */

    uint64_t perf[PERF_COUNT]; /* summed over threads */
    bool perf_have[PERF_COUNT];

    unsigned threads;
    double thread_tput_min_mib_s;
    double thread_tput_max_mib_s;
    double thread_ops_cv; /* spread of operations between threads */
    bool in_cgroup;
};

/* A histogram kept in the spill file. */
struct results_hist_ref {
    long offset;        /* -1 when empty */
    uint32_t n_buckets; /* non-zero buckets stored */
};

/* Aggregate of the measured runs of one workload x backend. */
struct results_summary {
    unsigned workload;
    unsigned backend;
    size_t n_ok; /* measured runs that succeeded */
    size_t n_failed;
    struct stats_summary tput; /* MiB/s over repetitions */
    double ops_s_median;
    struct hist_summary latency; /* from the merged histograms of the measured runs */
    struct hist_summary flush;
    double flush_share_pct; /* medians over repetitions from here on */
    double faults_per_op;   /* minor + major, of the workers (getrusage) */
    double major_faults_per_op;
    double dev_read_bytes_per_op;
    double readahead_amplification;
    double cycles_per_op, instructions_per_op, dtlb_misses_per_op;
    double setup_ns, teardown_ns;
    double resident_before_pct, resident_after_pct;
    size_t cache_state_missed; /* runs whose cache state was not reached */
    struct results_hist_ref latency_hist;
    struct results_hist_ref flush_hist;
};

/* The backend comparison of one workload. */
struct results_comparison {
    unsigned workload;
    bool have_ratio;        /* both backends ran and succeeded */
    double ratio;           /* median tput mmap / median tput pread */
    double ci_low, ci_high; /* 95% bootstrap; NAN with fewer than 3 repetitions */
    char verdict[96];       /* "mmap 2.31x faster [2.20, 2.45]" */
    char checksum[96];      /* "match (all 1000 operations)", "MISMATCH ...", ... */
    bool checksum_mismatch;
};

struct results_warning {
    int workload; /* index, or -1 for the whole run */
    char *text;   /* says what to do about it */
};

struct results {
    const struct workload *workloads;
    size_t n_workloads;
    struct run_record *runs;
    size_t n_runs, cap_runs;
    struct results_summary *summaries;
    size_t n_summaries, cap_summaries;
    struct results_comparison *comparisons;
    size_t n_comparisons, cap_comparisons;
    struct results_warning *warnings;
    size_t n_warnings;
    size_t n_warnings_dropped; /* beyond RESULTS_MAX_WARNINGS */
    bool interrupted;
    bool any_failed;
    long rss_anon_max_kib; /* the harness's own memory, sampled after each run */
    FILE *spill;           /* histograms */
};

#define RESULTS_MAX_WARNINGS 500

/* Creates the histogram spill file in the directory dir_fd: it has no name there (it
 * disappears with the process, whatever ends it). Returns 0 or -errno after logging. */
int results_init(struct results *r, const struct workload *workloads, size_t n, int dir_fd);
void results_free(struct results *r);

/* Appends a copy of rec. Returns 0 or -ENOMEM. */
int results_add_run(struct results *r, const struct run_record *rec);
int results_add_summary(struct results *r, const struct results_summary *s);
int results_add_comparison(struct results *r, const struct results_comparison *c);

/* Records a warning about workload (an index, or -1 for the whole run); the reporters
 * print and store it. */
void results_warn(struct results *r, int workload, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Stores h in the spill file. */
int results_hist_save(struct results *r, const struct hist *h, struct results_hist_ref *ref);

/* Loads a stored histogram into h (which is overwritten). Returns 0 or -errno. */
int results_hist_load(const struct results *r, const struct results_hist_ref *ref, struct hist *h);

/* Allocates a histogram lazily backed by zero pages: only touched buckets use memory. */
struct hist *results_hist_alloc(void);
void results_hist_free(struct hist *h);

const char *results_status_name(enum run_status s);

#endif
